// The /timeline page: label awards, events, roles (memberships attested on a date) and the
// articles themselves, from a live SPARQL query. A date is drawn as precisely as the article
// gives it: a day is a tick, a month (xsd:gYearMonth) a month-wide bar, a year (xsd:gYear) a
// year-wide bar, an undated article the span its own text implies (ftg:notBefore/notAfter).
import { h, localHref, select, showError, svg, val } from "./common.js";

const QUERY = `PREFIX ftg: <https://w3id.org/ftgraph/ontology/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?kind ?item ?label ?date ?note ?notBefore ?notAfter ?source ?sourceTitle WHERE {
  {
    GRAPH ?source { ?item a ftg:LabelAward . OPTIONAL { ?item ftg:date ?date } }
    BIND ("label" AS ?kind)
  } UNION {
    GRAPH ?source {
      ?item a ftg:Event .
      OPTIONAL { ?item ftg:date ?date }
      OPTIONAL { ?item ftg:dateNote ?note FILTER (LANG(?note) = "en") }
    }
    BIND ("event" AS ?kind)
  } UNION {
    GRAPH ?source {
      ?item a ftg:Membership .
      OPTIONAL { ?item ftg:attestedOn ?date }
      OPTIONAL { ?item ftg:dateNote ?note FILTER (LANG(?note) = "en") }
    }
    BIND ("role" AS ?kind)
  } UNION {
    GRAPH ?source {
      ?item a ftg:SourceDocument .
      OPTIONAL { ?item dcterms:date ?date }
      OPTIONAL { ?item ftg:dateNote ?note FILTER (LANG(?note) = "en") }
      OPTIONAL { ?item ftg:notBefore ?notBefore }
      OPTIONAL { ?item ftg:notAfter ?notAfter }
    }
    BIND ("article" AS ?kind)
  }
  OPTIONAL { ?item rdfs:label ?en FILTER (LANG(?en) = "en") }
  OPTIONAL { ?item rdfs:label ?fr FILTER (LANG(?fr) = "fr") }
  BIND (COALESCE(?en, ?fr, STR(?item)) AS ?label)
  ?source dcterms:title ?sourceTitle .
}`;

const XSD = "http://www.w3.org/2001/XMLSchema#";
const KINDS = {
  label: "Label awarded",
  event: "Event",
  role: "Role held",
  article: "Article",
};
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** Time span of a literal, as precise as its datatype: {start, end, precision, text} or null. */
function span(term) {
  if (!term) return null;
  const { value, datatype } = term;
  let m;
  if (datatype === XSD + "date" && (m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value))) {
    const [y, mo, d] = [+m[1], +m[2] - 1, +m[3]];
    return { start: Date.UTC(y, mo, d), end: Date.UTC(y, mo, d + 1), precision: "day", text: `${d} ${MONTHS[mo]} ${y}` };
  }
  if (datatype === XSD + "gYearMonth" && (m = /^(\d{4})-(\d{2})/.exec(value))) {
    const [y, mo] = [+m[1], +m[2] - 1];
    return { start: Date.UTC(y, mo, 1), end: Date.UTC(y, mo + 1, 1), precision: "month", text: `${MONTHS[mo]} ${y} (no day given)` };
  }
  if (datatype === XSD + "gYear" && (m = /^(\d{4})/.exec(value))) {
    const y = +m[1];
    return { start: Date.UTC(y, 0, 1), end: Date.UTC(y + 1, 0, 1), precision: "year", text: `${y} (no month or day given)` };
  }
  return null;
}

/** Span of an undated article from the bounds its own text implies (open-ended if one is missing). */
function boundsSpan(notBefore, notAfter, axisEnd) {
  const from = span(notBefore);
  const to = span(notAfter);
  if (!from && !to) return null;
  const text = [from && `not before ${from.text}`, to && `not after ${to.text}`].filter(Boolean).join(", ");
  return {
    start: from ? from.start : Date.UTC(2013, 0, 1),
    end: to ? to.end : axisEnd,
    precision: "range",
    openEnd: !to,
    text: `undated: ${text}`,
  };
}

/** One entry per (item, date); the articles that state it are gathered on it. */
function entries(rows) {
  const byKey = new Map();
  for (const row of rows) {
    const item = val(row, "item");
    const key = `${item} ${val(row, "date") ?? ""}`;
    let entry = byKey.get(key);
    if (!entry) {
      entry = {
        kind: val(row, "kind"),
        item,
        label: val(row, "label"),
        date: row.date,
        notBefore: row.notBefore,
        notAfter: row.notAfter,
        notes: new Set(),
        sources: new Map(),
      };
      byKey.set(key, entry);
    }
    if (val(row, "note")) entry.notes.add(val(row, "note"));
    if (entry.kind !== "article") entry.sources.set(val(row, "source"), val(row, "sourceTitle"));
  }
  return [...byKey.values()];
}

function monthStrip(when, year) {
  // A 12-month strip of the entry's year with the covered part filled: the precision at a glance.
  const y0 = Date.UTC(year, 0, 1);
  const y1 = Date.UTC(year + 1, 0, 1);
  const x = (t) => (120 * (Math.min(Math.max(t, y0), y1) - y0)) / (y1 - y0);
  const cells = Array.from({ length: 12 }, (_, i) => svg("rect", { x: i * 10, y: 0, width: 9.2, height: 10, class: "month" }));
  const x0 = x(when.start);
  const width = Math.max(x(when.end) - x0, 2);
  return svg(
    "svg",
    { class: "strip", viewBox: "0 0 120 10", width: 120, height: 10, "aria-hidden": "true" },
    ...cells,
    svg("rect", { x: x0, y: 0, width, height: 10, class: `covered ${when.precision}` }),
  );
}

