// The live view: wires the stream, the list, the filters, the detail and the overview.

import { Detail } from "./js/detail.js";
import { byId, h, setHidden, setText } from "./js/dom.js";
import { count } from "./js/format.js";
import { bindKeys } from "./js/keys.js";
import { VirtualList } from "./js/list.js";
import { CAPACITY, Model } from "./js/model.js";
import { drawRate, rateTitle, TypePanel } from "./js/overview.js";
import { SavedFilters } from "./js/saved.js";
import { Stream } from "./js/stream.js";
import { bindTheme } from "./js/theme.js";
import { emptyFilter, filterObject, filterParams, readState, sameFilter, toSearch, writeState } from "./js/urlstate.js";

const STATUSES = [["valid", "valid"], ["invalid", "invalid"], ["specFault", "spec fault"], ["unknown", "unknown"], ["unparseable", "unparseable"]];
const WINDOWS = { "5m": 5, "15m": 15, "1h": 60, "6h": 360, "24h": 1440 };
const OVERVIEW_EVERY = 5000;
const OVERVIEW_FIRST = 1000; // ms: the first overview waits for the first rows, or this long
const PAGE = 500; // messages the page holds after a reset, and each scroll to the end adds

const app = {
  config: { hideEventTypes: [], sources: [] },
  state: { filter: emptyFilter(), seq: null },
  model: new Model(),
  inbox: [],
  flushing: false,
  flushDue: 0, // when the waiting redraw runs
  flushTimer: 0,
  flushFrame: 0,
  lastFlush: 0,
  follow: true,
  loadingOlder: false,
  generation: 0, // bumped by every fresh reset: an older page fetched before it is stale
  overview: null,
  overviewTimer: 0,
};

// -- the list -----------------------------------------------------------------------------

const list = new VirtualList(byId("list"), byId("list-canvas"), {
  onOpen: (m) => openMessage(m.seq),
  onPerson: (value) => setFilter({ person: [value] }, true),
  onNearEnd: () => loadOlder(),
  onUserScroll: (atTop) => setFollow(atTop, false),
});

// Redraw at most ten times a second (nobody reads faster). Once a redraw would take in ten
// rows or more, redraw twice as often instead: a redraw costs about 5 ms plus 0.35 ms a new
// row of main-thread time, and on a busy machine a task's wall time is its CPU time over
// the share of a core it gets, so smaller redraws stay under 50 ms where big ones do not.
const FLUSH_EVERY = 100; // ms
const FLUSH_BURST = 50; // ms, with BURST_ROWS or more waiting
const BURST_ROWS = 10;

function scheduleFlush() {
  const now = performance.now();
  // rAF batches to one paint per frame; a hidden tab gets no frames, so use a timer there
  const due = document.hidden ? now + 500
    : app.lastFlush + (app.inbox.length >= BURST_ROWS ? FLUSH_BURST : FLUSH_EVERY);
  if (app.flushing && app.flushDue <= due) return;
  cancelFlush(); // a burst moves the waiting redraw earlier
  app.flushing = true;
  app.flushDue = due;
  const wait = Math.max(0, due - now);
  const inFrame = () => { app.flushFrame = requestAnimationFrame(flush); };
  if (document.hidden) app.flushTimer = setTimeout(flush, wait);
  else if (wait > 4) app.flushTimer = setTimeout(inFrame, wait);
  else inFrame();
}

/** Drop the waiting redraw, whether it waits on its timer or already on a frame. */
function cancelFlush() {
  clearTimeout(app.flushTimer);
  cancelAnimationFrame(app.flushFrame);
}

function flush() {
  app.flushing = false;
  cancelFlush();
  app.lastFlush = performance.now();
  const batch = app.inbox;
  app.inbox = [];
  const added = app.model.add(batch);
  if (!app.model.paused && added) list.setItems(app.model.items, added, app.follow);
  updateCounts();
}

function redraw() {
  list.setItems(app.model.items, 0, app.follow);
  updateCounts();
}

function updateCounts() {
  const { model } = app;
  setText(byId("count"), `${count(model.items.length)} shown · ${count(model.total)} matching`);
  const waiting = model.pending.length;
  const pill = byId("new-count");
  setHidden(pill, !model.paused);
  setText(pill, `${count(waiting)} new`);
  const title = model.paused && waiting ? `(${count(waiting)} new) HMPPS domain events` : "HMPPS domain events";
  if (document.title !== title) document.title = title;
  const rows = String(model.items.length + 1);
  if (byId("list").getAttribute("aria-rowcount") !== rows) byId("list").setAttribute("aria-rowcount", rows);
  const empty = byId("empty");
  setHidden(empty, model.items.length > 0);
  if (!model.items.length) {
    empty.textContent = model.paused && waiting ? `Paused: ${waiting} new messages wait.`
      : app.cleared ? "Cleared. New messages will appear here." : "No messages match this filter yet. Waiting for traffic…";
  }
}

