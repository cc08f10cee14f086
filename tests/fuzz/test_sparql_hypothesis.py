"""Issue 9, "bad input from clients is 4xx, never 500": hypothesis on ``/sparql`` and the paths.

Requests go over a raw socket to a live server, byte for byte as generated: query strings built
from SPARQL tokens or random text, protocol parameters, methods, bodies, content types and the
``Accept``, ``Host``, ``If-None-Match``, ``Accept-Encoding`` headers. Every answer must be below 500,
or an intended 503 (deadline, overload) that carries ``Retry-After``. Each test collects every
offending request, so one run lists all the distinct failures with a replayable request each.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote_from_bytes

from endpoint.live import LiveServer
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .raw_http import RawRequest, RawResponse, send

FUZZ_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,  # the same examples on every run, so CI is reproducible
    database=None,  # no .hypothesis/ directory in the checkout
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)
"""Bounded in examples (and so in time: most answers take milliseconds); deterministic."""

FUZZ_WORKERS = 2
"""Query workers of the fuzz server (``start_server``'s default)."""

Found = list[tuple[RawRequest, RawResponse]]

# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------

KEYWORDS = [
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "FROM", "FROM NAMED", "GRAPH", "OPTIONAL",
    "UNION", "MINUS", "FILTER", "BIND", "AS", "VALUES", "SERVICE", "SERVICE SILENT", "PREFIX",
    "BASE", "DISTINCT", "REDUCED", "ORDER BY", "GROUP BY", "HAVING", "LIMIT", "OFFSET", "COUNT(*)",
    "EXISTS", "NOT EXISTS", "IN", "UNDEF", "a", "true", "INSERT DATA", "DELETE WHERE", "LOAD",
    "CLEAR ALL", "DROP", "WITH", "select", "wHeRe",
]  # fmt: skip
PUNCTUATION = [
    "{", "}", "(", ")", ".", ";", ",", "[", "]", "^^", "@en", "@", "!", "=", "!=", "<", ">", "&&",
    "||", "+", "-", "*", "/", "|", "^", "?", "$", "#", "# comment\n", "\\", "\n", "\t", "\x00",
]  # fmt: skip
IRIS = [
    "<https://w3id.org/ftgraph/ontology/Organisation>", "<https://w3id.org/ftgraph/id/organisation/voyage-prive>",
    "<http://example.org/>", "<>", "<a b>", "<\x00>", "<%00>", "<../../etc/passwd>",
    "<javascript:alert(1)>", "<http://127.0.0.1:1/sparql>", "<urn:x>", "<http://[::1>", "<\\u0000>",
    "<\\U0010FFFF>", "<\\uD800>", "<http://é.example/ü>", "<file:///etc/passwd>",
]  # fmt: skip
PREFIXED_NAMES = [
    "ftg:Organisation", "rdfs:label", "rdf:type", "xsd:integer", "xsd:dateTime", ":x",
    "undefined:x", "schema:", "_:b0", "[]", "ftg:", "a:b:c", "ex:\\%41", "ex:%zz",
]  # fmt: skip
VARIABLES = ["?s", "?p", "?o", "$o", "?", "?é", "?_", "?1", "?ünïcödé"]
LITERALS = [
    '"a"', "'b'", '"a\\"b"', "'''x\ny'''", '"""z"""', '"\\u0000"', '"\\uD800"', '"\\uDC00\\uD800"',
    '"\\U00110000"', '"\\x"', '"unterminated', '"é"@fr', '"x"@', '"1"^^xsd:integer',
    '"abc"^^xsd:integer', '"2020-13-45"^^xsd:date', '"NaN"^^xsd:double', "1e99999", "-0",
    "99999999999999999999999999", "0.0", ".5", "1.", "+1", "true",
]  # fmt: skip
FUNCTIONS = [
    "STR(", "REGEX(", "REPLACE(", "SUBSTR(", "STRLEN(", "LANG(", "DATATYPE(", "IRI(", "BNODE(",
    "xsd:integer(", "xsd:dateTime(", "CONCAT(", "ENCODE_FOR_URI(", "NOW()", "RAND()", "UUID()",
    "COALESCE(", "IF(", "SHA512(", "YEAR(", "TZ(", "ABS(", "ROUND(", "GROUP_CONCAT(", "SUM(",
]  # fmt: skip
PREFIX_DECLARATIONS = [
    "PREFIX ftg: <https://w3id.org/ftgraph/ontology/>",
    "PREFIX : <http://example.org/>",
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>",
    "BASE <http://example.org/base/>",
    "BASE <a b>",
    "PREFIX x: <\x00>",
]
VALID_QUERIES = [
    "SELECT * WHERE { ?s ?p ?o } LIMIT 3",
    "ASK { ?s ?p ?o }",
    "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3",
    "DESCRIBE <https://w3id.org/ftgraph/id/organisation/voyage-prive>",
    "SELECT * { GRAPH ?g { ?s ?p ?o } } LIMIT 2",
    "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
    'SELECT ?x { BIND("\\u0000\\u0001\\u001F" AS ?x) }',
    'SELECT ?x { BIND(STRDT("x", <a:b>) AS ?x) }',
    'SELECT ?x { BIND(STRLANG("x", "en-Latn-x-private") AS ?x) }',
    'SELECT ?x { BIND(IRI("javascript:alert(1)") AS ?x) }',
    "SELECT (BNODE() AS ?b) (UUID() AS ?u) {}",
    'SELECT ?x { VALUES ?x { "é\\t,\\"\\n" <http://example.org/a,b> 1.5e3 } }',
    'CONSTRUCT { ?s <http://example.org/p> "\\u0000" } WHERE { ?s ?p ?o } LIMIT 2',
    "SELECT * FROM <http://example.org/none> { ?s ?p ?o }",
    "SELECT * FROM NAMED <https://w3id.org/ftgraph/graph/ontology> { GRAPH ?g { ?s ?p ?o } } LIMIT 2",
]
NESTING_DEPTHS = st.one_of(
    st.integers(0, 64), st.sampled_from([100, 500, 1000, 2000, 3000, 4000, 8000])
)
"""Shallow at random, and the depths that crashed pyoxigraph (issue 9, finding 1) or come near."""

BAD_PERCENT = [
    "%", "%0", "%G1", "%%", "%FF", "%C3%28", "%C0%AF", "%ED%A0%80", "%F4%90%80%80", "%E2%82",
    "%00", "%0D%0A", "%u0041", "+", "&", "=", "#", ";", "%2",
]  # fmt: skip
"""Invalid percent-encoding and invalid UTF-8 once decoded (lone surrogates, overlong, truncated)."""

FORMATS = [
    "json", "xml", "csv", "tsv", "turtle", "ttl", "nt", "ntriples", "rdfxml", "json-ld", "jsonld",
    "trig", "nquads", "html", "text/turtle", "application/sparql-results+json", "*/*", "",
    "text/html;q=0", "application/ld+json;profile=x", "\x00", "é", "<script>", "json,xml", "JSON",
    "application/sparql-results+json; charset=latin-1",
]  # fmt: skip
TIMEOUTS = [
    "0", "-1", "0.0001", "1", "2.5", "1e400", "-1e400", "inf", "-inf", "nan", "NaN", "1e-400",
    "abc", "", " 1 ", "0x10", "1_000", "\u0661", "99999999999999999999", "1,5",
]  # fmt: skip
GRAPH_IRIS = [
    "https://w3id.org/ftgraph/graph/ontology", "https://w3id.org/ftgraph/graph/meta",
    "http://example.org/none", "\x00", "a b", "", "urn:x", "g", "_:b", "<http://x>", "http://[::1",
    "http://é.example/", "javascript:alert(1)", "x" * 3000, "http://a/\x00", "http://a/%",
    "https://w3id.org/ftgraph/id/organisation/\ufffd", "http://a/\ud800",
]  # fmt: skip
MEDIA_TYPES = [
    "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
    "text/tab-separated-values", "text/turtle", "application/n-triples", "application/rdf+xml",
    "application/ld+json", "application/json", "application/xml", "text/html", "text/plain",
    "application/trig", "application/n-quads", "*/*", "*", "text/*", "/", "", "application/*",
    "*/json", "image/png",
]  # fmt: skip
MEDIA_PARAMETERS = [
    "q=0", "q=1", "q=0.5", "q=1.5", "q=-1", "q=abc", "q=", "q", "q=0.0001", "q=1e3", "Q=0.9",
    "charset=utf-8", "charset=utf-16", 'profile="x"', 'a="unterminated', "=", ";", "level=1",
]  # fmt: skip
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
CONTENT_TYPES = [
    FORM, FORM + "; charset=utf-8", FORM + "; charset=latin-1", FORM + "; charset=utf-16",
    FORM + ";charset=", DIRECT, DIRECT + "; charset=utf-8", DIRECT + "; charset=iso-8859-1",
    DIRECT + "; charset=bogus", DIRECT + ";;;", "application/sparql-update", "multipart/form-data",
    "multipart/form-data; boundary=x", "text/plain", "application/json", "", "*/*", "application/",
    "\x00", "é/é",
]  # fmt: skip
HOSTS = [
    "a b", "", "é.example", "127.0.0.1:0", "[::1]", "[::1", "localhost:99999", "user@host",
    "host/path", "%00", "a\tb", "..", "-", "x" * 300, "127.0.0.1:8000, evil.example",
    "évil.example:80", "host:port", ":", "[", "a]b",
]  # fmt: skip
ETAGS = ["*", 'W/"x"', '"abc"', '"', ",,,", "W/", '"a", W/"b", *', '"' + "x" * 200 + '"', "\x00"]
ENCODINGS = [
    "gzip", "gzip;q=0", "identity;q=0", "*;q=0", "br, gzip", "deflate", "gzip;q=abc", "",
    "GZIP", "x-gzip", "gzip, gzip, gzip", "*",
]  # fmt: skip
ORIGINS = ["null", "http://evil.example", "", "é", "http://127.0.0.1"]
METHODS = [b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"TRACE", b"get", b"FOO", b"POST ", b"G\x00T"]
SPARQL_TARGETS = [b"/sparql", b"/sparql/", b"//sparql", b"/sparql;x", b"/SPARQL", b"/./sparql"]


def texts(max_size: int = 80) -> st.SearchStrategy[str]:
    """Any text, lone surrogates included (they go on the wire as invalid UTF-8)."""
    return st.text(st.characters(exclude_categories=()), max_size=max_size)


def to_bytes(text: str) -> bytes:
    """UTF-8, with lone surrogates kept as the three bytes they would have been."""
    return text.encode("utf-8", "surrogatepass")


def _one_of_texts(known: list[str], max_size: int = 80) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(known), texts(max_size))


