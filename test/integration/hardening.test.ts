import type { FastifyInstance } from 'fastify';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import { apiLoggerOptions } from '../../src/api/logging';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { recordingGateway, type RecordedStart } from '../support/recording-gateway';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition, which jest cannot load (see api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const API_KEY = 'hardening-admin-key-0123456789abcdef';
const TODAY = '2024-01-05';

/** Issue 18: bad requests are 4xx naming the field, admin routes say so in the OpenAPI document, tokens stay out of the log. */
describe('a hardened API over real HTTP and Postgres', () => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let baseUrl: string;
  const started: RecordedStart[] = [];
  const logLines: string[] = [];
  const historyPages: Array<string | undefined> = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    app = buildApi({
      config: {
        tickers: ['AAPL'],
        strategies: { default: [{ name: 'sma_cross', params: {} }], perTicker: {} },
        api: {
          host: '127.0.0.1',
          port: 8000,
          apiKey: API_KEY,
          publicUrl: 'http://127.0.0.1:8000',
          tokenSecrets: ['x'.repeat(32)],
        },
      },
      subscribers: new PostgresSubscriberRepository(t.db),
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer: new NodemailerMailer({ host: '127.0.0.1', port: 1, secure: false, from: 'Algo <signals@localhost>' }),
      signer: new HmacTokenSigner('x'.repeat(32)),
      temporal: recordingGateway(started),
      backtests: {
        get: async () => null,
        storedRange: async () => ({ first: '2004-01-02', last: '2010-12-31' }),
      },
      runs: {
        // Temporal's history: one page, then a second behind the page token `tok-2`.
        history: {
          list: async ({ page }) => {
            historyPages.push(page);
            return { runs: [], nextPage: page ? null : 'tok-2' };
          },
          get: async () => null,
        },
        workflowUrl: () => 'http://temporal.test/',
      },
      today: () => TODAY,
      webApp: false,
      logger: apiLoggerOptions('info', { write: (line: string) => void logLines.push(line) }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await app?.close();
    await t?.destroy();
  });

  async function call(method: string, url: string, body?: unknown, admin = true) {
    const headers: Record<string, string> = admin ? { 'x-api-key': API_KEY } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const begin = Date.now();
    const res = await fetch(`${baseUrl}${url}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON (a page)
    }
    return { status: res.status, body: json, ms: Date.now() - begin };
  }

  it('every operation that needs the admin key says so in the OpenAPI document', async () => {
    const spec = (await call('GET', '/docs/json', undefined, false)).body as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const undocumented: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const url = path.replace(/\{[^}]+\}/g, 'AAPL');
        const res = await call(method.toUpperCase(), url, method === 'get' ? undefined : {}, false);
        if (res.status === 401 && !operation.security?.length) undocumented.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(undocumented).toEqual([]);
    for (const [path, method] of [
      ['/runs/daily', 'post'],
      ['/tickers', 'post'],
      ['/tickers/{ticker}', 'put'],
      ['/notification/{ticker}/send', 'post'],
    ])
      expect(spec.paths[path][method].security).toEqual([{ apiKey: [] }]);
  });

  it('a capital of 5e-324 is a 400 naming capital, before any run starts', async () => {
    const res = await call('POST', '/backtests', { ticker: 'AAPL', strategy: 'sma_cross', capital: 5e-324 });
    expect(res).toMatchObject({ status: 400, body: { field: 'capital' } });
    expect(String(res.body.message)).toMatch(/capital must be at least 0\.01/);
    expect(started).toEqual([]);
  });

  it('POST /runs/daily refuses a date after today, naming date', async () => {
    const res = await call('POST', '/runs/daily', { date: '9999-12-31' });
    expect(res).toMatchObject({ status: 400, body: { field: 'date' } });
    expect(started).toEqual([]);
  });

  it('GET /runs answers a garbage cursor with a 400 at once, and pages with its own cursors', async () => {
    const garbage = await call('GET', '/runs?cursor=garbage!!');
    expect(garbage).toMatchObject({ status: 400, body: { field: 'cursor' } });
    expect(garbage.ms).toBeLessThan(2000);
    expect(historyPages).toEqual([]);
    const first = await call('GET', '/runs');
    expect(first.status).toBe(200);
    const next = first.body.nextCursor as string;
    expect(next).toMatch(/^tok-2\./);
    expect((await call('GET', `/runs?cursor=${encodeURIComponent(next)}`)).body).toMatchObject({ nextCursor: null });
    expect(historyPages).toEqual([undefined, 'tok-2']);
    expect((await call('GET', `/runs?cursor=tok-3.${next.split('.')[1]}`)).status).toBe(400);
  });

  it('a backtest id carries 128 random bits', async () => {
    const res = await call('POST', '/backtests', { ticker: 'AAPL', strategy: 'sma_cross' });
    expect(res.status).toBe(202);
    expect(res.body.id).toMatch(/^backtest-AAPL-sma_cross-[0-9a-f]{32}$/);
  });

  it('link tokens never reach the log', async () => {
    const secret = 'SECRET-TOKEN-VALUE-123';
    await call('GET', `/unsubscribe?token=${secret}`, undefined, false);
    await call('GET', `/confirm?x=1&token=${secret}`, undefined, false);
    const log = logLines.join('');
    expect(log).toContain('/unsubscribe?token=[redacted]');
    expect(log).toContain('/confirm?x=1&token=[redacted]');
    expect(log).not.toContain(secret);
  });
});
