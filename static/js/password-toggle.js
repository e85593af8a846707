// "Mostrar contraseña" beside every password field of the page: a toggle button (aria-pressed)
// that shows the typed password as text and hides it again. Its name stays the same while
// its state changes, as a toggle's must; the words come from the <script> tag's data-*
// (translated by the template). type="button", so Enter in a field still sends the form.
// Without JavaScript there is no button and the field is a plain password field.
(function () {
  "use strict";
  var script = document.currentScript;
  var shown = script && script.getAttribute("data-show");
  var hidden = script && script.getAttribute("data-name");
  if (!shown) return;  // no words to name the button with: leave the fields as they are
  var fields = document.querySelectorAll("input[type=password]");

  Array.prototype.forEach.call(fields, function (input, index) {
    if (!input.id) input.id = "password-field-" + index;
    var row = document.createElement("span");
    row.className = "password-reveal";
    input.parentNode.insertBefore(row, input);
    row.appendChild(input);

    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary reveal";
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-controls", input.id);
    button.textContent = shown;
    var rest = document.createElement("span");
    rest.className = "visually-hidden";
    rest.textContent = " " + (hidden || "");
    button.appendChild(rest);
    row.appendChild(button);

    button.addEventListener("click", function () {
      var reveal = input.type === "password";
      input.type = reveal ? "text" : "password";
      button.setAttribute("aria-pressed", reveal ? "true" : "false");
    });
    // Sent hidden: a password shown on screen is not left as text in the form's history.
    if (input.form) {
      input.form.addEventListener("submit", function () {
        input.type = "password";
        button.setAttribute("aria-pressed", "false");
      });
    }
  });
})();
