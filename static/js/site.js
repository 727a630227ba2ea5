// Enhancements every page shares. Everything works without this file.
(function () {
  "use strict";

  // The header's search on a phone shows only its button. Without this file the
  // button sends the empty form, and the search page opens with its own box
  // focused. Here the first press shows the header's box instead and focuses it;
  // a press with the box in view searches; Escape folds the box away again.
  var form = document.querySelector("form.site-search");
  var input = form && form.querySelector("input[type='search']");
  var button = form && form.querySelector("button[type='submit']");
  if (!input || !button) {
    return;
  }

  function boxShown() {
    return input.getClientRects().length > 0;
  }

  form.addEventListener("submit", function (event) {
    if (boxShown()) {
      return;
    }
    event.preventDefault();
    form.classList.add("site-search--open");
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && form.classList.contains("site-search--open")) {
      form.classList.remove("site-search--open");
      button.focus();
    }
  });
})();
