"""Building a store: validate, load into a fresh version directory, record VoID, swap the symlink
atomically, prune old versions nobody leases. A failed build leaves the previous version serving."""

from __future__ import annotations

import fcntl
import gc
import itertools
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from ftgraph.config import BUILD_INFO_FILE, DERIVED_STORE_DIR
from ftgraph.graph.progress import SILENT, Progress, counting
from ftgraph.store import dumps, search
from ftgraph.store.reader import LEASE_FILE, BuildInfo, is_leased, read_build_info
from ftgraph.vocab import DATASET, META_GRAPH, PREFIXES

if TYPE_CHECKING:
    # Readers (endpoint workers, `ftgraph query`) never pay for rdflib; only builders do.
    from ftgraph.graph.sources import Inputs
    from ftgraph.shacl.report import ValidationReport


class BuildError(Exception):
    """The dataset cannot be built; the previous store is left as it was."""

    def __init__(self, message: str, report: ValidationReport | None = None) -> None:
        super().__init__(message)
        self.report = report


log = logging.getLogger("ftgraph.store")


@dataclass(frozen=True)
class BuildResult:
    """Outcome of :func:`build`: ``built`` is False when the store was already at this version."""

    info: BuildInfo
    built: bool
    report: ValidationReport | None
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds of each step of the load (bulk load, dumps, VoID, optimize, record); empty for a no-op."""


KEEP_VERSIONS = 2


class StorageError(Exception):
    """The build could not write its store (disk full, I/O error, no permission): one clear line."""


def versions_dir(store_path: Path) -> Path:
    """``<parent>/.<name>.versions``: version directories live next to the symlink."""
    store_path = Path(store_path)
    return store_path.parent / f".{store_path.name}.versions"


def _current_target(store_path: Path) -> Path | None:
    """Version directory the symlink points at, if any."""
    if not store_path.is_symlink():
        return None
    return (store_path.parent / os.readlink(store_path)).resolve()


@contextmanager
def _lock(store_path: Path) -> Iterator[None]:
    """One builder at a time per store; the OS drops the lock if the builder is killed."""
    lock_file = store_path.parent / f".{store_path.name}.lock"
    with open(lock_file, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap_symlink(store_path: Path, target: Path) -> None:
    """Point ``store_path`` at ``target`` in one rename: readers see the old or the new store."""
    if store_path.exists() and not store_path.is_symlink():
        raise BuildError(f"{store_path} exists and is not a symlink; move it away to build here")
    tmp = store_path.parent / f".{store_path.name}.tmp-{os.getpid()}"
    with suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(os.path.relpath(target, store_path.parent), tmp)
    os.replace(tmp, store_path)
    _fsync_dir(store_path.parent)


def _prune(store_path: Path, keep: set[Path]) -> None:
    """Drop version dirs not in ``keep`` (killed or failed builds included) that no server leases.

    Runs under the build lock, so no build is writing any of them.
    """
    vdir = versions_dir(store_path)
    if not vdir.is_dir():
        return
    for child in vdir.iterdir():
        if child.resolve() in keep or not child.is_dir() or child.is_symlink():
            continue
        if not is_leased(child):
            shutil.rmtree(child, ignore_errors=True)


def _storage_error(err: OSError, path: Path) -> StorageError:
    """One line: what failed where, the free space there, and what to do."""
    try:
        free = f"{shutil.disk_usage(path).free / 1e6:.1f} MB free"
    except OSError:
        free = "free space unknown"
    reason = err.strerror or str(err)
    if "No space left on device" in reason:  # RocksDB wraps ENOSPC in a long message of its own
        reason = "No space left on device"
    return StorageError(
        f"cannot write the store at {path}: {reason} ({free}); free some space or set "
        "FTGRAPH_STORE to another disk, then build again (the previous store is unchanged)"
    )


def _meta_quads(version: str, built_at: str) -> list[ox.Quad]:
    g = ox.NamedNode(META_GRAPH)
    ds = ox.NamedNode(DATASET)
    return [
        ox.Quad(ds, ox.NamedNode(PREFIXES["owl"] + "versionInfo"), ox.Literal(version), g),
        ox.Quad(
            ds,
            ox.NamedNode(PREFIXES["dcterms"] + "modified"),
            ox.Literal(built_at, datatype=ox.NamedNode(PREFIXES["xsd"] + "dateTime")),
            g,
        ),
    ]


def with_union(quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
    """Each quad followed by its triple in the default graph, for a consumer with set semantics.

    Streamed into the bulk loader, which drops repeats: the default graph ends up holding each
    triple once (SPARQL's default graph is a set) without a Python set of millions of quads.
    """
    for q in quads:
        yield q
        yield ox.Quad(*q.triple)  # no graph name: the default graph


RECORD_BATCH = 100_000
"""Derived quads held in Python before they go to the derivation record (bounds the memory)."""


def recording(
    derived: Iterable[ox.Quad], record: ox.Store, predicates: set[ox.NamedNode]
) -> Iterator[ox.Quad]:
    """The derived quads, passed through, each also written to ``record`` (and its predicate noted).

    The stream may repeat a quad or restate a stated one: the record's set semantics remove
    repeats, and :func:`forget_stated` the stated ones.
    """
    batch: list[ox.Quad] = []
    for q in derived:
        batch.append(q)
        predicates.add(q.predicate)
        if len(batch) >= RECORD_BATCH:
            record.bulk_extend(batch)
            batch.clear()
        yield q
    record.bulk_extend(batch)


def forget_stated(
    record: ox.Store, stated: Iterable[ox.Quad], predicates: set[ox.NamedNode]
) -> None:
    """Drop from the record what the inputs state themselves: a curated fact is never "derived".

    Only stated quads with a predicate the derivation produced can be in the record, so only those
    are looked up.
    """
    for q in stated:
        if q.predicate in predicates and q in record:
            record.remove(q)


def _load(
    version_path: Path,
    inputs: Inputs,
    version: str,
    built_at: str,
    phases: dict[str, float],
    progress: Progress = SILENT,
) -> BuildInfo:
    """Fill a new store directory and record it; nothing outside ``version_path`` is touched.

    One bulk load streams the stated quads, the derived ones (alignment, mentions) and the union
    default graph; nothing holds them all in Python.
    """
    from ftgraph.graph import derive, void

    current = ""
    started = time.perf_counter()

    def begin(name: str, unit: str = "") -> None:
        """Close the running phase (its seconds go to ``phases``) and report the next one."""
        nonlocal current, started
        now = time.perf_counter()
        if current:
            phases[current] = now - started
        current, started = name, now
        if name:
            progress.phase(name, unit=unit)

    begin("bulk_load", "quads")
    store = ox.Store(str(version_path))
    derivations = ox.Store(str(version_path / DERIVED_STORE_DIR))
    ontology = [q for f in inputs.ontology for q in f.quads]
    derived = derive.derive_stream(ontology, (q for f in inputs.data for q in f.quads))
    predicates: set[ox.NamedNode] = set()
    recorded = recording(derived, derivations, predicates)
    streamed = with_union(itertools.chain(inputs.dataset_quads(), recorded))
    store.bulk_extend(counting(streamed, progress))
    forget_stated(derivations, inputs.dataset_quads(), predicates)
    derivations.flush()
    del derivations
    begin("void")
    statistics = void.statistics(store)
    begin("dumps")
    # Before the meta graph exists: the dumps hold the data, and VoID then describes the dumps.
    files = dumps.write_all(store, version_path, void.sizes(statistics))
    begin("search")
    search.write_index(store, version_path)
    begin("meta")
    # The meta graph stays out of the default graph: VoID describes the data, not itself.
    store.bulk_extend(
        [*_meta_quads(version, built_at), *statistics, *dumps.describe(files, built_at)]
    )
    store.flush()
    # Last: a file written after compaction (VoID, if optimize came first) slows every later scan by
    # about 30 % (measured on the 10k bench store); queries outweigh the 1-2 s VoID saves on 1M.
    begin("optimize")
    store.optimize()
    begin("record")
    quads = len(store)
    graphs = sum(1 for _ in store.named_graphs())
    del store
    gc.collect()
    record = {"version": version, "built_at": built_at, "quads": quads, "graphs": graphs}
    _write_json_atomically(version_path / BUILD_INFO_FILE, record)
    begin("")
    return BuildInfo(version, built_at, quads, graphs, version_path.resolve())


def build(
    root: Path,
    store_path: Path,
    *,
    force: bool = False,
    before_swap: Callable[[Path], None] | None = None,
    progress: Progress = SILENT,
) -> BuildResult:
    """Validate, load into a fresh version dir, swap the symlink; a no-op for unchanged inputs.

    ``before_swap`` gets the complete new version directory just before it is served (to check or
    snapshot it); if it raises, the build fails and the previous version stays.

    Raises ``InputError`` (syntax, fact without source) or :class:`BuildError` (non-conforming
    data); either way the store the symlink points at is untouched.
    """
    from ftgraph.graph.sources import load_inputs
    from ftgraph.shacl.validate import validate

    started = time.monotonic()
    store_path = Path(store_path).absolute()
    progress.phase("parse")
    inputs = load_inputs(Path(root))
    current = read_build_info(store_path)
    if current is not None and current.version == inputs.version and not force:
        progress.close()
        return BuildResult(current, False, None, time.monotonic() - started)

    # Validation derives what it checks itself; the store streams its own derivation (``_load``).
    report = validate(inputs, None, progress=progress)
    if not report.conforms:
        raise BuildError("data does not conform to shapes/", report)

    store_path.parent.mkdir(parents=True, exist_ok=True)
    with _lock(store_path):
        current = read_build_info(store_path)
        if current is not None and current.version == inputs.version and not force:
            progress.close()
            return BuildResult(current, False, report, time.monotonic() - started)
        previous = _current_target(store_path)
        now = datetime.now(UTC)
        built_at = now.isoformat(timespec="seconds").replace("+00:00", "Z")
        vdir = versions_dir(store_path)
        # Orphans of failed or killed builds and unleased old versions go first: their space may
        # be what this build needs.
        _prune(store_path, {previous} if previous is not None else set())
        version_path = vdir / f"{inputs.version[:12]}-{now.strftime('%Y%m%dT%H%M%S.%fZ')}"
        try:
            vdir.mkdir(parents=True, exist_ok=True)
            version_path.mkdir()
            (version_path / LEASE_FILE).touch()
            phases: dict[str, float] = {}
            info = _load(version_path, inputs, inputs.version, built_at, phases, progress)
            if before_swap is not None:
                before_swap(version_path)
            _swap_symlink(store_path, version_path)
        except BaseException as err:
            shutil.rmtree(version_path, ignore_errors=True)
            if isinstance(err, OSError):
                raise _storage_error(err, vdir if vdir.is_dir() else store_path.parent) from err
            raise
        keep = {version_path.resolve()} | ({previous} if previous is not None else set())
        _prune(store_path, keep)
    progress.close()
    return BuildResult(info, True, report, time.monotonic() - started, phases)


def ensure_built(root: Path, store_path: Path) -> BuildInfo | None:
    """Build the store on first use: when ``store_path`` holds neither a build nor a store.

    A directory without a build record is a store made elsewhere (read as it is, None); anything
    built is left alone (its record). The one "build if missing" of ``serve`` and ``query``.
    """
    info = read_build_info(store_path)
    if info is not None or Path(store_path).is_dir():
        return info
    log.info("no store at %s: building it from %s", store_path, root)
    return build(root, store_path).info
