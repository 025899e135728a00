// Only improvements: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Filters and version pickers apply as soon as they change.
  for (const select of document.querySelectorAll("form.search select, form.search input[type=checkbox], form.compare select, form.compare input[type=radio]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  // "/" jumps to the search box, as on most search sites.
  const box = document.getElementById("q");
  document.addEventListener("keydown", (event) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
    if (box && event.key === "/" && !typing) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
});
