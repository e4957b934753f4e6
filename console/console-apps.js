// SPDX-License-Identifier: Apache-2.0
// Applications: the Applications table of an organization's page, and an
// application's page: its state, a timeline (an SVG of hits and failures
// per period, incidents as shaded bands, deploys as markers, and the same
// data as a table), its incidents, its insights and its monitor's settings.

import { ApiError, api, getOrEmpty, orgPath } from './console-api.js';
import {
  announce, contentWidth, errorBox, formatTime, h, heading, main, plural, svg, tableWrap, timeCell,
} from './console-dom.js';

export const appPath = (org, app, what) => orgPath(org, `apps/${encodeURIComponent(app)}${what ? '/' + what : ''}`);
const appHref = (org, app) => `#/orgs/${org}/apps/${app}`;

const kStateLabels = { down: 'DOWN', late: 'late', up: 'up', new: 'new', paused: 'paused' };

export function stateBadge(state) {
  return h('span', { class: `app-state app-state-${state}`, 'data-state': state, text: kStateLabels[state] || state });
}

function percent(r) {
  return r === null || r === undefined ? '—' : `${(r * 100).toFixed(r === 1 || r === 0 ? 0 : 2)}%`;
}

// Seconds as "3h 12m", "45s", "2d 4h".
export function humanSeconds(s) {
  if (s === null || s === undefined) return '—';
  const total = Math.round(s);
  if (total < 60) return `${total}s`;
  const units = [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']];
  const parts = [];
  let rest = total;
  for (const [size, unit] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    } else if (parts.length) break;
  }
  return parts.join(' ');
}

function deployText(d) {
  if (!d) return null;
  return `${d.version || 'no version'} at ${formatTime(d.at)}`;
}

// Insights over `since` by app, or null when the server has none to give
// (an older module answers 404): the page then says so and carries on.
async function insightsByApp(org, since, app) {
  const query = `since=${since}${app ? `&app=${encodeURIComponent(app)}` : ''}`;
  try {
    const list = await api('GET', `${orgPath(org, 'insights')}?${query}`);
    return Array.isArray(list) ? new Map(list.map((i) => [i.app, i])) : null;
  } catch (e) {
    return null;
  }
}

// ------------------------------------------------ the org page's table

export function appsPart() {
  return h('div', { id: 'apps' }, h('p', { class: 'loading', text: 'Loading…' }));
}

export async function loadApps(state) {
  let apps;
  try {
    apps = await getOrEmpty(orgPath(state.slug, 'apps'));
  } catch (e) {
    if (state.live) state.parts.apps.replaceChildren(errorBox(e));
    return;
  }
  const [day, week, month] = apps.length
    ? await Promise.all(['24h', '7d', '30d'].map((w) => insightsByApp(state.slug, w)))
    : [null, null, null];
  if (!state.live) return;
  renderApps(state, apps, { day, week, month });
}

