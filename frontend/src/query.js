// The /query page: YASGUI wired to our endpoint only, our prefixes, local completion,
// named queries as examples, links from result IRIs to their pages, and download links.
import Yasgui from "@zazuko/yasgui";
import "@zazuko/yasgui/build/yasgui.min.css";
import { BASE, ROOT, h, pageConfig, select } from "./common.js";

const config = pageConfig();
const ENDPOINT = new URL(config.endpoint || `${ROOT}/sparql`, window.location.href).href;
const PREFIXES = config.prefixes || {};
const { Yasqe, Yasr } = Yasgui;

// Prefix completion ("PREFIX ftg<Ctrl-Space>", or typing "org:" adds the declaration) offers
// the prefixes of this dataset instead of a list fetched from prefix.cc.
Yasqe.Autocompleters.prefixes.get = () =>
  Promise.resolve(Object.entries(PREFIXES).map(([p, ns]) => `${p}: <${ns}>`).sort());

// Class and property completion offers the terms this graph uses, most used first, from the
// VoID partitions the build counted (one small read of the meta graph, not a scan of the data).
const META = "https://w3id.org/ftgraph/graph/meta";
const counts = new Map(); // IRI -> how many instances (classes) or triples (properties) VoID counted
async function termsInData(partition, count, token) {
  const start = JSON.stringify(token?.autocompletionString || "");
  const rows = await select(
    `PREFIX void: <http://rdfs.org/ns/void#> SELECT ?t ?n WHERE { GRAPH <${META}> { ` +
      `?part void:${partition} ?t ; void:${count} ?n } FILTER (isIRI(?t) && STRSTARTS(STR(?t), ${start})) } ` +
      "ORDER BY DESC(?n) ?t LIMIT 100",
  );
  for (const row of rows) counts.set(row.t.value, Number(row.n.value));
  return rows.map((row) => row.t.value);
}
/** Each suggestion shows its count: "ftg:evidence   64". */
function withCounts(yasqe, hints) {
  const prefixes = yasqe.getPrefixesFromQuery();
  return hints.map((hint) => {
    const text = hint.text;
    const colon = text.indexOf(":");
    const iri = text.startsWith("<") ? text.slice(1, -1) : (prefixes[text.slice(0, colon)] || "") + text.slice(colon + 1);
    const n = counts.get(iri);
    return n === undefined ? hint : { ...hint, displayText: `${text}   ${n.toLocaleString("en")}` };
  });
}
Yasqe.Autocompleters.class.get = (_yasqe, token) => termsInData("class", "distinctSubjects", token);
Yasqe.Autocompleters.property.get = (_yasqe, token) => termsInData("property", "triples", token);
Yasqe.Autocompleters.class.postprocessHints = withCounts;
Yasqe.Autocompleters.property.postprocessHints = withCounts;

// Entities by name (Ctrl-Space on a plain word, where a subject or an object goes): the search
// API of this server; the IRI is inserted with its prefix, and the prefix declared if it is not.
const BY_LENGTH = Object.entries(PREFIXES).sort((a, b) => b[1].length - a[1].length);
function compact(iri) {
  for (const [prefix, ns] of BY_LENGTH) {
    const local = iri.slice(ns.length);
    if (iri.startsWith(ns) && /^[\w-]+$/.test(local)) return [prefix, ns, `${prefix}:${local}`];
  }
  return [null, null, `<${iri}>`];
}

Yasqe.registerAutocompleter({
  name: "entities",
  bulk: false,
  autoShow: false,
  isValidCompletionPosition: (yasqe) => {
    const token = yasqe.getCompleteToken();
    const word = token.string.trim();
    if (!/^[\p{L}\p{N}][\p{L}\p{N}_-]*$/u.test(word) || /^(a|filter|optional|graph|union|minus|bind|values|service)$/i.test(word)) return false;
    // Only inside a graph pattern ("{" before the cursor), never where a prefix is being declared.
    const cursor = yasqe.getDoc().getCursor();
    const before = yasqe.getDoc().getRange({ line: 0, ch: 0 }, cursor);
    const previous = yasqe.getPreviousNonWsToken(cursor.line, token).string.toUpperCase();
    return before.includes("{") && previous !== "PREFIX" && previous !== "BASE";
  },
  get: async (_yasqe, token) => {
    const response = await fetch(`${ROOT}/api/search?${new URLSearchParams({ q: token.string.trim(), limit: "20" })}`);
    return response.ok ? (await response.json()).results.map((hit) => hit.iri) : [];
  },
  postProcessSuggestion: (_yasqe, _token, iri) => compact(iri)[2],
  // Declaring the prefix happens when a suggestion is picked, not while the list is built.
  postprocessHints: (yasqe, hints) =>
    hints.map((hint) => ({
      ...hint,
      hint: (cm, data, completion) => {
        cm.replaceRange(completion.text, completion.from || data.from, completion.to || data.to);
        const prefix = completion.text.startsWith("<") ? null : completion.text.split(":")[0];
        if (prefix && PREFIXES[prefix] && !(prefix in yasqe.getPrefixesFromQuery())) {
          yasqe.addPrefixes({ [prefix]: PREFIXES[prefix] });
        }
      },
    })),
});

