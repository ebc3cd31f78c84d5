// Named filters saved in this browser (localStorage).

import { byId, h, toast } from "./dom.js";

const KEY = "hmpps-events-viewer.saved-filters";

function load() {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(value) ? value.filter((s) => s && typeof s.name === "string" && typeof s.query === "string") : [];
  } catch {
    return [];
  }
}

function store(items) {
  localStorage.setItem(KEY, JSON.stringify(items));
}

/** The saved filters menu. `current()` gives the query to save, `apply(query)` loads one. */
export class SavedFilters {
  constructor({ current, apply }) {
    this.current = current;
    this.apply = apply;
    byId("save-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = byId("save-name");
      const name = input.value.trim();
      if (!name) return;
      const items = load().filter((s) => s.name !== name);
      items.push({ name, query: this.current() });
      items.sort((a, b) => a.name.localeCompare(b.name));
      store(items);
      input.value = "";
      this.render();
      toast(`Saved "${name}"`);
    });
    this.render();
  }

  render() {
    const items = load();
    const list = byId("saved-list");
    if (!items.length) {
      list.replaceChildren(h("li", { class: "muted", text: "No saved filters yet." }));
      return;
    }
    list.replaceChildren(...items.map((s) => h("li", { class: "saved-item" },
      h("button", { type: "button", class: "saved-apply", title: s.query || "(everything)", text: s.name,
        onclick: () => {
          byId("saved").open = false;
          this.apply(s.query);
        } }),
      h("button", { type: "button", class: "saved-delete", "aria-label": `Delete saved filter ${s.name}`, text: "×",
        onclick: () => {
          store(load().filter((x) => x.name !== s.name));
          this.render();
        } }))));
  }
}
