// SPDX-License-Identifier: Apache-2.0
// The dialogs of an organization's page: + (create), the pencil (rotate or
// rename, with the grace period and the expiry) and the bin (delete), and
// the issued token with its curl command and Copy buttons.
//
// Each open function takes the org page's state (console-pages.js): its
// `slug`, and `onChange()`, called after a change so that the page shows it.
// A token is shown once, in the dialog that issued it, and removed from the
// DOM when the dialog closes; it never goes into a URL, web storage or the
// browser console.

import { ApiError, api, credentialPath, orgPath } from './console-api.js';
import { $, announce, clearMessages, formatTime, h, hasPassed, kGraceLabels, kTypeLabels, main } from './console-dom.js';

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

// Leaving the page closes its dialogs (and so clears any token shown); the
// focus then goes to the new page's heading, not back to an opener.
export function closeDialogs() {
  opened.clear();
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
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
let creating = null; // the org page's state

function syncCreateType() {
  const deploy = createForm.elements.type.value === 'deploy';
  $('create-app-need').textContent = deploy ? '(required for Deploy)' : '(optional)';
  createForm.elements.app.setAttribute('aria-required', deploy ? 'true' : 'false');
}

export function openCreate(state, opener) {
  creating = state;
  clearIssued(createForm, createSlot, createError);
  syncCreateType();
  openDialog(createDialog, opener);
}

createForm.elements.type.addEventListener('change', syncCreateType);

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
  state.onChange();
});

setupDialog(createDialog, () => {
  creating = null;
  clearIssued(createForm, createSlot, createError);
});

// ---- edit: rotate, or rename (which issues a token too)

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

function syncGrace() {
  const grace = editForm.elements.grace.value;
  const hint = editing ? ` (${editing.credential.token_hint})` : '';
  $('edit-warning').textContent = grace
    ? `The current token${hint} keeps working for ${kGraceLabels[grace]} after the new one is issued, then stops working.`
    : `The current token${hint} stops working as soon as the new one is issued.`;
}

function syncExpiry() {
  if (!editing) return;
  const c = editing.credential;
  const choice = editForm.elements.expiry.value;
  let text;
  if (isExpired(c)) {
    text = `This credential expired at ${formatTime(c.expires_at)} UTC: a new token needs a new expiry (or none), else it is refused from its first use.`;
    if (choice === '') text += ' Choose one: keeping it is refused.';
    else if (choice === kExpiryForExpired) text += ' 90 days from now is preselected.';
  } else if (choice === '') {
    text = c.expires_at
      ? `It expires at ${formatTime(c.expires_at)} UTC, and so will the new token.`
      : 'It never expires, and neither will the new token.';
  } else {
    text = choice === 'none' ? 'The new token never expires.' : `The new token expires ${kExpiryLabels[choice]} from now.`;
  }
  $('edit-expiry-help').textContent = text;
}

export function openEdit(state, credential, opener) {
  editing = { state, credential };
  clearIssued(editForm, editSlot, editError);
  $('edit-title').textContent = `Edit ${credential.name}`;
  const facts = [['Id', credential.id], ['Type', kTypeLabels[credential.type] || credential.type],
                 ['App', credential.app || 'any'], ['Token', credential.token_hint], ['State', credential.state]];
  $('edit-facts').replaceChildren(...facts.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
  editForm.elements.name.value = credential.name;
  editForm.elements.expiry.value = isExpired(credential) ? kExpiryForExpired : '';
  syncGrace();
  syncExpiry();
  openDialog(editDialog, opener);
}

editForm.elements.grace.addEventListener('change', syncGrace);
editForm.elements.expiry.addEventListener('change', syncExpiry);
// Enter in the name field saves the name; it never rotates by itself
// (with the name unchanged, issueToken says so instead).
editForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  issueToken('rename');
});
$('edit-rotate').addEventListener('click', () => issueToken('rotate'));
$('edit-rename').addEventListener('click', () => issueToken('rename'));

async function issueToken(action) {
  if (!editing || busy) return;
  const { state, credential } = editing;
  const body = {};
  const grace = editForm.elements.grace.value;
  if (grace) body.grace = grace;
  const expiry = editForm.elements.expiry.value;
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
    editError.textContent = e.message;
    // "... expired at ...: give it a new expiry or none" marks the expiry.
    markInvalid(editForm, e, ['name', 'grace', 'expiry']);
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
  const lines = [what, old];
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
    deleteError.textContent = e.message;
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