// Result IRIs under https://w3id.org/ftgraph/ link to this server's pages (/id/…, /ontology/…).
const table = Yasr.plugins.table.prototype;
const iriLink = table.getUriLinkFromBinding;
table.getUriLinkFromBinding = function (binding, prefixes) {
  const html = iriLink.call(this, binding, prefixes);
  if (!binding.value.startsWith(BASE)) return html;
  // The markup went through DOMPurify, which may have changed the quotes: match either.
  return html
    .replace(/href=(["'])https:\/\/w3id\.org\/ftgraph\//g, `href=$1${ROOT}/`)
    .replace(/target=(["'])_blank\1/, "target=$1_self$1");
};

const examples = new Map((config.examples || []).map((q) => [q.name, q]));

const yasgui = new Yasgui(document.getElementById("yasgui"), {
  // A function makes the endpoint static: every tab, old or new, queries this server.
  requestConfig: { endpoint: () => ENDPOINT, method: "POST" },
  endpointCatalogueOptions: { getData: () => [{ endpoint: ENDPOINT }], keys: [] },
  copyEndpointOnNewTab: false,
  persistenceId: "ftgraph",
  tabName: "Query",
  yasqe: {
    value: config.defaultQuery || "SELECT * WHERE { ?s ?p ?o } LIMIT 10",
    autocompleters: ["prefixes", "variables", "class", "property", "entities"],
    prefixCcApi: null,
    editorHeight: "260px",
  },
  // Longest namespace first: YASR shortens with the first that matches (organisation:x, not ftgid:organisation/x).
  yasr: { prefixes: Object.fromEntries(Object.entries(PREFIXES).sort((a, b) => b[1].length - a[1].length)), defaultPlugin: "table" },
});

/** Open a named query in its own tab (or the tab already holding it) and run it. */
function runExample(name) {
  const example = examples.get(name);
  if (!example) return;
  const existing = Object.values(yasgui._tabs).find((tab) => tab.getName() === example.title);
  const tab = existing || yasgui.addTab(true, { name: example.title, yasqe: { value: example.query } });
  if (existing) {
    yasgui.selectTabId(existing.getId());
    tab.setQuery(example.query);
  }
  updateDownloads();
  tab.query().catch(() => {});
  document.getElementById("yasgui").scrollIntoView({ block: "start", behavior: "smooth" });
}

for (const button of document.querySelectorAll("[data-example]")) {
  button.addEventListener("click", () => runExample(button.dataset.example));
}

// Download links: the same query as a plain GET on /sparql, in each format the endpoint has.
const FORMATS = {
  SELECT: [["json", "JSON"], ["xml", "XML"], ["csv", "CSV"], ["tsv", "TSV"]],
  ASK: [["json", "JSON"], ["xml", "XML"]],
  CONSTRUCT: [["turtle", "Turtle"], ["nt", "N-Triples"], ["rdfxml", "RDF/XML"], ["json-ld", "JSON-LD"]],
};
FORMATS.DESCRIBE = FORMATS.CONSTRUCT;
const EXTENSIONS = { json: "srj", xml: "srx", csv: "csv", tsv: "tsv", turtle: "ttl", nt: "nt", rdfxml: "rdf", "json-ld": "jsonld" };

function updateDownloads() {
  const bar = document.getElementById("downloads");
  const yasqe = yasgui.getTab()?.getYasqe();
  if (!bar || !yasqe) return;
  const type = yasqe.getQueryType();
  const formats = FORMATS[type];
  if (!formats) {
    bar.replaceChildren(h("span", {}, "Downloads appear once the query parses."));
    return;
  }
  const query = yasqe.getValue();
  const isGraph = type === "CONSTRUCT" || type === "DESCRIBE";
  bar.replaceChildren(
    h("span", {}, `Download the ${isGraph ? "graph" : "results"}:`),
    ...formats.map(([token, label]) =>
      h(
        "a",
        {
          href: `${new URL(ENDPOINT).pathname}?${new URLSearchParams({ query, format: token })}`,
          download: `ftgraph-results.${EXTENSIONS[token]}`,
          "data-format": token,
        },
        label,
      ),
    ),
  );
}

let pending = 0;
yasgui.on("tabChange", () => {
  clearTimeout(pending);
  pending = setTimeout(updateDownloads, 150);
});
yasgui.on("tabSelect", () => setTimeout(updateDownloads, 0));
updateDownloads();

window.ftgraphYasgui = yasgui; // for the browser tests and for people poking at the console
