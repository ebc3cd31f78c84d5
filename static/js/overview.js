// The overview: the traffic rate chart and the event type panel (counts, sparklines,
// include/exclude, type-ahead, grouped by prefix).

import { byId, h } from "./dom.js";
import { count } from "./format.js";

/** A CSS custom property's value (so charts follow the theme). */
function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

// A chart's CSS size is its width and height attributes as written (style.css agrees), read
// before the first draw scales them: reading clientWidth instead forced a layout for every
// sparkline, between the count updates of the type panel.
const cssSizes = new WeakMap();

/** Size a canvas for the device's pixel ratio; returns its 2D context and CSS size. */
function prepareCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  if (!cssSizes.has(canvas)) {
    cssSizes.set(canvas, [Number(canvas.getAttribute("width")), Number(canvas.getAttribute("height"))]);
  }
  const [width, height] = cssSizes.get(canvas);
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height };
}

/** Draw the rate chart: all traffic, the filter's share, and invalid messages. */
export function drawRate(canvas, overview) {
  const { ctx, width, height } = prepareCanvas(canvas);
  const rate = overview.rate;
  const max = Math.max(1, ...rate.map((b) => b.count));
  const step = width / rate.length;
  const bar = Math.max(1, step - 1);
  const colours = { all: cssVar("--chart-all"), matching: cssVar("--accent"), bad: cssVar("--bad") };
  rate.forEach((b, i) => {
    const x = i * step;
    const scale = (n) => (n / max) * (height - 2);
    ctx.fillStyle = colours.all;
    ctx.fillRect(x, height - scale(b.count), bar, scale(b.count));
    ctx.fillStyle = colours.matching;
    ctx.fillRect(x, height - scale(b.matching), bar, scale(b.matching));
    if (b.invalid) {
      ctx.fillStyle = colours.bad;
      ctx.fillRect(x, height - scale(b.invalid), bar, Math.max(1, scale(b.invalid)));
    }
  });
  // The server's: it knows since when it counted (0 from a replica that predates it).
  const perSecond = overview.perSecond ?? 0;
  const invalid = rate.reduce((n, b) => n + b.invalid, 0);
  byId("rate-now").textContent = `${perSecond.toFixed(1)} msg/s`;
  const bad = byId("rate-invalid");
  bad.textContent = invalid ? `${count(invalid)} invalid` : "";
  bad.hidden = !invalid;
  canvas.setAttribute("aria-label", `Message rate over the last ${rate.length * overview.bucketSeconds / 60} minutes: `
    + `${perSecond.toFixed(1)} per second now, ${invalid} invalid`);
}

/** Describe the bucket under the pointer. */
export function rateTitle(canvas, overview, clientX) {
  const box = canvas.getBoundingClientRect();
  const i = Math.floor(((clientX - box.left) / box.width) * overview.rate.length);
  const b = overview.rate[Math.min(overview.rate.length - 1, Math.max(0, i))];
  const start = new Date((overview.startEpoch + i * overview.bucketSeconds) * 1000);
  return `${start.toLocaleTimeString()}: ${b.count} messages, ${b.matching} matching, ${b.invalid} invalid`;
}

function drawSpark(canvas, values, colour) {
  const { ctx, width, height } = prepareCanvas(canvas);
  const max = Math.max(1, ...values);
  const step = width / values.length;
  ctx.fillStyle = colour;
  values.forEach((v, i) => {
    if (!v) return;
    const bar = Math.max(1, (v / max) * height);
    ctx.fillRect(i * step, height - bar, Math.max(1, step - 0.5), bar);
  });
}

function groupOf(eventType) {
  if (!eventType) return "(no event type)";
  const dot = eventType.indexOf(".");
  return dot > 0 ? eventType.slice(0, dot) : "(ungrouped)";
}

