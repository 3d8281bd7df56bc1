import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { signToken } from '../../src/adapters/tokens/hmac-token.signer';
import { launchBrowser, openPage, PHONE, screenshot, type TestPage } from './support/browser';
import { startWebStack, type WebStack } from './support/web-stack';

const DOCS_SCREENSHOTS = path.resolve(__dirname, '../../docs/screenshots');

/** Keep a copy for the README (one per page). */
function keepForDocs(file: string, name: string): void {
  fs.mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
  fs.copyFileSync(file, path.join(DOCS_SCREENSHOTS, `${name}.png`));
}

const linkIn = (text: string, pathPrefix: string) =>
  new RegExp(`(http://127\\.0\\.0\\.1:\\d+${pathPrefix.replace(/[/?]/g, '\\$&')}\\?token=[A-Za-z0-9_%.-]+)`).exec(
    text,
  )?.[1];

describe('web app: subscriber pages in a real browser against the real stack', () => {
  let stack: WebStack;
  let browser: Browser;
  let tab: TestPage;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startWebStack({ tickers: ['AAPL', 'MSFT'] }), launchBrowser()]);
  });
  afterAll(async () => {
    await tab?.close();
    await browser?.close();
    await stack?.stop();
  });

  it('subscribe (bad email shows its error next to the field), confirm from the email in the sink, see and change it on manage, unsubscribe from the email link', async () => {
    tab = await openPage(browser, stack.baseUrl);
    const { page, errors } = tab;

    // Subscribe: search a tracked ticker, add an untracked one, pick "recommended" for one of them.
    await page.goto('/app/subscribe');
    await page.getByLabel('Search the tracked tickers').fill('aap');
    await page.getByRole('group', { name: 'Tracked tickers' }).getByLabel('AAPL').check();
    await expect(page.getByRole('group', { name: 'Tracked tickers' }).getByLabel('MSFT').count()).resolves.toBe(0);
    await page.getByLabel('Or add a symbol that is not tracked yet').fill('ibm');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByTestId('pick-IBM').getByText('new: tracked from the next run').waitFor();
    await page.getByRole('group', { name: 'Strategies for AAPL' }).getByLabel('recommended').check();
    await page.getByRole('group', { name: 'Strategies for IBM' }).getByLabel('sma_cross').check();
    await page.getByRole('group', { name: 'Strategies for IBM' }).getByLabel('macd_cross').check();

    // A bad address: the API's 400 names the field, and the page shows it under the email field.
    await page.getByLabel('Email').fill('ann@@example');
    await page.getByRole('button', { name: 'Send me the confirmation link' }).click();
    const emailError = page.locator('[data-field-error=email]');
    await emailError.waitFor();
    expect(await emailError.textContent()).toBe('Email is not a valid email address.');
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    keepForDocs(await screenshot(page, 'subscribe-field-error'), 'subscribe');
    expect(await stack.mail()).toHaveLength(0);

    await page.getByLabel('Email').fill('Ann@Example.com');
    await page.getByRole('button', { name: 'Send me the confirmation link' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    expect(await page.getByTestId('requested').innerText()).toBe(
      'AAPL (recommended)\nIBM (sma_cross)\nIBM (macd_cross)',
    );
    await screenshot(page, 'subscribe-sent');
    // Nothing is subscribed before the link is followed.
    const before = await stack.database.db.selectFrom('subscriptions').selectAll().execute();
    expect(before).toEqual([]);

    // Confirm from the email in the sink.
    const confirmation = await stack.waitForMail('ann@example.com', /Confirm your subscription/);
    const confirmLink = linkIn(confirmation.text, '/app/confirm');
    expect(confirmLink).toBeDefined();
    // Opening the link and running its page's scripts (what a mail scanner does) confirms nothing.
    await page.goto(confirmLink!);
    await page.getByRole('heading', { name: 'Confirm your subscription' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(await stack.database.db.selectFrom('subscriptions').selectAll().execute()).toEqual([]);
    expect(await stack.database.db.selectFrom('subscription_changes').select('applied_at').execute()).toEqual([
      { applied_at: null },
    ]);
    await screenshot(page, 'confirm-ask');
    // The person's click confirms.
    await page.getByRole('button', { name: 'Confirm my subscription' }).click();
    await page.getByRole('heading', { name: 'Subscription confirmed' }).waitFor();
    expect(await page.getByTestId('subscriptions').innerText()).toBe(
      'AAPL (recommended)\nIBM (macd_cross)\nIBM (sma_cross)',
    );
    keepForDocs(await screenshot(page, 'confirm'), 'confirm');
    // A second click says so.
    await page.reload();
    await page.getByRole('button', { name: 'Confirm my subscription' }).click();
    await page.getByRole('heading', { name: 'Already confirmed' }).waitFor();

    // Manage, from the link in the email.
    const manageLink = linkIn(confirmation.text, '/app/manage');
    expect(manageLink).toBeDefined();
    await page.goto(manageLink!);
    await page.getByTestId('manage-table').waitFor();
    expect(await page.getByTestId('manage-email').textContent()).toBe('ann@example.com');
    expect(await page.getByTestId('manage-status').textContent()).toBe('receiving signals');
    expect(await page.getByTestId('manage-table').locator('tbody tr').count()).toBe(3);
    await page.getByRole('button', { name: 'Unsubscribe from IBM (macd_cross)' }).click();
    await page.getByTestId('manage-said').getByText('Removed IBM (macd_cross).').waitFor();
    await page.getByLabel('Ticker').fill('msft');
    await page.getByLabel('Strategy').selectOption('sma_cross');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByTestId('manage-said').getByText('Added MSFT (sma_cross).').waitFor();
    const rows = await stack.database.db
      .selectFrom('subscriptions')
      .select(['ticker', 'strategy'])
      .orderBy('ticker')
      .orderBy('strategy')
      .execute();
    expect(rows).toEqual([
      { ticker: 'AAPL', strategy: 'recommended' },
      { ticker: 'IBM', strategy: 'sma_cross' },
      { ticker: 'MSFT', strategy: 'sma_cross' },
    ]);
    // A bad ticker on manage: the API's 400 shows under the ticker field.
    await page.getByLabel('Ticker').fill('not a ticker!');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.locator('[data-field-error=subscriptions]').waitFor();
    expect(await page.locator('[data-field-error=subscriptions]').textContent()).toMatch(/not a ticker symbol/);
    await page.getByLabel('Ticker').fill('');
    await page.reload();
    await page.getByTestId('manage-table').waitFor();
    keepForDocs(await screenshot(page, 'manage'), 'manage');

    // Unsubscribe from the link in the email (the old /unsubscribe path lands on the app's page).
    const unsubscribeLink = linkIn(confirmation.text, '/unsubscribe');
    expect(unsubscribeLink).toBeDefined();
    await page.goto(unsubscribeLink!);
    expect(new URL(page.url()).pathname).toBe('/app/unsubscribe');
    await screenshot(page, 'unsubscribe-ask');
    await page.getByRole('button', { name: 'Unsubscribe from everything' }).click();
    await page.getByRole('heading', { name: 'Unsubscribed' }).waitFor();
    expect(await page.locator('.result').textContent()).toContain('ann@example.com will receive no more emails');
    keepForDocs(await screenshot(page, 'unsubscribe'), 'unsubscribe');
    const subscriber = await stack.database.db
      .selectFrom('subscribers')
      .select(['status'])
      .where('email', '=', 'ann@example.com')
      .executeTakeFirstOrThrow();
    expect(subscriber.status).toBe('unsubscribed');
    expect(await stack.database.db.selectFrom('subscriptions').selectAll().execute()).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('works at phone width: the subscribe page does not overflow and its controls are reachable', async () => {
    const phone = await openPage(browser, stack.baseUrl, PHONE);
    await phone.page.goto('/app/subscribe');
    await phone.page.getByRole('group', { name: 'Tracked tickers' }).getByLabel('MSFT').check();
    await phone.page.getByLabel('Email').fill('bad');
    await phone.page.getByRole('button', { name: 'Send me the confirmation link' }).click();
    await phone.page.locator('[data-field-error=email]').waitFor();
    expect(
      await phone.page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
    ).toBeLessThanOrEqual(0);
    await screenshot(phone.page, 'subscribe-phone');
    expect(phone.errors).toEqual([]);
    await phone.close();
  });

  it('an altered link says it does not work', async () => {
    const t = await openPage(browser, stack.baseUrl);
    await t.page.goto('/app/confirm?token=abc.def');
    await t.page.getByRole('button', { name: 'Confirm my subscription' }).click();
    await t.page.getByRole('heading', { name: 'This link does not work' }).waitFor();
    await t.page.goto('/app/manage?token=abc.def');
    await t.page.getByRole('heading', { name: 'This link does not work' }).waitFor();
    await t.close();
  });

  it('an expired manage link says so in plain words and "Send me a new link" emails a fresh one that works', async () => {
    const t = await openPage(browser, stack.baseUrl);
    const subscribed = await stack.call('PUT', '/tickers/MSFT', { emails: ['kim@example.com'], confirmed: true }, true);
    expect(subscribed.status).toBe(200);
    const kim = await stack.database.db
      .selectFrom('subscribers')
      .select(['id', 'email'])
      .where('email', '=', 'kim@example.com')
      .executeTakeFirstOrThrow();
    // Signed with the stack's secret, expired yesterday: as a 181-day-old manage link would be.
    const expiresAt = new Date(Date.now() - 86_400_000).toISOString();
    const claims = { purpose: 'manage' as const, subscriberId: kim.id, email: kim.email, expiresAt };
    const token = signToken(claims, stack.config.api.tokenSecrets[0]);
    await t.page.goto(`/app/manage?token=${encodeURIComponent(token)}`);
    await t.page.getByRole('heading', { name: 'This link has expired' }).waitFor();
    expect(await t.page.getByTestId('expired-message').textContent()).toMatch(
      /^This link expired on \d{4}-\d{2}-\d{2}\./,
    );
    await screenshot(t.page, 'manage-expired');
    await t.page.getByRole('button', { name: 'Send me a new link' }).click();
    await t.page.getByTestId('new-link-said').getByText('a new link is on its way').waitFor();
    await screenshot(t.page, 'manage-expired-sent');
    const mail = await stack.waitForMail('kim@example.com', /link to manage/);
    const fresh = linkIn(mail.text, '/app/manage');
    expect(fresh).toBeDefined();
    await t.page.goto(fresh!);
    await t.page.getByTestId('manage-table').waitFor();
    expect(await t.page.getByTestId('manage-email').textContent()).toBe('kim@example.com');
    expect(t.errors).toEqual([]);
    await t.close();
  });
});
