import type { Browser } from 'playwright-core';
import { launchBrowser, openPage, PHONE, screenshot } from './support/browser';
import { startWebStack, type WebStack } from './support/web-stack';

describe('web app: the rule builder in a real browser (preview in words, field errors, shareable URL, admin save)', () => {
  let stack: WebStack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startWebStack({ tickers: ['AAPL'] }), launchBrowser()]);
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
});
