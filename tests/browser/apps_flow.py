#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The console's applications in a real browser (headless Chromium).

Run by ModuleConsoleTest against a real Apache with mod_onep and a real, empty
Redis, with the environment of console_flow.py (whose plumbing it shares). Org
shopco gets two apps: api (up) and web, which goes down after a deploy. The
script then clicks through: the org page's Applications table lists web first;
web's page draws the incident as a band and the deploy as a marker (checked on
the SVG's elements and attributes), has the same data as a table, the incidents
table and the insights (or says they are unavailable when the server has no
insights route); its monitor form changes failures_to_open, which the audit
trail shows as action monitor by the signed-in user. At 390 px the chart is
drawn at the phone's width.

ONEP_SCREENSHOT_DIR, when set, gets console-app.png and console-app-phone.png.
"""

import sys

from console_flow import Flow, run_flow
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

ORG = 'shopco'


class AppsFlow(Flow):
    def run(self):
        self.start_browser()
        self.open(self.console_url)
        self.step_record()
        self.step_org_table()
        self.step_app_page()
        self.step_table_view()
        self.step_range()
        self.step_incidents_and_insights()
        self.step_monitor_form()
        self.step_screenshots()
        self.step_phone()
        self.step_console_log()

    def post(self, token, route, body):
        status, answer = self.post_event(route, token, body)
        self.ok(status == 202, f'POST {route} {body}: expected 202, got {status} {answer}')

    def text(self, css):
        """An element's text, read in one step (the form is rebuilt after a save)."""
        return self.js('const e = document.querySelector(arguments[0]); return e ? e.textContent : null', css)

    def app_json(self, app):
        answer = self.fetch('GET', f'api/orgs/{ORG}/apps/{app}', csrf=False)
        self.ok(answer['status'] == 200, f'GET apps/{app}: {answer}')
        return answer['body']

    def step_record(self):
        self.check('1. two apps; web goes down after deploy 2.0.1')
        made = self.fetch('POST', f'api/orgs/{ORG}/credentials', {'type': 'hits', 'name': 'probe'})
        self.ok(made['status'] == 201, f'the hits credential: {made}')
        hits = made['body']['token']
        made = self.fetch('POST', f'api/orgs/{ORG}/credentials', {'type': 'deploy', 'name': 'ci', 'app': 'web'})
        self.ok(made['status'] == 201, f'the deploy credential: {made}')
        deploys = made['body']['token']
        self.tokens += [hits, deploys]
        self.post(hits, 'hits', {'app': 'api', 'count': 4})
        self.post(hits, 'hits', {'app': 'web', 'count': 6})
        self.post(deploys, 'deploys', {'app': 'web', 'version': '2.0.1', 'deploy_id': 'pipeline-77'})
        self.post(hits, 'failures', {'app': 'web', 'error': 'HTTP 502 from upstream'})
        self.post(hits, 'failures', {'app': 'web', 'count': 2, 'error': 'HTTP 502 from upstream'})
        web = self.app_json('web')
        self.ok(web['state'] == 'down' and web['open_incident'], f'web is down with an open incident: {web}')
        self.incident = web['open_incident']

    def step_org_table(self):
        self.check('2. the org page: Applications above the credentials, the down app first')
        self.go(f'#/orgs/{ORG}')
        self.wait_org_page(ORG)
        self.wait(lambda: self.visible('#apps-table'), 'the Applications table')
        rows = self.js('''return [...document.querySelectorAll('#apps-table tbody tr')].map((tr) => ({
            app: tr.dataset.app, state: tr.querySelector('.app-state').textContent,
            incident: tr.querySelector('.incident-id') ? tr.querySelector('.incident-id').textContent : null,
            deploy: tr.lastElementChild.textContent}));''')
        self.ok([r['app'] for r in rows] == ['web', 'api'], f'web (down) before api (up): {rows}')
        self.ok(rows[0]['state'] == 'DOWN' and rows[1]['state'] == 'up', f'the state badges: {rows}')
        self.ok(rows[0]['incident'] == self.incident, f'web\'s open incident {self.incident}: {rows[0]}')
        self.ok(rows[0]['deploy'].startswith('2.0.1 at '), f'web\'s last deploy: {rows[0]}')
        self.ok(self.js('''const a = document.getElementById('apps-heading'), c = document.getElementById('credentials-heading');
                           return !!(a.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING)'''),
                'Applications comes before Credentials')
        self.el('#apps-table a.app-link').click()
        self.wait(lambda: self.js('return location.hash') == f'#/orgs/{ORG}/apps/web', 'the link to web\'s page')

    def chart_facts(self):
        return self.js('''const s = document.querySelector('#timeline-chart svg#timeline');
            if (!s) return null;
            return {
              range: s.dataset.range, width: s.getBoundingClientRect().width,
              viewBox: s.getAttribute('viewBox'),
              box: (() => {
                const b = document.getElementById('timeline-chart');
                const cs = getComputedStyle(b);
                return b.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
              })(),
              bands: [...s.querySelectorAll('rect.incident-band')].map((r) => ({
                id: r.dataset.incidentId, open: r.dataset.open, x: Number(r.getAttribute('x')),
                w: Number(r.getAttribute('width')), title: r.querySelector('title') ? r.querySelector('title').textContent : ''})),
              markers: [...s.querySelectorAll('g.deploy-marker')].map((g) => ({
                version: g.dataset.version, id: g.dataset.deployId, tabindex: g.getAttribute('tabindex'),
                label: g.getAttribute('aria-label'), title: g.querySelector('title') ? g.querySelector('title').textContent : ''})),
              failures: [...s.querySelectorAll('rect.bar-failures')].reduce((n, r) => n + Number(r.dataset.count), 0),
              hits: [...s.querySelectorAll('rect.bar-hits')].reduce((n, r) => n + Number(r.dataset.count), 0),
            };''')

    def step_app_page(self):
        self.check('3. web\'s page: state, the incident band and the deploy marker on the SVG')
        self.wait(lambda: self.js("const h = document.querySelector('main h1'); return h && h.textContent") == 'web', 'the page of web')
        self.wait(lambda: self.js("const s = document.querySelector('#app-summary .app-state'); return s && s.textContent") == 'DOWN', 'the DOWN badge')
        self.ok(self.el('#open-incident').text == self.incident, 'the open incident is named')
        self.wait(lambda: (self.chart_facts() or {}).get('range') == '24h', 'the 24 h timeline')
        facts = self.chart_facts()
        self.ok(facts['viewBox'] and abs(facts['width'] - facts['box']) < 1,
                f'the SVG has a viewBox and fills its box\'s width: {facts}')
        self.ok(abs(float(facts['viewBox'].split()[2]) - facts['box']) < 1,
                f'drawn at its box\'s width, so the text keeps its size: {facts}')
        self.ok([b['id'] for b in facts['bands']] == [self.incident] and facts['bands'][0]['open'] == 'true',
                f'one band, the open incident {self.incident}: {facts["bands"]}')
        self.ok(facts['bands'][0]['w'] >= 2 and self.incident in facts['bands'][0]['title'], f'the band is drawn and titled: {facts["bands"]}')
        self.ok(len(facts['markers']) == 1, f'one deploy marker: {facts["markers"]}')
        marker = facts['markers'][0]
        self.ok(marker['version'] == '2.0.1' and marker['id'] == 'pipeline-77' and marker['tabindex'] == '0',
                f'the marker names deploy 2.0.1 and is focusable: {marker}')
        self.ok('2.0.1' in marker['label'] and '2.0.1' in marker['title'], f'its accessible name and title: {marker}')
        self.ok(facts['hits'] == 6 and facts['failures'] == 3, f'6 hits and 3 failures drawn: {facts}')
        # The keyboard reaches the marker, and focusing it tells the deploy.
        self.js("document.getElementById('deploy-detail').textContent = ''")
        self.js("document.querySelector('.range-button[data-range=\"30d\"]').focus()")
        self.el('.range-button[data-range="30d"]').send_keys(Keys.TAB)
        self.wait(lambda: self.js("return document.activeElement.getAttribute('class')") == 'deploy-marker',
                  'Tab from the window switch to reach the deploy marker')
        self.wait(lambda: '2.0.1' in self.el('#deploy-detail').text, 'the focused marker to show its deploy')

    def step_table_view(self):
        self.check('4. the timeline as a table: the same hours, the deploy and the incident')
        shown = lambda: self.js("return document.getElementById('timeline-table').checkVisibility()")
        self.ok(not shown(), 'the table is folded at first')
        self.el('#timeline-details summary').click()
        self.wait(shown, 'the table to unfold')
        rows = self.js('''return [...document.querySelectorAll('#timeline-table tbody tr')].map((tr) =>
            [...tr.children].map((c) => c.textContent));''')
        self.ok(len(rows) == 24, f'24 periods of an hour: {len(rows)}')
        self.ok(sum(int(r[1]) for r in rows) == 6 and sum(int(r[2]) for r in rows) == 3, f'6 hits, 3 failures: {rows[:2]}')
        self.ok(any(r[3] == '2.0.1' for r in rows), 'a period lists deploy 2.0.1')
        self.ok(any(self.incident in r[4] for r in rows), 'a period lists the incident')

    def step_range(self):
        self.check('5. 7 d and 30 d: the same band and marker, longer periods')
        for since, periods in (('7d', 28), ('30d', 30)):
            self.el(f'.range-button[data-range="{since}"]').click()
            self.wait(lambda: (self.chart_facts() or {}).get('range') == since, f'the {since} timeline')
            facts = self.chart_facts()
            self.ok([b['id'] for b in facts['bands']] == [self.incident] and len(facts['markers']) == 1,
                    f'{since}: the band and the marker: {facts}')
            self.ok(self.el(f'.range-button[data-range="{since}"]').get_attribute('aria-pressed') == 'true', f'{since} is pressed')
            self.wait(lambda: len(self.driver.find_elements(By.CSS_SELECTOR, '#timeline-table tbody tr')) == periods,
                      f'{periods} periods in the {since} table')
        self.el('.range-button[data-range="24h"]').click()
        self.wait(lambda: (self.chart_facts() or {}).get('range') == '24h', 'the 24 h timeline again')

    def step_incidents_and_insights(self):
        self.check('6. the incidents table and the insights')
        self.wait(lambda: self.visible(f'#incidents-table tr[data-id="{self.incident}"]'), 'the incident\'s row')
        row = self.el(f'#incidents-table tr[data-id="{self.incident}"]').text
        self.ok('OPEN' in row and '2.0.1' in row and 'HTTP 502 from upstream' in row, f'open, after 2.0.1, its first error: {row!r}')
        served = self.fetch('GET', f'api/orgs/{ORG}/insights?app=web&since=30d', csrf=False)
        if served['status'] == 200:
            self.wait(lambda: self.visible('#insights-list'), 'the insights')
            shown = self.js('''return Object.fromEntries([...document.querySelectorAll('#insights-list dd')].map((d) => [d.dataset.key, d.textContent]));''')
            insight = served['body'][0]
            self.ok(shown['incidents'] == str(insight['incidents']) == '1', f'1 incident: {shown}')
            self.ok(shown['uptime'].endswith('%') and shown['deploys_per_day'] != '—', f'uptime and deploys per day shown: {shown}')
            self.insights = 'shown'
        else:
            self.wait(lambda: self.visible('#insights-unavailable'), '"insights unavailable" when the server has none')
            self.ok(self.visible('#incidents-table') and self.visible('#monitor-form'), 'and the rest of the page stands')
            self.insights = f'unavailable ({served["status"]})'

    def step_monitor_form(self):
        self.check('7. the monitor form: a wrong number is refused; failures_to_open 3 is saved and audited')
        self.fill('#monitor-failures', '0')
        self.el('#monitor-save').click()
        self.wait(lambda: 'from 1 to 100' in (self.text('#monitor-error') or ''), 'the form\'s error')
        self.ok(self.el('#monitor-failures').get_attribute('aria-invalid') == 'true', 'the field is marked invalid')
        self.ok(self.app_json('web')['failures_to_open'] == 1, 'nothing was sent')
        self.fill('#monitor-failures', '3')
        self.el('#monitor-save').click()
        self.wait(lambda: 'Saved' in (self.text('#monitor-result') or ''), 'the form\'s result')
        self.ok('failures to open 3' in self.text('#monitor-result'), f'it says what was saved: {self.text("#monitor-result")!r}')
        self.ok(self.js("return document.getElementById('monitor-failures').value") == '3', 'the form shows the saved value')
        self.ok(self.app_json('web')['failures_to_open'] == 3, 'the API has failures_to_open 3')
        audit = self.fetch('GET', f'api/orgs/{ORG}/audit', csrf=False)
        last = audit['body'][-1]
        self.ok(last['action'] == 'monitor' and last['actor'] == self.user and last['app'] == 'web',
                f'the audit trail: monitor by {self.user}: {last}')
        self.ok(last['changes'] == {'failures_to_open': 3} or last['changes'].get('failures_to_open') == 3,
                f'with the setting given: {last}')

    def step_screenshots(self):
        if not self.screenshot_dir:
            return
        self.check('8. screenshot at 1280 px')
        self.wait(lambda: not self.el('#status').text, 'the status message to clear', seconds=15)
        self.js('window.scrollTo(0, 0)')
        marker = self.el('#timeline g.deploy-marker')
        self.js('arguments[0].focus()', marker)
        self.shot('console-app.png')

    def step_phone(self):
        self.check('9. at 390 px: the chart drawn at the phone\'s width, nothing overflows')
        self.driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride',
                                    {'width': 390, 'height': 844, 'deviceScaleFactor': 1, 'mobile': True})
        try:
            self.wait(lambda: self.js('return window.innerWidth') == 390, 'a 390 px viewport')
            # Opened afresh at this width (not redrawn from the wide one).
            self.go(f'#/orgs/{ORG}')
            self.wait_org_page(ORG)
            self.go(f'#/orgs/{ORG}/apps/web')
            self.wait(lambda: (self.chart_facts() or {}).get('range') == '24h', 'the timeline at 390 px')
            facts = self.chart_facts()
            self.ok(facts['viewBox'] and abs(facts['width'] - facts['box']) < 1 and facts['box'] < 390,
                    f'the SVG fills its box at 390 px: {facts}')
            self.ok(len(facts['bands']) == 1 and len(facts['markers']) == 1, f'band and marker at 390 px: {facts}')
            self.wait(lambda: self.js('return document.documentElement.scrollWidth') <= 390, 'no sideways scroll')
            self.js('window.scrollTo(0, 0)')
            self.shot('console-app-phone.png')
        finally:
            self.driver.execute_cdp_cmd('Emulation.clearDeviceMetricsOverride', {})


def main():
    flow = AppsFlow()
    return run_flow(flow, 'apps flow', extra=lambda: f'; insights {flow.insights}')


if __name__ == '__main__':
    sys.exit(main())