function itemView(entry, year) {
  const { when } = entry;
  return h(
    "li",
    { class: `tl-item kind-${entry.kind} precision-${when.precision}`, id: `item-${entry.index}` },
    h("div", { class: "tl-when" }, monthStrip(when, year), h("span", {}, when.text)),
    h(
      "div",
      { class: "tl-what" },
      h("span", { class: `badge kind-${entry.kind}` }, KINDS[entry.kind]),
      " ",
      h("a", { href: localHref(entry.item) }, entry.label),
    ),
    ...[...entry.notes].map((note) => h("p", { class: "tl-note" }, note)),
    entry.sources.size
      ? h(
          "p",
          { class: "tl-sources" },
          "Stated by: ",
          ...[...entry.sources].flatMap(([iri, title], i) => [i ? "; " : "", h("a", { href: localHref(iri) }, title)]),
        )
      : null,
  );
}

function overview(dated, firstYear, lastYear) {
  // Lanes of marks over the whole period; identical marks (eight roles attested the same day)
  // are drawn once with a count, so the chart stays readable.
  const lanes = Object.keys(KINDS);
  const left = 78;
  const width = 720;
  const laneHeight = 26;
  const t0 = Date.UTC(firstYear, 0, 1);
  const t1 = Date.UTC(lastYear + 1, 0, 1);
  const x = (t) => left + ((width - left - 8) * (t - t0)) / (t1 - t0);
  const height = 22 + lanes.length * laneHeight;
  const chart = svg("svg", {
    class: "tl-overview",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `Overview ${firstYear}–${lastYear}`,
  });
  for (let y = firstYear; y <= lastYear + 1; y++) {
    chart.append(svg("line", { x1: x(Date.UTC(y, 0, 1)), x2: x(Date.UTC(y, 0, 1)), y1: 16, y2: height, class: "year-line" }));
    if (y <= lastYear) chart.append(svg("text", { x: x(Date.UTC(y, 6, 1)), y: 12, class: "year-label" }, String(y)));
  }
  lanes.forEach((kind, i) => {
    const top = 20 + i * laneHeight;
    chart.append(svg("text", { x: 4, y: top + 16, class: "lane-label" }, KINDS[kind]));
    const groups = new Map();
    for (const entry of dated.filter((e) => e.kind === kind)) {
      const key = `${entry.when.start}-${entry.when.end}`;
      groups.set(key, [...(groups.get(key) || []), entry]);
    }
    for (const group of groups.values()) {
      const { when } = group[0];
      const title = group.map((e) => `${e.label} — ${e.when.text}`).join("\n");
      const target = `#item-${group[0].index}`;
      const mark =
        when.precision === "day"
          ? svg("circle", { cx: x(when.start), cy: top + 11, r: 5, class: `mark kind-${kind}` })
          : svg("rect", {
              x: x(when.start),
              y: top + 5,
              width: Math.max(x(when.end) - x(when.start), 3),
              height: 12,
              rx: 2,
              class: `mark kind-${kind} ${when.precision}${when.openEnd ? " open-end" : ""}`,
            });
      const link = svg("a", { href: target }, mark, svg("title", {}, title));
      if (group.length > 1) {
        link.append(svg("text", { x: x(when.start) + 8, y: top + 15, class: "count" }, `×${group.length}`));
      }
      chart.append(link);
    }
  });
  return chart;
}

async function main() {
  const container = document.getElementById("timeline");
  try {
    const rows = await select(QUERY);
    const all = entries(rows);
    const axisEnd = Date.UTC(2020, 0, 1);
    for (const entry of all) {
      entry.when = span(entry.date) || (entry.kind === "article" ? boundsSpan(entry.notBefore, entry.notAfter, axisEnd) : null);
    }
    const dated = all.filter((e) => e.when).sort((a, b) => a.when.start - b.when.start || a.when.end - b.when.end);
    dated.forEach((entry, i) => (entry.index = i));
    const undated = all.filter((e) => !e.when).sort((a, b) => a.label.localeCompare(b.label));
    const years = dated.map((e) => new Date(e.when.start).getUTCFullYear());
    const firstYear = Math.min(2013, ...years);
    const lastYear = Math.max(2019, ...years);

    const sections = [];
    for (let year = firstYear; year <= lastYear; year++) {
      const items = dated.filter((e) => new Date(e.when.start).getUTCFullYear() === year);
      sections.push(
        h(
          "section",
          { class: "tl-year", id: `year-${year}` },
          h("h2", {}, String(year)),
          items.length ? h("ol", { class: "tl-list" }, items.map((e) => itemView(e, year))) : h("p", { class: "muted" }, "Nothing dated in this year."),
        ),
      );
    }
    if (undated.length) {
      sections.push(
        h(
          "section",
          { class: "tl-year", id: "undated" },
          h("h2", {}, "Not dated by the articles"),
          h(
            "ul",
            { class: "tl-list" },
            undated.map((e) =>
              h(
                "li",
                { class: `tl-item kind-${e.kind} precision-none` },
                h("div", { class: "tl-what" }, h("span", { class: `badge kind-${e.kind}` }, KINDS[e.kind]), " ", h("a", { href: localHref(e.item) }, e.label)),
                ...[...e.notes].map((note) => h("p", { class: "tl-note" }, note)),
              ),
            ),
          ),
        ),
      );
    }
    container.removeAttribute("aria-busy");
    container.replaceChildren(h("div", { class: "tl-overview-wrap" }, overview(dated, firstYear, lastYear)), ...sections);
    container.dataset.items = String(dated.length);
  } catch (error) {
    showError(container, error);
  }
}

main();
