import type { Browser } from 'playwright-core';
import { launchBrowser, openPage, PHONE, screenshot } from './support/browser';
import { startWebStack, type WebStack } from './support/web-stack';

describe('web app: home page in a real browser', () => {
  let stack: WebStack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startWebStack({ tickers: ['AAPL', 'MSFT'] }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('redirects / to /app/ and shows the start page with the tracked tickers, from local assets only', async () => {
    const root = await fetch(`${stack.baseUrl}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/app/');

    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/app/');
    await page.getByRole('heading', { level: 1, name: 'Algo Signals' }).waitFor();
    await page.getByTestId('tracked-tickers').getByText('MSFT').waitFor();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).getAttribute('aria-current')).resolves.toBe('page');
    await screenshot(page, 'home');
    expect(errors).toEqual([]);
    await close();
  });

  it('answers deep links under /app/ with the app (SPA fallback) and shows its not-found page for unknown paths', async () => {
    const deep = await fetch(`${stack.baseUrl}/app/no/such/page`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toMatch(/text\/html/);
    const asset = await fetch(`${stack.baseUrl}/app/assets/missing-123.js`);
    expect(asset.status).toBe(404);

    const { page, errors, close } = await openPage(browser, stack.baseUrl, PHONE);
    await page.goto('/app/no/such/page');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    // Nothing overflows sideways at phone width.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'not-found-phone');
    expect(errors).toEqual([]);
    await close();
  });
});
