// The virtualised message list: fixed-height rows, only the visible ones in the DOM.

import { h, setHidden, setText } from "./dom.js";
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
    const height = `${items.length * ROW_HEIGHT}px`;
    if (this.canvas.style.height !== height) this.canvas.style.height = height;
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
    // A row that scrolled out takes a message that scrolled in, in place: hiding it and
    // showing it again would restyle it twice for nothing.
    const released = [];
    for (const [seq, row] of this.bySeq) {
      if (!wanted.has(seq)) {
        this.bySeq.delete(seq);
        released.push(row);
      }
    }
    for (let index = first; index < last; index += 1) {
      const m = this.items[index];
      let row = this.bySeq.get(m.seq);
      if (!row) {
        row = released.pop() || this.free.pop() || this.newRow();
        this.bySeq.set(m.seq, row);
      }
      if (row._m !== m) fill(row, m);
      setHidden(row, false);
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
    for (const row of released) {
      row.hidden = true;
      this.free.push(row);
    }
    if (last >= this.items.length - 2 && this.items.length) this.handlers.onNearEnd();
  }

  newRow() {
    // The cells are made once per pooled row; fill() only changes their text, so a burst
    // restyles and lays out text, not freshly built elements.
    const badge = h("span", { class: "badge" });
    const errors = h("span", { class: "err-count", hidden: true });
    const cells = {
      time: cell("time"), type: cell("type"), summary: cell("summary"),
      people: h("div", { class: "cell people", role: "gridcell" }), source: cell("source"),
      status: h("div", { class: "cell status", role: "gridcell" }, badge, errors), badge, errors,
    };
    const row = h("div", { class: "row", role: "row" },
      cells.time, cells.type, cells.summary, cells.people, cells.source, cells.status);
    row._cells = cells;
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

function cell(className) {
  return h("div", { class: `cell ${className}`, role: "gridcell" });
}

/** Person chips, reusing the row's chip elements (most messages name one person). */
function fillPeople(host, ids) {
  const chips = host.children;
  while (chips.length > ids.length) chips[chips.length - 1].remove();
  ids.forEach((id, i) => {
    let chip = chips[i];
    if (!chip) {
      chip = h("button", { type: "button", class: "chip" }, h("span", { class: "chip-type" }), "");
      host.append(chip);
    }
    if (chip.dataset.person === id.value && chip.firstChild.textContent === id.type) return;
    chip.dataset.person = id.value;
    chip.title = `Show ${id.type} ${id.value}'s timeline`;
    chip.setAttribute("aria-label", `Filter by ${id.type} ${id.value}`);
    setText(chip.firstChild, id.type);
    chip.lastChild.data = id.value;
  });
}

/** Fill a pooled row with a message, as text only. */
function fill(row, m) {
  const c = row._cells;
  row._m = m;
  row.dataset.seq = String(m.seq);
  const status = statusClass(m.status);
  const rowClass = `row ${status}`;
  if (row.className !== rowClass) row.className = rowClass;
  row._selected = false;
  row._open = false;
  if (m._time === undefined) m._time = localTime(m.receivedAt);
  setText(c.time, m._time, utcTitle(m.receivedAt));
  setText(c.type, m.eventType ?? "(no event type)", m.eventType ?? "");
  setText(c.summary, m.summary, m.summary);
  setText(c.source, m.source, m.source);
  fillPeople(c.people, (m.identifiers || []).slice(0, 4));
  const badgeClass = `badge ${status}`;
  if (c.badge.className !== badgeClass) c.badge.className = badgeClass;
  setText(c.badge, m.status, m.truncated ? "Large message: shown truncated in the list" : "");
  const errors = m.validation && m.validation.errors ? m.validation.errors.length : 0;
  if (errors) setText(c.errors, String(errors), `${errors} error(s)`);
  setHidden(c.errors, !errors);
}
