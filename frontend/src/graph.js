// The /graph page: who is linked to whom (organisations, people, places, accelerator
// programmes, and the events, projects and application that tie them), from live SPARQL
// results, laid out by a small force simulation and drawn as SVG.
import { h, localHref, select, showError, svg, val } from "./common.js";

const FTG = "https://w3id.org/ftgraph/ontology/";
const PREFIXES = `PREFIX ftg: <${FTG}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
`;

// Most specific kind first: an Accelerator is also an Organisation, a Site also a Place.
const KINDS = [
  ["Accelerator", "Accelerator", true],
  ["Organisation", "Organisation", true],
  ["Person", "Person", true],
  ["AcceleratorProgramme", "Accelerator programme", true],
  ["Site", "Site", true],
  ["Territory", "Territory", true],
  ["Place", "Other place", true],
  ["Event", "Event", true],
  ["Project", "Project", true],
  ["LabelApplication", "Label application", true],
];

const NODES_QUERY = `${PREFIXES}
SELECT ?node ?type ?label WHERE {
  VALUES ?type { ${KINDS.map(([k]) => "ftg:" + k).join(" ")} }
  ?node a ?type .
  OPTIONAL { ?node rdfs:label ?en FILTER (LANG(?en) = "en") }
  OPTIONAL { ?node rdfs:label ?fr FILTER (LANG(?fr) = "fr") }
  BIND (COALESCE(?en, ?fr, STR(?node)) AS ?label)
}`;

const EDGES_QUERY = `${PREFIXES}
SELECT DISTINCT ?s ?p ?o ?relation WHERE {
  VALUES ?p {
    ftg:memberOf ftg:location ftg:withinPlace ftg:pilotedBy ftg:applicant ftg:hasProgramme
    ftg:plannedSite ftg:carriedBy ftg:launchedBy ftg:plannedLocation ftg:organiser
    ftg:participant ftg:partOfEvent ftg:plansMissionTo ftg:prizeAt
  }
  ?s ?p ?o .
  OPTIONAL { ?p rdfs:label ?relation FILTER (LANG(?relation) = "en") }
}`;

/** Nodes (one kind each) and undirected, de-duplicated links between them. */
function buildGraph(nodeRows, edgeRows) {
  const rank = new Map(KINDS.map(([k], i) => [FTG + k, i]));
  const nodes = new Map();
  for (const row of nodeRows) {
    const iri = val(row, "node");
    const kind = rank.get(val(row, "type"));
    const node = nodes.get(iri);
    if (!node) nodes.set(iri, { iri, label: val(row, "label"), kind, links: [] });
    else if (kind < node.kind) node.kind = kind;
  }
  const links = new Map();
  for (const row of edgeRows) {
    const [s, o] = [nodes.get(val(row, "s")), nodes.get(val(row, "o"))];
    if (!s || !o || s === o) continue;
    const key = [s.iri, o.iri].sort().join(" ");
    const relation = val(row, "relation") || val(row, "p").slice(FTG.length);
    const link = links.get(key);
    if (link) link.relations.add(relation);
    else links.set(key, { source: s, target: o, relations: new Set([relation]) });
  }
  for (const link of links.values()) {
    link.source.links.push(link);
    link.target.links.push(link);
  }
  return { nodes: [...nodes.values()], links: [...links.values()] };
}

/**
 * Force layout: every pair repels, links pull to a rest length, a weak pull keeps components
 * near the centre. O(n²) per step is nothing for a hundred nodes, and the start positions are
 * fixed (a spiral by index), so the same data always gives the same picture.
 */
function layout(nodes, links, steps = 400) {
  nodes.forEach((n, i) => {
    const angle = i * 2.399963; // golden angle
    const radius = 12 * Math.sqrt(i + 1);
    n.x = radius * Math.cos(angle);
    n.y = radius * Math.sin(angle);
  });
  for (let step = 0; step < steps; step++) {
    const cool = 1 - step / steps;
    for (const n of nodes) n.fx = n.fy = 0;
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) {
        const a = nodes[i];
        const b = nodes[j];
        let dx = a.x - b.x;
        let dy = a.y - b.y;
        const d2 = Math.max(dx * dx + dy * dy, 1);
        const f = 2000 / d2;
        dx *= f / Math.sqrt(d2);
        dy *= f / Math.sqrt(d2);
        a.fx += dx;
        a.fy += dy;
        b.fx -= dx;
        b.fy -= dy;
      }
    }
    for (const { source: a, target: b } of links) {
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const d = Math.max(Math.hypot(dx, dy), 0.01);
      const f = 0.05 * (d - 60);
      a.fx += (f * dx) / d;
      a.fy += (f * dy) / d;
      b.fx -= (f * dx) / d;
      b.fy -= (f * dy) / d;
    }
    for (const n of nodes) {
      n.fx -= 0.008 * n.x;
      n.fy -= 0.008 * n.y;
      const move = Math.hypot(n.fx, n.fy);
      const limit = 12 * cool + 0.5;
      const scale = move > limit ? limit / move : 1;
      n.x += n.fx * scale;
      n.y += n.fy * scale;
    }
  }
}

/** Labels on the drawing stay short; the full name is in the tooltip and the side panel. */
function short(label) {
  const text = label.replace(/^Accelerator programme piloted by /, "Programme · ");
  return text.length > 26 ? text.slice(0, 25).trimEnd() + "…" : text;
}

