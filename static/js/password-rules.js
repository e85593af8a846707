// Ticks the password rules as the person types. Only a help: the server
// checks the same rules with Django's password validators.
(function () {
  "use strict";
  var list = document.getElementById("password-rules");
  var password = document.querySelector("input[name=new_password1]");
  var form = password && password.form;
  var confirmation = form && form.querySelector("input[name=new_password2]");
  if (!list || !confirmation) return;
  var common = ["contraseña", "contrasena", "password", "123456", "qwerty", "abc123", "admin"];

  function plain(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  var personal = plain(form.getAttribute("data-personal")).split(/[\s@._-]+/).filter(function (w) {
    return w.length >= 3;
  });

  function update() {
    var value = password.value;
    var lowered = plain(value);
    var checks = {
      "length": value.length >= 12,
      "not-numeric": value.length > 0 && !/^\d+$/.test(value),
      "not-personal": value.length > 0 && !personal.some(function (w) { return lowered.indexOf(w) !== -1; }),
      "not-common": value.length > 0 && !common.some(function (w) { return lowered.indexOf(w) !== -1; }),
      "match": value.length > 0 && value === confirmation.value
    };
    list.querySelectorAll("li[data-rule]").forEach(function (item) {
      var ok = checks[item.getAttribute("data-rule")];
      item.classList.toggle("ok", !!ok);
    });
  }
  password.addEventListener("input", update);
  confirmation.addEventListener("input", update);
  update();
})();