function renderApps(state, apps, uptime) {
  const box = state.parts.apps;
  if (!apps.length) {
    box.replaceChildren(h('p', { class: 'empty', id: 'apps-empty', text: 'No applications yet: an event or a credential bound to an app names one.' }));
    return;
  }
  const up = (map, app) => {
    if (!map) return h('span', { class: 'none', title: 'insights unavailable', text: 'n/a' });
    const i = map.get(app);
    return h('span', { text: percent(i ? i.uptime : null) });
  };
  // The API lists them down first, then late, then by name.
  const rows = apps.map((a) => h('tr', { 'data-app': a.app, 'data-state': a.state },
    h('td', { 'data-label': 'State' }, stateBadge(a.state)),
    h('th', { scope: 'row', 'data-label': 'App' }, h('a', { href: appHref(state.slug, a.app), class: 'app-link', text: a.app })),
    h('td', { 'data-label': 'Since' }, timeCell(a.since)),
    h('td', { class: 'num', 'data-label': 'Uptime 24 h' }, up(uptime.day, a.app)),
    h('td', { class: 'num', 'data-label': 'Uptime 7 d' }, up(uptime.week, a.app)),
    h('td', { class: 'num', 'data-label': 'Uptime 30 d' }, up(uptime.month, a.app)),
    h('td', { 'data-label': 'Open incident' }, a.open_incident ? h('code', { class: 'incident-id', text: a.open_incident }) : h('span', { class: 'none', text: 'none' })),
    h('td', { 'data-label': 'Last deploy' }, a.last_deploy ? h('span', { text: deployText(a.last_deploy) }) : h('span', { class: 'none', text: 'none' }))));
  box.replaceChildren(tableWrap('Applications', h('table', { id: 'apps-table', class: 'stack' },
    h('caption', { class: 'visually-hidden', text: `Applications of ${state.slug}, down first. Times are UTC.` }),
    h('thead', {}, h('tr', {}, ['State', 'App', 'Since', 'Uptime 24 h', 'Uptime 7 d', 'Uptime 30 d', 'Open incident', 'Last deploy']
      .map((t) => h('th', { scope: 'col', class: t.startsWith('Uptime') ? 'num' : null, text: t })))),
    h('tbody', {}, rows))));
}

// ------------------------------------------------ an application's page

// The timeline's windows: how far back, and how many hours per period.
const kRanges = [
  { since: '24h', label: '24 h', hours: 24, per: 1 },
  { since: '7d', label: '7 d', hours: 7 * 24, per: 6 },
  { since: '30d', label: '30 d', hours: 30 * 24, per: 24 },
];
const kHourMs = 3600 * 1000;

let page = null; // the app page's state while it is shown

export function leaveAppPage() {
  if (page) {
    page.live = false;
    if (page.observer) page.observer.disconnect();
  }
  page = null;
}

export async function showAppPage(slug, app) {
  const state = {
    slug, app, live: true, range: kRanges[0], appInfo: null, incidents: [], timeline: null, deploys: [], observer: null, drawnWidth: 0,
    parts: {
      summary: h('div', { id: 'app-summary' }, h('p', { class: 'loading', text: 'Loading…' })),
      chart: h('div', { id: 'timeline-chart', class: 'chart-box timeline-box' }, h('p', { class: 'loading', text: 'Loading…' })),
      deployDetail: h('p', { id: 'deploy-detail', class: 'deploy-detail', 'aria-live': 'polite' }),
      table: h('div', { id: 'timeline-table-box' }),
      incidents: h('div', { id: 'incidents' }, h('p', { class: 'loading', text: 'Loading…' })),
      insights: h('div', { id: 'insights' }, h('p', { class: 'loading', text: 'Loading…' })),
      monitor: h('div', { id: 'monitor' }, h('p', { class: 'loading', text: 'Loading…' })),
    },
  };
  page = state;
  const p = state.parts;
  const switcher = h('div', { class: 'range-switch', role: 'group', 'aria-label': 'Timeline window' },
    kRanges.map((r) => {
      const b = h('button', { type: 'button', class: 'secondary range-button', 'data-range': r.since, 'aria-pressed': String(r === state.range), text: r.label });
      b.addEventListener('click', () => switchRange(state, r));
      return b;
    }));
  const refresh = h('button', { type: 'button', class: 'secondary', id: 'app-refresh', text: 'Refresh' });
  refresh.addEventListener('click', () => loadAll(state));
  main.replaceChildren(heading(app),
    h('section', { 'aria-labelledby': 'app-state-heading' },
      h('div', { class: 'section-head' }, h('h2', { id: 'app-state-heading', text: 'State' }), refresh), p.summary),
    h('section', { 'aria-labelledby': 'timeline-heading' },
      h('div', { class: 'section-head' }, h('h2', { id: 'timeline-heading', text: 'Timeline' }), switcher),
      p.chart, p.deployDetail,
      h('details', { id: 'timeline-details' }, h('summary', { text: 'The timeline as a table' }), p.table)),
    h('section', { 'aria-labelledby': 'incidents-heading' }, h('h2', { id: 'incidents-heading', text: 'Incidents' }), p.incidents),
    h('div', { class: 'columns app-columns' },
      h('section', { 'aria-labelledby': 'insights-heading' }, h('h2', { id: 'insights-heading', text: 'Insights, last 30 days' }), p.insights),
      h('section', { 'aria-labelledby': 'monitor-heading' }, h('h2', { id: 'monitor-heading', text: 'Monitor' }), p.monitor)));
  // Drawn at the box's own width, once it has one (never while hidden),
  // and again when that width changes.
  state.observer = new ResizeObserver(() => {
    const width = Math.floor(p.chart.clientWidth);
    if (state.live && state.timeline && width > 0 && width !== state.drawnWidth) drawTimeline(state);
  });
  state.observer.observe(p.chart);
  await loadAll(state);
}

