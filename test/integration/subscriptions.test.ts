import { PostgresSubscriberRepository } from '../../src/adapters/postgres/postgres-subscriber.repository';
import { PostgresSignalRepository } from '../../src/adapters/postgres/postgres-signal.repository';
import { HmacTokenSigner, signToken, verifyToken } from '../../src/adapters/tokens/hmac-token.signer';
import { confirmUrl, unsubscribeHeaders, unsubscribeUrl, validateStrategyNames } from '../../src/domain/subscriptions';
import { createTestDatabase, type TestDatabase } from '../support/database';

const SECRET = 'a-test-secret-of-enough-length';

// The email address rule: test/unit/subscriptions/email-address.test.ts.
describe('strategy names of a subscription', () => {
  it('rejects unknown strategies, listing the known ones, and allows recommended', () => {
    expect(validateStrategyNames(['sma_cross', 'recommended', 'sma_cross'], ['sma_cross', 'macd_cross'])).toEqual([
      'sma_cross',
      'recommended',
    ]);
    expect(() => validateStrategyNames(['nope'], ['sma_cross', 'macd_cross'])).toThrow(
      /unknown strategy "nope" \(known: sma_cross, macd_cross, recommended\)/,
    );
  });
});

describe('HMAC tokens', () => {
  const claims = { purpose: 'unsubscribe' as const, subscriberId: 42, email: 'ann@example.com' };

  it('round-trips, is URL-safe and bound to its purpose and secret', () => {
    const token = signToken(claims, SECRET);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(verifyToken(token, 'unsubscribe', SECRET)).toEqual(claims);
    expect(verifyToken(token, 'confirm', SECRET)).toBeNull();
    expect(verifyToken(token, 'unsubscribe', 'another-secret-of-enough-length')).toBeNull();
  });

  it('rejects tampered, truncated and garbage tokens', () => {
    const token = signToken(claims, SECRET);
    const [payload, mac] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ v: 1, p: 'unsubscribe', s: 43, e: 'ann@example.com' })).toString(
      'base64url',
    );
    for (const bad of [
      `${forgedPayload}.${mac}`,
      `${payload}.${mac.slice(0, -2)}`,
      `${payload}.${mac}x`,
      payload,
      `${payload}.${mac}.x`,
      '',
      '..',
      'a'.repeat(5000),
      `${payload}.${'A'.repeat(43)}`,
    ]) {
      expect(verifyToken(bad, 'unsubscribe', SECRET)).toBeNull();
    }
  });

  it('never expires: a token is the same whenever it is made and verifies forever', () => {
    const signer = new HmacTokenSigner(SECRET);
    expect(signer.sign(claims)).toBe(signToken(claims, SECRET));
    expect(signer.verify(signToken(claims, SECRET), 'unsubscribe')).toEqual(claims);
  });

  it('builds confirm and unsubscribe links and the one-click headers', () => {
    const links = { publicUrl: 'https://signals.example.com/', signer: new HmacTokenSigner(SECRET) };
    const subscriber = { id: 7, email: 'ann@example.com' };
    const url = unsubscribeUrl(links, subscriber);
    expect(url).toMatch(/^https:\/\/signals\.example\.com\/unsubscribe\?token=[A-Za-z0-9_.-]+$/);
    expect(confirmUrl(links, subscriber)).toMatch(/^https:\/\/signals\.example\.com\/confirm\?token=/);
    expect(unsubscribeHeaders(links, subscriber)).toEqual({
      'List-Unsubscribe': `<${url}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    const token = new URL(url).searchParams.get('token')!;
    expect(links.signer.verify(token, 'unsubscribe')).toEqual({
      purpose: 'unsubscribe',
      subscriberId: 7,
      email: 'ann@example.com',
    });
  });
});

describe('PostgresSubscriberRepository', () => {
  let t: TestDatabase;
  let repo: PostgresSubscriberRepository;

  beforeAll(async () => {
    t = await createTestDatabase();
    repo = new PostgresSubscriberRepository(t.db);
  });
  afterAll(() => t.destroy());
  beforeEach(() => t.truncateAll());

  const pairs = (...p: Array<[string, string]>) => p.map(([ticker, strategy]) => ({ ticker, strategy }));

  it('subscribes idempotently, adding only new pairs', async () => {
    const first = await repo.subscribe({
      email: 'ann@example.com',
      subscriptions: pairs(['AAPL', 'sma_cross'], ['MSFT', 'macd_cross']),
      confirmed: false,
    });
    expect(first.created).toBe(true);
    expect(first.subscriber.status).toBe('pending');
    expect(first.added).toHaveLength(2);

    const again = await repo.subscribe({
      email: 'ann@example.com',
      subscriptions: pairs(['AAPL', 'sma_cross'], ['AAPL', 'recommended']),
      confirmed: false,
    });
    expect(again.created).toBe(false);
    expect(again.subscriber.id).toBe(first.subscriber.id);
    expect(again.added).toEqual(pairs(['AAPL', 'recommended']));
    expect(again.subscriber.subscriptions).toEqual(
      pairs(['AAPL', 'recommended'], ['AAPL', 'sma_cross'], ['MSFT', 'macd_cross']),
    );
  });

  it('confirms, keeps confirmed subscribers confirmed, and re-subscription after unsubscribe is pending again', async () => {
    const { subscriber } = await repo.subscribe({
      email: 'bob@example.com',
      subscriptions: pairs(['AAPL', 'sma_cross']),
      confirmed: false,
    });
    expect(await repo.confirm(subscriber.id)).toEqual({
      id: subscriber.id,
      email: 'bob@example.com',
      status: 'confirmed',
    });
    const more = await repo.subscribe({
      email: 'bob@example.com',
      subscriptions: pairs(['XOM', 'sma_cross']),
      confirmed: false,
    });
    expect(more.subscriber.status).toBe('confirmed');

    const gone = await repo.unsubscribe('bob@example.com');
    expect(gone).toEqual({
      subscriber: { id: subscriber.id, email: 'bob@example.com', status: 'unsubscribed' },
      removed: 2,
    });
    expect(await repo.confirm(subscriber.id)).toBeNull();

    const back = await repo.subscribe({
      email: 'bob@example.com',
      subscriptions: pairs(['AAPL', 'sma_cross']),
      confirmed: false,
    });
    expect(back.subscriber.status).toBe('pending');
    const admin = await repo.subscribe({
      email: 'bob@example.com',
      subscriptions: pairs(['AAPL', 'sma_cross']),
      confirmed: true,
    });
    expect(admin.subscriber.status).toBe('confirmed');
    const row = await t.db
      .selectFrom('subscribers')
      .selectAll()
      .where('email', '=', 'bob@example.com')
      .executeTakeFirstOrThrow();
    expect(row.confirmed_at).not.toBeNull();
    expect(row.unsubscribed_at).toBeNull();
  });

  it('unsubscribes from some tickers, then from the last one', async () => {
    await repo.subscribe({
      email: 'cy@example.com',
      subscriptions: pairs(['AAPL', 'sma_cross'], ['AAPL', 'macd_cross'], ['MSFT', 'sma_cross']),
      confirmed: true,
    });
    const partial = await repo.unsubscribe('cy@example.com', ['AAPL']);
    expect(partial).toMatchObject({ removed: 2, subscriber: { status: 'confirmed' } });
    expect((await repo.findByEmail('cy@example.com'))?.subscriptions).toEqual(pairs(['MSFT', 'sma_cross']));
    expect(await repo.unsubscribe('cy@example.com', ['MSFT'])).toMatchObject({
      removed: 1,
      subscriber: { status: 'unsubscribed' },
    });
    expect(await repo.unsubscribe('nobody@example.com')).toBeNull();
  });

  it('lists subscribers, optionally for one ticker, and the subscribed tickers of confirmed subscribers', async () => {
    await repo.subscribe({
      email: 'b@example.com',
      subscriptions: pairs(['AAPL', 'sma_cross'], ['MSFT', 'sma_cross']),
      confirmed: true,
    });
    await repo.subscribe({ email: 'a@example.com', subscriptions: pairs(['TSLA', 'sma_cross']), confirmed: false });
    await repo.subscribe({ email: 'c@example.com', subscriptions: pairs(['NVDA', 'sma_cross']), confirmed: true });
    await repo.unsubscribe('c@example.com');

    expect(await repo.list()).toEqual([
      { email: 'a@example.com', status: 'pending', subscriptions: pairs(['TSLA', 'sma_cross']) },
      {
        email: 'b@example.com',
        status: 'confirmed',
        subscriptions: pairs(['AAPL', 'sma_cross'], ['MSFT', 'sma_cross']),
      },
      { email: 'c@example.com', status: 'unsubscribed', subscriptions: [] },
    ]);
    expect(await repo.list({ ticker: 'MSFT' })).toEqual([
      { email: 'b@example.com', status: 'confirmed', subscriptions: pairs(['MSFT', 'sma_cross']) },
    ]);
    expect(await repo.subscribedTickers()).toEqual(['AAPL', 'MSFT']);
  });

  it('tracks configured, added and subscribed tickers with counts and last dates', async () => {
    await repo.subscribe({
      email: 'a@example.com',
      subscriptions: pairs(['AAPL', 'sma_cross'], ['ZZZ', 'sma_cross']),
      confirmed: true,
    });
    await repo.subscribe({
      email: 'b@example.com',
      subscriptions: pairs(['AAPL', 'macd_cross'], ['PEND', 'sma_cross']),
      confirmed: false,
    });
    expect(await repo.trackTicker('IBM')).toBe(true);
    expect(await repo.trackTicker('IBM')).toBe(false);
    await t.db
      .insertInto('tickers')
      .values({ symbol: 'MSFT', first_date: '2020-01-02', last_date: '2020-03-31' })
      .execute();

    expect(await repo.trackedTickers(['AAPL', 'MSFT'])).toEqual([
      { ticker: 'AAPL', configured: true, subscribers: 1, pendingSubscribers: 1, lastDate: null },
      { ticker: 'IBM', configured: false, subscribers: 0, pendingSubscribers: 0, lastDate: null },
      { ticker: 'MSFT', configured: true, subscribers: 0, pendingSubscribers: 0, lastDate: '2020-03-31' },
      { ticker: 'ZZZ', configured: false, subscribers: 1, pendingSubscribers: 0, lastDate: null },
    ]);
  });

  it('finds the latest signal date of a ticker', async () => {
    expect(await repo.latestSignalDate('AAPL')).toBeNull();
    await new PostgresSignalRepository(t.db).record([
      {
        date: '2020-01-02',
        ticker: 'AAPL',
        strategy: 'sma_cross',
        strategyVersion: 1,
        signal: 'BUY',
        close: 1,
        inputs: {},
      },
      {
        date: '2020-01-03',
        ticker: 'AAPL',
        strategy: 'sma_cross',
        strategyVersion: 1,
        signal: 'HOLD',
        close: 1,
        inputs: {},
      },
      {
        date: '2020-01-06',
        ticker: 'MSFT',
        strategy: 'sma_cross',
        strategyVersion: 1,
        signal: 'HOLD',
        close: 1,
        inputs: {},
      },
    ]);
    expect(await repo.latestSignalDate('AAPL')).toBe('2020-01-03');
  });
});
