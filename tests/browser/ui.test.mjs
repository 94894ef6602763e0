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
 * `{ reject: value }`, `{ wait: ms, answer }` for a slow command, or an
 * array of those answered in turn), before the page's scripts run.
 * `window.__emit(event, payload)` plays the shell's events to the
 * listeners the interface registered. */
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
          if (answer && typeof answer === 'object' && 'wait' in answer) {
            await new Promise((resolve) => setTimeout(resolve, answer.wait));
            answer = answer.answer;
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

const CARD_FI = { id: 'france_identite', name: 'France Identité', available: true };
const CHOOSE_CARD = view({
  step: 'choose_fi',
  identity_providers: [{ id: 'impots', name: 'impots.gouv.fr', available: true }, CARD_FI],
  notice: null,
});
const CARD_LOGIN = view({
  step: 'fi_login', fi_id: 'france_identite', fi_name: 'France Identité',
  authorization_url: 'https://fi.example/card/authorize', callback_url: 'https://pivot.example/api/v2/fi/callback',
  method: 'card',
});
const CARD_CONFIRM = { ...CONFIRM, fi_name: 'France Identité' };
const readers = (...list) => ({ service: 'ready', readers: list.map(([name, card]) => ({ name, card })) });
const cardProblem = (card) => ({ reject: { code: 'card', message: 'problème de carte', card } });

/** From the service's request to the card screen, through the chooser. */
async function toCardScreen(page) {
  await page.goto(base);
  await page.locator('#request-continue').click();
  await page.locator('#fi-france_identite').click();
  await page.locator('#step-title', { hasText: "Connexion avec votre carte d'identité — France Identité" }).waitFor();
}

test('the ID card: reader status, CAN and PIN checked, a wrong PIN, then the confirmation', { skip: SKIP }, async () => {
  await withPage(browser, 'ui-card-login', async (page) => {
    await fakeShell(page, {
      pending_request: CHOOSE_CARD,
      choose_fi: CARD_LOGIN,
      card_readers: readers(['Lecteur A', 'absent']),
      card_login: [
        { wait: 400, answer: cardProblem({ problem: 'wrong_pin', tries_left: 2 }) },
        CARD_CONFIRM,
      ],
    });
    await toCardScreen(page);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'step-title', 'the focus goes to the new step');

    // The readers as the shell sees them: no card yet, nothing to send.
    await page.locator('#card-reader-status', { hasText: 'Posez votre carte sur le lecteur Lecteur A' }).waitFor();
    assert.equal(await page.locator('#card-reader-status').getAttribute('role'), 'status');
    assert.ok(await page.locator('#card-submit').isDisabled(), 'no card, no submit');
    assert.equal(await page.locator('#card-reader').count(), 0, 'one reader: no choice to make');
    await screenshot(page, 'ui-card-no-card');

    // A second reader with the card: it is chosen, and can be changed.
    await page.evaluate(() => window.__emit('card-readers', {
      service: 'ready',
      readers: [{ name: 'Lecteur A', card: 'absent' }, { name: 'Virtual PCD 00 00', card: 'present' }],
    }));
    await page.locator('#card-reader-status', { hasText: 'Carte détectée sur Virtual PCD 00 00' }).waitFor();
    assert.equal(await page.locator('#card-reader').inputValue(), 'Virtual PCD 00 00');
    assert.ok(await page.locator('#card-submit').isEnabled());

    // Plain, labelled number fields: numeric keyboard, no autofill, the PIN masked.
    for (const [id, type] of [['card-can', 'text'], ['card-pin', 'password']]) {
      const input = page.locator(`#${id}`);
      assert.equal(await input.getAttribute('type'), type, id);
      assert.equal(await input.getAttribute('inputmode'), 'numeric', id);
      assert.equal(await input.getAttribute('autocomplete'), 'off', id);
      assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, id);
    }
    assert.match(await page.locator('label[for="card-can"]').innerText(), /6 chiffres imprimés au recto de la carte, en bas à droite/);

    // Checked before anything is sent; the error is linked to its field.
    await page.locator('#card-can').fill('12345');
    await page.locator('#card-pin').fill('1234');
    await page.locator('#card-submit').click();
    await page.locator('#card-can-error').waitFor();
    assert.equal(await page.locator('#card-can').getAttribute('aria-describedby'), 'card-can-error');
    assert.equal(await page.locator('#card-can').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#card-pin-error').count(), 0);
    assert.ok(!(await calls(page)).some(([cmd]) => cmd === 'card_login'), 'an invalid form is not sent');
    await screenshot(page, 'ui-card-invalid');
    await page.locator('#card-can').fill('123456');
    await page.locator('#card-can-error').waitFor({ state: 'detached' });

    // A wrong PIN: reading, then the tries left, the PIN cleared, the CAN kept.
    await page.locator('#card-submit').click();
    await page.locator('#card-busy', { hasText: 'Lecture de la carte… ne la retirez pas' }).waitFor();
    assert.ok(await page.locator('#card-submit').isDisabled(), 'no second try while the card is read');
    await page.locator('#card-tries-left', { hasText: '2 essais restants' }).waitFor();
    assert.match(await page.locator('#card-problem').innerText(), /Code PIN incorrect/);
    assert.equal(await page.locator('#card-problem').getAttribute('role'), 'alert');
    assert.equal(await page.locator('#card-pin').inputValue(), '');
    assert.equal(await page.locator('#card-can').inputValue(), '123456');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'card-pin', 'back to the PIN');
    await screenshot(page, 'ui-card-wrong-pin');

    // The right PIN: the confirmation.
    await page.locator('#card-pin').fill('4321');
    await page.locator('#card-pin').press('Enter');
    await page.locator('#identity-birth').waitFor();
    assert.match(await pageText(page), /Identité transmise par France Identité/);

    const sent = await calls(page);
    assert.ok(!sent.some(([cmd]) => cmd === 'open_fi_login'), 'no provider window for the card');
    assert.deepEqual(sent.find(([cmd]) => cmd === 'card_readers')[1], {});
    assert.deepEqual(sent.filter(([cmd]) => cmd === 'card_login').map(([, args]) => args), [
      { request: { interaction_id: 'int-1', reader: 'Virtual PCD 00 00', can: '123456', pin: '1234' } },
      { request: { interaction_id: 'int-1', reader: 'Virtual PCD 00 00', can: '123456', pin: '4321' } },
    ]);
  });
});

