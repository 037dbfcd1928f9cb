// Progress of a bulk upload: poll its JSON status every 2 seconds, update the progress bar and
// the counts, and reload the page once processing has finished (to show the results). Without
// JavaScript the page offers a Refresh link instead.
document.addEventListener("DOMContentLoaded", () => {
  const section = document.querySelector("[data-bulk-status-url]");
  if (!section) {
    return;
  }
  const url = section.dataset.bulkStatusUrl;
  const progress = section.querySelector("progress");
  const field = (name) => section.querySelector(`[data-bulk="${name}"]`);

  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) {
        return;
      }
      const status = await response.json();
      progress.max = Math.max(status.total, 1);
      progress.value = status.processed;
      progress.textContent = `${status.percent}%`;
      for (const name of ["processed", "total", "percent", "accepted", "refused"]) {
        field(name).textContent = status[name];
      }
      if (!status.running) {
        field("announce").textContent = `Processing finished: ${status.status_label}.`;
        window.location.reload();
        return;
      }
    } catch (error) {
      // A network hiccup: try again at the next tick.
    }
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 2000);
});
