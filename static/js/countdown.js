// Counts down "Podrás pedir otro código en N segundos"; the server enforces the cooldown.
// The page gives the sentence for one second and for several (data-countdown-one, -other,
// templates/portal/account/resend_countdown.html), so "1 segundo" is never "1 segundos";
// without them the sentence as shown is the only form.
(function () {
  "use strict";
  var plural = new Intl.PluralRules(document.documentElement.lang || undefined);
  document.querySelectorAll("[data-countdown]").forEach(function (node) {
    var seconds = parseInt(node.getAttribute("data-countdown"), 10) || 0;
    var shown = node.textContent;
    var forms = {
      one: node.getAttribute("data-countdown-one") || shown,
      other: node.getAttribute("data-countdown-other") || shown
    };
    var timer = setInterval(function () {
      seconds -= 1;
      if (seconds <= 0) {
        clearInterval(timer);
        node.textContent = "";
        return;
      }
      var form = forms[plural.select(seconds)] || forms.other;
      node.textContent = form.replace(/\d+/, String(seconds));
    }, 1000);
  });
})();
