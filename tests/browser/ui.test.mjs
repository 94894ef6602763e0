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

/** Installs a fake shell answering from `answers` (command → value,
 * `{ reject: value }`, or an array of those answered in turn), before the
 * page's scripts run. `window.__emit(event, payload)` plays the shell's
 * events to the listeners the interface registered. */
async function fakeShell(page, answers) {
  await page.addInitScript((answers) => {
    window.__calls = [];
    window.__listeners = {};
    const turns = {};
    window.__TAURI__ = {
      core: {
        invoke: async (cmd, args) => {
          window.__calls.push([cmd, args]);
          let answer = answers[cmd];
          if (Array.isArray(answer)) {
            const i = turns[cmd] ?? 0;
            turns[cmd] = i + 1;
            answer = answer[Math.min(i, answer.length - 1)];
          }
          if (answer && typeof answer === 'object' && 'reject' in answer) throw answer.reject;
          return answer === undefined ? null : answer;
        },
      },
      event: {
        listen: async (event, handler) => {
          (window.__listeners[event] ??= []).push(handler);
          return () => {};
        },
      },
    };
    window.__emit = (event, payload) => {
      for (const handler of window.__listeners[event] ?? []) handler({ event, id: 0, payload });
    };
  }, answers);
}

const calls = (page) => page.evaluate(() => window.__calls);

/** The broker's view of a login at `step` (pivot_proto::interaction). */
function view(step) {
  return {
    id: 'int-1',
    service: { client_id: 'fs-lyon', name: 'Mairie de Lyon', public_service: false },
    level: 'eidas2',
    identity_items: ['Prénoms', 'Nom de naissance', 'Date de naissance'],
    data: [
      { scope: 'dgfip_rfr', label: 'revenu fiscal de référence', provider_id: 'dgfip', provider_name: 'DGFIP' },
      { scope: 'cnaf_qf', label: 'quotient familial', provider_id: 'cnaf', provider_name: 'CNAF' },
    ],
    ...step,
  };
}

const CHOOSE_FI = view({
  step: 'choose_fi',
  identity_providers: [
    { id: 'impots', name: 'impots.gouv.fr', available: true },
    { id: 'eidas3', name: "Carte d'identité", available: false },
  ],
  notice: 'La connexion avec ameli.fr a échoué : choisissez un autre compte.',
});
const FI_LOGIN = view({
  step: 'fi_login', fi_id: 'impots', fi_name: 'impots.gouv.fr',
  authorization_url: 'https://fi.example/authorize', callback_url: 'https://pivot.example/api/v2/fi/callback',
});
const REGISTRY = view({ step: 'registry_unavailable', fi_name: 'impots.gouv.fr', retry_after_secs: 5 });
const CONFIRM = view({
  step: 'confirm', fi_name: 'impots.gouv.fr', agreement_required: true,
  identity: {
    given_name: 'Angela Claire', family_name: 'DUBOIS', female: true,
    birthdate: '24 août 1962', birthplace: 'Paris 14e Arrondissement, FRANCE',
  },
});
const CONSENT = view({ step: 'consent' });
const RETURN = view({ step: 'return', success: true, redirect_url: 'https://fs.example/cb?code=c' });
const REFUSED = view({
  step: 'refused', code: 'Y010003', title: 'Identité non reconnue',
  message: "L'état civil ne reconnaît pas cette identité : contactez votre mairie de naissance.",
});

