import type { Browser } from 'playwright-core';
import { expectAccessible, launchBrowser, openPage, PHONE, screenshot } from './support/browser';
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

  it('the axe-core check every screenshot runs fails on a page with an unlabelled field and an image without alt text', async () => {
    const { page, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/no/such/page');
    await page.evaluate(
      `document.body.insertAdjacentHTML('beforeend', ${JSON.stringify('<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">')})`,
    );
    await expect(expectAccessible(page, 'broken page')).rejects.toThrow(/critical image-alt.*\n.*label/s);
    await close();
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
    await expect(
      page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).getAttribute('aria-current'),
    ).resolves.toBe('page');
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
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'not-found-phone');
    expect(errors).toEqual([]);
    await close();
  });

  it('draws the shared price chart (candles, overlay, markers, equity pane) and shows a field error next to its field', async () => {
    const { page, errors, close } = await openPage(browser, stack.baseUrl);
    await page.goto('/app/dev/components');
    const chart = page.getByTestId('price-chart');
    await chart.waitFor();
    expect(await chart.getAttribute('data-markers')).toBe('2');
    // lightweight-charts draws on canvases inside the container; two panes plus the scales.
    await page.waitForFunction("document.querySelectorAll('[data-testid=price-chart] canvas').length >= 4");
    const painted = await page.evaluate<boolean>(`(() => {
      const c = [...document.querySelectorAll('[data-testid=price-chart] canvas')].sort((a, b) => b.width * b.height - a.width * a.height)[0];
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const colours = new Set();
      for (let i = 0; i < d.length; i += 4 * 97) colours.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
      return colours.size > 3;
    })()`);
    expect(painted).toBe(true);
    const email = page.getByLabel('Email');
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await email.getAttribute('aria-describedby')) ?? '';
    const error = page.locator('[data-field-error=email]');
    expect(await error.textContent()).toBe('invalid email address');
    expect(describedBy.split(' ')).toContain(await error.getAttribute('id'));
    await expect(page.getByRole('alert').filter({ hasText: 'something else went wrong' }).count()).resolves.toBe(1);
    await screenshot(page, 'dev-components');
    expect(errors).toEqual([]);
    await close();
  });
});
