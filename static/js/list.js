// The virtualised message list: fixed-height rows, only the visible ones in the DOM.

import { h } from "./dom.js";
import { localTime, statusClass, utcTitle } from "./format.js";

export const ROW_HEIGHT = 30;
const OVERSCAN = 8;

export class VirtualList {
  /**
   * `viewport` scrolls, `canvas` is sized to the whole list; `onOpen(m)` opens a message,
   * `onPerson(value)` filters by a person, `onNearEnd()` asks for older messages,
   * `onUserScroll(atTop)` reports scrolling done by the user.
   */
  constructor(viewport, canvas, { onOpen, onPerson, onNearEnd, onUserScroll }) {
    this.viewport = viewport;
    this.canvas = canvas;
    this.handlers = { onOpen, onPerson, onNearEnd, onUserScroll };
    this.items = [];
    this.bySeq = new Map(); // seq -> the row drawing it
    this.free = []; // rows not in use
    this.selected = null; // seq
    this.openSeq = null;
    this.programmatic = false;
    this.frame = 0;
    viewport.addEventListener("scroll", () => {
      if (this.programmatic) this.programmatic = false;
      else this.handlers.onUserScroll(viewport.scrollTop < ROW_HEIGHT / 2);
      this.schedule();
    }, { passive: true });
    canvas.addEventListener("click", (event) => this.onClick(event));
    new ResizeObserver(() => this.schedule()).observe(viewport);
  }

  /** Show these items; `shift` rows were added above (kept out of view unless following). */
  setItems(items, shift = 0, follow = false) {
    this.items = items;
    this.canvas.style.height = `${items.length * ROW_HEIGHT}px`;
    if (follow) this.scrollTo(0);
    else if (shift && this.viewport.scrollTop > 0) this.scrollTo(this.viewport.scrollTop + shift * ROW_HEIGHT);
    this.render();
  }

  scrollTo(top) {
    if (Math.abs(this.viewport.scrollTop - top) < 1) return;
    this.programmatic = true;
    this.viewport.scrollTop = top;
  }

  /** Render on the next frame (at most once per frame). */
  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    const { scrollTop, clientHeight } = this.viewport;
    const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.items.length, Math.ceil((scrollTop + clientHeight) / ROW_HEIGHT) + OVERSCAN);
    // Rows are keyed by seq: a message that only moved keeps its row (one transform), so a
    // burst costs a few new rows per frame, not a redraw of the whole screen.
    const wanted = new Set();
    for (let index = first; index < last; index += 1) wanted.add(this.items[index].seq);
    for (const [seq, row] of this.bySeq) {
      if (!wanted.has(seq)) {
        this.bySeq.delete(seq);
        row.hidden = true;
        this.free.push(row);
      }
    }
    for (let index = first; index < last; index += 1) {
      const m = this.items[index];
      let row = this.bySeq.get(m.seq);
      if (!row) {
        row = this.free.pop() || this.newRow();
        this.bySeq.set(m.seq, row);
      }
      if (row._m !== m) fill(row, m);
      if (row.hidden) row.hidden = false;
      if (row._index !== index) {
        row._index = index;
        row.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
        row.setAttribute("aria-rowindex", String(index + 2));
      }
      const selected = m.seq === this.selected;
      if (row._selected !== selected) {
        row._selected = selected;
        row.classList.toggle("selected", selected);
        row.setAttribute("aria-selected", String(selected));
      }
      const open = m.seq === this.openSeq;
      if (row._open !== open) {
        row._open = open;
        row.classList.toggle("open", open);
      }
    }
    if (last >= this.items.length - 2 && this.items.length) this.handlers.onNearEnd();
  }

  newRow() {
    const row = h("div", { class: "row", role: "row" });
    this.canvas.append(row);
    return row;
  }

  onClick(event) {
    const row = event.target.closest(".row");
    if (!row || !row._m) return;
    const chip = event.target.closest(".chip[data-person]");
    if (chip) {
      event.stopPropagation();
      this.handlers.onPerson(chip.dataset.person);
      return;
    }
    this.select(row._m.seq);
    this.handlers.onOpen(row._m);
  }

  /** Highlight a row (keyboard selection) and bring it into view. */
  select(seq, reveal = false) {
    this.selected = seq;
    if (reveal) {
      const index = this.items.findIndex((m) => m.seq === seq);
      if (index >= 0) {
        const top = index * ROW_HEIGHT;
        const { scrollTop, clientHeight } = this.viewport;
        if (top < scrollTop) this.scrollTo(top);
        else if (top + ROW_HEIGHT > scrollTop + clientHeight) this.scrollTo(top + ROW_HEIGHT - clientHeight);
      }
    }
    this.schedule();
  }

  /** Move the selection by `delta` rows; returns the newly selected message. */
  move(delta) {
    if (!this.items.length) return null;
    let index = this.items.findIndex((m) => m.seq === this.selected);
    index = index < 0 ? 0 : Math.min(this.items.length - 1, Math.max(0, index + delta));
    const m = this.items[index];
    this.select(m.seq, true);
    return m;
  }

  selectedMessage() {
    return this.items.find((m) => m.seq === this.selected) || null;
  }
}

function cell(className, text, title) {
  return h("div", { class: `cell ${className}`, role: "gridcell", text, title });
}

/** Fill a pooled row with a message, as text only. */
function fill(row, m) {
  row._m = m;
  row.dataset.seq = String(m.seq);
  row.className = `row ${statusClass(m.status)}`;
  row._selected = false;
  row._open = false;
  const people = h("div", { class: "cell people", role: "gridcell" });
  for (const id of (m.identifiers || []).slice(0, 4)) {
    people.append(h("button", {
      type: "button", class: "chip", dataset: { person: id.value },
      title: `Show ${id.type} ${id.value}'s timeline`, "aria-label": `Filter by ${id.type} ${id.value}`,
    }, h("span", { class: "chip-type", text: id.type }), id.value));
  }
  const badge = h("span", { class: `badge ${statusClass(m.status)}`, text: m.status });
  if (m.truncated) badge.title = "Large message: shown truncated in the list";
  const errors = m.validation && m.validation.errors ? m.validation.errors.length : 0;
  row.replaceChildren(
    cell("time", localTime(m.receivedAt), utcTitle(m.receivedAt)),
    cell("type", m.eventType ?? "(no event type)", m.eventType ?? ""),
    cell("summary", m.summary, m.summary),
    people,
    cell("source", m.source, m.source),
    h("div", { class: "cell status", role: "gridcell" }, badge,
      errors ? h("span", { class: "err-count", text: String(errors), title: `${errors} error(s)` }) : null),
  );
}
