#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The console as someone new to it meets it, in a real browser (headless Chromium).

Run by ModuleConsoleTest against a real Apache with mod_onep and a real, empty
Redis, with the environment of console_flow.py (whose plumbing it shares). It
checks what the pages say and do for a first integration, each outcome also
outside the browser:

- an org with nothing says so, and how to go on; the page's sections are
  linked from its top;
- the New credential dialog explains the types, suggests the org's apps and
  stops the name at 100 characters;
- the issued token's dialog shows one test command per route, on several
  lines, the reply to expect, and "Received" once the copied command ran; the
  test event is marked "test" and left out of the stats and the monitors;
- a token nobody copied is not closed away without a question;
- "Generate new token" asks first, naming the token; Cancel keeps it working;
- the expiry changes on its own, the token staying the same; an expired
  credential's editor says nothing of an old token;
- the events filter by app and type, page back with "Load older", name the
  credentials deleted since, and show a failed deploy as a failure;
- the chart's SVG fills its box from the first draw;
- at 390 px no page, table or dialog scrolls sideways.

ONEP_SCREENSHOT_DIR, when set, gets console-token-received.png,
console-rotate-confirm.png, console-events.png and console-phone-events.png.
"""

import json
import re
import subprocess
import sys

from console_flow import CheckFailed, Flow, run_flow
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

ORG = 'newco'
RECEIVED = re.compile(r'^Received ✓ at \d\d:\d\d:\d\d UTC$')


class FirstStepsFlow(Flow):
    def run(self):
        self.start_browser()
        self.step_unknown_org()
        self.step_create_dialog()
        self.step_token_dialog()
        self.step_test_event_left_out()
        self.step_close_uncopied()
        self.step_rotate_asks()
        self.step_expiry_alone()
        self.step_events()
        self.step_chart_first_draw()
        self.step_phone()
        self.step_expired_words()
        self.step_console_log()

    # ------------------------------------------------------------ helpers

    def text(self, css):
        return self.js('const e = document.querySelector(arguments[0]); return e ? e.textContent : null', css)

    def api_credential(self, cred_id):
        answer = self.fetch('GET', f'api/credentials/{cred_id}', csrf=False)
        self.ok(answer['status'] == 200, f'GET credential {cred_id}: {answer}')
        return answer['body']

    def create_api(self, body):
        made = self.fetch('POST', f'api/orgs/{ORG}/credentials', body)
        self.ok(made['status'] == 201, f'created {body}: {made}')
        self.tokens.append(made['body']['token'])
        return made['body']

    def run_curl(self, command):
        """Runs a command as the dialog shows it; its exit code and its JSON answer."""
        result = subprocess.run(['sh', '-c', command], capture_output=True, text=True, timeout=20)
        try:
            answer = json.loads(result.stdout)
        except ValueError:
            answer = None
        return result, answer

    def load_afresh(self, route):
        """The page loaded anew at route (a get of the same URL with another
        hash only navigates inside the page)."""
        self.go(route)
        self.driver.refresh()
        self.wait(lambda: self.js('return document.readyState') == 'complete', 'the page to load')

    def event_rows(self):
        return self.js('''return [...document.querySelectorAll('#events-table tbody tr')].map((tr) => ({
            id: tr.dataset.id, type: tr.dataset.type, kind: tr.querySelector('.kind').textContent,
            test: !!tr.querySelector('.badge-test'), app: tr.children[2].textContent,
            credential: tr.children[3].textContent, bad: tr.classList.contains('event-bad')}))''')

    def stats_apps(self):
        return self.js('''return [...document.querySelectorAll('#stats-table tbody tr')].map((tr) =>
                            [tr.children[0].textContent, Number(tr.children[1].textContent)])''')

    def overflowing(self):
        """Tables, their boxes and open dialogs wider than what shows of them."""
        return self.js('''return [...document.querySelectorAll('.table-wrap, table, dialog[open]')]
            .filter((e) => e.getClientRects().length && e.scrollWidth > e.clientWidth)
            .map((e) => `${e.tagName}#${e.id || e.parentElement.id}.${e.className}: ${e.scrollWidth} > ${e.clientWidth}`)''')

    # ------------------------------------------------------------ the flow

    def step_unknown_org(self):
        self.check('1. an org with nothing says so; the page\'s sections are linked from its top')
        self.open(self.console_url, '#/orgs/nosuchorg')
        self.wait_org_page('nosuchorg')
        expected = "No credentials or events yet in 'nosuchorg' — check the spelling, or create its first credential"
        self.wait(lambda: self.visible('#org-unknown'), 'the empty org message')
        self.ok(self.el('#org-unknown').text == expected, f'the empty org message: {self.el("#org-unknown").text!r}')
        links = self.js("return [...document.querySelectorAll('.page-index a')].map((a) => a.textContent)")
        self.ok(links == ['Applications', 'Credentials', 'Last 24 hours', 'Events', 'Notifications', 'Audit trail'], f'the page index: {links}')
        self.ok(self.js('''const nav = document.querySelector('.page-index').getBoundingClientRect();
                           return nav.bottom <= window.innerHeight'''), 'the page index shows without scrolling')
        self.el('.page-index a[data-section="audit-heading"]').click()
        self.wait(lambda: self.js('return document.activeElement.id') == 'audit-heading', 'the audit trail\'s heading to get the focus')
        self.ok(self.js('''const r = document.getElementById('audit-heading').getBoundingClientRect();
                           return r.top >= 0 && r.bottom <= window.innerHeight'''), 'the audit trail is scrolled into view')
        self.ok(self.js('return location.hash') == '#/orgs/nosuchorg', 'the link leaves the route as it was')

    def step_create_dialog(self):
        self.check('2. the New credential dialog: the types explained, the org\'s apps suggested, the name stops at 100')
        self.shop = self.create_api({'type': 'deploy', 'name': 'shop pipeline', 'app': 'shop'})
        self.go(f'#/orgs/{ORG}')
        self.wait_org_page(ORG)
        self.wait(lambda: not self.visible('#org-unknown'), 'the empty org message to go once the org has a credential')
        self.el('#new-credential').click()
        self.wait(lambda: self.dialog_open('create-dialog'), 'the New credential dialog')
        self.ok('successes and failures of an app or a job' in self.el('#create-type-help').text,
                f'Hits/Failure explained: {self.el("#create-type-help").text!r}')
        Select(self.el('#create-type')).select_by_value('deploy')
        self.ok('deployments of one app' in self.el('#create-type-help').text,
                f'Deploy explained: {self.el("#create-type-help").text!r}')
        Select(self.el('#create-type')).select_by_value('hits')
        self.wait(lambda: self.js("return [...document.querySelectorAll('#create-app-list option')].map((o) => o.value)") == ['shop'],
                  'the org\'s app shop suggested in the App field')
        self.ok(self.el('#create-app').get_attribute('list') == 'create-app-list', 'the App field uses the suggestions')
        self.fill('#create-name', 'x' * 120)
        self.ok(len(self.el('#create-name').get_attribute('value')) == 100, 'the name stops at 100 characters')
        self.ok(self.el('#create-name-count').text.startswith('100/100'), f'the counter says so: {self.el("#create-name-count").text!r}')
        self.fill('#create-name', 'web')
        self.ok(self.el('#create-name-count').text == '3/100 characters', f'the counter: {self.el("#create-name-count").text!r}')
        self.fill('#create-app', 'web')
        self.el('#create-submit').click()

    def step_token_dialog(self):
        self.check('3. the token dialog: a test command per route on several lines, the reply to expect, then "Received"')
        self.web_token, curl = self.read_issued()
        self.web_id = self.js("return document.querySelector('#issued-title').textContent").split('(')[1].split(')')[0]
        tabs = self.js("return [...document.querySelectorAll('#create-dialog [role=tab]')].map((t) => t.textContent)")
        self.ok(tabs == ['/hits', '/failures'], f'one tab per route of a Hits/Failure credential: {tabs}')
        self.ok(curl.count('\n') >= 3 and ' \\\n' in curl, f'the command is on several lines: {curl!r}'.replace(self.web_token, 'TOKEN'))
        self.ok('/hits' in curl and '"test":true' in curl.replace(' ', ''), 'the /hits command sends a test event')
        self.ok('202' in self.text('.expected'), f'the reply to expect: {self.text(".expected")!r}')
        self.ok(self.el('#issued-received').text == 'Waiting for the first event…', 'waiting for the first event')
        self.el('#curl-tab-failures').click()
        failures_curl = self.el('#issued-curl').text.strip()
        self.ok('/failures' in failures_curl and self.web_token in failures_curl, 'the /failures tab shows its command')
        self.el('#curl-tab-hits').click()
        self.ok(self.el('#issued-curl').text.strip() == curl, 'back on /hits')
        copy = self.el('#copy-curl')
        copy.click()
        self.wait(lambda: copy.text == 'Copied', 'the Copy button to say Copied')
        # The confirmation shows above the dialog's backdrop, not dimmed behind it.
        self.wait(lambda: self.text('#create-dialog .dialog-status') == 'Copied to the clipboard.', 'the copy confirmation')
        # (Hit-testing skips it for clicks: pointer-events none, set aside to find what paints on top.)
        on_top = self.js('''const t = document.querySelector('#create-dialog .dialog-status');
                            const r = t.getBoundingClientRect();
                            t.style.pointerEvents = 'auto';
                            const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                            t.style.pointerEvents = '';
                            return top === t''')
        self.ok(on_top, 'the confirmation is the topmost element where it shows')
        self.ok(self.text('#status') == '', 'nothing dimmed behind the dialog')

        result, answer = self.run_curl(curl)
        self.ok(result.returncode == 0 and isinstance(answer, dict) and answer.get('ok') is True and answer.get('test') is True,
                f'the copied command was accepted as a test: exit {result.returncode}, {result.stdout!r} {result.stderr!r}')
        self.test_event = answer.get('id')
        self.wait(lambda: RECEIVED.match(self.el('#issued-received').text), 'the dialog to say Received ✓ at HH:MM:SS UTC')
        used = self.api_credential(self.web_id)['last_used_at']
        self.ok(self.el('#issued-received').text == f'Received ✓ at {used[11:19]} UTC', 'the time is the credential\'s last use')
        self.shot('console-token-received.png')
        # The failure test too: neither opens an incident.
        result, answer = self.run_curl(failures_curl)
        self.ok(result.returncode == 0 and (answer or {}).get('test') is True, f'the /failures test accepted: {result.stdout!r}')
        self.close_copied('create-dialog')

    def close_copied(self, dialog_id):
        self.el(f'#{dialog_id} .issued button[data-close]').click()
        self.wait(lambda: not self.dialog_open(dialog_id), f'#{dialog_id} to close without asking (copied)')
        self.wait(lambda: not self.driver.find_elements(By.ID, 'issued-token'), 'the token to leave the DOM')

    def step_test_event_left_out(self):
        self.check('4. the test events are listed, marked "test", and left out of the stats and the monitors')
        self.wait(lambda: len(self.event_rows()) == 2, 'the two test events in the list')
        rows = self.event_rows()
        self.ok(all(r['test'] and r['app'] == 'web' for r in rows), f'both marked test: {rows}')
        self.ok(sorted(r['kind'] for r in rows) == ['failure', 'hit'], f'a hit and a failure: {rows}')
        stats = self.fetch('GET', f'api/orgs/{ORG}/stats?since=24h', csrf=False)
        self.ok(all(s['app'] != 'web' or (s['hits'], s['failures']) == (0, 0) for s in (stats['body'] or [])),
                f'no test event in the stats: {stats}')
        self.ok(not any(app == 'web' for app, _ in self.stats_apps()), f'web not in the stats table: {self.stats_apps()}')
        incidents = self.fetch('GET', f'api/orgs/{ORG}/incidents', csrf=False)
        self.ok(incidents['status'] in (200, 404) and not (incidents['body'] if incidents['status'] == 200 else []),
                f'no incident from the test failure: {incidents}')
        # A real hit counts, exactly once.
        self.expect_accepted(self.web_token, 'a real hit', 'hits', {})
        self.wait(lambda: ['web', 1] in self.stats_apps(), 'the stats table to count the real hit only')

        # An unbound credential's test needs no app.
        unbound = self.create_api({'type': 'hits', 'name': 'any app'})
        result, answer = self.run_curl(unbound['curls']['hits'])
        self.ok(result.returncode == 0 and (answer or {}).get('test') is True,
                f'an unbound credential\'s test command accepted without an app: {result.stdout!r} {result.stderr!r}')
        self.unbound = unbound

    def step_close_uncopied(self):
        self.check('5. a token not copied: Escape, × and Done ask first; the answer decides')
        self.el('#new-credential').click()
        self.wait(lambda: self.dialog_open('create-dialog'), 'the New credential dialog')
        Select(self.el('#create-type')).select_by_value('deploy')
        self.fill('#create-name', 'web pipeline')
        self.fill('#create-app', 'web')
        self.el('#create-submit').click()
        token, curl = self.read_issued()
        self.ok('/deploys' in curl and '"test":true' in curl.replace(' ', ''), 'a Deploy credential\'s test command posts to /deploys')
        self.ok('202' in self.text('.expected'), 'with the reply to expect')
        self.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        self.wait(lambda: self.visible('#close-back'), 'Escape to ask "Close without copying?"')
        self.ok(self.dialog_open('create-dialog') and self.visible('#issued-token'), 'the dialog and its token stay')
        self.ok(self.text('#close-confirm-title') == 'Close without copying?', 'the question')
        self.el('#close-back').click()
        self.wait(lambda: not self.driver.find_elements(By.CSS_SELECTOR, '.close-confirm'), '"Go back" to remove the question')
        self.ok(self.visible('#issued-token'), 'the token still shows')
        self.el('#create-dialog .dialog-x').click()
        self.wait(lambda: self.visible('#close-anyway'), '× to ask too')
        self.el('#close-anyway').click()
        self.wait(lambda: not self.dialog_open('create-dialog'), 'the dialog to close without copying')
        self.wait(lambda: not self.driver.find_elements(By.ID, 'issued-token'), 'the token to leave the DOM')
        self.pipeline_token = token

        # A second Deploy credential for web: refused, naming the one it has.
        self.submit_create('deploy', 'web pipeline 2', 'web')
        self.wait(lambda: self.el('#create-error').text.strip() != '', 'the refusal in the dialog')
        message = self.el('#create-error').text
        self.ok('“web pipeline”' in message or '"web pipeline"' in message, f'the refusal names the other credential: {message!r}')
        self.el('#create-dialog .actions button[data-close]').click()
        self.wait(lambda: not self.dialog_open('create-dialog'), 'the dialog to close')

    def step_rotate_asks(self):
        self.check('6. "Generate new token" asks first, naming the token; Cancel keeps it working')
        self.wait(lambda: self.row('web') is not None, 'the row of web')
        hint = self.row('web')['hint']
        self.click_row_button('Edit web')
        self.wait(lambda: self.dialog_open('edit-dialog'), 'the editor')
        Select(self.el('#edit-grace')).select_by_value('1h')
        self.el('#edit-rotate').click()
        self.wait(lambda: self.visible('#rotate-confirm'), 'the question before a new token')
        question = self.el('#rotate-confirm-text').text
        self.ok(hint in question and self.web_token[-4:] in question and '1 hour' in question,
                f'it names the token ({hint}) and the grace period: {question!r}')
        self.ok(not self.visible('#edit-rotate'), 'one way on: the question\'s buttons')
        self.shot('console-rotate-confirm.png')
        self.el('#rotate-cancel').click()
        self.wait(lambda: not self.visible('#rotate-confirm'), 'Cancel to remove the question')
        self.ok(self.js('return document.activeElement.id') == 'edit-rotate', 'the focus back on Generate new token')
        self.ok(not self.driver.find_elements(By.ID, 'issued-token'), 'no token issued')
        self.ok(self.api_credential(self.web_id)['token_hint'] == hint, 'the token unchanged')
        self.expect_accepted(self.web_token, 'the token after Cancel', 'hits', {'test': True})
        Select(self.el('#edit-grace')).select_by_value('')
        self.el('#edit-rotate').click()
        self.wait(lambda: 'stops working at once' in self.el('#rotate-confirm-text').text, 'no grace period: at once')

    def step_expiry_alone(self):
        self.check('7. the expiry on its own: the token stays the same and keeps working')
        self.el('#rotate-cancel').click()
        self.ok(self.visible('#edit-grace-field'), 'a live token\'s editor shows the grace period')
        Select(self.el('#edit-expiry')).select_by_value('30d')
        self.ok('token stays the same' in self.el('#edit-expiry-help').text, f'the help: {self.el("#edit-expiry-help").text!r}')
        before = self.api_credential(self.web_id)
        self.el('#edit-expire').click()
        self.wait(lambda: 'Its token is unchanged' in (self.text('#edit-dialog .dialog-status') or ''), 'the expiry changed')
        after = self.api_credential(self.web_id)
        self.ok(after['token_hint'] == before['token_hint'] and after['expires_at'] and not before['expires_at'],
                f'an expiry, the same token: {before["expires_at"]} -> {after["expires_at"]}')
        self.ok(not self.driver.find_elements(By.ID, 'issued-token'), 'no token issued')
        self.ok(after['expires_at'][:16].replace('T', ' ') in self.el('#edit-facts').text, 'the facts show the new expiry')
        self.expect_accepted(self.web_token, 'the same token after the expiry changed', 'hits', {'test': True})
        self.el('#edit-dialog .actions button[data-close]').click()
        self.wait(lambda: not self.dialog_open('edit-dialog'), 'the editor to close')
        extra = "const tr = document.querySelector(`#credentials-table tr[data-id='${arguments[0]}'] .state-extra`); return tr ? tr.textContent : ''"
        self.wait(lambda: 'expires' in self.js(extra, self.web_id), 'the table to show the expiry')

    def step_expired_words(self):
        self.check('8. an expired credential: no grace period, no word of an old token; a new expiry keeps its token')
        short = self.create_api({'type': 'hits', 'name': 'short-lived', 'app': 'web', 'expires': '1s'})
        self.wait(lambda: (self.row('short-lived') or {}).get('state') == 'expired', 'short-lived to show as expired', seconds=20)
        self.click_row_button('Edit short-lived')
        self.wait(lambda: self.dialog_open('edit-dialog'), 'the editor')
        self.ok(not self.visible('#edit-grace-field') and not self.visible('#edit-warning'), 'no grace period for an expired token')
        words = self.js("return document.getElementById('edit-dialog').innerText").lower()
        self.ok('old token' not in words and 'current token' not in words and 'previous token' not in words,
                f'no word of an old token: {words!r}')
        Select(self.el('#edit-expiry')).select_by_value('90d')
        self.el('#edit-expire').click()
        self.wait(lambda: self.api_credential(short['id'])['state'] == 'active', 'short-lived active again')
        self.ok(self.api_credential(short['id'])['token_hint'] == short['token_hint'], 'with the same token')
        self.expect_accepted(short['token'], 'the same token with its new expiry', 'hits', {'test': True})
        self.el('#edit-dialog .actions button[data-close]').click()
        self.wait(lambda: not self.dialog_open('edit-dialog'), 'the editor to close')

    def step_events(self):
        self.check('9. events: filters, a capped panel with "Load older", deleted credentials named, a failed deploy in red')
        for i in range(55):
            self.expect_accepted(self.unbound['token'], f'hit {i} of app batch', 'hits', {'app': 'batch'})
        self.expect_accepted(self.shop['token'], 'a deploy of shop', 'deploys', {'app': 'shop', 'version': '7'})
        self.expect_accepted(self.pipeline_token, 'a deploy that failed', 'deploys', {'app': 'web', 'version': '3.1', 'status': 'failed'})
        self.expect_accepted(self.web_token, 'a real failure', 'failures', {'app': 'web', 'error': 'HTTP 500'})
        self.expect_accepted(self.web_token, 'a test hit', 'hits', {'test': True})
        deleted = self.fetch('DELETE', f'api/credentials/{self.shop["id"]}')
        self.ok(deleted['status'] == 204, f'deleted shop pipeline: {deleted}')
        self.load_afresh(f'#/orgs/{ORG}')
        self.wait_org_page(ORG)
        self.wait(lambda: len(self.event_rows()) == 50, 'the newest 50 events')
        self.ok(self.js("return [...document.querySelectorAll('#events-table thead th')][0].textContent") == 'Time (UTC)',
                'the time column says UTC')
        self.ok(self.js('''const p = document.querySelector('#events .events-panel');
                           return p.scrollHeight > p.clientHeight && getComputedStyle(p).maxHeight !== 'none\''''),
                'the panel is capped and scrolls')
        self.el('#events-older').click()
        self.wait(lambda: len(self.event_rows()) > 50, '"Load older" to add the older events')
        rows = self.event_rows()
        total = self.fetch('GET', f'api/orgs/{ORG}/events?limit=1000', csrf=False)['body']
        self.ok(len(rows) == len(total) and self.visible('#events-oldest'), f'every event, and the end said: {len(rows)} of {len(total)}')
        shop = [r for r in rows if r['app'] == 'shop']
        self.ok(shop and all(r['credential'] == 'shop pipeline (deleted)' for r in shop), f'a deleted credential named: {shop}')
        failed = [r for r in rows if r['type'] == 'deploy' and r['app'] == 'web']
        self.ok(len(failed) == 1 and failed[0]['bad'] and failed[0]['kind'] == 'deploy failed', f'the failed deploy: {failed}')
        colour = self.js('''const tr = document.querySelector('#events-table tr.event-bad');
                            return getComputedStyle(tr.querySelector('.kind')).color''')
        self.ok(colour == 'rgb(200, 67, 43)', f'in the failures\' colour, not the deploys\' green: {colour}')
        ok_deploy = next(r for r in rows if r['type'] == 'deploy' and r['app'] == 'shop')
        self.ok(ok_deploy['kind'] == 'deploy' and not ok_deploy['bad'], f'a succeeded deploy stays plain: {ok_deploy}')

        Select(self.el('#events-type')).select_by_value('failure')
        self.wait(lambda: self.event_rows() and all(r['type'] == 'failure' for r in self.event_rows()), 'only failures')
        kinds = self.event_rows()
        self.ok(len(kinds) == 2 and sum(r['test'] for r in kinds) == 1, f'the real failure and the test one: {kinds}')
        Select(self.el('#events-type')).select_by_value('')
        Select(self.el('#events-app')).select_by_value('shop')
        self.wait(lambda: self.event_rows() and all(r['app'] == 'shop' for r in self.event_rows()), 'only app shop')
        self.ok(len(self.event_rows()) == 1, f'the one event of shop: {self.event_rows()}')
        Select(self.el('#events-type')).select_by_value('deploy')
        Select(self.el('#events-app')).select_by_value('web')
        self.wait(lambda: [r['kind'] for r in self.event_rows()] == ['deploy failed'], 'the deploys of web: the failed one')
        Select(self.el('#events-app')).select_by_value('')
        Select(self.el('#events-type')).select_by_value('')
        self.wait(lambda: len(self.event_rows()) == 50, 'all events again, the newest 50')
        self.js("document.getElementById('events-heading').scrollIntoView()")
        self.shot('console-events.png')

    def step_chart_first_draw(self):
        self.check('10. the chart\'s SVG has a viewBox and fills its box from the first draw')
        self.load_afresh(f'#/orgs/{ORG}')
        # Read at the first moment the chart exists, before any resize.
        facts = self.wait(lambda: self.js('''const s = document.getElementById('stats-chart');
            if (!s) return null;
            const b = document.getElementById('chart'), cs = getComputedStyle(b);
            return {viewBox: s.getAttribute('viewBox'), width: s.getBoundingClientRect().width,
                    box: b.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight),
                    drawn: Number(s.dataset.width)}'''), 'the chart')
        self.ok(bool(facts['viewBox']) and abs(facts['width'] - facts['box']) < 1, f'the SVG fills its box: {facts}')
        self.ok(abs(facts['drawn'] - facts['box']) < 1, f'drawn at the box\'s width (the text at its size): {facts}')

    def step_phone(self):
        self.check('11. at 390 px: nothing overflows sideways, the stats\' Deploys column shows, buttons on one line')
        self.driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride',
                                    {'width': 390, 'height': 844, 'deviceScaleFactor': 1, 'mobile': True})
        try:
            self.wait(lambda: self.js('return window.innerWidth') == 390, 'a 390 px viewport')
            self.load_afresh(f'#/orgs/{ORG}')
            self.wait_org_page(ORG)
            self.wait(lambda: self.visible('#stats-table') and len(self.event_rows()) == 50, 'the stats and the events')
            self.wait(lambda: self.js('return document.documentElement.scrollWidth') <= 390, 'document scrollWidth <= 390')
            self.ok(self.overflowing() == [], f'no table overflows: {self.overflowing()}')
            deploys = self.js('''const th = [...document.querySelectorAll('#stats-table thead th')].pop();
                                 const r = th.getBoundingClientRect(), w = th.closest('.table-wrap').getBoundingClientRect();
                                 return {text: th.textContent, right: r.right, wrap: w.right}''')
            self.ok(deploys['text'] == 'Deploys' and deploys['right'] <= deploys['wrap'] + 0.5,
                    f'the Deploys column inside its box: {deploys}')
            chart = self.js('''const s = document.getElementById('stats-chart'), b = document.getElementById('chart');
                               const cs = getComputedStyle(b);
                               return [s.getBoundingClientRect().width, b.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)]''')
            self.ok(abs(chart[0] - chart[1]) < 1, f'the chart fills its box at 390 px: {chart}')
            self.js("document.getElementById('stats-heading').scrollIntoView()")
            self.shot('console-phone-events.png')

            self.el('#new-credential').click()
            self.wait(lambda: self.dialog_open('create-dialog'), 'the dialog at 390 px')
            self.ok(self.overflowing() == [] and self.js('return document.documentElement.scrollWidth') <= 390,
                    f'the dialog fits: {self.overflowing()}')
            lines = self.js('''const b = document.getElementById('create-submit');
                               return b.getBoundingClientRect().height / parseFloat(getComputedStyle(b).lineHeight)''')
            self.ok(lines < 2, f'"Generate integration token" on one line: {lines:.2f} line heights')
            self.el('#create-dialog .actions button[data-close]').click()
            self.wait(lambda: not self.dialog_open('create-dialog'), 'the dialog to close')

            self.click_row_button('Edit web')
            self.wait(lambda: self.dialog_open('edit-dialog'), 'the editor at 390 px')
            self.ok(self.overflowing() == [], f'the editor fits: {self.overflowing()}')
            self.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
            self.wait(lambda: not self.dialog_open('edit-dialog'), 'Escape to close the editor')
        finally:
            self.driver.execute_cdp_cmd('Emulation.clearDeviceMetricsOverride', {})


def main():
    return run_flow(FirstStepsFlow(), 'first steps flow')


if __name__ == '__main__':
    sys.exit(main())
