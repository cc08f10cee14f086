"""``ftgraph`` console script: validate, build, query, dump, diff, serve.

Exit codes: 0 ok; 1 the data does not conform to the shapes; 2 an input does not parse, the query is
malformed, or the command line is wrong; 3 the store could not be written (disk full, I/O error, no
permission).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ftgraph import __version__
from ftgraph.config import Settings
from ftgraph.graph.progress import progress_for
from ftgraph.graph.sources import InputError
from ftgraph.sparql.local import FORMATS
from ftgraph.store.build import BuildError, StorageError

EXIT_OK = 0
EXIT_NONCONFORMING = 1
EXIT_USAGE = 2
EXIT_STORAGE = 3
"""The build could not write the store; the previous store is unchanged."""


def settings_from_args(args: argparse.Namespace) -> Settings:
    """``FTGRAPH_*`` environment first, then only the flags actually given on the command line."""
    fields = Settings.model_fields
    overrides: dict[str, Any] = {
        k: v for k, v in vars(args).items() if k in fields and v is not None
    }
    return Settings(**overrides)


def _err(message: str) -> None:
    print(f"ftgraph: {message}", file=sys.stderr)


def _stdout_gone() -> None:
    """The reader (e.g. ``head``) went away: not an error of ours; nothing more is written."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


# --- commands ------------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    """Print the report (one line per SHACL result and a summary by default); exit 1 on any violation."""
    from ftgraph.shacl.ci_reports import REPORT_FORMATS, input_error_report
    from ftgraph.shacl.validate import validate_root

    settings = settings_from_args(args)
    render = REPORT_FORMATS.get(settings.validate_format)
    if render is None:
        _err(
            f"validate: unknown --format {settings.validate_format!r}; "
            f"use {', '.join(REPORT_FORMATS)}"
        )
        return EXIT_USAGE
    progress = progress_for("validate")
    try:
        report = validate_root(
            settings.root,
            meta_shacl=args.meta_shacl,
            engine=settings.validate_engine,
            progress=progress,
        )
    except InputError as err:
        progress.abort()
        if settings.validate_format == "text":
            raise
        print(render(input_error_report(err)))
        print(str(err), file=sys.stderr)
        return EXIT_USAGE
    progress.close()
    print(render(report))
    return EXIT_OK if report.conforms else EXIT_NONCONFORMING


def cmd_build(args: argparse.Namespace) -> int:
    """Build the store atomically; unchanged inputs are a no-op unless ``--force``."""
    from ftgraph.store.build import build

    settings = settings_from_args(args)
    progress = progress_for("build")
    try:
        result = build(settings.root, settings.store, force=args.force, progress=progress)
    except BaseException:
        progress.abort()
        raise
    info = result.info
    if result.built:
        print(
            f"built {info.version[:12]}: {info.quads} quads in {info.graphs} graphs "
            f"({result.seconds:.1f}s) -> {settings.store}"
        )
    else:
        print(f"up to date: {info.version[:12]} ({info.quads} quads) at {settings.store}")
    return EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    """Run a query over the union default graph; results go to stdout unchanged."""
    from ftgraph.sparql.local import LocalQueryError, read_query, run_query
    from ftgraph.store.build import ensure_built
    from ftgraph.store.reader import open_read_only

    settings = settings_from_args(args)
    text = read_query(args.query, settings.root)
    ensure_built(settings.root, settings.store)
    store = open_read_only(settings.store)
    out = sys.stdout.buffer
    try:
        run_query(store, text, out, args.format)
        out.flush()
    except LocalQueryError as err:
        _err(f"query: {err}")
        return EXIT_USAGE
    except BrokenPipeError:
        _stdout_gone()
    return EXIT_OK


