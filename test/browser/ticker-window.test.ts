import type { Browser } from 'playwright-core';
import { CsvMarketDataProvider } from '../../src/adapters/market-data/csv-market-data.provider';
import { latestSignalDay } from '../../src/services/demo.service';
import { addDays } from '../../src/domain/dates';
import { launchBrowser, openPage, screenshot } from './support/browser';
import { startWebStack, type WebStack } from './support/web-stack';

/** Issue 18, point 11: the ticker page says when From is after To, and can draw what the strategy would have signalled. */
describe('web app: the ticker page window (From after To, the backtest drawn apart) in a real browser', () => {
  let stack: WebStack;
  let browser: Browser;
  let date: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startWebStack({ tickers: ['AAPL'] }), launchBrowser()]);
    const { config } = stack;
    date = await latestSignalDay({
      provider: new CsvMarketDataProvider(config.marketData.csvDir),
      tickers: config.tickers,
      strategies: config.strategies,
    });
    // One run stores the prices and records that day's signals.
    const started = await stack.call('POST', '/runs/daily', { date }, true);
    expect(started.status).toBe(202);
    await stack.temporal.client.workflow.getHandle(started.body.workflowId).result();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('a window whose From is after To is said at the fields, with no empty chart; the chart API answers 400 naming from', async () => {
    const from = addDays(date, -30);
    const to = addDays(date, -200);
    const api = await stack.call('GET', `/tickers/AAPL/chart?strategy=sma_cross&from=${from}&to=${to}`);
    expect(api.status).toBe(400);
    expect(api.body.field).toBe('from');
    expect(api.body.message).toContain(`from ${from} is after to ${to}`);

    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto(`/app/tickers/AAPL?strategy=sma_cross&from=${from}&to=${to}`);
    const alert = page.locator('#window-error');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(`From (${from}) is after To (${to}): pick a From on or before To.`);
    expect(await alert.getAttribute('role')).toBe('alert');
    for (const field of ['From', 'To']) {
      const input = page.getByLabel(field, { exact: true });
      expect(await input.getAttribute('aria-invalid')).toBe('true');
      expect(await input.getAttribute('aria-describedby')).toBe('window-error');
    }
    // The rest of the page is there; the chart is not drawn.
    await page.getByTestId('strategy-states').waitFor();
    expect(await page.getByTestId('price-chart').count()).toBe(0);
    await screenshot(page, 'ticker-from-after-to');

    // Moving From back before To draws the chart again.
    await page.getByRole('button', { name: '1 year' }).click();
    await page.getByTestId('price-chart').waitFor();
    expect(await page.locator('#window-error').count()).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  it('the chart can also show what the strategy would have signalled over the window, drawn apart from the signals sent', async () => {
    const from = addDays(date, -365);
    const chart = await stack.call('GET', `/tickers/AAPL/chart?strategy=sma_cross&from=${from}&to=${date}`);
    expect(chart.status).toBe(200);
    const would: Array<{ date: string; signal: string }> = chart.body.wouldSignal;
    // A year of sma_cross has crossings; the recorded signals are the one run's only.
    expect(would.length).toBeGreaterThan(2);
    expect(chart.body.markers.length).toBeLessThan(would.length);
    for (let i = 1; i < would.length; i++) expect(would[i].signal).not.toBe(would[i - 1].signal);

    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto(`/app/tickers/AAPL?strategy=sma_cross&from=${from}&to=${date}`);
    const canvas = page.getByTestId('price-chart');
    await canvas.waitFor();
    expect(await canvas.getAttribute('data-backtest-markers')).toBe('0');
    await page.getByLabel('Also show what the strategy would have signalled over this window').check();
    await page.waitForURL(/backtest=1/);
    await page.waitForFunction(
      `document.querySelector('[data-testid=price-chart]')?.getAttribute('data-backtest-markers') === '${would.length}'`,
    );
    expect(await canvas.getAttribute('data-markers')).toBe(String(chart.body.markers.length));
    expect(await canvas.getAttribute('aria-label')).toContain(
      `${would.length} the strategy would have signalled over the window, drawn as circles apart`,
    );
    const legend = page.getByTestId('chart-legend');
    await expect(legend.textContent()).resolves.toContain('would BUY');
    await expect(legend.textContent()).resolves.toContain('would SELL (backtest over the window, never sent)');
    await page.waitForFunction("document.querySelectorAll('[data-testid=price-chart] canvas').length >= 2");
    await screenshot(page, 'ticker-would-have-signalled');
    expect(errors).toEqual([]);
    await close();
  });

  it('the runs page says a second run of a date already processed was already recorded by the first', async () => {
    const again = await stack.call('POST', '/runs/daily', { date }, true);
    expect(again.status).toBe(202);
    await stack.temporal.client.workflow.getHandle(again.body.workflowId, again.body.runId).result();
    const first = (await stack.call('GET', `/runs/daily-${date}`, undefined, true)).body.alreadyRecordedBy.runId;
    expect(first).not.toBe(again.body.runId);

    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/runs');
    await page.getByLabel('Admin key').fill(stack.apiKey);
    await page.getByRole('button', { name: 'Show runs' }).click();
    const headlines = page.getByTestId('run-headline');
    await headlines.filter({ hasText: 'already recorded' }).waitFor();
    const texts = await headlines.allTextContents();
    expect(texts).toHaveLength(2);
    expect(texts[0]).toMatch(
      new RegExp(
        `^${date}: already recorded by daily-${date} \\(run ${first}\\): \\d+ signals, 0 new, nothing to send$`,
      ),
    );
    expect(texts[1]).toMatch(new RegExp(`^${date}: \\d+ signals recorded`));
    await screenshot(page, 'runs-already-recorded');
    expect(errors).toEqual([]);
    await close();
  });
});
