// Ticks the password checklist as the person types: ✓ met, ✗ not met (portal.css). Only a help: the server checks the
// same rules with AUTH_PASSWORD_VALIDATORS, whose settings each item carries in its data-*
// attributes (portal/accounts/password_rules.py), so a tick here means the server agrees.
// Each item gets a visually hidden "cumplido"/"pendiente"; the list is a polite live region
// and an item's status text changes only when the rule flips, so a screen reader hears the
// item that changed, once, not every keystroke.
(function () {
  "use strict";
  var list = document.getElementById("password-rules");
  var password = document.querySelector("input[name=new_password1]");
  var form = password && password.form;
  var confirmation = form && form.querySelector("input[name=new_password2]");
  if (!list || !confirmation) return;
  var current = form.querySelector("input[name=old_password]");
  var words = {
    met: list.getAttribute("data-met") || "",
    pending: list.getAttribute("data-pending") || ""
  };

  function lines(item, name) {
    var text = item.getAttribute("data-" + name);
    return text ? text.split("\n") : [];
  }

  // Python's len(): code points, so an emoji counts once as Django counts it.
  function length(text) {
    return Array.from(text).length;
  }

  // difflib.SequenceMatcher(a=a, b=b).quick_ratio(): the characters both share, counted
  // with repetition, against both lengths.
  function quickRatio(a, b) {
    var available = {};
    var matches = 0;
    Array.from(b).forEach(function (c) { available[c] = (available[c] || 0) + 1; });
    Array.from(a).forEach(function (c) {
      if (available[c] > 0) {
        available[c] -= 1;
        matches += 1;
      }
    });
    var total = length(a) + length(b);
    return total ? 2 * matches / total : 1;
  }

  // UserAttributeSimilarityValidator: each value and each of its words, skipping a part the
  // password dwarfs (exceeds_maximum_length_ratio), must stay under max_similarity.
  function similar(value, item) {
    var most = parseFloat(item.getAttribute("data-max-similarity"));
    var lowered = value.toLowerCase();
    var size = length(lowered);
    return lines(item, "values").some(function (attribute) {
      var parts = attribute.split(/[^\p{L}\p{N}_]+/u).concat([attribute]);
      return parts.some(function (part) {
        var partSize = length(part);
        if (size >= 10 * partSize && partSize < most / 2 * size) return false;
        return quickRatio(lowered, part) >= most;
      });
    });
  }

  // CommonPasswordValidator: the page lists the common passwords of at least data-min
  // characters; a shorter candidate cannot be told apart yet, so it stays pending.
  function common(value, item) {
    var candidate = value.toLowerCase().trim();
    if (length(candidate) < parseInt(item.getAttribute("data-min"), 10)) return null;
    return lines(item, "words").indexOf(candidate) !== -1;
  }

  var checks = {
    "length": function (value, item) {
      return length(value) >= parseInt(item.getAttribute("data-min"), 10);
    },
    "not-numeric": function (value) { return !/^\p{Nd}+$/u.test(value); },
    "not-personal": function (value, item) { return !similar(value, item); },
    "not-common": function (value, item) {
      var found = common(value, item);
      return found === null ? null : !found;
    },
    // Not yet told while the confirmation is empty: nothing was typed to compare.
    "match": function (value) {
      return confirmation.value ? value === confirmation.value : null;
    },
    "different": function (value) { return !current || value !== current.value; }
  };

  var items = Array.prototype.slice.call(list.querySelectorAll("li"));
  items.forEach(function (item) {
    var status = document.createElement("span");
    status.className = "status";
    status.textContent = " " + words.pending;
    item.appendChild(status);
    item.setAttribute("aria-atomic", "true");
  });
  // Live only once every item has its status, so loading the page announces nothing.
  list.setAttribute("aria-live", "polite");

  // Each item: ✓ (class "ok") when met, ✗ (class "no") once something typed does not meet
  // it, the neutral mark before that or while a check cannot tell yet (a check's null).
  function update() {
    var value = password.value;
    items.forEach(function (item) {
      var check = checks[item.getAttribute("data-rule")];
      var verdict = value.length > 0 && check ? check(value, item) : null;
      var met = verdict === true;
      var status = item.querySelector(".status");
      var text = " " + (met ? words.met : words.pending);
      item.classList.toggle("ok", met);
      item.classList.toggle("no", verdict === false);
      if (status.textContent !== text) status.textContent = text;
    });
  }
  password.addEventListener("input", update);
  confirmation.addEventListener("input", update);
  if (current) current.addEventListener("input", update);
  update();
})();
