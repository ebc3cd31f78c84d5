// One message: body with errors at their pointers, envelope, raw text, spec, timings.

import { byId, copyText, download, h, safeLink, toast } from "./dom.js";
import { duration, localTime, size, statusClass, statusOf, utcTitle } from "./format.js";
import { MAX_RENDER, markErrors, renderJson } from "./jsonview.js";

const TABS = ["body", "envelope", "raw", "spec", "timings"];
const SPEC_FAULT_TEXT = "spec fault: fix the spec, not the publisher";

export class Detail {
  constructor({ onClose, onPerson }) {
    this.root = byId("detail");
    this.handlers = { onClose, onPerson };
    this.message = null;
    this.seq = null;
    this.tab = "body";
    this.specs = null;
    for (const name of TABS) byId(`tab-${name}`).addEventListener("click", () => this.showTab(name));
    byId("detail-tabs").addEventListener("keydown", (event) => this.tabKeys(event));
    byId("detail-close").addEventListener("click", () => this.handlers.onClose());
    byId("copy-body").addEventListener("click", () => this.copyBody());
    byId("copy-validate").addEventListener("click", () => this.copyValidate());
    byId("download").addEventListener("click", () => this.download());
    byId("copy-link").addEventListener("click", async () => {
      toast((await copyText(location.href)) ? "Link copied" : "Copy failed");
    });
  }

  get isOpen() {
    return !this.root.hidden;
  }

  /** Open a message: fetch it whole (the list may hold it truncated). */
  async open(seq, cached = null) {
    this.seq = seq;
    this.root.hidden = false;
    document.body.classList.add("detail-open");
    byId("detail-title").textContent = cached ? (cached.eventType ?? "(no event type)") : `#${seq}`;
    let m = null;
    let note = "";
    try {
      const response = await fetch(`/api/messages/${seq}`);
      if (response.ok) m = await response.json();
      else note = (await response.json()).error || `HTTP ${response.status}`;
    } catch (error) {
      note = String(error);
    }
    if (this.seq !== seq) return; // another message was opened meanwhile
    if (!m && cached) {
      m = { ...cached, body: null };
      try {
        m.body = JSON.parse(cached.raw);
      } catch {
        m.body = null;
      }
      note = `${note}: showing the copy the page holds`;
    }
    if (!m) {
      this.message = null;
      byId("detail-title").textContent = `Message #${seq}`;
      byId("detail-meta").replaceChildren(h("p", { class: "notice", text: `Not available: ${note}` }));
      for (const name of TABS) byId(`panel-${name}`).replaceChildren();
      return;
    }
    this.message = m;
    this.draw(note);
  }

  close() {
    this.root.hidden = true;
    this.seq = null;
    this.message = null;
    document.body.classList.remove("detail-open");
  }

  draw(note) {
    const m = this.message;
    const status = statusOf(m);
    byId("detail-title").textContent = m.eventType ?? "(no event type)";
    byId("detail-badge").className = `badge ${statusClass(status)}`;
    byId("detail-badge").textContent = status;
    const meta = [
      h("span", { class: "meta-item", title: utcTitle(m.receivedAt) }, h("b", { text: "seq " }), String(m.seq)),
      h("span", { class: "meta-item", title: utcTitle(m.receivedAt) }, h("b", { text: "received " }), localTime(m.receivedAt)),
      h("span", { class: "meta-item" }, h("b", { text: "source " }), m.source),
      h("span", { class: "meta-item" }, h("b", { text: "size " }), size(m.size ?? 0)),
    ];
    for (const id of m.identifiers || []) {
      meta.push(h("button", {
        type: "button", class: "chip", title: `Show ${id.type} ${id.value}'s timeline`,
        onclick: () => this.handlers.onPerson(id.value),
      }, h("span", { class: "chip-type", text: id.type }), id.value));
    }
    const detailUrl = m.body && typeof m.body === "object" ? m.body.detailUrl : null;
    if (typeof detailUrl === "string") meta.push(h("span", { class: "meta-item" }, h("b", { text: "detailUrl " }), safeLink(detailUrl)));
    if (note) meta.push(h("p", { class: "notice", text: note }));
    byId("detail-meta").replaceChildren(...meta);
    const draft = byId("draft-spec");
    draft.href = `/api/messages/${m.seq}/spec-draft`;
    this.drawBody();
    this.drawEnvelope();
    this.drawRaw();
    this.drawSpec();
    this.drawTimings();
    this.showTab(this.tab, false);
  }

