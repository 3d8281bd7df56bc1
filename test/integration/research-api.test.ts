import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { createTestDatabase, type TestDatabase } from '../support/database';

// See api.test.ts: @fastify/static needs an ESM-only module jest cannot load; it is never called here.
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const API_KEY = 'research-admin-key';
const ADMIN = { 'x-api-key': API_KEY };

describe('research API: strategies, charts, signals, track record, runs', () => {
  let t: TestDatabase;
  let sink: MailSink;
  let mailDir: string;
  let mailer: NodemailerMailer;
  let app: FastifyInstance;
  let baseUrl: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    mailDir = await fs.mkdtemp(path.join(os.tmpdir(), 'research-api-mail-'));
    sink = await startMailSink({ port: 0, dir: mailDir });
    mailer = new NodemailerMailer({ host: '127.0.0.1', port: sink.port, secure: false, from: 'Algo Signals <signals@localhost>', timeoutMs: 3000 });
    app = buildApi({
      config: {
        tickers: ['AAPL'],
        strategies: { default: [{ name: 'sma_cross', params: {} }, { name: 'macd_cross', params: {} }], perTicker: {} },
        api: { host: '127.0.0.1', port: 8000, apiKey: API_KEY, publicUrl: 'http://signals.test:8000', tokenSecret: 'x'.repeat(32) },
      },
      subscribers: new PostgresSubscriberRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer,
      signer: new HmacTokenSigner('x'.repeat(32)),
      startWorkflow: async (request) => ({ workflowId: request.workflowId, runId: 'run-1' }),
      today: () => '2010-12-31',
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await app.close();
    mailer.close();
    await sink.close();
    await t.destroy();
    await fs.rm(mailDir, { recursive: true, force: true });
  });

  async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(`${baseUrl}${url}`, { headers });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  it('GET /strategies lists every strategy with its rule in words, JSON-schema parameters and chart layout', async () => {
    const res = await get('/strategies');
    expect(res.status).toBe(200);
    const names = res.body.strategies.map((s: { name: string }) => s.name);
    expect(names).toEqual(['sma_cross', 'macd_cross', 'rsi_reversion', 'bollinger_reversion', 'donchian_breakout', 'buy_and_hold']);
    const sma = res.body.strategies[0];
    expect(sma.rules).toMatch(/^BUY when SMA\(7\) crosses above SMA\(21\) while the close is above SMA\(50\)/);
    expect(sma.defaults).toEqual({ fast: 7, slow: 21, trend: 50 });
    expect(sma.paramsSchema.properties.slow).toEqual({ type: 'integer', minimum: 2, maximum: 1000, default: 21, description: 'Days of the slow SMA' });
    expect(sma.chart.overlays.map((o: { key: string }) => o.key)).toEqual(['sma7', 'sma21', 'sma50']);
    const macd = res.body.strategies[1];
    expect(macd.chart.panes[0]).toMatchObject({ id: 'macd', levels: [0] });
    expect(ADMIN).toBeDefined();
  });
});
