// Booking flow enhancements. Everything works without this file.
(function () {
  "use strict";

  // Move focus to the problem summary so screen readers announce it first.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }

  // A form sent twice by a double tap would only meet the "just taken" message.
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

  // Time picker: show the first two days open, fold the rest behind buttons
  // so that a phone screen shows the next free times without long scrolling.
  var days = document.querySelectorAll("[data-booking-times] .booking-day");
  days.forEach(function (day, index) {
    var heading = day.querySelector(".booking-day__heading");
    var list = day.querySelector(".booking-day__times");
    if (!heading || !list) {
      return;
    }
    list.id = list.id || "times-" + index;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "booking-day__toggle";
    button.setAttribute("aria-controls", list.id);
    while (heading.firstChild) {
      button.appendChild(heading.firstChild);
    }
    heading.appendChild(button);
    var open = index < 2;
    function render() {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      day.classList.toggle("is-folded", !open);
    }
    button.addEventListener("click", function () {
      open = !open;
      render();
    });
    render();
  });
})();