/** Let the browser paint and handle input before the next piece of work. */
function yieldToMain() {
  if (globalThis.scheduler && scheduler.yield) return scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Page older matches in over REST, up to `limit` of them, below what the list holds. */
async function loadOlder(limit = PAGE) {
  const { model } = app;
  if (app.loadingOlder || model.paused || !model.items.length) return;
  if (model.items.length >= model.total || model.items.length >= CAPACITY) return;
  app.loadingOlder = true;
  const generation = app.generation;
  const params = filterParams(app.state.filter);
  params.set("before", String(model.items[model.items.length - 1].seq));
  params.set("limit", String(limit));
  try {
    const response = await fetch(`/api/messages?${params}`);
    if (response.ok) {
      const data = await response.json();
      // Parsing a page of 500 is one task; taking it in and drawing it is the next one.
      await yieldToMain();
      if (generation !== app.generation) return; // a reset came meanwhile: this page is stale
      if (model.appendOlder(data.messages)) list.setItems(model.items, 0, false);
      if (!data.messages.length) model.total = model.items.length;
      updateCounts();
    }
  } finally {
    app.loadingOlder = false;
    if (generation !== app.generation) fillPage();
  }
}

/** After a reset with the first screenful, fetch the rest of the first page. */
function fillPage() {
  const missing = PAGE - app.model.items.length;
  if (missing > 0) loadOlder(missing);
}

// -- the stream ---------------------------------------------------------------------------

const stream = new Stream({
  lastSeq: () => app.model.lastSeq(),
  onReset: (payload, resumed) => {
    if (!stream.refused) showError("");
    if (resumed) {
      app.inbox.push(...payload.messages);
      scheduleFlush();
      return;
    }
    app.inbox = [];
    app.cleared = false;
    app.generation += 1;
    app.model.reset(payload.messages, payload.total);
    list.scrollTo(0);
    redraw();
    // The reset carries a screenful or so (a small frame draws sooner); the rest of the
    // first page, and the overview, come once these rows are on screen.
    requestAnimationFrame(() => setTimeout(() => {
      fillPage();
      if (!app.overview) refreshOverview();
    }, 0));
  },
  onAdd: (m) => {
    app.inbox.push(m);
    scheduleFlush();
  },
  onRevalidated: (payload) => {
    flush();
    app.model.revalidated(payload);
    redraw();
    if (detail.isOpen && payload.messages.some((m) => m.seq === detail.seq)) detail.open(detail.seq);
  },
  onState: (state, detailInfo) => showConnection(state, detailInfo),
  onError: (message) => showError(message),
});

function showConnection(state, info) {
  const el = byId("connection");
  el.dataset.state = state;
  let text = "Live";
  if (state === "connecting") text = "Connecting…";
  else if (state === "catching up") text = "Catching up…";
  else if (state === "reconnecting") {
    text = typeof info === "number" ? `Disconnected: retrying in ${(info / 1000).toFixed(1)} s` : "Reconnecting…";
  }
  el.textContent = text;
  el.title = state === "reconnecting" ? "Click to retry now" : `Connection: ${state}`;
}

function showError(message) {
  const el = byId("filter-error");
  el.textContent = message;
  el.hidden = !message;
}

// -- filters and the URL ------------------------------------------------------------------

/** Change part of the filter, then resubscribe and record the state in the URL. */
function setFilter(changes, push = false) {
  const next = { ...app.state.filter, ...changes };
  if (sameFilter(next, app.state.filter) && next.excludeEventType.length === app.state.filter.excludeEventType.length) return;
  app.state.filter = next;
  applyFilter(push);
}

function applyFilter(push) {
  writeState(app.state, push);
  drawFilters();
  stream.setFilter(filterObject(app.state.filter));
  refreshOverview();
}

function drawFilters() {
  const f = app.state.filter;
  const q = byId("f-q");
  if (document.activeElement !== q) q.value = f.q;
  const person = byId("f-person");
  if (document.activeElement !== person) person.value = f.person.join(" ");
  for (const button of byId("f-status").querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(f.status.includes(button.dataset.value)));
  }
  drawSources();
  byId("f-since").value = toLocalInput(f.since);
  byId("f-until").value = toLocalInput(f.until);
  const windowSelect = byId("f-window");
  if (!f.since && !f.until) windowSelect.value = "";
  else if (!Object.keys(WINDOWS).includes(windowSelect.value)) windowSelect.value = "custom";
  byId("custom-window").hidden = windowSelect.value !== "custom";
  types.setFilter(f.eventType, f.excludeEventType);
  drawActive();
  const params = filterParams(f).toString();
  for (const format of ["json", "ndjson", "csv"]) {
    byId(`export-${format}`).href = `/api/export?format=${format}${params ? `&${params}` : ""}`;
  }
}