  drawBody() {
    const m = this.message;
    const v = m.validation || { errors: [] };
    const panel = byId("panel-body");
    const parts = [];
    if (v.specFault) parts.push(h("p", { class: "spec-fault-banner", role: "note", text: SPEC_FAULT_TEXT }));
    const list = h("ol", { class: "errors", "aria-label": "Schema errors" });
    const tree = this.tree(m);
    const marked = tree && v.errors.length ? markErrors(tree, v.errors) : new Map();
    v.errors.forEach((error, index) => {
      const target = marked.get(index);
      const item = h("button", {
        type: "button", class: "error-item", disabled: !target,
        onclick: () => target && reveal(target),
      },
      h("code", { class: "pointer", text: error.pointer === "" ? "(root)" : error.pointer }),
      h("span", { class: "error-message", text: error.message }),
      h("span", { class: "tag", text: error.schema === "spec" ? "spec" : "envelope" }),
      error.specFault ? h("span", { class: "tag spec-fault", text: SPEC_FAULT_TEXT }) : null);
      list.append(h("li", {}, item));
    });
    if (v.errors.length) parts.push(h("h3", { text: `${v.errors.length} error${v.errors.length > 1 ? "s" : ""}` }), list);
    for (const warning of v.warnings || []) parts.push(h("p", { class: "warning", text: `warning: ${warning}` }));
    if (tree) parts.push(tree);
    else parts.push(rawBlock(m));
    panel.replaceChildren(...parts);
  }

  /** The body as a JSON tree, or null when it is not JSON (or too large to draw). */
  tree(m) {
    if (m.parseError || m.body === null || m.raw.length > MAX_RENDER) return null;
    try {
      return renderJson(m.raw);
    } catch {
      return null;
    }
  }

  drawEnvelope() {
    const m = this.message;
    const rows = [["messageId", m.messageId], ["source", m.source], ["receivedAt", m.receivedAt],
      ["publishedAt", m.publishedAt ?? "(raw delivery: no SNS envelope)"]];
    for (const [k, v] of Object.entries(m.envelope || {})) {
      if (k !== "MessageAttributes") rows.push([k, typeof v === "string" ? v : JSON.stringify(v)]);
    }
    const attrs = Object.entries(m.attributes || {});
    byId("panel-envelope").replaceChildren(
      h("h3", { text: m.envelope ? "SNS envelope" : "Delivery" }), table(rows),
      h("h3", { text: `Message attributes (${attrs.length})` }),
      attrs.length ? table(attrs) : h("p", { class: "muted", text: "none" }),
    );
  }

  drawRaw() {
    const m = this.message;
    byId("panel-raw").replaceChildren(
      h("p", { class: "muted", text: `${size(m.size ?? 0)} exactly as published` }),
      h("pre", { class: "raw", text: m.raw }),
    );
  }

