// Pretty, syntax-highlighted JSON built from DOM nodes straight from the raw text, so key
// order, duplicate keys and big numbers show exactly as published. Every value node
// carries its RFC 6901 pointer in data-pointer.

import { h } from "./dom.js";
import { escapeToken, parentPointer } from "./format.js";

const MAX_DEPTH = 400;
export const MAX_RENDER = 400_000; // characters; larger bodies are shown as plain text

class Reader {
  constructor(text) {
    this.s = text;
    this.i = 0;
  }

  ws() {
    const s = this.s;
    while (this.i < s.length && " \t\n\r".includes(s[this.i])) this.i += 1;
  }

  string() {
    const s = this.s;
    const start = this.i;
    this.i += 1;
    while (this.i < s.length && s[this.i] !== '"') this.i += s[this.i] === "\\" ? 2 : 1;
    this.i += 1;
    return s.slice(start, this.i);
  }

  scalar() {
    const s = this.s;
    const start = this.i;
    while (this.i < s.length && !",]} \t\n\r".includes(s[this.i])) this.i += 1;
    return s.slice(start, this.i);
  }
}

function scalarNode(token, pointer) {
  let kind = "num";
  if (token.startsWith('"')) kind = "str";
  else if (token === "true" || token === "false") kind = "bool";
  else if (token === "null") kind = "null";
  return h("span", { class: `j-${kind} j-value`, dataset: { pointer }, text: token });
}

function value(r, pointer, depth) {
  if (depth > MAX_DEPTH) throw new RangeError("too deeply nested to draw");
  r.ws();
  const c = r.s[r.i];
  if (c === "{" || c === "[") return container(r, pointer, depth, c === "{");
  if (c === '"') return scalarNode(r.string(), pointer);
  return scalarNode(r.scalar(), pointer);
}

function container(r, pointer, depth, isObject) {
  const [open, close] = isObject ? ["{", "}"] : ["[", "]"];
  const node = h("span", { class: `j-container j-value ${isObject ? "j-object" : "j-array"}`, dataset: { pointer } });
  const toggle = h("button", { type: "button", class: "j-toggle", "aria-label": "Collapse", "aria-expanded": "true" });
  const head = h("span", { class: "j-open" }, toggle, h("span", { class: "j-punct", text: open }));
  const body = h("div", { class: "j-children" });
  r.i += 1;
  r.ws();
  let count = 0;
  while (r.i < r.s.length && r.s[r.i] !== close) {
    const line = h("div", { class: "j-member" });
    let childPointer;
    if (isObject) {
      const keyToken = r.string();
      let key = keyToken.slice(1, -1);
      try {
        key = JSON.parse(keyToken);
      } catch {
        // keep the literal text
      }
      childPointer = `${pointer}/${escapeToken(key)}`;
      line.append(h("span", { class: "j-key", text: keyToken }), h("span", { class: "j-punct", text: ": " }));
      r.ws();
      r.i += 1; // the colon
    } else {
      childPointer = `${pointer}/${count}`;
    }
    line.dataset.pointer = childPointer;
    line.append(value(r, childPointer, depth + 1));
    count += 1;
    r.ws();
    if (r.s[r.i] === ",") {
      line.append(h("span", { class: "j-punct", text: "," }));
      r.i += 1;
      r.ws();
    }
    body.append(line);
  }
  r.i += 1;
  const summary = h("span", { class: "j-summary", text: isObject ? ` ${count} keys ` : ` ${count} items ` });
  toggle.addEventListener("click", () => {
    const collapsed = node.classList.toggle("collapsed");
    toggle.setAttribute("aria-expanded", String(!collapsed));
    toggle.setAttribute("aria-label", collapsed ? "Expand" : "Collapse");
  });
  if (!count) {
    toggle.hidden = true;
    node.append(head, h("span", { class: "j-punct", text: close }));
  } else {
    node.append(head, summary, body, h("span", { class: "j-punct j-close", text: close }));
  }
  return node;
}

/** Draw strict JSON text as a tree; throws RangeError when it is too deep to draw. */
export function renderJson(raw) {
  const r = new Reader(raw);
  const root = h("div", { class: "json", dataset: { pointer: "" } });
  const line = h("div", { class: "j-member j-root", dataset: { pointer: "" } });
  line.append(value(r, "", 0));
  root.append(line);
  return root;
}

/**
 * Mark each error at its pointer; a pointer with no node (a missing member) marks the
 * nearest parent that exists. Returns pointer -> the line element marked.
 */
export function markErrors(root, errors) {
  const lines = new Map();
  for (const line of root.querySelectorAll(".j-member")) lines.set(line.dataset.pointer, line);
  const marked = new Map();
  errors.forEach((error, index) => {
    let pointer = error.pointer ?? "";
    let missing = false;
    while (pointer !== null && !lines.has(pointer)) {
      pointer = parentPointer(pointer);
      missing = true;
    }
    const line = lines.get(pointer ?? "");
    if (!line) return;
    line.classList.add("j-error");
    if (error.specFault) line.classList.add("j-spec-fault");
    marked.set(index, line);
    const text = (missing ? `missing ${error.pointer}: ` : "") + error.message;
    // the envelope and the spec often say the same thing at the same place: say it once
    const said = line.dataset.notes ? JSON.parse(line.dataset.notes) : [];
    if (said.includes(text)) return;
    line.dataset.notes = JSON.stringify([...said, text]);
    const note = h("span", { class: `j-note${error.specFault ? " spec-fault" : ""}`, text });
    const valueNode = line.querySelector(":scope > .j-value");
    const anchor = valueNode && valueNode.classList.contains("j-container")
      ? valueNode.querySelector(":scope > .j-open") : null;
    if (anchor) anchor.after(note);
    else line.append(note);
  });
  return marked;
}
