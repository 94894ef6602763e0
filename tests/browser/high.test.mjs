// End-to-end journeys through the sandbox's high platform (FranceConnect+)
// in headless Chromium: service -> FranceConnect+ button -> high broker's FI
// chooser -> La Poste password -> one-time code read on the FI's demo phone
// -> broker's confirmation -> back on the service, which decrypts the ID
// token and userinfo and shows the identity, the level and the RNIPP table.
// Also the low platform's civil-registry correction, seen on its
// confirmation page.
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
  offeredFis,
  origin,
  pageText,
  readOneTimeCode,
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
  for (const key of ['broker_high', 'issuer_high', 'registry']) {
    if (ready[key] === undefined) throw new Error(`the ready file has no "${key}"`);
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** Fills and submits the demo FI's login form. */
async function logInAtFi(page, fi, account, shot) {
  const loginForm = page.locator('form:has(input[name=password])');
  await loginForm.locator('input[name=login]').waitFor();
  assert.equal(origin(page.url()), origin(fi.url), `the login page is served by the ${fi.id} demo FI`);
  await loginForm.locator('input[name=login]').fill(account.login);
  await loginForm.locator('input[name=password]').fill(account.password);
  await screenshot(page, shot);
  await loginForm.locator('button[type=submit]').click();
}

test('FranceConnect+: Carmen GARCIA signs in with La Poste and a one-time code on the renovation service', {
  skip: SKIP_REASON,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const renovation = service(ready, 'renovation');
  assert.equal(renovation.platform, 'high', 'the renovation service uses the high platform');
  const laposte = identityProvider(ready, 'laposte');
  assert.ok(laposte.phone, 'La Poste has a demo phone page');
  const carmen = citizen(ready, 'carmen-garcia', 'laposte');

  await withPage(browser, 'high', async (page) => {
    const csp = [];
    page.on('console', (msg) => {
      if (msg.text().includes('Content Security Policy')) csp.push(`${page.url()}: ${msg.text()}`);
    });

    // 1. The service's home page, and its FranceConnect+ button.
    await page.goto(renovation.url);
    await page.locator('#franceconnect').waitFor();
    assert.ok(
      (await page.locator('#franceconnect').getAttribute('class')).split(/\s+/).includes('fr-connect--plus'),
      'the button is the FranceConnect+ one (fr-connect--plus)',
    );
    assert.ok((await pageText(page)).includes(renovation.name), `the home page names "${renovation.name}"`);
    await screenshot(page, 'high-01-service-home');
    await page.locator('#franceconnect').click();

    // 2. The high broker's FI chooser: La Poste only (the eidas1-only FIs
    //    are not offered).
    await page.locator('button[name=fi]').first().waitFor();
    assert.equal(origin(page.url()), origin(ready.broker_high), 'the FI chooser is served by the high broker');
    assert.ok((await pageText(page)).includes(renovation.name), `the chooser names the service "${renovation.name}"`);
    const offered = await offeredFis(page);
    assert.ok(offered.includes('laposte'), `La Poste is offered (offered: ${offered.join(', ')})`);
    for (const weak of ['impots', 'ameli', 'msa']) {
      assert.ok(!offered.includes(weak), `${weak} is not offered on FranceConnect+ (offered: ${offered.join(', ')})`);
    }
    await screenshot(page, 'high-02-broker-fi-chooser');
    await page.locator('button[name=fi][value=laposte]').click();

    // 3. La Poste's login page, which announces the second factor.
    await page.locator('#second-factor-notice').waitFor();
    await logInAtFi(page, laposte, carmen, 'high-03-fi-login');

    // 4. The one-time-code page.
    const otpForm = page.locator('form#otp-form');
    await otpForm.locator('input[name=code]').waitFor();
    assert.equal(origin(page.url()), origin(laposte.url), 'the one-time-code page is served by La Poste');
    assert.ok((await pageText(page)).includes(carmen.login), 'the code page names the account');
    await screenshot(page, 'high-04-fi-code');

    // 5. The code, read on the demo phone in a second tab.
    const sms = await readOneTimeCode(page, laposte, carmen.login);
    assert.match(sms.code, /^[0-9]{6}$/, 'a 6-digit code');
    await screenshot(sms.phone, 'high-05-fi-phone');
    await sms.close();

    await page.bringToFront();
    await otpForm.locator('input[name=code]').fill(sms.code);
    await screenshot(page, 'high-06-fi-code-filled');
    await otpForm.locator('button[type=submit]').click();

    // 6. The high broker's confirmation page.
    await page.locator('#continue').waitFor();
    assert.equal(origin(page.url()), origin(ready.broker_high), 'the confirmation page is served by the high broker');
    const confirmation = await pageText(page);
    for (const expected of ['Bienvenue', 'Carmen Isabel GARCIA', 'née le 23/05/1981', 'ESPAGNE']) {
      assert.ok(confirmation.includes(expected), `the confirmation page says "${expected}"; it says: ${confirmation}`);
    }
    assert.ok(
      (await textOf(page, '#continue')).includes(renovation.name),
      `#continue names the service ("Continuer sur ${renovation.name}")`,
    );
    await screenshot(page, 'high-07-broker-confirmation');
    await page.locator('#continue').click();

    // 7. Back on the service: level, identity (birth country by name) and
    //    the civil registry's identity.
    await page.locator('#logged-in').waitFor();
    assert.equal(origin(page.url()), origin(renovation.url), 'back on the service');
    assert.equal(await page.locator('#acr').getAttribute('data-acr'), 'eidas2');
    assert.equal(await textOf(page, 'td[data-idtoken-claim=acr]'), 'eidas2');
    assert.equal(await textOf(page, 'td[data-identity=given_name]'), 'Carmen Isabel');
    assert.equal(await textOf(page, 'td[data-identity=family_name]'), 'GARCIA');
    assert.equal(await textOf(page, 'td[data-identity=birthplace]'), 'ESPAGNE');

    await page.locator('table#identity-rnipp').waitFor();
    assert.equal(await textOf(page, 'td[data-rnipp-identity=given_name]'), 'Carmen Isabel');
    assert.equal(await textOf(page, 'td[data-rnipp-identity=family_name]'), 'GARCIA');
    assert.equal(await textOf(page, 'td[data-rnipp-identity=birthplace]'), 'ESPAGNE');
    const rnippClaims = await page
      .locator('td[data-claim^="rnipp_"]')
      .evaluateAll((els) => els.map((el) => el.dataset.claim));
    for (const claim of ['rnipp_given_name', 'rnipp_family_name', 'rnipp_birthdate', 'rnipp_birthcountry']) {
      assert.ok(rnippClaims.includes(claim), `userinfo has ${claim} (has: ${rnippClaims.join(', ')})`);
    }
    assert.match(await textOf(page, 'td[data-claim=sub]'), /^[0-9a-f]{64}v1$/, 'sub is 64 hex digits then "v1"');
    await screenshot(page, 'high-08-service-claims');

    if (csp.length) console.log(`CSP messages during the FranceConnect+ journey:\n${csp.join('\n')}`);
  });
});

test('FranceConnect: the confirmation page shows Sophie LEFEBVRE\'s registry-corrected given names', {
  skip: SKIP_REASON,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const mairie = service(ready, 'mairie');
  assert.equal(mairie.platform, 'low', 'the mairie uses the low platform');
  const laposte = identityProvider(ready, 'laposte');
  const sophie = citizen(ready, 'sophie-lefebvre', 'laposte');

  await withPage(browser, 'high-mairie', async (page) => {
    await page.goto(mairie.url);
    await page.locator('#franceconnect').waitFor();
    assert.ok(
      !(await page.locator('#franceconnect').getAttribute('class')).split(/\s+/).includes('fr-connect--plus'),
      'the mairie shows the plain FranceConnect button',
    );
    await page.locator('#franceconnect').click();
    await page.locator('button[name=fi][value=laposte]').waitFor();
    assert.equal(origin(page.url()), origin(ready.broker), 'the FI chooser is served by the low broker');
    await page.locator('button[name=fi][value=laposte]').click();

    // eidas1: the password is enough, no one-time code.
    await logInAtFi(page, laposte, sophie, 'high-mairie-01-fi-login');

    await page.locator('#continue').waitFor();
    assert.equal(origin(page.url()), origin(ready.broker), 'the confirmation page is served by the low broker');
    const welcome = await textOf(page, '#welcome');
    assert.ok(
      welcome.includes('Sophie Anne Claire LEFEBVRE'),
      `the confirmation page greets the registry's identity; it says: ${welcome}`,
    );
    await screenshot(page, 'high-mairie-02-broker-confirmation');
    await page.locator('#continue').click();

    // The service receives the registry's identity too.
    await page.locator('#logged-in').waitFor();
    assert.equal(origin(page.url()), origin(mairie.url), 'back on the mairie');
    assert.equal(await textOf(page, 'td[data-identity=given_name]'), 'Sophie Anne Claire');
    await screenshot(page, 'high-mairie-03-service-claims');
  });
});
