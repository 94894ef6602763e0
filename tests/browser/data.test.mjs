// The Ville de Lyon family-quotient journey in headless Chromium: the
// service asks the tax data; the citizen logs in with impots.gouv, confirms,
// sees each datum with its source on the broker's consent page, accepts
// (the service computes the quotient from the tax office's answer) or
// refuses (still logged in, the service offers the manual form).
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
  service,
  textOf,
  withPage,
} from './support.mjs';

const TEST_TIMEOUT_MS = 120_000;

let browser;
let ready;

before(async () => {
  if (SKIP_REASON) return;
  ready = await loadReady();
  if (!Array.isArray(ready.data_providers) || ready.data_providers.length < 2) {
    throw new Error('the ready file lists no data providers');
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** From the Lyon home page to the broker's consent page, as Vincent BERDOT. */
async function toConsent(page, shots) {
  const lyon = service(ready, 'lyon');
  const impots = identityProvider(ready, 'impots');
  const vincent = citizen(ready, 'vincent-berdot', 'impots');

  await page.goto(lyon.url);
  await page.locator('#franceconnect').waitFor();
  const home = await pageText(page);
  assert.ok(home.includes('quotient familial'), `the Lyon page is about the family quotient: ${home}`);
  if (shots) await screenshot(page, 'data-01-lyon-home');
  await page.locator('#franceconnect').click();

  await page.locator('button[name=fi][value=impots]').click();
  const loginForm = page.locator('form:has(input[name=password])');
  await loginForm.locator('input[name=login]').waitFor();
  assert.equal(origin(page.url()), origin(impots.url));
  await loginForm.locator('input[name=login]').fill(vincent.login);
  await loginForm.locator('input[name=password]').fill(vincent.password);
  await loginForm.locator('button[type=submit]').click();

  await page.locator('#continue').waitFor();
  assert.ok((await pageText(page)).includes('Vincent Maurice Jean BERDOT'));
  assert.ok(await page.locator('#data-follows').isVisible(), 'the confirmation announces the data step');
  if (shots) await screenshot(page, 'data-02-broker-confirmation');
  await page.locator('#continue').click();

  await page.locator('#consent-title').waitFor();
  assert.equal(origin(page.url()), origin(ready.broker), 'the consent page is served by the broker');
  const labels = (await page.locator('label[for^=scope-]').allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim());
  assert.deepEqual(labels, ['revenu fiscal de référence (DGFIP)', 'nombre de parts (DGFIP)']);
  assert.ok((await textOf(page, '#consent-title')).includes(lyon.name), 'the consent page names the service');
  if (shots) await screenshot(page, 'data-03-broker-consent');
  return lyon;
}

test('Lyon: Vincent BERDOT accepts the tax data and gets his family quotient', {
  skip: SKIP_REASON,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await withPage(browser, 'data-accept', async (page) => {
    const lyon = await toConsent(page, true);
    await page.locator('#accept-all').click();

    await page.locator('#quotient-result').waitFor();
    assert.equal(origin(page.url()), origin(lyon.url), 'back on the Lyon service');
    assert.equal(await page.locator('#quotient-result').getAttribute('data-quotient'), '1068.06');
    const text = await pageText(page);
    assert.ok(text.includes('38 450') || text.includes('38 450'), `the RFR is shown: ${text}`);
    await screenshot(page, 'data-04-lyon-quotient');
  });
});

test('Lyon: refusing the data still logs in and offers the manual form', {
  skip: SKIP_REASON,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await withPage(browser, 'data-refuse', async (page) => {
    const lyon = await toConsent(page, false);
    await page.locator('#refuse-all').click();

    await page.locator('#quotient-fallback').waitFor();
    assert.equal(origin(page.url()), origin(lyon.url), 'back on the Lyon service');
    assert.equal(await page.locator('#quotient-fallback').getAttribute('data-fallback'), 'refused');
    assert.ok(await page.locator('#logged-in').count() > 0, 'logged in all the same');
    await screenshot(page, 'data-05-lyon-refused');
  });
});
