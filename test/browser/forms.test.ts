import type { Browser, Page } from 'playwright-core';
import { CsvMarketDataProvider } from '../../src/adapters/market-data/csv-market-data.provider';
import { latestSignalDay } from '../../src/services/demo.service';
import { DESKTOP, launchBrowser, openPage, screenshot } from './support/browser';
import { startWebStack, type WebStack } from './support/web-stack';

/** What has the keyboard focus: its role, test id and text. */
const focused = (page: Page) =>
  page.evaluate<{ role: string | null; testId: string | null; text: string }>(`(() => {
    const el = document.activeElement;
    return {
      role: el?.getAttribute('role') ?? null,
      testId: el?.getAttribute('data-testid') ?? null,
      text: el?.textContent?.trim() ?? '',
    };
  })()`);

describe('web app: forms for people (Enter on a checkbox, focus on the result, sentences at fields, runs, favicon)', () => {
  let stack: WebStack;
  let browser: Browser;
  let date: string;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startWebStack({ tickers: ['AAPL', 'MSFT'] }), launchBrowser()]);
    const { config } = stack;
    date = await latestSignalDay({
      provider: new CsvMarketDataProvider(config.marketData.csvDir),
      tickers: config.tickers,
      strategies: config.strategies,
    });
    const started = await stack.call('POST', '/runs/daily', { date }, true);
    expect(started.status).toBe(202);
    await stack.temporal.client.workflow.getHandle(started.body.workflowId).result();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('Enter on a checkbox toggles it and does not submit the form', async () => {
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/subscribe');
    const aapl = page.getByRole('group', { name: 'Tracked tickers' }).getByLabel('AAPL');
    await aapl.focus();
    // A submit asks for the proof of work's challenge, then posts: neither may happen.
    const sent: string[] = [];
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (request.method() === 'POST' || pathname === '/subscriptions/challenge') sent.push(pathname);
    });
    await page.keyboard.press('Enter');
    await page.getByTestId('pick-AAPL').waitFor();
    expect(await aapl.isChecked()).toBe(true);
    // A strategy's checkbox too: Enter ticks it, as Space does, and again unticks it.
    const sma = page.getByRole('group', { name: 'Strategies for AAPL' }).getByLabel('sma_cross');
    await sma.focus();
    await page.keyboard.press('Enter');
    expect(await sma.isChecked()).toBe(true);
    await page.keyboard.press('Enter');
    expect(await sma.isChecked()).toBe(false);
    // Nothing was sent: no POST, no error of an empty email.
    await page.waitForTimeout(300);
    expect(sent).toEqual([]);
    expect(await page.locator('[data-field-error=email]').count()).toBe(0);
    expect(await page.getByTestId('form-result').textContent()).toBe('');
    await screenshot(page, 'forms-enter-on-checkbox');
    expect(errors).toEqual([]);
    await close();
  });

  it('after a submit the focus moves to the announced result: the error sentence, then the success', async () => {
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/subscribe');
    await page.getByRole('group', { name: 'Tracked tickers' }).getByLabel('MSFT').check();
    await page.getByLabel('Email').fill('ann@@example');
    await page.getByRole('button', { name: 'Send me the confirmation link' }).click();
    // The API's sentence shows at its field, and in the result, which has the focus.
    const emailError = page.locator('[data-field-error=email]');
    await emailError.waitFor();
    expect(await emailError.textContent()).toBe('Email is not a valid email address.');
    expect(await focused(page)).toEqual({
      role: 'alert',
      testId: 'form-result',
      text: 'Email is not a valid email address.',
    });
    await screenshot(page, 'forms-focus-on-error');

    // The same error after another submit takes the focus again (a user who tabbed away hears it again).
    await page.getByLabel('Email').focus();
    await page.getByRole('button', { name: 'Send me the confirmation link' }).click();
    await page.waitForFunction("document.activeElement?.getAttribute('data-testid') === 'form-result'");

    await page.getByLabel('Email').fill('focus@example.com');
    await page.getByRole('button', { name: 'Send me the confirmation link' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await page.waitForFunction("document.activeElement?.getAttribute('data-testid') === 'subscribe-sent'");
    expect(await focused(page)).toEqual({
      role: 'status',
      testId: 'subscribe-sent',
      text: 'We sent a confirmation link to focus@example.com.',
    });
    await screenshot(page, 'forms-focus-on-success');
    expect(errors).toEqual([]);
    await close();
  });

  it("a backtest's limits read as sentences at their fields, not validator output", async () => {
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/backtest');
    await page.getByLabel('fast', { exact: true }).waitFor();
    await page.getByLabel('Ticker').fill('AAPL');
    await page.getByLabel('Capital').fill('0.001');
    await page.getByRole('button', { name: 'Run backtest' }).click();
    const capital = page.locator('[data-field-error=capital]');
    await capital.waitFor();
    expect(await capital.textContent()).toBe('Capital must be at least 0.01.');
    expect((await focused(page)).text).toBe('Capital must be at least 0.01.');

    await page.getByLabel('Capital').fill('1000');
    await page.getByLabel('Slippage (bps)').fill('20000');
    await page.getByRole('button', { name: 'Run backtest' }).click();
    const slippage = page.locator('[data-field-error=slippageBps]');
    await slippage.waitFor();
    expect(await slippage.textContent()).toBe('Slippage must be below 10,000 bps.');
    expect(await page.getByLabel('Slippage (bps)').getAttribute('aria-invalid')).toBe('true');
    expect(await focused(page)).toEqual({
      role: 'alert',
      testId: 'form-result',
      text: 'Slippage must be below 10,000 bps.',
    });
    expect(await page.locator('[data-field-error=capital]').count()).toBe(0);
    expect(new URL(page.url()).searchParams.get('id')).toBeNull();
    await screenshot(page, 'forms-sentence-at-field');
    expect(errors).toEqual([]);
    await close();
  });

  it('the runs table shows its Temporal link at 1280 px without scrolling sideways', async () => {
    const { page, errors, close } = await openPage(browser, stack.baseUrl, DESKTOP);
    expect(DESKTOP.width).toBe(1280);
    await page.goto('/app/runs');
    await page.getByLabel('Admin key').fill(stack.apiKey);
    await page.getByRole('button', { name: 'Show runs' }).click();
    const link = page.getByTestId('runs').getByRole('link', { name: `daily-${date}`, exact: true });
    await link.waitFor();
    // The key's answer has the focus.
    expect(await focused(page)).toMatchObject({ role: 'status', testId: 'form-result' });
    const wrap = page.locator('.table-wrap').filter({ has: page.getByTestId('runs') });
    const overflow = await wrap.evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const box = (await link.boundingBox())!;
    const visible = (await wrap.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(visible.x);
    expect(box.x + box.width).toBeLessThanOrEqual(visible.x + visible.width);
    expect(box.x + box.width).toBeLessThanOrEqual(DESKTOP.width);
    await screenshot(page, 'forms-runs-1280');
    expect(errors).toEqual([]);
    await close();
  });

  it('serves a favicon: the linked icon and /favicon.ico answer 200, and no page asks for a missing one', async () => {
    const ico = await fetch(`${stack.baseUrl}/favicon.ico`);
    expect(ico.status).toBe(200);
    expect(ico.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await ico.text()).toMatch(/^<svg /);

    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    const missing: string[] = [];
    page.on('response', (response) => {
      if (response.status() === 404) missing.push(response.url());
    });
    await page.goto('/app/');
    await page.getByRole('heading', { level: 1, name: 'Algo Signals' }).waitFor();
    const href = await page.locator('link[rel=icon]').getAttribute('href');
    expect(href).toBe('/app/favicon.svg');
    const icon = await page.request.get(href!);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toMatch(/^image\/svg\+xml/);
    // Chromium asks for the icon itself once the page has loaded.
    await page.waitForTimeout(500);
    expect(missing).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  });
});
