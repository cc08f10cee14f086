// Bundles the web UI into ../src/ftgraph/static/ with esbuild (pinned in package-lock.json).
//
// `npm ci && npm run build` is the only way assets are made; the output is git-ignored and
// served by ftgraph.web.ui under /static/. Nothing the pages load may come from another host, so
// YASGUI's built-in remote defaults (a prefix.cc dump, DBpedia/Wikidata endpoints, the LOV
// autocompletion service, links to Triply's docs) are cut out below, and
// tests/ui/test_assets.py checks the result for any remote URL.
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "..", "src", "ftgraph", "static");

// Each patch must match exactly `count` times, so upgrading YASGUI fails the build loudly
// instead of silently shipping a remote default.
const YASGUI_PATCHES = [
  {
    why: "the ~600-entry prefix.cc dump (with spam entries); ftgraph's own prefixes replace it at run time",
    find: /madsrdf = "http:\/\/www\.loc\.gov\/mads\/rdf\/v1#",[^\n]*prefixes_default = \{\n(?:\t(?:\w+|\w+: "[^"\n]*"),?\n)+\}/,
    replace: "prefixes_default = {}",
    count: 1,
  },
  {
    why: "endpoint catalogue: DBpedia and Wikidata (before the next patch, which matches inside it)",
    find: '[{ endpoint: "https://dbpedia.org/sparql" }, { endpoint: "https://query.wikidata.org/bigdata/namespace/wdq/sparql" }]',
    replace: "[]",
    count: 1,
  },
  {
    why: "default endpoint of a new editor: DBpedia",
    find: 'endpoint: "https://dbpedia.org/sparql"',
    replace: 'endpoint: "/sparql"',
    count: 1,
  },
  {
    why: "class/property completion asks lov.linkeddata.es; ours asks the local endpoint instead",
    find: /var fetchFromLov = \(e, t, n\) => \{\n[\s\S]*?\n\}, completers = \[/,
    replace: "var fetchFromLov = () => Promise.resolve([]), completers = [",
    count: 1,
  },
  {
    why: "help buttons link to Triply's online docs; point them at the help section of /query",
    find: /https:\/\/docs\.triply\.cc\/yasgui\/(#\w+)?/g,
    replace: "/query#help",
    count: 3,
  },
  {
    why: "DataTables warnings name datatables.net",
    find: /https:\/\/datatables\.net\/tn\//g,
    replace: "DataTables technical note ",
    count: 2,
  },
  {
    why: "error messages for cross-origin endpoints (unreachable here: the endpoint is pinned) link to MDN and enable-cors.org",
    find: /https?:\/\/(?:enable-cors\.org\/|developer\.mozilla\.org\/en-US\/docs\/Web\/Security\/Same-origin_policy)/g,
    replace: "/query#help",
    count: 3,
  },
];

function countMatches(source, find) {
  if (typeof find === "string") return source.split(find).length - 1;
  const global = new RegExp(find.source, find.flags.includes("g") ? find.flags : find.flags + "g");
  return [...source.matchAll(global)].length;
}

function applyPatches(source, patches, file) {
  for (const p of patches) {
    const n = countMatches(source, p.find);
    if (n !== p.count) {
      throw new Error(`${file}: patch "${p.why}" matched ${n} times, expected ${p.count}`);
    }
    source = typeof p.find === "string" ? source.split(p.find).join(p.replace) : source.replace(p.find, p.replace);
  }
  return source;
}

/** esbuild plugin: apply YASGUI_PATCHES to the YASGUI ES module when it is loaded. */
const offlineYasgui = {
  name: "offline-yasgui",
  setup(build) {
    build.onLoad({ filter: /@zazuko[\\/]yasgui[\\/]build[\\/]yasgui\.esm\.js$/ }, (args) => ({
      contents: applyPatches(readFileSync(args.path, "utf8"), YASGUI_PATCHES, args.path),
      loader: "js",
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const result = await esbuild.build({
  entryPoints: {
    query: join(here, "src", "query.js"),
    timeline: join(here, "src", "timeline.js"),
    graph: join(here, "src", "graph.js"),
    search: join(here, "src", "search.js"),
    site: join(here, "src", "site.css"),
  },
  outdir,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  legalComments: "external",
  charset: "utf8",
  sourcemap: false,
  metafile: true,
  logLevel: "warning",
  plugins: [offlineYasgui],
});

for (const [file, info] of Object.entries(result.metafile.outputs)) {
  console.log(`${file.replace(/^.*src\/ftgraph\//, "src/ftgraph/")}  ${(info.bytes / 1024).toFixed(1)} KiB`);
}

// FastAPI's /docs page loads Swagger UI from a CDN by default; serve the npm copy instead, so the
// API docs work offline too (ftgraph.web.ui serves /docs with these two files).
const swagger = join(here, "node_modules", "swagger-ui-dist");
mkdirSync(join(outdir, "swagger"), { recursive: true });
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
  copyFileSync(join(swagger, file), join(outdir, "swagger", file));
}
