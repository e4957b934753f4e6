// SPDX-License-Identifier: Apache-2.0
// The onep web console: the front end of `SetHandler onep-admin`.
//
// The module serves this file and the modules it imports under the admin
// location the site chose, so every URL here (assets, imports and
// `api/...`) is relative to that location. This entry routes the hash
// (`#/`, `#/orgs/ORG`, `#/orgs/ORG/apps/APP`) to its page and starts the
// console:
//
//   console-dom.js       DOM helpers, live regions, formats, icons
//   console-api.js       the session, the CSRF token, the API's calls
//   console-pages.js     the organizations page, an organization's page, polling
//   console-activity.js  an organization's events, 24 h chart and audit trail
//   console-apps.js      the Applications table, an application's page
//   console-dialogs.js   create, edit (rotate, rename, expiry), delete, copy
//   console-notify.js    an organization's notification endpoints and deliveries
//
// The module's Content-Security-Policy allows no inline script or style: the
// DOM is built with createElement and textContent only, so no value from the
// API is ever parsed as HTML. Tokens are shown once, in the dialog that
// issued them, and removed from the DOM when it closes; they never go into a
// URL, web storage or the browser console.

import { loadSession } from './console-api.js';
import { closeDialogs } from './console-dialogs.js';
import { alertUser, clearMessages, kSlug, main } from './console-dom.js';
import { showApp, showNotFound, showOrg, showOrgs } from './console-pages.js';

// A path segment as a slug, or null.
function slugOf(segment) {
  if (segment === undefined) return null;
  try {
    const slug = decodeURIComponent(segment);
    return kSlug.test(slug) ? slug : null;
  } catch (e) {
    return null;
  }
}

function route() {
  clearMessages();
  const hash = location.hash.replace(/^#/, '') || '/';
  const match = /^\/orgs\/([^/]+)(?:\/apps\/([^/]+))?\/?$/.exec(hash);
  const slug = match ? slugOf(match[1]) : null;
  const app = match ? slugOf(match[2]) : null;
  if (hash === '/') showOrgs();
  else if (slug !== null && match[2] === undefined) showOrg(slug);
  else if (slug !== null && app !== null) showApp(slug, app);
  else showNotFound();
}

// After a navigation inside the console, the new page's heading.
function focusHeading() {
  const h1 = main.querySelector('h1');
  if (h1) h1.focus({ preventScroll: true });
}

window.addEventListener('hashchange', () => {
  // Leaving the page closes its dialogs (and so clears any token shown);
  // the focus then goes to the new page's heading, not back to an opener.
  closeDialogs();
  route();
  focusHeading();
});

loadSession().catch((e) => alertUser(e.message));
route();
