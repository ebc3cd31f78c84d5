// The client-side buffer: messages newest first, deduped by seq, capped, with pause.

import { statusOf, summaryOf } from "./format.js";

export const CAPACITY = 10_000;

/** Trim what the list keeps of a message (the detail view fetches it whole). */
export function prepare(m) {
  m.status = statusOf(m);
  m.summary = summaryOf(m);
  // The raw text is kept; the parsed copy would double the memory. (Set, not deleted: a
  // deleted property turns every held message into a slower dictionary-mode object.)
  m.body = null;
  return m;
}

export class Model {
  constructor(capacity = CAPACITY) {
    this.capacity = capacity;
    this.items = []; // newest first
    this.bySeq = new Map();
    this.pending = []; // arrived while paused, oldest first
    this.pendingSeqs = new Set();
    this.maxSeq = 0;
    this.total = 0; // matches on the server, as far as we know
    this.paused = false;
    this.version = 0; // bumped on every change the list must draw
  }

  /** The highest seq seen (held or pending): where a reconnect resumes. */
  lastSeq() {
    return this.maxSeq;
  }

  /** Replace everything with a fresh answer (newest first). */
  reset(messages, total) {
    this.items = [];
    this.bySeq.clear();
    this.pending = [];
    this.pendingSeqs.clear();
    this.total = total;
    this.insert(messages);
  }

  /** Take messages (any order); while paused they wait. Returns how many were new. */
  add(messages) {
    const fresh = messages.filter((m) => !this.bySeq.has(m.seq) && !this.pendingSeqs.has(m.seq));
    for (const m of fresh) this.maxSeq = Math.max(this.maxSeq, m.seq);
    if (!fresh.length) return 0;
    this.total += fresh.length;
    if (this.paused) {
      for (const m of fresh) {
        this.pending.push(m);
        this.pendingSeqs.add(m.seq);
      }
      while (this.pending.length > this.capacity) this.pendingSeqs.delete(this.pending.shift().seq);
      return fresh.length;
    }
    return this.insert(fresh);
  }

  insert(messages) {
    const fresh = [];
    for (const m of messages) {
      if (this.bySeq.has(m.seq)) continue;
      prepare(m);
      this.bySeq.set(m.seq, m);
      this.maxSeq = Math.max(this.maxSeq, m.seq);
      fresh.push(m);
    }
    if (!fresh.length) return 0;
    fresh.sort((a, b) => b.seq - a.seq);
    if (!this.items.length || fresh[fresh.length - 1].seq > this.items[0].seq) {
      this.items = fresh.concat(this.items);
    } else {
      this.items = this.items.concat(fresh).sort((a, b) => b.seq - a.seq);
    }
    if (this.items.length > this.capacity) {
      for (const m of this.items.splice(this.capacity)) this.bySeq.delete(m.seq);
    }
    this.version += 1;
    return fresh.length;
  }

  /** Older messages paged in from the REST API (appended at the end). */
  appendOlder(messages) {
    const room = this.capacity - this.items.length;
    const older = messages.filter((m) => !this.bySeq.has(m.seq)).slice(0, Math.max(0, room));
    for (const m of older) {
      prepare(m);
      this.bySeq.set(m.seq, m);
    }
    this.items = this.items.concat(older).sort((a, b) => b.seq - a.seq);
    this.version += 1;
    return older.length;
  }

  /** Apply a messages/revalidated payload: replace re-judged ones, drop removed ones. */
  revalidated({ messages = [], removed = [] }) {
    const waiting = new Map(messages.map((m) => [m.seq, m]));
    this.pending = this.pending.map((m) => waiting.get(m.seq) || m);
    if (removed.length) {
      const gone = new Set(removed);
      this.pending = this.pending.filter((m) => !gone.has(m.seq));
      for (const seq of gone) this.pendingSeqs.delete(seq);
    }
    for (const m of messages) {
      if (!this.bySeq.has(m.seq)) continue;
      prepare(m);
      this.bySeq.set(m.seq, m);
      const i = this.items.findIndex((x) => x.seq === m.seq);
      if (i >= 0) this.items[i] = m;
    }
    if (removed.length) {
      const gone = new Set(removed);
      this.items = this.items.filter((m) => !gone.has(m.seq));
      for (const seq of gone) this.bySeq.delete(seq);
      this.total = Math.max(0, this.total - gone.size);
    }
    this.version += 1;
  }

  /** Pause (hold the list still) or resume (take what waited). */
  setPaused(paused) {
    this.paused = paused;
    if (!paused && this.pending.length) {
      const waiting = this.pending;
      this.pending = [];
      this.pendingSeqs.clear();
      this.insert(waiting);
    }
  }

  /** Forget what is shown (the server keeps its buffer; new messages still arrive). */
  clear() {
    this.items = [];
    this.bySeq.clear();
    this.pending = [];
    this.pendingSeqs.clear();
    this.total = 0;
    this.version += 1;
  }
}
