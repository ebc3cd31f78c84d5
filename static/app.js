// First page: a live list over the websocket, three filters, and one message's detail.
const rows = document.getElementById("rows");
const connection = document.getElementById("connection");
const form = document.getElementById("filters");
const messages = new Map();

function filterFromForm() {
  const filter = {};
  for (const name of ["eventType", "status", "q"]) {
    const value = form.elements[name].value.trim();
    if (value) filter[name] = value;
  }
  return filter;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(m) {
  const tr = document.createElement("tr");
  tr.dataset.seq = String(m.seq);
  tr.append(
    cell(new Date(m.receivedAt).toLocaleTimeString()),
    cell(m.eventType ?? "(none)"),
    cell(m.source),
    cell((m.identifiers || []).map((i) => `${i.type} ${i.value}`).join(", ")),
    cell(m.validation.status, `badge ${m.validation.status}`),
  );
  tr.addEventListener("click", () => show(m.seq));
  return tr;
}

async function show(seq) {
  const m = await (await fetch(`/api/messages/${seq}`)).json();
  document.getElementById("detail").hidden = false;
  document.getElementById("detail-title").textContent = `${m.eventType ?? "(no event type)"} #${m.seq}`;
  const errors = document.getElementById("detail-errors");
  errors.replaceChildren(...m.validation.errors.map((e) => {
    const li = document.createElement("li");
    li.textContent = `${e.schema} ${e.pointer || "/"}: ${e.message}`;
    return li;
  }));
  document.getElementById("detail-body").textContent =
    m.body === null ? m.raw : JSON.stringify(m.body, null, 2);
}

document.getElementById("close-detail").addEventListener("click", () => {
  document.getElementById("detail").hidden = true;
});

let socket;
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws`);
  socket.addEventListener("open", () => {
    connection.textContent = "live";
    subscribe();
  });
  socket.addEventListener("close", () => {
    connection.textContent = "disconnected, retrying…";
    setTimeout(connect, 1000);
  });
  socket.addEventListener("message", (event) => {
    const frame = JSON.parse(event.data);
    if (frame.type === "messages/reset") {
      messages.clear();
      rows.replaceChildren(...frame.payload.messages.map(row));
    } else if (frame.type === "messages/add") {
      rows.prepend(row(frame.payload));
    }
  });
}

function subscribe() {
  socket.send(JSON.stringify({ type: "subscribe", payload: { filter: filterFromForm(), after: null } }));
}

form.addEventListener("input", () => subscribe());
form.addEventListener("submit", (event) => event.preventDefault());
connect();