# --------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------


def _nested(kind: str, depth: int) -> str:
    """Deep structures of the kinds that crashed or slowed the engine (issue 9, finding 1)."""
    if kind == "groups":
        return "SELECT * WHERE " + "{" * depth + "}" * depth
    if kind == "unbalanced":
        return "SELECT * WHERE " + "{" * depth
    if kind == "sums":
        return "SELECT (1" + "+1" * depth + " AS ?x) {}"
    if kind == "subselects":
        return "SELECT * WHERE { " * depth + "?s ?p ?o" + " }" * depth
    if kind == "parentheses":
        return "SELECT * { FILTER(" + "(" * depth + "1" + ")" * depth + ") }"
    if kind == "calls":
        return "SELECT * { FILTER(" + "STR(" * depth + "1" + ")" * depth + ") }"
    if kind == "not-exists":
        return "ASK { " + "FILTER NOT EXISTS { " * depth + "}" * depth + " }"
    if kind == "paths":
        return "ASK { ?s " + "(" * depth + "<p>" + ")*" * depth + " ?o }"
    if kind == "blank-nodes":
        return "ASK { ?s <p> " + "[ <p> " * depth + "1" + " ]" * depth + " }"
    if kind == "collections":
        return "ASK { " + "(" * depth + "1" + ")" * depth + " <p> ?o }"
    return "SELECT * { " + "{} UNION " * depth + "{} }"


