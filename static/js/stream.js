// The websocket: subscribe with the filter, resume from the last seq after a disconnect.

const BASE_DELAY = 250;
const MAX_DELAY = 5000;

/**
 * Keeps one websocket open. `onReset(payload, resumed)` gets each answer to a subscribe,
 * `onAdd(message)` each new match, `onRevalidated(payload)` re-judged messages, and
 * `onState(state, detail)` the connection state: connecting | live | reconnecting.
 */
export class Stream {
  constructor({ lastSeq, onReset, onAdd, onRevalidated, onState, onError }) {
    this.lastSeq = lastSeq;
    this.handlers = { onReset, onAdd, onRevalidated, onState, onError };
    this.filter = {};
    this.limit = 100; // a fresh subscribe's reset: a few screenfuls (the page fetches more)
    this.socket = null;
    this.attempt = 0;
    this.timer = null;
    this.pendingResets = 0;
    this.fresh = true; // next subscribe asks for the newest matches, not a resume
    this.resuming = false;
    this.refused = false; // the server refused the filter: show nothing until a new one
  }

  /** Open the socket (idempotent). */
  connect() {
    if (this.socket) return;
    clearTimeout(this.timer);
    this.timer = null;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws`);
    this.socket = socket;
    this.handlers.onState(this.attempt ? "reconnecting" : "connecting", "opening");
    socket.addEventListener("open", () => this.onOpen(socket));
    socket.addEventListener("message", (event) => this.onFrame(event.data));
    socket.addEventListener("close", () => this.onClose(socket));
  }

  /** Retry at once (the user clicked the connection state). */
  retryNow() {
    if (this.socket) return;
    this.connect();
  }

  /** Show another filter: the server answers with the newest matches. */
  setFilter(filter) {
    this.filter = filter;
    this.fresh = true;
    this.send();
  }

  async onOpen(socket) {
    // A restarted server with a new buffer numbers from 1 again: start afresh then.
    if (!this.fresh && this.lastSeq() > 0) {
      try {
        const stats = await (await fetch("/api/stats")).json();
        if (typeof stats.lastSeq === "number" && stats.lastSeq < this.lastSeq()) this.fresh = true;
      } catch {
        // the resume below still works against the same buffer
      }
    }
    if (this.socket !== socket || socket.readyState !== WebSocket.OPEN) return;
    this.send();
  }

  /** Send a subscribe for the current filter (fresh, or resuming after the last seq). */
  send() {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    const resume = !this.fresh && this.lastSeq() > 0;
    this.resuming = resume;
    this.pendingResets += 1;
    socket.send(JSON.stringify({
      type: "subscribe",
      payload: { filter: this.filter, after: resume ? this.lastSeq() : null, limit: this.limit },
    }));
  }

  onFrame(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    const { type, payload } = frame;
    if (type === "error" && this.pendingResets) {
      this.pendingResets -= 1;
      this.refused = !this.pendingResets;
      if (this.refused) this.handlers.onReset({ messages: [], total: 0 }, false);
    }
    if (type === "messages/reset") {
      this.pendingResets = Math.max(0, this.pendingResets - 1);
      if (this.pendingResets) return; // an answer to a subscribe already replaced
      const resumed = this.resuming;
      this.refused = false;
      this.fresh = false;
      this.attempt = 0;
      this.handlers.onState("live");
      this.handlers.onReset(payload, resumed);
    } else if (this.pendingResets || (this.refused && type !== "error")) {
      // frames for a filter the page no longer shows
    } else if (type === "messages/add") {
      this.handlers.onAdd(payload);
    } else if (type === "messages/revalidated") {
      this.handlers.onRevalidated(payload);
    } else if (type === "stream/behind") {
      this.handlers.onState("catching up");
      this.send();
    } else if (type === "error") {
      // A refused subscribe gets no reset: stop waiting for one, and show nothing for it.
      this.handlers.onState("live");
      this.handlers.onError(payload && payload.message ? payload.message : "server error", true);
    }
  }

  onClose(socket) {
    if (this.socket !== socket) return;
    this.socket = null;
    this.pendingResets = 0;
    this.attempt += 1;
    const delay = Math.min(MAX_DELAY, BASE_DELAY * 2 ** (this.attempt - 1));
    const wait = Math.round(delay * (0.5 + Math.random() * 0.5));
    this.handlers.onState("reconnecting", wait);
    this.timer = setTimeout(() => this.connect(), wait);
  }
}
