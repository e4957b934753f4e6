// SPDX-License-Identifier: Apache-2.0
// An organization's activity on its page: the recent events, the last 24
// hours per app (an SVG bar chart and the same numbers as a table) and the
// audit trail. Each load takes the org page's state (console-pages.js) and
// drops its answer when the user has left the page (`state.live`).

import { getOrEmpty, orgPath } from './console-api.js';
import {
  cut, errorBox, formatDuration, formatTime, h, plural, shortTimeCell, svg, tableWrap, timeCell,
} from './console-dom.js';

const kEventsShown = 50;
const kAuditShown = 100;

function credentialName(state, id) {
  const c = state.credentials.find((x) => x.id === id);
  return c ? c.name : null;
}

// ---- events, newest first on screen, at most kEventsShown

// True when new events arrived.
export async function loadEvents(state) {
  const base = `${orgPath(state.slug, 'events')}?limit=${kEventsShown}`;
  let page;
  try {
    page = await getOrEmpty(state.lastEventId ? `${base}&after=${encodeURIComponent(state.lastEventId)}` : base);
    // A full page after the last id means more are waiting: show the newest.
    if (state.lastEventId && page.length >= kEventsShown) page = await getOrEmpty(base);
  } catch (e) {
    if (!state.live) return false;
    state.parts.updated.textContent = `Could not refresh: ${e.message}`;
    if (!state.events.length) state.parts.events.replaceChildren(errorBox(e));
    return false;
  }
  if (!state.live) return false;
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
// text keeps its size on a phone (the page draws it again on a resize).
// Every bar carries its number and name, so the chart reads without its
// colours.
export function renderChart(state) {
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
