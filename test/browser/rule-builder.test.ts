import type { Browser } from 'playwright-core';
import { PostgresPriceRepository } from '../../src/adapters/postgres/postgres-price.repository';
import { loadSp500 } from '../unit/sp500-bars';
import { launchBrowser, openPage, PHONE, screenshot } from './support/browser';
import { startWebStack, type WebStack } from './support/web-stack';

describe('web app: the rule builder in a real browser (preview in words, field errors, shareable URL, admin save, backtest)', () => {
  let stack: WebStack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startWebStack({ tickers: ['AAPL'] }), launchBrowser()]);
    // Stored prices for the backtest of an unsaved rule.
    const prices = new PostgresPriceRepository(stack.database.db);
    await prices.startRun({ runId: 'load', asOf: '2018-02-07', provider: 'csv', tickers: ['AAPL'] });
    await prices.saveIngestion({ runId: 'load', ticker: 'AAPL', bars: loadSp500('AAPL'), rejected: [] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('writes a rule with live words, shows a typo at its field, shares it by URL and saves it with the admin key', async () => {
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/strategies/new');
    const words = page.getByTestId('rule-words');
    await words.filter({ hasText: /^BUY when/ }).waitFor();
    expect(await words.textContent()).toMatch(/^BUY when SMA\(10\) crosses above SMA\(30\)/);

    // The operator list comes from the API's rule language.
    const { body: language } = await stack.call('GET', '/strategies/rule-language');
    const offered = await page
      .getByLabel('Entry 1: operator')
      .locator('option')
      .evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
    expect(offered).toEqual([...language.comparators, ...language.crosses]);

    // A typo: its error is under that very field, and the words wait for the fix.
    await page.getByLabel('Entry 1: right operand').fill('sma(slwo)');
    const fieldError = page.locator('[data-field-error="entry.0.right"]');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toMatch(/slwo.*did you mean slow/);
    expect(await page.getByLabel('Entry 1: right operand').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Entry 1: right operand').fill('sma(slow)');
    await fieldError.waitFor({ state: 'detached' });

    // A second entry condition and a new name; the words follow.
    await page.getByRole('button', { name: 'Add an entry condition' }).click();
    await page.getByLabel('Entry 2: left operand').fill('rsi(14)');
    await page.getByLabel('Entry 2: operator').selectOption('<');
    await page.getByLabel('Entry 2: right operand').fill('70');
    await page.getByLabel('Strategy name').fill('builder_cross');
    await words.filter({ hasText: 'RSI(14) is below 70' }).waitFor();
    await page.waitForURL(/builder_cross/);
    const shared = page.url();
    await screenshot(page, 'rule-builder');

    // The link carries the whole rule: a fresh tab opens the same builder.
    const other = await openPage(browser, stack.baseUrl, PHONE);
    await other.page.goto(shared);
    await other.page.getByLabel('Entry 2: left operand').waitFor();
    expect(await other.page.getByLabel('Strategy name').inputValue()).toBe('builder_cross');
    expect(await other.page.getByLabel('Entry 2: right operand').inputValue()).toBe('70');
    await other.page.getByTestId('rule-words').filter({ hasText: 'RSI(14) is below 70' }).waitFor();
    await screenshot(other.page, 'rule-builder-phone');
    expect(other.errors).toEqual([]);
    await other.close();

    // Saving needs the admin key: none, then a wrong one, then the right one.
    await page.getByRole('button', { name: 'Save strategy' }).click();
    await page.locator('[data-field-error="adminKey"]').waitFor();
    await page.getByLabel('Admin key').fill('not-the-key');
    await page.getByRole('button', { name: 'Save strategy' }).click();
    await page.locator('[data-field-error="adminKey"]', { hasText: 'refused' }).waitFor();
    expect((await stack.call('GET', '/strategies')).body.strategies.map((s: { name: string }) => s.name)).not.toContain(
      'builder_cross',
    );
    await page.getByLabel('Admin key').fill(stack.apiKey);
    await page.getByRole('button', { name: 'Save strategy' }).click();
    await page.getByTestId('saved').waitFor();
    const listed = (await stack.call('GET', '/strategies')).body.strategies.find(
      (s: { name: string }) => s.name === 'builder_cross',
    );
    expect(listed).toMatchObject({
      origin: 'saved',
      rule: { entry: { all: ['sma(fast) crosses_above sma(slow)', 'rsi(14) < 70'] } },
    });
    expect(await page.getByTestId('saved').textContent()).toContain(`version ${listed.version}`);

    // Saved, it is a strategy like the others: the playground offers it.
    await page.getByRole('link', { name: 'Backtest it' }).click();
    await page.getByLabel('fast', { exact: true }).waitFor();
    expect(await page.getByLabel('Strategy').inputValue()).toBe('builder_cross');
    expect(errors).toEqual([]);
    await close();
  }, 180_000);

  it('backtests the unsaved rule without the admin key and shows the result with the rule in words, by its own link', async () => {
    const rule = {
      name: 'unsaved_cross',
      description: 'SMA(fast) crossing SMA(slow) while RSI(14) is under 70',
      parameters: { fast: { default: 10, min: 2, max: 100 }, slow: { default: 30, min: 5, max: 300 } },
      entry: { all: ['sma(fast) crosses_above sma(slow)', 'rsi(14) < 70'] },
      exit: 'sma(fast) crosses_below sma(slow)',
    };
    const { body: preview } = await stack.call('POST', '/strategies/preview', rule);
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto(`/app/strategies/new?rule=${encodeURIComponent(JSON.stringify(rule))}`);
    await page.getByTestId('rule-words').filter({ hasText: preview.rules }).waitFor();

    // A ticker without stored prices: the error is under the ticker field, nothing starts.
    await page.getByLabel('Ticker to backtest on').fill('ZZZZ');
    await page.getByRole('button', { name: 'Backtest this rule' }).click();
    await page.locator('[data-field-error="ticker"]', { hasText: 'unknown ticker ZZZZ' }).waitFor();

    // No key in this tab: the public playground runs it.
    await page.getByLabel('Ticker to backtest on').fill('AAPL');
    await page.getByRole('button', { name: 'Backtest this rule' }).click();
    await page.waitForURL(/\/app\/backtest\?id=backtest-AAPL-unsaved_cross-[0-9a-f]{32}$/);
    await page.getByTestId('metrics-table').waitFor({ timeout: 60_000 });
    const id = new URL(page.url()).searchParams.get('id')!;
    const { body: chart } = await stack.call('GET', `/backtests/${id}/chart`);
    expect(chart.rule).toMatchObject(rule);
    expect(chart.rules).toBe(preview.rules);
    expect(chart.overlays.length).toBeGreaterThan(0);
    expect(await page.getByTestId('result-rules').textContent()).toContain(`Rule (unsaved): ${preview.rules}`);
    expect(await page.getByLabel('Strategy', { exact: true }).inputValue()).toBe('unsaved_cross');
    // Nothing was saved.
    const names = (await stack.call('GET', '/strategies')).body.strategies.map((s: { name: string }) => s.name);
    expect(names).not.toContain('unsaved_cross');
    await screenshot(page, 'rule-builder-backtest');

    // The result's link alone (another visitor, a phone) shows the same result and rule, and leads back to the builder.
    const other = await openPage(browser, stack.baseUrl, PHONE);
    await other.page.goto(`/app/backtest?id=${id}`);
    await other.page.getByTestId('metrics-table').waitFor({ timeout: 60_000 });
    expect(await other.page.getByTestId('result-rules').textContent()).toContain(preview.rules);
    await screenshot(other.page, 'rule-builder-backtest-phone');
    await other.page.getByRole('link', { name: 'Open it in the rule builder' }).click();
    await other.page.getByTestId('rule-words').filter({ hasText: preview.rules }).waitFor();
    expect(await other.page.getByLabel('Strategy name').inputValue()).toBe('unsaved_cross');
    expect(other.errors).toEqual([]);
    await other.close();
    expect(errors).toEqual([]);
    await close();
  }, 180_000);
});
