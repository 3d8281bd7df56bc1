import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { CsvMarketDataProvider } from '../../src/adapters/market-data/csv-market-data.provider';
import { latestSignalDay } from '../../src/services/demo.service';
import { previousTradingDay } from '../../src/domain/calendar';
import { addDays } from '../../src/domain/dates';
import { waitFor } from '../support/mail';
import { launchBrowser, openPage, PHONE, screenshot, SCREENSHOT_DIR } from './support/browser';
import { startWebStack, type WebStack } from './support/web-stack';

/** One screenshot per page for the README. */
const DOCS_SCREENSHOTS = path.resolve(__dirname, '../../docs/screenshots');
const keepForDocs = (name: string) => {
  fs.mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
  fs.copyFileSync(path.join(SCREENSHOT_DIR, `${name}.png`), path.join(DOCS_SCREENSHOTS, `${name}.png`));
};

const EMAIL = 'ann@example.com';

describe('web app: research pages in a real browser (ticker, signal, track record, runs)', () => {
  let stack: WebStack;
  let browser: Browser;
  let date: string;
  let signalLink: string;

  /** A daily run through the API (as an admin would start one), awaited on Temporal. */
  async function runDaily(day: string): Promise<unknown> {
    const started = await stack.call('POST', '/runs/daily', { date: day }, true);
    expect(started.status).toBe(202);
    return stack.temporal.client.workflow.getHandle(started.body.workflowId).result();
  }

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startWebStack({ tickers: ['AAPL', 'MSFT'] }), launchBrowser()]);
    const { config } = stack;
    date = await latestSignalDay({
      provider: new CsvMarketDataProvider(config.marketData.csvDir),
      tickers: config.tickers,
      strategies: config.strategies,
    });
    const subscribed = await stack.call('PUT', '/tickers/AAPL', { emails: [EMAIL], confirmed: true }, true);
    expect(subscribed.status).toBe(200);
    expect((await stack.call('PUT', '/tickers/MSFT', { emails: [EMAIL], confirmed: true }, true)).status).toBe(200);
    // A first run a year earlier starts every strategy's state; the run of `date` then steps through
    // the year in between (recording every day's signal) and emails the year's BUYs and SELLs with its own.
    await runDaily(previousTradingDay(addDays(date, -364)));
    await runDaily(date);
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('opens a signal page from the link in the email and shows that day marked on the chart', async () => {
    const mail = await stack.waitForMail(EMAIL, new RegExp(date));
    const links = [...mail.text.matchAll(/Why: (\S+)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(1);
    signalLink = links.find((l) => l.endsWith(`/${date}`))!;
    expect(signalLink).toMatch(new RegExp(`^${stack.baseUrl}/app/signals/[A-Z]+/[a-z_%3A]+/${date}$`));
    const [ticker, strategy] = new URL(signalLink).pathname.split('/').slice(3).map(decodeURIComponent);

    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto(signalLink);
    const heading = page.getByRole('heading', { level: 1 });
    await heading.filter({ hasText: `${ticker} on ${date}` }).waitFor();
    const side = (await heading.locator('span').textContent())!;
    expect(['BUY', 'SELL']).toContain(side);
    const chart = page.getByTestId('price-chart');
    await chart.waitFor();
    expect(Number(await chart.getAttribute('data-markers'))).toBeGreaterThanOrEqual(1);
    expect(await chart.getAttribute('aria-label')).toContain(`around ${date}`);
    await page.waitForFunction("document.querySelectorAll('[data-testid=price-chart] canvas').length >= 2");
    // The marker of that day is drawn: the API's markers for the chart window include it.
    const api = await stack.call('GET', `/signals/${ticker}/${encodeURIComponent(strategy)}/${date}`);
    expect(api.body.signal.signal).toBe(side);
    const window = await stack.call(
      'GET',
      `/tickers/${ticker}/chart?strategy=${encodeURIComponent(strategy)}&from=${api.body.chartWindow.from}&to=${api.body.chartWindow.to}`,
    );
    expect(window.body.markers).toContainEqual({ date, signal: side, strategy });
    expect(await page.getByTestId('signal-rule').textContent()).toBe(api.body.strategy.rules);
    await page.getByTestId('signal-inputs').getByRole('rowheader', { name: 'close' }).waitFor();
    await expect(page.getByTestId('forward-returns').getByRole('row').count()).resolves.toBe(4);
    await screenshot(page, 'signal');
    keepForDocs('signal');
    expect(errors).toEqual([]);
    await close();
  });

  it('ticker page: the strategy chart with its recorded signals, state per strategy and the latest signals table', async () => {
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/tickers');
    await page.getByTestId('ticker-list').getByRole('link', { name: /AAPL/ }).click();
    await page.getByRole('heading', { level: 1, name: 'AAPL' }).waitFor();
    const chart = page.getByTestId('price-chart');
    await chart.waitFor();
    const recorded = await stack.call(
      'GET',
      `/tickers/AAPL/chart?strategy=sma_cross&from=${addDays(date, -365)}&to=${date}`,
    );
    expect(recorded.body.markers.length).toBeGreaterThan(1);
    await page.waitForFunction(
      `document.querySelector('[data-testid=price-chart]')?.getAttribute('data-markers') === '${recorded.body.markers.length}'`,
    );
    await expect(page.getByTestId('chart-rule').textContent()).resolves.toContain(
      'BUY when SMA(7) crosses above SMA(21)',
    );
    const states = page.getByTestId('strategy-states');
    await states.getByRole('rowheader', { name: /macd_cross/ }).waitFor();
    const latest = page.getByTestId('latest-signals');
    expect(await latest.getByRole('row').count()).toBeGreaterThan(2);
    await screenshot(page, 'ticker');
    keepForDocs('ticker');

    // Another strategy: its own indicators in the pane below, its own markers; the window in the URL.
    await page.getByLabel('Strategy', { exact: true }).selectOption('macd_cross');
    await page.waitForURL(/strategy=macd_cross/);
    await page.getByTestId('chart-rule').filter({ hasText: 'MACD line' }).waitFor();
    await page.getByRole('button', { name: '3 years' }).click();
    await page.waitForURL(new RegExp(`from=${addDays(date, -3 * 365)}`));
    await page.getByRole('link', { name: 'why?' }).first().click();
    await page.waitForURL(/\/app\/signals\//);
    await page.getByTestId('forward-returns').waitFor();
    expect(errors).toEqual([]);
    await close();

    const phone = await openPage(browser, stack.baseUrl, PHONE);
    await phone.page.goto('/app/tickers/AAPL');
    await phone.page.getByTestId('latest-signals').waitFor();
    const overflow = await phone.page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(phone.page, 'ticker-phone');
    expect(phone.errors).toEqual([]);
    await phone.close();
  });

  it('track record: the emailed signals with their hit rates beside the backtest before them', async () => {
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/track-record');
    const table = page.getByTestId('track-record');
    await table.waitFor();
    const api = await stack.call('GET', '/track-record');
    expect(api.body.items.length).toBeGreaterThan(0);
    // Header rows plus one per (ticker, strategy) emailed.
    await expect(table.locator('tbody tr').count()).resolves.toBe(api.body.items.length);
    const first = api.body.items[0];
    await table.getByRole('rowheader', { name: first.ticker }).first().waitFor();
    await screenshot(page, 'track-record');
    keepForDocs('track-record');
    // A bad filter shows its error next to the field.
    await page.getByLabel('Ticker').fill('not a ticker!');
    await page.getByRole('button', { name: 'Show' }).click();
    const fieldError = page.locator('[data-field-error=ticker]');
    await fieldError.waitFor();
    expect(await page.getByLabel('Ticker').getAttribute('aria-invalid')).toBe('true');
    expect(errors).toEqual([]);
    await close();
  });

  it('runs page asks for the admin key, refuses a wrong one, then lists the runs with their Temporal links', async () => {
    const listed = await stack.call('GET', '/runs', undefined, true);
    expect([listed.status, listed.body.message]).toEqual([200, undefined]);
    expect(listed.body.items).toHaveLength(2);
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/runs');
    await page.getByLabel('Admin key').fill('wrong-key');
    await page.getByRole('button', { name: 'Show runs' }).click();
    await page.locator('[data-field-error=apiKey]').filter({ hasText: 'refused' }).waitFor();
    expect(await page.evaluate<string | null>("sessionStorage.getItem('algo.adminKey')")).toBeNull();
    await page.getByLabel('Admin key').fill(stack.apiKey);
    await page.getByRole('button', { name: 'Show runs' }).click();
    const table = page.getByTestId('runs');
    await table.waitFor();
    await waitFor('both daily runs listed', async () => (await table.locator('tbody tr.run').count()) === 2, 10_000);
    const row = table.locator('tbody tr.run').filter({ hasText: date });
    await expect(row.getByRole('cell', { name: 'completed' }).count()).resolves.toBe(1);
    // A daily run started from the API has the id the CLI gives it: daily-<date>.
    const link = row.getByRole('link', { name: `daily-${date}`, exact: true });
    const href = (await link.getAttribute('href'))!;
    expect(href).toMatch(new RegExp(`/namespaces/default/workflows/daily-${date}/[0-9a-f-]+/history$`));
    // The key stays in this tab's session storage only.
    expect(await page.evaluate<string | null>("sessionStorage.getItem('algo.adminKey')")).toBe(stack.apiKey);
    await screenshot(page, 'runs');
    keepForDocs('runs');
    expect(errors).toEqual([]);
    await close();
  });
});
