// Light and dark themes: follow the system unless the user picks one.

const KEY = "hmpps-events-viewer.theme";
const ORDER = ["system", "light", "dark"];

function apply(button, theme) {
  if (theme === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  button.textContent = theme === "dark" ? "◐ Dark" : theme === "light" ? "◑ Light" : "◒ Auto";
  button.setAttribute("aria-label", `Theme: ${theme}. Change theme`);
  button.title = `Theme: ${theme} (click to change)`;
}

/** Wire the theme button. */
export function bindTheme(button) {
  let theme = localStorage.getItem(KEY);
  if (!ORDER.includes(theme)) theme = "system";
  apply(button, theme);
  button.addEventListener("click", () => {
    theme = ORDER[(ORDER.indexOf(theme) + 1) % ORDER.length];
    localStorage.setItem(KEY, theme);
    apply(button, theme);
    window.dispatchEvent(new Event("themechange"));
  });
}