function details(panel, node) {
  const neighbours = node.links
    .map((link) => ({ other: link.source === node ? link.target : link.source, link }))
    .sort((a, b) => a.other.label.localeCompare(b.other.label));
  panel.replaceChildren(
    h("h2", {}, h("a", { href: localHref(node.iri) }, node.label)),
    h("p", { class: "muted" }, `${KINDS[node.kind][1]} · ${neighbours.length} link${neighbours.length === 1 ? "" : "s"}`),
    h(
      "ul",
      {},
      neighbours.map(({ other, link }) =>
        h("li", {}, h("a", { href: localHref(other.iri) }, other.label), h("span", { class: "muted" }, ` — ${[...link.relations].join(", ")}`)),
      ),
    ),
  );
}

function draw(container, graph, visibleKinds) {
  const nodes = graph.nodes.filter((n) => visibleKinds.has(n.kind));
  const shown = new Set(nodes);
  const links = graph.links.filter((l) => shown.has(l.source) && shown.has(l.target));
  const degree = new Map(nodes.map((n) => [n, 0]));
  for (const l of links) {
    degree.set(l.source, degree.get(l.source) + 1);
    degree.set(l.target, degree.get(l.target) + 1);
  }
  const connected = nodes.filter((n) => degree.get(n) > 0);
  layout(connected, links);

  const pad = 60;
  const xs = connected.map((n) => n.x);
  const ys = connected.map((n) => n.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs) - pad, Math.max(...xs) + pad, Math.min(...ys) - pad / 2, Math.max(...ys) + pad / 2];
  const chart = svg("svg", {
    class: "graph",
    viewBox: `${minX} ${minY} ${maxX - minX} ${maxY - minY}`,
    role: "img",
    "aria-label": `${connected.length} entities and ${links.length} links`,
  });
  const linkLayer = svg("g", { class: "links" });
  const nodeLayer = svg("g", { class: "nodes" });
  chart.append(linkLayer, nodeLayer);
  const panel = document.getElementById("graph-details");

  const lines = links.map((link) => {
    const line = svg(
      "line",
      { x1: link.source.x, y1: link.source.y, x2: link.target.x, y2: link.target.y },
      svg("title", {}, `${link.source.label} — ${[...link.relations].join(", ")} — ${link.target.label}`),
    );
    linkLayer.append(line);
    return { line, link };
  });

  let selected = null;
  const select_ = (node) => {
    selected = selected === node ? null : node;
    chart.classList.toggle("has-selection", !!selected);
    const near = new Set(selected ? [selected, ...selected.links.map((l) => (l.source === selected ? l.target : l.source))] : []);
    for (const { el, node: n } of circles) el.classList.toggle("near", near.has(n));
    for (const { line, link } of lines) line.classList.toggle("near", !!selected && (link.source === selected || link.target === selected));
    if (selected) details(panel, selected);
    else panel.replaceChildren(h("p", { class: "muted" }, "Select a node to see its links."));
  };

  const circles = connected.map((node) => {
    const deg = degree.get(node);
    const r = 4 + 2.2 * Math.sqrt(deg);
    const el = svg(
      "g",
      {
        class: `node kind-${KINDS[node.kind][0]}${deg >= 3 ? " hub" : ""}`,
        transform: `translate(${node.x.toFixed(1)} ${node.y.toFixed(1)})`,
        tabindex: 0,
        role: "button",
        "aria-label": node.label,
        onclick: () => select_(node),
        onkeydown: (e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), select_(node)),
      },
      svg("circle", { r }),
      svg("text", { x: r + 2, y: 3.5 }, short(node.label)),
      svg("title", {}, `${node.label} (${KINDS[node.kind][1]})`),
    );
    nodeLayer.append(el);
    return { el, node };
  });

  container.removeAttribute("aria-busy");
  container.replaceChildren(chart);
  // Where the drawing is wider than the screen (a phone), start from its centre.
  container.scrollLeft = (container.scrollWidth - container.clientWidth) / 2;
  container.scrollTop = (container.scrollHeight - container.clientHeight) / 2;
  container.dataset.nodes = String(connected.length);
  container.dataset.links = String(links.length);
  panel.replaceChildren(h("p", { class: "muted" }, "Select a node to see its links."));
}

async function main() {
  const container = document.getElementById("graph");
  try {
    const [nodeRows, edgeRows] = await Promise.all([select(NODES_QUERY), select(EDGES_QUERY)]);
    const graph = buildGraph(nodeRows, edgeRows);
    const visible = new Set(KINDS.map((k, i) => (k[2] ? i : -1)).filter((i) => i >= 0));
    const legend = document.getElementById("graph-legend");
    legend.replaceChildren(
      ...KINDS.flatMap(([, label, on], i) => {
        const count = graph.nodes.filter((n) => n.kind === i && n.links.length).length;
        if (!count) return [];
        const box = h("input", { type: "checkbox", checked: on, onchange: () => {
          if (box.checked) visible.add(i);
          else visible.delete(i);
          draw(container, graph, visible);
        } });
        return h("label", { class: `legend kind-${KINDS[i][0]}` }, box, h("span", { class: "swatch" }), ` ${label} (${count})`);
      }),
    );
    draw(container, graph, visible);
  } catch (error) {
    showError(container, error);
  }
}

main();
