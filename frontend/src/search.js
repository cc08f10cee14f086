// Suggestions under the search box of the page header (every page loads this script).
//
// As you type (debounced), /api/search gives the best names; each suggestion shows the label, the
// kind and the number of articles. Arrow keys move through them, Enter opens the highlighted
// entity's page (or, with none highlighted, submits the form to the results page), Escape closes.
// Without JavaScript the box is a plain form that opens /search. ARIA: the combobox pattern.

const DEBOUNCE_MS = 150;
const LIMIT = 8;

function setup(form) {
  const input = form.querySelector('input[name="q"]');
  if (!input) return;
  // The form's action is "<root>/search": the prefix the app is served under, on any page.
  const root = new URL(form.action, window.location.href).pathname.replace(/\/search$/, "");
  const list = document.createElement("ul");
  list.id = "site-search-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  form.append(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  let timer = 0;
  let active = -1;
  let results = [];
  let asked = 0;

  const close = () => {
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
    results = [];
  };

  const highlight = (index) => {
    const items = list.querySelectorAll('[role="option"]');
    items.forEach((item, i) => item.setAttribute("aria-selected", String(i === index)));
    active = index;
    if (index >= 0) input.setAttribute("aria-activedescendant", items[index].id);
    else input.removeAttribute("aria-activedescendant");
  };

  const show = (hits) => {
    results = hits;
    list.replaceChildren(
      ...hits.map((hit, i) => {
        const item = document.createElement("li");
        item.id = `site-search-option-${i}`;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dataset.href = hit.page || hit.iri;
        const label = document.createElement("span");
        label.className = "label";
        label.textContent = hit.label;
        const meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = `${hit.kind} · ${hit.articles} article${hit.articles === 1 ? "" : "s"}`;
        item.append(label, " ", meta);
        item.addEventListener("mousedown", (event) => {
          event.preventDefault(); // keep the focus in the box
          window.location.assign(item.dataset.href);
        });
        return item;
      }),
    );
    list.hidden = hits.length === 0;
    input.setAttribute("aria-expanded", String(hits.length > 0));
    active = -1;
  };

  const suggest = async () => {
    const q = input.value.trim();
    if (!q) return close();
    const ticket = ++asked;
    try {
      const response = await fetch(`${root}/api/search?${new URLSearchParams({ q, limit: String(LIMIT) })}`);
      if (!response.ok || ticket !== asked) return;
      show((await response.json()).results);
    } catch (error) {
      console.warn(error);
    }
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, DEBOUNCE_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && results.length) {
      event.preventDefault();
      highlight((active + 1) % results.length);
    } else if (event.key === "ArrowUp" && results.length) {
      event.preventDefault();
      highlight(active <= 0 ? results.length - 1 : active - 1);
    } else if (event.key === "Escape") {
      close();
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      window.location.assign(list.children[active].dataset.href);
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
}

for (const form of document.querySelectorAll("form.site-search")) setup(form);
