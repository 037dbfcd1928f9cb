// The "Copy install code" button beside a revealed install code. The code is read from the
// page (never from an attribute or a request) and copied as its 32 hex digits; a live region
// says "Copied" so that screen-reader users hear the copy happened. Without JavaScript or the
// Clipboard API the button stays hidden and the code can be selected as text.
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
        await navigator.clipboard.writeText(source.textContent.replace(/\s+/g, ""));
        status.textContent = "Copied";
      } catch (error) {
        status.textContent = "Could not copy: select the code and copy it yourself";
      }
    });
  });
});
