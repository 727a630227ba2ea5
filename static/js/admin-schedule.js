// The appointment book: Print, fitting the day to the screen, and drag to move.
// Everything here is a shortcut: without JavaScript the grid scrolls within
// itself and each appointment's panel has a Move link to the same service.
// The book is drawn by the server, not by a calendar library such as
// EventCalendar: it then works without JavaScript, needs no build step, and
// the browser only ever asks the Move page, which decides.

document.querySelectorAll(".schedule-print").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});

const grid = document.querySelector(".schedule-grid[data-step]");

// Fit the whole day in the window: rows share the height left below the grid's top.
function fitRows() {
  if (!grid || window.matchMedia("print").matches) return;
  const rows = grid.tBodies[0] ? grid.tBodies[0].rows.length : 0;
  if (!rows) return;
  const head = grid.tHead ? grid.tHead.getBoundingClientRect().height : 0;
  const top = grid.getBoundingClientRect().top + window.scrollY;
  const room = window.innerHeight - top - head - 16;
  const height = Math.max(2, Math.min(28, room / rows));
  grid.style.setProperty("--row-height", `${height}px`);
  grid.classList.add("is-fitted");
}
fitRows();
window.addEventListener("resize", fitRows);

// Drag to move -----------------------------------------------------------------

const status = document.querySelector(".schedule-status");

function say(text, isError) {
  if (!status) return;
  status.textContent = text;
  status.classList.toggle("is-error", Boolean(isError));
}

function csrfToken() {
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

// "2026-12-08T09:00" plus minutes, as wall-clock time (the server reads it in the clinic's zone).
function addMinutes(start, minutes) {
  const [day, time] = start.split("T");
  const [year, month, date] = day.split("-").map(Number);
  const [hour, minute] = time.split(":").map(Number);
  const moment = new Date(Date.UTC(year, month - 1, date, hour, minute + minutes));
  const pad = (n) => String(n).padStart(2, "0");
  return `${moment.getUTCFullYear()}-${pad(moment.getUTCMonth() + 1)}-${pad(moment.getUTCDate())}T${pad(moment.getUTCHours())}:${pad(moment.getUTCMinutes())}`;
}

// The start a drop at clientY in `cell` names: the cell's first row, plus whole rows.
function dropStart(cell, clientY, grabbedOffset) {
  const step = Number(grid.dataset.step) || 15;
  const rowHeight = cell.parentElement.getBoundingClientRect().height || 1;
  const offset = clientY - grabbedOffset - cell.getBoundingClientRect().top;
  const rowsDown = Math.max(0, Math.round(offset / rowHeight));
  return addMinutes(cell.dataset.start, rowsDown * step);
}

if (grid && grid.hasAttribute("data-draggable")) {
  const help = document.querySelector(".schedule-drag-help");
  if (help) help.hidden = false;
  let dragged = null;
  let grabbedOffset = 0;

  grid.querySelectorAll("a.entry[data-move-url]").forEach((link) => {
    link.draggable = true;
    link.addEventListener("dragstart", (event) => {
      dragged = link;
      grabbedOffset = event.clientY - link.getBoundingClientRect().top;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", link.dataset.moveUrl);
      link.classList.add("is-dragged");
    });
    link.addEventListener("dragend", () => {
      link.classList.remove("is-dragged");
      grid.querySelectorAll(".is-drop-target").forEach((cell) => cell.classList.remove("is-drop-target"));
    });
  });

  grid.querySelectorAll("td[data-start]").forEach((cell) => {
    cell.addEventListener("dragover", (event) => {
      if (!dragged) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      cell.classList.add("is-drop-target");
    });
    cell.addEventListener("dragleave", () => cell.classList.remove("is-drop-target"));
    cell.addEventListener("drop", async (event) => {
      if (!dragged) return;
      event.preventDefault();
      cell.classList.remove("is-drop-target");
      const link = dragged;
      dragged = null;
      const choice = `${cell.dataset.practitioner}@${dropStart(cell, event.clientY, grabbedOffset)}`;
      say(grid.dataset.moving || "Moving…", false);
      const body = new URLSearchParams({ choice });
      try {
        const response = await fetch(link.dataset.moveUrl, {
          method: "POST",
          headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
          body,
          credentials: "same-origin",
        });
        const answer = await response.json();
        if (answer.ok) {
          window.location.reload();
        } else {
          say(answer.error, true);
        }
      } catch {
        say("The appointment could not be moved: the server did not answer. Nothing was moved.", true);
      }
    });
  });
}
