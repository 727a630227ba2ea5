// The schedule's Print button: shown only when JavaScript can print.
document.querySelectorAll(".schedule-print").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