NESTED_KINDS = [
    "groups", "unbalanced", "sums", "subselects", "parentheses", "calls", "not-exists", "paths",
    "blank-nodes", "collections", "unions",
]  # fmt: skip

TOKENS = st.one_of(
    st.sampled_from(KEYWORDS),
    st.sampled_from(PUNCTUATION),
    st.sampled_from(IRIS),
    st.sampled_from(PREFIXED_NAMES),
    st.sampled_from(VARIABLES),
    st.sampled_from(LITERALS),
    st.sampled_from(FUNCTIONS),
    st.integers(1, 70_000).map(lambda n: "?" + "v" * n),  # very long tokens, past the size limit
    texts(12),
)


def queries() -> st.SearchStrategy[str]:
    """Query strings: token soup, deep nesting, valid queries with noise, random text."""
    soup = st.tuples(
        st.lists(st.sampled_from(PREFIX_DECLARATIONS), max_size=2),
        st.lists(TOKENS, max_size=40),
        st.sampled_from([" ", "", "\n"]),
    ).map(lambda t: t[2].join([*t[0], *t[1]]))
    nested = st.builds(_nested, st.sampled_from(NESTED_KINDS), NESTING_DEPTHS)
    noisy = st.tuples(st.sampled_from(VALID_QUERIES), st.lists(TOKENS, max_size=3)).map(
        lambda t: " ".join([t[0], *t[1]])
    )
    return st.one_of(
        st.sampled_from(VALID_QUERIES), soup, nested, noisy, texts(200), st.just("#" * 70_000)
    )