/** The event type panel. `onChange(include, exclude)` when the user changes either. */
export class TypePanel {
  constructor({ onChange }) {
    this.onChange = onChange;
    this.list = byId("type-list");
    this.search = byId("type-search");
    this.types = [];
    this.include = [];
    this.exclude = [];
    this.key = "";
    this.search.addEventListener("input", () => this.applySearch());
    this.search.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      const first = this.list.querySelector(".type-row:not([hidden])");
      if (first) this.toggle(first.dataset.type, event.shiftKey ? "exclude" : "include");
    });
    this.list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button) this.toggle(button.dataset.type, button.dataset.action);
    });
  }

  setFilter(include, exclude) {
    this.include = include;
    this.exclude = exclude;
    this.render();
  }

  update(types) {
    this.types = types;
    this.render();
  }

  toggle(type, action) {
    const include = new Set(this.include);
    const exclude = new Set(this.exclude);
    const [mine, other] = action === "include" ? [include, exclude] : [exclude, include];
    if (mine.has(type)) mine.delete(type);
    else {
      mine.add(type);
      other.delete(type);
    }
    this.onChange([...include], [...exclude]);
  }

  render() {
    const known = new Map(this.types.map((t) => [t.eventType ?? "", t]));
    for (const t of [...this.include, ...this.exclude]) {
      if (!t.endsWith("*") && !known.has(t)) known.set(t, { eventType: t, count: 0, invalid: 0, unparseable: 0, spark: [] });
    }
    const groups = new Map();
    // Code point order, like the source toggles: localeCompare would set up ICU's collator
    // (tens of ms on a fresh page) for names that are ASCII identifiers.
    for (const [name, t] of [...known.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      const group = groupOf(name);
      if (!groups.has(group)) groups.set(group, []);
      groups.get(group).push([name, t]);
    }
    const key = JSON.stringify([[...known.keys()], this.include, this.exclude]);
    if (key !== this.key) {
      this.key = key;
      this.rebuild(groups);
    }
    const accent = cssVar("--accent"); // once: each read after a change restyles the page
    for (const row of this.list.querySelectorAll(".type-row")) {
      const t = known.get(row.dataset.type);
      if (!t) continue;
      row.querySelector(".count").textContent = count(t.count);
      const bad = (t.invalid || 0) + (t.unparseable || 0);
      const badge = row.querySelector(".bad-count");
      badge.textContent = bad ? count(bad) : "";
      badge.hidden = !bad;
      badge.title = bad ? `${t.invalid || 0} invalid, ${t.unparseable || 0} unparseable` : "";
      row.classList.toggle("has-bad", bad > 0);
      drawSpark(row.querySelector("canvas"), t.spark && t.spark.length ? t.spark : [0], accent);
    }
    for (const head of this.list.querySelectorAll(".type-group")) {
      const members = groups.get(head.dataset.group) || [];
      head.querySelector(".count").textContent = count(members.reduce((n, [, t]) => n + t.count, 0));
    }
    this.applySearch();
  }

  rebuild(groups) {
    const focused = document.activeElement && this.list.contains(document.activeElement)
      ? [document.activeElement.dataset.type, document.activeElement.dataset.action] : null;
    const nodes = [];
    for (const [group, members] of groups) {
      const wildcard = group.startsWith("(") ? null : `${group}.*`;
      nodes.push(h("div", { class: "type-group", role: "listitem", dataset: { group } },
        wildcard ? this.button(wildcard, "include", `${group}.*`, "type-name group-name")
          : h("span", { class: "type-name group-name", text: group }),
        h("span", { class: "count" }),
        wildcard ? this.button(wildcard, "exclude", "⊘", "exclude") : null));
      for (const [name] of members) {
        const label = name === "" ? "(no event type)" : (wildcard ? name.slice(group.length) : name);
        nodes.push(h("div", { class: "type-row", role: "listitem", dataset: { type: name, group } },
          this.button(name, "include", label, "type-name"),
          h("canvas", { class: "spark", width: "40", height: "14", "aria-hidden": "true" }),
          h("span", { class: "bad-count", hidden: true }),
          h("span", { class: "count" }),
          this.button(name, "exclude", "⊘", "exclude")));
      }
    }
    if (!nodes.length) nodes.push(h("p", { class: "muted empty-types", text: "No event types yet." }));
    this.list.replaceChildren(...nodes);
    if (focused) {
      const again = [...this.list.querySelectorAll("button[data-action]")]
        .find((b) => b.dataset.type === focused[0] && b.dataset.action === focused[1]);
      if (again) again.focus();
    }
  }

  button(type, action, text, className) {
    const on = (action === "include" ? this.include : this.exclude).includes(type);
    const shown = type === "" ? "(no event type)" : type;
    return h("button", {
      type: "button", class: `${className}${on ? " on" : ""}`, dataset: { type, action },
      "aria-pressed": String(on), title: action === "include" ? `Show only ${shown} (with other included types)` : `Hide ${shown}`,
      "aria-label": action === "include" ? `Include ${shown}` : `Exclude ${shown}`, text,
    });
  }

  applySearch() {
    const q = this.search.value.trim().toLowerCase();
    const visibleGroups = new Set();
    for (const row of this.list.querySelectorAll(".type-row")) {
      const show = !q || row.dataset.type.toLowerCase().includes(q);
      row.hidden = !show;
      if (show) visibleGroups.add(row.dataset.group);
    }
    for (const head of this.list.querySelectorAll(".type-group")) head.hidden = !visibleGroups.has(head.dataset.group);
  }
}
