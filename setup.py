"""Bundle the curated graph into the wheel, so an installed ftgraph has data to build when run outside a checkout.

Everything else is in pyproject.toml; ``ftgraph.config.default_root`` falls back to ``ftgraph/_bundled``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("ontology", "data", "shapes", "queries")


class BuildPyWithGraph(build_py):
    """Copy ontology/, data/, shapes/, queries/ into the built package (not in editable installs)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "ftgraph" / "_bundled"
        for name in BUNDLED:
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(Path(name), target / name)


setup(cmdclass={"build_py": BuildPyWithGraph})
