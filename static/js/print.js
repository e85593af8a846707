// "Imprimir" on the recovery codes: the browser's print dialog (no inline handler: CSP).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
