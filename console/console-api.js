// SPDX-License-Identifier: Apache-2.0
// The admin API as the console calls it: the session (user and CSRF token),
// GET, POST and DELETE with the CSRF token and one retry, and the API's
// paths. Every path is relative to the admin location that served the page.

import { $ } from './console-dom.js';

export class ApiError extends Error {
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

export async function loadSession() {
  session = await send('GET', 'api/session');
  $('session-user').textContent = session && session.user ? `Signed in as ${session.user}` : '';
  return session;
}

// GET as is; POST and DELETE with the CSRF token, fetching the session
// again once when the module refuses it (its secret changes when Apache
// restarts).
export async function api(method, path, body) {
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

export const orgPath = (org, what) => `api/orgs/${encodeURIComponent(org)}/${what}`;
export const credentialPath = (id, what) => `api/credentials/${encodeURIComponent(id)}${what ? '/' + what : ''}`;

// A GET for an org that has nothing yet answers 404: that is how a new
// org starts, so it reads as empty.
export async function getOrEmpty(path) {
  try {
    return await api('GET', path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return [];
    throw e;
  }
}