# --------------------------------------------------------------------------------------------
# Parameters and encodings
# --------------------------------------------------------------------------------------------


@st.composite
def encoded(draw: st.DrawFn, value: str) -> bytes:
    """``value`` percent-encoded, maybe with an invalid escape or a raw byte pushed into it."""
    raw = to_bytes(value)
    how = draw(st.sampled_from(["quote", "quote", "quote", "plus", "bad", "raw"]))
    if how == "raw":
        return raw.replace(b" ", b"+").replace(b"&", b"%26").replace(b"#", b"%23")
    text = quote_from_bytes(raw, safe="" if how != "plus" else " ").replace(" ", "+")
    if how == "bad":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(BAD_PERCENT)) + text[at:]
    return text.encode("ascii")


def parameter_values(name: str) -> st.SearchStrategy[str]:
    """A value of the kind ``name`` takes, or nonsense."""
    if name == "query":
        return queries()
    if name in ("default-graph-uri", "named-graph-uri"):
        return _one_of_texts(GRAPH_IRIS)
    if name == "timeout":
        return st.one_of(
            st.sampled_from(TIMEOUTS),
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.integers().map(str),
        )
    if name in ("format", "output", "results"):
        return _one_of_texts(FORMATS)
    return texts()


PARAMETER_NAMES = [
    "query", "default-graph-uri", "named-graph-uri", "timeout", "format", "output", "results",
    "update", "using-graph-uri", "callback", "Query", "query[]", "",
]  # fmt: skip


@st.composite
def parameter(draw: st.DrawFn, names: list[str]) -> bytes:
    """One ``name=value`` pair, encoded (or a bare name, or a bare ``=value``)."""
    name = draw(st.one_of(st.sampled_from(names), texts(10)))
    value = draw(parameter_values(name))
    shape = draw(st.sampled_from(["pair", "pair", "pair", "pair", "bare", "empty-name"]))
    if shape == "bare":
        return draw(encoded(name))
    if shape == "empty-name":
        return b"=" + draw(encoded(value))
    return draw(encoded(name)) + b"=" + draw(encoded(value))


@st.composite
def query_strings(draw: st.DrawFn, with_query: bool = True) -> bytes:
    """A query string (or form body): zero to two ``query``, then other protocol parameters."""
    pairs: list[bytes] = []
    if with_query:
        for _ in range(draw(st.sampled_from([1, 1, 1, 1, 0, 2]))):
            pairs.append(b"query=" + draw(encoded(draw(queries()))))
    names = PARAMETER_NAMES if with_query else PARAMETER_NAMES[1:]
    pairs += draw(st.lists(parameter(names), max_size=4))
    separator = draw(st.sampled_from([b"&", b"&", b"&", b";", b"&&"]))
    return separator.join(pairs)


# --------------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------------


def header_value(known: list[str]) -> st.SearchStrategy[bytes]:
    """A known tricky value, random text or random bytes; never CR or LF (they end the header)."""
    return st.one_of(
        st.sampled_from(known).map(to_bytes),
        texts(60).map(to_bytes),
        st.binary(max_size=40),
    ).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