async function loadAll(state) {
  const p = state.parts;
  try {
    state.appInfo = await api('GET', appPath(state.slug, state.app));
  } catch (e) {
    if (!state.live) return;
    p.summary.replaceChildren(errorBox(e));
    if (e instanceof ApiError && (e.status === 404 || e.status === 403)) {
      for (const part of [p.incidents, p.insights, p.monitor]) part.replaceChildren();
      p.chart.replaceChildren();
      return;
    }
  }
  if (!state.live) return;
  if (state.appInfo) {
    renderSummary(state);
    renderMonitor(state);
  }
  await Promise.all([loadTimeline(state), loadIncidents(state), loadInsights(state)]);
}

function renderSummary(state) {
  const a = state.appInfo;
  const facts = [
    ['State', stateBadge(a.state)],
    ['Since', timeCell(a.since)],
    ['Open incident', a.open_incident ? h('code', { id: 'open-incident', text: a.open_incident }) : h('span', { class: 'none', text: 'none' })],
    ['Last event', timeCell(a.last_event_at, 'none')],
    ['Last deploy', a.last_deploy ? h('span', { text: deployText(a.last_deploy) }) : h('span', { class: 'none', text: 'none' })],
  ];
  state.parts.summary.replaceChildren(h('dl', { class: 'facts app-facts' }, facts.map(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)])));
}

function switchRange(state, range) {
  if (state.range === range) return;
  state.range = range;
  for (const b of document.querySelectorAll('.range-button')) b.setAttribute('aria-pressed', String(b.dataset.range === range.since));
  loadTimeline(state);
}

async function loadTimeline(state) {
  const range = state.range;
  const p = state.parts;
  let hours;
  let deploys;
  let incidents;
  try {
    [hours, deploys, incidents] = await Promise.all([
      api('GET', `${appPath(state.slug, state.app, 'timeline')}?since=${range.since}`),
      getOrEmpty(`${orgPath(state.slug, 'events')}?app=${encodeURIComponent(state.app)}&type=deploy&since=${range.since}&limit=1000`),
      getOrEmpty(`${orgPath(state.slug, 'incidents')}?app=${encodeURIComponent(state.app)}&limit=1000`),
    ]);
  } catch (e) {
    if (state.live && state.range === range) {
      p.chart.replaceChildren(errorBox(e));
      p.table.replaceChildren();
    }
    return;
  }
  if (!state.live || state.range !== range) return;
  state.timeline = buildTimeline(range, hours, deploys, incidents);
  drawTimeline(state);
  renderTimelineTable(state);
}

