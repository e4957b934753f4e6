// The onep web console: the front end of `SetHandler onep-admin`.
//
// The module serves this file under the admin location the site chose, so
// every URL here (assets and `api/...`) is relative to that location. Its
// Content-Security-Policy allows no inline script or style: the DOM is built
// with createElement and textContent only, so no value from the API is ever
// parsed as HTML. Tokens are shown once, in the dialog that issued them, and
// removed from the DOM when it closes; they never go into a URL, web storage
// or the browser console.
'use strict';

(() => {
  const kSlug = /^[a-z0-9][a-z0-9-]{0,62}$/;
  const kPollMs = 5000;
  const kEventsShown = 50;
  const kAuditShown = 100;
  const kTypeLabels = { hits: 'Hits/Failure', deploy: 'Deploy' };
  const kSvgNs = 'http://www.w3.org/2000/svg';

  // ---------------------------------------------------------------- DOM

  // h('td', {class: 'x', text: 'y'}, child...): an element with attributes,
  // text and children. Strings become text nodes, never markup.
  function h(tag, attrs, ...children) {
    return build(document.createElement(tag), attrs, children);
  }

  function svg(tag, attrs, ...children) {
    return build(document.createElementNS(kSvgNs, tag), attrs, children);
  }

  function build(el, attrs, children) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'text') el.textContent = value;
      else if (key === 'class') el.setAttribute('class', value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child !== null && child !== undefined && child !== false) el.append(child);
    }
    return el;
  }

  const $ = (id) => document.getElementById(id);
  const main = $('main');

  // Results go to a live region. While a modal dialog is open the page
  // behind it is inert, so the dialog's own region speaks instead.
  let statusTimer = 0;

  function announce(text) {
    const dialog = document.querySelector('dialog[open]');
    const inDialog = dialog && dialog.querySelector('.dialog-status');
    if (inDialog) inDialog.textContent = text;
    $('alert').textContent = '';
    $('status').textContent = text;
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => {
      $('status').textContent = '';
    }, 10000);
  }

  function alertUser(text) {
    $('status').textContent = '';
    $('alert').textContent = text;
  }

  function clearMessages() {
    $('status').textContent = '';
    $('alert').textContent = '';
    for (const region of document.querySelectorAll('.dialog-status')) region.textContent = '';
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  let session = null; // {user, csrf} from api/session

  async function send(method, path, body) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET') {
      headers['Content-Type'] = 'application/json';
      headers['X-CSRF-Token'] = session ? session.csrf : '';
      if (body !== undefined) init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, 'network', 'The server could not be reached. Check the connection and try again.');
    }
    if (response.status === 204) return null;
    let data = null;
    if ((response.headers.get('Content-Type') || '').includes('json')) {
      try {
        data = await response.json();
      } catch (e) {
        data = null;
      }
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw new ApiError(response.status, error.code || `http_${response.status}`,
                         error.message || `The server answered ${response.status} ${response.statusText}`.trim());
    }
    return data;
  }

  async function loadSession() {
    session = await send('GET', 'api/session');
    $('session-user').textContent = session && session.user ? `Signed in as ${session.user}` : '';
    return session;
  }

  // GET as is; POST and DELETE with the CSRF token, fetching the session
  // again once when the module refuses it (its secret changes when Apache
  // restarts).
  async function api(method, path, body) {
    if (method === 'GET') return send(method, path);
    if (!session) await loadSession();
    try {
      return await send(method, path, body);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 403 || e.code !== 'csrf') throw e;
      await loadSession();
      return send(method, path, body);
    }
  }

  const orgPath = (org, what) => `api/orgs/${encodeURIComponent(org)}/${what}`;
  const credentialPath = (id, what) => `api/credentials/${encodeURIComponent(id)}${what ? '/' + what : ''}`;

  // A GET for an org that has nothing yet answers 404: that is how a new
  // org starts, so it reads as empty.
  async function getOrEmpty(path) {
    try {
      return await api('GET', path);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return [];
      throw e;
    }
  }

  // ---------------------------------------------------------------- formats

  function formatTime(value) {
    if (!value) return '';
    const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(value);
    return m ? `${m[1]} ${m[2]}` : String(value);
  }

  function timeCell(value, empty) {
    if (!value) return h('span', { class: 'none', text: empty || '—' });
    return h('time', { datetime: value, title: value, text: formatTime(value) });
  }

  // For the events list: today's (UTC) events by their time of day only.
  function shortTimeCell(value) {
    const today = new Date().toISOString().slice(0, 10);
    if (!value || String(value).slice(0, 10) !== today) return timeCell(value);
    return h('time', { datetime: value, title: value, text: formatTime(value).slice(11) });
  }

  function formatDuration(ms) {
    if (ms === null || ms === undefined) return '';
    const units = [[86400000, 'd'], [3600000, 'h'], [60000, 'm'], [1000, 's']];
    for (const [size, unit] of units) {
      if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
    }
    return `${ms}ms`;
  }

  const kGraceLabels = { '': 'none', '1h': '1 hour', '24h': '24 hours', '7d': '7 days' };

  function cut(text, max) {
    const s = String(text);
    return s.length > max ? s.slice(0, max - 1) + '…' : s;
  }

  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }

  // ---------------------------------------------------------------- icons

  function pencilIcon() {
    return svg('svg', { viewBox: '0 0 20 20', width: 18, height: 18, 'aria-hidden': 'true', focusable: 'false', class: 'icon' },
      svg('path', { d: 'M3 17 L4 12.5 L13 3.5 L16.5 7 L7.5 16 Z M11.5 5 L15 8.5', fill: 'none', stroke: 'currentColor', 'stroke-width': 1.6, 'stroke-linejoin': 'round' }));
  }

  function binIcon() {
    return svg('svg', { viewBox: '0 0 20 20', width: 18, height: 18, 'aria-hidden': 'true', focusable: 'false', class: 'icon' },
      svg('path', { d: 'M3.5 5.5 H16.5 M8 5.5 V3.5 H12 V5.5 M5 5.5 L6 17 H14 L15 5.5 M8.5 8.5 V14 M11.5 8.5 V14', fill: 'none', stroke: 'currentColor', 'stroke-width': 1.6, 'stroke-linejoin': 'round', 'stroke-linecap': 'round' }));
  }

  // ---------------------------------------------------------------- views

  // Each view gets a number; answers that arrive after the user moved on
  // are dropped by comparing it.
  let view = 0;
  let pollTimer = null;
  let org = null; // the org page's state, or null on other pages

  function beginView(title, crumbs) {
    view += 1;
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = null;
    org = null;
    document.title = `${title} · onep console`;
    const list = $('crumbs');
    list.replaceChildren(...crumbs.map((c, i) => h('li', {},
      i === crumbs.length - 1 ? h('span', { 'aria-current': 'page', text: c.label })
                              : h('a', { href: c.href, text: c.label }))));
    return view;
  }

  function heading(text) {
    return h('h1', { tabindex: -1, text });
  }

  function errorBox(e) {
    return h('p', { class: 'inline-error', text: e.message });
  }

  function tableWrap(caption, table) {
    return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: 0 }, table);
  }

  function route() {
    clearMessages();
    const hash = location.hash.replace(/^#/, '') || '/';
    const match = /^\/orgs\/([^/]+)\/?$/.exec(hash);
    let slug = null;
    if (match) {
      try {
        slug = decodeURIComponent(match[1]);
      } catch (e) {
        slug = null;
      }
    }
    if (hash === '/') showOrgs();
    else if (slug !== null && kSlug.test(slug)) showOrg(slug);
    else showNotFound();
  }

  function focusHeading() {
    const h1 = main.querySelector('h1');
    if (h1) h1.focus({ preventScroll: true });
  }

  function showNotFound() {
    beginView('Not found', [{ label: 'Organizations', href: '#/' }, { label: 'Not found' }]);
    main.replaceChildren(heading('Not found'),
      h('p', {}, 'This console has no such page. ', h('a', { href: '#/', text: 'Go to the organizations.' })));
  }

  // ------------------------------------------------ the organizations page

  async function showOrgs() {
    const me = beginView('Organizations', [{ label: 'Organizations' }]);
    const input = h('input', { id: 'open-org', type: 'text', autocomplete: 'off', spellcheck: 'false',
                               maxlength: 63, 'aria-describedby': 'open-org-help open-org-error' });
    const error = h('p', { class: 'form-error', id: 'open-org-error', role: 'alert' });
    const form = h('form', { class: 'open-org', novalidate: true },
      h('label', { for: 'open-org', text: 'Organization name' }),
      h('div', { class: 'inline' }, input, h('button', { type: 'submit', class: 'primary', text: 'Open' })),
      h('p', { class: 'help', id: 'open-org-help',
               text: 'Any organization, also one without credentials yet: its page is where “+” creates the first one. Lowercase letters, digits and hyphens, up to 63.' }),
      error);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const slug = input.value.trim();
      if (!kSlug.test(slug)) {
        input.setAttribute('aria-invalid', 'true');
        error.textContent = 'An organization name is 1 to 63 lowercase letters, digits and hyphens, and starts with a letter or digit.';
        input.focus();
        return;
      }
      location.hash = `#/orgs/${slug}`;
    });
    const slot = h('div', {}, h('p', { class: 'loading', text: 'Loading…' }));
    main.replaceChildren(heading('Organizations'),
      h('section', { 'aria-labelledby': 'orgs-heading', class: 'orgs-section' }, h('h2', { id: 'orgs-heading', text: 'With credentials or events' }), slot),
      h('section', { 'aria-labelledby': 'open-heading' }, h('h2', { id: 'open-heading', text: 'Open an organization' }), form));

    let orgs;
    try {
      orgs = await api('GET', 'api/orgs');
    } catch (e) {
      if (me === view) slot.replaceChildren(errorBox(e));
      return;
    }
    if (me !== view) return;
    if (!orgs.length) {
      slot.replaceChildren(h('p', { class: 'empty', id: 'orgs-empty', text: 'No organization has credentials or events yet. Open one below to create its first credential.' }));
      return;
    }
    const rows = orgs.map((o) => h('tr', {},
      h('th', { scope: 'row', 'data-label': 'Organization' }, h('a', { href: `#/orgs/${o.org}`, text: o.org })),
      h('td', { class: 'num', 'data-label': 'Credentials', text: String(o.credentials) }),
      h('td', { class: 'num', 'data-label': 'Events', text: String(o.events) })));
    slot.replaceChildren(tableWrap('Organizations', h('table', { id: 'orgs-table', class: 'stack' },
      h('caption', { class: 'visually-hidden', text: 'Organizations with credentials or events' }),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Organization' }), h('th', { scope: 'col', class: 'num', text: 'Credentials' }), h('th', { scope: 'col', class: 'num', text: 'Events' }))),
      h('tbody', {}, rows))));
  }

  // ------------------------------------------------ an organization's page

  async function showOrg(slug) {
    const me = beginView(slug, [{ label: 'Organizations', href: '#/' }, { label: slug }]);
    org = {
      slug, view: me, credentials: [], events: [], lastEventId: null, stats: [], audit: [], auditKey: '',
      parts: {
        credentials: h('div', { id: 'credentials' }, h('p', { class: 'loading', text: 'Loading…' })),
        events: h('div', { id: 'events' }, h('p', { class: 'loading', text: 'Loading…' })),
        chart: h('div', { id: 'chart', class: 'chart-box' }),
        stats: h('div', { id: 'stats' }, h('p', { class: 'loading', text: 'Loading…' })),
        audit: h('div', { id: 'audit' }, h('p', { class: 'loading', text: 'Loading…' })),
        updated: h('p', { class: 'updated', id: 'events-updated' }),
      },
    };
    const add = h('button', { type: 'button', id: 'new-credential', class: 'add', 'aria-label': 'New credential', title: 'New credential' },
      h('span', { 'aria-hidden': 'true', text: '+' }));
    add.addEventListener('click', () => openCreate(add));
    const p = org.parts;
    main.replaceChildren(heading(slug),
      h('section', { 'aria-labelledby': 'credentials-heading' },
        h('div', { class: 'section-head' }, h('h2', { id: 'credentials-heading', text: 'Credentials' }), add),
        p.credentials),
      h('div', { class: 'columns' },
        h('section', { 'aria-labelledby': 'stats-heading', class: 'stats-section' },
          h('h2', { id: 'stats-heading', text: 'Last 24 hours' }), p.chart, p.stats),
        h('section', { 'aria-labelledby': 'events-heading', class: 'events-section' },
          h('h2', { id: 'events-heading', text: 'Recent events' }), p.updated, p.events)),
      h('section', { 'aria-labelledby': 'audit-heading' },
        h('h2', { id: 'audit-heading', text: 'Audit trail' }), p.audit));

    const state = org;
    // An org this location does not serve answers 403 to every part: say so once.
    try {
      state.credentials = await getOrEmpty(orgPath(slug, 'credentials'));
    } catch (e) {
      if (!current(state)) return;
      if (e instanceof ApiError && e.status === 403) {
        main.replaceChildren(heading(slug), errorBox(e));
        return;
      }
      p.credentials.replaceChildren(errorBox(e));
      state.credentials = null;
    }
    if (!current(state)) return;
    if (state.credentials) renderCredentials(state);
    else state.credentials = [];
    await Promise.all([loadEvents(state), loadStats(state), loadAudit(state)]);
    schedulePoll(state);
  }

  const current = (state) => state && state.view === view && org === state;

  async function loadCredentials(state) {
    let list;
    try {
      list = await getOrEmpty(orgPath(state.slug, 'credentials'));
    } catch (e) {
      if (current(state)) state.parts.credentials.replaceChildren(errorBox(e));
      return;
    }
    if (!current(state)) return;
    state.credentials = list;
    renderCredentials(state);
  }

  function renderCredentials(state) {
    const box = state.parts.credentials;
    // A refresh replaces the rows; keep the keyboard where it was.
    const focused = box.contains(document.activeElement) ? document.activeElement : null;
    const focusKey = focused && focused.dataset.action ? [focused.dataset.action, focused.dataset.id] : null;
    if (!state.credentials.length) {
      box.replaceChildren(h('p', { class: 'empty', id: 'credentials-empty', text: 'No credentials yet. Use “+” to create the first one.' }));
      if (focusKey) $('new-credential').focus();
      return;
    }
    const rows = state.credentials.map((c) => {
      const edit = h('button', { type: 'button', class: 'icon-button', 'aria-label': `Edit ${c.name}`, title: 'Edit', 'data-action': 'edit', 'data-id': c.id }, pencilIcon());
      const remove = h('button', { type: 'button', class: 'icon-button danger-icon', 'aria-label': `Delete ${c.name}`, title: 'Delete', 'data-action': 'delete', 'data-id': c.id }, binIcon());
      edit.addEventListener('click', () => openEdit(c, edit));
      remove.addEventListener('click', () => openDelete(c, remove));
      return h('tr', { 'data-id': c.id },
        h('th', { scope: 'row', class: 'name', 'data-label': 'Name' }, h('div', {}, h('span', { class: 'cred-name', text: c.name }), h('code', { class: 'cred-id', text: c.id }))),
        h('td', { 'data-label': 'Type', text: kTypeLabels[c.type] || c.type }),
        h('td', { 'data-label': 'App' }, c.app ? h('span', { text: c.app }) : h('span', { class: 'none', text: 'any' })),
        h('td', { 'data-label': 'Token' }, h('code', { class: 'hint', text: c.token_hint })),
        h('td', { 'data-label': 'Created' }, timeCell(c.created_at)),
        h('td', { 'data-label': 'Last used' }, timeCell(c.last_used_at, 'never')),
        h('td', { 'data-label': 'State' }, stateCell(c)),
        h('td', { class: 'row-actions', 'data-label': 'Actions' }, h('div', {}, edit, remove)));
    });
    box.replaceChildren(tableWrap('Credentials', h('table', { id: 'credentials-table', class: 'stack' },
      h('caption', { class: 'visually-hidden', text: `Credentials of ${state.slug}. Times are UTC.` }),
      h('thead', {}, h('tr', {}, ['Name', 'Type', 'App', 'Token', 'Created', 'Last used', 'State', 'Actions'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, rows))));
    if (focusKey) {
      // The same button of the same row; when the row went (deleted), "+".
      const again = box.querySelector(`button[data-action="${focusKey[0]}"][data-id="${CSS.escape(focusKey[1])}"]`);
      (again || $('new-credential')).focus();
    }
  }

  function stateCell(c) {
    const cell = h('span', { class: `state state-${c.state}`, text: c.state });
    const extra = [];
    if (c.state === 'legacy') extra.push('an onep 0.1 token: rotate it');
    if (c.expires_at && c.state !== 'expired') extra.push(`expires ${formatTime(c.expires_at)}`);
    if (c.expires_at && c.state === 'expired') extra.push(`since ${formatTime(c.expires_at)}`);
    if (c.previous_token_valid_until) extra.push(`previous token until ${formatTime(c.previous_token_valid_until)}`);
    return h('div', {}, cell, extra.length ? h('span', { class: 'state-extra', text: extra.join('; ') }) : null);
  }

  function credentialName(state, id) {
    const c = state.credentials.find((x) => x.id === id);
    return c ? c.name : null;
  }

  // ---- events, newest first on screen, at most kEventsShown

  async function loadEvents(state) {
    const base = `${orgPath(state.slug, 'events')}?limit=${kEventsShown}`;
    let page;
    try {
      page = await getOrEmpty(state.lastEventId ? `${base}&after=${encodeURIComponent(state.lastEventId)}` : base);
      // A full page after the last id means more are waiting: show the newest.
      if (state.lastEventId && page.length >= kEventsShown) page = await getOrEmpty(base);
    } catch (e) {
      if (!current(state)) return false;
      state.parts.updated.textContent = `Could not refresh: ${e.message}`;
      if (!state.events.length) state.parts.events.replaceChildren(errorBox(e));
      return false;
    }
    if (!current(state)) return false;
    state.parts.updated.textContent = `Refreshed every 5 seconds; last at ${new Date().toISOString().slice(11, 19)} UTC.`;
    const fresh = state.lastEventId ? page.filter((e) => !state.events.some((x) => x.id === e.id)) : page;
    if (state.lastEventId && !fresh.length) return false;
    state.events = state.events.concat(fresh).slice(-kEventsShown);
    if (state.events.length) state.lastEventId = state.events[state.events.length - 1].id;
    renderEvents(state);
    return fresh.length > 0;
  }

  const kEventKeys = new Set(['id', 'type', 'credential', 'app', 'time']);

  // The event's own fields as key=value, values over 80 characters cut
  // (the title attribute has them whole).
  function eventDetails(e) {
    return Object.keys(e).filter((k) => !kEventKeys.has(k) && e[k] !== null && e[k] !== undefined)
      .map((k) => `${k}=${typeof e[k] === 'string' ? e[k] : JSON.stringify(e[k])}`);
  }

  function renderEvents(state) {
    if (!state.events.length) {
      state.parts.events.replaceChildren(h('p', { class: 'empty', id: 'events-empty', text: 'No events yet.' }));
      return;
    }
    const rows = state.events.slice().reverse().map((e) => {
      const name = credentialName(state, e.credential);
      const details = eventDetails(e);
      return h('tr', { 'data-id': e.id },
        h('td', { 'data-label': 'Time' }, shortTimeCell(e.time)),
        h('td', { 'data-label': 'Type' }, h('span', { class: `kind kind-${e.type}`, text: e.type })),
        h('td', { 'data-label': 'App', text: e.app || '' }),
        h('td', { 'data-label': 'Credential', title: e.credential },
          name ? h('span', { class: 'cred-name', text: name }) : h('code', { class: 'cred-id', text: e.credential })),
        h('td', { 'data-label': 'Details', class: 'details', title: details.join(' ') },
          details.map((d, i) => [i ? ' ' : null, h('span', { class: 'kv', text: cut(d, 80) })])));
    });
    state.parts.events.replaceChildren(tableWrap('Recent events', h('table', { id: 'events-table' },
      h('caption', { class: 'visually-hidden', text: `The last ${kEventsShown} events of ${state.slug}, newest first. Times are UTC; today's show the time of day only.` }),
      h('thead', {}, h('tr', {}, ['Time', 'Type', 'App', 'Credential', 'Details'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, rows))));
  }

  // ---- stats: an SVG bar chart, and the same numbers as a table

  async function loadStats(state) {
    let stats;
    try {
      stats = await getOrEmpty(`${orgPath(state.slug, 'stats')}?since=24h`);
    } catch (e) {
      if (current(state)) state.parts.stats.replaceChildren(errorBox(e));
      return;
    }
    if (!current(state)) return;
    state.stats = stats;
    renderStats(state);
  }

  const kMetrics = [['hits', 'hits'], ['failures', 'failures'], ['deploys', 'deploys']];

  function renderStats(state) {
    const p = state.parts;
    if (!state.stats.length) {
      p.chart.replaceChildren();
      p.stats.replaceChildren(h('p', { class: 'empty', id: 'stats-empty', text: 'Nothing recorded in the last 24 hours.' }));
      return;
    }
    renderChart(state);
    const rate = (r) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`);
    p.stats.replaceChildren(tableWrap('Last 24 hours per app', h('table', { id: 'stats-table', class: 'numbers' },
      h('caption', { class: 'visually-hidden', text: 'Per app, last 24 hours' }),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'App' }), ...['Hits', 'Failures', 'Failure rate', 'Deploys'].map((t) => h('th', { scope: 'col', class: 'num', text: t })))),
      h('tbody', {}, state.stats.map((s) => h('tr', {},
        h('th', { scope: 'row', text: s.app }),
        h('td', { class: 'num', text: String(s.hits) }),
        h('td', { class: 'num', text: String(s.failures) }),
        h('td', { class: 'num', text: rate(s.failure_rate) }),
        h('td', { class: 'num', text: String(s.deploys) })))))));
  }

  // Horizontal bars, three per app, drawn at the box's own width so that the
  // text keeps its size on a phone. Every bar carries its number and name,
  // so the chart reads without its colours.
  function renderChart(state) {
    const box = state.parts.chart;
    const width = Math.max(260, Math.floor(box.clientWidth || 600));
    const labelW = 64;
    const numberW = 56;
    const barH = 14;
    const rowH = 20;
    const headH = 22;
    const gap = 10;
    const barMax = width - labelW - numberW;
    const max = Math.max(1, ...state.stats.flatMap((s) => kMetrics.map(([k]) => s[k] || 0)));
    const summary = state.stats.map((s) => `${s.app}: ${plural(s.hits, 'hit', 'hits')}, ${plural(s.failures, 'failure', 'failures')}, ${plural(s.deploys, 'deploy', 'deploys')}`).join('; ');
    const height = state.stats.length * (headH + kMetrics.length * rowH + gap);
    const chart = svg('svg', { id: 'stats-chart', class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Last 24 hours per app. ${summary}.` });
    let y = 0;
    for (const s of state.stats) {
      const group = svg('g', { class: 'chart-app', 'data-app': s.app });
      group.append(svg('text', { x: 0, y: y + 15, class: 'chart-app-name', text: s.app }));
      y += headH;
      for (const [key, label] of kMetrics) {
        const value = s[key] || 0;
        const w = value > 0 ? Math.max(2, Math.round((value / max) * barMax)) : 0;
        group.append(
          svg('text', { x: 0, y: y + barH - 3, class: 'chart-label', text: label }),
          svg('rect', { x: labelW, y, width: w, height: barH, class: `bar bar-${key}`, 'data-metric': key }),
          svg('text', { x: labelW + w + 6, y: y + barH - 3, class: 'chart-number', 'data-metric': key, text: String(value) }));
        y += rowH;
      }
      y += gap;
      chart.append(group);
    }
    box.replaceChildren(chart);
  }

  let resizeFrame = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(() => {
      if (org && org.stats.length) renderChart(org);
    });
  });

  // ---- audit trail, newest first on screen

  async function loadAudit(state) {
    let entries;
    try {
      entries = await getOrEmpty(`${orgPath(state.slug, 'audit')}?limit=${kAuditShown}`);
    } catch (e) {
      if (current(state)) state.parts.audit.replaceChildren(errorBox(e));
      return false;
    }
    if (!current(state)) return false;
    const last = entries.length ? entries[entries.length - 1] : null;
    const key = last ? `${entries.length} ${last.time} ${last.action} ${last.credential}` : '';
    const changed = key !== state.auditKey;
    state.audit = entries;
    state.auditKey = key;
    renderAudit(state);
    return changed;
  }

  function auditDetails(a) {
    const parts = [];
    if (a.action === 'rename' && a.previous_name !== null && a.previous_name !== undefined) parts.push(`from “${a.previous_name}”`);
    if (a.action === 'rotate' || a.action === 'rename') {
      parts.push(a.grace_ms ? `old token kept ${formatDuration(a.grace_ms)}` : 'old token stopped at once');
    }
    if (a.action === 'create' || a.action === 'expire') parts.push(a.expires_at ? `expires ${formatTime(a.expires_at)}` : 'no expiry');
    return parts.join(', ');
  }

  function renderAudit(state) {
    if (!state.audit.length) {
      state.parts.audit.replaceChildren(h('p', { class: 'empty', id: 'audit-empty', text: 'No credential changes yet.' }));
      return;
    }
    const rows = state.audit.slice().reverse().map((a) => h('tr', {},
      h('td', { 'data-label': 'Time' }, timeCell(a.time)),
      h('td', { 'data-label': 'Action', class: 'audit-action', text: a.action }),
      h('td', { 'data-label': 'Credential' }, a.name ? h('span', { class: 'cred-name', text: a.name }) : null, h('code', { class: 'cred-id', text: a.credential })),
      h('td', { 'data-label': 'Actor', class: 'audit-actor', text: a.actor || '' }),
      h('td', { 'data-label': 'Details', text: auditDetails(a) })));
    state.parts.audit.replaceChildren(tableWrap('Audit trail', h('table', { id: 'audit-table' },
      h('caption', { class: 'visually-hidden', text: `Credential changes in ${state.slug}, newest first. Times are UTC.` }),
      h('thead', {}, h('tr', {}, ['Time', 'Action', 'Credential', 'Actor', 'Details'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, rows))));
  }

  // ---- refresh: new events every 5 s; stats and credentials (last used)
  // when events arrived, credentials when the audit trail moved.

  function schedulePoll(state) {
    if (!current(state)) return;
    pollTimer = setTimeout(async () => {
      if (!current(state)) return;
      if (!document.hidden) await refresh(state);
      schedulePoll(state);
    }, kPollMs);
  }

  async function refresh(state) {
    const [newEvents, auditMoved] = await Promise.all([loadEvents(state), loadAudit(state)]);
    const work = [];
    if (newEvents) work.push(loadStats(state));
    if (newEvents || auditMoved) work.push(loadCredentials(state));
    await Promise.all(work);
  }

  // After a change made here: everything the change shows in.
  async function refreshAfterChange(state) {
    if (!current(state)) return;
    await Promise.all([loadCredentials(state), loadAudit(state)]);
  }

  // ---------------------------------------------------------------- dialogs

  // Opening remembers what opened the dialog; closing clears any token it
  // showed and gives the focus back (to the same row's button after a
  // refresh replaced it, else to "+").
  const opened = new Map();
  let busy = false;

  function openDialog(dialog, opener) {
    clearMessages();
    opened.set(dialog, {
      opener,
      action: opener && opener.dataset ? opener.dataset.action : null,
      id: opener && opener.dataset ? opener.dataset.id : null,
    });
    dialog.showModal();
  }

  function setupDialog(dialog, onClose) {
    dialog.addEventListener('cancel', (ev) => {
      if (busy) ev.preventDefault();
    });
    dialog.addEventListener('click', (ev) => {
      if (ev.target.closest('[data-close]') && !busy) dialog.close();
    });
    dialog.addEventListener('close', () => {
      onClose();
      const from = opened.get(dialog);
      opened.delete(dialog);
      if (!from) return;
      // The browser may already have given the focus back (Chromium does,
      // before this event), and the user may have moved on since: only
      // place a focus that was lost with the dialog or its opener.
      const active = document.activeElement;
      if (active && active !== document.body && active.isConnected && !dialog.contains(active)) return;
      let target = from.opener && from.opener.isConnected ? from.opener : null;
      if (!target && from.action) {
        target = main.querySelector(`button[data-action="${from.action}"][data-id="${CSS.escape(from.id)}"]`);
      }
      if (!target) target = $('new-credential') || main.querySelector('h1');
      if (target) target.focus();
    });
  }

  function setBusy(dialog, value) {
    busy = value;
    for (const b of dialog.querySelectorAll('button, input, select')) b.disabled = value;
    dialog.setAttribute('aria-busy', value ? 'true' : 'false');
  }

  // The token and its curl command, once, in the dialog that issued them.
  function showIssued(dialog, form, slot, result, lines) {
    form.hidden = true;
    const tokenBox = h('code', { id: 'issued-token', class: 'secret', tabindex: 0, 'aria-labelledby': 'issued-token-label' }, result.token);
    const curlBox = h('pre', { id: 'issued-curl', class: 'secret', tabindex: 0, 'aria-labelledby': 'issued-curl-label' }, result.curl);
    const copyToken = copyButton('copy-token', 'Copy token', result.token, tokenBox);
    const copyCurl = copyButton('copy-curl', 'Copy command', result.curl, curlBox);
    slot.replaceChildren(h('section', { class: 'issued', 'aria-labelledby': 'issued-title' },
      h('h3', { id: 'issued-title', text: lines[0] }),
      lines.slice(1).map((t) => h('p', { text: t })),
      h('p', { class: 'warning', text: 'Copy the token now: it is shown only this once, and onep keeps no copy of it.' }),
      h('h4', { id: 'issued-token-label', text: 'Token' }),
      h('div', { class: 'secret-row' }, tokenBox, copyToken),
      h('h4', { id: 'issued-curl-label', text: 'Send a test event with curl' }),
      h('div', { class: 'secret-row' }, curlBox, copyCurl),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', 'data-close': true, text: 'Done' }))));
    copyToken.focus();
  }

  function copyButton(id, label, text, source) {
    const button = h('button', { type: 'button', id, class: 'secondary copy', text: label });
    let reset = 0;
    button.addEventListener('click', async () => {
      const ok = await copyText(text, source);
      clearTimeout(reset);
      button.textContent = ok ? 'Copied' : 'Select and copy';
      announce(ok ? 'Copied to the clipboard.' : 'The browser refused to copy: the text is selected, press Ctrl+C (⌘C).');
      reset = setTimeout(() => {
        button.textContent = label;
      }, 4000);
    });
    return button;
  }

  async function copyText(text, source) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (e) {
        // Not allowed here (permissions, focus): select the text instead.
      }
    }
    const selection = window.getSelection();
    const range = document.createRange();
    range.selectNodeContents(source);
    selection.removeAllRanges();
    selection.addRange(range);
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch (e) {
      ok = false;
    }
    if (ok) selection.removeAllRanges();
    return ok;
  }

  function clearIssued(form, slot, error) {
    slot.replaceChildren();
    form.hidden = false;
    form.reset();
    error.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  }

  // Marks the field a 422 names, e.g. "app is required for a deploy credential".
  function markInvalid(form, e, fields) {
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    if (!(e instanceof ApiError) || e.code !== 'invalid_request') return;
    const named = fields.find((f) => new RegExp(`\\b${f}\\b`).test(e.message));
    if (named) form.elements[named].setAttribute('aria-invalid', 'true');
  }

  // ---- create

  const createDialog = $('create-dialog');
  const createForm = $('create-form');
  const createSlot = $('create-issued');
  const createError = $('create-error');

  function syncCreateType() {
    const deploy = createForm.elements.type.value === 'deploy';
    $('create-app-need').textContent = deploy ? '(required for Deploy)' : '(optional)';
    createForm.elements.app.setAttribute('aria-required', deploy ? 'true' : 'false');
  }

  function openCreate(opener) {
    clearIssued(createForm, createSlot, createError);
    syncCreateType();
    openDialog(createDialog, opener);
  }

  createForm.elements.type.addEventListener('change', syncCreateType);

  createForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const state = org;
    if (!state || busy) return;
    const f = createForm.elements;
    const body = { type: f.type.value, name: f.name.value.trim() };
    if (f.app.value.trim()) body.app = f.app.value.trim();
    if (f.expires.value) body.expires = f.expires.value;
    createError.textContent = '';
    setBusy(createDialog, true);
    let result;
    try {
      result = await api('POST', orgPath(state.slug, 'credentials'), body);
    } catch (e) {
      setBusy(createDialog, false);
      createError.textContent = e.message;
      markInvalid(createForm, e, ['name', 'app', 'expires', 'type']);
      const bad = createForm.querySelector('[aria-invalid="true"]');
      (bad || f.name).focus();
      return;
    }
    setBusy(createDialog, false);
    const where = `Created ${kTypeLabels[result.type] || result.type} credential “${result.name}” (${result.id}) in ${result.org}.`;
    if (createDialog.open) {
      showIssued(createDialog, createForm, createSlot, result, [where]);
      announce(`${where} Its token is shown once in the dialog.`);
    } else {
      announce(`${where} The dialog was closed before its token was shown: generate a new one with the pencil.`);
    }
    refreshAfterChange(state);
  });

  setupDialog(createDialog, () => clearIssued(createForm, createSlot, createError));

  // ---- edit: rotate, or rename (which issues a token too)

  const editDialog = $('edit-dialog');
  const editForm = $('edit-form');
  const editSlot = $('edit-issued');
  const editError = $('edit-error');
  let editing = null;

  function syncGrace() {
    const grace = editForm.elements.grace.value;
    const hint = editing ? ` (${editing.token_hint})` : '';
    $('edit-warning').textContent = grace
      ? `The current token${hint} keeps working for ${kGraceLabels[grace]} after the new one is issued, then stops working.`
      : `The current token${hint} stops working as soon as the new one is issued.`;
  }

  function openEdit(credential, opener) {
    editing = credential;
    clearIssued(editForm, editSlot, editError);
    $('edit-title').textContent = `Edit ${credential.name}`;
    const facts = [['Id', credential.id], ['Type', kTypeLabels[credential.type] || credential.type],
                   ['App', credential.app || 'any'], ['Token', credential.token_hint], ['State', credential.state]];
    $('edit-facts').replaceChildren(...facts.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
    editForm.elements.name.value = credential.name;
    syncGrace();
    openDialog(editDialog, opener);
  }

  editForm.elements.grace.addEventListener('change', syncGrace);
  // Enter in the name field saves the name; it never rotates by itself
  // (with the name unchanged, issueToken says so instead).
  editForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    issueToken('rename');
  });
  $('edit-rotate').addEventListener('click', () => issueToken('rotate'));
  $('edit-rename').addEventListener('click', () => issueToken('rename'));

  async function issueToken(action) {
    const state = org;
    const credential = editing;
    if (!state || !credential || busy) return;
    const body = {};
    const grace = editForm.elements.grace.value;
    if (grace) body.grace = grace;
    const name = editForm.elements.name.value.trim();
    if (action === 'rename') {
      if (name === credential.name) {
        editError.textContent = 'The name is unchanged. Type a new name, or use “Generate new token” to keep this one.';
        editForm.elements.name.setAttribute('aria-invalid', 'true');
        editForm.elements.name.focus();
        return;
      }
      body.name = name;
    }
    editError.textContent = '';
    setBusy(editDialog, true);
    let result;
    try {
      result = await api('POST', credentialPath(credential.id, action), body);
    } catch (e) {
      setBusy(editDialog, false);
      editError.textContent = e.message;
      markInvalid(editForm, e, ['name', 'grace']);
      (editForm.querySelector('[aria-invalid="true"]') || editForm.elements.name).focus();
      return;
    }
    setBusy(editDialog, false);
    const what = action === 'rename'
      ? `Renamed “${credential.name}” to “${result.name}” and issued a new token.`
      : `Issued a new token for “${result.name}”.`;
    const old = result.old_token_valid_until
      ? `The previous token works until ${formatTime(result.old_token_valid_until)} UTC.`
      : 'The previous token no longer works.';
    if (editDialog.open) {
      $('edit-title').textContent = `Edit ${result.name}`;
      showIssued(editDialog, editForm, editSlot, result, [what, old]);
      announce(`${what} ${old} The new token is shown once in the dialog.`);
    } else {
      announce(`${what} ${old} The dialog was closed before the token was shown: generate another one.`);
    }
    refreshAfterChange(state);
  }

  setupDialog(editDialog, () => {
    editing = null;
    clearIssued(editForm, editSlot, editError);
  });

  // ---- delete

  const deleteDialog = $('delete-dialog');
  const deleteError = $('delete-error');
  let deleting = null;

  function openDelete(credential, opener) {
    deleting = credential;
    deleteError.textContent = '';
    $('delete-title').textContent = `Delete ${credential.name}?`;
    $('delete-text').textContent = `Systems that send its token (${credential.token_hint}) get 401 invalid_token from the moment it is deleted. Its events and its audit trail stay. This cannot be undone.`;
    openDialog(deleteDialog, opener);
  }

  $('delete-confirm').addEventListener('click', async () => {
    const state = org;
    const credential = deleting;
    if (!state || !credential || busy) return;
    setBusy(deleteDialog, true);
    try {
      await api('DELETE', credentialPath(credential.id));
    } catch (e) {
      setBusy(deleteDialog, false);
      deleteError.textContent = e.message;
      return;
    }
    setBusy(deleteDialog, false);
    deleteDialog.close();
    announce(`Deleted credential “${credential.name}” (${credential.id}).`);
    refreshAfterChange(state);
  });

  setupDialog(deleteDialog, () => {
    deleting = null;
  });

  // ---------------------------------------------------------------- start

  window.addEventListener('hashchange', () => {
    // Leaving the page closes its dialogs (and so clears any token shown);
    // the focus then goes to the new page's heading, not back to an opener.
    opened.clear();
    for (const d of document.querySelectorAll('dialog[open]')) d.close();
    route();
    focusHeading();
  });

  loadSession().catch((e) => alertUser(e.message));
  route();
})();
