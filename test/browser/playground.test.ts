import type { Browser, Page } from 'playwright-core';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { PostgresSweepRepository } from '../../src/adapters/postgres/postgres-sweep.repository';
import type { SweepResult } from '../../src/workflows/sweep.workflow';
import type { RecommendResult } from '../../src/workflows/recommend.workflow';
import { loadSp500 } from '../unit/sp500-bars';
import { launchBrowser, openPage, PHONE, screenshot } from './support/browser';
import { startWebStack, type WebStack } from './support/web-stack';

const TICKERS = ['AAPL', 'MSFT'];

describe('web app: backtest playground, compare, sweep heatmap and walk-forward folds in a real browser', () => {
  let stack: WebStack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startWebStack({ tickers: TICKERS }), launchBrowser()]);
    const prices = new PostgresPriceRepository(stack.database.db);
    await prices.startRun({ runId: 'load', asOf: '2018-02-07', provider: 'csv', tickers: TICKERS });
    for (const ticker of TICKERS)
      await prices.saveIngestion({ runId: 'load', ticker, bars: loadSp500(ticker), rejected: [] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const execute = <T>(workflow: string, input: unknown, id: string) =>
    stack.temporal.client.workflow.execute(workflow, {
      taskQueue: stack.config.temporal.taskQueue,
      workflowId: id,
      args: [input],
    }) as Promise<T>;

  /** Fill the playground form: the parameter fields are generated from the strategy's schema. */
  async function fillForm(
    page: Page,
    values: {
      ticker: string;
      strategy: string;
      params?: Record<string, string>;
      from: string;
      to: string;
      feesBps?: string;
    },
  ) {
    await page.getByLabel('Ticker').fill(values.ticker);
    await page.getByLabel('Strategy').selectOption(values.strategy);
    for (const [name, value] of Object.entries(values.params ?? {}))
      await page.getByLabel(name, { exact: true }).fill(value);
    await page.getByLabel('From').fill(values.from);
    await page.getByLabel('To').fill(values.to);
    if (values.feesBps) await page.getByLabel('Fees (bps of each fill)').fill(values.feesBps);
  }

  async function runBacktest(page: Page, values: Parameters<typeof fillForm>[1]): Promise<string> {
    await fillForm(page, values);
    await page.getByRole('button', { name: 'Run backtest' }).click();
    await page.getByTestId('metrics-table').waitFor({ timeout: 60_000 });
    return new URL(page.url()).searchParams.get('id')!;
  }

  it('shows a bad parameter’s error next to that field, and starts nothing', async () => {
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/backtest');
    await page.getByLabel('fast', { exact: true }).waitFor();
    // Every registered strategy gets its parameter fields from its schema alone (no UI code per strategy).
    const { strategies } = (await stack.call('GET', '/strategies')).body as {
      strategies: Array<{ name: string; defaults: Record<string, number> }>;
    };
    expect(strategies.length).toBeGreaterThanOrEqual(6);
    for (const s of strategies) {
      await page.getByLabel('Strategy').selectOption(s.name);
      for (const [param, value] of Object.entries(s.defaults)) {
        expect(await page.getByLabel(param, { exact: true }).getAttribute('placeholder')).toBe(String(value));
      }
    }
    await fillForm(page, {
      ticker: 'AAPL',
      strategy: 'sma_cross',
      params: { fast: '40', slow: '20' },
      from: '2014-01-02',
      to: '2016-12-30',
    });
    await page.getByRole('button', { name: 'Run backtest' }).click();
    const fieldError = page.locator('[data-field-error="params.fast"]');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toMatch(/must be less than slow/);
    // Linked to its input for screen readers, and the input is marked invalid.
    const fast = page.getByLabel('fast', { exact: true });
    expect(await fast.getAttribute('aria-invalid')).toBe('true');
    expect(await fast.getAttribute('aria-describedby')).toContain(await fieldError.getAttribute('id'));
    expect(new URL(page.url()).searchParams.get('id')).toBeNull();

    // A date outside the stored data names the date field.
    await page.getByLabel('fast', { exact: true }).fill('10');
    await page.getByLabel('To').fill('2019-06-28');
    await page.getByRole('button', { name: 'Run backtest' }).click();
    await page
      .locator('[data-field-error="to"]')
      .getByText(/outside the stored data of AAPL/)
      .waitFor();
    expect(await page.locator('[data-field-error="params.fast"]').count()).toBe(0);
    await screenshot(page, 'playground-field-error');
    expect(errors).toEqual([]);
    await close();
  });

  it('runs a backtest from the playground: progress, then the chart with the trades, equity against buy-and-hold and the metrics; the URL is shareable', async () => {
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/backtest');
    await page.getByLabel('fast', { exact: true }).waitFor();
    const id = await runBacktest(page, {
      ticker: 'AAPL',
      strategy: 'sma_cross',
      params: { fast: '10', slow: '30' },
      from: '2014-01-02',
      to: '2017-12-29',
      feesBps: '5',
    });
    expect(id).toMatch(/^backtest-AAPL-sma_cross-/);

    const stored = await stack.call('GET', `/backtests/${id}`);
    expect(stored.status).toBe(200);
    const metrics = page.getByTestId('metrics-table');
    expect(await metrics.locator('[data-metric="roundTrips"]').textContent()).toBe(String(stored.body.roundTrips));
    expect(await metrics.locator('[data-metric="orders"]').textContent()).toBe(String(stored.body.orders));
    // The headline and the table read the same summary: one return, one unsigned drawdown, both counts by name.
    const headline = page.getByTestId('backtest-headline');
    const cell = (key: string) => metrics.locator(`[data-metric="${key}"]`).textContent();
    const card = (label: string) => headline.locator(`[data-headline="${label}"] strong`).textContent();
    expect(await card('Return')).toBe(await cell('totalReturnPct'));
    expect(await card('Max drawdown')).toBe(await cell('maxDrawdownPct'));
    expect(await card('Max drawdown')).not.toMatch(/^[-+]/);
    expect(await card('Orders')).toBe(String(stored.body.orders));
    expect(await card('Round trips')).toBe(String(stored.body.roundTrips));
    expect(await metrics.locator('[data-metric="sharpe"]').textContent()).toBe(stored.body.metrics.sharpe.toFixed(2));
    await page.getByRole('heading', { name: /AAPL · sma_cross \(fast=10, slow=30, trend=50\)/ }).waitFor();
    const chart = page.getByTestId('price-chart');
    const fills = stored.body.trades.length + (stored.body.initialPosition ? 1 : 0);
    expect(Number(await chart.getAttribute('data-markers'))).toBe(fills);
    expect(await chart.locator('canvas').count()).toBeGreaterThan(0);
    // The strategy's averages with these parameters are drawn over the prices, named in the legend.
    for (const line of ['SMA(10)', 'SMA(30)', 'SMA(50)']) await page.locator('.legend').getByText(line).waitFor();
    expect(await page.getByTestId('result-rules').textContent()).toMatch(/SMA\(10\) crosses above SMA\(30\)/);
    await screenshot(page, 'playground');

    // The link alone shows the same result, with its inputs back in the form.
    const shared = await openPage(browser, stack.baseUrl, PHONE);
    await shared.page.goto(`/app/backtest?id=${id}`);
    await shared.page.getByTestId('metrics-table').waitFor();
    expect(await shared.page.getByLabel('fast', { exact: true }).inputValue()).toBe('10');
    expect(await shared.page.getByLabel('Fees (bps of each fill)').inputValue()).toBe('5');
    const overflow = await shared.page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(shared.page, 'playground-phone');
    expect(shared.errors).toEqual([]);
    await shared.close();
    expect(errors).toEqual([]);
    await close();
  });

  it('compares two backtests side by side', async () => {
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/backtest');
    await page.getByLabel('fast', { exact: true }).waitFor();
    const first = await runBacktest(page, {
      ticker: 'MSFT',
      strategy: 'sma_cross',
      params: { fast: '5', slow: '20' },
      from: '2014-01-02',
      to: '2017-12-29',
    });
    await page.goto('/app/backtest');
    await page.getByLabel('Strategy').waitFor();
    const second = await runBacktest(page, {
      ticker: 'MSFT',
      strategy: 'buy_and_hold',
      from: '2014-01-02',
      to: '2017-12-29',
    });

    await page.goto('/app/compare');
    // Both runs of this browser are offered; ticking them builds the URL.
    await page.getByRole('checkbox', { name: /MSFT sma_cross/ }).check();
    await page.getByRole('checkbox', { name: /MSFT buy_and_hold/ }).check();
    await page.waitForURL((url) => url.searchParams.get('ids')?.split(',').length === 2);
    expect(new URL(page.url()).searchParams.get('ids')).toBe(`${first},${second}`);
    const table = page.getByTestId('compare-table');
    // Metric column, then one column per backtest (each loaded on its own).
    await table.locator('thead th').nth(2).waitFor();
    expect(await table.locator('thead th').count()).toBe(3);
    const returns = await table.locator('tbody tr', { hasText: 'Return' }).first().locator('td').allTextContents();
    const [a, b] = await Promise.all([
      stack.call('GET', `/backtests/${first}`),
      stack.call('GET', `/backtests/${second}`),
    ]);
    const sign = (v: number) => `${v > 0 ? '+' : ''}${v.toFixed(2)}%`;
    expect(returns).toEqual([sign(a.body.returnPct), sign(b.body.returnPct)]);
    expect(Number(await page.getByTestId('equity-chart').getAttribute('data-lines'))).toBe(2);
    await screenshot(page, 'compare');

    // At most four: a longer list is cut, and nothing more can be ticked or added.
    await page.goto(`/app/compare?ids=${first},${second},${first}-x,${second}-y,${first}-z`);
    await page.getByText('Compared (4 of 4)').waitFor();
    expect(await page.getByLabel('Add a backtest by id').isDisabled()).toBe(true);
    await page
      .getByRole('alert')
      .filter({ hasText: `${first}-x` })
      .waitFor();
    expect(
      await page
        .getByRole('alert')
        .filter({ hasText: `${first}-z` })
        .count(),
    ).toBe(0);
    expect(errors).toEqual([]);
    await close();
  });

  it('renders a sweep as a heatmap whose cells match the stored results and open the playground', async () => {
    const sweep = await execute<SweepResult>(
      'sweepWorkflow',
      { strategy: 'sma_cross', grid: 'fast=5..20:5,slow=30..90:30', tickers: TICKERS, from: '2014-01-02' },
      `sweep-browser-${Date.now()}`,
    );
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/sweeps');
    await page.getByRole('link', { name: sweep.sweepId }).click();
    const heatmap = page.getByTestId('heatmap');
    await heatmap.waitFor();
    expect(await heatmap.locator('thead th').allTextContents()).toEqual(['slow \\ fast', '5', '10', '15', '20']);
    expect(await heatmap.locator('tbody tr').count()).toBe(3);

    // One ticker: each cell is that ticker's own Sharpe of the set.
    await page.getByLabel('Ticker').selectOption('AAPL');
    await page.getByText('Sharpe on AAPL').waitFor();
    const rows = (await new PostgresSweepRepository(stack.database.db).sweepResults(sweep.sweepId)).filter(
      (r) => r.ticker === 'AAPL',
    );
    const cell = rows.find((r) => r.params.fast === 10 && r.params.slow === 60)!;
    expect(await heatmap.locator('tbody tr').nth(1).locator('td').nth(1).textContent()).toBe(cell.sharpe!.toFixed(2));
    const best = rows.reduce((x, y) => ((y.sharpe ?? -Infinity) > (x.sharpe ?? -Infinity) ? y : x));
    await page.getByTestId('heatmap-best').getByText(`fast=${best.params.fast}, slow=${best.params.slow}`).waitFor();
    await screenshot(page, 'sweep-heatmap');

    await heatmap.locator('tbody tr').nth(1).locator('td').nth(1).locator('a').click();
    await page.getByLabel('fast', { exact: true }).waitFor();
    expect(await page.getByLabel('fast', { exact: true }).inputValue()).toBe('10');
    expect(await page.getByLabel('slow', { exact: true }).inputValue()).toBe('60');
    expect(await page.getByLabel('Ticker').inputValue()).toBe('AAPL');
    expect(errors).toEqual([]);
    await close();
  });

  it('shows a ticker’s walk-forward folds: train and test windows, the choice on train, its result against buy-and-hold', async () => {
    const run = await execute<RecommendResult>(
      'recommendWorkflow',
      { tickers: ['AAPL'], strategies: ['sma_cross', 'macd_cross'] },
      `recommend-browser-${Date.now()}`,
    );
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/recommendations');
    await page.getByLabel('Ticker', { exact: true }).selectOption('AAPL');
    await page.getByTestId('recommendation-headline').waitFor();
    const folds = (await stack.call('GET', '/recommendations/AAPL/folds')).body;
    const shown = folds.candidates.find((c: { recommended: boolean }) => c.recommended) ?? folds.candidates[0];
    const table = page.getByTestId(`folds-${shown.strategy}`);
    await table.waitFor();
    expect(await table.locator('tbody tr').count()).toBe(shown.folds.length);
    const firstRow = await table.locator('tbody tr').first().locator('td').allTextContents();
    expect(firstRow[1]).toBe(`${shown.folds[0].trainFrom} … ${shown.folds[0].trainTo}`);
    expect(firstRow[3]).toBe(`${shown.folds[0].testFrom} … ${shown.folds[0].testTo}`);
    // The choice made on train, and the test result next to buy-and-hold over the same window.
    const chosen = shown.folds[0].params
      ? Object.entries(shown.folds[0].params)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')
      : 'nothing traded enough';
    expect(firstRow[2]).toContain(chosen);
    const sign = (v: number) => `${v > 0 ? '+' : ''}${v.toFixed(2)}%`;
    expect([firstRow[4], firstRow[5]]).toEqual([
      sign(shown.folds[0].test.returnPct),
      sign(shown.folds[0].buyAndHoldReturnPct),
    ]);
    expect(firstRow[6]).toContain(shown.folds[0].test.returnPct > shown.folds[0].buyAndHoldReturnPct ? 'yes' : 'no');
    if (run.tickers[0].strategy)
      expect(await page.getByTestId('recommendation-headline').textContent()).toContain(
        `Follow ${run.tickers[0].strategy}`,
      );
    await screenshot(page, 'recommendation-folds');
    expect(errors).toEqual([]);
    await close();

    // At phone width the folds and the heatmap scroll inside their tables; the page itself never does.
    const phone = await openPage(browser, stack.baseUrl, PHONE);
    for (const [url, ready] of [
      ['/app/recommendations/AAPL', `folds-${shown.strategy}`],
      ['/app/sweeps', 'sweep-list'],
    ] as const) {
      await phone.page.goto(url);
      await phone.page.getByTestId(ready).waitFor();
      expect(
        await phone.page.evaluate<number>(
          'document.documentElement.scrollWidth - document.documentElement.clientWidth',
        ),
      ).toBeLessThanOrEqual(0);
    }
    await screenshot(phone.page, 'sweeps-phone');
    expect(phone.errors).toEqual([]);
    await phone.close();
  });

  it('says in words that a public result has expired once the cleanup deleted it (last: it expires every public result)', async () => {
    const started = await stack.call('POST', '/playground/backtests', {
      ticker: 'AAPL',
      strategy: 'sma_cross',
      from: '2014-01-02',
      to: '2015-12-31',
    });
    expect(started.status).toBe(202);
    const id = started.body.id as string;
    await stack.temporal.client.workflow.result(id);
    // The cleanup judged 31 days from now (an injected clock): this result is past playground.retentionDays (30).
    const cleanup = await execute<{ deleted: number }>(
      'playgroundCleanupWorkflow',
      { at: new Date(Date.now() + 31 * 86_400_000).toISOString() },
      `playground-cleanup-browser-${Date.now()}`,
    );
    expect(cleanup.deleted).toBeGreaterThanOrEqual(1);
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto(`/app/backtest?id=${encodeURIComponent(id)}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(
      /^This result is no longer kept: backtest \S+ has expired: public playground results are deleted after 30 days .*run it again to see it\.$/,
    );
    expect(await page.getByTestId('metrics-table').count()).toBe(0);
    await screenshot(page, 'playground-expired');
    expect(errors).toEqual([]);
    await close();
  });
});
