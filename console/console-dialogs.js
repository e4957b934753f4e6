// SPDX-License-Identifier: Apache-2.0
// The dialogs of an organization's page: + (create), the pencil (rotate or
// rename, with the grace period and the expiry) and the bin (delete), and
// the issued token with its curl commands, the reply to expect, whether the
// first event arrived, and Copy buttons.
//
// Each open function takes the org page's state (console-pages.js): its
// `slug`, and `onChange()`, called after a change so that the page shows it.
// A token is shown once, in the dialog that issued it, and removed from the
// DOM when the dialog closes; it never goes into a URL, web storage or the
// browser console. The notification dialogs (console-notify.js) use the
// same opening, closing, Copy buttons and "Close without copying?".

import { ApiError, api, credentialPath, getOrEmpty, orgPath } from './console-api.js';
import { $, announce, clearMessages, formatTime, h, hasPassed, kGraceLabels, kTypeLabels, main, pageMessage } from './console-dom.js';

// Opening remembers what opened the dialog; closing clears any token it
// showed and gives the focus back (to the same row's button after a
// refresh replaced it, else to "+").
const opened = new Map();
let busy = false;

export function openDialog(dialog, opener) {
  clearMessages();
  opened.set(dialog, {
    opener,
    action: opener && opener.dataset ? opener.dataset.action : null,
    id: opener && opener.dataset ? opener.dataset.id : null,
  });
  dialog.showModal();
}

// Leaving the page closes its dialogs (and so clears any token shown); the
// focus then goes to the new page's heading, not back to an opener.
export function closeDialogs() {
  opened.clear();
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
}

// A dialog showing a token nobody copied asks before it closes (Escape,
// Done, ×): the token is shown only this once.
const issuedOf = new Map(); // dialog -> {copied, stop(), unsaved}

// A secret shown once in `dialog` from now: its copy buttons mark it copied;
// closing before then asks first, saying `unsaved` (what is lost).
export function showOnce(dialog, unsaved) {
  const issued = { copied: false, stop: () => {}, unsaved };
  issuedOf.set(dialog, issued);
  return issued;
}

function wantsClose(dialog) {
  if (busy) return;
  const issued = issuedOf.get(dialog);
  if (issued && !issued.copied) askCloseWithoutCopy(dialog);
  else dialog.close();
}

function askCloseWithoutCopy(dialog) {
  if (dialog.querySelector('.close-confirm')) {
    dialog.querySelector('.close-confirm button').focus();
    return;
  }
  const back = h('button', { type: 'button', class: 'secondary', id: 'close-back', text: 'Go back' });
  const anyway = h('button', { type: 'button', class: 'danger', id: 'close-anyway', text: 'Close without copying' });
  const issued = issuedOf.get(dialog);
  const unsaved = (issued && issued.unsaved) || 'The token has not been copied. Once this dialog closes it cannot be shown again: you would have to generate a new one.';
  const box = h('section', { class: 'confirm close-confirm', role: 'alertdialog', 'aria-labelledby': 'close-confirm-title', 'aria-describedby': 'close-confirm-text' },
    h('h3', { id: 'close-confirm-title', text: 'Close without copying?' }),
    h('p', { id: 'close-confirm-text', text: unsaved }),
    h('div', { class: 'actions' }, back, anyway));
  back.addEventListener('click', () => {
    box.remove();
    const copy = dialog.querySelector('#copy-token, .issued .copy');
    if (copy) copy.focus();
  });
  anyway.addEventListener('click', () => {
    const issued = issuedOf.get(dialog);
    if (issued) issued.copied = true;
    dialog.close();
  });
  dialog.querySelector('.issued .actions').before(box);
  back.focus();
}

