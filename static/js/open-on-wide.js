// Opens each <details data-open-wide> on a screen wide enough to show it beside the form's
// choice without pushing that choice down (a phone keeps it closed behind its summary).
// Without JavaScript the summary still opens it.
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(min-width: 640px)").matches) return;
  document.querySelectorAll("details[data-open-wide]").forEach(function (details) {
    details.open = true;
  });
})();