test('the ID card: a refused card, a blocked PIN unblocked with the PUK, another way to log in', { skip: SKIP }, async () => {
  await withPage(browser, 'ui-card-unblock', async (page) => {
    await fakeShell(page, {
      pending_request: CHOOSE_CARD,
      choose_fi: CARD_LOGIN,
      card_readers: readers(['Lecteur A', 'present']),
      card_login: [
        { reject: { code: 'card_refused', message: 'Votre carte a expiré : demandez-en une nouvelle en mairie.' } },
        cardProblem({ problem: 'pin_blocked' }),
      ],
      card_unblock: [cardProblem({ problem: 'wrong_puk', tries_left: 2 }), null],
      card_cancel: { ...CHOOSE_CARD, notice: "La connexion avec France Identité n'a pas abouti : choisissez un autre compte." },
    });
    await toCardScreen(page);
    await page.locator('#card-reader-status', { hasText: 'Carte détectée sur Lecteur A' }).waitFor();

    // The unblocking form on demand, and back.
    await page.locator('#card-unblock-open').click();
    await page.locator('#card-puk').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'card-can', 'the focus goes to the form');
    await page.locator('#card-unblock-close').click();
    await page.locator('#card-pin').waitFor();

    // The provider refuses the card: its message as it came.
    await page.locator('#card-can').fill('123456');
    await page.locator('#card-pin').fill('1234');
    await page.locator('#card-submit').click();
    await page.locator('#card-problem', { hasText: 'Votre carte a expiré : demandez-en une nouvelle en mairie.' }).waitFor();
    assert.equal(await page.locator('#card-tries-left').count(), 0);

    // A blocked PIN: the PUK form.
    await page.locator('#card-pin').fill('1234');
    await page.locator('#card-submit').click();
    await page.locator('#card-puk').waitFor();
    assert.match(await page.locator('#card-problem').innerText(), /bloqué/);
    for (const id of ['card-puk', 'card-new-pin', 'card-new-pin-confirm']) {
      assert.equal(await page.locator(`#${id}`).getAttribute('type'), 'password', id);
      assert.equal(await page.locator(`#${id}`).getAttribute('inputmode'), 'numeric', id);
    }
    assert.equal(await page.locator('#card-can').inputValue(), '123456', 'the CAN stays');
    await screenshot(page, 'ui-card-pin-blocked');

    // The two new PINs must match.
    await page.locator('#card-puk').fill('12345678');
    await page.locator('#card-new-pin').fill('4321');
    await page.locator('#card-new-pin-confirm').fill('4320');
    await page.locator('#card-unblock-submit').click();
    await page.locator('#card-new-pin-confirm-error').waitFor();
    assert.ok(!(await calls(page)).some(([cmd]) => cmd === 'card_unblock'), 'an invalid form is not sent');

    // A wrong PUK: its tries left, the PUK cleared.
    await page.locator('#card-new-pin-confirm').fill('4321');
    await page.locator('#card-unblock-submit').click();
    await page.locator('#card-tries-left', { hasText: '2 essais restants' }).waitFor();
    assert.match(await page.locator('#card-problem').innerText(), /Code PUK incorrect/);
    assert.equal(await page.locator('#card-puk').inputValue(), '');

    // The right PUK: unblocked, back to the login form.
    await page.locator('#card-puk').fill('87654321');
    await page.locator('#card-new-pin').fill('4321');
    await page.locator('#card-new-pin-confirm').fill('4321');
    await page.locator('#card-unblock-submit').click();
    await page.locator('#card-unblocked', { hasText: 'Code PIN débloqué : connectez-vous avec votre nouveau code' }).waitFor();
    assert.equal(await page.locator('#card-puk').count(), 0);
    assert.equal(await page.locator('#card-pin').inputValue(), '');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'card-pin');
    await screenshot(page, 'ui-card-unblocked');

    const unblocks = (await calls(page)).filter(([cmd]) => cmd === 'card_unblock').map(([, args]) => args);
    assert.deepEqual(unblocks, [
      { request: { reader: 'Lecteur A', can: '123456', puk: '12345678', new_pin: '4321' } },
      { request: { reader: 'Lecteur A', can: '123456', puk: '87654321', new_pin: '4321' } },
    ]);

    // Another way to log in: the providers again, with the broker's notice.
    await page.locator('#card-cancel').click();
    await page.locator('#fi-notice', { hasText: "n'a pas abouti" }).waitFor();
    assert.deepEqual((await calls(page)).find(([cmd]) => cmd === 'card_cancel')[1], { interactionId: 'int-1' });
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
