// Formatting shared by the list and the detail view.

// Times and counts are formatted by hand, not with Intl: the first Intl formatter a page
// makes costs 30-100 ms of ICU set-up (measured in headless Chromium), and it was made
// while the modules loaded, on the way to the first rows.
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad(n, width = 2) {
  return String(n).padStart(width, "0");
}

/** Local time of day, 24-hour with milliseconds (with the date when not today). */
export function localTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  const now = new Date();
  const today = d.getDate() === now.getDate() && d.getMonth() === now.getMonth() && d.getFullYear() === now.getFullYear();
  return today ? time : `${d.getDate()} ${MONTHS[d.getMonth()]} ${time}`;
}

/** A whole number with its thousands grouped: 10,000. */
export function count(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** The same time in UTC, for hovers. */
export function utcTitle(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : `${d.toISOString()} (UTC)`;
}

/** The badge a message shows: valid, invalid, spec fault, unknown or unparseable. */
export function statusOf(m) {
  const v = m.validation || {};
  if (v.status === "invalid" && v.specFault) return "spec fault";
  return v.status || "unknown";
}

/** CSS class for a status. */
export function statusClass(status) {
  return "st-" + status.replace(/\s+/g, "-");
}

/** A one-line summary: the description, else key fields, else the start of the raw text. */
export function summaryOf(m) {
  const body = m.body;
  if (body && typeof body === "object" && !Array.isArray(body)) {
    if (typeof body.description === "string" && body.description.trim()) {
      return body.description.trim().slice(0, 300);
    }
    const info = body.additionalInformation;
    if (info && typeof info === "object") {
      const parts = [];
      for (const [k, v] of Object.entries(info)) {
        if (v === null || typeof v !== "object") parts.push(`${k}=${v}`);
        if (parts.length >= 4) break;
      }
      if (parts.length) return parts.join("  ");
    }
  }
  if (m.parseError) return `unparseable: ${m.parseError}`;
  return String(m.raw ?? "").replace(/\s+/g, " ").slice(0, 200);
}

/** Bytes as a short human size. */
export function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/** A duration in ms, signed, in the most readable unit. */
export function duration(ms) {
  const sign = ms < 0 ? "−" : "";
  const a = Math.abs(ms);
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(2)} s`;
  if (a < 3_600_000) return `${sign}${(a / 60_000).toFixed(1)} min`;
  return `${sign}${(a / 3_600_000).toFixed(1)} h`;
}

/** One RFC 6901 reference token. */
export function escapeToken(key) {
  return String(key).replaceAll("~", "~0").replaceAll("/", "~1");
}

/** The parent of a JSON pointer ("" has none: null). */
export function parentPointer(pointer) {
  if (!pointer) return null;
  return pointer.slice(0, pointer.lastIndexOf("/"));
}