function drawActive() {
  const f = app.state.filter;
  const chips = [];
  const chip = (label, value, changes, cls = "") => chips.push(h("span", { class: `active-chip ${cls}` },
    h("span", { class: "active-label", text: label }), value,
    h("button", { type: "button", class: "remove", "aria-label": `Remove ${label} ${value}`, text: "×",
      onclick: () => setFilter(changes(), true) })));
  for (const t of f.eventType) chip("type", t || "(no event type)", () => ({ eventType: f.eventType.filter((x) => x !== t) }));
  for (const t of f.excludeEventType) {
    chip("hide", t, () => ({ excludeEventType: f.excludeEventType.filter((x) => x !== t) }), "exclude");
  }
  for (const p of f.person) chip("person", p, () => ({ person: f.person.filter((x) => x !== p) }));
  for (const s of f.status) chip("status", STATUSES.find(([v]) => v === s)?.[1] ?? s, () => ({ status: f.status.filter((x) => x !== s) }));
  for (const s of f.source) chip("source", s, () => ({ source: f.source.filter((x) => x !== s) }));
  if (f.q) chip("text", f.q, () => ({ q: "" }));
  if (f.since) chip("since", new Date(f.since).toLocaleString(), () => ({ since: "" }));
  if (f.until) chip("until", new Date(f.until).toLocaleString(), () => ({ until: "" }));
  if (chips.length) {
    chips.push(h("button", { type: "button", class: "link-button", text: "Reset filters",
      onclick: () => {
        app.state.filter = { ...emptyFilter(), excludeEventType: [...app.config.hideEventTypes] };
        applyFilter(true);
      } }));
  }
  byId("active-filters").replaceChildren(...chips);
}

/** Source toggles: configured queues, sources seen lately, and any in the filter. */
function drawSources() {
  const f = app.state.filter;
  const seen = app.overview ? app.overview.sources || [] : [];
  const sources = [...new Set([...app.config.sources, ...seen, ...f.source])].sort();
  const host = byId("f-source");
  if (sources.join("\n") !== app.drawnSources) {
    app.drawnSources = sources.join("\n");
    host.replaceChildren(...sources.map((s) => h("button", { type: "button", class: "toggle", dataset: { value: s }, text: s })));
  }
  for (const b of host.querySelectorAll("button")) b.setAttribute("aria-pressed", String(f.source.includes(b.dataset.value)));
  byId("f-source-group").hidden = sources.length < 2 && !f.source.length;
}

function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(Number.isNaN(Number(iso)) ? iso : Number(iso) * 1000);
  if (Number.isNaN(d.getTime())) return "";
  const local = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}

function fromLocalInput(value) {
  if (!value) return "";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}

function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

function bindFilters() {
  byId("f-q").addEventListener("input", debounce(() => setFilter({ q: byId("f-q").value.trim() }), 250));
  byId("f-person").addEventListener("input", debounce(() => {
    setFilter({ person: byId("f-person").value.split(/[\s,]+/).filter(Boolean) });
  }, 250));
  byId("f-status").append(...STATUSES.map(([value, label]) => h("button", {
    type: "button", class: `toggle st-${label.replace(" ", "-")}`, dataset: { value }, "aria-pressed": "false", text: label,
  })));
  const toggler = (key) => (event) => {
    const button = event.target.closest("button[data-value]");
    if (!button) return;
    const current = app.state.filter[key];
    const value = button.dataset.value;
    setFilter({ [key]: current.includes(value) ? current.filter((x) => x !== value) : [...current, value] }, true);
  };
  byId("f-status").addEventListener("click", toggler("status"));
  byId("f-source").addEventListener("click", toggler("source"));
  byId("f-window").addEventListener("change", () => {
    const value = byId("f-window").value;
    byId("custom-window").hidden = value !== "custom";
    if (value === "custom") return;
    const minutes = WINDOWS[value];
    setFilter({ since: minutes ? new Date(Date.now() - minutes * 60_000).toISOString() : "", until: "" }, true);
  });
  for (const id of ["f-since", "f-until"]) {
    byId(id).addEventListener("change", () => setFilter({
      since: fromLocalInput(byId("f-since").value), until: fromLocalInput(byId("f-until").value) }, true));
  }
}

const types = new TypePanel({
  onChange: (include, exclude) => setFilter({ eventType: include, excludeEventType: exclude }, true),
});

// -- the detail view ----------------------------------------------------------------------

const detail = new Detail({
  onClose: () => closeMessage(),
  onPerson: (value) => setFilter({ person: [value] }, true),
});

