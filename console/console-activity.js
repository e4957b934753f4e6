// SPDX-License-Identifier: Apache-2.0
// An organization's activity on its page: the recent events, the last 24
// hours per app (an SVG bar chart and the same numbers as a table) and the
// audit trail. Each load takes the org page's state (console-pages.js) and
// drops its answer when the user has left the page (`state.live`).

import { getOrEmpty, orgPath } from './console-api.js';
import {
  contentWidth, cut, errorBox, formatDuration, formatTime, h, pageMessage, plural, shortTimeCell, svg, tableWrap, timeCell,
} from './console-dom.js';

const kEventsPage = 50;
const kEventsKept = 1000; // "Load older" stops adding beyond this many
const kAuditShown = 100;

// A credential's name: from the table, else (a deleted one) from the
// audit trail, which keeps the name of every credential it saw.
function credentialName(state, id) {
  const c = state.credentials.find((x) => x.id === id);
  if (c) return { name: c.name, deleted: false };
  for (let i = state.audit.length - 1; i >= 0; i -= 1) {
    const a = state.audit[i];
    if (a.credential === id && a.name) return { name: a.name, deleted: true };
  }
  return null;
}

// ---- events, newest first on screen, filtered by app and type

export const kEventTypes = [['', 'All types'], ['hit', 'Hits'], ['failure', 'Failures only'], ['deploy', 'Deploys only']];

function eventsQuery(state, extra) {
  const params = new URLSearchParams({ limit: String(kEventsPage) });
  if (state.filter.app) params.set('app', state.filter.app);
  if (state.filter.type) params.set('type', state.filter.type);
  for (const [k, v] of Object.entries(extra || {})) params.set(k, v);
  return `${orgPath(state.slug, 'events')}?${params}`;
}

// The filter choices: every app the page knows of.
export function eventsFilters(state) {
  const app = h('select', { id: 'events-app', name: 'app' }, h('option', { value: '', text: 'All apps' }));
  const type = h('select', { id: 'events-type', name: 'type' }, kEventTypes.map(([v, t]) => h('option', { value: v, text: t })));
  const changed = () => {
    state.filter = { app: app.value, type: type.value };
    state.eventsGen += 1;
    state.events = [];
    state.lastEventId = null;
    state.olderDone = false;
    state.parts.events.replaceChildren(h('p', { class: 'loading', text: 'Loading…' }));
    loadEvents(state);
  };
  app.addEventListener('change', changed);
  type.addEventListener('change', changed);
  return h('form', { class: 'filters', id: 'events-filters', 'aria-label': 'Filter the events' },
    h('div', {}, h('label', { for: 'events-app', text: 'App' }), app),
    h('div', {}, h('label', { for: 'events-type', text: 'Type' }), type));
}

// Adds the apps seen (events, stats, the apps table) to the App filter.
export function knowApps(state, apps) {
  const select = state.parts.filters.querySelector('#events-app');
  const have = new Set([...select.options].map((o) => o.value));
  const add = [...new Set(apps.filter((a) => a && !have.has(a)))].sort();
  if (!add.length) return;
  const all = [...have].filter(Boolean).concat(add).sort();
  const chosen = select.value;
  select.replaceChildren(h('option', { value: '', text: 'All apps' }), ...all.map((a) => h('option', { value: a, text: a })));
  select.value = chosen;
}

// True when new events arrived.
export async function loadEvents(state) {
  const gen = state.eventsGen;
  let page;
  try {
    page = await getOrEmpty(state.lastEventId ? eventsQuery(state, { after: state.lastEventId }) : eventsQuery(state));
    // A full page after the last id means more are waiting: show the newest.
    if (state.lastEventId && page.length >= kEventsPage) {
      page = await getOrEmpty(eventsQuery(state));
      if (gen === state.eventsGen) {
        state.events = [];
        state.olderDone = false;
      }
    }
  } catch (e) {
    if (!state.live || gen !== state.eventsGen) return false;
    state.parts.updated.textContent = `Could not refresh: ${pageMessage(e)}`;
    if (!state.events.length) state.parts.events.replaceChildren(errorBox(e));
    return false;
  }
  if (!state.live || gen !== state.eventsGen) return false;
  state.parts.updated.textContent = `Refreshed every 5 seconds; last at ${new Date().toISOString().slice(11, 19)} UTC.`;
  if (!state.lastEventId && page.length < kEventsPage) state.olderDone = true;
  const fresh = page.filter((e) => !state.events.some((x) => x.id === e.id));
  if (state.lastEventId && !fresh.length) return false;
  state.events = state.events.concat(fresh).slice(-kEventsKept);
  if (state.events.length) state.lastEventId = state.events[state.events.length - 1].id;
  if (!state.filter.app && !state.filter.type) state.anyEvents = state.anyEvents || state.events.length > 0;
  knowApps(state, fresh.map((e) => e.app));
  renderEvents(state);
  return fresh.length > 0;
}

