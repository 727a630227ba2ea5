// A live preview beside each Markdown field of the content admin. The text is
// rendered by the server through the public pages' own Markdown + nh3
// pipeline (a same-origin POST to the staff-only endpoint named in the
// field's data-markdown-preview attribute), so what staff see is what
// patients will see. Without JavaScript the "Preview exactly as patients will
// see it" link on the page still works.
//
// Beside it, a picker writes a library image's reference, ![alt](image:42),
// at the cursor (the field's help text tells how to write one by hand).
const PREVIEW_DELAY_MS = 400;
let imageChoices = null;

function loadImageChoices(url) {
  if (!imageChoices) {
    imageChoices = fetch(url, { credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : { images: [] }))
      .then((result) => result.images)
      .catch(() => []);
  }
  return imageChoices;
}

async function buildImagePicker(textarea, panel) {
  const images = await loadImageChoices(textarea.dataset.imageChoices);
  if (images.length === 0) {
    return;
  }
  const picker = document.createElement("div");
  picker.className = "markdown-image-picker";
  const label = document.createElement("label");
  label.htmlFor = `${textarea.id}-image`;
  label.textContent = "Image from the library";
  const select = document.createElement("select");
  select.id = label.htmlFor;
  select.append(new Option("Choose an image", ""));
  images.forEach((image) => select.append(new Option(image.label, image.reference)));
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button";
  button.textContent = "Insert image";
  button.addEventListener("click", () => {
    if (!select.value) {
      select.focus();
      return;
    }
    const start = textarea.selectionStart;
    const text = `\n\n${select.value}\n\n`;
    textarea.setRangeText(text, start, textarea.selectionEnd, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  });
  picker.append(label, select, button);
  panel.before(picker);
}

function csrfToken(form) {
  const input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function buildPanel(textarea) {
  const label = document.querySelector(`label[for="${textarea.id}"]`);
  const name = label ? label.textContent.replace(/:\s*$/, "") : textarea.name;
  const panel = document.createElement("section");
  panel.className = "markdown-preview";
  const heading = document.createElement("h3");
  heading.id = `${textarea.id}-preview-heading`;
  heading.textContent = `Live preview: ${name}`;
  panel.setAttribute("aria-labelledby", heading.id);
  const status = document.createElement("div");
  status.className = "markdown-preview-status";
  status.setAttribute("aria-live", "polite");
  const minutes = document.createElement("p");
  minutes.className = "markdown-preview-minutes";
  const warnings = document.createElement("ul");
  warnings.className = "markdown-preview-warnings";
  status.append(minutes, warnings);
  const body = document.createElement("div");
  body.className = "markdown-preview-body";
  panel.append(heading, status, body);
  const row = textarea.closest(".flex-container") || textarea;
  row.after(panel);
  return { element: panel, minutes, warnings, body };
}

function showWarnings(list, warnings) {
  list.replaceChildren(
    ...warnings.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }),
  );
  list.hidden = warnings.length === 0;
}

function attachPreview(textarea) {
  const panel = buildPanel(textarea);
  if (textarea.dataset.imageChoices) {
    buildImagePicker(textarea, panel.element);
  }
  let timer = null;
  let latest = 0;

  async function refresh() {
    const asked = ++latest;
    const data = new FormData();
    data.append("text", textarea.value);
    try {
      const response = await fetch(textarea.dataset.markdownPreview, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(textarea.form) },
      });
      const result = await response.json();
      if (asked !== latest) {
        return; // a newer request is on its way
      }
      if (!response.ok) {
        panel.minutes.textContent = result.error || "The preview is not available.";
        return;
      }
      const minutes = result.reading_minutes;
      panel.minutes.textContent = `Reading time: about ${minutes} minute${minutes === 1 ? "" : "s"}.`;
      showWarnings(panel.warnings, result.warnings);
      panel.body.innerHTML = result.html; // cleaned by nh3 on the server
    } catch {
      if (asked === latest) {
        panel.minutes.textContent = "The preview is not available right now.";
      }
    }
  }

  textarea.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, PREVIEW_DELAY_MS);
  });
  refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("textarea[data-markdown-preview]").forEach(attachPreview);
});
