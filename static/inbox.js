// The reviewer's pages, live (/ws/inbox/, approvals/consumers.py). The socket says which of the
// user's tasks changed; the inbox then fetches its list again (?fragment=1: the tabs with their
// counts, the rows, the top bar's badge) and swaps it in without a reload; a task page says who
// claimed or decided it, or that it was withdrawn, as it happens, and keeps its history, the
// decisions so far and the comments current (its forms are left as the reviewer left them). Kept in a file because the CSP
// allows no inline script; both pages work without it (the server checks everything).
'use strict';

(() => {
  const listPage = document.querySelector('[data-inbox-page]');
  const taskPage = document.querySelector('[data-task-page]');
  if (!(listPage || taskPage) || !('WebSocket' in window)) return;
  const state = document.querySelector('[data-live-state]');
  let retry = 1000;

  const show = (name, text) => {
    if (!state) return;
    state.dataset.state = name;
    state.textContent = text;
  };

  // --- the inbox: fetch the list again ----------------------------------------------------------
  // The top bar's count (templates/base.html renders it only when there is something to count).
  const badge = (count) => {
    const link = document.querySelector('[data-testid="nav-inbox"]');
    let shown = document.querySelector('[data-inbox-badge]');
    if (!link) return;
    if (count === '0' || !count) { if (shown) shown.remove(); return; }
    if (!shown) {
      shown = document.createElement('span');
      shown.className = 'status status-running';
      shown.dataset.inboxBadge = '';
      shown.title = 'open tasks for you or your groups';
      link.append(' ', shown);
    }
    shown.textContent = count;
  };
  let busy = false;
  let again = false;
  let timer = null;
  let last = 0;

  const rowIds = () => new Set(Array.from(document.querySelectorAll('[data-testid="task-row"]')).map((r) => r.dataset.task));

  // The rows are patched, not swapped: a row the server renders as before stays the same element,
  // so a click on it is never lost to a refresh that lands between the press and the release.
  // (The CSRF token is masked afresh on every render, so it is left out of the comparison.)
  const signature = (element) => {
    const copy = element.cloneNode(true);
    copy.classList.remove('inbox-row-new');
    if (!copy.classList.length) copy.removeAttribute('class');
    copy.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach((input) => input.removeAttribute('value'));
    return copy.outerHTML;
  };
  const taskRows = (part) => {
    const body = part.querySelector('tbody');
    const rows = body ? Array.from(body.children) : [];
    return rows.length && rows.every((row) => row.dataset.task) ? rows : null;
  };
  const patchRows = (now, fresh) => {
    const had = taskRows(now);
    const wanted = taskRows(fresh);
    if (!had || !wanted) { now.replaceWith(document.importNode(fresh, true)); return; }  // to or from the empty list
    const body = now.querySelector('tbody');
    const kept = new Map(had.map((row) => [row.dataset.task, row]));
    const rows = wanted.map((row) => {
      const old = kept.get(row.dataset.task);
      if (old && signature(old) === signature(row)) { kept.delete(row.dataset.task); return old; }
      return document.importNode(row, true);
    });
    kept.forEach((row) => row.remove());
    rows.forEach((row, i) => { if (body.children[i] !== row) body.insertBefore(row, body.children[i] || null); });
    const pager = now.querySelector('[data-testid="pager"]');
    const freshPager = fresh.querySelector('[data-testid="pager"]');
    if (pager && freshPager && signature(pager) === signature(freshPager)) return;
    if (pager) pager.remove();
    if (freshPager) now.append(document.importNode(freshPager, true));
  };

  const refresh = async () => {
    if (!listPage) return;
    if (busy) { again = true; return; }
    busy = true;
    try {
      const url = new URL(listPage.dataset.fragmentUrl || window.location.href, window.location.href);
      url.searchParams.set('fragment', '1');
      const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
      const before = rowIds();
      fresh.querySelectorAll('[data-part]').forEach((part) => {
        const name = part.dataset.part;
        if (name === 'badge') { badge(part.textContent.trim()); return; }
        const now = listPage.querySelector(`[data-part="${name}"]`);
        if (now && name === 'rows') patchRows(now, part);
        else if (now) now.replaceWith(document.importNode(part, true));
      });
      document.querySelectorAll('[data-testid="task-row"]').forEach((row) => {
        if (before.size && !before.has(row.dataset.task)) row.classList.add('inbox-row-new');
      });
      document.dispatchEvent(new CustomEvent('inbox:refreshed'));
    } catch (error) {
      // the next change or reconnect tries again
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  };

  // A change after a quiet spell is fetched at once; while tasks keep changing, at most twice a second.
  const soon = () => {
    if (timer !== null) return;
    const wait = Math.max(0, 500 - (Date.now() - last));
    timer = window.setTimeout(() => { timer = null; last = Date.now(); refresh(); }, wait);
  };

  // --- a task page: say what happened to it -----------------------------------------------------
  const taskId = taskPage ? Number(taskPage.dataset.task) : 0;
  const me = taskPage ? taskPage.dataset.me : '';
  let seen = taskPage ? Number(taskPage.dataset.seq || 0) : 0;
  const banner = taskPage && taskPage.querySelector('[data-task-banner]');
  const DECISIONS = { approved: 'approved', rejected: 'rejected', changes: 'changes requested' };

  const say = (text, kind, type) => {
    if (!banner) return;
    banner.replaceChildren();
    const words = document.createElement('span');
    words.textContent = text;  // text, never HTML: names come from the server's data
    const reload = document.createElement('a');
    reload.href = window.location.pathname;
    reload.textContent = 'Reload the task';
    banner.append(words, reload);
    banner.className = kind ? `banner banner-${kind}` : 'banner';
    banner.dataset.event = type;
    banner.hidden = false;
  };

  // The task is over: its forms can do nothing any more, and its state says so.
  const closeForms = (label, state) => {
    taskPage.querySelectorAll('form button, form input, form textarea, form select').forEach((field) => { field.disabled = true; });
    const pill = taskPage.querySelector('[data-testid="task-status"]');
    if (pill && label) {
      pill.textContent = label;
      pill.className = `task-state state-${state}`;
    }
    taskPage.dataset.status = state;
  };

  const holder = (text) => {
    const held = taskPage.querySelector('[data-testid="held-by"]');
    if (held) held.textContent = text;
  };

  // The page's read-only parts (history, decisions so far, comments) as the server renders them
  // now; the forms are left alone, so nothing the reviewer is typing is lost.
  let partsTimer = null;
  let partsBusy = false;
  let partsAgain = false;
  const swapParts = (fresh) => {
    fresh.querySelectorAll('[data-live-part]').forEach((part) => {
      const now = taskPage.querySelector(`[data-live-part="${part.dataset.livePart}"]`);
      if (now) now.replaceWith(document.importNode(part, true));
    });
  };
  const fetchPage = async () => {
    const response = await fetch(window.location.pathname, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!response.ok) return null;
    return new DOMParser().parseFromString(await response.text(), 'text/html').querySelector('[data-task-page]');
  };
  const refreshParts = () => {
    if (partsBusy) { partsAgain = true; return; }  // fetched again once this one is in
    if (partsTimer !== null) return;
    partsTimer = window.setTimeout(async () => {
      partsTimer = null;
      partsBusy = true;
      try {
        const fresh = await fetchPage();
        if (fresh) swapParts(fresh);
      } catch (error) {
        // the next change or reconnect tries again
      } finally {
        partsBusy = false;
        if (partsAgain) { partsAgain = false; refreshParts(); }
      }
    }, 200);
  };

  const tell = (event) => {
    if (event.task !== taskId || !(event.seq > seen)) return;
    seen = event.seq;
    refreshParts();
    const by = event.by || 'someone';
    const decision = DECISIONS[event.decision] || event.decision || '';
    if (event.by && event.by === me && !['task_decided', 'task_withdrawn', 'task_closed'].includes(event.type)) return;  // this page did it
    switch (event.type) {
      case 'task_claimed': say(`Claimed by ${by} just now: only they can decide it while they hold it.`, '', event.type); holder(`Claimed by ${by}`); break;
      case 'task_unclaimed': say(`${by} released the task: it can be claimed again.`, '', event.type); holder('Unclaimed'); break;
      case 'task_delegated': say(`${by} delegated the task.`, '', event.type); break;
      case 'task_commented': say(`${by} added a comment.`, '', event.type); break;
      case 'task_voted': say(`${by} decided: ${decision}. The other reviewers' decisions are awaited.`, '', event.type); break;
      case 'task_escalated': say('The task is overdue and was escalated.', '', event.type); break;
      case 'task_decided': say(`Decided by ${by}: ${decision}.`, 'done', event.type); closeForms(`Decided: ${decision}`, 'decided'); break;
      case 'task_closed': say(`Closed: overdue${decision ? `, decided ${decision} automatically` : ''}.`, 'gone', event.type); closeForms(decision ? 'Escalated' : 'Expired', decision ? 'escalated' : 'expired'); break;
      case 'task_withdrawn': say('Withdrawn: the step ended without a decision (the instance was cancelled, failed or went another way).', 'gone', event.type); closeForms('Withdrawn', 'withdrawn'); break;
      default: break;
    }
  };

  // After the socket was down: did the task change meanwhile? (Its page carries the last seq.)
  const catchUpTask = async () => {
    try {
      const fresh = await fetchPage();
      if (fresh) swapParts(fresh);
      if (fresh && Number(fresh.dataset.seq || 0) > seen && fresh.dataset.status !== taskPage.dataset.status) {
        say('This task changed while the connection was down.', fresh.dataset.status === 'open' ? '' : 'gone', 'catch_up');
        if (fresh.dataset.status !== 'open') closeForms('', fresh.dataset.status);
      }
    } catch (error) {
      // nothing to add
    }
  };

  // --- the socket ---------------------------------------------------------------------------------
  const connect = (reconnecting) => {
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${window.location.host}/ws/inbox/`);
    socket.addEventListener('open', () => {
      retry = 1000;
      show('live', 'live');
      // what changed between this page's rendering and now (or while the socket was down)
      if (listPage) refresh();
      if (taskPage && reconnecting) catchUpTask();
    });
    socket.addEventListener('message', (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (listPage && Array.isArray(message.changed) && message.changed.length) soon();
      if (taskPage && Array.isArray(message.events)) message.events.forEach(tell);
    });
    socket.addEventListener('close', () => {
      show('paused', 'paused: reconnecting…');
      window.setTimeout(() => connect(true), retry);
      retry = Math.min(retry * 2, 15000);
    });
  };
  connect(false);
  window.addEventListener('pageshow', (event) => { if (event.persisted && listPage) refresh(); });
})();
