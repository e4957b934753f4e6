#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The onep web console in a real browser (headless Chromium).

Run by ModuleConsoleTest against a real Apache with mod_onep and a real, empty
Redis. It clicks through the console as an admin would and checks, outside the
browser, that what the console says happened did happen: issued tokens are
accepted (202), rotated, renamed, deleted and expired ones refused (401).

Environment:
  ONEP_CONSOLE_URL     admin location serving every org, e.g. http://127.0.0.1:PORT/admin/
  ONEP_LIMITED_URL     admin location with OnepAdminOrgs acme
  ONEP_ADMIN_USER      Basic auth user of both locations
  ONEP_ADMIN_PASSWORD  its password
  ONEP_WEBHOOK_URL     the webhook location, e.g. http://127.0.0.1:PORT/onep
  ONEP_SCREENSHOT_DIR  optional: where to write the console-*.png of docs/console.md

Exit status 0 when every check passed. Otherwise 1, after printing the check
that failed, the page's text and the browser's console log (issued tokens
redacted).
"""

import base64
import json
import os
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

WAIT_SECONDS = 10  # every wait is bounded; the events list refreshes every 5 s
XSS_NAME = '<img src=x onerror=alert(1)>'


class CheckFailed(Exception):
    pass


class Flow:
    def __init__(self):
        env = os.environ
        self.console_url = env['ONEP_CONSOLE_URL']
        self.limited_url = env['ONEP_LIMITED_URL']
        self.user = env['ONEP_ADMIN_USER']
        self.password = env['ONEP_ADMIN_PASSWORD']
        self.webhook_url = env['ONEP_WEBHOOK_URL'].rstrip('/')
        self.screenshot_dir = env.get('ONEP_SCREENSHOT_DIR') or None
        self.check_name = 'start the browser'
        self.tokens = []  # every token issued, to look for and to redact
        self.logs = []
        self.passed = 0
        self.driver = None

    # ------------------------------------------------------------ plumbing

    def start_browser(self):
        options = webdriver.ChromeOptions()
        options.binary_location = '/usr/bin/chromium'
        for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--window-size=1280,900'):
            options.add_argument(arg)
        options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
        self.driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=options)
        self.driver.set_script_timeout(WAIT_SECONDS)
        # Basic credentials on every request of the page (documents and
        # fetches), as the browser sends them after its login prompt.
        basic = base64.b64encode(f'{self.user}:{self.password}'.encode()).decode()
        self.driver.execute_cdp_cmd('Network.enable', {})
        self.driver.execute_cdp_cmd('Network.setExtraHTTPHeaders', {'headers': {'Authorization': f'Basic {basic}'}})
        origin = self.console_url.split('/', 3)
        origin = f'{origin[0]}//{origin[2]}'
        try:
            self.driver.execute_cdp_cmd('Browser.grantPermissions', {
                'origin': origin, 'permissions': ['clipboardReadWrite', 'clipboardSanitizedWrite']})
        except WebDriverException:
            pass  # then the console falls back to execCommand('copy')

    def check(self, name):
        self.check_name = name

    def ok(self, condition, what):
        if not condition:
            raise CheckFailed(what)
        self.passed += 1

    def wait(self, condition, what, seconds=WAIT_SECONDS):
        try:
            return WebDriverWait(self.driver, seconds, poll_frequency=0.2).until(lambda d: condition(), what)
        except TimeoutException:
            raise CheckFailed(f'timed out after {seconds} s waiting for: {what}') from None

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def fetch(self, method, path, body=None, csrf=True):
        """A fetch from the page (same origin, same Basic credentials): status, JSON body."""
        return self.driver.execute_async_script('''
            const [method, path, body, csrf, done] = arguments;
            (async () => {
              const headers = {'Accept': 'application/json'};
              if (method !== 'GET') headers['Content-Type'] = 'application/json';
              if (csrf) {
                const s = await (await fetch('api/session', {cache: 'no-store'})).json();
                headers['X-CSRF-Token'] = s.csrf;
              }
              const init = {method, headers, cache: 'no-store'};
              if (body !== null) init.body = JSON.stringify(body);
              const r = await fetch(path, init);
              const text = await r.text();
              let json = null;
              try { json = JSON.parse(text); } catch (e) {}
              done({status: r.status, body: json});
            })().catch((e) => done({status: -1, body: String(e)}));
        ''', method, path, body, csrf)

    def post_event(self, route, token, body):
        request = urllib.request.Request(
            f'{self.webhook_url}/{route}', data=json.dumps(body).encode(), method='POST',
            headers={'Authorization': f'Bearer {token}', 'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b'null')
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b'null')

    def expect_accepted(self, token, what, route='hits', body=None):
        status, answer = self.post_event(route, token, body or {'app': 'web'})
        self.ok(status == 202 and answer.get('ok') is True, f'{what}: expected 202 ok, got {status} {answer}')

    def expect_refused(self, token, what, route='hits', body=None):
        status, answer = self.post_event(route, token, body or {'app': 'web'})
        code = (answer or {}).get('error', {}).get('code')
        self.ok(status == 401 and code == 'invalid_token', f'{what}: expected 401 invalid_token, got {status} {answer}')

    def open(self, base, route='#/'):
        self.driver.get(base + route)
        self.wait(lambda: self.js('return document.readyState') == 'complete', 'the page to load')

    def go(self, route):
        """Navigates inside the page (a hash route), as a link does."""
        self.js('location.hash = arguments[0]', route)
        self.wait(lambda: self.js('return location.hash') == route, f'location.hash {route}')

    def el(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def visible(self, css):
        found = self.driver.find_elements(By.CSS_SELECTOR, css)
        return bool(found) and found[0].is_displayed()

    def dialog_open(self, dialog_id):
        return self.js('const d = document.getElementById(arguments[0]); return !!d && d.open', dialog_id)

    def credentials(self):
        return self.js('''
            return [...document.querySelectorAll('#credentials-table tbody tr')].map((tr) => ({
              id: tr.dataset.id,
              name: tr.querySelector('.cred-name').textContent,
              type: tr.children[1].textContent,
              app: tr.children[2].textContent,
              hint: tr.querySelector('.hint').textContent,
              state: tr.querySelector('.state').textContent,
            }));''')

    def row(self, name):
        return next((r for r in self.credentials() if r['name'] == name), None)

    def wait_org_page(self, org):
        self.wait(lambda: self.js("const h = document.querySelector('main h1'); return h && h.textContent") == org,
                  f'the page of org {org}')
        self.wait(lambda: self.visible('#credentials-table') or self.visible('#credentials-empty'),
                  'the credentials table (or its empty message)')

    def fill(self, css, text):
        field = self.el(css)
        field.clear()
        field.send_keys(text)

    def submit_create(self, kind, name, app):
        self.el('#new-credential').click()
        self.wait(lambda: self.dialog_open('create-dialog'), 'the New credential dialog to open')
        Select(self.el('#create-type')).select_by_value(kind)
        self.fill('#create-name', name)
        self.fill('#create-app', app)
        self.el('#create-submit').click()

    def read_issued(self):
        self.wait(lambda: self.visible('#issued-token') and self.visible('#issued-curl'), 'the issued token and curl command')
        token = self.el('#issued-token').text.strip()
        curl = self.el('#issued-curl').text.strip()
        self.ok(token.startswith('onep_'), f'#issued-token looks like a token: {token[:5]}...')
        self.ok(token in curl, 'the curl command carries the token')
        self.tokens.append(token)
        return token, curl

    def close_issued(self, dialog_id):
        """Done; a token not copied first asks, and is closed without copying."""
        self.el(f'#{dialog_id} .issued button[data-close]').click()
        self.wait(lambda: not self.dialog_open(dialog_id) or self.visible('#close-anyway'),
                  f'#{dialog_id} to close, or to ask first')
        if self.dialog_open(dialog_id):
            self.el('#close-anyway').click()
        self.wait(lambda: not self.dialog_open(dialog_id), f'#{dialog_id} to close')
        # The dialog's close event (a task after close()) removes the token.
        self.wait(lambda: not self.driver.find_elements(By.ID, 'issued-token'), 'the token to leave the DOM')

    def expect_no_token_in_page(self):
        source = self.driver.page_source
        for token in self.tokens:
            self.ok(token not in source, 'no issued token anywhere in the page source')
        storage = self.js('return JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])')
        url = self.driver.current_url
        for token in self.tokens:
            self.ok(token not in storage and token not in url, 'no token in web storage or in the URL')

    def rotate(self):
        """Generate new token, confirmed (a live token is replaced only after a second click)."""
        self.el('#edit-rotate').click()
        self.wait(lambda: self.visible('#rotate-confirm-button'), 'the rotation to ask first')
        self.el('#rotate-confirm-button').click()

    def click_row_button(self, label):
        button = self.el(f'button[aria-label="{label}"]')
        button.click()
        return button

    def shot(self, name, element=None):
        if not self.screenshot_dir:
            return
        os.makedirs(self.screenshot_dir, exist_ok=True)
        path = os.path.join(self.screenshot_dir, name)
        # Let a just-rendered page and the chart settle (fonts, layout).
        self.js('return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))')
        if element is not None:
            element.screenshot(path)
        else:
            self.driver.save_screenshot(path)

    def collect_logs(self):
        try:
            self.logs.extend(self.driver.get_log('browser'))
        except WebDriverException:
            pass

    def redact(self, text):
        for token in self.tokens:
            text = text.replace(token, token[:5] + '…REDACTED')
        return text

    # ------------------------------------------------------------ the flow

    def run(self):
        self.start_browser()
        self.step_create()
        self.step_deploy()
        self.step_rotate()
        self.step_rename()
        self.step_delete()
        self.step_escaping()
        self.step_activity()
        self.step_csrf()
        self.step_limited()
        self.step_keyboard()
        self.step_phone()
        self.step_expired()
        self.step_screenshots()
        self.step_console_log()

    def step_create(self):
        self.check('1. orgs page empty; open acme; create a Hits/Failure credential; copy and run its curl')
        self.open(self.console_url)
        self.wait(lambda: self.visible('#orgs-empty'), 'the orgs page saying there are no orgs')
        self.ok(not self.driver.find_elements(By.CSS_SELECTOR, '#orgs-table tbody tr'), 'no org listed')
        self.wait(lambda: self.js("return document.getElementById('session-user').textContent").endswith(self.user),
                  'the signed-in user in the header')
        self.fill('#open-org', 'acme')
        self.el('#open-org').send_keys(Keys.ENTER)
        self.wait(lambda: self.js('return location.hash') == '#/orgs/acme', 'the hash route #/orgs/acme')
        self.wait_org_page('acme')
        self.ok(self.visible('#credentials-empty'), 'a new org shows as empty, not as an error')

        self.submit_create('hits', 'web', 'web')
        self.web_token, curl = self.read_issued()
        copy = self.el('#copy-curl')
        copy.click()
        self.wait(lambda: copy.text == 'Copied', 'the Copy button to say Copied')
        pasted = self.js_clipboard()
        if pasted is not None:  # None: this browser does not let the page read it back
            self.ok(pasted == curl, 'the clipboard holds the curl command')
        self.shot('console-new-token.png')

        result = subprocess.run(['sh', '-c', curl], capture_output=True, text=True, timeout=20)
        try:
            answer = json.loads(result.stdout)
        except ValueError:
            answer = None
        self.ok(result.returncode == 0 and isinstance(answer, dict) and answer.get('ok') is True,
                f'the curl command was accepted: exit {result.returncode}, printed {result.stdout!r} {result.stderr!r}')

        self.close_issued('create-dialog')
        self.wait(lambda: self.row('web') is not None, 'the table to show web')
        row = self.row('web')
        self.ok(row['type'] == 'Hits/Failure' and row['app'] == 'web', f'web is a Hits/Failure credential of app web: {row}')
        self.ok(row['hint'] == '…' + self.web_token[-4:], f"the token hint is the token's last 4 characters: {row['hint']}")
        self.expect_no_token_in_page()

    def js_clipboard(self):
        try:
            return self.driver.execute_async_script('''
                const done = arguments[arguments.length - 1];
                navigator.clipboard.readText().then(done, () => done(null));''')
        except WebDriverException:
            return None

    def step_deploy(self):
        self.check('2. a Deploy credential without app gets the 422 message; with app shop it is created')
        self.submit_create('deploy', 'shop', '')
        self.wait(lambda: self.el('#create-error').text.strip() != '', 'the dialog to show the error')
        message = self.el('#create-error').text
        self.ok('app' in message.lower(), f'the 422 message names the field app: {message!r}')
        self.ok(self.dialog_open('create-dialog') and not self.driver.find_elements(By.ID, 'issued-token'),
                'the dialog stays open, with no token')
        self.ok(self.el('#create-app').get_attribute('aria-invalid') == 'true', 'the app field is marked invalid')
        self.fill('#create-app', 'shop')
        self.el('#create-submit').click()
        self.deploy_token, _ = self.read_issued()
        self.close_issued('create-dialog')
        self.wait(lambda: self.row('shop') is not None, 'the table to show shop')
        self.ok(self.row('shop')['type'] == 'Deploy', 'shop is a Deploy credential')
        self.expect_accepted(self.deploy_token, 'the deploy token', 'deploys', {'app': 'shop', 'version': '1.4.2'})

    def step_rotate(self):
        self.check('3. pencil on web: Generate new token (no grace); the old token is refused, the new accepted')
        self.click_row_button('Edit web')
        self.wait(lambda: self.dialog_open('edit-dialog'), 'the editor dialog to open')
        self.ok(Select(self.el('#edit-grace')).first_selected_option.get_attribute('value') == '', 'no grace period by default')
        self.ok('stops working' in self.el('#edit-warning').text, 'the warning says the old token stops working')
        self.rotate()
        token, _ = self.read_issued()
        self.ok(token != self.web_token, 'a new token')
        self.expect_refused(self.web_token, 'the rotated-away token')
        self.expect_accepted(token, 'the new token')
        self.web_token = token
        self.close_issued('edit-dialog')
        self.wait(lambda: self.row('web') and self.row('web')['hint'] == '…' + token[-4:], 'the hint of the new token')
        self.ok(self.js('return document.activeElement.getAttribute("aria-label")') == 'Edit web',
                'the focus went back to the pencil button')

    def step_rename(self):
        self.check('4. pencil: rename web to web-renamed; the previous token is refused, the new accepted')
        self.click_row_button('Edit web')
        self.wait(lambda: self.dialog_open('edit-dialog'), 'the editor dialog to open')
        self.fill('#edit-name', 'web-renamed')
        self.ok('new token' in self.el('#edit-name-help').text, 'the dialog warns that a new name means a new token')
        self.shot('console-edit.png')
        self.el('#edit-rename').click()
        token, _ = self.read_issued()
        self.expect_refused(self.web_token, 'the token before the rename')
        self.expect_accepted(token, 'the token of the rename')
        self.web_token = token
        self.close_issued('edit-dialog')
        self.wait(lambda: self.row('web-renamed') is not None, 'the table to show web-renamed')
        self.ok(self.row('web') is None, 'the old name is gone from the table')

    def step_delete(self):
        self.check('5. delete shop with confirmation; gone from the table; its token refused')
        self.click_row_button('Delete shop')
        self.wait(lambda: self.dialog_open('delete-dialog'), 'the confirmation dialog to open')
        self.ok(self.row('shop') is not None, 'nothing deleted before the confirmation')
        self.el('#delete-confirm').click()
        self.wait(lambda: not self.dialog_open('delete-dialog'), 'the confirmation dialog to close')
        self.wait(lambda: self.row('shop') is None, 'shop to leave the table')
        self.wait(lambda: self.js('return document.activeElement.id') == 'new-credential',
                  'the focus to go to "+" once the row is gone')
        self.expect_refused(self.deploy_token, 'the deleted credential\'s token', 'deploys', {'app': 'shop', 'version': '1.4.3'})

    def step_escaping(self):
        self.check('6. a credential named like markup shows as that text')
        self.submit_create('hits', XSS_NAME, '')
        self.read_issued()
        self.ok(self.el('#issued-title').text.find(XSS_NAME) >= 0, 'the dialog names it as text')
        self.close_issued('create-dialog')
        self.wait(lambda: self.row(XSS_NAME) is not None, 'the row of the markup-named credential')
        self.ok(not self.js("return document.querySelectorAll('main img, dialog img').length"), 'no img element in the page')
        try:
            alert = self.driver.switch_to.alert
            text = alert.text
            alert.dismiss()
            raise CheckFailed(f'an alert opened: {text!r}')
        except NoAlertPresentException:
            self.passed += 1
        # Delete it again (the screenshots show an ordinary org).
        self.click_row_button(f'Delete {XSS_NAME}')
        self.wait(lambda: self.dialog_open('delete-dialog'), 'the confirmation dialog to open')
        self.ok(XSS_NAME in self.el('#delete-title').text, 'the confirmation names it as text')
        self.el('#delete-confirm').click()
        self.wait(lambda: self.row(XSS_NAME) is None, 'the markup-named row to go')

    def step_activity(self):
        self.check('7. events (refreshed), the 24 h chart and the audit trail')
        # Accepted so far for app web: the curl, the rotated token, the renamed one.
        self.wait(lambda: self.js("return document.querySelectorAll('#events-table tbody tr').length") >= 4,
                  'the events list to show the accepted events (it refreshes every 5 s)')
        events = self.js('''return [...document.querySelectorAll('#events-table tbody tr')].map((tr) =>
                              [tr.querySelector('.kind').textContent, tr.children[2].textContent])''')
        hits = [e for e in events if e == ['hit', 'web']]
        self.ok(len(hits) == 3, f'three hits of app web listed: {events}')
        self.ok(['deploy', 'shop'] in events, f'the deploy of shop listed: {events}')
        details = self.js('''const td = [...document.querySelectorAll('#events-table tbody tr')]
                               .find((tr) => tr.dataset.type === 'deploy').children[4];
                             return td.textContent''')
        self.ok('version=1.4.2' in details, f"the deploy's own fields listed: {details!r}")

        api = self.fetch('GET', 'api/orgs/acme/stats?since=24h', csrf=False)
        self.ok(api['status'] == 200, f'stats answered {api}')
        web_hits = next(s['hits'] for s in api['body'] if s['app'] == 'web')
        # The curl's hit is a test event: listed above, never counted.
        self.ok(web_hits == 2, f'stats count the two real hits, not the test: {api["body"]}')
        chart_hits = lambda: self.js('''
            const t = document.querySelector('#stats-chart g[data-app="web"] text.chart-number[data-metric="hits"]');
            return t && t.textContent''')
        self.wait(lambda: chart_hits() == str(web_hits), f'the chart to show web with {web_hits} hits')
        self.ok('web' in self.el('#stats-chart').get_attribute('aria-label'), 'the chart has a text alternative naming web')
        self.ok(self.js('''return [...document.querySelectorAll('#stats-table tbody tr')].some((tr) =>
                              tr.children[0].textContent === 'web' && tr.children[1].textContent === arguments[0])''',
                        str(web_hits)), 'the stats table lists web and its hits')

        def audit():
            return self.js('''return [...document.querySelectorAll('#audit-table tbody tr')].map((tr) =>
                                [tr.querySelector('.audit-action').textContent, tr.querySelector('.audit-actor').textContent])''')
        self.wait(lambda: {'create', 'rotate', 'rename', 'delete'} <= {a for a, _ in audit()},
                  'the audit trail to show create, rotate, rename and delete')
        self.ok(all(actor == self.user for _, actor in audit()), f'every audit entry names {self.user}: {audit()}')

    def step_csrf(self):
        self.check('8. CSRF: a POST without X-CSRF-Token is refused, with it accepted')
        body = {'type': 'hits', 'name': 'csrf-probe'}
        refused = self.fetch('POST', 'api/orgs/acme/credentials', body, csrf=False)
        code = (refused['body'] or {}).get('error', {}).get('code')
        self.ok(refused['status'] == 403 and code == 'csrf', f'without the header: 403 csrf, got {refused}')
        accepted = self.fetch('POST', 'api/orgs/acme/credentials', body, csrf=True)
        self.ok(accepted['status'] == 201, f'with the header: 201, got {accepted["status"]}')
        self.tokens.append(accepted['body']['token'])
        probe = accepted['body']['id']
        refused = self.fetch('DELETE', f'api/credentials/{probe}', None, csrf=False)
        self.ok(refused['status'] == 403, f'a DELETE without the header: 403, got {refused}')
        deleted = self.fetch('DELETE', f'api/credentials/{probe}', None, csrf=True)
        self.ok(deleted['status'] == 204, f'a DELETE with the header: 204, got {deleted}')

    def step_limited(self):
        self.check('9. a location limited to acme lists only acme and refuses org other')
        made = self.fetch('POST', 'api/orgs/other/credentials', {'type': 'hits', 'name': 'ci'}, csrf=True)
        self.ok(made['status'] == 201, f'a credential in org other: {made["status"]}')
        self.tokens.append(made['body']['token'])
        self.go('#/')
        self.wait(lambda: self.orgs_listed() == ['acme', 'other'], 'the full console to list acme and other')
        self.shot('console-orgs.png')

        self.open(self.limited_url)
        self.wait(lambda: self.visible('#orgs-table'), 'the limited console\'s orgs table')
        self.ok(self.orgs_listed() == ['acme'], f'only acme listed: {self.orgs_listed()}')
        refused = self.fetch('GET', 'api/orgs/other/credentials', csrf=False)
        code = (refused['body'] or {}).get('error', {}).get('code')
        self.ok(refused['status'] == 403 and code == 'forbidden', f'org other: 403 forbidden, got {refused}')
        self.go('#/orgs/other')
        self.wait(lambda: self.visible('main .inline-error'), 'the page of org other to say it is not served')
        self.ok(not self.driver.find_elements(By.ID, 'new-credential'), 'no "+" on a page of an org not served')

    def orgs_listed(self):
        return self.js("return [...document.querySelectorAll('#orgs-table tbody tr a')].map((a) => a.textContent)")

    def step_keyboard(self):
        self.check('10. keyboard: "+" opens its dialog with the focus inside; Escape closes it and gives the focus back')
        self.open(self.console_url, '#/orgs/acme')
        self.wait_org_page('acme')
        self.js("document.getElementById('new-credential').focus()")
        self.driver.switch_to.active_element.send_keys(Keys.ENTER)
        self.wait(lambda: self.dialog_open('create-dialog'), 'the dialog to open from the keyboard')
        self.ok(self.js("return !!document.activeElement.closest('#create-dialog')"), 'the focus is inside the dialog')
        self.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        self.wait(lambda: not self.dialog_open('create-dialog'), 'Escape to close the dialog')
        self.wait(lambda: self.js('return document.activeElement.id') == 'new-credential', 'the focus to return to "+"')

        self.js("document.querySelector('button[aria-label=\"Edit web-renamed\"]').focus()")
        self.driver.switch_to.active_element.send_keys(Keys.ENTER)
        self.wait(lambda: self.dialog_open('edit-dialog'), 'the editor to open from the keyboard')
        self.ok(self.js("return !!document.activeElement.closest('#edit-dialog')"), 'the focus is inside the editor')
        self.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        self.wait(lambda: not self.dialog_open('edit-dialog'), 'Escape to close the editor')
        self.wait(lambda: self.js('return document.activeElement.getAttribute("aria-label")') == 'Edit web-renamed',
                  'the focus to return to the pencil')

    def step_phone(self):
        self.check('11. at 390 x 844 the credentials page does not overflow sideways')
        self.driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride',
                                    {'width': 390, 'height': 844, 'deviceScaleFactor': 1, 'mobile': True})
        try:
            self.wait(lambda: self.js('return window.innerWidth') == 390, 'a 390 px viewport')
            self.wait_org_page('acme')
            width = lambda: self.js('return document.documentElement.scrollWidth')
            self.wait(lambda: width() <= 390, 'document.documentElement.scrollWidth <= 390')
            self.ok(self.js('''const w = document.querySelector('#credentials .table-wrap');
                               return w.scrollWidth <= w.clientWidth'''),
                    'the credentials table fits (stacked rows, no sideways scroll)')
            self.el('#new-credential').click()
            self.wait(lambda: self.dialog_open('create-dialog'), 'the dialog at 390 px')
            self.ok(width() <= 390, 'the dialog fits too')
            self.el('#create-dialog button[data-close]').click()
            self.wait(lambda: not self.dialog_open('create-dialog'), 'the dialog to close')
            self.shot('console-phone.png')
        finally:
            self.driver.execute_cdp_cmd('Emulation.clearDeviceMetricsOverride', {})

    def step_expired(self):
        self.check('12. an expired credential: the editor asks for a new expiry; its new token is accepted, the row active')
        made = self.fetch('POST', 'api/orgs/acme/credentials', {'type': 'hits', 'name': 'short-lived', 'app': 'web', 'expires': '1s'})
        self.ok(made['status'] == 201, f'created short-lived, expiring after 1s: {made["status"]}')
        old_token = made['body']['token']
        self.tokens.append(old_token)
        # The table follows the audit trail (the create) and then the expiry
        # passing, each at the next 5 s refresh: no reload.
        self.wait(lambda: (self.row('short-lived') or {}).get('state') == 'expired',
                  'the table to show short-lived as expired', seconds=20)
        self.expect_refused(old_token, 'the expired token')

        self.click_row_button('Edit short-lived')
        self.wait(lambda: self.dialog_open('edit-dialog'), 'the editor to open')
        expiry = Select(self.el('#edit-expiry'))
        self.ok(expiry.first_selected_option.get_attribute('value') == '90d', 'an expired credential preselects 90 days')
        self.ok(self.el('label[for="edit-expiry"]').text == 'Expiry', 'the expiry choice has a label')
        help_text = self.el('#edit-expiry-help').text
        self.ok('expired' in help_text and 'new expiry' in help_text, f'the editor says why: {help_text!r}')
        # Keeping the expiry: the module's 422, in the dialog, on the field.
        expiry.select_by_value('')
        self.el('#edit-rotate').click()
        self.wait(lambda: 'expired' in self.el('#edit-error').text, 'the 422 of a rotation keeping the expiry')
        self.ok(self.el('#edit-expiry').get_attribute('aria-invalid') == 'true', 'the expiry field is marked invalid')
        self.ok(not self.driver.find_elements(By.ID, 'issued-token'), 'no token issued')
        Select(self.el('#edit-expiry')).select_by_value('90d')
        self.el('#edit-rotate').click()
        token, _ = self.read_issued()
        self.ok('expires at' in self.el('#edit-issued').text, 'the dialog says when it now expires')
        self.expect_accepted(token, 'the new token of the expired credential')
        self.close_issued('edit-dialog')
        self.wait(lambda: (self.row('short-lived') or {}).get('state') == 'active', 'short-lived to be active again')
        self.ok(self.row('short-lived')['hint'] == '…' + token[-4:], 'the hint of the new token')

        # Delete it again (the screenshots show an ordinary org).
        gone = self.fetch('DELETE', f'api/credentials/{made["body"]["id"]}')
        self.ok(gone['status'] == 204, f'deleted short-lived: {gone["status"]}')
        self.wait(lambda: self.row('short-lived') is None, 'short-lived to leave the table')

    def step_screenshots(self):
        if not self.screenshot_dir:
            return
        self.check('13. screenshots')
        self.wait(lambda: self.js('return window.innerWidth') == 1280, 'the 1280 px window again')
        # A little more to show: a failure and a burst of hits of app web.
        self.expect_accepted(self.web_token, 'a burst of hits', 'hits', {'app': 'web', 'count': 5})
        self.expect_accepted(self.web_token, 'a failure', 'failures', {'app': 'web', 'error': 'timeout calling db'})
        # And credentials of every kind: a deploy one, one that expires, one in a grace period.
        for body in ({'type': 'deploy', 'name': 'shop deploys', 'app': 'shop'},
                     {'type': 'hits', 'name': 'nightly jobs', 'app': 'jobs', 'expires': '30d'}):
            made = self.fetch('POST', 'api/orgs/acme/credentials', body)
            self.ok(made['status'] == 201, f'created {body["name"]}: {made["status"]}')
            self.tokens.append(made['body']['token'])
        rotated = self.fetch('POST', f'api/credentials/{made["body"]["id"]}/rotate', {'grace': '1h'})
        self.ok(rotated['status'] == 200, f'rotated nightly jobs with a grace period: {rotated["status"]}')
        self.tokens.append(rotated['body']['token'])
        self.wait(lambda: len(self.credentials()) == 3, 'the table to show three credentials')
        self.wait(lambda: self.js('''const t = document.querySelector(
                      '#stats-chart g[data-app="web"] text.chart-number[data-metric="failures"]');
                      return t && t.textContent''') == '1', 'the chart to show the failure')
        # No result message of an earlier step over the page (it goes after 10 s).
        self.wait(lambda: not self.el('#status').text, 'the status message to clear', seconds=15)
        self.js('window.scrollTo(0, 0)')
        self.shot('console-credentials.png')
        self.js("document.getElementById('stats-heading').scrollIntoView()")
        self.shot('console-activity.png')

    def step_console_log(self):
        self.check('the browser console: no script error, no CSP violation, no token')
        self.collect_logs()
        for entry in self.logs:
            message = entry.get('message', '')
            for token in self.tokens:
                self.ok(token not in message, 'no token in the browser console')
            # An API refusal (401/403/404/422) is logged by Chromium as a failed load; that is expected.
            if entry.get('level') == 'SEVERE' and 'Failed to load resource' not in message:
                raise CheckFailed(f'browser console error: {self.redact(message)}')

    def report_failure(self, what):
        print(f'FAILED check: {self.check_name}', file=sys.stderr)
        print(f'  {self.redact(str(what))}', file=sys.stderr)
        if self.driver is None:
            return
        try:
            print(f'URL: {self.driver.current_url}', file=sys.stderr)
            text = self.js('return document.body ? document.body.innerText : ""')
            print('--- page text ---', file=sys.stderr)
            print(self.redact(text), file=sys.stderr)
        except WebDriverException as e:
            print(f'(page text unavailable: {e.msg})', file=sys.stderr)
        self.collect_logs()
        print('--- browser console ---', file=sys.stderr)
        for entry in self.logs:
            print(f"{entry.get('level')} {self.redact(entry.get('message', ''))}", file=sys.stderr)


def run_flow(flow, name, extra=lambda: ''):
    """Runs `flow`, reports a failure with the page's state, quits the browser;
    the process' exit code. `extra()` adds to the line of a success."""
    started = time.monotonic()
    try:
        flow.run()
    except CheckFailed as e:
        flow.report_failure(e)
        return 1
    except Exception:  # a WebDriver error, or an answer of an unexpected shape
        flow.report_failure(traceback.format_exc())
        return 1
    finally:
        if flow.driver is not None:
            flow.driver.quit()
    print(f'{name}: {flow.passed} checks passed in {time.monotonic() - started:.1f} s{extra()}')
    return 0


def main():
    return run_flow(Flow(), 'console flow')


if __name__ == '__main__':
    sys.exit(main())
