import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import { openRedis } from '../../src/composition';
import { ConfigError, loadConfig } from '../../src/config/config';
import { manageUrl, unsubscribeUrl } from '../../src/domain/subscriptions';
import { listMailSink, startMailSink, type MailSink } from '../../src/mail-sink';
import { createTestDatabase, type TestDatabase } from '../support/database';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition (see test/integration/api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const OLD = 'old-token-secret-0123456789abcdef';
const NEW = 'new-token-secret-fedcba9876543210';
const PUBLIC_URL = 'http://signals.test:8000';
const DAY = 86_400_000;
const START = Date.parse('2026-12-07T12:00:00Z');

/** Expiring links, "send me a new link" and secret rotation, through the API on real Postgres, Redis and SMTP. */
describe('link tokens: expiry, new links by email, rotation of the secret', () => {
  let t: TestDatabase;
  let redis: Redis;
  let sink: MailSink;
  let mailDir: string;
  let mailer: NodemailerMailer;
  let nameSpace: string;
  /** The injected clock of every signer and of the API's `today`. */
  let now = START;
  const clock = () => now;
  const apps: FastifyInstance[] = [];

  /** An API listening on a free port. */
  interface Api {
    app: FastifyInstance;
    url: string;
  }

  /** An API over the shared database, mail sink and Redis limiter, signing with `secrets` (first signs). */
  async function apiWith(secrets: readonly string[]): Promise<Api> {
    const app = buildApi({
      config: {
        tickers: ['AAPL'],
        strategies: { default: [{ name: 'sma_cross', params: {} }], perTicker: {} },
        api: {
          host: '127.0.0.1',
          port: 8000,
          apiKey: 'link-tokens-admin',
          publicUrl: PUBLIC_URL,
          tokenSecrets: [...secrets],
        },
      },
      rateLimit: {
        limits: { perClient: { max: 1000, windowSeconds: 60 }, perAddress: { max: 3, windowSeconds: 600 } },
        redis,
        nameSpace,
      },
      subscribers: new PostgresSubscriberRepository(t.db),
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer,
      signer: new HmacTokenSigner(secrets, { now: clock }),
      today: () => new Date(now).toISOString().slice(0, 10) as never,
      webApp: false,
    });
    apps.push(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    return { app, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
  }

  let api: Api;

  beforeAll(async () => {
    t = await createTestDatabase();
    redis = openRedis(loadConfig());
    nameSpace = `algo-test-${crypto.randomBytes(4).toString('hex')}:link-tokens:`;
    mailDir = await fs.mkdtemp(path.join(os.tmpdir(), 'link-tokens-mail-'));
    sink = await startMailSink({ port: 0, dir: mailDir });
    mailer = new NodemailerMailer({
      host: '127.0.0.1',
      port: sink.port,
      secure: false,
      from: 'Algo Signals <signals@localhost>',
      timeoutMs: 3000,
    });
    api = await apiWith([NEW, OLD]);
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    const keys = await redis.keys(`${nameSpace}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    mailer.close();
    await sink.close();
    await t.destroy();
    await fs.rm(mailDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    now = START;
  });

  const post = async (to: Api, url: string, body: unknown) => {
    const res = await fetch(`${to.url}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const manage = async (to: Api, method: 'GET' | 'PUT' | 'DELETE', token: string, body?: unknown) => {
    const res = await fetch(`${to.url}/manage`, {
      method,
      headers: { 'x-manage-token': token, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

  /** The texts of the emails the sink holds for `to` whose subject matches, oldest first. */
  async function mailTo(to: string, subject: RegExp): Promise<string[]> {
    const texts: string[] = [];
    for (const m of await listMailSink(mailDir)) {
      if (m.to !== to || !subject.test(m.subject)) continue;
      texts.push((await simpleParser(await fs.readFile(m.file))).text ?? '');
    }
    return texts;
  }
  const linkIn = (text: string, pathPrefix: string) =>
    new RegExp(`(${PUBLIC_URL.replace(/[.]/g, '\\.')}${pathPrefix}\\?token=[A-Za-z0-9_%.-]+)`).exec(text)?.[1];

  const confirmedSubscriber = async (email: string) =>
    (
      await new PostgresSubscriberRepository(t.db).subscribe({
        email,
        subscriptions: [{ ticker: 'AAPL', strategy: 'sma_cross' }],
        confirmed: true,
      })
    ).subscriber;
  const subscriptionsOf = (email: string) =>
    t.db
      .selectFrom('subscriptions')
      .innerJoin('subscribers', 'subscribers.id', 'subscriptions.subscriber_id')
      .select(['subscriptions.ticker', 'subscriptions.strategy'])
      .where('subscribers.email', '=', email)
      .execute();

  it('a confirmation link works for 7 days, then answers 410 link_expired and changes nothing; GET /confirm never confirms', async () => {
    expect((await post(api, '/subscriptions', { email: 'ann@example.com', tickers: ['AAPL'] })).status).toBe(202);
    const [mail] = await mailTo('ann@example.com', /Confirm your subscription/);
    const token = tokenOf(linkIn(mail, '/app/confirm')!);

    // Opening the link (GET) only leads to the app's page: nothing is confirmed by loading it.
    const opened = await fetch(`${api.url}/confirm?token=${encodeURIComponent(token)}`, { redirect: 'manual' });
    expect(opened.status).toBe(302);
    expect(await subscriptionsOf('ann@example.com')).toEqual([]);

    now = START + 8 * DAY; // the link worked through 2026-12-14 (UTC)
    const expired = await post(api, '/subscriptions/confirm', { token });
    expect(expired).toEqual({
      status: 410,
      body: {
        error: 'link_expired',
        message: 'This link expired on 2026-12-14. Ask for a new one: it is sent to the address this link was for.',
      },
    });
    expect(await subscriptionsOf('ann@example.com')).toEqual([]);

    now = START + 7 * DAY - 60_000;
    expect(await post(api, '/subscriptions/confirm', { token })).toMatchObject({
      status: 200,
      body: { outcome: 'applied', email: 'ann@example.com' },
    });
    expect(await subscriptionsOf('ann@example.com')).toEqual([{ ticker: 'AAPL', strategy: 'sma_cross' }]);
  });

  it('a manage link works for 180 days, then every manage request answers 410 and changes nothing', async () => {
    const subscriber = await confirmedSubscriber('bob@example.com');
    const token = tokenOf(
      manageUrl({ publicUrl: PUBLIC_URL, signer: new HmacTokenSigner(NEW, { now: clock }) }, subscriber),
    );
    now = START + 179 * DAY;
    expect((await manage(api, 'GET', token)).status).toBe(200);

    now = START + 181 * DAY; // it worked through 2027-06-05 (UTC)
    const get = await manage(api, 'GET', token);
    expect(get).toEqual({
      status: 410,
      body: { error: 'link_expired', message: expect.stringMatching(/^This link expired on 2027-06-05\./) },
    });
    expect((await manage(api, 'PUT', token, { subscriptions: [] })).status).toBe(410);
    expect((await manage(api, 'DELETE', token)).status).toBe(410);
    expect(await subscriptionsOf('bob@example.com')).toEqual([{ ticker: 'AAPL', strategy: 'sma_cross' }]);
  });

  it('"send me a new link" emails a working link to the real SMTP sink: a manage link, or the pending change\'s confirm link', async () => {
    // An expired manage link.
    const cy = await confirmedSubscriber('cy@example.com');
    const oldManage = tokenOf(
      manageUrl({ publicUrl: PUBLIC_URL, signer: new HmacTokenSigner(NEW, { now: clock }) }, cy),
    );
    now = START + 200 * DAY;
    expect((await manage(api, 'GET', oldManage)).status).toBe(410);
    const asked = await post(api, '/subscriptions/new-link', { token: oldManage });
    expect(asked).toEqual({
      status: 202,
      body: { message: 'If this address subscribes to Algo Signals, a new link is on its way to it.' },
    });
    const [fresh] = await mailTo('cy@example.com', /link to manage/);
    const freshManage = tokenOf(linkIn(fresh, '/app/manage')!);
    expect(await manage(api, 'GET', freshManage)).toMatchObject({ status: 200, body: { email: 'cy@example.com' } });
    expect(linkIn(fresh, '/unsubscribe')).toBeDefined();

    // An expired confirm link of a pending change: the new email carries a fresh confirm link for that change.
    now = START;
    expect((await post(api, '/subscriptions', { email: 'dee@example.com', tickers: ['AAPL'] })).status).toBe(202);
    const [first] = await mailTo('dee@example.com', /Confirm your subscription/);
    const oldConfirm = tokenOf(linkIn(first, '/app/confirm')!);
    now = START + 30 * DAY;
    expect((await post(api, '/subscriptions/confirm', { token: oldConfirm })).status).toBe(410);
    expect((await post(api, '/subscriptions/new-link', { token: oldConfirm })).status).toBe(202);
    const confirmations = await mailTo('dee@example.com', /Confirm your subscription/);
    expect(confirmations).toHaveLength(2);
    const freshConfirm = tokenOf(linkIn(confirmations[1], '/app/confirm')!);
    expect(await post(api, '/subscriptions/confirm', { token: freshConfirm })).toMatchObject({
      status: 200,
      body: { outcome: 'applied', added: [{ ticker: 'AAPL', strategy: 'sma_cross' }] },
    });
  });

  it('"send me a new link" by address answers the same whether or not it subscribes, is limited per mailbox, and names a bad field', async () => {
    await confirmedSubscriber('eve@example.com');
    now = START + 3 * DAY;
    const known = await post(api, '/subscriptions/new-link', { email: 'eve@example.com' });
    const unknown = await post(api, '/subscriptions/new-link', { email: 'nobody@example.com' });
    expect(unknown).toEqual(known);
    expect(known.status).toBe(202);
    expect(await mailTo('eve@example.com', /link to manage/)).toHaveLength(1);
    expect(await mailTo('nobody@example.com', /./)).toHaveLength(0);

    // Per mailbox (tags folded), through the shared Redis limiter: the 4th request about eve@ in the window is a 429.
    expect((await post(api, '/subscriptions/new-link', { email: 'eve+a@example.com' })).status).toBe(202);
    expect((await post(api, '/subscriptions/new-link', { email: 'EVE@example.com' })).status).toBe(202);
    const limited = await post(api, '/subscriptions/new-link', { email: 'eve+b@example.com' });
    expect(limited).toMatchObject({ status: 429, body: { error: 'too_many_requests' } });
    // At most one such email a day per subscriber, however often it is asked for.
    expect(await mailTo('eve@example.com', /link to manage/)).toHaveLength(1);

    expect(await post(api, '/subscriptions/new-link', { token: 'abc.def' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_link' },
    });
    expect(await post(api, '/subscriptions/new-link', {})).toMatchObject({ status: 400, body: { field: 'token' } });
    expect(await post(api, '/subscriptions/new-link', { email: 'not-an-address' })).toMatchObject({
      status: 400,
      body: { field: 'email' },
    });
  });

  it('rotation: a link signed with the old secret works under [new, old] and is refused under [new] alone; new links are signed with the new one', async () => {
    const fay = await confirmedSubscriber('fay@example.com');
    const signedOld = tokenOf(
      manageUrl({ publicUrl: PUBLIC_URL, signer: new HmacTokenSigner(OLD, { now: clock }) }, fay),
    );
    expect(await manage(api, 'GET', signedOld)).toMatchObject({ status: 200, body: { email: 'fay@example.com' } });
    const newOnly = await apiWith([NEW]);
    expect(await manage(newOnly, 'GET', signedOld)).toMatchObject({ status: 400, body: { error: 'invalid_link' } });

    // The rotated API signs with the first secret: what it emails works once the old secret is gone.
    expect((await post(api, '/subscriptions/new-link', { token: signedOld })).status).toBe(202);
    const [mail] = await mailTo('fay@example.com', /link to manage/);
    expect((await manage(newOnly, 'GET', tokenOf(linkIn(mail, '/app/manage')!))).status).toBe(200);
  });

  it('one-click unsubscribe links never expire (50 years on), nor do manage links signed before links expired', async () => {
    const gus = await confirmedSubscriber('gus@example.com');
    const links = { publicUrl: PUBLIC_URL, signer: new HmacTokenSigner(NEW, { now: clock }) };
    const unsubscribe = tokenOf(unsubscribeUrl(links, gus));
    // A version-1 token (before this release), as the old signer wrote it: no expiry inside.
    const payload = Buffer.from(JSON.stringify({ v: 1, p: 'manage', s: gus.id, e: gus.email })).toString('base64url');
    const mac = crypto.createHmac('sha256', NEW).update(`algo-signals-token.${payload}`).digest('base64url');
    const legacyManage = `${payload}.${mac}`;

    now = START + 50 * 365 * DAY;
    expect(await manage(api, 'GET', legacyManage)).toMatchObject({ status: 200, body: { email: 'gus@example.com' } });
    const oneClick = await fetch(`${api.url}/unsubscribe?token=${encodeURIComponent(unsubscribe)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect(await oneClick.text()).toContain('gus@example.com will receive no more emails');
    expect(await post(api, '/subscriptions/unsubscribe', { token: unsubscribe })).toEqual({
      status: 200,
      body: { email: 'gus@example.com', status: 'unsubscribed' },
    });
  });

  it('config: TOKEN_SECRETS is a comma-separated list, TOKEN_SECRET its older one-element spelling; both at once are refused', () => {
    expect(loadConfig({ TOKEN_SECRETS: `${NEW},${OLD}` }).api.tokenSecrets).toEqual([NEW, OLD]);
    expect(loadConfig({ TOKEN_SECRET: OLD }).api.tokenSecrets).toEqual([OLD]);
    expect(() => loadConfig({ TOKEN_SECRET: OLD, TOKEN_SECRETS: NEW })).toThrow(ConfigError);
    expect(() => loadConfig({ TOKEN_SECRET: OLD, TOKEN_SECRETS: NEW })).toThrow(
      /sets both api\.tokenSecret and api\.tokenSecrets/,
    );
    expect(() => loadConfig({ TOKEN_SECRETS: `${NEW},short` })).toThrow(/api\.tokenSecrets\.1: at least 16 characters/);
    const config = loadConfig({});
    expect(config.subscriptions).toMatchObject({ confirmLinkDays: 7, manageLinkDays: 180 });
  });
});
