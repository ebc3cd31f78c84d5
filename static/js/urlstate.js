// All view state lives in the URL, with the REST API's parameter names (plus seq).

export const LIST_KEYS = ["eventType", "excludeEventType", "status", "source", "person"];
export const SCALAR_KEYS = ["q", "since", "until"];

/** An empty filter. */
export function emptyFilter() {
  const f = {};
  for (const k of LIST_KEYS) f[k] = [];
  for (const k of SCALAR_KEYS) f[k] = "";
  return f;
}

/**
 * Read the state from a query string. `excludeEventType=` (empty) records that the user
 * cleared the default hidden types, so they are not re-applied on reload.
 */
export function readState(search, hiddenByDefault = []) {
  const params = new URLSearchParams(search);
  const filter = emptyFilter();
  for (const k of LIST_KEYS) {
    filter[k] = params.getAll(k).filter((v) => v !== "" || k === "eventType");
  }
  for (const k of SCALAR_KEYS) filter[k] = params.get(k) || "";
  if (!params.has("excludeEventType") && hiddenByDefault.length) {
    filter.excludeEventType = [...hiddenByDefault];
  }
  const seq = Number.parseInt(params.get("seq") || "", 10);
  return { filter, seq: Number.isFinite(seq) ? seq : null };
}

/** The query string for a state (filter + open message). */
export function toSearch(state) {
  const params = filterParams(state.filter);
  if (!state.filter.excludeEventType.length) params.set("excludeEventType", "");
  if (state.seq !== null && state.seq !== undefined) params.set("seq", String(state.seq));
  const text = params.toString();
  return text ? `?${text}` : location.pathname;
}

/** The filter as REST query parameters (empty parts left out). */
export function filterParams(filter) {
  const params = new URLSearchParams();
  for (const k of LIST_KEYS) for (const v of filter[k] || []) params.append(k, v);
  for (const k of SCALAR_KEYS) if (filter[k]) params.set(k, filter[k]);
  return params;
}

/** The filter as a subscribe frame's `filter` object. */
export function filterObject(filter) {
  const out = {};
  for (const k of LIST_KEYS) if (filter[k] && filter[k].length) out[k] = [...filter[k]];
  for (const k of SCALAR_KEYS) if (filter[k]) out[k] = filter[k];
  return out;
}

/** Whether two filters ask for the same messages. */
export function sameFilter(a, b) {
  return filterParams(a).toString() === filterParams(b).toString();
}

/** Write the state to the address bar (replace while typing, push for discrete steps). */
export function writeState(state, push = false) {
  const url = toSearch(state);
  if (url === location.search || (url === location.pathname && !location.search)) return;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}
