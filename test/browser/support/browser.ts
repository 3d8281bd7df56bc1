import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); `.ci/run` installs it when missing. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where every browser test keeps its screenshots (the README's come from here). */
export const SCREENSHOT_DIR = path.resolve(__dirname, '../../../.data/screenshots');

/** A phone's viewport (iPhone SE class) and a laptop's. */
export const PHONE = { width: 375, height: 740 };
export const DESKTOP = { width: 1280, height: 900 };

/** Launch headless Chromium with the flags this machine needs (no sandbox as root, no GPU, no background network). */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A page plus the errors it raised (uncaught exceptions and console.error), which tests assert to be empty. */
export interface TestPage {
  page: Page;
  context: BrowserContext;
  errors: string[];
  close(): Promise<void>;
}

/** A fresh context (no shared cookies or storage) and page at `viewport`; every request outside `baseUrl` is refused (no CDN, no network). */
export async function openPage(browser: Browser, baseUrl: string, viewport = DESKTOP): Promise<TestPage> {
  const context = await browser.newContext({ viewport, baseURL: baseUrl });
  const origin = new URL(baseUrl).origin;
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    errors.push(`request outside the app: ${url}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // A 4xx the page asked for on purpose (a field error) is logged by Chromium as a failed resource: not an error of the page.
    if (
      msg.type() === 'error' &&
      !/Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())
    )
      errors.push(`console: ${msg.text()}`);
  });
  return { page, context, errors, close: () => context.close() };
}

/** Save a full-page screenshot as `.data/screenshots/<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
