// The citizen app's interface (ui/dist, built by scripts/build-ui.sh) in
// headless Chromium, with a scripted stand-in for the Tauri shell
// (window.__TAURI__.core.invoke) that records every command it receives.
//
// Needs no sandbox; skipped when ui/dist has not been built (make ui).
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { launchBrowser, pageText, screenshot, withPage } from './support.mjs';

const DIST = path.resolve('ui/dist');
const SKIP = existsSync(path.join(DIST, 'pivot_ui.js'))
  ? false
  : 'ui/dist is not built: run scripts/build-ui.sh (make ui)';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};

let server;
let base;
let browser;

before(async () => {
  if (SKIP) return;
  server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const wanted = url.pathname === '/' ? '/index.html' : decodeURIComponent(url.pathname);
    const file = path.join(DIST, path.normalize(wanted));
    if (!file.startsWith(DIST)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

/** Installs a fake shell answering from `answers` (command → value, or
 * `{ reject: value }`), before the page's scripts run. */
async function fakeShell(page, answers) {
  await page.addInitScript((answers) => {
    window.__calls = [];
    window.__TAURI__ = {
      core: {
        invoke: async (cmd, args) => {
          window.__calls.push([cmd, args]);
          const answer = answers[cmd];
          if (answer && typeof answer === 'object' && 'reject' in answer) throw answer.reject;
          return answer === undefined ? null : answer;
        },
      },
    };
  }, answers);
}

const calls = (page) => page.evaluate(() => window.__calls);

const REQUEST = {
  id: 'int-1',
  service: 'Mairie de Lyon',
  level: 'eidas2',
  data: [
    { scope: 'dgfip_rfr', label: 'revenu fiscal de référence', provider_id: 'dgfip', provider_name: 'DGFIP' },
    { scope: 'cnaf_qf', label: 'quotient familial', provider_id: 'cnaf', provider_name: 'CNAF' },
  ],
  identity_providers: [
    { id: 'impots', name: 'impots.gouv.fr' },
    { id: 'ameli', name: 'ameli.fr', blocked: true },
  ],
};

test('outside the app the interface says so instead of failing', { skip: SKIP }, async () => {
  await withPage(browser, 'ui-not-in-app', async (page) => {
    await page.goto(base);
    await page.locator('#status-message').waitFor();
    assert.match(await pageText(page), /fonctionne dans l'application Pivot/);
    assert.equal(await page.locator('a[href="#main"]').count(), 1, 'the skip link stays');
    await screenshot(page, 'ui-not-in-app');
  });
});

test('a login request: who asks, FI choice, only the ticked datum is shared', { skip: SKIP }, async () => {
  await withPage(browser, 'ui-login', async (page) => {
    await fakeShell(page, { pending_request: REQUEST, choose_fi: 'consent_needed', consent: null });
    await page.goto(base);
    await page.locator('#request-service').waitFor();
    assert.equal((await page.locator('#request-service').innerText()).trim(), 'Mairie de Lyon');
    assert.match(await page.locator('#request-level').innerText(), /substantiel/);
    await screenshot(page, 'ui-login-request');

    await page.getByRole('button', { name: 'Continuer' }).click();
    assert.ok(await page.locator('#fi-ameli').isDisabled(), 'a blocked provider cannot be chosen');
    await page.locator('#fi-impots').click();

    // DSFR draws the box on the label: click it, as a user would.
    await page.locator('label[for="scope-cnaf_qf"]').click();
    assert.ok(await page.locator('#scope-cnaf_qf').isChecked());
    await screenshot(page, 'ui-consent');
    await page.locator('#accept-some').click();
    await page.locator('#status-message').waitFor();
    assert.match(await pageText(page), /Connexion terminée/);

    const sent = await calls(page);
    assert.deepEqual(sent.find(([cmd]) => cmd === 'choose_fi')[1], { requestId: 'int-1', fiId: 'impots' });
    assert.deepEqual(sent.find(([cmd]) => cmd === 'consent')[1], { requestId: 'int-1', scopes: ['cnaf_qf'] });
  });
});

test('citizen space: history filter, in-use provider, report check, expiry, English', { skip: SKIP }, async () => {
  await withPage(browser, 'ui-space', async (page) => {
    await fakeShell(page, {
      pending_request: null,
      sign_in: { given_name: 'Angela' },
      history: {
        since: 0,
        entries: [
          { reference: 'r2', kind: 'connection', at: 1741183620, service: 'CAF', identity_provider: 'ameli.fr', acr: 'eidas1', data: [], data_provider: null },
          { reference: 'r1', kind: 'connection', at: 1741000000, service: 'Mairie de Lyon', identity_provider: 'impots.gouv.fr', acr: 'eidas1', data: [], data_provider: null },
        ],
      },
      preferences: {
        connection_alerts: true,
        identity_providers: [
          { id: 'impots', name: 'impots.gouv.fr', blocked: false, in_use: true },
          { id: 'ameli', name: 'ameli.fr', blocked: false, in_use: false },
        ],
      },
      update_preferences: {
        connection_alerts: true,
        identity_providers: [
          { id: 'impots', name: 'impots.gouv.fr', blocked: false, in_use: true },
          { id: 'ameli', name: 'ameli.fr', blocked: true, in_use: false },
        ],
      },
      devices: { reject: { code: 'session_expired', message: 'expired' } },
    });
    await page.goto(base);
    await page.locator('#home-title').waitFor();
    await page.locator('button.fr-btn', { hasText: 'Se connecter' }).first().click();
    await page.locator('#sign-in').click();
    await page.locator('#home-title', { hasText: 'Angela' }).waitFor();

    await page.getByRole('button', { name: 'Historique' }).first().click();
    await page.locator('table tbody tr').first().waitFor();
    assert.equal(await page.locator('table tbody tr').count(), 2);
    await page.locator('#filter-service').selectOption('CAF');
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 1);
    await screenshot(page, 'ui-history');

    await page.getByRole('button', { name: 'Préférences' }).first().click();
    await page.locator('#allow-impots').waitFor();
    assert.ok(await page.locator('#allow-impots').isDisabled(), 'the provider in use cannot be blocked');
    assert.match(await pageText(page), /ne peut pas être bloqué/);
    await page.locator('label[for="allow-ameli"]').click();
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.locator('#status-message', { hasText: 'Préférences enregistrées' }).waitFor();
    const update = (await calls(page)).find(([cmd]) => cmd === 'update_preferences')[1];
    assert.deepEqual(update, { update: { blocked_fis: ['ameli'], connection_alerts: true } });
    await screenshot(page, 'ui-preferences');

    await page.getByRole('button', { name: 'Signaler' }).first().click();
    await page.locator('#report-contact').fill('pas une adresse');
    await page.locator('#report-message').fill('Ce n’était pas moi.');
    await page.getByRole('button', { name: 'Envoyer' }).click();
    await page.locator('#report-contact-error').waitFor();
    assert.ok(!(await calls(page)).some(([cmd]) => cmd === 'report'), 'an invalid report is not sent');

    await page.getByRole('button', { name: 'Appareils' }).first().click();
    await page.locator('#sign-in').waitFor();
    assert.match(await pageText(page), /session a expiré/);

    await page.getByRole('button', { name: 'English' }).click();
    await page.locator('#sign-in', { hasText: 'Sign in' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  });
});