  async drawSpec() {
    const m = this.message;
    const panel = byId("panel-spec");
    const spec = m.validation && m.validation.spec;
    const found = await this.specFor(m.eventType, spec);
    if (this.message !== m) return;
    const info = [];
    if (!spec && !found) {
      panel.replaceChildren(h("p", { class: "muted", text: m.eventType
        ? `No spec is registered for ${m.eventType}: only the envelope was checked.`
        : "No event type: only the envelope was checked." }), draftLink(m));
      return;
    }
    const s = { ...(spec || {}), ...(found || {}) };
    const rows = [];
    for (const key of ["name", "title", "summary", "description", "path", "file"]) {
      if (typeof s[key] === "string" && s[key]) rows.push([key, s[key]]);
    }
    info.push(table(rows));
    if (Array.isArray(s.findings) && s.findings.length) {
      info.push(h("h3", { text: `Spec problems (${s.findings.length})` }), h("ul", { class: "findings" },
        s.findings.map((f) => h("li", {}, h("code", { text: f.code || "finding" }), " ",
          f.pointer ? h("code", { class: "pointer", text: f.pointer }) : null, " ", f.message || ""))));
    }
    if (found) info.push(h("p", {}, h("a", { href: "/catalogue", text: "Open the spec catalogue" })));
    const example = s.example ?? s.examples?.[0]?.payload ?? s.examples?.[0];
    const side = h("div", { class: "side-by-side" });
    const mine = h("div", { class: "side" }, h("h3", { text: "This message" }), this.tree(m) || rawBlock(m));
    const theirs = h("div", { class: "side" }, h("h3", { text: "Spec example" }));
    if (example !== undefined) {
      const text = typeof example === "string" ? example : JSON.stringify(example, null, 2);
      let node;
      try {
        node = renderJson(text);
      } catch {
        node = h("pre", { class: "raw", text });
      }
      theirs.append(node);
    } else theirs.append(h("p", { class: "muted", text: "The spec has no example." }));
    side.append(mine, theirs);
    panel.replaceChildren(...info, side);
  }

  /** The spec catalogue's entry for an event type, when GET /api/specs exists. */
  async specFor(eventType, spec) {
    if (!eventType) return null;
    if (!this.specs || Date.now() - this.specs.at > 30_000) {
      let list = [];
      try {
        const response = await fetch("/api/specs");
        if (response.ok) {
          const data = await response.json();
          list = Array.isArray(data) ? data : data.specs || data.eventTypes || [];
        }
      } catch {
        list = [];
      }
      this.specs = { at: Date.now(), list };
    }
    return this.specs.list.find((s) => s && (s.eventType === eventType
      || (spec && s.name === spec.name))) || null;
  }

  drawTimings() {
    const m = this.message;
    const occurred = m.body && typeof m.body === "object" ? m.body.occurredAt : null;
    const points = [["occurredAt", occurred, "in the publisher (body)"],
      ["publishedAt", m.publishedAt, "accepted by SNS"], ["receivedAt", m.receivedAt, "stored by this viewer"]];
    const list = h("ol", { class: "timeline" });
    let previous = null;
    for (const [name, iso, where] of points) {
      const t = typeof iso === "string" ? Date.parse(iso) : NaN;
      const item = h("li", { class: Number.isNaN(t) ? "missing" : "" },
        h("b", { text: name }), h("span", { class: "muted", text: ` ${where}` }),
        h("div", { class: "when", title: Number.isNaN(t) ? "" : utcTitle(iso),
          text: Number.isNaN(t) ? "not given" : `${localTime(iso)}  (${iso})` }));
      if (!Number.isNaN(t) && previous !== null) {
        const delay = t - previous;
        item.prepend(h("div", { class: `delay${delay < 0 ? " negative" : ""}`,
          text: `+${duration(delay)}${delay < 0 ? " (clock skew?)" : ""}` }));
      }
      if (!Number.isNaN(t)) previous = t;
      list.append(item);
    }
    const start = Date.parse(occurred ?? "");
    const end = Date.parse(m.receivedAt);
    const total = !Number.isNaN(start) && !Number.isNaN(end)
      ? h("p", { class: "total-delay", text: `occurred -> received: ${duration(end - start)}` }) : null;
    byId("panel-timings").replaceChildren(list, total);
  }

