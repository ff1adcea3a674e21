// The instance list (/instances/): durations of running instances tick, and the bulk bar follows the
// row selection. Kept in a file because the CSP allows no inline script; the page works without it
// (the server confirms and checks everything).
'use strict';

(() => {
  const format = (seconds) => {
    if (seconds < 60) return `${seconds.toFixed(1)} s`;
    const s = Math.floor(seconds);
    if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  };

  const tick = () => {
    const now = Date.now() / 1000;
    document.querySelectorAll('[data-running-since]').forEach((cell) => {
      const since = Number(cell.dataset.runningSince);
      if (Number.isFinite(since)) cell.textContent = format(Math.max(0, now - since));
    });
  };

  const form = document.querySelector('[data-testid="bulk-form"]');
  const boxes = () => (form ? Array.from(form.querySelectorAll('input[name="ids"]:not(:disabled)')) : []);
  const selectAll = form && form.querySelector('[data-select-all]');

  const refresh = () => {
    if (!form) return;
    const all = boxes();
    const chosen = all.filter((b) => b.checked).length;
    const count = form.querySelector('[data-selected-count]');
    if (count) count.textContent = `${chosen} selected`;
    if (selectAll && !selectAll.disabled) {
      selectAll.checked = all.length > 0 && chosen === all.length;
      selectAll.indeterminate = chosen > 0 && chosen < all.length;
    }
    // Buttons the server disabled (the role) stay disabled; the others need a selection.
    form.querySelectorAll('[data-needs-selection]').forEach((button) => {
      if (!button.hasAttribute('title')) button.disabled = chosen === 0;
    });
  };

  if (form) {
    form.addEventListener('change', (event) => {
      if (event.target === selectAll) boxes().forEach((b) => { b.checked = selectAll.checked; });
      refresh();
    });
    refresh();
  }
  tick();
  if (document.querySelector('[data-running-since]')) window.setInterval(tick, 1000);
})();
