"""Deterministic, seeded generator of an ecosystem-shaped graph in the ftgraph ontology.

Writes a complete root (``ontology/``, ``shapes/``, ``queries/`` linked to the checkout, ``data/``
holding the curated files plus ``data/synthetic-NNN.trig``) under ``bench/out/<scale>/root``, so
``ftgraph build --root`` and ``ftgraph validate --root`` work on it unchanged. As in ``data/*.trig``,
every synthetic fact sits in the ``GRAPH`` block of the (synthetic) source article stating it, an
entity described by several articles is described in each of their blocks, and the article's own
description sits in its own graph.

Usage::

    python bench/generate.py --scale 1m            # ~1M stated triples
    python bench/generate.py --scale 10k --seed 7  # same seed, same bytes

Nothing here is committed: ``bench/out/`` is git-ignored.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"

SCALES: dict[str, int] = {"10k": 10_000, "1m": 1_000_000, "5m": 5_000_000}
"""Target number of stated triples in the synthetic TriG (the build adds derived ones)."""

TRIPLES_PER_ARTICLE = 89
"""Measured average of :func:`_article`; used to size the article count for a target."""
ARTICLES_PER_FILE = 2000

PREFIXES = """\
@prefix ftg: <https://w3id.org/ftgraph/ontology/> .
@prefix application: <https://w3id.org/ftgraph/id/application/> .
@prefix award: <https://w3id.org/ftgraph/id/award/> .
@prefix event: <https://w3id.org/ftgraph/id/event/> .
@prefix indicator: <https://w3id.org/ftgraph/id/concept/indicator/> .
@prefix kind: <https://w3id.org/ftgraph/id/concept/kind/> .
@prefix label: <https://w3id.org/ftgraph/id/label/> .
@prefix membership: <https://w3id.org/ftgraph/id/membership/> .
@prefix obs: <https://w3id.org/ftgraph/id/observation/> .
@prefix organisation: <https://w3id.org/ftgraph/id/organisation/> .
@prefix person: <https://w3id.org/ftgraph/id/person/> .
@prefix place: <https://w3id.org/ftgraph/id/place/> .
@prefix programme: <https://w3id.org/ftgraph/id/programme/> .
@prefix role: <https://w3id.org/ftgraph/id/concept/role/> .
@prefix sector: <https://w3id.org/ftgraph/id/concept/sector/> .
@prefix src: <https://w3id.org/ftgraph/id/source/> .
@prefix unit: <https://w3id.org/ftgraph/id/concept/unit/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