// Periods of `range.per` hours, the last one ending with the current hour;
// incidents and deploys that fall in the window.
function buildTimeline(range, hours, deploys, incidents) {
  const end = hours.length ? Date.parse(hours[hours.length - 1].at) + kHourMs : Date.now();
  const start = end - range.hours * kHourMs;
  const periods = [];
  for (let t = start; t < end; t += range.per * kHourMs) periods.push({ from: t, to: t + range.per * kHourMs, hits: 0, failures: 0, deploys: [], incidents: [] });
  const periodOf = (t) => periods[Math.min(periods.length - 1, Math.floor((t - start) / (range.per * kHourMs)))];
  for (const hour of hours) {
    const t = Date.parse(hour.at);
    if (t < start) continue;
    const period = periodOf(t);
    period.hits += hour.hits;
    period.failures += hour.failures;
  }
  const now = Date.now();
  const marks = deploys.map((e) => ({ id: e.deploy_id || e.id, version: e.version || '', status: e.status || '', at: Date.parse(e.time) }))
    .filter((d) => d.at >= start && d.at <= end);
  for (const d of marks) periodOf(d.at).deploys.push(d);
  const bands = incidents.map((i) => ({
    id: i.id, severity: i.severity, open: !i.resolved_at, from: Date.parse(i.opened_at),
    to: i.resolved_at ? Date.parse(i.resolved_at) : Math.max(now, Date.parse(i.opened_at)), incident: i,
  })).filter((b) => b.to >= start && b.from <= end);
  for (const b of bands) {
    for (const period of periods) if (b.from < period.to && b.to >= period.from) period.incidents.push(b.id);
  }
  return { range, start, end, periods, deploys: marks, bands };
}

