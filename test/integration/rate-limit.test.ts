import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import { openRedis } from '../../src/composition';
import { loadConfig } from '../../src/config/config';
import { confirmUrl, manageUrl, unsubscribeUrl } from '../../src/domain/subscriptions';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { createTestDatabase, type TestDatabase } from '../support/database';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition (see test/integration/api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const SECRET = 'r'.repeat(32);
const PUBLIC_URL = 'http://signals.test:8000';

describe('rate limits of the public endpoints (real Redis store, real Postgres)', () => {
  let t: TestDatabase;
  let redis: Redis;
  let sink: MailSink;
  let mailDir: string;
  let mailer: NodemailerMailer;
  let app: FastifyInstance;
  let baseUrl: string;
  let nameSpace: string;
  const signer = new HmacTokenSigner(SECRET);

  function buildTestApi(trustProxy: boolean | number): FastifyInstance {
    return buildApi({
      config: {
        tickers: ['AAPL'],
        strategies: { default: [{ name: 'sma_cross', params: {} }], perTicker: {} },
        api: {
          host: '127.0.0.1',
          port: 8000,
          apiKey: 'rate-limit-admin',
          publicUrl: PUBLIC_URL,
          tokenSecrets: [SECRET],
          trustProxy,
        },
      },
      rateLimit: {
        limits: {
          perClient: { max: 6, windowSeconds: 60 },
          perAddress: { max: 2, windowSeconds: 600 },
          adminKeyFailures: { max: 3, windowSeconds: 60 },
        },
        redis,
        nameSpace,
      },
      subscribers: new PostgresSubscriberRepository(t.db),
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer,
      signer,
      today: () => '2024-01-05',
      webApp: false,
    });
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    redis = openRedis(loadConfig());
    nameSpace = `algo-test-${crypto.randomBytes(4).toString('hex')}:rate-limit:`;
    mailDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rate-limit-mail-'));
    sink = await startMailSink({ port: 0, dir: mailDir });
    mailer = new NodemailerMailer({
      host: '127.0.0.1',
      port: sink.port,
      secure: false,
      from: 'Algo Signals <signals@localhost>',
      timeoutMs: 3000,
    });
    app = buildTestApi(false);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await app.close();
    const keys = await redis.keys(`${nameSpace}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    mailer.close();
    await sink.close();
    await t.destroy();
    await fs.rm(mailDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    const keys = await redis.keys(`${nameSpace}*`);
    if (keys.length) await redis.del(...keys);
  });

  async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${baseUrl}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
  }
  const subscribe = (email: string) => post('/subscriptions', { email, tickers: ['AAPL'] });

  it('per address: the third request about one address in its window is a 429 with a clear JSON error', async () => {
    expect((await subscribe('ann@example.com')).status).toBe(202);
    expect((await subscribe('ANN@example.com')).status).toBe(202);
    const third = await subscribe('ann@example.com');
    expect(third.status).toBe(429);
    expect(third.body).toEqual({
      error: 'too_many_requests',
      message: expect.stringMatching(/^too many requests for this address: at most 2 in 600 s; retry in \d+ s$/),
    });
    expect(Number(third.retryAfter)).toBeGreaterThan(0);
    // Another address from the same client is still served; the counts are in Redis.
    expect((await subscribe('bob@example.com')).status).toBe(202);
    expect((await redis.keys(`${nameSpace}*`)).length).toBeGreaterThanOrEqual(3);
  });

  it("per address through a link, per route: manage requests with one address's token count together; subscribes about it do not", async () => {
    const subscriber = (
      await new PostgresSubscriberRepository(t.db).subscribe({
        email: 'cy@example.com',
        subscriptions: [{ ticker: 'AAPL', strategy: 'sma_cross' }],
        confirmed: true,
      })
    ).subscriber;
    const token = new URL(
      manageUrl({ publicUrl: PUBLIC_URL, signer }, { id: subscriber.id, email: subscriber.email }),
    ).searchParams.get('token')!;
    const manage = async () => (await fetch(`${baseUrl}/manage`, { headers: { 'x-manage-token': token } })).status;
    // Someone else subscribing the address until its bucket is full does not lock its owner out of the manage page.
    expect((await subscribe('cy@example.com')).status).toBe(202);
    expect((await subscribe('cy@example.com')).status).toBe(202);
    expect((await subscribe('cy@example.com')).status).toBe(429);
    expect(await manage()).toBe(200);
    expect(await manage()).toBe(200);
    expect(await manage()).toBe(429);
  });

  it('an address flooded with subscribe requests can still unsubscribe every way, as often as it likes; its links open pages', async () => {
    const subscriber = (
      await new PostgresSubscriberRepository(t.db).subscribe({
        email: 'dan@example.com',
        subscriptions: [{ ticker: 'AAPL', strategy: 'sma_cross' }],
        confirmed: true,
      })
    ).subscriber;
    const links = { publicUrl: PUBLIC_URL, signer };
    const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;
    const unsubscribeToken = tokenOf(unsubscribeUrl(links, subscriber));
    const manageToken = tokenOf(manageUrl(links, subscriber));
    const confirmToken = tokenOf(confirmUrl(links, subscriber));
    // Someone sends subscribe requests about the address until its bucket is full.
    expect((await subscribe('dan@example.com')).status).toBe(202);
    expect((await subscribe('Dan@example.com')).status).toBe(202);
    expect((await subscribe('dan@example.com')).status).toBe(429);

    // More unsubscribes about the address than its per-address limit (2): none is refused.
    for (let i = 0; i < 3; i++) {
      const page = await post('/subscriptions/unsubscribe', { token: unsubscribeToken });
      expect(page).toMatchObject({ status: 200, body: { email: 'dan@example.com', status: 'unsubscribed' } });
      const oneClick = await fetch(`${baseUrl}/unsubscribe?token=${encodeURIComponent(unsubscribeToken)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(oneClick.status).toBe(200);
      expect(await oneClick.text()).toContain('dan@example.com will receive no more emails');
      const deleted = await fetch(`${baseUrl}/manage`, {
        method: 'DELETE',
        headers: { 'x-manage-token': manageToken },
      });
      expect(deleted.status).toBe(200);
    }
    expect((await new PostgresSubscriberRepository(t.db).findByEmail('dan@example.com'))?.status).toBe('unsubscribed');

    // The links an email carries, opened in a browser many times, always lead to the app's page, never to JSON.
    for (let i = 0; i < 8; i++) {
      for (const [path, appPath, token] of [
        ['/unsubscribe', '/app/unsubscribe', unsubscribeToken],
        ['/confirm', '/app/confirm', confirmToken],
      ] as const) {
        const res = await fetch(`${baseUrl}${path}?token=${encodeURIComponent(token)}`, {
          redirect: 'manual',
          headers: { accept: 'text/html' },
        });
        expect(res.status).toBe(302);
        expect(res.headers.get('location')).toBe(`${appPath}?token=${encodeURIComponent(token)}`);
      }
    }
    // A link cut before its token still opens the page, which says the link has no token.
    const cut = await fetch(`${baseUrl}/unsubscribe`, { redirect: 'manual' });
    expect(cut.status).toBe(302);
    expect(cut.headers.get('location')).toBe('/app/unsubscribe');
  });

  it('per client, per route: the seventh subscribe from one IP in a minute is a 429, whatever the addresses', async () => {
    for (let i = 0; i < 6; i++) expect((await subscribe(`user${i}@example.com`)).status).toBe(202);
    const seventh = await subscribe('user6@example.com');
    expect(seventh.status).toBe(429);
    expect(seventh.body).toEqual({
      error: 'too_many_requests',
      message: expect.stringMatching(/^too many requests from this client: at most 6 in 60 s; retry in \d+ s$/),
    });
    // Each route counts in its own bucket: the confirm route still answers (here: a 400 for a bad token).
    const confirm = await post('/subscriptions/confirm', { token: 'whatever' });
    expect(confirm.status).toBe(400);
    // Admin and read endpoints are not limited.
    expect((await fetch(`${baseUrl}/tickers`)).status).toBe(200);
  });

  it('behind a reverse proxy (api.trustProxy: 1), each client is counted by its X-Forwarded-For address; without it, by the proxy', async () => {
    const proxied = buildTestApi(1);
    await proxied.listen({ host: '127.0.0.1', port: 0 });
    const address = proxied.server.address();
    const proxiedUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const subscribeVia = async (url: string, email: string, client: string) =>
      (
        await fetch(`${url}/subscriptions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
          body: JSON.stringify({ email, tickers: ['AAPL'] }),
        })
      ).status;
    try {
      for (let i = 0; i < 6; i++) expect(await subscribeVia(proxiedUrl, `a${i}@example.com`, '203.0.113.7')).toBe(202);
      expect(await subscribeVia(proxiedUrl, 'a6@example.com', '203.0.113.7')).toBe(429);
      // Another client behind the same proxy has its own count.
      expect(await subscribeVia(proxiedUrl, 'b0@example.com', '198.51.100.9')).toBe(202);
    } finally {
      await proxied.close();
    }
    // The API that trusts no proxy counts the proxy itself: the header changes nothing.
    const keys = await redis.keys(`${nameSpace}*`);
    if (keys.length) await redis.del(...keys);
    for (let i = 0; i < 6; i++) expect(await subscribeVia(baseUrl, `c${i}@example.com`, `192.0.2.${i}`)).toBe(202);
    expect(await subscribeVia(baseUrl, 'c6@example.com', '192.0.2.99')).toBe(429);
  });

  it('wrong admin keys: after 3 from one client it gets 429 with retry-after, even with the right key, on every API process; other clients are unaffected', async () => {
    // Two API processes over the one Redis, behind a proxy (each client is its X-Forwarded-For address).
    const first = buildTestApi(1);
    const second = buildTestApi(1);
    const urls: string[] = [];
    for (const api of [first, second]) {
      await api.listen({ host: '127.0.0.1', port: 0 });
      const address = api.server.address();
      urls.push(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    }
    const guesser = '203.0.113.66';
    const other = '198.51.100.23';
    const ticker = (url: string, client: string, key?: string) =>
      fetch(`${url}/tickers/AAPL`, { headers: { 'x-forwarded-for': client, ...(key ? { 'x-api-key': key } : {}) } });
    const runs = (url: string, client: string, key: string) =>
      fetch(`${url}/runs`, { headers: { 'x-forwarded-for': client, 'x-api-key': key } });
    try {
      // The right key works before any failure (GET /runs: past the key, 503 as this API has no run history).
      expect((await runs(urls[0], guesser, 'rate-limit-admin')).status).toBe(503);
      for (const key of ['guess-1', 'guess-2', 'guess-3'])
        expect((await ticker(urls[0], guesser, key)).status).toBe(401);
      // The guesser is refused on both processes, with the right key too, on both kinds of admin check.
      const refused = await runs(urls[1], guesser, 'rate-limit-admin');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(await refused.json()).toEqual({
        error: 'too_many_requests',
        message: expect.stringMatching(
          /^too many wrong admin keys from this client: at most 3 in 60 s; retry in \d+ s$/,
        ),
      });
      expect((await ticker(urls[0], guesser, 'rate-limit-admin')).status).toBe(429);
      expect((await ticker(urls[1], guesser, 'guess-4')).status).toBe(429);
      // Without a key it guesses nothing: the public answer still comes.
      const anonymous = await ticker(urls[0], guesser);
      expect(anonymous.status).toBe(200);
      expect(await anonymous.json()).not.toHaveProperty('emails');
      // Another client with the right key is unaffected, and sees the admin detail.
      const admin = await ticker(urls[1], other, 'rate-limit-admin');
      expect(admin.status).toBe(200);
      expect(await admin.json()).toHaveProperty('emails');
      expect((await runs(urls[0], other, 'rate-limit-admin')).status).toBe(503);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
