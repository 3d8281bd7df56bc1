import type { FastifyInstance } from 'fastify';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import { tradingDays } from '../../src/domain/calendar';
import type { SignalRecord } from '../../src/domain/ports';
import { createTestDatabase, type TestDatabase } from '../support/database';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition (see test/integration/api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const ADMIN = { 'x-api-key': 'paging-admin-key' };

describe('list endpoints page with limit (default 500, at most 5000) and a cursor (real Postgres)', () => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let mailer: NodemailerMailer;
  let baseUrl: string;
  let all: SignalRecord[];

  beforeAll(async () => {
    t = await createTestDatabase();
    mailer = new NodemailerMailer({ host: '127.0.0.1', port: 1, secure: false, from: 'x <x@localhost>' });
    app = buildApi({
      config: {
        tickers: ['AAPL', 'MSFT'],
        strategies: { default: [{ name: 'sma_cross', params: {} }], perTicker: {} },
        api: {
          host: '127.0.0.1',
          port: 8000,
          apiKey: ADMIN['x-api-key'],
          publicUrl: 'http://signals.test',
          tokenSecrets: ['p'.repeat(32)],
        },
      },
      subscribers: new PostgresSubscriberRepository(t.db),
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer,
      signer: new HmacTokenSigner('p'.repeat(32)),
      webApp: false,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    // 2 tickers x 2 strategies x 311 days = 1,244 signals.
    all = [];
    for (const date of tradingDays('2020-01-02', '2021-03-31')) {
      for (const ticker of ['AAPL', 'MSFT']) {
        for (const strategy of ['macd_cross', 'sma_cross'])
          all.push({ date, ticker, strategy, strategyVersion: 1, signal: 'HOLD', close: 100, inputs: {} });
      }
    }
    await new PostgresSignalRepository(t.db).record(all);
    const subscribers = new PostgresSubscriberRepository(t.db);
    for (const email of ['e@example.com', 'a@example.com', 'c@example.com', 'b@example.com', 'd@example.com']) {
      await subscribers.subscribe({
        email,
        subscriptions: [{ ticker: 'AAPL', strategy: 'sma_cross' }],
        confirmed: true,
      });
    }
    for (const ticker of ['IBM', 'KO', 'NKE']) await subscribers.trackTicker(ticker);
  });

  afterAll(async () => {
    await app.close();
    mailer.close();
    await t.destroy();
  });

  async function get(url: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${baseUrl}${url}`, { headers });
    return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  it('GET /signals: 500 by default, pages through every signal in order with nextCursor, null on the last page', async () => {
    const first = await get('/signals?from=2000-01-01');
    expect(first.status).toBe(200);
    expect(first.body.count).toBe(500);
    expect(first.body.signals).toHaveLength(500);
    const seen = [...first.body.signals];
    let cursor: string | null = first.body.nextCursor;
    let pages = 1;
    while (cursor) {
      const page = await get(`/signals?from=2000-01-01&cursor=${encodeURIComponent(cursor)}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.signals);
      cursor = page.body.nextCursor;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen.map((s: SignalRecord) => `${s.date}|${s.ticker}|${s.strategy}`)).toEqual(
      all.map((s) => `${s.date}|${s.ticker}|${s.strategy}`),
    );

    // Filters hold across pages; the last page says so.
    const small = await get('/signals?ticker=MSFT&strategy=sma_cross&from=2021-03-29&limit=2');
    expect(small.body.signals.map((s: SignalRecord) => s.date)).toEqual(['2021-03-29', '2021-03-30']);
    const last = await get(
      `/signals?ticker=MSFT&strategy=sma_cross&from=2021-03-29&limit=2&cursor=${small.body.nextCursor}`,
    );
    expect(last.body).toMatchObject({
      count: 1,
      nextCursor: null,
      signals: [{ date: '2021-03-31', ticker: 'MSFT', strategy: 'sma_cross' }],
    });

    const big = await get('/signals?from=2000-01-01&limit=5000');
    expect(big.body).toMatchObject({ count: all.length, nextCursor: null });
    expect((await get('/signals?from=2000-01-01&limit=5001')).status).toBe(400);
    expect((await get('/signals?from=2000-01-01&limit=0')).status).toBe(400);
    expect(await get('/signals?from=2000-01-01&cursor=garbage')).toMatchObject({
      status: 400,
      body: { error: 'bad_request', field: 'cursor' },
    });
  });

  it("GET /tickers and a ticker's subscribers page the same way", async () => {
    const tickers: string[] = [];
    let url: string | null = '/tickers?limit=2';
    while (url) {
      const page = await get(url);
      expect(page.status).toBe(200);
      expect(page.body.tickers.length).toBeLessThanOrEqual(2);
      tickers.push(...page.body.tickers.map((x: { ticker: string }) => x.ticker));
      url = page.body.nextCursor ? `/tickers?limit=2&cursor=${page.body.nextCursor}` : null;
    }
    expect(tickers).toEqual(['AAPL', 'IBM', 'KO', 'MSFT', 'NKE']);

    const first = await get('/tickers/AAPL?test=false&limit=3', ADMIN);
    expect(first.body.emails).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    const second = await get(`/tickers/AAPL?test=false&limit=3&cursor=${first.body.nextCursor}`, ADMIN);
    expect(second.body).toMatchObject({ emails: ['d@example.com', 'e@example.com'], nextCursor: null });
    expect((await get('/tickers/AAPL', ADMIN)).body.emails).toHaveLength(5);
  });
});
