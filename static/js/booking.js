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

  // Day first: a day chosen in the strip shows its times in place, without a new
  // page; focus moves to them. Without this, each day is an ordinary link.
  var strip = document.querySelector("[data-day-strip]");
  var panel = document.querySelector("[data-day-panel]");
  if (strip && panel && window.fetch && window.history && window.URL) {
    strip.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-day]");
      if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) {
        return;
      }
      event.preventDefault();
      var address = new URL(link.href, window.location.href);
      address.hash = "";
      var fragment = new URL(address.href);
      fragment.searchParams.set("partial", "day");
      panel.setAttribute("aria-busy", "true");
      window.fetch(fragment.href, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("The day could not be loaded");
          }
          return response.text();
        })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.querySelector("[data-day-panel]");
          if (!fresh) {
            throw new Error("No day in the answer");
          }
          panel.replaceWith(fresh);
          panel = fresh;
          strip.querySelectorAll("a[data-day]").forEach(function (day) {
            day.removeAttribute("aria-current");
          });
          link.setAttribute("aria-current", "date");
          var jump = document.querySelector(".booking-jump__date");
          if (jump) {
            jump.value = link.getAttribute("data-day");
          }
          window.history.pushState({ day: link.getAttribute("data-day") }, "", address.href);
          var heading = fresh.querySelector("#day-heading");
          if (heading) {
            heading.focus();
          }
        })
        .catch(function () {
          window.location.href = link.href; // the page itself, as without JavaScript
        });
    });
    window.addEventListener("popstate", function () {
      window.location.reload();
    });
  }

  // A form asked as one list: "None of these apply to me" and a statement that applies
  // cannot both be ticked (the server says so too); ticking one unticks the other.
  document.querySelectorAll("[data-checklist]").forEach(function (group) {
    var none = group.querySelector("input[data-none]");
    var statements = group.querySelectorAll("input[data-statement]");
    if (!none) {
      return;
    }
    none.addEventListener("change", function () {
      if (none.checked) {
        statements.forEach(function (box) {
          box.checked = false;
        });
      }
    });
    statements.forEach(function (box) {
      box.addEventListener("change", function () {
        if (box.checked) {
          none.checked = false;
        }
      });
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
