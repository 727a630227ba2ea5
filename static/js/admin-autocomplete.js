// Admin's autocomplete box (select2) is named by its chosen value alone, so an
// empty one has no name for a screen reader: add the field's own label to it.
// It runs after admin's autocomplete.js has built the boxes (both wait for
// jQuery's "ready", in the order they asked).
function nameAutocompleteBoxes() {
  document.querySelectorAll("select.admin-autocomplete").forEach((select) => {
    const label = document.querySelector(`label[for="${select.id}"]`);
    const container = select.nextElementSibling;
    const box = container && container.querySelector(".select2-selection");
    if (!label || !box) {
      return;
    }
    label.id = label.id || `${select.id}-label`;
    const shown = box.getAttribute("aria-labelledby") || "";
    if (!shown.includes(label.id)) {
      box.setAttribute("aria-labelledby", `${label.id} ${shown}`.trim());
    }
    // The chosen value inside the box is a read-only text field of its own.
    const value = box.querySelector("[role=textbox]");
    if (value) {
      value.setAttribute("aria-labelledby", label.id);
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  if (window.django && window.django.jQuery) {
    window.django.jQuery(nameAutocompleteBoxes);
  }
});