// Bars of hits (up) and failures (down from the middle line), so that
// each reads without its colour; bands behind them, markers on top.
function drawTimeline(state) {
  const box = state.parts.chart;
  const t = state.timeline;
  // The SVG is 100 % wide; its viewBox is the box's inner width, so the
  // text keeps its size. Not laid out yet: the ResizeObserver draws it.
  const width = Math.floor(box.clientWidth);
  if (width <= 0) return;
  state.drawnWidth = width;
  const inner = Math.max(200, contentWidth(box));
  const left = 40;
  const right = 8;
  const top = 22;
  const half = 70;
  const axisH = 22;
  const height = top + half * 2 + axisH;
  const plotW = inner - left - right;
  const x = (ms) => left + ((ms - t.start) / (t.end - t.start)) * plotW;
  const mid = top + half;
  const maxHits = Math.max(1, ...t.periods.map((p) => p.hits));
  const maxFailures = Math.max(1, ...t.periods.map((p) => p.failures));
  const totalHits = t.periods.reduce((n, p) => n + p.hits, 0);
  const totalFailures = t.periods.reduce((n, p) => n + p.failures, 0);
  const label = `Hits and failures of ${state.app} over the last ${t.range.label}: ${plural(totalHits, 'hit', 'hits')}, ${plural(totalFailures, 'failure', 'failures')}, ${plural(t.bands.length, 'incident', 'incidents')}, ${plural(t.deploys.length, 'deploy', 'deploys')}. The table below has every period.`;
  const chart = svg('svg', { id: 'timeline', class: 'chart timeline', viewBox: `0 0 ${inner} ${height}`, role: 'group', 'aria-label': label, 'data-range': t.range.since });
  chart.append(svg('title', { text: label }));
  const bands = svg('g', { class: 'incident-bands' });
  for (const b of t.bands) {
    const x0 = x(Math.max(b.from, t.start));
    const x1 = x(Math.min(b.to, t.end));
    bands.append(svg('rect', {
      class: `incident-band${b.open ? ' incident-open' : ''}`, x: x0.toFixed(1), y: top, width: Math.max(2, x1 - x0).toFixed(1), height: half * 2,
      'data-incident-id': b.id, 'data-open': String(b.open),
    }, svg('title', { text: `Incident ${b.id}: ${formatTime(b.incident.opened_at)} to ${b.open ? 'now (open)' : formatTime(b.incident.resolved_at)}` })));
  }
  chart.append(bands);
  const barW = Math.max(1, plotW / t.periods.length - (t.periods.length > 40 ? 1 : 2));
  const bars = svg('g', { class: 'timeline-bars', 'aria-hidden': 'true' });
  for (const p of t.periods) {
    const x0 = x(p.from) + 0.5;
    const hitH = p.hits ? Math.max(1, (p.hits / maxHits) * (half - 4)) : 0;
    const failH = p.failures ? Math.max(1, (p.failures / maxFailures) * (half - 4)) : 0;
    if (hitH) bars.append(svg('rect', { class: 'bar bar-hits', x: x0.toFixed(1), y: (mid - hitH).toFixed(1), width: barW.toFixed(1), height: hitH.toFixed(1), 'data-at': new Date(p.from).toISOString(), 'data-count': p.hits }));
    if (failH) bars.append(svg('rect', { class: 'bar bar-failures', x: x0.toFixed(1), y: mid, width: barW.toFixed(1), height: failH.toFixed(1), 'data-at': new Date(p.from).toISOString(), 'data-count': p.failures }));
  }
  chart.append(bars);
  chart.append(
    svg('line', { class: 'timeline-axis', x1: left, x2: left + plotW, y1: mid, y2: mid }),
    svg('text', { class: 'chart-label', x: 0, y: top + 10, text: `${maxHits}` }),
    svg('text', { class: 'chart-label', x: 0, y: mid - 4, text: 'hits' }),
    svg('text', { class: 'chart-label', x: 0, y: mid + 14, text: 'fails' }),
    svg('text', { class: 'chart-label', x: 0, y: top + half * 2, text: `${maxFailures}` }));
  // Three time labels: the start, the middle, now.
  const fmt = (ms) => (t.range.per === 1 ? new Date(ms).toISOString().slice(11, 16) : new Date(ms).toISOString().slice(5, 10));
  for (const [ms, anchor] of [[t.start, 'start'], [(t.start + t.end) / 2, 'middle'], [t.end, 'end']]) {
    chart.append(svg('text', { class: 'chart-label', x: x(ms).toFixed(1), y: height - 6, 'text-anchor': anchor, text: fmt(ms) }));
  }
  const markers = svg('g', { class: 'deploy-markers' });
  for (const d of t.deploys) {
    const mx = x(d.at);
    const name = `Deploy ${d.version || '(no version)'} at ${new Date(d.at).toISOString().slice(0, 19).replace('T', ' ')} UTC${d.status ? `, ${d.status}` : ''}`;
    const marker = svg('g', { class: 'deploy-marker', tabindex: '0', role: 'img', 'aria-label': name, 'data-deploy-id': d.id, 'data-version': d.version, transform: `translate(${mx.toFixed(1)} 0)` },
      svg('title', { text: name }),
      svg('line', { class: 'deploy-line', x1: 0, x2: 0, y1: top - 6, y2: top + half * 2 }),
      svg('path', { class: 'deploy-head', d: 'M -6 4 L 6 4 L 0 14 Z' }),
      svg('rect', { class: 'deploy-hit', x: -8, y: 0, width: 16, height: top + half * 2 }));
    const show = () => { state.parts.deployDetail.textContent = name; };
    marker.addEventListener('focus', show);
    marker.addEventListener('mouseenter', show);
    markers.append(marker);
  }
  chart.append(markers);
  box.replaceChildren(chart);
  if (!t.deploys.length) state.parts.deployDetail.textContent = '';
}

