// SPDX-License-Identifier: Apache-2.0
// The console's pages: the organizations page, an organization's page with
// its credentials table, and the polling that keeps that page current. The
// org page's events, chart and audit trail are drawn by console-activity.js;
// the +, pencil and bin buttons open the dialogs of console-dialogs.js; the
// Applications table and an application's page are console-apps.js's; the
// Notifications section is console-notify.js's.

import { ApiError, api, getOrEmpty, orgPath } from './console-api.js';
import { eventsFilters, knowApps, loadAudit, loadEvents, loadStats, renderChart } from './console-activity.js';
import { appsPart, leaveAppPage, loadApps, showAppPage } from './console-apps.js';
import { openCreate, openDelete, openEdit } from './console-dialogs.js';
import { loadNotify, notifyParts, notifySection } from './console-notify.js';
import {
  $, binIcon, errorBox, formatTime, h, hasPassed, heading, kSlug, kTypeLabels, main, pencilIcon,
  tableWrap, timeCell,
} from './console-dom.js';

const kPollMs = 5000;

// Each view gets a number; answers that arrive after the user moved on
// are dropped by comparing it.
let view = 0;
let pollTimer = null;
// The org page's state, or null on other pages. Its `live` turns false when
// the user leaves the page: answers for it are then dropped.
let org = null;

function beginView(title, crumbs) {
  view += 1;
  if (pollTimer) clearTimeout(pollTimer);
  pollTimer = null;
  if (org) org.live = false;
  org = null;
  leaveAppPage();
  document.title = `${title} · onep console`;
  const list = $('crumbs');
  list.replaceChildren(...crumbs.map((c, i) => h('li', {},
    i === crumbs.length - 1 ? h('span', { 'aria-current': 'page', text: c.label })
                            : h('a', { href: c.href, text: c.label }))));
  return view;
}

export function showNotFound() {
  beginView('Not found', [{ label: 'Organizations', href: '#/' }, { label: 'Not found' }]);
  main.replaceChildren(heading('Not found'),
    h('p', {}, 'This console has no such page. ', h('a', { href: '#/', text: 'Go to the organizations.' })));
}

// ------------------------------------------------ the organizations page