  showTab(name, focus = false) {
    this.tab = name;
    for (const t of TABS) {
      const tab = byId(`tab-${t}`);
      tab.setAttribute("aria-selected", String(t === name));
      tab.tabIndex = t === name ? 0 : -1;
      byId(`panel-${t}`).hidden = t !== name;
    }
    if (focus) byId(`tab-${name}`).focus();
  }

  tabKeys(event) {
    const i = TABS.indexOf(this.tab);
    if (event.key === "ArrowRight") this.showTab(TABS[(i + 1) % TABS.length], true);
    else if (event.key === "ArrowLeft") this.showTab(TABS[(i + TABS.length - 1) % TABS.length], true);
    else return;
    event.preventDefault();
  }

  bodyText() {
    const m = this.message;
    if (!m) return "";
    if (m.body === null || m.parseError) return m.raw;
    try {
      return JSON.stringify(JSON.parse(m.raw), null, 2);
    } catch {
      return m.raw;
    }
  }

  /** The message as an SNS notification: what `events-viewer validate FILE` reads. */
  validateText() {
    const m = this.message;
    const attributes = {};
    for (const [k, v] of Object.entries(m.attributes || {})) attributes[k] = { Type: "String", Value: v };
    const envelope = {
      Type: "Notification",
      MessageId: m.messageId,
      TopicArn: m.envelope?.TopicArn ?? "arn:aws:sns:eu-west-2:000000000000:events-viewer-export",
      Message: m.raw,
      Timestamp: m.publishedAt ?? m.receivedAt,
      MessageAttributes: attributes,
    };
    return JSON.stringify(envelope, null, 2) + "\n";
  }

  async copyBody() {
    if (this.message) toast((await copyText(this.bodyText())) ? "Body copied" : "Copy failed");
  }

  async copyValidate() {
    if (this.message) toast((await copyText(this.validateText())) ? "Copied as an SNS notification for `events-viewer validate`" : "Copy failed");
  }

  download() {
    const m = this.message;
    if (!m) return;
    const name = `${(m.eventType || "message").replace(/[^\w.-]+/g, "_")}-${m.seq}.json`;
    download(this.validateText(), name);
  }
}

function table(rows) {
  return h("table", { class: "kv" }, h("tbody", {}, rows.map(([k, v]) =>
    h("tr", {}, h("th", { scope: "row", text: k }), h("td", { text: String(v ?? "") })))));
}

function rawBlock(m) {
  const pre = h("pre", { class: "raw" });
  const at = /char (\d+)/.exec(m.parseError || "");
  if (at && Number(at[1]) <= m.raw.length) {
    const i = Number(at[1]);
    pre.append(m.raw.slice(0, i), h("mark", { class: "parse-error", title: m.parseError, text: m.raw.slice(i, i + 1) || " " }), m.raw.slice(i + 1));
  } else pre.textContent = m.raw;
  const parts = [];
  if (m.parseError) parts.push(h("p", { class: "parse-note", text: `Not strict JSON: ${m.parseError}` }));
  else if (m.raw.length > MAX_RENDER) parts.push(h("p", { class: "muted", text: "Too large to draw as a tree: shown as text." }));
  return h("div", {}, ...parts, pre);
}

function draftLink(m) {
  return h("p", {}, h("a", { href: `/api/messages/${m.seq}/spec-draft`, target: "_blank", rel: "noopener noreferrer", text: "Draft a spec from this message" }));
}

function reveal(line) {
  const tab = byId("tab-body");
  tab.click();
  for (const el of line.querySelectorAll(".collapsed")) el.classList.remove("collapsed");
  let parent = line.parentElement;
  while (parent) {
    if (parent.classList.contains("collapsed")) parent.classList.remove("collapsed");
    parent = parent.parentElement;
  }
  line.scrollIntoView({ block: "center" });
  line.classList.remove("flash");
  void line.offsetWidth; // restart the animation
  line.classList.add("flash");
}
