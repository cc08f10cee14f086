// Helpers shared by the query editor, the timeline and the graph view.

/** Persistent namespace of everything ftgraph mints; pages for it are served by this host. */
export const BASE = "https://w3id.org/ftgraph/";

/** Settings the server rendered into the page (`<script type="application/json" id="ftgraph-config">`). */
export function pageConfig() {
  const el = document.getElementById("ftgraph-config");
  return el ? JSON.parse(el.textContent) : {};
}

/** Prefix the app is served under ("" at the root of its host). */
export const ROOT = pageConfig().root || "";

/** The page of an ftgraph IRI on this server (`https://w3id.org/ftgraph/id/x` → `/id/x`). */
export function localHref(iri) {
  return iri.startsWith(BASE) ? `${ROOT}/${iri.slice(BASE.length)}` : iri;
}

/** Run a SELECT on our endpoint and return its bindings (SPARQL 1.1 JSON results). */
export async function select(query) {
  const response = await fetch(pageConfig().endpoint || `${ROOT}/sparql`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Accept: "application/sparql-results+json",
    },
    body: new URLSearchParams({ query }),
  });
  if (!response.ok) throw new Error(`SPARQL endpoint answered ${response.status}: ${await response.text()}`);
  return (await response.json()).results.bindings;
}

/** Value of a binding, or undefined when the variable is unbound. */
export const val = (row, name) => row[name]?.value;

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** `h("a", {href: "/x"}, "text", child)`: a small DOM builder, so pages need no template engine. */
export const h = (tag, attrs = {}, ...children) => build(document.createElement(tag), attrs, children);

/** The same for SVG elements (`svg("circle", {r: 3})`). */
export const svg = (tag, attrs = {}, ...children) =>
  build(document.createElementNS("http://www.w3.org/2000/svg", tag), attrs, children);

/** Show an error where the view would be, instead of an empty page. */
export function showError(container, error) {
  container.removeAttribute("aria-busy");
  container.replaceChildren(h("p", { class: "error", role: "alert" }, `Could not load the data: ${error.message}`));
  console.warn(error);
}
