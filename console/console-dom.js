// SPDX-License-Identifier: Apache-2.0
// The console's DOM helpers: building elements, the page's live regions,
// how values are written (times, durations, names) and the icons.
//
// Every element is built with createElement and textContent (the module's
// Content-Security-Policy allows no inline script or style), so no value
// from the API is ever parsed as HTML.

const kSvgNs = 'http://www.w3.org/2000/svg';

// An org (and an app) name: what the module accepts.
export const kSlug = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const kTypeLabels = { hits: 'Hits/Failure', deploy: 'Deploy' };
export const kGraceLabels = { '': 'none', '1h': '1 hour', '24h': '24 hours', '7d': '7 days' };

// ---------------------------------------------------------------- elements

// h('td', {class: 'x', text: 'y'}, child...): an element with attributes,
// text and children. Strings become text nodes, never markup.
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function svg(tag, attrs, ...children) {
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

export const $ = (id) => document.getElementById(id);
export const main = $('main');

export function heading(text) {
  return h('h1', { tabindex: -1, text });
}

export function errorBox(e) {
  return h('p', { class: 'inline-error', text: pageMessage(e) });
}

// An API message as a page shows it. The module shares its messages with
// onepctl, whose placeholders ("app APP", "--app") mean nothing on a form.
export function pageMessage(e) {
  const text = String(e && e.message !== undefined ? e.message : e);
  return text
    .replace(/(^|\s)--([a-z][a-z-]*)/g, '$1$2')
    .replace(/\b(app|org|name|id|expiry|grace) (APP|ORG|NAME|ID|DURATION|TIME)\b/g, '$1')
    .replace(/\bneeds app\b/, 'needs an app')
    .replace(/^[a-z]/, (c) => c.toUpperCase());
}

// A box's width inside its padding, in whole pixels (0 while hidden): the
// width a chart's viewBox is drawn at, its SVG being 100 % wide.
export function contentWidth(box) {
  if (!box.clientWidth) return 0;
  const style = getComputedStyle(box);
  return Math.floor(box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));
}

export function tableWrap(caption, table) {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: 0 }, table);
}

// ---------------------------------------------------------------- messages

// Results go to a live region. While a modal dialog is open the page
// behind it is inert and dimmed, so the dialog's own region shows and
// speaks it instead, above the dialog's backdrop.
let statusTimer = 0;

export function announce(text) {
  const dialog = document.querySelector('dialog[open]');
  const inDialog = dialog && dialog.querySelector('.dialog-status');
  $('alert').textContent = '';
  const region = inDialog || $('status');
  $('status').textContent = '';
  region.textContent = text;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => {
    region.textContent = '';
  }, 10000);
}

export function alertUser(text) {
  $('status').textContent = '';
  $('alert').textContent = text;
}

export function clearMessages() {
  $('status').textContent = '';
  $('alert').textContent = '';
  for (const region of document.querySelectorAll('.dialog-status')) region.textContent = '';
}

// ---------------------------------------------------------------- formats

export function formatTime(value) {
  if (!value) return '';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(value);
  return m ? `${m[1]} ${m[2]}` : String(value);
}

// HH:MM:SS of an RFC 3339 time from the API (UTC).
export function timeOfDay(value) {
  return formatTime(value).slice(11);
}

export function timeCell(value, empty) {
  if (!value) return h('span', { class: 'none', text: empty || '—' });
  return h('time', { datetime: value, title: value, text: formatTime(value) });
}

// For the events list: today's (UTC) events by their time of day only.
export function shortTimeCell(value) {
  const today = new Date().toISOString().slice(0, 10);
  if (!value || String(value).slice(0, 10) !== today) return timeCell(value);
  return h('time', { datetime: value, title: value, text: formatTime(value).slice(11) });
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined) return '';
  const units = [[86400000, 'd'], [3600000, 'h'], [60000, 'm'], [1000, 's']];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

// Whether an RFC 3339 time from the API has passed, by this browser's clock.
export function hasPassed(value) {
  const t = value ? Date.parse(value) : NaN;
  return !Number.isNaN(t) && t <= Date.now();
}

export function cut(text, max) {
  const s = String(text);
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------- icons

export function pencilIcon() {
  return svg('svg', { viewBox: '0 0 20 20', width: 18, height: 18, 'aria-hidden': 'true', focusable: 'false', class: 'icon' },
    svg('path', { d: 'M3 17 L4 12.5 L13 3.5 L16.5 7 L7.5 16 Z M11.5 5 L15 8.5', fill: 'none', stroke: 'currentColor', 'stroke-width': 1.6, 'stroke-linejoin': 'round' }));
}

export function binIcon() {
  return svg('svg', { viewBox: '0 0 20 20', width: 18, height: 18, 'aria-hidden': 'true', focusable: 'false', class: 'icon' },
    svg('path', { d: 'M3.5 5.5 H16.5 M8 5.5 V3.5 H12 V5.5 M5 5.5 L6 17 H14 L15 5.5 M8.5 8.5 V14 M11.5 8.5 V14', fill: 'none', stroke: 'currentColor', 'stroke-width': 1.6, 'stroke-linejoin': 'round', 'stroke-linecap': 'round' }));
}
