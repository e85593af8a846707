// Passkeys as a second factor (portal.accounts.passkeys): creates one ("register") or shows
// one after the password ("verify") with the browser's WebAuthn API, and sends the result to
// the portal's JSON endpoints. Each widget (templates/portal/account/passkey_*.html) gives
// the endpoints and the CSRF token in a json_script block and its sentences, translated, in
// data-*; what happens is said in its status line (role="status"), never in an alert.
// Our own script rather than django-otp-webauthn's: that one uses alert() and its own markup.
(function () {
  "use strict";

  // WebAuthn's options and results carry binary fields; the server sends and expects them
  // as base64url text (py_webauthn's JSON forms).
  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBuffer(item.id), transports: item.transports };
    });
  }

  function creationOptions(options) {
    options.challenge = toBuffer(options.challenge);
    options.user.id = toBuffer(options.user.id);
    options.excludeCredentials = descriptors(options.excludeCredentials);
    return options;
  }

  function requestOptions(options) {
    options.challenge = toBuffer(options.challenge);
    options.allowCredentials = descriptors(options.allowCredentials);
    return options;
  }

  // A PublicKeyCredential as the server reads it (base64url), with its ceremony's response.
  function asJson(credential, response) {
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: response
    };
  }

  function created(credential) {
    var response = credential.response;
    return asJson(credential, {
      clientDataJSON: toText(response.clientDataJSON),
      attestationObject: toText(response.attestationObject),
      transports: response.getTransports ? response.getTransports() : []
    });
  }

  function asserted(credential) {
    var response = credential.response;
    return asJson(credential, {
      clientDataJSON: toText(response.clientDataJSON),
      authenticatorData: toText(response.authenticatorData),
      signature: toText(response.signature),
      userHandle: response.userHandle ? toText(response.userHandle) : null
    });
  }

  // A refusal the page words itself (429: past the attempts' limit) comes in `detail`.
  function Refused(status, detail) {
    this.status = status;
    this.detail = detail;
  }

  function post(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Refused(response.status, data.detail);
        return data;
      });
    });
  }

  var ceremonies = {
    register: function (options) {
      return navigator.credentials.create({ publicKey: creationOptions(options) }).then(created);
    },
    verify: function (options) {
      return navigator.credentials.get({ publicKey: requestOptions(options) }).then(asserted);
    }
  };

  function setUp(widget) {
    var ceremony = ceremonies[widget.getAttribute("data-passkey")];
    var status = widget.querySelector(".passkey-status");
    var action = widget.querySelector(".passkey-action");
    var button = action.querySelector("button");
    var config = JSON.parse(document.getElementById(widget.getAttribute("data-config")).textContent);
    var pending = false;

    function announce(name, text) {
      // Emptied first so that the same sentence twice is read twice.
      status.textContent = "";
      setTimeout(function () { status.textContent = text || widget.getAttribute(name); }, 50);
    }

    if (!ceremony || !window.PublicKeyCredential || !navigator.credentials) {
      announce("data-unsupported");
      return;
    }
    action.hidden = false;
    button.addEventListener("click", function () {
      // Not `disabled`: that would drop the keyboard focus from the button.
      if (pending) return;
      pending = true;
      announce("data-working");
      post(config.begin_url, config.csrf_token, {})
        .then(ceremony)
        .then(function (result) { return post(config.complete_url, config.csrf_token, result); })
        .then(function (data) {
          announce("data-done");
          window.location.assign(data.redirect_url);
        })
        .catch(function (error) {
          pending = false;
          if (error instanceof Refused && error.status === 429 && error.detail) {
            announce(null, error.detail);
          } else if (error && error.name === "InvalidStateError" && widget.hasAttribute("data-duplicate")) {
            // The authenticator already holds a passkey of this account (excludeCredentials).
            announce("data-duplicate");
          } else {
            // Cancelled, timed out, no such passkey on this device, or refused by the server.
            announce("data-failed");
          }
        });
    });
  }

  document.querySelectorAll("[data-passkey]").forEach(function (widget) {
    // A page holding both partials loads this script twice: each widget is set up once.
    if (widget.hasAttribute("data-ready")) return;
    widget.setAttribute("data-ready", "");
    setUp(widget);
  });
})();
