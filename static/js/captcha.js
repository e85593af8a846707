// "Otra imagen" and the in-page audio of the captcha (portal.captcha.CaptchaWidget). Only a
// help: without it a wrong answer already brings a new image and the audio link downloads
// the file. The texts come translated in the widget's data-* attributes.
(function () {
  "use strict";
  document.querySelectorAll(".captcha-widget").forEach(function (widget) {
    var button = widget.querySelector(".captcha-refresh");
    var image = widget.querySelector("img.captcha");
    var key = widget.querySelector("input[type=hidden]");
    var answer = widget.querySelector("input[type=text]");
    var audioLink = widget.querySelector(".captcha-audio");
    var status = widget.querySelector(".captcha-status");
    var pending = false;
    var player = null;

    function announce(text) {
      // Emptied first so that the same sentence twice is read twice.
      status.textContent = "";
      setTimeout(function () { status.textContent = text; }, 50);
    }

    function show(data) {
      function shown(event) {
        image.removeEventListener("load", shown);
        image.removeEventListener("error", shown);
        announce(widget.getAttribute(event.type === "load" ? "data-refreshed" : "data-failed"));
      }
      image.addEventListener("load", shown);
      image.addEventListener("error", shown);
      image.src = data.image_url;
      key.value = data.key;
      answer.value = "";
      if (audioLink) {
        audioLink.hidden = !data.audio_url;
        if (data.audio_url) audioLink.href = data.audio_url;
      }
      if (player) { player.pause(); player = null; }
    }

    button.addEventListener("click", function () {
      // Not `disabled`: that would drop the keyboard focus from the button.
      if (pending) return;
      pending = true;
      fetch(widget.getAttribute("data-refresh-url"), {
        headers: { "X-Requested-With": "XMLHttpRequest" },
        credentials: "same-origin"
      }).then(function (response) {
        if (response.status === 429) {
          announce(widget.getAttribute("data-refused"));
          return null;
        }
        if (!response.ok) throw new Error(String(response.status));
        return response.json().then(show);
      }).catch(function () {
        announce(widget.getAttribute("data-failed"));
      }).then(function () {
        pending = false;
      });
    });
    button.hidden = false;

    if (audioLink) {
      audioLink.addEventListener("click", function (event) {
        event.preventDefault();
        if (player) player.pause();
        player = new Audio(audioLink.href);
        player.play().catch(function () {
          announce(widget.getAttribute("data-audio-failed"));
        });
      });
    }
  });
})();