// The page before the oldest shown, below it.
async function loadOlder(state, button) {
  if (!state.events.length) return;
  const gen = state.eventsGen;
  button.disabled = true;
  let page;
  try {
    page = await getOrEmpty(eventsQuery(state, { before: state.events[0].id }));
  } catch (e) {
    button.disabled = false;
    if (state.live) state.parts.updated.textContent = `Could not load older events: ${pageMessage(e)}`;
    return;
  }
  if (!state.live || gen !== state.eventsGen) return;
  if (page.length < kEventsPage) state.olderDone = true;
  const older = page.filter((e) => !state.events.some((x) => x.id === e.id));
  state.events = older.concat(state.events);
  if (state.events.length >= kEventsKept) state.olderDone = true;
  knowApps(state, older.map((e) => e.app));
  renderEvents(state);
  const again = document.getElementById('events-older');
  if (again) again.focus();
  else state.parts.events.querySelector('.table-wrap')?.focus();
}

const kEventKeys = new Set(['id', 'type', 'credential', 'app', 'time', 'test']);

// The event's own fields as key=value, values over 80 characters cut
// (the title attribute has them whole).
function eventDetails(e) {
  return Object.keys(e).filter((k) => !kEventKeys.has(k) && e[k] !== null && e[k] !== undefined)
    .map((k) => `${k}=${typeof e[k] === 'string' ? e[k] : JSON.stringify(e[k])}`);
}

// A deploy that failed or was rolled back reads as that, in the failures'
// colour: never as a plain (green) deploy.
const kBadDeploy = { failed: 'deploy failed', rolled_back: 'deploy rolled back' };

function kindCell(e) {
  const bad = e.type === 'deploy' ? kBadDeploy[e.status] : undefined;
  let text = e.type;
  if (bad) text = bad;
  else if (e.type === 'deploy' && e.status === 'started') text = 'deploy started';
  const kind = h('span', { class: `kind kind-${bad ? 'deploy-bad' : e.type}`, text });
  // One child per cell: the stacked layout of a phone makes each cell a grid.
  return h('td', { 'data-label': 'Type' }, h('div', {}, kind,
    e.test === true ? [' ', h('span', { class: 'badge-test', title: 'A test event: it counts in no statistics', text: 'test' })] : null));
}