export function setupDialog(dialog, onClose) {
  dialog.addEventListener('cancel', (ev) => {
    if (busy) {
      ev.preventDefault();
      return;
    }
    const issued = issuedOf.get(dialog);
    if (issued && !issued.copied) {
      ev.preventDefault();
      askCloseWithoutCopy(dialog);
    }
  });
  dialog.addEventListener('click', (ev) => {
    if (ev.target.closest('[data-close]')) wantsClose(dialog);
  });
  dialog.addEventListener('close', () => {
    const issued = issuedOf.get(dialog);
    if (issued) issued.stop();
    issuedOf.delete(dialog);
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

export const isBusy = () => busy;

export function setBusy(dialog, value) {
  busy = value;
  for (const b of dialog.querySelectorAll('button, input, select')) b.disabled = value;
  dialog.setAttribute('aria-busy', value ? 'true' : 'false');
}

// The routes a credential's test commands post to, in this order.
const kRoutes = ['hits', 'failures', 'deploys'];
// How often, and how long, the dialog asks whether the first event came.
const kReceivedPollMs = 2000;
const kReceivedPollMax = 450; // 15 minutes

// The token, its test commands (one per route, on several lines) and the
// reply to expect, once, in the dialog that issued them; then whether an
// event with the token arrived since.
function showIssued(dialog, form, slot, result, lines) {
  form.hidden = true;
  const issued = showOnce(dialog);
  const curls = result.curls && typeof result.curls === 'object'
    ? result.curls
    : { [result.type === 'deploy' ? 'deploys' : 'hits']: result.curl };
  const routes = kRoutes.filter((r) => typeof curls[r] === 'string');
  const tokenBox = h('code', { id: 'issued-token', class: 'secret', tabindex: 0, 'aria-labelledby': 'issued-token-label' }, result.token);
  const curlBox = h('pre', { id: 'issued-curl', class: 'secret curl', tabindex: 0, role: 'tabpanel', 'aria-labelledby': 'issued-curl-label' });
  const copyToken = copyButton('copy-token', 'Copy token', () => result.token, tokenBox, issued);
  const copyCurl = copyButton('copy-curl', 'Copy command', () => curlBox.textContent, curlBox, issued);
  const tabs = routes.map((r) => h('button', { type: 'button', role: 'tab', class: 'tab', id: `curl-tab-${r}`, 'data-route': r, 'aria-controls': 'issued-curl', text: `/${r}` }));
  const select = (route) => {
    for (const t of tabs) {
      const on = t.dataset.route === route;
      t.setAttribute('aria-selected', on ? 'true' : 'false');
      t.tabIndex = on ? 0 : -1;
    }
    curlBox.textContent = curls[route];
    curlBox.dataset.route = route;
  };
  const tabList = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Route of the test event' }, tabs);
  tabList.addEventListener('click', (ev) => {
    const tab = ev.target.closest('[role="tab"]');
    if (tab) select(tab.dataset.route);
  });
  tabList.addEventListener('keydown', (ev) => {
    if (ev.key !== 'ArrowRight' && ev.key !== 'ArrowLeft') return;
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    const next = tabs[(i + (ev.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
    select(next.dataset.route);
    next.focus();
  });
  select(routes[0]);
  const reply = typeof result.expected_reply === 'string' && result.expected_reply
    ? result.expected_reply : 'HTTP 202 {"ok":true,...}';
  const received = h('p', { id: 'issued-received', class: 'received', role: 'status', text: 'Waiting for the first event…' });
  slot.replaceChildren(h('section', { class: 'issued', 'aria-labelledby': 'issued-title' },
    h('h3', { id: 'issued-title', text: lines[0] }),
    lines.slice(1).map((t) => h('p', { text: t })),
    h('p', { class: 'warning', text: 'Copy the token now: it is shown only this once, and onep keeps no copy of it.' }),
    h('h4', { id: 'issued-token-label', text: 'Token' }),
    h('div', { class: 'secret-row' }, tokenBox, copyToken),
    h('h4', { id: 'issued-curl-label', text: 'Send a test event with curl' }),
    h('p', { class: 'help', text: 'A test event is listed under the events, marked “test”, and counts in no statistics.' }),
    routes.length > 1 ? tabList : null,
    h('div', { class: 'secret-row' }, curlBox, copyCurl),
    h('p', { class: 'expected' }, h('span', { class: 'expected-label', text: 'Expected reply: ' }), h('code', { id: 'issued-expected', text: reply })),
    received,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', 'data-close': true, text: 'Done' }))));
  issued.stop = watchFirstEvent(result, received);
  copyToken.focus();
}

// Asks for the credential every kReceivedPollMs until its last use moves
// past the one it had when its token was issued, at most kReceivedPollMax
// times; the returned function stops it (the dialog closed).
function watchFirstEvent(result, line) {
  let stopped = false;
  let timer = 0;
  let polls = 0;
  const before = result.last_used_at || null;
  const poll = async () => {
    polls += 1;
    let c = null;
    try {
      c = await api('GET', credentialPath(result.id));
    } catch (e) {
      c = null; // a refresh that failed: ask again
    }
    if (stopped) return;
    if (c && c.last_used_at && c.last_used_at !== before) {
      line.textContent = `Received ✓ at ${formatTime(c.last_used_at).slice(11)} UTC`;
      line.classList.add('received-ok');
      return;
    }
    if (polls >= kReceivedPollMax) {
      line.textContent = 'No event arrived while this dialog was open. The events list shows one when it comes.';
      return;
    }
    timer = setTimeout(poll, kReceivedPollMs);
  };
  timer = setTimeout(poll, kReceivedPollMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

export function copyButton(id, label, text, source, issued) {
  const button = h('button', { type: 'button', id, class: 'secondary copy', text: label });
  let reset = 0;
  button.addEventListener('click', async () => {
    const ok = await copyText(text(), source);
    // Either copy holds the token (the command carries it).
    if (ok) issued.copied = true;
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
  // The module says "application" where the field is App.
  const named = fields.find((f) => new RegExp(`\\b${f === 'app' ? 'app(lication)?' : f}\\b`).test(e.message));
  if (named) form.elements[named].setAttribute('aria-invalid', 'true');
}

// ---- create

const createDialog = $('create-dialog');
const createForm = $('create-form');
const createSlot = $('create-issued');
const createError = $('create-error');
let creating = null; // the org page's state

const kNameMax = 100;

function syncCreateType() {
  const deploy = createForm.elements.type.value === 'deploy';
  $('create-app-need').textContent = deploy ? '(required for Deploy)' : '(optional)';
  $('create-type-help').textContent = deploy
    ? 'Deploy: reports the deployments of one app (POST /deploys).'
    : 'Hits/Failure: reports the successes and failures of an app or a job (POST /hits and /failures).';
  createForm.elements.app.setAttribute('aria-required', deploy ? 'true' : 'false');
}

// The name's length as one types; the field itself stops at kNameMax.
function syncCounter(input, counter) {
  const n = input.value.length;
  counter.textContent = n >= kNameMax
    ? `${n}/${kNameMax} characters: the most a name can have.`
    : `${n}/${kNameMax} characters`;
  counter.classList.toggle('at-limit', n >= kNameMax);
}

// The org's known apps, suggested in the App field.
async function suggestApps(state) {
  let apps = [];
  try {
    apps = await getOrEmpty(orgPath(state.slug, 'apps'));
  } catch (e) {
    apps = []; // only suggestions: the field works without them
  }
  if (creating !== state) return;
  const names = [...new Set(apps.map((a) => a.app).filter(Boolean))].sort();
  $('create-app-list').replaceChildren(...names.map((n) => h('option', { value: n })));
}

export function openCreate(state, opener) {
  creating = state;
  clearIssued(createForm, createSlot, createError);
  syncCreateType();
  syncCounter(createForm.elements.name, $('create-name-count'));
  openDialog(createDialog, opener);
  suggestApps(state);
}

createForm.elements.type.addEventListener('change', syncCreateType);
createForm.elements.name.addEventListener('input', () => syncCounter(createForm.elements.name, $('create-name-count')));

createForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const state = creating;
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
    createError.textContent = pageMessage(e);
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
  state.onChange();
});

setupDialog(createDialog, () => {
  creating = null;
  clearIssued(createForm, createSlot, createError);
});

// ---- edit: rotate, rename (which issues a token too), or the expiry alone

const editDialog = $('edit-dialog');
const editForm = $('edit-form');
const editSlot = $('edit-issued');
const editError = $('edit-error');
let editing = null; // {state, credential}

// The module refuses a new token for an expired credential that keeps its
// expiry (the token would be refused from its first use): the editor then
// preselects a new one.
const kExpiryForExpired = '90d';
const kExpiryLabels = { none: 'no expiry', '30d': '30 days', '90d': '90 days', '365d': '365 days' };

const isExpired = (c) => c.state === 'expired' || hasPassed(c.expires_at);

// A grace period only means something while the current token works.
function syncGrace() {
  if (!editing) return;
  const live = !isExpired(editing.credential);
  $('edit-grace-field').hidden = !live;
  $('edit-warning').hidden = !live;
  if (!live) {
    $('edit-warning').textContent = '';
    return;
  }
  const grace = editForm.elements.grace.value;
  const hint = ` (${editing.credential.token_hint})`;
  $('edit-warning').textContent = grace
    ? `The current token${hint} keeps working for ${kGraceLabels[grace]} after the new one is issued, then stops working.`
    : `The current token${hint} stops working as soon as the new one is issued.`;
}

function syncExpiry() {
  if (!editing) return;
  const c = editing.credential;
  const choice = editForm.elements.expiry.value;
  const chosen = choice === 'none' ? 'never expire' : `expire ${kExpiryLabels[choice]} from now`;
  let text;
  if (isExpired(c)) {
    text = `This credential expired at ${formatTime(c.expires_at)} UTC. Give it a new expiry (or none): “Change expiry” keeps its token, “Generate new token” issues one with it.`;
    if (choice === '') text += ' Choose one: keeping it is refused.';
    else text += ` It will ${chosen}.`;
  } else if (choice === '') {
    text = c.expires_at ? `It expires at ${formatTime(c.expires_at)} UTC.` : 'It never expires.';
    text += ' Choose another expiry, then “Change expiry”: the token stays the same.';
  } else {
    text = `“Change expiry” makes it ${chosen}; the token stays the same.`;
  }
  $('edit-expiry-help').textContent = text;
  $('edit-expire').disabled = busy || choice === '';
}

function showFacts(credential) {
  const facts = [['Id', credential.id], ['Type', kTypeLabels[credential.type] || credential.type],
                 ['App', credential.app || 'any'], ['Token', credential.token_hint], ['State', credential.state],
                 ['Expires', credential.expires_at ? `${formatTime(credential.expires_at)} UTC` : 'never']];
  $('edit-facts').replaceChildren(...facts.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
}

function hideRotateConfirm() {
  $('rotate-confirm').hidden = true;
  $('edit-actions').hidden = false;
}

export function openEdit(state, credential, opener) {
  editing = { state, credential };
  clearIssued(editForm, editSlot, editError);
  hideRotateConfirm();
  $('edit-title').textContent = `Edit ${credential.name}`;
  showFacts(credential);
  editForm.elements.name.value = credential.name;
  editForm.elements.expiry.value = isExpired(credential) ? kExpiryForExpired : '';
  editForm.elements.expiry.options[0].textContent = isExpired(credential) ? 'Keep the one that passed' : 'Keep the current one';
  syncCounter(editForm.elements.name, $('edit-name-count'));
  syncGrace();
  syncExpiry();
  openDialog(editDialog, opener);
}

editForm.elements.grace.addEventListener('change', syncGrace);
editForm.elements.expiry.addEventListener('change', syncExpiry);
editForm.elements.name.addEventListener('input', () => syncCounter(editForm.elements.name, $('edit-name-count')));
// Enter in the name field saves the name; it never rotates by itself
// (with the name unchanged, issueToken says so instead).
editForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  issueToken('rename');
});
// A live token is replaced only after a second click that names it.
$('edit-rotate').addEventListener('click', () => {
  if (!editing || busy) return;
  const c = editing.credential;
  if (isExpired(c)) {
    issueToken('rotate');
    return;
  }
  const grace = editForm.elements.grace.value;
  $('rotate-confirm-text').textContent = grace
    ? `Generate a new token for “${c.name}”? The current token (${c.token_hint}) keeps working for ${kGraceLabels[grace]}, then stops.`
    : `Generate a new token for “${c.name}”? The current token (${c.token_hint}) stops working at once.`;
  $('edit-actions').hidden = true;
  $('rotate-confirm').hidden = false;
  $('rotate-cancel').focus();
});
$('rotate-cancel').addEventListener('click', () => {
  hideRotateConfirm();
  $('edit-rotate').focus();
});
$('rotate-confirm-button').addEventListener('click', () => {
  hideRotateConfirm();
  issueToken('rotate');
});
$('edit-rename').addEventListener('click', () => issueToken('rename'));
$('edit-expire').addEventListener('click', () => changeExpiry());

async function changeExpiry() {
  if (!editing || busy) return;
  const { state, credential } = editing;
  const choice = editForm.elements.expiry.value;
  if (!choice) {
    editError.textContent = 'Choose an expiry first.';
    editForm.elements.expiry.setAttribute('aria-invalid', 'true');
    editForm.elements.expiry.focus();
    return;
  }
  editError.textContent = '';
  setBusy(editDialog, true);
  let result;
  try {
    result = await api('POST', credentialPath(credential.id, 'expire'), { expires: choice === 'none' ? 'never' : choice });
  } catch (e) {
    setBusy(editDialog, false);
    syncExpiry();
    editError.textContent = pageMessage(e);
    markInvalid(editForm, e, ['expiry', 'expires']);
    editForm.elements.expiry.focus();
    return;
  }
  setBusy(editDialog, false);
  const text = result.expires_at
    ? `“${result.name}” now expires at ${formatTime(result.expires_at)} UTC. Its token is unchanged.`
    : `“${result.name}” no longer expires. Its token is unchanged.`;
  if (editing && editing.credential.id === credential.id) {
    editing.credential = result;
    showFacts(result);
    editForm.elements.expiry.value = '';
    editForm.elements.expiry.options[0].textContent = 'Keep the current one';
    editForm.elements.expiry.removeAttribute('aria-invalid');
    syncGrace();
    syncExpiry();
    $('edit-expiry-help').textContent = `${text} ${$('edit-expiry-help').textContent}`;
  }
  announce(text);
  state.onChange();
}

async function issueToken(action) {
  if (!editing || busy) return;
  const { state, credential } = editing;
  const expired = isExpired(credential);
  const body = {};
  const grace = editForm.elements.grace.value;
  if (grace && !expired) body.grace = grace;
  // A live credential keeps its expiry ("Change expiry" changes it alone);
  // an expired one needs a new one with its new token.
  const expiry = expired ? editForm.elements.expiry.value : '';
  if (expiry === 'none') body.no_expiry = true;
  else if (expiry) body.expires = expiry;
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
    syncExpiry();
    editError.textContent = pageMessage(e);
    // "... expired at ...: give it a new expiry or none" marks the expiry.
    markInvalid(editForm, e, ['name', 'grace', 'expiry']);
    (editForm.querySelector('[aria-invalid="true"]') || editForm.elements.name).focus();
    return;
  }
  setBusy(editDialog, false);
  const what = action === 'rename'
    ? `Renamed “${credential.name}” to “${result.name}” and issued a new token.`
    : `Issued a new token for “${result.name}”.`;
  const lines = [what];
  if (!expired) {
    lines.push(result.old_token_valid_until
      ? `The previous token works until ${formatTime(result.old_token_valid_until)} UTC.`
      : 'The previous token no longer works.');
  }
  if (expiry) {
    lines.push(result.expires_at ? `The credential now expires at ${formatTime(result.expires_at)} UTC.` : 'The credential no longer expires.');
  }
  if (editDialog.open) {
    $('edit-title').textContent = `Edit ${result.name}`;
    showIssued(editDialog, editForm, editSlot, result, lines);
    announce(`${lines.join(' ')} The new token is shown once in the dialog.`);
  } else {
    announce(`${lines.join(' ')} The dialog was closed before the token was shown: generate another one.`);
  }
  state.onChange();
}

setupDialog(editDialog, () => {
  editing = null;
  hideRotateConfirm();
  clearIssued(editForm, editSlot, editError);
});

// ---- delete

const deleteDialog = $('delete-dialog');
const deleteError = $('delete-error');
let deleting = null; // {state, credential}

export function openDelete(state, credential, opener) {
  deleting = { state, credential };
  deleteError.textContent = '';
  $('delete-title').textContent = `Delete ${credential.name}?`;
  $('delete-text').textContent = `Systems that send its token (${credential.token_hint}) get 401 invalid_token from the moment it is deleted. Its events and its audit trail stay. This cannot be undone.`;
  openDialog(deleteDialog, opener);
}

$('delete-confirm').addEventListener('click', async () => {
  if (!deleting || busy) return;
  const { state, credential } = deleting;
  setBusy(deleteDialog, true);
  try {
    await api('DELETE', credentialPath(credential.id));
  } catch (e) {
    setBusy(deleteDialog, false);
    deleteError.textContent = pageMessage(e);
    return;
  }
  setBusy(deleteDialog, false);
  deleteDialog.close();
  announce(`Deleted credential “${credential.name}” (${credential.id}).`);
  state.onChange();
});

setupDialog(deleteDialog, () => {
  deleting = null;
});
