"""``ftgraph diff``: a change compared as built graphs (by article and entity), the named queries
whose answers change and the validation results that appear, on a real git repository."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from ftgraph.review.diff import canonical

Cli = Callable[..., CompletedProcess[str]]
REPO = Path(__file__).resolve().parents[2]
SPERLING = 'rdfs:label "Daniel Sperling"@fr ;'
ARTICLE = "https://w3id.org/ftgraph/id/source/mediatic-grand-opening-ftwks"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A git repository holding a copy of the curated inputs, committed once."""
    root = tmp_path / "repo"
    for part in ("ontology", "data", "shapes", "queries"):
        shutil.copytree(REPO / part, root / part)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "curated")
    return root


def rename_sperling(root: Path) -> None:
    path = root / "data" / "people.trig"
    text = path.read_text()
    assert text.count(SPERLING) == 1
    path.write_text(text.replace(SPERLING, 'rdfs:label "Daniel Sperlingue"@fr ;'))


def test_one_changed_fact_is_reported_under_its_article_and_entity(repo: Path, cli: Cli) -> None:
    """Issue 12's acceptance: the fact, under its article and entity, and the queries it changes."""
    rename_sperling(repo)
    done = cli("diff", "--root", repo, "--format", "json", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["a"]["revision"].startswith("HEAD")
    assert report["b"]["revision"] == "working tree"
    assert (report["stated"]["added"], report["stated"]["removed"]) == (1, 1)
    [graph] = report["stated"]["graphs"]
    assert graph["graph"] == ARTICLE
    assert graph["title"]
    [entity] = graph["entities"]
    assert entity["entity"] == "<https://w3id.org/ftgraph/id/person/daniel-sperling>"
    assert entity["label"] == "Daniel Sperlingue"
    assert [q["object"] for q in entity["added"]] == ['"Daniel Sperlingue"@fr']
    assert [q["object"] for q in entity["removed"]] == ['"Daniel Sperling"@fr']
    changed = {q["name"]: q for q in report["queries"]}
    assert "roles" in changed
    roles = changed["roles"]
    assert {r["personName"] for r in roles["added"]} == {'"Daniel Sperlingue"@fr'}
    assert {r["personName"] for r in roles["removed"]} == {'"Daniel Sperling"@fr'}
    assert len(roles["added"]) == len(roles["removed"]) > 0
    assert report["validation"] == {"appeared": [], "disappeared": []}


def test_markdown_is_a_github_table_and_text_shows_signs(repo: Path, cli: Cli) -> None:
    rename_sperling(repo)
    md = cli("diff", "--root", repo, "--format", "markdown", cwd=repo)
    assert md.returncode == 0, md.stderr
    lines = md.stdout.splitlines()
    assert lines[0].startswith("### ftgraph diff: `HEAD")
    header = lines.index("|  | entity | property | value |")
    assert lines[header + 1] == "|---|---|---|---|"
    assert (
        '| + | person:daniel-sperling "Daniel Sperlingue" | rdfs:label | "Daniel Sperlingue"@fr |'
        in lines
    )
    assert "**`roles`**" in md.stdout
    text = cli("diff", "--root", repo, cwd=repo)
    assert text.returncode == 0
    assert '    - rdfs:label "Daniel Sperling"@fr' in text.stdout
    assert '    + rdfs:label "Daniel Sperlingue"@fr' in text.stdout


def test_exit_code_like_git_diff(repo: Path, cli: Cli) -> None:
    """Exit 0 in every case; ``--exit-code``: 1 with differences, 0 without."""
    same = cli("diff", "--root", repo, "--exit-code", cwd=repo)
    assert same.returncode == 0, same.stderr
    assert "no differences" in same.stdout
    rename_sperling(repo)
    assert cli("diff", "--root", repo, cwd=repo).returncode == 0
    assert cli("diff", "--root", repo, "--exit-code", cwd=repo).returncode == 1


def test_reordering_a_file_shows_nothing(repo: Path, cli: Cli) -> None:
    """The built graphs are compared, not the text: blocks in another order are the same graph."""
    path = repo / "data" / "people.trig"
    text = path.read_text()
    head, _, rest = text.partition("GRAPH ")
    blocks = ("GRAPH " + rest).split("\nGRAPH ")
    path.write_text(head + "\nGRAPH ".join(reversed(blocks)).replace("GRAPH GRAPH", "GRAPH") + "\n")
    assert path.read_text() != text
    done = cli("diff", "--root", repo, "--exit-code", cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr


def test_two_revisions_and_a_folder(repo: Path, tmp_path: Path, cli: Cli) -> None:
    rename_sperling(repo)
    git(repo, "commit", "-q", "-am", "rename")
    done = cli("diff", "--root", repo, "HEAD~1", "HEAD", "--exit-code", cwd=repo)
    assert done.returncode == 1
    assert "Daniel Sperlingue" in done.stdout
    folder = tmp_path / "copy"
    shutil.copytree(repo, folder, ignore=shutil.ignore_patterns(".git"))
    done = cli("diff", "--root", repo, "HEAD", str(folder), "--exit-code", cwd=repo)
    assert done.returncode == 0, done.stdout


def test_a_bad_revision_or_input_is_exit_2(repo: Path, cli: Cli) -> None:
    done = cli("diff", "--root", repo, "no-such-rev", cwd=repo)
    assert done.returncode == 2
    assert "'no-such-rev' is neither a folder nor a revision" in done.stderr
    (repo / "data" / "people.trig").write_text("GRAPH <x> { oops")
    done = cli("diff", "--root", repo, cwd=repo)
    assert done.returncode == 2
    assert "data/people.trig:1" in done.stderr


def add_medinsoft_membership(root: Path) -> None:
    """One stated quad whose alignment derives two more and which a shape refuses (no role)."""
    path = root / "data" / "people.trig"
    old = "    ftg:memberOf organisation:ville-marseille .\n\nperson:frederic-chevalier"
    assert path.read_text().count(old) == 1
    path.write_text(
        path.read_text().replace(
            old,
            "    ftg:memberOf organisation:ville-marseille , organisation:medinsoft .\n\n"
            "person:frederic-chevalier",
        )
    )


def test_derived_quads_are_summarised_apart_and_a_result_appears(repo: Path, cli: Cli) -> None:
    add_medinsoft_membership(repo)
    done = cli("diff", "--root", repo, "--format", "json", cwd=repo)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["stated"]["added"], report["stated"]["removed"]) == (1, 0)
    assert report["derived"] == {
        "added": 2,
        "removed": 0,
        "by_property": [
            {"property": "http://schema.org/memberOf", "added": 1, "removed": 0},
            {"property": "http://www.w3.org/ns/org#memberOf", "added": 1, "removed": 0},
        ],
    }
    [result] = report["validation"]["appeared"]
    assert result["focus"] == "https://w3id.org/ftgraph/id/person/daniel-sperling"
    assert result["severity"] == "Violation"
    assert result["location"].startswith("data/people.trig:")
    assert report["validation"]["disappeared"] == []
    text = cli("diff", "--root", repo, cwd=repo).stdout
    assert "derived at build time: +2 -0" in text
    assert "  + Violation person:daniel-sperling: " in text


def test_a_result_that_disappears_is_located_in_its_revision(repo: Path, cli: Cli) -> None:
    """Comparing the other way: the result is gone, located in the revision it was in."""
    add_medinsoft_membership(repo)
    git(repo, "commit", "-q", "-am", "a membership without a role")
    git(repo, "revert", "--no-edit", "HEAD")
    done = cli("diff", "--root", repo, "HEAD~1", "HEAD", "--format", "json", cwd=repo)
    report = json.loads(done.stdout)
    [result] = report["validation"]["disappeared"]
    assert result["location"].startswith("data/people.trig:")
    assert report["a"]["revision"].startswith("HEAD~1 (")


def test_blank_nodes_compare_by_isomorphism() -> None:
    import pyoxigraph as ox

    g = ox.NamedNode("http://example.org/g")
    p, q = ox.NamedNode("http://example.org/p"), ox.NamedNode("http://example.org/q")
    s = ox.NamedNode("http://example.org/s")
    first = [ox.Quad(s, p, ox.BlankNode("a"), g), ox.Quad(ox.BlankNode("a"), q, ox.Literal("x"), g)]
    second = [
        ox.Quad(ox.BlankNode("zz"), q, ox.Literal("x"), g),
        ox.Quad(s, p, ox.BlankNode("zz"), g),
    ]
    assert set(canonical(first)) == set(canonical(second))
    other = [ox.Quad(s, p, ox.BlankNode("a"), g), ox.Quad(ox.BlankNode("a"), q, ox.Literal("y"), g)]
    assert set(canonical(first)) != set(canonical(other))


def test_a_revision_named_like_an_option_is_a_name(repo: Path, tmp_path: Path, cli: Cli) -> None:
    """``git rev-parse --end-of-options``: ``--output=…`` names no revision, and writes nothing."""
    target = tmp_path / "written-by-git"
    done = cli("diff", "--root", repo, "--", f"--output={target}", cwd=repo)
    assert done.returncode == 2
    assert "is neither a folder nor a revision" in done.stderr
    assert not target.exists()
