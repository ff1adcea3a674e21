// The instance list (/instances/): durations of running instances tick, and the bulk bar follows the
// row selection. Kept in a file because the CSP allows no inline script; the page works without it
// (the server confirms and checks everything).
'use strict';

(() => {
  // The same words as workflows/presenters.py human_duration.
  const format = (seconds) => {
    if (seconds < 1) return seconds * 1000 < 1 ? '<1 ms' : `${Math.round(seconds * 1000)} ms`;
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
  window.setInterval(tick, 1000);  // rows swapped in by the live stream may start running
  document.addEventListener('instances:refreshed', () => { refresh(); tick(); });
})();

// Live: the relay says which instances changed (/ws/instances/); the page then fetches itself again
// and swaps in the rows, chips, summary and pager, so what it shows always matches its filters. A
// later page (after a cursor) only follows the rows it shows. While the socket is down the page says
// it is paused, and it catches up when the socket is back.
(() => {
  const section = document.querySelector('[data-live-list]');
  if (!section || !('WebSocket' in window)) return;
  const state = section.querySelector('[data-live-state]');
  const firstPage = !new URLSearchParams(window.location.search).has('cursor');
  const parts = ['[data-testid="instances-summary"]', '[data-testid="status-chips"]', '[data-testid="instances-table"] tbody', '[data-testid="pager"]'];
  let timer = null;
  let busy = false;
  let again = false;
  let retry = 1000;

  const show = (name, text) => {
    if (!state) return;
    state.dataset.state = name;
    state.textContent = text;
  };

  const refresh = async () => {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const response = await fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!response.ok) return;
      // The fetched page's <style> carries another response's nonce: leave it out, the parts need none.
      const html = (await response.text()).replace(/<style[\s\S]*?<\/style>/gi, '');
      const fresh = new DOMParser().parseFromString(html, 'text/html');
      const checked = new Set(Array.from(document.querySelectorAll('input[name="ids"]:checked')).map((b) => b.value));
      parts.forEach((selector) => {
        const now = document.querySelector(selector);
        const next = fresh.querySelector(selector);
        if (now && next) now.innerHTML = next.innerHTML;
      });
      document.querySelectorAll('input[name="ids"]').forEach((b) => { b.checked = checked.has(b.value); });
      document.dispatchEvent(new CustomEvent('instances:refreshed'));
    } catch (error) {
      // the next change or reconnect tries again
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  };

  // A change after a quiet spell is fetched at once; while instances keep changing, the page fetches
  // itself at most once a second (every open list costs the server one page per fetch).
  let last = 0;
  const soon = () => {
    if (timer !== null) return;
    const wait = Math.max(0, 1000 - (Date.now() - last));
    timer = window.setTimeout(() => { timer = null; last = Date.now(); refresh(); }, wait);
  };

  const shown = () => new Set(Array.from(document.querySelectorAll('[data-testid="instance-row"]')).map((r) => r.dataset.id));

  const connect = (catchUp) => {
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${window.location.host}/ws/instances/`);
    socket.addEventListener('open', () => {
      retry = 1000;
      show('live', 'live');
      if (catchUp) refresh();
    });
    socket.addEventListener('message', (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      const ids = Array.isArray(message.changed) ? message.changed : [];
      const rows = shown();
      if (firstPage || ids.some((id) => rows.has(id))) soon();
    });
    socket.addEventListener('close', () => {
      show('paused', 'paused: reconnecting…');
      window.setTimeout(() => connect(true), retry);
      retry = Math.min(retry * 2, 15000);
    });
  };
  // Back and Forward may show this page from a cache, as it was when the operator left it: catch up.
  const navigation = performance.getEntriesByType('navigation')[0];
  connect(navigation !== undefined && navigation.type === 'back_forward');
  window.addEventListener('pageshow', (event) => { if (event.persisted) refresh(); });
})();
