// SPDX-License-Identifier: Apache-2.0
// An organization's notifications: its endpoints (URL, when added, how the
// last delivery went) with "Send test" and "Remove", the "Add endpoint"
// dialog that shows the new endpoint's signing secret once, and the
// delivery log, refreshed with the rest of the org page (console-pages.js).
//
// The secret is shown in the dialog that added the endpoint, and removed
// from the DOM when it closes, as a token is; it never goes into a URL, web
// storage or the browser console.

import { api, getOrEmpty, orgPath } from './console-api.js';
import { copyButton, isBusy, openDialog, setBusy, setupDialog, showOnce } from './console-dialogs.js';
import { $, announce, clearMessages, errorBox, h, pageMessage, tableWrap, timeCell } from './console-dom.js';

const kDeliveriesShown = 50;
// After "Send test": the log is asked again every second, this many times,
// so that the delivery shows without waiting for the page's 5 s refresh.
const kTestPollMs = 1000;
const kTestPolls = 15;

const notifyPath = (id, what) => `api/notify/${encodeURIComponent(id)}${what ? '/' + what : ''}`;

// The section's parts, for the org page to place.
export function notifyParts() {
  return {
    endpoints: h('div', { id: 'notify-endpoints' }, h('p', { class: 'loading', text: 'Loading…' })),
    deliveries: h('div', { id: 'deliveries' }, h('p', { class: 'loading', text: 'Loading…' })),
  };
}

export function notifySection(state) {
  const add = h('button', { type: 'button', id: 'add-endpoint', class: 'secondary', text: 'Add endpoint' });
  add.addEventListener('click', () => openAdd(state, add));
  const p = state.parts.notify;
  return h('section', { 'aria-labelledby': 'notify-heading' },
    h('div', { class: 'section-head' }, h('h2', { id: 'notify-heading', tabindex: -1, text: 'Notifications' }), add),
    h('p', { class: 'help section-help', text: 'Endpoints get a signed POST when an incident opens or resolves. Up to 10 per organization.' }),
    p.endpoints,
    h('h3', { id: 'deliveries-heading', class: 'subheading', text: 'Delivery log' }),
    p.deliveries);
}

// Loads the endpoints and the delivery log; the org page calls it on every
// refresh.
export async function loadNotify(state) {
  const p = state.parts.notify;
  let endpoints;
  let deliveries;
  try {
    [endpoints, deliveries] = await Promise.all([
      getOrEmpty(orgPath(state.slug, 'notify')),
      getOrEmpty(`${orgPath(state.slug, 'deliveries')}?limit=${kDeliveriesShown}`),
    ]);
  } catch (e) {
    if (state.live) p.endpoints.replaceChildren(errorBox(e));
    return;
  }
  if (!state.live) return;
  state.endpoints = endpoints;
  state.deliveries = deliveries;
  renderEndpoints(state);
  renderDeliveries(state);
}

function lastDelivery(e) {
  const d = e.last_delivery;
  if (!d) return h('span', { class: 'none', text: 'none yet' });
  return h('div', {}, outcomeBadge(d.outcome),
    d.status !== null && d.status !== undefined ? ` HTTP ${d.status}` : null,
    h('span', { class: 'state-extra' }, timeCell(d.time)));
}

function outcomeBadge(outcome) {
  return h('span', { class: `outcome outcome-${outcome}`, text: outcome });
}

