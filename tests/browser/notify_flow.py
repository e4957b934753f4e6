#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The console's Notifications section in a real browser (headless Chromium).

Run by ModuleConsoleTest against a real Apache with mod_onep (OnepSecretKeyFile,
OnepNotifyAllowHttp On, OnepNotifyAllowPrivate On, a short OnepNotifyRetryBase)
and a real, empty Redis, with the environment of console_flow.py and:

  ONEP_RECEIVER_URL          the test receiver (tests/support/webhook_receiver.py)
                             on 127.0.0.1, e.g. http://127.0.0.1:PORT
  ONEP_RECEIVER_SECRET_FILE  the file the receiver reads its secret from at each
                             request: this script writes the secret the console
                             showed into it
  ONEP_RECEIVER_LOG          the receiver's log, one JSON line per request

In the console, org acme: "Add endpoint" with the receiver's URL; the secret is
shown once, closing before copying it asks first, Copy copies it. "Send test";
the delivery log then shows the test delivered with HTTP 200 (a bounded wait),
and the receiver got exactly that one webhook, its signature verified with the
secret the console showed. "Remove", confirmed, removes the endpoint. At 390 px
nothing overflows sideways.

ONEP_SCREENSHOT_DIR, when set, gets console-notifications.png.
"""

import json
import os
import sys

from console_flow import Flow, run_flow

ORG = 'acme'
DELIVERY_SECONDS = 30  # the log refreshes every second after a test, every 5 s otherwise


class NotifyFlow(Flow):
    def __init__(self):
        super().__init__()
        env = os.environ
        self.endpoint_url = env['ONEP_RECEIVER_URL'].rstrip('/') + '/ok'
        self.receiver_secret_file = env['ONEP_RECEIVER_SECRET_FILE']
        self.receiver_log = env['ONEP_RECEIVER_LOG']
        self.endpoint_id = None

    def run(self):
        self.start_browser()
        self.open(self.console_url)
        self.step_org()
        self.step_add()
        self.step_copy_secret()
        self.step_send_test()
        self.step_receiver()
        self.step_screenshot()
        self.step_phone()
        self.step_remove()
        self.step_console_log()

    def endpoints(self):
        return self.js('''return [...document.querySelectorAll('#notify-table tbody tr')].map((tr) => ({
            id: tr.dataset.id, url: tr.querySelector('.notify-url').textContent,
            last: tr.querySelector('.last-delivery').textContent}));''')

    def deliveries(self):
        return self.js('''return [...document.querySelectorAll('#deliveries-table tbody tr')].map((tr) => ({
            endpoint: tr.dataset.endpoint, outcome: tr.dataset.outcome, status: tr.dataset.status,
            type: tr.querySelector('.delivery-type').textContent,
            shown: tr.querySelector('.delivery-status').textContent}));''')

    def received(self):
        try:
            with open(self.receiver_log) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def step_org(self):
        self.check('1. org acme has a credential; its page has an empty Notifications section')
        made = self.fetch('POST', f'api/orgs/{ORG}/credentials', {'type': 'hits', 'name': 'web'})
        self.ok(made['status'] == 201, f'a credential makes the org: {made["status"]}')
        self.tokens.append(made['body']['token'])
        self.go(f'#/orgs/{ORG}')
        self.wait_org_page(ORG)
        self.wait(lambda: self.visible('#notify-empty'), 'the Notifications section saying there is no endpoint')
        self.ok(self.js('''return [...document.querySelectorAll('.page-index a')].some((a) =>
                           a.dataset.section === 'notify-heading' && a.textContent === 'Notifications')'''),
                'the links at the top of the page lead to Notifications')

    def step_add(self):
        self.check('2. "Add endpoint" with the receiver\'s URL: the secret is shown once')
        self.el('#add-endpoint').click()
        self.wait(lambda: self.dialog_open('notify-add-dialog'), 'the Add endpoint dialog to open')
        self.ok(self.js('return document.activeElement.id') == 'notify-url', 'the focus is on the URL field')
        self.el('#notify-add-submit').click()
        self.wait(lambda: self.el('#notify-add-error').text.strip() != '', 'an empty URL to be refused in the dialog')
        self.ok(self.el('#notify-url').get_attribute('aria-invalid') == 'true', 'the URL field is marked invalid')
        self.fill('#notify-url', self.endpoint_url)
        self.el('#notify-add-submit').click()
        self.wait(lambda: self.visible('#notify-secret'), 'the secret in the dialog')
        self.secret = self.el('#notify-secret').text.strip()
        self.tokens.append(self.secret)
        self.ok(self.secret.startswith('whsec_') and len(self.secret) > 30, f'a Standard Webhooks secret: {self.secret[:6]}…')
        title = self.el('#notify-added-title').text
        self.ok(self.endpoint_url in title and 'ne_' in title, f'the dialog names the endpoint: {title!r}')

    def step_copy_secret(self):
        self.check('3. Done before copying asks first; Copy copies the secret; then Done closes')
        self.el('#notify-add-dialog .issued button[data-close]').click()
        self.wait(lambda: self.visible('#close-anyway'), 'the "Close without copying?" question')
        question = self.el('.close-confirm').text
        self.ok('Close without copying?' in question and 'secret' in question, f'the question names the secret: {question!r}')
        self.el('#close-back').click()
        self.ok(self.dialog_open('notify-add-dialog') and self.visible('#notify-secret'), 'Go back keeps the secret shown')
        copy = self.el('#copy-secret')
        copy.click()
        self.wait(lambda: copy.text == 'Copied', 'the Copy button to say Copied')
        pasted = self.js_clipboard()
        if pasted is not None:
            self.ok(pasted == self.secret, 'the clipboard holds the secret')
        # The receiver checks signatures with what the console showed.
        with open(self.receiver_secret_file + '.tmp', 'w') as f:
            f.write(pasted if pasted is not None else self.secret)
        os.replace(self.receiver_secret_file + '.tmp', self.receiver_secret_file)
        self.el('#notify-add-dialog .issued button[data-close]').click()
        self.wait(lambda: not self.dialog_open('notify-add-dialog'), 'the dialog to close without asking again')
        self.wait(lambda: not self.driver.find_elements('id', 'notify-secret'), 'the secret to leave the DOM')
        self.wait(lambda: len(self.endpoints()) == 1, 'the endpoint listed')
        row = self.endpoints()[0]
        self.endpoint_id = row['id']
        self.ok(row['url'] == self.endpoint_url and 'none yet' in row['last'], f'the new endpoint, not delivered to yet: {row}')
        listed = self.fetch('GET', f'api/orgs/{ORG}/notify', csrf=False)
        self.ok(listed['status'] == 200 and 'secret' not in json.dumps(listed['body']), 'the list has no secret')
        self.expect_no_token_in_page()

    def step_send_test(self):
        self.check('4. "Send test": the delivery log shows it delivered, HTTP 200')
        self.ok(self.received() == [], 'nothing received before the test')
        self.el(f'button[data-action="notify-test"][data-id="{self.endpoint_id}"]').click()
        self.wait(lambda: 'on its way' in self.el('#status').text, 'the page to say the test is on its way')

        def delivered():
            return [d for d in self.deliveries() if d['endpoint'] == self.endpoint_id and d['outcome'] == 'delivered']
        self.wait(lambda: delivered(), 'the delivery log to show the test delivered', seconds=DELIVERY_SECONDS)
        rows = self.deliveries()
        self.ok(len(rows) == 1, f'one delivery in the log: {rows}')
        self.ok(rows[0]['type'] == 'test' and rows[0]['status'] == '200' and rows[0]['shown'] == '200', f'a test, HTTP 200: {rows[0]}')
        self.wait(lambda: 'delivered' in self.endpoints()[0]['last'], 'the endpoint\'s last delivery: delivered')
        self.ok('HTTP 200' in self.endpoints()[0]['last'], f'with its status: {self.endpoints()[0]}')

    def step_receiver(self):
        self.check('5. the receiver got exactly that webhook, signed with the secret the console showed')
        got = self.received()
        self.ok(len(got) == 1, f'exactly one request received: {[(g["path"], g["answer"]) for g in got]}')
        self.ok(got[0]['path'] == '/ok' and got[0]['verified'] is True, f'at /ok, its signature verified: {got[0]["path"]} {got[0]["verified"]}')
        body = json.loads(got[0]['body'])
        self.ok(body.get('type') == 'test', f'a test notification: {body}')
        api = self.fetch('GET', f'api/orgs/{ORG}/deliveries?endpoint={self.endpoint_id}', csrf=False)
        self.ok(api['status'] == 200 and len(api['body']) == 1 and api['body'][0]['webhook_id'] == got[0]['id'],
                f'the log\'s delivery is that webhook: {api}')

    def step_screenshot(self):
        if not self.screenshot_dir:
            return
        self.check('6. screenshot')
        self.wait(lambda: not self.el('#status').text, 'the status message to clear', seconds=15)
        self.js("document.getElementById('notify-heading').scrollIntoView()")
        self.shot('console-notifications.png', self.js("return document.getElementById('notify-heading').closest('section')"))

    def step_phone(self):
        self.check('7. at 390 px nothing overflows sideways, the dialog included')
        self.driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride',
                                    {'width': 390, 'height': 844, 'deviceScaleFactor': 1, 'mobile': True})
        try:
            self.wait(lambda: self.js('return window.innerWidth') == 390, 'a 390 px viewport')
            self.wait(lambda: self.visible('#notify-table'), 'the endpoints at 390 px')
            width = lambda: self.js('return document.documentElement.scrollWidth')
            self.wait(lambda: width() <= 390, 'document.documentElement.scrollWidth <= 390')
            for css in ('#notify-endpoints .table-wrap', '#deliveries .table-wrap'):
                self.ok(self.js('const w = document.querySelector(arguments[0]); return w.scrollWidth <= w.clientWidth', css),
                        f'{css} fits (stacked rows, no sideways scroll)')
            # Away from the bottom, where the result message of the test shows.
            self.js("document.getElementById('add-endpoint').scrollIntoView({block: 'center'})")
            self.el('#add-endpoint').click()
            self.wait(lambda: self.dialog_open('notify-add-dialog'), 'the dialog at 390 px')
            self.ok(width() <= 390, 'the dialog fits too')
            self.el('#notify-add-dialog button[data-close]').click()
            self.wait(lambda: not self.dialog_open('notify-add-dialog'), 'the dialog to close')
        finally:
            self.driver.execute_cdp_cmd('Emulation.clearDeviceMetricsOverride', {})

    def step_remove(self):
        self.check('8. "Remove", confirmed: the endpoint is gone; its delivery stays in the log')
        remove = self.el(f'button[data-action="notify-remove"][data-id="{self.endpoint_id}"]')
        self.js("arguments[0].scrollIntoView({block: 'center'})", remove)
        remove.click()
        self.wait(lambda: self.dialog_open('notify-remove-dialog'), 'the confirmation to open')
        self.ok(self.endpoint_url in self.el('#notify-remove-text').text, 'the confirmation names the URL')
        self.ok(len(self.endpoints()) == 1, 'nothing removed before the confirmation')
        self.el('#notify-remove-confirm').click()
        self.wait(lambda: not self.dialog_open('notify-remove-dialog'), 'the confirmation to close')
        self.wait(lambda: self.visible('#notify-empty'), 'the section to say there is no endpoint')
        listed = self.fetch('GET', f'api/orgs/{ORG}/notify', csrf=False)
        self.ok(listed['status'] == 200 and listed['body'] == [], f'the API lists none: {listed}')
        rows = self.deliveries()
        self.ok(len(rows) == 1 and '(removed)' in self.el('#deliveries-table tbody tr').text, f'the delivery stays, its endpoint removed: {rows}')


def main():
    return run_flow(NotifyFlow(), 'notify flow')


if __name__ == '__main__':
    sys.exit(main())