function renderTimelineTable(state) {
  const t = state.timeline;
  const fmt = (ms) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  const rows = t.periods.slice().reverse().map((p) => h('tr', { 'data-from': new Date(p.from).toISOString() },
    h('th', { scope: 'row', text: fmt(p.from) }),
    h('td', { class: 'num', text: String(p.hits) }),
    h('td', { class: 'num', text: String(p.failures) }),
    h('td', { text: p.deploys.map((d) => d.version || '(no version)').join(', ') }),
    h('td', { text: p.incidents.join(', ') })));
  state.parts.table.replaceChildren(tableWrap('The timeline as a table', h('table', { id: 'timeline-table', class: 'numbers' },
    h('caption', { class: 'visually-hidden', text: `${state.app}, last ${t.range.label}, periods of ${plural(t.range.per, 'hour', 'hours')}, newest first. Times are UTC.` }),
    h('thead', {}, h('tr', {}, ['Period from', 'Hits', 'Failures', 'Deploys', 'Incidents'].map((c) => h('th', { scope: 'col', class: c === 'Hits' || c === 'Failures' ? 'num' : null, text: c })))),
    h('tbody', {}, rows))));
}

async function loadIncidents(state) {
  let incidents;
  try {
    incidents = await getOrEmpty(`${orgPath(state.slug, 'incidents')}?app=${encodeURIComponent(state.app)}&limit=100`);
  } catch (e) {
    if (state.live) state.parts.incidents.replaceChildren(errorBox(e));
    return;
  }
  if (!state.live) return;
  if (!incidents.length) {
    state.parts.incidents.replaceChildren(h('p', { class: 'empty', id: 'incidents-empty', text: 'No incidents.' }));
    return;
  }
  const rows = incidents.map((i) => h('tr', { 'data-id': i.id },
    h('td', { 'data-label': 'Opened' }, timeCell(i.opened_at)),
    h('td', { 'data-label': 'State' }, h('span', { class: i.resolved_at ? 'incident-resolved' : 'incident-open-text', text: i.resolved_at ? 'resolved' : 'OPEN' })),
    h('td', { 'data-label': 'Duration', text: i.resolved_at ? humanSeconds(i.duration_s) : 'open' }),
    h('td', { 'data-label': 'Severity', text: i.severity }),
    h('td', { class: 'num', 'data-label': 'Failures', text: String(i.failures) }),
    h('td', { 'data-label': 'Deploy' }, i.deploy ? h('span', { text: deployText(i.deploy) }) : h('span', { class: 'none', text: 'none' })),
    h('td', { 'data-label': 'First error', class: 'details', text: i.first_error || '' }),
    h('td', { 'data-label': 'ID' }, h('code', { class: 'incident-id', text: i.id }))));
  state.parts.incidents.replaceChildren(tableWrap('Incidents', h('table', { id: 'incidents-table', class: 'stack' },
    h('caption', { class: 'visually-hidden', text: `Incidents of ${state.app}, newest first. Times are UTC.` }),
    h('thead', {}, h('tr', {}, ['Opened', 'State', 'Duration', 'Severity', 'Failures', 'Deploy', 'First error', 'ID'].map((c) => h('th', { scope: 'col', text: c })))),
    h('tbody', {}, rows))));
}

