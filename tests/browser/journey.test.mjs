// End-to-end journeys through the sandbox federation in headless Chromium:
// service -> FranceConnect button -> broker's FI chooser -> demo FI login ->
// broker's confirmation -> back on the service with the claims -> logout.
//
// Run by scripts/browser-test.sh, which starts `pivot-broker sandbox` and
// points PIVOT_READY_FILE at the JSON file the sandbox writes when ready.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  SKIP_REASON,
  citizen,
  identityProvider,
  launchBrowser,
  loadReady,
  origin,
  pageText,
  screenshot,
  textOf,
  withPage,
} from './support.mjs';

const TEST_TIMEOUT_MS = 120_000;

let browser;
let ready;

before(async () => {
  if (SKIP_REASON) return;
  ready = await loadReady();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** From the first service's home page, clicks the FranceConnect button and
 * waits for the broker's FI chooser. */
async function openChooser(page, service, shotPrefix) {
  await page.goto(service.url);
  await page.locator('#franceconnect').waitFor();
  if (shotPrefix) await screenshot(page, `${shotPrefix}-service-home`);
  await page.locator('#franceconnect').click();
  await page.locator('button[name=fi]').first().waitFor();
  assert.equal(origin(page.url()), origin(ready.broker), 'the FI chooser is served by the broker');
}

test('journey: Eric MERCIER signs in with ameli through the broker, then logs out', {
  skip: SKIP_REASON,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const service = ready.services[0];
  const ameli = identityProvider(ready, 'ameli');
  const eric = citizen(ready, 'eric-mercier', 'ameli');

  await withPage(browser, 'journey', async (page) => {
    const csp = [];
    page.on('console', (msg) => {
      if (msg.text().includes('Content Security Policy')) csp.push(`${page.url()}: ${msg.text()}`);
    });

    // 1. The service's home page, and its FranceConnect button.
    await openChooser(page, service, 'journey-01');

    // 2. The broker's FI chooser names the service; pick ameli.
    assert.ok((await pageText(page)).includes(service.name), `the chooser names the service "${service.name}"`);
    await screenshot(page, 'journey-02-broker-fi-chooser');
    await page.locator('button[name=fi][value=ameli]').click();

    // 3. The demo FI's login page.
    const loginForm = page.locator('form:has(input[name=password])');
    await loginForm.locator('input[name=login]').waitFor();
    assert.equal(origin(page.url()), origin(ameli.url), 'the login page is served by the ameli demo FI');
    await loginForm.locator('input[name=login]').fill(eric.login);
    await loginForm.locator('input[name=password]').fill(eric.password);
    await screenshot(page, 'journey-03-fi-login');
    await loginForm.locator('button[type=submit]').click();

    // 4. The broker's confirmation page.
    await page.locator('#continue').waitFor();
    assert.equal(origin(page.url()), origin(ready.broker), 'the confirmation page is served by the broker');
    const confirmation = await pageText(page);
    for (const expected of ['Bienvenue', 'Eric MERCIER', 'né le 12/03/1966']) {
      assert.ok(confirmation.includes(expected), `the confirmation page says "${expected}"; it says: ${confirmation}`);
    }
    assert.ok(
      (await textOf(page, '#continue')).includes(service.name),
      `#continue names the service ("Continuer sur ${service.name}")`,
    );
    await screenshot(page, 'journey-04-broker-confirmation');
    await page.locator('#continue').click();

    // 5. Back on the service, with the identity.
    await page.locator('td[data-claim=given_name]').waitFor();
    assert.equal(origin(page.url()), origin(service.url), 'back on the service');
    assert.equal(await textOf(page, 'td[data-claim=given_name]'), 'Eric');
    assert.equal(await textOf(page, 'td[data-claim=family_name]'), 'MERCIER');
    assert.equal(await textOf(page, 'td[data-claim=birthdate]'), '1966-03-12');
    assert.equal(await textOf(page, 'td[data-idtoken-claim=acr]'), 'eidas1');
    assert.match(await textOf(page, 'td[data-claim=sub]'), /^[0-9a-f]{64}v1$/, 'sub is 64 hex digits then "v1"');
    await screenshot(page, 'journey-05-service-claims');

    // 6. Logout, through the broker, ends on a logged-out page.
    await page.locator('#logout').click();
    await page.locator('#logged-out').waitFor();
    await screenshot(page, 'journey-06-logged-out');

    if (csp.length) console.log(`CSP messages during the journey:\n${csp.join("\n")}`);
  });
});

test('FI chooser: keyboard-accessible, no CSP violation, not frameable', {
  skip: SKIP_REASON,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const service = ready.services[0];

  await withPage(browser, 'chooser', async (page) => {
    // Only the broker's pages count here (the service's are not under test).
    const csp = [];
    page.on('console', (msg) => {
      const where = msg.location().url || page.url();
      if (msg.text().includes('Content Security Policy') && where.startsWith(origin(ready.broker))) {
        csp.push(`${where}: ${msg.text()}`);
      }
    });
    // The last main-frame document response is the chooser's own.
    let documentResponse;
    page.on('response', (response) => {
      const request = response.request();
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) documentResponse = response;
    });

    await openChooser(page, service, null);
    await page.waitForLoadState('load');
    await screenshot(page, 'chooser-01-page');

    // Headers: the chooser cannot be framed (clickjacking).
    assert.ok(documentResponse, 'saw the chooser document response');
    assert.equal(origin(documentResponse.url()), origin(ready.broker));
    const policy = documentResponse.headers()['content-security-policy'];
    assert.ok(policy, 'the chooser is served with a Content-Security-Policy header');
    assert.ok(policy.includes("frame-ancestors 'none'"), `CSP has frame-ancestors 'none': ${policy}`);

    // Keyboard: Tab reaches every FI button, and Enter on ameli submits.
    const buttons = await page.locator('button[name=fi]').evaluateAll((els) => els.map((el) => el.value));
    assert.ok(buttons.includes('ameli'), `an ameli button is on the chooser (found: ${buttons.join(', ')})`);
    const reached = new Set();
    for (let i = 0; i < 150 && reached.size < new Set(buttons).size; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement;
        return el && el.matches('button[name=fi]') ? el.value : null;
      });
      if (focused !== null) reached.add(focused);
    }
    assert.deepEqual([...reached].sort(), [...new Set(buttons)].sort(), 'Tab reaches every FI button');

    for (let i = 0; i < 150; i++) {
      const onAmeli = await page.evaluate(() => document.activeElement?.matches('button[name=fi][value=ameli]') ?? false);
      if (onAmeli) break;
      await page.keyboard.press('Tab');
    }
    assert.ok(
      await page.evaluate(() => document.activeElement?.matches('button[name=fi][value=ameli]') ?? false),
      'focus is on the ameli button',
    );
    await screenshot(page, 'chooser-02-ameli-focused');
    assert.deepEqual(csp, [], 'no Content Security Policy violation on the chooser');

    await page.keyboard.press('Enter');
    await page.locator('input[name=login]').waitFor();
    assert.equal(origin(page.url()), origin(identityProvider(ready, 'ameli').url), 'Enter on ameli opens its login page');
    await screenshot(page, 'chooser-03-after-enter');
  });
});
