// Counts down "Podrás pedir otro código en N segundos"; the server enforces the cooldown.
(function () {
  "use strict";
  document.querySelectorAll("[data-countdown]").forEach(function (node) {
    var seconds = parseInt(node.getAttribute("data-countdown"), 10) || 0;
    var template = node.textContent;
    var timer = setInterval(function () {
      seconds -= 1;
      if (seconds <= 0) {
        clearInterval(timer);
        node.textContent = "";
        return;
      }
      node.textContent = template.replace(/\d+/, String(seconds));
    }, 1000);
  });
})();
