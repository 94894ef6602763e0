// The citizen space in headless Chromium: Jeanne DUPONT logs in on the
// mairie, finds the alert in the sandbox's mailbox, opens her space (a fresh
// login through the broker itself), reads her history, blocks MSA (then
// missing from her chooser), trusts her browser and reports a connection.
//
// Run by scripts/browser-test.sh (see data.test.mjs).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  SKIP_REASON,
  citizen,
  launchBrowser,
  loadReady,
  offeredFis,
  origin,
  pageText,
  screenshot,
  service,
  withPage,
} from './support.mjs';

const TEST_TIMEOUT_MS = 120_000;

let browser;
let ready;

before(async () => {
  if (SKIP_REASON) return;
  ready = await loadReady();
  if (!ready.mailbox) throw new Error('the ready file names no mailbox');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** Chooser → provider login form → confirmation, as `who` at `fiId`. */
async function logInAt(page, fiId, who) {
  await page.locator(`button[name=fi][value=${fiId}]`).click();
  const form = page.locator('form:has(input[name=password])');
  await form.locator('input[name=login]').fill(who.login);
  await form.locator('input[name=password]').fill(who.password);
  await form.locator('button[type=submit]').click();
  await page.locator('#continue').waitFor();
}

test('citizen space: alert, history, blocked provider, trusted device, report', {
  skip: SKIP_REASON,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await withPage(browser, 'space', async (page) => {
    const mairie = service(ready, 'mairie');
    const jeanne = citizen(ready, 'jeanne-dupont', 'impots');

    // Jeanne logs in on the mairie with impots.gouv.fr.
    await page.goto(mairie.url);
    await page.locator('#franceconnect').click();
    await logInAt(page, 'impots', jeanne);
    await page.locator('#continue').click();
    await page.locator('#logged-in').waitFor();

    // The alert reaches the sandbox's mail server.
    await page.goto(ready.mailbox);
    const row = page.locator('#mails tr', { hasText: 'jeanne.dupont@example.fr' }).first();
    for (let i = 0; (await row.count()) === 0; i++) {
      if (i > 30) throw new Error('no alert for Jeanne in the mailbox');
      await page.waitForTimeout(300);
      await page.reload();
    }
    await row.locator('a').click();
    await page.locator('#subject').waitFor();
    assert.equal(
      (await page.locator('#subject').textContent()).trim(),
      `Alerte de connexion au service ${mairie.name} avec FranceConnect`,
    );
    const mail = await page.locator('#text').textContent();
    assert.ok(mail.includes('impots.gouv.fr') && mail.includes('/espace'), mail);
    await screenshot(page, 'space-01-alert-mail');

    // Her space: the broker sends her through its own login (ameli this time).
    await page.goto(`${ready.broker}/espace`);
    const viaAmeli = citizen(ready, 'jeanne-dupont', 'ameli');
    await logInAt(page, 'ameli', viaAmeli);
    await page.locator('#continue').click();
    await page.locator('#history-title').waitFor();
    assert.equal(origin(page.url()), origin(ready.broker));
    const services = await page.locator('.history-service').allTextContents();
    assert.ok(services.some((s) => s.includes(mairie.name)), `history: ${services}`);
    await screenshot(page, 'space-02-history');

    // Preferences: blocking ameli.fr (in use) is refused; MSA can be blocked.
    await page.locator('#nav-preferences').click();
    await page.locator('#preferences-title').waitFor();
    await page.locator('label[for=allow-ameli]').click();
    await page.locator('#preferences-save').click();
    await page.locator('#preferences-error').waitFor();
    assert.ok((await pageText(page)).includes('ameli.fr'));
    await page.locator('label[for=allow-msa]').click();
    await page.locator('#preferences-save').click();
    await page.locator('#preferences-saved').waitFor();
    assert.equal(await page.locator('#allow-msa').isChecked(), false);
    assert.equal(await page.locator('#allow-ameli').isChecked(), true);
    await screenshot(page, 'space-03-preferences');

    // Devices: this browser is listed; she trusts it.
    await page.locator('#nav-devices').click();
    await page.locator('#devices-title').waitFor();
    await page.locator('#trust-this-device').click();
    await page.locator('.device-trusted').first().waitFor();
    await screenshot(page, 'space-04-devices');

    // On this device (only its cookie carried into a fresh session), MSA is
    // gone from the chooser.
    const device = (await page.context().cookies(ready.broker)).find((c) => c.name.endsWith('_device'));
    assert.ok(device, 'the broker set a device cookie');
    const fresh = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
    try {
      await fresh.addCookies([device]);
      const other = await fresh.newPage();
      await other.goto(service(ready, 'mediatheque').url);
      await other.locator('#franceconnect').click();
      await other.locator('button[name=fi]').first().waitFor();
      const fis = await offeredFis(other);
      assert.ok(!fis.includes('msa') && fis.includes('impots'), `offered: ${fis}`);
      await screenshot(other, 'space-07-chooser-without-msa');
    } finally {
      await fresh.close();
    }

    // Reporting a connection from the history.
    await page.goto(`${ready.broker}/espace`);
    await page.locator('.history-report').first().click();
    await page.locator('#report-title').waitFor();
    assert.ok((await page.locator('#report-connection').textContent()).length > 0);
    await page.locator('#contact-email').fill('jeanne.secours@example.fr');
    await page.locator('#report-message').fill("Je ne me suis pas connectée à ce service.");
    await screenshot(page, 'space-05-report-form');
    await page.locator('#report-send').click();
    await page.locator('#report-ack').waitFor();
    const reference = (await page.locator('#report-reference').textContent()).trim();
    assert.match(reference, /^SIG-/);
    await screenshot(page, 'space-06-report-received');
  });
});
