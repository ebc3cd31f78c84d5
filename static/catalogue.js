// The spec catalogue: documented event types, which flow and which are silent, undocumented
// types seen live, and the problems found in the specs. DOM via textContent only.

const REFRESH_MS = 5000;
let last = null;
const drafts = new Map(); // eventType -> drafted YAML, kept across refreshes

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") el.textContent = String(value);
    else if (key === "class") el.className = value;
    else if (key === "href") el.href = value; // only URLs this script builds itself
    else el.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) el.append(child);
  }
  return el;
}

function when(iso) {
  if (!iso) return "never";
  const t = Date.parse(iso);
  return Number.isNaN(t) ? String(iso) : new Date(t).toLocaleString();
}

function liveLink(eventType) {
  return "/?eventType=" + encodeURIComponent(eventType);
}

function findingItem(f) {
  return h("li", {}, h("span", { class: "code", text: f.code }),
    h("span", { text: (f.pointer ? ` ${f.pointer}` : "") + `: ${f.message}` }));
}

function specEntry(row) {
  const flowing = row.count > 0;
  const summary = h("summary", {},
    h("span", { class: "type", text: row.eventType }),
    h("span", { class: `badge ${flowing ? "flowing" : "silent"}`,
      text: flowing ? `flowing: ${row.count}` : "silent" }),
    row.origin === "auto" ? h("span", { class: "badge auto", text: "auto-discovered" }) : null,
    row.findings.length ? h("span", { class: "badge problems",
      text: `${row.findings.length} problem${row.findings.length === 1 ? "" : "s"}` }) : null,
    h("span", { class: "muted", text: row.summary || row.title || "" }));
  const body = [
    row.description ? h("p", { text: row.description }) : null,
    h("p", { class: "file", text: `file: ${row.path}` }),
    row.name !== row.eventType ? h("p", { class: "muted", text: `spec name: ${row.name}` }) : null,
    row.alternatives.length ? h("p", { class: "muted",
      text: "also claimed by (not used): " + row.alternatives.map((a) => `${a.path} (${a.origin})`).join(", ") }) : null,
    h("p", { class: "muted", text: `last seen: ${when(row.lastSeenAt)} ` },
      flowing ? h("a", { href: liveLink(row.eventType), text: "show messages" }) : null),
  ];
  if (row.findings.length) {
    body.push(h("h4", { text: "Problems" }),
      h("ul", { class: "findings" }, ...row.findings.map(findingItem)));
    if (row.faultPointers.length) {
      body.push(h("p", { class: "muted",
        text: "Message errors at " + row.faultPointers.join(", ") + " are marked as the spec's fault." }));
    }
  }
  body.push(h("h4", { text: "Example (built from the spec)" }),
    h("pre", { class: "example", text: row.example === null ? "(the spec gives no example)"
      : JSON.stringify(row.example, null, 2) }));
  return h("details", { class: "spec", "data-event-type": row.eventType }, summary, ...body);
}

function renderSummary(data) {
  const dl = document.getElementById("cat-summary");
  const flowing = data.specs.filter((s) => s.count > 0).length;
  const problems = Object.values(data.findingCounts).reduce((a, b) => a + b, 0);
  const items = [
    ["Spec files", data.files], ["Specs", data.specCount],
    ["Documented event types", data.specs.length],
    ["Flowing / silent", `${flowing} / ${data.specs.length - flowing}`],
    ["Seen without a spec", data.unregistered.length],
    ["Problems found", problems], ["Loaded", when(data.loadedAt)],
    ["From", data.roots.join(", ") || "no spec source"],
  ];
  dl.replaceChildren(...items.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]));
  const error = document.getElementById("cat-error");
  error.hidden = !data.error;
  error.textContent = data.error ? `Last reload failed (previous specs kept): ${data.error}` : "";
}