"""

# Concepts that exist in ontology/concepts.ttl, so references resolve and labels join.
KINDS = ["company", "startup", "tech-champion", "association", "cluster", "incubator", "media",
         "local-authority", "support-structure", "investment-agency", "startup-studio"]  # fmt: skip
SECTORS = ["big-data", "digital-arts", "digital-economy", "e-commerce", "e-tourism", "nfc",
           "smart-city", "tech-for-good", "transmedia"]  # fmt: skip
ROLES = ["founder", "president", "vice-president", "mayor", "deputy-mayor-digital", "initiator",
         "operational-governance", "minister"]  # fmt: skip
INDICATORS = [("digital-companies", "company"), ("digital-employees", "employee"),
              ("startups", "company"), ("implantation-jobs", "job"), ("implantations", "implantation"),
              ("digital-turnover", "euro"), ("startup-files-examined", "file")]  # fmt: skip
LABELS = ["french-tech", "capitale-french-tech"]
SYLLABLES = ["ka", "lo", "mi", "ra", "tec", "no", "va", "zu", "ber", "sol", "pro", "gen", "ix",
             "dat", "ly", "mar", "sei", "lia", "cor", "nu"]  # fmt: skip
FIRST = ["Alice", "Bruno", "Chloé", "David", "Émilie", "François", "Gaëlle", "Hugo", "Inès",
         "Julien", "Karim", "Léa", "Marc", "Nadia", "Olivier", "Pauline", "Quentin", "Rania",
         "Samuel", "Théo", "Ulysse", "Valérie", "Yanis", "Zoé"]  # fmt: skip
LAST = ["Martin", "Bernard", "Durand", "Lefèvre", "Moreau", "Garnier", "Roux", "Fournier",
        "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller",
        "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Chevalier", "Robin"]  # fmt: skip
TERRITORIES = 40


@dataclass(frozen=True)
class Sizes:
    """Entity pools for a number of articles; entities recur across articles, skewed."""

    articles: int

    @property
    def organisations(self) -> int:
        return max(20, self.articles * 3 // 2)

    @property
    def people(self) -> int:
        return max(20, self.articles * 3 // 2)

    @property
    def sites(self) -> int:
        return max(8, self.articles // 5)


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _name(rng: random.Random, n: int) -> str:
    r = random.Random(n * 7919 + 17)  # stable per entity, independent of call order
    return "".join(r.choice(SYLLABLES) for _ in range(2 + r.randrange(2))).capitalize() + (
        f" {['Labs', 'Tech', 'Numérique', 'Solutions', 'Studio', 'Data'][n % 6]}"
    )


def _person_name(n: int) -> str:
    r = random.Random(n * 104729 + 3)
    return f"{r.choice(FIRST)} {r.choice(LAST)}-{n}"


def _skewed(rng: random.Random, n: int) -> int:
    """Index in [0, n): a few popular entities appear in many articles (Zipf-like)."""
    return min(n - 1, int(n * rng.random() ** 2.2))


def _date(rng: random.Random) -> tuple[str, str]:
    y = rng.randrange(2013, 2020)
    k = rng.random()
    if k < 0.6:
        return f'"{y}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"^^xsd:date', str(y)
    if k < 0.85:
        return f'"{y}-{rng.randrange(1, 13):02d}"^^xsd:gYearMonth', str(y)
    return f'"{y}"^^xsd:gYear', str(y)


def _article(a: int, sizes: Sizes, rng: random.Random) -> Iterator[str]:
    """One GRAPH block: the article's description and what it states."""
    y, m, d = 2013 + a % 7, 1 + a % 12, 1 + a % 28
    yield f"GRAPH src:synth-{a} {{\n"
    yield (
        f"src:synth-{a} a ftg:SourceDocument ;\n"
        f'    rdfs:label "Article synthétique {a}"@fr ;\n'
        f'    dcterms:title "Article synthétique {a} : l\'écosystème en {y}"@fr ;\n'
        f"    dcterms:language <http://id.loc.gov/vocabulary/iso639-1/fr> ;\n"
        f'    dcterms:identifier "synth_{a:08d}" ;\n'
        f'    dcterms:date "{y}-{m:02d}-{d:02d}"^^xsd:date .\n\n'
    )
    n_sites = sizes.sites
    orgs = sorted({_skewed(rng, sizes.organisations) for _ in range(3)})
    people = sorted({_skewed(rng, sizes.people) for _ in range(3)})
    territory = rng.randrange(TERRITORIES)
    site = a % n_sites  # every site is described by some article
    for o in orgs:
        name = _name(rng, o)
        en = f' , "{_esc(name)} (EN)"@en' if o % 2 else ""
        alt = f'    skos:altLabel "{_esc(name.upper())}"@fr ;\n' if o % 5 == 0 else ""
        sector = f"    ftg:sector sector:{SECTORS[o % len(SECTORS)]} ;\n" if o % 2 == 0 else ""
        cls = "ftg:Accelerator" if o % 17 == 0 else "ftg:Organisation"
        kind = "accelerator" if o % 17 == 0 else KINDS[o % len(KINDS)]
        yield (
            f"organisation:org-{o} a {cls} ;\n"
            f'    rdfs:label "{_esc(name)}"@fr{en} ;\n{alt}'
            f"    ftg:kind kind:{kind} ;\n{sector}"
            f"    ftg:location place:site-{o % n_sites} .\n\n"
        )
    for p in people:
        org = orgs[p % len(orgs)]
        yield (
            f"person:person-{p} a ftg:Person ;\n"
            f'    rdfs:label "{_esc(_person_name(p))}"@fr ;\n'
            f"    ftg:memberOf organisation:org-{org} .\n\n"
        )
    for k, p in enumerate(people):
        org = orgs[p % len(orgs)]
        role = ROLES[(p + a) % len(ROLES)]
        date, year = _date(rng)
        pname = _esc(_person_name(p))
        yield (
            f"membership:m-{a}-{k} a ftg:Membership ;\n"
            f'    rdfs:label "{pname}, {role} ({year})"@fr , "{pname}, {role} ({year})"@en ;\n'
            f"    ftg:member person:person-{p} ;\n"
            f"    ftg:organisation organisation:org-{org} ;\n"
            f"    ftg:roleType role:{role} ;\n"
            f"    ftg:attestedOn {date} ;\n"
            f'    ftg:evidence "{pname} est {role} depuis {year}"@fr .\n\n'
        )
    yield (
        f"place:site-{site} a ftg:Site ;\n"
        f'    rdfs:label "Site {site}"@fr ;\n'
        f"    ftg:withinPlace place:territory-{territory} .\n\n"
        f"place:territory-{territory} a ftg:Territory ;\n"
        f'    rdfs:label "Territoire {territory}"@fr .\n\n'
    )
    date, year = _date(rng)
    participants = " , ".join(f"person:person-{p}" for p in people[:2])
    yield (
        f"event:event-{a} a ftg:Event ;\n"
        f'    rdfs:label "Rencontre numérique {a}"@fr , "Digital meetup {a}"@en ;\n'
        f"    ftg:date {date} ;\n"
        f"    ftg:location place:site-{site} ;\n"
        f"    ftg:organiser organisation:org-{orgs[0]} ;\n"
        f"    ftg:participant {participants} ;\n"
        f'    ftg:evidence "la rencontre {a} a réuni les acteurs du territoire"@fr .\n\n'
    )
    for k in range(2):
        ind, unit = INDICATORS[(a + k) % len(INDICATORS)]
        value = float(rng.randrange(10, 100_000))
        extra = "    ftg:approximate true ;\n" if rng.random() < 0.2 else ""
        extra += "    ftg:forecast true ;\n" if rng.random() < 0.1 else ""
        yield (
            f"obs:obs-{a}-{k} a ftg:Observation ;\n"
            f'    rdfs:label "{ind} {a}-{k}"@fr , "{ind} {a}-{k}"@en ;\n'
            f"    ftg:indicator indicator:{ind} ;\n"
            f"    ftg:value {value} ;\n"
            f"    ftg:unit unit:{unit} ;\n"
            f"    ftg:observedEntity organisation:org-{orgs[k % len(orgs)]} ;\n{extra}"
            f'    ftg:refYear "{y}"^^xsd:gYear ;\n'
            f'    ftg:evidence "chiffre {value:g} publié en {y}"@fr .\n\n'
        )
    if a % 10 == 0:
        lab = LABELS[a // 10 % 2]
        yield (
            f"award:award-{a} a ftg:LabelAward ;\n"
            f'    rdfs:label "Label {lab} {a}"@fr , "{lab} label {a}"@en ;\n'
            f"    ftg:awardedLabel label:{lab} ;\n"
            f"    ftg:awardedTo place:territory-{territory} ;\n"
            f"    ftg:awardedBy organisation:org-{orgs[-1]} ;\n"
            f'    ftg:date "{y}-{m:02d}-{d:02d}"^^xsd:date ;\n'
            f'    ftg:validityDuration "P3Y"^^xsd:duration .\n\n'
        )
    if a % 20 == 0:
        progs = [f"programme:prog-{a}-{k}" for k in range(3)]
        yield (
            f"application:app-{a} a ftg:LabelApplication ;\n"
            f'    rdfs:label "Candidature {a}"@fr , "Application {a}"@en ;\n'
            f"    ftg:applicant organisation:org-{orgs[0]} ;\n"
            f"    ftg:forLabel label:{LABELS[a % 2]} ;\n"
            f"    ftg:announcedProgrammeCount 4 ;\n"
            f"    ftg:plannedSite place:site-{site} ;\n"
            f"    ftg:hasProgramme {' , '.join(progs)} .\n\n"
        )
        for k, prog in enumerate(progs):
            pilot = orgs[k % len(orgs)]
            yield (
                f"{prog} a ftg:AcceleratorProgramme ;\n"
                f'    rdfs:label "Programme {a}-{k}"@fr , "Programme {a}-{k}"@en ;\n'
                f"    ftg:pilotedBy organisation:org-{pilot} ;\n"
                f"    ftg:sector sector:{SECTORS[(a + k) % len(SECTORS)]} .\n\n"
            )
    yield "}\n\n"


def articles_for(target: int) -> int:
    """Number of synthetic articles giving about ``target`` stated triples."""
    return max(5, round(target / TRIPLES_PER_ARTICLE))


def generate(scale: str, seed: int = 42, out: Path = OUT, force: bool = False) -> Path:
    """Write the root for ``scale`` (idempotent: reuses it if the manifest matches)."""
    target = SCALES[scale]
    root = out / scale / "root"
    manifest = root / "bench-manifest.json"
    want: dict[str, Any] = {
        "scale": scale,
        "seed": seed,
        "articles": articles_for(target),
        "generator": 3,
    }
    if not force and manifest.exists():
        have = json.loads(manifest.read_text())
        if {k: have.get(k) for k in want} == want:
            return root
    if root.exists():
        shutil.rmtree(root)
    (root / "data").mkdir(parents=True)
    for d in ("ontology", "shapes", "queries"):
        os.symlink(REPO / d, root / d)
    for f in sorted((REPO / "data").glob("*.trig")):
        shutil.copy(f, root / "data" / f.name)
    sizes = Sizes(want["articles"])
    rng = random.Random(seed)
    started = time.monotonic()
    nbytes = 0
    for start in range(0, sizes.articles, ARTICLES_PER_FILE):
        path = root / "data" / f"synthetic-{start // ARTICLES_PER_FILE:03d}.trig"
        with path.open("w", encoding="utf-8") as fh:
            fh.write(PREFIXES)
            for a in range(start, min(sizes.articles, start + ARTICLES_PER_FILE)):
                for part in _article(a, sizes, rng):
                    fh.write(part)
        nbytes += path.stat().st_size
    want["bytes"] = nbytes
    want["seconds"] = round(time.monotonic() - started, 2)
    manifest.write_text(json.dumps(want, indent=2) + "\n")
    return root


def count_triples(root: Path) -> int:
    """Stated quads in the synthetic files (parses them: for reports, not for the hot path)."""
    import pyoxigraph as ox

    return sum(
        sum(1 for _ in ox.parse(path=str(p), format=ox.RdfFormat.TRIG))
        for p in sorted((root / "data").glob("synthetic-*.trig"))
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", choices=sorted(SCALES), default="10k")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--force", action="store_true", help="rewrite even if present")
    ap.add_argument("--count", action="store_true", help="parse the output and count triples")
    args = ap.parse_args(argv)
    root = generate(args.scale, args.seed, args.out, args.force)
    info = json.loads((root / "bench-manifest.json").read_text())
    if args.count:
        info["triples"] = count_triples(root)
    json.dump({"root": str(root), **info}, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
