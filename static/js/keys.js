// Keyboard: / search, space pause, j/k move, Enter open, Esc close, ? help.

import { byId } from "./dom.js";

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable
    || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

/** Install the page's shortcuts. */
export function bindKeys({ list, detail, focusSearch, togglePause, open, close }) {
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (event.key === "Escape") {
      if (byId("help").open) return; // the dialog closes itself
      if (typing(target)) target.blur();
      else if (detail.isOpen) close();
      else for (const menu of document.querySelectorAll("details.menu[open]")) menu.open = false;
      return;
    }
    if (typing(target)) return;
    const onButton = target instanceof HTMLElement && ["BUTTON", "A", "SUMMARY"].includes(target.tagName);
    switch (event.key) {
      case "/":
        event.preventDefault();
        focusSearch();
        break;
      case " ":
        if (onButton) return;
        event.preventDefault();
        togglePause();
        break;
      case "j":
      case "k": {
        event.preventDefault();
        const m = list.move(event.key === "j" ? 1 : -1);
        if (m && detail.isOpen) open(m);
        break;
      }
      case "Enter": {
        if (onButton) return;
        const m = list.selectedMessage();
        if (m) {
          event.preventDefault();
          open(m);
        }
        break;
      }
      case "?":
        event.preventDefault();
        byId("help").showModal();
        break;
      default:
    }
  });
  byId("help-button").addEventListener("click", () => byId("help").showModal());
  byId("help-close").addEventListener("click", () => byId("help").close());
}
