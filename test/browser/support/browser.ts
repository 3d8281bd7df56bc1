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

/** axe-core's own bundle, evaluated in the page (an evaluated script is not subject to the app's CSP). */
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/**
 * Run axe-core (WCAG 2 A/AA rules) over the page as it is now; throws listing
 * every serious or critical violation, with the elements it found them on.
 */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    // In the page: axe is the global the bundle defined; document is the page's own.
    const inPage = globalThis as unknown as {
      axe: { run(context: unknown, options: object): Promise<{ violations: AxeViolation[] }> };
      document: unknown;
    };
    const result = await inPage.axe.run(inPage.document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (serious.length > 0) {
    const lines = serious.map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} (${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 5)
          .join('; ')})`,
    );
    throw new Error(`axe-core on ${label} (${page.url()}):\n${lines.join('\n')}`);
  }
}

/**
 * Check the page with axe-core (see {@link expectAccessible}), then save a
 * full-page screenshot as `.data/screenshots/<name>.png`; returns its path.
 * Every page state a test looks at passes through here, so every page is checked.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  await expectAccessible(page, name);
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
