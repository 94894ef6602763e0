// Shared helpers for the browser tests: the sandbox's ready file, a headless
// Debian Chromium driven by playwright-core, screenshots and failure dumps.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

/** Path of the JSON file the sandbox writes once every server listens. */
export const READY_FILE = process.env.PIVOT_READY_FILE;

/** Why the tests are skipped when run outside scripts/browser-test.sh. */
export const SKIP_REASON = READY_FILE
  ? false
  : 'PIVOT_READY_FILE is not set: run scripts/browser-test.sh (or make test)';

/** Where screenshots go: outside git, kept by CI as artifacts. */
export const SCREENSHOT_DIR = path.resolve(
  process.env.PIVOT_SCREENSHOT_DIR ??
    path.join(process.env.ARTIFACTS_DIR ?? 'artifacts', 'screenshots'),
);

export const CHROMIUM = process.env.PIVOT_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a closed network: without the background-networking ones
 * Chromium keeps trying to reach Google's hosts. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Default timeout of every Playwright action and wait, in ms. */
export const STEP_TIMEOUT_MS = 15_000;

/** The sandbox description: broker, services, identity providers, citizens. */
export async function loadReady() {
  const ready = JSON.parse(await readFile(READY_FILE, 'utf8'));
  for (const key of ['broker', 'services', 'identity_providers', 'citizens']) {
    if (ready[key] === undefined) {
      throw new Error(`ready file ${READY_FILE} has no "${key}"`);
    }
  }
  if (ready.services.length === 0) throw new Error('the sandbox lists no service');
  return ready;
}

export function citizen(ready, key, fi) {
  const c = ready.citizens.find((c) => c.key === key && c.fi === fi);
  if (!c) throw new Error(`no citizen "${key}" at FI "${fi}" in the ready file`);
  return c;
}

export function identityProvider(ready, id) {
  const fi = ready.identity_providers.find((f) => f.id === id);
  if (!fi) throw new Error(`no identity provider "${id}" in the ready file`);
  return fi;
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

/** A fresh context (own cookies) and page, French locale, fixed viewport. */
export async function newPage(browser) {
  const context = await browser.newContext({
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  page.on('pageerror', (err) => console.log(`page error on ${page.url()}: ${err.message}`));
  return { context, page };
}

/** Full-page screenshot named `<name>.png` in SCREENSHOT_DIR. */
export async function screenshot(page, name) {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Runs `body(page)`; on failure saves a screenshot and the HTML of the page
 * it failed on (`<name>-FAILED.png/.html`) and says where it was. */
export async function withPage(browser, name, body) {
  const { context, page } = await newPage(browser);
  try {
    await body(page);
  } catch (err) {
    try {
      await mkdir(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-FAILED.png`), fullPage: true });
      await writeFile(path.join(SCREENSHOT_DIR, `${name}-FAILED.html`), await page.content());
      console.log(`${name} failed on ${page.url()}; see ${SCREENSHOT_DIR}/${name}-FAILED.{png,html}`);
    } catch {
      // The page may be gone; the original error matters more.
    }
    throw err;
  } finally {
    await context.close();
  }
}

/** The visible text of the page, whitespace (incl. no-break spaces) collapsed. */
export async function pageText(page) {
  return (await page.locator('body').innerText()).replace(/\s+/g, ' ').trim();
}

/** Trimmed text of the single element matching `selector`. */
export async function textOf(page, selector) {
  return ((await page.locator(selector).textContent()) ?? '').trim();
}

export function origin(url) {
  return new URL(url).origin;
}

/** The demo service with this slug (`mairie`, `renovation`…). */
export function service(ready, slug) {
  const s = ready.services.find((s) => s.slug === slug);
  if (!s) throw new Error(`no service "${slug}" in the ready file`);
  return s;
}

/** The values of the chooser's enabled FI buttons (`button[name=fi]`). */
export async function offeredFis(page) {
  return page
    .locator('button[name=fi]:not([disabled])')
    .evaluateAll((els) => els.map((el) => el.value));
}

/** Opens `fi`'s demo phone page in a second tab of `page`'s context and
 * returns the latest valid one-time code sent to `login`, reloading until it
 * shows (the page lists the latest first). The tab is left open for the
 * caller's screenshot and closed by `close()`. */
export async function readOneTimeCode(page, fi, login, { attempts = 10 } = {}) {
  if (!fi.phone) throw new Error(`identity provider "${fi.id}" has no phone page`);
  const phone = await page.context().newPage();
  phone.setDefaultTimeout(STEP_TIMEOUT_MS);
  const row = phone
    .locator(`tr.otp-message[data-login="${login.toLowerCase()}"][data-state=valid]`)
    .first();
  await phone.goto(fi.phone);
  for (let i = 1; (await row.count()) === 0; i++) {
    if (i >= attempts) throw new Error(`no valid code for ${login} on ${fi.phone}`);
    await phone.waitForTimeout(300);
    await phone.reload();
  }
  const code = await row.getAttribute('data-code');
  return { code, phone, close: () => phone.close() };
}