function renderUndocumented(data) {
  const body = document.querySelector("#cat-undocumented tbody");
  const rows = data.unregistered.map((row) => h("tr", {},
    h("td", {}, h("a", { href: liveLink(row.eventType), text: row.eventType })),
    h("td", { text: row.count }), h("td", { text: when(row.lastSeenAt) }),
    h("td", {}, drafts.has(row.eventType)
      ? h("pre", { class: "example draft", text: drafts.get(row.eventType) })
      : h("button", { type: "button", class: "draft", "data-event-type": row.eventType,
        text: "Draft a spec" }))));
  body.replaceChildren(...(rows.length ? rows
    : [h("tr", {}, h("td", { colspan: 4, class: "muted", text: "none: every type seen has a spec" }))]));
}

function renderSpecs(data) {
  const find = document.getElementById("cat-find").value.trim().toLowerCase();
  const onlyProblems = document.getElementById("cat-only-problems").checked;
  const onlyFlowing = document.getElementById("cat-only-flowing").checked;
  const box = document.getElementById("cat-specs");
  const open = new Set([...box.querySelectorAll("details[open]")].map((d) => d.dataset.eventType));
  const shown = data.specs.filter((row) => (!find || row.eventType.toLowerCase().includes(find)
      || (row.summary || "").toLowerCase().includes(find))
    && (!onlyProblems || row.findings.length) && (!onlyFlowing || row.count > 0));
  const entries = shown.map((row) => {
    const entry = specEntry(row);
    entry.open = open.has(row.eventType);
    return entry;
  });
  box.replaceChildren(...(entries.length ? entries : [h("p", { class: "muted", text: "No documented event types match." })]));
}

function renderProblems(data) {
  const counts = Object.entries(data.findingCounts).map(([code, n]) => `${code}: ${n}`);
  document.getElementById("cat-counts").replaceChildren(
    h("p", { text: counts.length ? counts.join(" · ") : "No problems found." }));
  const byFile = new Map();
  for (const f of data.fileFindings) byFile.set(f.path, [...(byFile.get(f.path) || []), f]);
  for (const row of data.specs) {
    for (const f of row.findings) {
      const list = byFile.get(f.path) || [];
      if (!list.some((g) => g.code === f.code && g.message === f.message)) list.push(f);
      byFile.set(f.path, list);
    }
  }
  const items = [...byFile.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([path, findings]) =>
    h("li", {}, h("span", { class: "file", text: path }), h("ul", { class: "findings" }, ...findings.map(findingItem))));
  document.getElementById("cat-problems").replaceChildren(...items);
}

function render(data) {
  last = data;
  renderSummary(data);
  renderUndocumented(data);
  renderSpecs(data);
  renderProblems(data);
}

async function refresh() {
  const status = document.getElementById("cat-status");
  try {
    const response = await fetch("/api/specs");
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
    status.textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    status.textContent = `could not load the catalogue: ${err.message}`;
  }
}

async function reload() {
  const status = document.getElementById("cat-status");
  status.textContent = "reloading…";
  let said;
  try {
    const response = await fetch("/api/specs/reload", { method: "POST" });
    const data = await response.json();
    said = response.ok ? `reloaded: ${data.specs} specs, ${data.revalidated} messages re-judged`
      : `reload failed: ${data.error}`;
  } catch (err) {
    said = `reload failed: ${err.message}`;
  }
  await refresh();
  status.textContent = said;
}

async function draft(eventType) {
  // Draft from the newest buffered message of the type (the server adds the others).
  const response = await fetch(`/api/messages?eventType=${encodeURIComponent(eventType)}&limit=1`);
  const found = await response.json();
  if (!found.messages || !found.messages.length) return;
  drafts.set(eventType, await (await fetch(`/api/messages/${found.messages[0].seq}/spec-draft`)).text());
  if (last) renderUndocumented(last);
}

document.getElementById("cat-reload").addEventListener("click", reload);
for (const id of ["cat-find", "cat-only-problems", "cat-only-flowing"]) {
  document.getElementById(id).addEventListener("input", () => last && renderSpecs(last));
}
document.getElementById("cat-undocumented").addEventListener("click", (event) => {
  const button = event.target.closest("button.draft");
  if (button) draft(button.dataset.eventType);
});
refresh();
setInterval(refresh, REFRESH_MS);