function openMessage(seq, push = true) {
  list.openSeq = seq;
  list.select(seq);
  app.state.seq = seq;
  writeState(app.state, push);
  detail.open(seq, app.model.bySeq.get(seq) || null);
}

function closeMessage() {
  list.openSeq = null;
  list.schedule();
  detail.close();
  app.state.seq = null;
  writeState(app.state, true);
  byId("list").focus();
}

// -- controls -----------------------------------------------------------------------------

function setPaused(paused) {
  app.model.setPaused(paused);
  const button = byId("pause");
  button.setAttribute("aria-pressed", String(paused));
  button.textContent = paused ? "Resume" : "Pause";
  if (!paused) {
    app.follow = app.follow || list.viewport.scrollTop < 1;
    redraw();
    fillPage(); // a reset that came while paused holds only its first screenful
  }
  updateCounts();
}

function setFollow(follow, scroll = true) {
  if (app.follow === follow) return;
  app.follow = follow;
  byId("follow").setAttribute("aria-pressed", String(follow));
  if (follow && scroll) list.scrollTo(0);
}

function bindControls() {
  byId("pause").addEventListener("click", () => setPaused(!app.model.paused));
  byId("new-count").addEventListener("click", () => setPaused(false));
  byId("follow").addEventListener("click", () => setFollow(!app.follow));
  byId("clear").addEventListener("click", () => {
    flush();
    app.model.clear();
    app.cleared = true;
    redraw();
  });
  byId("connection").addEventListener("click", () => stream.retryNow());
  const chart = byId("rate-chart");
  chart.addEventListener("mousemove", (event) => {
    if (app.overview) chart.title = rateTitle(chart, app.overview, event.clientX);
  });
}

// -- the overview -------------------------------------------------------------------------

async function refreshOverview() {
  clearTimeout(app.overviewTimer);
  try {
    const response = await fetch(`/api/overview?${filterParams(app.state.filter)}`);
    if (response.ok) {
      app.overview = await response.json();
      drawRate(byId("rate-chart"), app.overview);
      drawSources();
      types.update(app.overview.types);
    }
  } catch {
    // the connection state already says the server is away
  } finally {
    clearTimeout(app.overviewTimer); // two refreshes in flight must not start two timers
    app.overviewTimer = setTimeout(refreshOverview, OVERVIEW_EVERY);
  }
}

// -- start --------------------------------------------------------------------------------

/** The server's settings: written into the page (as /api/config answers), else fetched. */
async function loadConfig() {
  try {
    const inline = document.body.dataset.config;
    if (inline) return JSON.parse(inline);
    const response = await fetch("/api/config");
    if (response.ok) return await response.json();
  } catch {
    // defaults: nothing hidden, no known sources
  }
  return {};
}

async function start() {
  app.config = { ...app.config, ...(await loadConfig()) };
  app.state = readState(location.search, app.config.hideEventTypes || []);
  bindFilters();
  bindControls();
  bindTheme(byId("theme"));
  new SavedFilters({
    current: () => {
      const params = filterParams(app.state.filter);
      if (!app.state.filter.excludeEventType.length) params.set("excludeEventType", "");
      return params.toString();
    },
    apply: (query) => loadState(query ? `?${query}` : "?excludeEventType=", true),
  });
  bindKeys({
    list, detail, stream,
    focusSearch: () => byId("f-q").focus(),
    togglePause: () => setPaused(!app.model.paused),
    open: (m) => openMessage(m.seq),
    close: () => closeMessage(),
  });
  window.addEventListener("popstate", () => loadState(location.search, false));
  const redrawCharts = () => app.overview && (drawRate(byId("rate-chart"), app.overview), types.update(app.overview.types));
  window.addEventListener("themechange", redrawCharts);
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redrawCharts);
  drawFilters();
  stream.filter = filterObject(app.state.filter);
  stream.connect();
  app.overviewTimer = setTimeout(refreshOverview, OVERVIEW_FIRST);
  if (app.state.seq !== null) openMessage(app.state.seq, false);
  updateCounts();
}

/** Load a whole state from a query string (back/forward, saved filters). */
function loadState(search, push) {
  const next = readState(search, app.config.hideEventTypes || []);
  const filterChanged = !sameFilter(next.filter, app.state.filter);
  app.state = { filter: next.filter, seq: next.seq };
  if (push) history.pushState(null, "", toSearch(app.state));
  drawFilters();
  if (filterChanged) {
    stream.setFilter(filterObject(app.state.filter));
    refreshOverview();
  }
  if (next.seq === null && detail.isOpen) {
    list.openSeq = null;
    detail.close();
  } else if (next.seq !== null && next.seq !== detail.seq) {
    list.openSeq = next.seq;
    detail.open(next.seq, app.model.bySeq.get(next.seq) || null);
  }
}

window.viewerApp = app; // for debugging in the console and for the browser tests
start();
