/* The dashboard's copy buttons (a file, not an inline script, so that a
   Content-Security-Policy allows it). Without JavaScript the button stays hidden and the
   read-only field holding the text is there to select and copy by hand. */
(function () {
  "use strict";

  function copy(field) {
    // The Clipboard API needs a secure context (HTTPS, or localhost); elsewhere the
    // older command still copies the selection.
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(field.value);
    }
    field.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject(new Error("copy"));
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy")),
        status = document.getElementById(button.getAttribute("data-status"));
    if (!field || !status) return;
    field.addEventListener("focus", function () { field.select(); });
    if (document.activeElement === field) field.select();
    button.addEventListener("click", function () {
      copy(field).then(function () {
        status.textContent = button.getAttribute("data-copied");
      }, function () {
        field.focus();
        field.select();
        status.textContent = button.getAttribute("data-failed");
      });
    });
    button.hidden = false;
  });
})();