test('outside the app the interface says so instead of failing', { skip: SKIP }, async () => {
  await withPage(browser, 'ui-not-in-app', async (page) => {
    await page.goto(base);
    await page.locator('#status-message').waitFor();
    assert.match(await pageText(page), /fonctionne dans l'application Pivot/);
    assert.equal(await page.locator('a[href="#main"]').count(), 1, 'the skip link stays');
    await screenshot(page, 'ui-not-in-app');
  });
});

test('a service login: who asks, FI choice, provider window, registry, confirmation, consent', { skip: SKIP }, async () => {
  await withPage(browser, 'ui-login', async (page) => {
    await fakeShell(page, {
      pending_request: CHOOSE_FI,
      choose_fi: FI_LOGIN,
      open_fi_login: FI_LOGIN,
      retry_registry: CONFIRM,
      confirm: CONSENT,
      consent: RETURN,
    });
    await page.goto(base);

    // Who asks, at which level, for which identity and data, first.
    await page.locator('#request-service').waitFor();
    assert.equal((await page.locator('#request-service').innerText()).trim(), 'Mairie de Lyon');
    assert.match(await page.locator('#request-kind').textContent(), /entreprise privée/);
    assert.match(await page.locator('#request-level').innerText(), /substantiel/);
    assert.match(await page.locator('#request-identity').innerText(), /Nom de naissance/);
    assert.match(await page.locator('#request-data').innerText(), /quotient familial — fournie par CNAF/);
    await screenshot(page, 'ui-login-request');

    // The providers: the notice first, the one below the level greyed.
    await page.locator('#request-continue').click();
    await page.locator('#fi-notice').waitFor();
    assert.ok(await page.locator('#fi-eidas3').isDisabled(), 'a provider below the level cannot be chosen');
    assert.match(await pageText(page), /n'offre pas le niveau de garantie/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'step-title', 'the focus goes to the new step');
    await screenshot(page, 'ui-fi-list');
    await page.locator('#fi-impots').click();

    // The provider's window is open; closed by the citizen, it can be reopened.
    await page.locator('#step-title', { hasText: 'Connexion en cours chez impots.gouv.fr' }).waitFor();
    await page.evaluate(() => window.__emit('fi-login-closed', 'int-1'));
    await page.locator('#fi-reopen').click();
    await screenshot(page, 'ui-fi-login');

    // The shell sends the provider's answer: the registry does not answer.
    await page.evaluate((v) => window.__emit('interaction-updated', v), REGISTRY);
    await page.locator('#registry-retry').click();

    // The confirmation of a private service needs the agreement.
    await page.locator('#identity-birth').waitFor();
    assert.match(await page.locator('#identity-birth').innerText(), /née le 24 août 1962 à Paris 14e/);
    assert.ok(await page.locator('#confirm-continue').isDisabled(), 'no confirmation without the agreement');
    await page.locator('label[for="confirm-agreement"]').click();
    await page.locator('label[for="confirm-trust"]').click();
    await screenshot(page, 'ui-confirm');
    await page.locator('#confirm-continue').click();

    // DSFR draws the box on the label: click it, as a user would.
    await page.locator('label[for="scope-cnaf_qf"]').click();
    assert.ok(await page.locator('#scope-cnaf_qf').isChecked());
    await screenshot(page, 'ui-consent');
    await page.locator('#accept-some').click();

    await page.locator('#done-message').waitFor();
    assert.match(await pageText(page), /Retournez sur votre navigateur/);
    assert.match(await page.locator('#done-message').innerText(), /connecté à Mairie de Lyon/);
    await screenshot(page, 'ui-login-done');

    const sent = await calls(page);
    const args = (name) => sent.find(([cmd]) => cmd === name)[1];
    assert.deepEqual(args('choose_fi'), { interactionId: 'int-1', fiId: 'impots' });
    assert.deepEqual(args('open_fi_login'), { interactionId: 'int-1' });
    assert.deepEqual(args('retry_registry'), { interactionId: 'int-1' });
    assert.deepEqual(args('confirm'), { interactionId: 'int-1', identityAgreement: true, trustDevice: true });
    assert.deepEqual(args('consent'), { interactionId: 'int-1', accepted: ['cnaf_qf'] });
  });
});

test('a refused login goes back to the service; an error handed back says so', { skip: SKIP }, async () => {
  await withPage(browser, 'ui-login-refused', async (page) => {
    await fakeShell(page, {
      pending_request: CHOOSE_FI,
      choose_fi: { reject: { code: 'returned_to_service', message: 'Votre compte est désactivé : le service en est informé.' } },
    });
    await page.goto(base);
    await page.locator('#request-continue').click();
    await page.locator('#fi-impots').click();
    await page.locator('#done-message', { hasText: 'Votre compte est désactivé' }).waitFor();
    assert.match(await pageText(page), /Retournez sur votre navigateur/);
  });
  await withPage(browser, 'ui-login-refused-step', async (page) => {
    await fakeShell(page, { pending_request: CHOOSE_FI, choose_fi: FI_LOGIN, cancel: view({ step: 'return', success: false, redirect_url: 'https://fs.example/cb?error=access_denied' }) });
    await page.goto(base);
    await page.locator('#request-continue').click();
    await page.locator('#fi-impots').click();
    await page.locator('#fi-cancel').waitFor();
    await page.evaluate((v) => window.__emit('interaction-updated', v), REFUSED);
    await page.locator('#refused-code', { hasText: 'Y010003' }).waitFor();
    assert.match(await pageText(page), /contactez votre mairie de naissance/);
    await screenshot(page, 'ui-login-refused');
    await page.locator('#refused-back').click();
    await page.locator('#done-message', { hasText: "n'a pas abouti" }).waitFor();
    assert.deepEqual((await calls(page)).find(([cmd]) => cmd === 'cancel')[1], { interactionId: 'int-1' });
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
    await page.locator('#home-title', { hasText: 'Bonjour Angela' }).waitFor();

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