def cmd_dump(args: argparse.Namespace) -> int:
    """Write one dump of the built store: the build's own file, so the same bytes as ``/dumps/``.

    To a FILE ending in ``.gz`` it is copied as is; otherwise (and to stdout) it is uncompressed.
    A FILE is written whole or not at all.
    """
    import gzip
    import shutil

    from ftgraph.store import dumps
    from ftgraph.store.build import ensure_built
    from ftgraph.store.reader import resolve_version

    dump = dumps.BY_KIND.get(args.dump_format)
    if dump is None:
        _err(f"dump: unknown --format {args.dump_format!r}; use {', '.join(dumps.BY_KIND)}")
        return EXIT_USAGE
    settings = settings_from_args(args)
    ensure_built(settings.root, settings.store)
    source = dumps.path_of(resolve_version(settings.store), dump)
    if source is None:
        _err(
            f"dump: the store at {settings.store} has no dumps (not made by `ftgraph build`, or "
            "before it wrote them); `ftgraph build --force` writes them"
        )
        return EXIT_USAGE
    if args.output is None:
        try:
            with gzip.open(source, "rb") as packed:
                shutil.copyfileobj(packed, sys.stdout.buffer, 1 << 20)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            _stdout_gone()
        return EXIT_OK
    target = Path(args.output)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        if target.name.endswith(".gz"):
            shutil.copyfile(source, tmp)
        else:
            with gzip.open(source, "rb") as packed, open(tmp, "wb") as out:
                shutil.copyfileobj(packed, out, 1 << 20)
        os.replace(tmp, target)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        _err(f"dump: cannot write {target}: {err.strerror or err}")
        return EXIT_STORAGE
    print(f"wrote {target} ({dump.holds})", file=sys.stderr)
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    """Compare the built graphs of two revisions of the inputs (default: HEAD and the working tree).

    Exit 0 whatever the differences; with ``--exit-code``, 1 when there are some (as ``git diff``).
    """
    import tempfile

    from ftgraph.review.diff import diff_roots
    from ftgraph.review.render import RENDERERS
    from ftgraph.review.revisions import RevisionError, resolve

    render = RENDERERS.get(args.diff_format)
    if render is None:
        _err(f"diff: unknown --format {args.diff_format!r}; use {', '.join(RENDERERS)}")
        return EXIT_USAGE
    settings = settings_from_args(args)
    with tempfile.TemporaryDirectory(prefix="ftgraph-diff-") as scratch:
        try:
            a = resolve(args.rev_a or "HEAD", settings.root, Path(scratch))
            b = resolve(args.rev_b, settings.root, Path(scratch))
        except RevisionError as err:
            _err(f"diff: {err}")
            return EXIT_USAGE
        try:
            found = diff_roots(a.root, b.root, a.label, b.label)
        except InputError as err:
            side = a if Path(err.path).is_relative_to(a.root) and a.root != b.root else b
            where = Path(err.path).relative_to(side.root).as_posix()
            _err(f"diff: {side.label}: {where}:{err.line}:{err.column}: {err.message}")
            return EXIT_USAGE
    sys.stdout.write(render(found))
    return EXIT_NONCONFORMING if args.exit_code and found.differences else EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    """Hand over to the HTTP server (which builds the store first on a fresh machine)."""
    from ftgraph.web.server import serve

    serve(settings_from_args(args))
    return EXIT_OK


