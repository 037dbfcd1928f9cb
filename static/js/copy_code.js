// A "Copy" button beside a secret shown once: a revealed install code, or an API client's id
// and secret in a read-only field. The value is read from the page (never from a request) and
// copied without white space (an install code as its 32 hex digits); a live region says
// "Copied" so that screen-reader users hear the copy happened. Without JavaScript or the
// Clipboard API the button stays hidden and the value can be selected as text.
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }
  document.querySelectorAll("[data-copy-target]").forEach((button) => {
    const source = document.getElementById(button.dataset.copyTarget);
    const status = document.getElementById(button.dataset.copyStatus);
    if (!source || !status) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", async () => {
      // Emptied first, so that a second copy is announced again.
      status.textContent = "";
      try {
        const shown = source instanceof HTMLInputElement ? source.value : source.textContent;
        await navigator.clipboard.writeText(shown.replace(/\s+/g, ""));
        status.textContent = "Copied";
      } catch (error) {
        status.textContent = "Could not copy: select it and copy it yourself";
      }
    });
  });
});
