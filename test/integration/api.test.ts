import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { simpleParser } from 'mailparser';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { createDatabase } from '../../src/adapters/postgres/database';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { PostgresSubscriptionChangeRepository } from '../../src/adapters/postgres/postgres-subscription-change.repository';
import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import { recordingGateway, type RecordedStart } from '../support/recording-gateway';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { createTestDatabase, type TestDatabase } from '../support/database';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition@3, which jest's CommonJS
// runtime cannot load (Node itself can). It is only used by reply.download(), which the API never calls.
// For the same reason (light-my-request needs the ESM-only cookie@1) the tests call the API over real HTTP
// instead of fastify's inject().
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

interface Request {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  payload?: unknown;
}

interface Response {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const API_KEY = 'test-admin-key-123';
const PUBLIC_URL = 'http://signals.test:8000';
const TODAY = '2024-01-05';
const ADMIN = { 'x-api-key': API_KEY };

describe('HTTP API', () => {
  let t: TestDatabase;
  let sink: MailSink;
  let mailDir: string;
  let mailer: NodemailerMailer;
  let app: FastifyInstance;
  let baseUrl: string;
  const started: RecordedStart[] = [];
  let subscribers: PostgresSubscriberRepository;

  beforeAll(async () => {
    t = await createTestDatabase();
    mailDir = await fs.mkdtemp(path.join(os.tmpdir(), 'api-test-mail-'));
    sink = await startMailSink({ port: 0, dir: mailDir, rejectRecipients: /^bounce@/ });
    mailer = new NodemailerMailer({
      host: '127.0.0.1',
      port: sink.port,
      secure: false,
      from: 'Algo Signals <signals@localhost>',
      timeoutMs: 3000,
    });
    subscribers = new PostgresSubscriberRepository(t.db);
    app = buildApi({
      config: {
        tickers: ['AAPL', 'MSFT'],
        strategies: {
          default: [
            { name: 'sma_cross', params: {} },
            { name: 'macd_cross', params: {} },
          ],
          perTicker: { XOM: [{ name: 'rsi_reversion', params: {} }] },
        },
        api: { host: '127.0.0.1', port: 8000, apiKey: API_KEY, publicUrl: PUBLIC_URL, tokenSecrets: ['x'.repeat(32)] },
      },
      subscribers,
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer,
      signer: new HmacTokenSigner('x'.repeat(32)),
      temporal: recordingGateway(started),
      today: () => TODAY,
      healthCheck: async () => undefined,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  /** One HTTP request to the running API (the shape of fastify's inject). */
  async function call(request: Request): Promise<Response> {
    const headers: Record<string, string> = { ...request.headers };
    let body: string | undefined;
    if (typeof request.payload === 'string') body = request.payload;
    else if (request.payload !== undefined) {
      body = JSON.stringify(request.payload);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${baseUrl}${request.url}`, { method: request.method, headers, body, redirect: 'manual' });
    const text = await res.text();
    return {
      statusCode: res.status,
      headers: Object.fromEntries(res.headers),
      body: text,
      json: () => JSON.parse(text),
    };
  }
  afterAll(async () => {
    await app.close();
    mailer.close();
    await sink.close();
    await t.destroy();
    await fs.rm(mailDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    started.length = 0;
    await t.truncateAll();
    for (const f of await fs.readdir(mailDir)) await fs.rm(path.join(mailDir, f));
  });

  async function messages() {
    const files = (await fs.readdir(mailDir)).filter((f) => f.endsWith('.eml')).sort();
    return Promise.all(files.map(async (f) => simpleParser(await fs.readFile(path.join(mailDir, f)))));
  }

  const pathAndQuery = (url: string) => {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  };

  const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;
  const confirmLinkOf = (text: string) => /(http:\/\/signals\.test:8000\/app\/confirm\?token=\S+)/.exec(text)?.[1];

  it('subscribe -> confirmation email (app confirm link, manage link, one-click unsubscribe headers) -> confirm applies it -> unsubscribe', async () => {
    const res = await call({
      method: 'POST',
      url: '/subscriptions',
      payload: { email: 'Ann@Example.com', tickers: ['aapl', 'XOM'] },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({
      email: 'ann@example.com',
      subscriptions: [
        { ticker: 'AAPL', strategy: 'sma_cross' },
        { ticker: 'AAPL', strategy: 'macd_cross' },
        { ticker: 'XOM', strategy: 'rsi_reversion' },
      ],
    });
    // Nothing is subscribed before the link is followed.
    expect(await subscribers.findByEmail('ann@example.com')).toMatchObject({ status: 'pending', subscriptions: [] });
    expect(await subscribers.subscribedTickers()).toEqual([]);

    const [mail, ...others] = await messages();
    expect(others).toHaveLength(0);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('ann@example.com');
    expect(mail.messageId).toMatch(/^<confirmation-change-\d+\.2024-01-05\.s\d+@algo-signals>$/);
    const confirmLink = confirmLinkOf(mail.text ?? '');
    expect(confirmLink).toBeDefined();
    expect(mail.text).toMatch(/Manage your subscriptions: http:\/\/signals\.test:8000\/app\/manage\?token=/);
    const listUnsubscribe = String(mail.headers.get('list-unsubscribe') ?? '');
    // mailparser parses the header into {url}; read it from the raw lines too.
    const rawHeader = mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? listUnsubscribe;
    const unsubscribeLink = /<(http:\/\/signals\.test:8000\/unsubscribe\?token=[^>]+)>/.exec(
      rawHeader.replace(/\r?\n\s+/g, ''),
    )?.[1];
    expect(unsubscribeLink).toBeDefined();
    expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );

    const confirm = await call({
      method: 'POST',
      url: '/subscriptions/confirm',
      payload: { token: tokenOf(confirmLink!) },
    });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.json()).toMatchObject({
      outcome: 'applied',
      email: 'ann@example.com',
      status: 'confirmed',
      added: expect.arrayContaining([{ ticker: 'XOM', strategy: 'rsi_reversion' }]),
    });
    expect(confirm.json().manageUrl).toMatch(/^http:\/\/signals\.test:8000\/app\/manage\?token=/);
    expect(await subscribers.subscribedTickers()).toEqual(['AAPL', 'XOM']);
    // A second click says so and changes nothing.
    expect(
      (await call({ method: 'POST', url: '/subscriptions/confirm', payload: { token: tokenOf(confirmLink!) } })).json(),
    ).toMatchObject({ outcome: 'already_applied', added: [] });

    // The old link paths land on the app's pages.
    const old = await call({ method: 'GET', url: `/confirm?token=${encodeURIComponent(tokenOf(confirmLink!))}` });
    expect(old.statusCode).toBe(302);
    expect(old.headers.location).toBe(`/app/confirm?token=${encodeURIComponent(tokenOf(confirmLink!))}`);
    const page = await call({ method: 'GET', url: pathAndQuery(unsubscribeLink!) });
    expect(page.statusCode).toBe(302);
    expect(page.headers.location).toMatch(/^\/app\/unsubscribe\?token=/);

    const oneClick = await call({
      method: 'POST',
      url: pathAndQuery(unsubscribeLink!),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.statusCode).toBe(200);
    expect(await subscribers.findByEmail('ann@example.com')).toMatchObject({
      status: 'unsubscribed',
      subscriptions: [],
    });
    // One-click is idempotent (mail clients may retry), and multipart bodies work too.
    const retry = await call({
      method: 'POST',
      url: pathAndQuery(unsubscribeLink!),
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
      payload: '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n',
    });
    expect(retry.statusCode).toBe(200);
    // The app's unsubscribe page does the same in JSON.
    const json = await call({
      method: 'POST',
      url: '/subscriptions/unsubscribe',
      payload: { token: tokenOf(unsubscribeLink!) },
    });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual({ email: 'ann@example.com', status: 'unsubscribed' });
  });

  it('nobody subscribes someone else: a request for a confirmed address adds nothing until that address follows its own link', async () => {
    await subscribers.subscribe({
      email: 'dora@example.com',
      subscriptions: [{ ticker: 'AAPL', strategy: 'sma_cross' }],
      confirmed: true,
    });
    const res = await call({
      method: 'POST',
      url: '/subscriptions',
      payload: {
        email: 'dora@example.com',
        subscriptions: [{ ticker: 'MSFT', strategies: ['recommended'] }, { ticker: 'IBM' }],
      },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json().subscriptions).toEqual([
      { ticker: 'MSFT', strategy: 'recommended' },
      { ticker: 'IBM', strategy: 'sma_cross' },
      { ticker: 'IBM', strategy: 'macd_cross' },
    ]);
    expect(await subscribers.findByEmail('dora@example.com')).toMatchObject({
      status: 'confirmed',
      subscriptions: [{ ticker: 'AAPL', strategy: 'sma_cross' }],
    });
    const [mail] = await messages();
    expect(mail.text).toContain('MSFT (recommended)');
    const confirmed = await call({
      method: 'POST',
      url: '/subscriptions/confirm',
      payload: { token: tokenOf(confirmLinkOf(mail.text ?? '')!) },
    });
    expect(confirmed.json().subscriptions).toHaveLength(4);
    expect((await subscribers.findByEmail('dora@example.com'))?.subscriptions.map((x) => x.ticker)).toEqual([
      'AAPL',
      'IBM',
      'IBM',
      'MSFT',
    ]);
  });

  it('sends one confirmation per request, at most 5 a day per address, and answers the same either way', async () => {
    for (let i = 0; i < 7; i++) {
      const res = await call({
        method: 'POST',
        url: '/subscriptions',
        payload: { email: 'eve@example.com', tickers: ['AAPL'] },
      });
      expect(res.statusCode).toBe(202);
    }
    expect(await messages()).toHaveLength(5);
  });

  it('counts the 5 confirmation emails a day per mailbox: plus tags and Gmail dots are one mailbox', async () => {
    const spellings = [
      'victim@gmail.com',
      'victim+1@gmail.com',
      'v.ictim@gmail.com',
      'V.I.C.T.I.M+news@googlemail.com',
      'victim+2@gmail.com',
      'vic.tim+3@gmail.com',
      'victim+4@gmail.com',
    ];
    for (const email of spellings) {
      const res = await call({ method: 'POST', url: '/subscriptions', payload: { email, tickers: ['AAPL'] } });
      // The answer is the same whether or not an email went out: it says nothing about the mailbox.
      expect(res.statusCode).toBe(202);
    }
    const recipients = (await messages()).map((m) => (m.to && !Array.isArray(m.to) ? m.to.text : ''));
    expect(recipients.sort()).toEqual(
      spellings
        .slice(0, 5)
        .map((e) => e.toLowerCase())
        .sort(),
    );
    // Another mailbox (dots count outside Gmail) is not held back by that one.
    await call({ method: 'POST', url: '/subscriptions', payload: { email: 'v.ictim@example.com', tickers: ['AAPL'] } });
    await call({ method: 'POST', url: '/subscriptions', payload: { email: 'victim@example.com', tickers: ['AAPL'] } });
    expect(await messages()).toHaveLength(7);
  });

  it('the manage link shows and replaces the subscriptions and unsubscribes from all; bad links are 400', async () => {
    await call({ method: 'POST', url: '/subscriptions', payload: { email: 'fay@example.com', tickers: ['AAPL'] } });
    const [mail] = await messages();
    const manage = /http:\/\/signals\.test:8000\/app\/manage\?token=(\S+)/.exec(mail.text ?? '')![1];
    const headers = { 'x-manage-token': decodeURIComponent(manage) };
    expect((await call({ method: 'GET', url: '/manage', headers })).json()).toEqual({
      email: 'fay@example.com',
      status: 'pending',
      subscriptions: [],
    });
    const put = await call({
      method: 'PUT',
      url: '/manage',
      headers,
      payload: { subscriptions: [{ ticker: 'MSFT', strategy: 'sma_cross' }] },
    });
    expect(put.json()).toEqual({
      email: 'fay@example.com',
      status: 'confirmed',
      subscriptions: [{ ticker: 'MSFT', strategy: 'sma_cross' }],
    });
    const bad = await call({
      method: 'PUT',
      url: '/manage',
      headers,
      payload: { subscriptions: [{ ticker: 'MSFT', strategy: 'moon_shot' }] },
    });
    expect(bad.statusCode).toBe(400);
    expect((await call({ method: 'DELETE', url: '/manage', headers })).json()).toEqual({
      email: 'fay@example.com',
      status: 'unsubscribed',
      subscriptions: [],
    });
    expect(
      (await call({ method: 'GET', url: '/manage', headers: { 'x-manage-token': `${headers['x-manage-token']}x` } }))
        .statusCode,
    ).toBe(400);
    // A confirm token is not a manage token.
    expect(
      (
        await call({
          method: 'GET',
          url: '/manage',
          headers: { 'x-manage-token': tokenOf(confirmLinkOf(mail.text ?? '')!) },
        })
      ).statusCode,
    ).toBe(400);
  });

  it('rejects forged and wrong-purpose tokens with a 400', async () => {
    await call({ method: 'POST', url: '/subscriptions', payload: { email: 'bob@example.com', tickers: ['AAPL'] } });
    const [mail] = await messages();
    const token = tokenOf(confirmLinkOf(mail.text ?? '')!);
    // A confirm token cannot unsubscribe.
    expect(
      (
        await call({
          method: 'POST',
          url: `/unsubscribe?token=${token}`,
          payload: 'List-Unsubscribe=One-Click',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
      ).statusCode,
    ).toBe(400);
    expect((await call({ method: 'POST', url: '/subscriptions/unsubscribe', payload: { token } })).statusCode).toBe(
      400,
    );
    const forged = await call({
      method: 'POST',
      url: '/subscriptions/confirm',
      payload: { token: `${token.slice(0, -3)}abc` },
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().error).toBe('invalid_link');
    expect((await subscribers.findByEmail('bob@example.com'))?.status).toBe('pending');
  });

  it('records a permanently rejected confirmation and does not retry it', async () => {
    const res = await call({
      method: 'POST',
      url: '/subscriptions',
      payload: { email: 'bounce@example.com', tickers: ['AAPL'] },
    });
    expect(res.statusCode).toBe(202);
    const delivery = await t.db.selectFrom('deliveries').selectAll().executeTakeFirstOrThrow();
    expect(delivery).toMatchObject({
      kind: expect.stringMatching(/^confirmation:change-\d+$/),
      run_date: TODAY,
      status: 'failed',
      attempts: 1,
    });
    expect(delivery.error).toMatch(/550/);
    expect(await messages()).toHaveLength(0);
  });

  it('rejects unknown strategies with a 400 listing the known ones', async () => {
    const res = await call({
      method: 'POST',
      url: '/subscriptions',
      payload: { email: 'c@example.com', tickers: ['AAPL'], strategies: ['moon_shot'] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/unknown strategy "moon_shot" \(known: .*sma_cross.*recommended\)/);
    expect(await subscribers.findByEmail('c@example.com')).toBeNull();
  });

  it('answers a bad form with a sentence per field for people, each beside its field, and keeps nothing', async () => {
    const res = await call({
      method: 'POST',
      url: '/subscriptions',
      payload: { email: 'not an email', tickers: ['AAPL', 'no ticker!'], strategies: [], sql: 1 },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toEqual({
      error: 'bad_request',
      message: expect.any(String),
      field: 'email',
      errors: [
        { field: 'email', message: 'Email is not a valid email address.' },
        { field: 'tickers.1', message: expect.stringMatching(/^Ticker 2 is not a ticker symbol \(.*\)\.$/) },
        { field: 'strategies', message: 'Strategies needs at least one entry.' },
        { field: 'sql', message: 'The request has an unknown field: sql.' },
      ],
    });
    expect(body.message).toBe(body.errors.map((e: { message: string }) => e.message).join(' '));
    expect(await subscribers.findByEmail('not an email')).toBeNull();

    // A domain check's limit reads the same way: its field in words, the limit and the unit.
    const slippage = await call({
      method: 'POST',
      url: '/playground/backtests',
      payload: { ticker: 'AAPL', strategy: 'sma_cross', slippageBps: 20_000 },
    });
    expect(slippage.statusCode).toBe(400);
    expect(slippage.json()).toMatchObject({
      field: 'slippageBps',
      errors: [{ field: 'slippageBps', message: 'Slippage must be below 10,000 bps.' }],
    });
    const capital = await call({
      method: 'POST',
      url: '/playground/backtests',
      payload: { ticker: 'AAPL', strategy: 'sma_cross', capital: 0.001 },
    });
    expect(capital.json().errors).toEqual([{ field: 'capital', message: 'Capital must be at least 0.01.' }]);
  });

  it('serves the old notification endpoints with admin auth', async () => {
    expect((await call({ method: 'POST', url: '/tickers', payload: { ticker: 'IBM' } })).statusCode).toBe(401);
    expect(
      (
        await call({
          method: 'POST',
          url: '/tickers',
          payload: { ticker: 'IBM' },
          headers: { 'x-api-key': 'wrong-key-123' },
        })
      ).statusCode,
    ).toBe(401);
    const add = await call({ method: 'POST', url: '/tickers', payload: { ticker: 'ibm' }, headers: ADMIN });
    expect(add.statusCode).toBe(201);
    expect(add.json()).toEqual({ ticker: 'IBM', tracked: true, created: true });
    expect(
      (await call({ method: 'POST', url: '/tickers', payload: { ticker: 'IBM' }, headers: ADMIN })).statusCode,
    ).toBe(200);

    const put = await call({
      method: 'PUT',
      url: '/tickers/TSLA',
      headers: ADMIN,
      payload: { emails: ['x@example.com', 'y@example.com'], strategies: ['sma_cross'], confirmed: true },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json().subscribers).toEqual([
      {
        email: 'x@example.com',
        status: 'confirmed',
        added: [{ ticker: 'TSLA', strategy: 'sma_cross' }],
        confirmation: 'not_needed',
      },
      {
        email: 'y@example.com',
        status: 'confirmed',
        added: [{ ticker: 'TSLA', strategy: 'sma_cross' }],
        confirmation: 'not_needed',
      },
    ]);
    expect(await messages()).toHaveLength(0);
    expect(
      (await call({ method: 'PUT', url: '/tickers/TSLA', payload: { emails: ['z@example.com'] } })).statusCode,
    ).toBe(401);

    const list = await call({ method: 'GET', url: '/tickers' });
    expect(list.statusCode).toBe(200);
    expect(list.json().tickers.map((x: { ticker: string }) => x.ticker)).toEqual(['AAPL', 'IBM', 'MSFT', 'TSLA']);
    expect(list.json().tickers[3]).toEqual({
      ticker: 'TSLA',
      configured: false,
      subscribers: 2,
      pendingSubscribers: 0,
      lastDate: null,
      strategies: ['sma_cross', 'macd_cross'],
    });
    // The one page shape beside the old clients' `tickers`.
    expect(list.json()).toMatchObject({ items: list.json().tickers, nextCursor: null });

    await new PostgresSignalRepository(t.db).record([
      {
        date: '2024-01-04',
        ticker: 'TSLA',
        strategy: 'sma_cross',
        strategyVersion: 1,
        signal: 'BUY',
        close: 240,
        inputs: { sma7: 1, sma21: 2 },
      },
      {
        date: '2024-01-05',
        ticker: 'TSLA',
        strategy: 'sma_cross',
        strategyVersion: 1,
        signal: 'HOLD',
        close: 241.5,
        inputs: { sma7: 1.5, sma21: 2 },
      },
    ]);
    const anonymous = await call({ method: 'GET', url: '/tickers/tsla' });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json()).toMatchObject({
      ticker: 'TSLA',
      subscribers: 2,
      latestSignals: { date: '2024-01-05', signals: [{ signal: 'HOLD', close: 241.5 }] },
    });
    expect(anonymous.body).not.toContain('x@example.com');
    const admin = await call({ method: 'GET', url: '/tickers/TSLA', headers: ADMIN });
    expect(admin.json().subscriberList.map((s: { email: string }) => s.email)).toEqual([
      'x@example.com',
      'y@example.com',
    ]);
    expect(admin.json()).toMatchObject({
      emails: ['x@example.com', 'y@example.com'],
      items: admin.json().subscriberList,
      nextCursor: null,
    });
    expect(
      (await call({ method: 'GET', url: '/tickers/TSLA', headers: { 'x-api-key': 'nope-nope-nope' } })).statusCode,
    ).toBe(401);
    expect((await call({ method: 'GET', url: '/tickers/NOPE' })).statusCode).toBe(404);

    const notify = await call({ method: 'POST', url: '/notification/TSLA/send', headers: ADMIN });
    expect(notify.statusCode).toBe(202);
    expect(started).toEqual([
      {
        workflowType: 'notifyTickerWorkflow',
        workflowId: expect.stringMatching(/^notify-TSLA-latest-[0-9a-f]{8}$/),
        input: { ticker: 'TSLA' },
      },
    ]);
    expect(notify.json()).toEqual({ workflowId: started[0].workflowId, runId: 'run-1' });
    const withDate = await call({
      method: 'POST',
      url: '/notification/TSLA/send',
      headers: ADMIN,
      payload: { date: '2024-01-04' },
    });
    expect(withDate.statusCode).toBe(202);
    expect(started[1]).toMatchObject({
      workflowId: expect.stringMatching(/^notify-TSLA-2024-01-04-/),
      input: { ticker: 'TSLA', date: '2024-01-04' },
    });
    expect((await call({ method: 'POST', url: '/notification/NOPE/send', headers: ADMIN })).statusCode).toBe(404);
    expect((await call({ method: 'POST', url: '/notification/TSLA/send' })).statusCode).toBe(401);
  });

  it('lists signals and starts daily runs', async () => {
    await new PostgresSignalRepository(t.db).record([
      {
        date: '2024-01-05',
        ticker: 'AAPL',
        strategy: 'sma_cross',
        strategyVersion: 1,
        signal: 'SELL',
        close: 181.2,
        inputs: { sma7: 180, sma21: 182 },
      },
      {
        date: '2024-01-04',
        ticker: 'AAPL',
        strategy: 'macd_cross',
        strategyVersion: 1,
        signal: 'BUY',
        close: 181.9,
        inputs: { macd: 0.1, signal: 0.05 },
      },
      {
        date: '2024-01-05',
        ticker: 'MSFT',
        strategy: 'sma_cross',
        strategyVersion: 1,
        signal: 'HOLD',
        close: 367.8,
        inputs: {},
      },
    ]);
    const byTicker = await call({ method: 'GET', url: '/signals?ticker=aapl' });
    expect(byTicker.statusCode).toBe(200);
    expect(byTicker.json().signals.map((s: { date: string }) => s.date)).toEqual(['2024-01-04', '2024-01-05']);
    const byDate = await call({ method: 'GET', url: '/signals?date=2024-01-05&strategy=sma_cross' });
    // The page shape of every list ({ items, nextCursor }), and the old clients' `signals` and `count` beside it.
    expect(byDate.json().items).toEqual(byDate.json().signals);
    expect(byDate.json().nextCursor).toBeNull();
    expect(byDate.json()).toMatchObject({
      count: 2,
      signals: [
        { ticker: 'AAPL', signal: 'SELL', strategyVersion: 1, close: 181.2, inputs: { sma7: 180 } },
        { ticker: 'MSFT' },
      ],
    });
    expect((await call({ method: 'GET', url: '/signals' })).statusCode).toBe(400);

    expect((await call({ method: 'POST', url: '/runs/daily' })).statusCode).toBe(401);
    const run = await call({
      method: 'POST',
      url: '/runs/daily',
      headers: ADMIN,
      payload: { date: '2024-01-04', tickers: ['aapl', 'AAPL', 'MSFT'] },
    });
    expect(run.statusCode).toBe(202);
    // The id of a daily run started by hand, from the API as from the CLI: daily-<date>, one at a time per date.
    expect(started[0]).toEqual({
      workflowType: 'dailyRunWorkflow',
      workflowId: 'daily-2024-01-04',
      input: { date: '2024-01-04', tickers: ['AAPL', 'MSFT'] },
    });
    expect(run.json()).toEqual({ workflowId: 'daily-2024-01-04', runId: 'run-1' });
    const again = await call({ method: 'POST', url: '/runs/daily', headers: ADMIN, payload: { date: '2024-01-04' } });
    expect(again.statusCode).toBe(409);
    // Without a date: today's (New York), given to the workflow so that the id and the run agree; the rest from the worker's config.
    const plain = await call({ method: 'POST', url: '/runs/daily', headers: ADMIN });
    expect(plain.statusCode).toBe(202);
    expect(started[1]).toEqual({
      workflowType: 'dailyRunWorkflow',
      workflowId: 'daily-2024-01-05',
      input: { date: '2024-01-05' },
    });
  });

  it('serves health and the OpenAPI docs', async () => {
    expect((await call({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
    const docs = await call({ method: 'GET', url: '/docs/json' });
    expect(docs.statusCode).toBe(200);
    const spec = docs.json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/tickers',
        '/tickers/{ticker}',
        '/notification/{ticker}/send',
        '/subscriptions',
        '/confirm',
        '/unsubscribe',
        '/signals',
        '/runs/daily',
        '/health',
      ]),
    );
    expect(spec.paths['/subscriptions'].post.requestBody.content['application/json'].schema.required).toEqual([
      'email',
    ]);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/subscriptions/options',
        '/subscriptions/confirm',
        '/subscriptions/unsubscribe',
        '/manage',
      ]),
    );
    expect((await call({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('answers a server-side failure with a generic 500 that reveals nothing', async () => {
    const missing = new URL(t.url);
    missing.pathname = '/algo_test_does_not_exist';
    const brokenDb = createDatabase(missing.toString());
    const broken = buildApi({
      config: {
        tickers: ['AAPL'],
        strategies: { default: [{ name: 'sma_cross', params: {} }], perTicker: {} },
        api: { host: '127.0.0.1', port: 8000, apiKey: API_KEY, publicUrl: PUBLIC_URL, tokenSecrets: ['x'.repeat(32)] },
      },
      subscribers: new PostgresSubscriberRepository(brokenDb),
      changes: new PostgresSubscriptionChangeRepository(brokenDb),
      signals: new PostgresSignalRepository(brokenDb),
      deliveries: new PostgresDeliveryRepository(brokenDb),
      mailer,
      signer: new HmacTokenSigner('x'.repeat(32)),
    });
    try {
      await broken.listen({ host: '127.0.0.1', port: 0 });
      const port = (broken.server.address() as { port: number }).port;
      const res = await fetch(`http://127.0.0.1:${port}/tickers`);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({
        error: 'internal_error',
        message: expect.stringMatching(
          /^internal error \(request req-[a-z0-9]+\); the details are in the server's log$/,
        ),
      });
      const subscribe = await fetch(`http://127.0.0.1:${port}/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'a@example.com', tickers: ['AAPL'] }),
      });
      expect(subscribe.status).toBe(500);
      expect(await subscribe.text()).not.toMatch(/does_not_exist|database|postgres/i);
    } finally {
      await broken.close();
      await brokenDb.destroy();
    }
  });

  describe('hostile input', () => {
    const json = { 'content-type': 'application/json' };
    /** What a 4xx says: its message matches, or it names the field (with a sentence for people, no validator output). */
    type Mention = RegExp | { field: string; message?: RegExp };
    type Case = [name: string, request: Request, status: number, mention?: Mention];
    const cases: Case[] = [
      [
        'malformed JSON',
        { method: 'POST', url: '/subscriptions', headers: json, payload: '{"email": "a@b.co", "tickers": [' },
        400,
      ],
      [
        'JSON that is not an object',
        { method: 'POST', url: '/subscriptions', headers: json, payload: '"hello"' },
        400,
        /^The request must be an object\.$/,
      ],
      ['empty JSON body', { method: 'POST', url: '/subscriptions', headers: json, payload: '' }, 400],
      [
        'missing email',
        { method: 'POST', url: '/subscriptions', payload: { tickers: ['AAPL'] } },
        400,
        { field: 'email' },
      ],
      [
        'missing tickers',
        { method: 'POST', url: '/subscriptions', payload: { email: 'a@example.com' } },
        400,
        { field: 'tickers' },
      ],
      [
        'wrong type for email',
        { method: 'POST', url: '/subscriptions', payload: { email: 42, tickers: ['AAPL'] } },
        400,
        { field: 'email' },
      ],
      [
        'wrong type for tickers',
        { method: 'POST', url: '/subscriptions', payload: { email: 'a@example.com', tickers: 'AAPL' } },
        400,
        { field: 'tickers' },
      ],
      [
        'null body fields',
        { method: 'POST', url: '/subscriptions', payload: { email: null, tickers: null } },
        400,
        { field: 'email' },
      ],
      [
        'unknown field',
        { method: 'POST', url: '/subscriptions', payload: { email: 'a@example.com', tickers: ['AAPL'], admin: true } },
        400,
        /admin/,
      ],
      [
        'prototype pollution',
        {
          method: 'POST',
          url: '/subscriptions',
          headers: json,
          payload: '{"email":"a@example.com","tickers":["AAPL"],"__proto__":{"x":1}}',
        },
        400,
      ],
      [
        'SQL-ish email',
        {
          method: 'POST',
          url: '/subscriptions',
          payload: { email: "x@example.com'; drop table subscribers;--", tickers: ['AAPL'] },
        },
        400,
        { field: 'email', message: /^Email is not a valid email address\.$/ },
      ],
      [
        'SQL-ish ticker',
        {
          method: 'POST',
          url: '/subscriptions',
          payload: { email: 'a@example.com', tickers: ["AAPL'); delete from signals;--"] },
        },
        400,
        { field: 'tickers.0' },
      ],
      [
        'header injection in email',
        {
          method: 'POST',
          url: '/subscriptions',
          payload: { email: 'a@example.com\r\nBcc: all@example.com', tickers: ['AAPL'] },
        },
        400,
        /control characters/,
      ],
      [
        'NUL in email',
        { method: 'POST', url: '/subscriptions', payload: { email: 'a\u0000@example.com', tickers: ['AAPL'] } },
        400,
        { field: 'email' },
      ],
      [
        'unicode email',
        { method: 'POST', url: '/subscriptions', payload: { email: 'ñandú@exämple.com', tickers: ['AAPL'] } },
        400,
        { field: 'email' },
      ],
      [
        'RTL override in email',
        { method: 'POST', url: '/subscriptions', payload: { email: 'a\u202e@example.com', tickers: ['AAPL'] } },
        400,
        { field: 'email' },
      ],
      [
        'display name',
        { method: 'POST', url: '/subscriptions', payload: { email: 'Ann <a@example.com>', tickers: ['AAPL'] } },
        400,
        /display name/,
      ],
      [
        'over-long email',
        {
          method: 'POST',
          url: '/subscriptions',
          payload: { email: `${'a'.repeat(60)}@${'b'.repeat(300)}.com`, tickers: ['AAPL'] },
        },
        400,
        { field: 'email' },
      ],
      [
        'too many tickers',
        {
          method: 'POST',
          url: '/subscriptions',
          payload: { email: 'a@example.com', tickers: Array.from({ length: 51 }, (_, i) => `T${i}`) },
        },
        400,
        { field: 'tickers' },
      ],
      [
        'huge body',
        {
          method: 'POST',
          url: '/subscriptions',
          payload: { email: 'a@example.com', tickers: ['AAPL'], pad: 'x'.repeat(200_000) },
        },
        413,
      ],
      [
        'form body on a JSON endpoint',
        {
          method: 'POST',
          url: '/subscriptions',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'email=a@example.com',
        },
        415,
      ],
      ['path traversal in ticker', { method: 'GET', url: '/tickers/..%2F..%2Fetc%2Fpasswd' }, 400, { field: 'ticker' }],
      ['dot-file ticker', { method: 'GET', url: '/tickers/.env' }, 400, { field: 'ticker' }],
      ['raw traversal path', { method: 'GET', url: '/tickers/../../etc/passwd' }, 404],
      ['over-long ticker', { method: 'GET', url: `/tickers/${'A'.repeat(500)}` }, 414],
      ['unicode ticker', { method: 'GET', url: '/tickers/%E2%80%AEAAPL' }, 400, { field: 'ticker' }],
      ['bad date in signals', { method: 'GET', url: '/signals?date=2024-02-30' }, 400, { field: 'date' }],
      ['SQL-ish query', { method: 'GET', url: "/signals?ticker=AAPL'%20or%201=1--" }, 400, { field: 'ticker' }],
      ['unknown query parameter', { method: 'GET', url: '/signals?ticker=AAPL&pageSize=5' }, 400, /pageSize/],
      [
        'repeated query parameter',
        { method: 'GET', url: '/signals?ticker=AAPL&ticker=MSFT' },
        400,
        { field: 'ticker' },
      ],
      // (A browser's GET /confirm without its token opens the app's page, which says so: test/integration/rate-limit.test.ts.)
      ['missing token', { method: 'POST', url: '/unsubscribe' }, 400, { field: 'token' }],
      ['huge token', { method: 'GET', url: `/confirm?token=${'a'.repeat(5000)}` }, 400, { field: 'token' }],
      ['garbage token', { method: 'POST', url: '/subscriptions/confirm', payload: { token: '%00%01' } }, 400],
      [
        'forged one-click',
        {
          method: 'POST',
          url: '/unsubscribe?token=abc.def',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'List-Unsubscribe=One-Click',
        },
        400,
      ],
      [
        'huge one-click body',
        {
          method: 'POST',
          url: '/unsubscribe?token=abc.def',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: `a=${'x'.repeat(100_000)}`,
        },
        413,
      ],
      [
        'XML body',
        {
          method: 'POST',
          url: '/subscriptions',
          headers: { 'content-type': 'application/xml' },
          payload: '<email>a@example.com</email>',
        },
        415,
      ],
      ['admin without key', { method: 'POST', url: '/runs/daily', payload: {} }, 401],
      [
        'admin with an empty key',
        { method: 'POST', url: '/runs/daily', headers: { 'x-api-key': '' }, payload: {} },
        401,
      ],
      [
        'bad daily run date (admin)',
        { method: 'POST', url: '/runs/daily', headers: ADMIN, payload: { date: '05/01/2024' } },
        400,
        { field: 'date' },
      ],
      [
        'bad daily run tickers (admin)',
        { method: 'POST', url: '/runs/daily', headers: ADMIN, payload: { tickers: ['../x'] } },
        400,
        { field: 'tickers.0' },
      ],
      [
        'unknown field (admin)',
        { method: 'POST', url: '/tickers', headers: ADMIN, payload: { ticker: 'IBM', sql: 'drop' } },
        400,
        /sql/,
      ],
      [
        'PUT with bad emails (admin)',
        {
          method: 'PUT',
          url: '/tickers/AAPL',
          headers: ADMIN,
          payload: { emails: ['ok@example.com', 'not an email'] },
        },
        400,
        { field: 'emails.1' },
      ],
      ['unknown route', { method: 'GET', url: '/admin/secret' }, 404],
      ['unknown method', { method: 'DELETE', url: '/tickers' }, 404],
    ];

    it.each(cases)('%s', async (...[, request, status, mention]: Case) => {
      const res = await call(request);
      expect(res.statusCode).toBe(status);
      if (res.headers['content-type']?.startsWith('text/html')) {
        // The pages behind email links answer in HTML.
        expect(res.body).toContain('Invalid link');
      } else {
        const body = res.json();
        expect(body.error).toEqual(expect.any(String));
        expect(body.message).toEqual(expect.any(String));
        if (mention instanceof RegExp) expect(body.message).toMatch(mention);
        else if (mention) {
          expect(body.field).toBe(mention.field);
          const sentence = body.errors.find((e: { field: string }) => e.field === mention.field).message;
          expect(sentence).toMatch(/^[A-Z].*\.$/);
          expect(sentence).not.toMatch(/Too (big|small)|Invalid input|(body|query|params)\./);
          if (mention.message) expect(sentence).toMatch(mention.message);
        }
      }
      expect(res.body).not.toMatch(/\bat .*\.(ts|js):\d+|node_modules|stack/i);
      expect(started).toEqual([]);
      expect(await subscribers.list()).toEqual([]);
    });
  });
});
