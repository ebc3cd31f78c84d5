// DOM helpers. Message content only ever reaches the page as text: no innerHTML anywhere.

/** Create an element: h("td", {class: "x", text: "y"}, child, "text child"). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** The element with this id (throws early if the page and script disagree). */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el;
}

/**
 * Set an element's text (and title) only where it changed, changing its one text node in
 * place where it can: each change costs a restyle and a layout, and a burst redraws often.
 */
export function setText(el, text, title = null) {
  const node = el.firstChild;
  if (node && node === el.lastChild && node.nodeType === Node.TEXT_NODE) {
    if (node.data !== text) node.data = text;
  } else if (el.textContent !== text) {
    el.textContent = text;
  }
  if (title !== null && el.title !== title) el.title = title;
}

/** Show or hide an element; setting hidden again, even to the same value, restyles it. */
export function setHidden(el, hidden) {
  if (el.hidden !== hidden) el.hidden = hidden;
}

/** A link only for http(s) URLs; anything else (javascript:, data:) comes back as text. */
export function safeLink(url, text) {
  let parsed = null;
  try {
    parsed = new URL(String(url), location.href);
  } catch {
    parsed = null;
  }
  if (!parsed || !["http:", "https:"].includes(parsed.protocol)) {
    return h("span", { class: "unsafe-url", title: "Not an http(s) link", text: String(text ?? url) });
  }
  return h("a", { href: parsed.href, target: "_blank", rel: "noopener noreferrer", text: String(text ?? url) });
}

/** Copy text to the clipboard, with a fallback for non-secure contexts. */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // fall through to the selection fallback (e.g. permission denied)
    }
  }
  const area = h("textarea", { class: "offscreen", "aria-hidden": "true" });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/** Offer text as a file download. */
export function download(text, filename, type = "application/json") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: filename, class: "offscreen" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A short-lived notice at the bottom of the page. */
export function toast(text) {
  const host = byId("toasts");
  const el = h("div", { class: "toast", role: "status", text });
  host.append(el);
  setTimeout(() => el.remove(), 2500);
}