function renderEvents(state) {
  if (!state.events.length) {
    const filtered = state.filter.app || state.filter.type;
    state.parts.events.replaceChildren(h('p', { class: 'empty', id: 'events-empty', text: filtered ? 'No events match these filters.' : 'No events yet.' }));
    return;
  }
  const rows = state.events.slice().reverse().map((e) => {
    const who = credentialName(state, e.credential);
    const details = eventDetails(e);
    const bad = e.type === 'deploy' && kBadDeploy[e.status];
    const classes = [bad ? 'event-bad' : '', e.test === true ? 'event-test' : ''].filter(Boolean).join(' ');
    return h('tr', { 'data-id': e.id, 'data-type': e.type, class: classes || null },
      h('td', { 'data-label': 'Time (UTC)' }, shortTimeCell(e.time)),
      kindCell(e),
      h('td', { 'data-label': 'App', text: e.app || '' }),
      h('td', { 'data-label': 'Credential', title: e.credential },
        who ? h('span', { class: 'cred-name', text: who.deleted ? `${who.name} (deleted)` : who.name })
            : h('code', { class: 'cred-id', text: e.credential })),
      h('td', { 'data-label': 'Details', class: 'details', title: details.join(' ') },
        h('div', {}, details.map((d, i) => [i ? ' ' : null, h('span', { class: 'kv', text: cut(d, 80) })]))));
  });
  const older = state.olderDone ? h('p', { class: 'help', id: 'events-oldest', text: `${plural(state.events.length, 'event', 'events')} shown: the oldest is the last row.` })
    : h('button', { type: 'button', class: 'secondary', id: 'events-older', text: 'Load older' });
  if (!state.olderDone) older.addEventListener('click', () => loadOlder(state, older));
  const wrap = tableWrap('Recent events', h('table', { id: 'events-table', class: 'stack' },
    h('caption', { class: 'visually-hidden', text: `Events of ${state.slug}, newest first. Times are UTC; today's show the time of day only.` }),
    h('thead', {}, h('tr', {}, ['Time (UTC)', 'Type', 'App', 'Credential', 'Details'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, rows)));
  wrap.classList.add('events-panel');
  // A refresh keeps the panel's scroll position.
  const before = state.parts.events.querySelector('.events-panel');
  const top = before ? before.scrollTop : 0;
  state.parts.events.replaceChildren(wrap, h('div', { class: 'more' }, older));
  wrap.scrollTop = top;
}

// ---- stats: an SVG bar chart, and the same numbers as a table

export async function loadStats(state) {
  let stats;
  try {
    stats = await getOrEmpty(`${orgPath(state.slug, 'stats')}?since=24h`);
  } catch (e) {
    if (state.live) state.parts.stats.replaceChildren(errorBox(e));
    return;
  }
  if (!state.live) return;
  state.stats = stats;
  knowApps(state, stats.map((x) => x.app));
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

// Horizontal bars, three per app. The SVG fills its box's width (CSS
// width 100%) and its viewBox is that width in pixels, so the text keeps
// its size on a phone; a box not laid out yet (width 0) still gets a chart
// of the right width, redrawn at once with the box's real width.
export function renderChart(state) {
  const box = state.parts.chart;
  box.replaceChildren(chartSvg(state, contentWidth(box) || 600));
  const width = contentWidth(box);
  if (width && Math.abs(width - Number(box.firstChild.dataset.width)) >= 1) box.replaceChildren(chartSvg(state, width));
}

function chartSvg(state, boxWidth) {
  const width = Math.max(260, boxWidth);
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
  const chart = svg('svg', { id: 'stats-chart', class: 'chart', viewBox: `0 0 ${width} ${height}`, 'data-width': width, role: 'img', 'aria-label': `Last 24 hours per app. ${summary}.` });
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
  return chart;
}

// ---- audit trail, newest first on screen

// True when the trail moved since the last load.
export async function loadAudit(state) {
  let entries;
  try {
    entries = await getOrEmpty(`${orgPath(state.slug, 'audit')}?limit=${kAuditShown}`);
  } catch (e) {
    if (state.live) state.parts.audit.replaceChildren(errorBox(e));
    return false;
  }
  if (!state.live) return false;
  const last = entries.length ? entries[entries.length - 1] : null;
  const key = last ? `${entries.length} ${last.time} ${last.action} ${last.credential}` : '';
  const changed = key !== state.auditKey;
  state.audit = entries;
  state.auditKey = key;
  renderAudit(state);
  // Deleted credentials' events are named from the trail.
  if (changed && state.events.length) renderEvents(state);
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
    h('td', { 'data-label': 'Time (UTC)' }, timeCell(a.time)),
    h('td', { 'data-label': 'Action', class: 'audit-action', text: a.action }),
    h('td', { 'data-label': 'Credential' }, h('div', {}, a.name ? h('span', { class: 'cred-name', text: a.name }) : null, h('code', { class: 'cred-id', text: a.credential }))),
    h('td', { 'data-label': 'Actor', class: 'audit-actor', text: a.actor || '' }),
    h('td', { 'data-label': 'Details', text: auditDetails(a) })));
  state.parts.audit.replaceChildren(tableWrap('Audit trail', h('table', { id: 'audit-table', class: 'stack' },
    h('caption', { class: 'visually-hidden', text: `Credential changes in ${state.slug}, newest first. Times are UTC.` }),
    h('thead', {}, h('tr', {}, ['Time (UTC)', 'Action', 'Credential', 'Actor', 'Details'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, rows))));
}