def accept_values() -> st.SearchStrategy[bytes]:
    """Media ranges with parameters and q-values, lists of them, garbage, an oversized list."""
    entry = st.tuples(
        st.one_of(
            st.sampled_from(MEDIA_TYPES),
            st.tuples(texts(8), texts(8)).map("/".join),
        ),
        st.lists(st.sampled_from(MEDIA_PARAMETERS), max_size=3),
    ).map(lambda t: ";".join([t[0], *t[1]]))
    listed = st.lists(entry, min_size=1, max_size=8).map(", ".join).map(to_bytes)
    huge = st.sampled_from([20_000, 40_000]).map(lambda n: b"text/csv;q=0.5, " * (n // 16))
    return st.one_of(listed, header_value(MEDIA_TYPES), huge)


@st.composite
def request_headers(draw: st.DrawFn) -> list[tuple[bytes, bytes]]:
    """A random selection of the headers the endpoint reads, and a stranger or two."""
    headers: list[tuple[bytes, bytes]] = []
    if draw(st.booleans()):
        headers.append((b"Accept", draw(accept_values())))
    if draw(st.integers(0, 4)) == 0:
        headers.append((b"Host", draw(header_value(HOSTS))))
    if draw(st.integers(0, 3)) == 0:
        headers.append((b"If-None-Match", draw(header_value(ETAGS))))
    if draw(st.integers(0, 3)) == 0:
        headers.append((b"Accept-Encoding", draw(header_value(ENCODINGS))))
    if draw(st.integers(0, 4)) == 0:  # Origin takes the full middleware stack, not the fast path
        headers.append((b"Origin", draw(header_value(ORIGINS))))
    if draw(st.integers(0, 5)) == 0:
        name = draw(st.sampled_from([b"X-Forwarded-For", b"Forwarded", b"Range", b"Expect", b"X"]))
        headers.append((name, draw(header_value(["", "1.2.3.4", "bytes=0-1", "garbage"]))))
    return draw(st.permutations(headers))


# --------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------


@st.composite
def sparql_requests(draw: st.DrawFn) -> RawRequest:
    """One request to the query operation: GET, HEAD, POST form or direct, or another method."""
    headers = draw(request_headers())
    target = draw(st.sampled_from(SPARQL_TARGETS[:1] * 8 + SPARQL_TARGETS))
    shape = draw(st.sampled_from(["get", "get", "head", "form", "form", "direct", "direct", "odd"]))
    add_host = draw(st.integers(0, 20)) != 0
    if shape in ("get", "head"):
        method = b"GET" if shape == "get" else b"HEAD"
        return RawRequest(
            method, target + b"?" + draw(query_strings()), tuple(headers), b"", add_host
        )
    if shape == "form":
        content_type = draw(header_value(CONTENT_TYPES[:5]))
        body = draw(query_strings())
        if draw(st.integers(0, 3)) == 0:
            target += b"?" + draw(query_strings())
        headers.append((b"Content-Type", content_type))
        return RawRequest(b"POST", target, tuple(headers), body, add_host)
    if shape == "direct":
        content_type = draw(header_value(CONTENT_TYPES[5:10]))
        codec = draw(st.sampled_from(["utf-8", "utf-8", "utf-16", "latin-1", "raw"]))
        query = draw(queries())
        body = (
            to_bytes(query)
            if codec in ("utf-8", "raw")
            else query.encode(codec, errors="surrogatepass" if codec == "utf-16" else "replace")
        )
        params = draw(query_strings(with_query=draw(st.integers(0, 5)) == 0))
        headers.append((b"Content-Type", content_type))
        return RawRequest(
            b"POST", target + (b"?" + params if params else b""), tuple(headers), body, add_host
        )
    method = draw(st.one_of(st.sampled_from(METHODS), st.just(b"POST")))
    headers.append((b"Content-Type", draw(header_value(CONTENT_TYPES))))
    body = draw(st.one_of(st.binary(max_size=200), queries().map(to_bytes)))
    return RawRequest(method, target + b"?" + draw(query_strings()), tuple(headers), body, add_host)


LD_PREFIXES = [
    b"/id/", b"/doc/id/", b"/ontology/", b"/doc/ontology/", b"/graph/", b"/api/queries/", b"/doc/",
    b"/", b"/static/", b"/.well-known/",
]  # fmt: skip
LD_ROUTES = [
    b"/doc/ontology", b"/ontology", b"/dataset", b"/.well-known/void", b"/.well-known/sparql-examples",
    b"/api/queries", b"/health", b"/query", b"/timeline", b"/graph", b"/docs", b"/openapi.json", b"/",
    b"/metrics", b"/api/queries/organisation", b"/api/queries/articles-mentioning-both",
]  # fmt: skip
SEGMENTS = [
    "organisation/voyage-prive", "organisation", "person", "Organisation", "label", "..", ".",
    "%2e%2e", "%00", "%ff", "a%2Fb", "", "x" * 3000, "é", "%C3%A9", "a b", "<script>", "ontology",
    "meta", "index.html", "..%2f..%2fetc%2fpasswd",
]  # fmt: skip
LD_PARAMETERS = [
    "format",
    "format",
    "format",
    "organisation",
    "first",
    "second",
    "timeout",
    "lang",
    "callback",
]


@st.composite
def segment(draw: st.DrawFn) -> bytes:
    """A path segment: a known one as is (some are already encoded) or random text encoded."""
    if draw(st.booleans()):
        return draw(st.sampled_from(SEGMENTS)).encode("utf-8")
    return draw(encoded(draw(texts(30))))


@st.composite
def path_requests(draw: st.DrawFn) -> RawRequest:
    """GET or HEAD on the linked-data and API paths, with random segments, ``?format=``, headers."""
    if draw(st.booleans()):
        path = draw(st.sampled_from(LD_ROUTES))
    else:
        segments = draw(st.lists(segment(), min_size=1, max_size=4))
        path = draw(st.sampled_from(LD_PREFIXES)) + b"/".join(segments)
    params: list[bytes] = []
    for name in draw(st.lists(st.sampled_from(LD_PARAMETERS), max_size=3)):
        value = draw(
            _one_of_texts(FORMATS)
            if name == "format"
            else parameter_values("timeout")
            if name == "timeout"
            else _one_of_texts(
                [*GRAPH_IRIS, "https://w3id.org/ftgraph/id/organisation/voyage-prive"]
            )
        )
        params.append(name.encode() + b"=" + draw(encoded(value)))
    target = path + (b"?" + b"&".join(params) if params else b"")
    method = draw(st.sampled_from([b"GET", b"GET", b"GET", b"HEAD", b"POST", b"DELETE"]))
    headers = draw(request_headers())
    return RawRequest(method, target, tuple(headers), b"", draw(st.integers(0, 20)) != 0)


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def _report(found: Found) -> str:
    """Offending requests grouped by status and first body line, the smallest of each group."""
    groups: dict[tuple[int, str], Found] = {}
    for request, response in found:
        groups.setdefault((response.status, response.first_line), []).append((request, response))
    lines = [f"{len(found)} requests got a 5xx other than an intended 503 (or no answer):"]
    for (status, first), members in sorted(groups.items(), key=lambda g: -len(g[1])):
        request, response = min(members, key=lambda m: len(m[0].target) + len(m[0].body))
        lines.append(
            f"\n[{status}] {first!r} x{len(members)}; retry-after={response.headers.get('retry-after')}"
        )
        lines.append(request.describe())
    return "\n".join(lines)


def _run(port: int, request: RawRequest, found: Found, answered: list[int] | None = None) -> None:
    response = send(port, request)
    if answered is not None:
        answered.append(response.status)
    if response.status == 0 or response.is_server_error:
        found.append((request, response))


def _fuzz(
    strategy: st.SearchStrategy[RawRequest],
    examples: list[RawRequest],
    probe: Callable[[RawRequest], None],
) -> None:
    """Run ``probe`` on the explicit ``examples`` first, then on generated requests."""
    test = given(strategy)(probe)
    for request in reversed(examples):
        test = example(request)(test)
    FUZZ_SETTINGS(test)()


KNOWN_HAZARDS = [
    RawRequest(b"GET", b"/sparql?query=ASK%7B%7D", ((b"Host", b"a b"),)),
    RawRequest(b"GET", b"/sparql?query=ASK%7B%7D&named-graph-uri=%00"),
    RawRequest(b"GET", b"/sparql?query=ASK%7B%7D&default-graph-uri=a%00b"),
    RawRequest(b"GET", b"/sparql?query=ASK%7B%22%FF%C3%28%22%7D"),
]
"""Issue 9, findings 8 and 10: requests that gave a 500 or lost bytes."""

ENGINE_CRASHERS = [_nested("groups", 3000), _nested("sums", 8000), _nested("subselects", 4000)]
"""Issue 9, finding 1: queries that crashed a pyoxigraph worker (run last: they poisoned the pool)."""


def test_sparql_never_answers_a_server_error(fuzz_port: int, fuzz_server: LiveServer) -> None:
    """Issue 9, finding 8 and "bad input is 4xx, never 500": fuzzed /sparql requests never get a 5xx
    but an intended 503 (with ``Retry-After``)."""
    found: Found = []
    answered: list[int] = []
    _fuzz(
        sparql_requests(), KNOWN_HAZARDS, lambda request: _run(fuzz_port, request, found, answered)
    )
    assert answered.count(200) >= 5, f"the fuzzer hardly reached the engine: {sorted(answered)}"
    assert not found, _report(found) + "\n\nserver log tail:\n" + fuzz_server.log_text()[-3000:]


def test_paths_never_answer_a_server_error(fuzz_port: int, fuzz_server: LiveServer) -> None:
    """Issue 9, "bad input is 4xx, never 500": random /id, /doc, /ontology, /graph, /api paths,
    ``?format=`` values and headers never get a 5xx but an intended 503."""
    found: Found = []
    hazards = [
        RawRequest(b"GET", b"/api/queries/organisation?organisation=%00"),
        RawRequest(b"GET", b"/api/queries/organisation?organisation=http://a/%00"),
        RawRequest(b"GET", b"/api/queries/articles-mentioning-both?first=http://a/%25&second=x"),
        RawRequest(b"GET", b"/doc/id/organisation/voyage-prive?format=%00", ((b"Host", b"a b"),)),
        RawRequest(b"GET", b"/doc/ontology?format=%3Cscript%3E"),
    ]
    _fuzz(path_requests(), hazards, lambda request: _run(fuzz_port, request, found))
    assert not found, _report(found) + "\n\nserver log tail:\n" + fuzz_server.log_text()[-3000:]


INVALID_UTF8 = [
    b"\xff",
    b"\xc3\x28",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xe2\x82",
]
"""Not UTF-8: stray, overlong, lone surrogate, past U+10FFFF, truncated."""


def test_invalid_utf8_in_a_query_is_a_400(fuzz_port: int) -> None:
    """Issue 9, finding 10: percent-encoded invalid UTF-8 in a query is refused, not replaced by U+FFFD."""
    answers: list[tuple[RawRequest, RawResponse]] = []

    @settings(FUZZ_SETTINGS, max_examples=20)
    @given(st.sampled_from(INVALID_UTF8), st.booleans(), st.booleans())
    def probe(bad: bytes, before: bool, form: bool) -> None:
        literal = (b"a" if before else b"") + bad + (b"" if before else b"z")
        query = quote_from_bytes(b'SELECT ?x { BIND("' + literal + b'" AS ?x) }').encode()
        request = (
            RawRequest(b"POST", b"/sparql", ((b"Content-Type", FORM.encode()),), b"query=" + query)
            if form
            else RawRequest(b"GET", b"/sparql?query=" + query)
        )
        answers.append((request, send(fuzz_port, request)))

    probe()
    wrong = [(rq, rs) for rq, rs in answers if rs.status != 400]
    assert not wrong, "\n".join(
        f"[{rs.status}] {rs.first_line!r}\n{rq.describe()}" for rq, rs in wrong[:5]
    )


def test_engine_crashers_never_answer_a_server_error(fuzz_port: int) -> None:
    """Issue 9, finding 1: queries that crashed the engine get a 4xx (the pre-parse guard)."""
    found: Found = []
    for query in ENGINE_CRASHERS:
        direct = ((b"Content-Type", DIRECT.encode()),)
        _run(fuzz_port, RawRequest(b"POST", b"/sparql", direct, to_bytes(query)), found)
    assert not found, _report(found)


def test_pool_is_whole_after_fuzzing(fuzz_server: LiveServer) -> None:
    """Issue 9, finding 1: after all that, the workers are all back and idle (none died for good)."""
    assert fuzz_server.idle_workers(FUZZ_WORKERS)
    health = fuzz_server.health()
    assert health["status"] == "ok", health