export async function showOrgs() {
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

// ------------------------------------------------ an application's page

export function showApp(slug, app) {
  beginView(`${app} · ${slug}`, [{ label: 'Organizations', href: '#/' }, { label: slug, href: `#/orgs/${slug}` }, { label: app }]);
  return showAppPage(slug, app);
}

// ------------------------------------------------ an organization's page

export async function showOrg(slug) {
  beginView(slug, [{ label: 'Organizations', href: '#/' }, { label: slug }]);
  const state = {
    slug, live: true, credentials: [], events: [], lastEventId: null, stats: [], audit: [], auditKey: '',
    reloadedFor: new Set(), filter: { app: '', type: '' }, eventsGen: 0, olderDone: false, anyEvents: false,
    endpoints: [], deliveries: [],
    parts: {
      apps: appsPart(),
      credentials: h('div', { id: 'credentials' }, h('p', { class: 'loading', text: 'Loading…' })),
      events: h('div', { id: 'events' }, h('p', { class: 'loading', text: 'Loading…' })),
      chart: h('div', { id: 'chart', class: 'chart-box' }),
      stats: h('div', { id: 'stats' }, h('p', { class: 'loading', text: 'Loading…' })),
      audit: h('div', { id: 'audit' }, h('p', { class: 'loading', text: 'Loading…' })),
      updated: h('p', { class: 'updated', id: 'events-updated' }),
      unknown: h('p', { class: 'empty', id: 'org-unknown', hidden: true }),
      notify: notifyParts(),
    },
  };
  state.parts.filters = eventsFilters(state);
  // What the dialogs call after a change made here.
  state.onChange = () => refreshAfterChange(state);
  org = state;
  const add = h('button', { type: 'button', id: 'new-credential', class: 'add', 'aria-label': 'New credential', title: 'New credential' },
    h('span', { 'aria-hidden': 'true', text: '+' }));
  add.addEventListener('click', () => openCreate(state, add));
  const p = state.parts;
  const sections = [['apps-heading', 'Applications'], ['credentials-heading', 'Credentials'], ['stats-heading', 'Last 24 hours'],
                    ['events-heading', 'Events'], ['notify-heading', 'Notifications'], ['audit-heading', 'Audit trail']];
  main.replaceChildren(heading(slug), p.unknown, pageIndex(sections),
    h('section', { 'aria-labelledby': 'apps-heading' },
      h('h2', { id: 'apps-heading', tabindex: -1, text: 'Applications' }), p.apps),
    h('section', { 'aria-labelledby': 'credentials-heading' },
      h('div', { class: 'section-head' }, h('h2', { id: 'credentials-heading', tabindex: -1, text: 'Credentials' }), add),
      p.credentials),
    h('div', { class: 'columns' },
      h('section', { 'aria-labelledby': 'stats-heading', class: 'stats-section' },
        h('h2', { id: 'stats-heading', tabindex: -1, text: 'Last 24 hours' }), p.chart, p.stats),
      h('section', { 'aria-labelledby': 'events-heading', class: 'events-section' },
        h('h2', { id: 'events-heading', tabindex: -1, text: 'Events' }), p.filters, p.updated, p.events)),
    notifySection(state),
    h('section', { 'aria-labelledby': 'audit-heading' },
      h('h2', { id: 'audit-heading', tabindex: -1, text: 'Audit trail' }), p.audit));

  // An org this location does not serve answers 403 to every part: say so once.
  try {
    state.credentials = await getOrEmpty(orgPath(slug, 'credentials'));
  } catch (e) {
    if (!state.live) return;
    if (e instanceof ApiError && e.status === 403) {
      main.replaceChildren(heading(slug), errorBox(e));
      return;
    }
    p.credentials.replaceChildren(errorBox(e));
    state.credentials = null;
  }
  if (!state.live) return;
  if (state.credentials) renderCredentials(state);
  else state.credentials = [];
  await Promise.all([loadApps(state), loadEvents(state), loadStats(state), loadAudit(state), loadNotify(state)]);
  syncUnknown(state);
  schedulePoll(state);
}

// Links to the page's sections, at its top: the audit trail is one click
// away, not below every event. The page's routes are hashes, so the links
// scroll and move the focus themselves.
function pageIndex(sections) {
  const nav = h('nav', { class: 'page-index', 'aria-label': 'On this page' },
    h('ul', {}, sections.map(([id, label]) => h('li', {}, h('a', { href: location.hash, 'data-section': id, text: label })))));
  nav.addEventListener('click', (ev) => {
    const link = ev.target.closest('a[data-section]');
    if (!link) return;
    ev.preventDefault();
    const target = $(link.dataset.section);
    if (!target) return;
    target.scrollIntoView({ block: 'start' });
    target.focus({ preventScroll: true });
  });
  return nav;
}

// An org with neither credentials nor events: perhaps a misspelt name.
function syncUnknown(state) {
  const unknown = state.parts.unknown;
  const empty = !state.credentials.length && !state.anyEvents && !state.stats.length;
  unknown.hidden = !empty;
  unknown.textContent = empty
    ? `No credentials or events yet in '${state.slug}' — check the spelling, or create its first credential` : '';
}

async function loadCredentials(state) {
  let list;
  try {
    list = await getOrEmpty(orgPath(state.slug, 'credentials'));
  } catch (e) {
    if (state.live) state.parts.credentials.replaceChildren(errorBox(e));
    return;
  }
  if (!state.live) return;
  state.credentials = list;
  renderCredentials(state);
  syncUnknown(state);
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
    edit.addEventListener('click', () => openEdit(state, c, edit));
    remove.addEventListener('click', () => openDelete(state, c, remove));
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
  knowApps(state, state.credentials.map((c) => c.app));
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

// The times in the table after which the module lists a credential
// otherwise (an expiry: expired; the end of a grace period: no previous
// token). Each one that has passed, by this browser's clock, reloads the
// table once; once only, so that a clock ahead of the server's costs one
// request, not one per poll.
function credentialTimePassed(state) {
  const passed = state.credentials
    .flatMap((c) => [c.state === 'expired' ? null : c.expires_at, c.previous_token_valid_until])
    .filter((t) => hasPassed(t) && !state.reloadedFor.has(t));
  for (const t of passed) state.reloadedFor.add(t);
  return passed.length > 0;
}

let resizeFrame = 0;
window.addEventListener('resize', () => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(() => {
    if (org && org.stats.length) renderChart(org);
  });
});

// ---- refresh: new events, the endpoints and the delivery log every 5 s; stats and credentials (last used)
// when events arrived, credentials when the audit trail moved or a time
// shown in them passed.

function schedulePoll(state) {
  if (!state.live) return;
  pollTimer = setTimeout(async () => {
    if (!state.live) return;
    if (!document.hidden) await refresh(state);
    schedulePoll(state);
  }, kPollMs);
}

async function refresh(state) {
  const timePassed = credentialTimePassed(state);
  const [newEvents, auditMoved] = await Promise.all([loadEvents(state), loadAudit(state), loadNotify(state)]);
  const work = [];
  if (newEvents) work.push(loadStats(state), loadApps(state));
  if (newEvents || auditMoved || timePassed) work.push(loadCredentials(state));
  await Promise.all(work);
  if (state.live) syncUnknown(state);
}

// After a change made here: everything the change shows in.
async function refreshAfterChange(state) {
  if (!state.live) return;
  await Promise.all([loadCredentials(state), loadAudit(state)]);
}