# --- parser --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Flags default to None so only the ones given override ``FTGRAPH_*`` settings."""
    parser = argparse.ArgumentParser(
        prog="ftgraph",
        description="Aix-Marseille French Tech knowledge graph: validate, build, query, serve.",
        epilog="exit codes: 0 ok; 1 the data does not conform to the shapes; 2 an input does not "
        "parse, a malformed query or command line; 3 the store could not be written (disk full, "
        "I/O error, no permission), the previous store is unchanged",
    )
    parser.add_argument("--version", action="version", version=f"ftgraph {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--root", type=Path, help="checkout holding ontology/ data/ shapes/ (FTGRAPH_ROOT)"
    )
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument("--store", type=Path, help="store symlink path (FTGRAPH_STORE)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", parents=[common], help="check inputs against shapes/")
    p.add_argument("--meta-shacl", action="store_true", help="also validate the shapes themselves")
    p.add_argument(
        "--engine",
        dest="validate_engine",
        choices=["sparql", "pyshacl"],
        help="sparql (SHACL compiled to SPARQL on pyoxigraph, default) or pyshacl, the reference "
        "(FTGRAPH_VALIDATE_ENGINE)",
    )
    p.add_argument(
        "--format",
        dest="validate_format",
        metavar="FORMAT",
        help="text (default), json, sarif (SARIF 2.1.0, for code scanning), junit (JUnit XML) or "
        "github (workflow annotations) (FTGRAPH_VALIDATE_FORMAT)",
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("build", parents=[common, store], help="build the store atomically")
    p.add_argument("--force", action="store_true", help="rebuild even if inputs are unchanged")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("query", parents=[common, store], help="run a SPARQL query")
    p.add_argument("query", help="query text, a .rq file, a name in queries/, or - for stdin")
    p.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        help="json|xml|csv|tsv for SELECT/ASK (default json); ttl|nt|rdf|jsonld (or xml, json) "
        "for CONSTRUCT/DESCRIBE (default ttl)",
    )
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("dump", parents=[common, store], help="write a dump of the built store")
    p.add_argument(
        "--format",
        dest="dump_format",
        required=True,
        metavar="FORMAT",
        help="nq (N-Quads: every graph but the meta graph, and the union), trig (the article "
        "graphs) or ttl (the union default graph)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (gzip if it ends in .gz); default stdout",
    )
    p.set_defaults(func=cmd_dump)

    p = sub.add_parser(
        "diff",
        parents=[common],
        help="what a change to the inputs does to the graph, the named queries and validation",
    )
    p.add_argument(
        "rev_a", nargs="?", metavar="REV_A", help="git revision or folder (default HEAD)"
    )
    p.add_argument(
        "rev_b",
        nargs="?",
        metavar="REV_B",
        help="git revision or folder (default the working tree)",
    )
    p.add_argument(
        "--format",
        dest="diff_format",
        default="text",
        metavar="FORMAT",
        help="text (default), markdown (a pull-request comment) or json",
    )
    p.add_argument(
        "--exit-code", action="store_true", help="exit 1 when there are differences (as git diff)"
    )
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("serve", parents=[common, store], help="serve the SPARQL endpoint")
    p.add_argument("--host", help="FTGRAPH_HOST")
    p.add_argument("--port", type=int, help="FTGRAPH_PORT")
    p.add_argument("--workers", type=int, help="query worker processes (FTGRAPH_WORKERS)")
    p.add_argument(
        "--http-processes",
        type=int,
        help="HTTP server processes, each with its own query workers (FTGRAPH_HTTP_PROCESSES)",
    )
    p.add_argument("--query-timeout", type=float, help="seconds (FTGRAPH_QUERY_TIMEOUT)")
    p.add_argument("--max-query-bytes", type=int, help="FTGRAPH_MAX_QUERY_BYTES")
    p.add_argument("--cors-origins", help="comma-separated, empty disables (FTGRAPH_CORS_ORIGINS)")
    p.add_argument("--service-allow", help="SERVICE endpoints allowed (FTGRAPH_SERVICE_ALLOW)")
    p.add_argument(
        "--result-cache-mb",
        type=float,
        help="memory for recent answers, 0 disables (FTGRAPH_RESULT_CACHE_MB)",
    )
    p.add_argument(
        "--max-header-bytes",
        type=int,
        help="request head bytes, else 431 (FTGRAPH_MAX_HEADER_BYTES)",
    )
    p.add_argument(
        "--header-timeout",
        type=float,
        help="seconds to send a request head (FTGRAPH_HEADER_TIMEOUT)",
    )
    p.add_argument(
        "--keep-alive-timeout",
        type=float,
        help="idle keep-alive seconds (FTGRAPH_KEEP_ALIVE_TIMEOUT)",
    )
    p.add_argument(
        "--worker-memory-mb",
        type=int,
        help="per-worker memory cap, 0 none (FTGRAPH_WORKER_MEMORY_MB)",
    )
    p.add_argument(
        "--client-queries",
        type=int,
        help="concurrent queries per client address (FTGRAPH_CLIENT_QUERIES)",
    )
    p.add_argument(
        "--client-queue",
        type=int,
        help="queries per client waiting, else 429 (FTGRAPH_CLIENT_QUEUE)",
    )
    p.add_argument(
        "--queue-wait",
        type=float,
        help="seconds a query may wait for a worker (FTGRAPH_QUEUE_WAIT)",
    )
    p.add_argument(
        "--drain-seconds", type=float, help="SIGTERM grace for answers (FTGRAPH_DRAIN_SECONDS)"
    )
    p.add_argument(
        "--reload-interval",
        type=float,
        help="seconds between new-build checks (FTGRAPH_RELOAD_INTERVAL)",
    )
    p.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        help="FTGRAPH_LOG_LEVEL",
    )
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except InputError as err:
        print(str(err), file=sys.stderr)
        return EXIT_USAGE
    except BuildError as err:
        # Any command that builds (build, query or serve on first use) reports the same way.
        if err.report is None:
            _err(f"build refused: {err}")
            return EXIT_USAGE
        from ftgraph.shacl.report import format_report

        print(format_report(err.report))
        _err(f"build refused: {err}; the previous store (if any) is left unchanged")
        return EXIT_NONCONFORMING
    except StorageError as err:
        _err(str(err))
        return EXIT_STORAGE
    except ValidationError as err:
        # A malformed FTGRAPH_* variable or flag value.
        _err(f"invalid setting: {err}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