async function loadInsights(state) {
  const map = await insightsByApp(state.slug, '30d', state.app);
  if (!state.live) return;
  const i = map && map.get(state.app);
  if (!i) {
    state.parts.insights.replaceChildren(h('p', { class: 'empty', id: 'insights-unavailable', text: 'Insights unavailable.' }));
    return;
  }
  const rate = (r) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`);
  const facts = [
    ['uptime', 'Uptime', percent(i.uptime)],
    ['downtime_s', 'Downtime', humanSeconds(i.downtime_s)],
    ['incidents', 'Incidents', String(i.incidents)],
    ['mttr_s', 'Mean time to recover', humanSeconds(i.mttr_s)],
    ['mtbf_s', 'Mean time between failures', humanSeconds(i.mtbf_s)],
    ['failure_rate', 'Failure rate', rate(i.failure_rate)],
    ['deploys_per_day', 'Deploys per day', i.deploys_per_day === null || i.deploys_per_day === undefined ? '—' : Number(i.deploys_per_day).toFixed(2)],
    ['change_failure_rate', 'Change failure rate', rate(i.change_failure_rate)],
    ['recovery_time_s', 'Recovery time (median)', humanSeconds(i.recovery_time_s)],
    ['lead_time_s', 'Lead time (median)', humanSeconds(i.lead_time_s)],
  ];
  state.parts.insights.replaceChildren(
    h('dl', { class: 'facts insights', id: 'insights-list' }, facts.map(([key, k, v]) => [h('dt', { text: k }), h('dd', { 'data-key': key, text: v })])),
    h('p', { class: 'help', text: i.since ? `From ${formatTime(i.since)} to ${formatTime(i.until)} UTC.` : 'No events in the window yet.' }));
}

// ---- the monitor's settings: a form that PATCHes only what changed

function renderMonitor(state) {
  const a = state.appInfo;
  const number = (id, name, value, help) => h('div', { class: 'field' },
    h('label', { for: id, text: name }),
    h('input', { id, type: 'number', min: 1, max: 100, step: 1, required: true, value, inputmode: 'numeric', 'aria-describedby': `${id}-help monitor-error` }),
    h('p', { class: 'help', id: `${id}-help`, text: help }));
  const severity = h('select', { id: 'monitor-severity' }, ['none', 'sev1', 'sev2', 'sev3', 'sev4', 'sev5'].map((s) => h('option', { value: s, selected: s === a.severity, text: s })));
  const paused = h('input', { id: 'monitor-paused', type: 'checkbox', checked: a.paused });
  const error = h('p', { class: 'form-error', id: 'monitor-error', role: 'alert' });
  const result = h('p', { class: 'monitor-result', id: 'monitor-result', role: 'status' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'monitor-save', text: 'Save' });
  const form = h('form', { id: 'monitor-form', class: 'monitor-form', novalidate: true },
    number('monitor-failures', 'Failures to open an incident', a.failures_to_open, 'Consecutive failures, 1 to 100.'),
    number('monitor-hits', 'Hits to close it', a.hits_to_close, 'Consecutive hits, 1 to 100.'),
    h('div', { class: 'field' }, h('label', { for: 'monitor-severity', text: 'Severity of its incidents' }), severity),
    h('div', { class: 'field checkbox' }, paused, h('label', { for: 'monitor-paused', text: 'Paused: open no incident' })),
    h('p', { class: 'help', text: `Expected every: ${a.expect_every}${a.grace ? ` (grace ${a.grace})` : ''}; onepctl monitor changes it.` }),
    error, h('div', { class: 'actions' }, submit), result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    result.textContent = '';
    for (const f of form.querySelectorAll('[aria-invalid]')) f.removeAttribute('aria-invalid');
    const body = {};
    const fields = [['failures_to_open', 'monitor-failures'], ['hits_to_close', 'monitor-hits']];
    for (const [key, id] of fields) {
      const field = form.querySelector(`#${id}`);
      const text = field.value.trim();
      if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 100) {
        field.setAttribute('aria-invalid', 'true');
        error.textContent = `${field.labels[0].textContent}: a whole number from 1 to 100.`;
        field.focus();
        return;
      }
      if (Number(text) !== state.appInfo[key]) body[key] = Number(text);
    }
    if (severity.value !== state.appInfo.severity) body.severity = severity.value;
    if (paused.checked !== state.appInfo.paused) body.paused = paused.checked;
    if (!Object.keys(body).length) {
      result.textContent = 'Nothing changed.';
      return;
    }
    submit.disabled = true;
    try {
      state.appInfo = await api('PATCH', appPath(state.slug, state.app), body);
    } catch (e) {
      submit.disabled = false;
      error.textContent = `Not saved: ${e.message}`;
      return;
    }
    if (!state.live) return;
    renderSummary(state);
    renderMonitor(state);
    const saved = Object.entries(body).map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`).join(', ');
    const again = state.parts.monitor.querySelector('#monitor-result');
    again.textContent = `Saved: ${saved}.`;
    announce(`Monitor of ${state.app} saved: ${saved}.`);
  });
  state.parts.monitor.replaceChildren(form);
}