function renderEndpoints(state) {
  const box = state.parts.notify.endpoints;
  const focused = box.contains(document.activeElement) ? document.activeElement : null;
  const focusKey = focused && focused.dataset.action ? [focused.dataset.action, focused.dataset.id] : null;
  if (!state.endpoints.length) {
    box.replaceChildren(h('p', { class: 'empty', id: 'notify-empty', text: 'No notification endpoints yet. Use “Add endpoint” to get one.' }));
    if (focusKey) $('add-endpoint').focus();
    return;
  }
  const rows = state.endpoints.map((e) => {
    const test = h('button', { type: 'button', class: 'secondary small', 'data-action': 'notify-test', 'data-id': e.id, 'aria-label': `Send test to ${e.url}`, text: 'Send test' });
    const remove = h('button', { type: 'button', class: 'secondary small danger-text', 'data-action': 'notify-remove', 'data-id': e.id, 'aria-label': `Remove ${e.url}`, text: 'Remove' });
    test.addEventListener('click', () => sendTest(state, e, test));
    remove.addEventListener('click', () => openRemove(state, e, remove));
    return h('tr', { 'data-id': e.id },
      h('th', { scope: 'row', 'data-label': 'URL' }, h('div', {}, h('span', { class: 'notify-url', text: e.url }), h('code', { class: 'cred-id', text: e.id }))),
      h('td', { 'data-label': 'Added' }, timeCell(e.created_at)),
      h('td', { 'data-label': 'Last delivery', class: 'last-delivery' }, lastDelivery(e)),
      h('td', { class: 'row-actions', 'data-label': 'Actions' }, h('div', {}, test, remove)));
  });
  box.replaceChildren(tableWrap('Notification endpoints', h('table', { id: 'notify-table', class: 'stack' },
    h('caption', { class: 'visually-hidden', text: `Notification endpoints of ${state.slug}. Times are UTC.` }),
    h('thead', {}, h('tr', {}, ['URL', 'Added', 'Last delivery', 'Actions'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, rows))));
  if (focusKey) {
    const again = box.querySelector(`button[data-action="${focusKey[0]}"][data-id="${CSS.escape(focusKey[1])}"]`);
    (again || $('add-endpoint')).focus();
  }
}

// An HTTP status, and the error when it says more than the status does.
function statusOrError(d) {
  const status = d.status !== null && d.status !== undefined ? String(d.status) : '';
  const error = d.error && !/^HTTP \d+$/.test(d.error) ? d.error : '';
  if (status && error) return `${status}: ${error}`;
  return status || error || '—';
}

function renderDeliveries(state) {
  const box = state.parts.notify.deliveries;
  if (!state.deliveries.length) {
    box.replaceChildren(h('p', { class: 'empty', id: 'deliveries-empty', text: 'Nothing delivered yet.' }));
    return;
  }
  const urlOf = new Map(state.endpoints.map((e) => [e.id, e.url]));
  const rows = state.deliveries.map((d) => {
    const url = urlOf.get(d.endpoint);
    return h('tr', { 'data-endpoint': d.endpoint, 'data-outcome': d.outcome, 'data-status': d.status === null ? '' : String(d.status) },
      h('td', { 'data-label': 'Time (UTC)' }, timeCell(d.time)),
      h('td', { 'data-label': 'Endpoint', title: d.endpoint },
        url ? h('span', { class: 'notify-url', text: url }) : h('code', { class: 'cred-id', text: `${d.endpoint} (removed)` })),
      h('td', { 'data-label': 'Type', class: 'delivery-type', text: d.type }),
      h('td', { 'data-label': 'Attempt', class: 'num', text: String(d.attempt) }),
      h('td', { 'data-label': 'Status', class: 'delivery-status details', text: statusOrError(d) }),
      h('td', { 'data-label': 'Duration', class: 'num', text: `${d.duration_ms} ms` }),
      h('td', { 'data-label': 'Outcome' }, outcomeBadge(d.outcome)),
      h('td', { 'data-label': 'Next retry' }, timeCell(d.next_retry)));
  });
  box.replaceChildren(tableWrap('Delivery log', h('table', { id: 'deliveries-table', class: 'stack' },
    h('caption', { class: 'visually-hidden', text: `Notification deliveries of ${state.slug}, newest first. Times are UTC.` }),
    h('thead', {}, h('tr', {}, ['Time (UTC)', 'Endpoint', 'Type', 'Attempt', 'Status', 'Duration', 'Outcome', 'Next retry'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', {}, rows))));
}

// ---- send test

async function sendTest(state, endpoint, button) {
  clearMessages();
  button.disabled = true;
  try {
    await api('POST', notifyPath(endpoint.id, 'test'));
  } catch (e) {
    button.disabled = false;
    announce(`The test was not sent: ${pageMessage(e)}`);
    return;
  }
  button.disabled = false;
  announce(`A test notification is on its way to ${endpoint.url}: the delivery log shows how it went.`);
  for (let i = 0; i < kTestPolls && state.live; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, kTestPollMs));
    if (!state.live) return;
    const before = state.deliveries.length ? state.deliveries[0].time : null;
    await loadNotify(state);
    const newest = state.deliveries.find((d) => d.endpoint === endpoint.id);
    if (newest && newest.time !== before && newest.outcome !== 'retry') return;
  }
}

// ---- add

const addDialog = $('notify-add-dialog');
const addForm = $('notify-add-form');
const addSlot = $('notify-added');
const addError = $('notify-add-error');
let adding = null; // the org page's state

function clearAdded() {
  addSlot.replaceChildren();
  addForm.hidden = false;
  addForm.reset();
  addError.textContent = '';
  addForm.elements.url.removeAttribute('aria-invalid');
}

function openAdd(state, opener) {
  adding = state;
  clearAdded();
  openDialog(addDialog, opener);
}

addForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const state = adding;
  if (!state || isBusy()) return;
  const url = addForm.elements.url.value.trim();
  if (!url) {
    addError.textContent = 'Enter the URL the notifications go to.';
    addForm.elements.url.setAttribute('aria-invalid', 'true');
    addForm.elements.url.focus();
    return;
  }
  addError.textContent = '';
  setBusy(addDialog, true);
  let result;
  try {
    result = await api('POST', orgPath(state.slug, 'notify'), { url });
  } catch (e) {
    setBusy(addDialog, false);
    addError.textContent = pageMessage(e);
    if (e.status === 422) addForm.elements.url.setAttribute('aria-invalid', 'true');
    addForm.elements.url.focus();
    return;
  }
  setBusy(addDialog, false);
  const where = `Added ${result.url} (${result.id}) to ${result.org}.`;
  if (addDialog.open) showSecret(result, where);
  announce(addDialog.open ? `${where} Its signing secret is shown once in the dialog.`
                          : `${where} The dialog was closed before its secret was shown: remove the endpoint and add it again.`);
  loadNotify(state);
});

function showSecret(result, where) {
  addForm.hidden = true;
  const issued = showOnce(addDialog, 'The secret has not been copied. Once this dialog closes it cannot be shown again: you would have to remove the endpoint and add it again.');
  const secretBox = h('code', { id: 'notify-secret', class: 'secret', tabindex: 0, 'aria-labelledby': 'notify-secret-label' }, result.secret);
  const copy = copyButton('copy-secret', 'Copy secret', () => result.secret, secretBox, issued);
  addSlot.replaceChildren(h('section', { class: 'issued', 'aria-labelledby': 'notify-added-title' },
    h('h3', { id: 'notify-added-title', text: where }),
    h('p', { class: 'warning', text: 'Copy the signing secret now: it is shown only this once.' }),
    h('h4', { id: 'notify-secret-label', text: 'Signing secret' }),
    h('div', { class: 'secret-row' }, secretBox, copy),
    h('p', { class: 'help', text: 'Your endpoint checks the webhook-signature header of each notification with it (Standard Webhooks), and refuses a request that does not match.' }),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', 'data-close': true, text: 'Done' }))));
  copy.focus();
}

setupDialog(addDialog, () => {
  adding = null;
  clearAdded();
});

// ---- remove

const removeDialog = $('notify-remove-dialog');
const removeError = $('notify-remove-error');
let removing = null; // {state, endpoint}

function openRemove(state, endpoint, opener) {
  removing = { state, endpoint };
  removeError.textContent = '';
  $('notify-remove-title').textContent = 'Remove this endpoint?';
  $('notify-remove-text').textContent = `${endpoint.url} (${endpoint.id}) gets no more notifications, including any still waiting for a retry. Its deliveries stay in the log. This cannot be undone.`;
  openDialog(removeDialog, opener);
}

$('notify-remove-confirm').addEventListener('click', async () => {
  if (!removing || isBusy()) return;
  const { state, endpoint } = removing;
  setBusy(removeDialog, true);
  try {
    await api('DELETE', notifyPath(endpoint.id));
  } catch (e) {
    setBusy(removeDialog, false);
    removeError.textContent = pageMessage(e);
    return;
  }
  setBusy(removeDialog, false);
  removeDialog.close();
  announce(`Removed the notification endpoint ${endpoint.url}.`);
  await loadNotify(state);
});

setupDialog(removeDialog, () => {
  removing = null;
});
