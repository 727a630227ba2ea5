// Booking flow enhancements. Everything works without this file.
(function () {
  "use strict";

  // Move focus to the problem summary so screen readers announce it first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }

  // A second press would only find the booking the first one made (the form
  // carries a single-use key), but a busy button tells the patient to wait.
  document.querySelectorAll("form.booking-form[method='post']").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type='submit']");
      if (button && !button.disabled) {
        window.setTimeout(function () {
          button.disabled = true;
          button.setAttribute("aria-busy", "true");
        }, 0);
      }
    });
  });

  // Back to a page kept in the browser's memory: let its buttons work again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("button[aria-busy='true']").forEach(function (button) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
      });
    }
  });
})();
