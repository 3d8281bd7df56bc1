import { Redis } from 'ioredis';
import { ConfigError, loadConfig } from '../../src/config/config';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { RateLimitedMailer } from '../../src/adapters/email/rate-limited.mailer';
import { RedisSendRateLimiter } from '../../src/adapters/redis/redis-send-rate.limiter';
import { TransientError } from '../../src/domain/errors';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { freePort, storedMessageCount, tempDir } from '../support/mail';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const prefix = `algo-test-send-rate-${process.pid}-${Date.now()}:`;

describe('mail.maxPerSecond (config)', () => {
  const load = (env: Record<string, string>) => loadConfig({ ...process.env, MAIL_MAX_PER_SECOND: undefined, ...env });

  it('is unset by default (no limit) and read from MAIL_MAX_PER_SECOND', () => {
    expect(load({}).mail.maxPerSecond).toBeUndefined();
    expect(load({ MAIL_MAX_PER_SECOND: '14' }).mail.maxPerSecond).toBe(14);
    expect(load({ MAIL_MAX_PER_SECOND: '6.5' }).mail.maxPerSecond).toBe(6.5);
  });

  it.each([
    ['ten', 'mail.maxPerSecond: Invalid input: expected number, received NaN'],
    ['0', 'mail.maxPerSecond: Too small: expected number to be >0'],
    ['-3', 'mail.maxPerSecond: Too small: expected number to be >0'],
    ['0.01', 'mail.maxPerSecond: 0.01 a second is too slow for any email activity to finish within its timeout'],
  ])('refuses MAIL_MAX_PER_SECOND=%s with the key and the reason', (value, message) => {
    expect(() => load({ MAIL_MAX_PER_SECOND: value })).toThrow(ConfigError);
    expect(() => load({ MAIL_MAX_PER_SECOND: value })).toThrow(message);
  });

  it('refuses a mail.batchSize whose email activity would outlast its timeout at that rate, naming the largest', () => {
    // 8 activities share 1 message a second: 200 per activity would take 1,600 s, 37 take 296 s (half the timeout).
    expect(() => load({ MAIL_MAX_PER_SECOND: '1' })).toThrow(
      'mail.batchSize: 200 recipients per email activity at mail.maxPerSecond 1 would outlast the activity timeout: at most 37',
    );
  });
});

describe('RedisSendRateLimiter', () => {
  const clients: Redis[] = [];
  const client = () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    clients.push(redis);
    return redis;
  };

  afterAll(async () => {
    const redis = client();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    for (const c of clients) c.disconnect();
  });

  it('spaces the slots of two limiters on separate connections (two processes) at the one shared rate', async () => {
    const options = { prefix: `${prefix}shared:`, maxPerSecond: 20 };
    const connections = [client(), client()];
    // Connected before the clock starts: a connection's set-up must not delay the first grant.
    await Promise.all(connections.map((c) => c.ping()));
    const limiters = connections.map((c) => new RedisSendRateLimiter(c, options));
    const start = performance.now();
    const granted: number[] = [];
    // 30 takers on each limiter at once, as two workers' concurrent sends.
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        await limiters[i % 2].waitForSlot();
        granted.push(performance.now() - start);
      }),
    );
    granted.sort((a, b) => a - b);
    // 60 slots 50 ms apart: the last one 2.95 s after the first (two limits of 20/s each would take 1.5 s);
    // 150 ms of slack for a loaded event loop answering the first grant late.
    expect(granted[59] - granted[0]).toBeGreaterThanOrEqual(2_800);
    // 22 consecutive slots span 1,050 ms. A grant is seen here after its reply's trip and may be up to one
    // interval late (the limiter lets a sleeper woken within one interval go), so a seen span can be short of
    // 1,050 ms by 50 ms plus a trip; 950 ms leaves a loaded machine a 50 ms trip. Two separate 20/s limits
    // would put 22 grants within about 525 ms.
    for (let i = 0; i + 21 < granted.length; i++) expect(granted[i + 21] - granted[i]).toBeGreaterThanOrEqual(950);
  });

  it('keeps limits of different key prefixes (deployments) apart', async () => {
    const a = new RedisSendRateLimiter(client(), { prefix: `${prefix}a:`, maxPerSecond: 2 });
    const b = new RedisSendRateLimiter(client(), { prefix: `${prefix}b:`, maxPerSecond: 2 });
    await a.waitForSlot();
    const start = performance.now();
    await b.waitForSlot();
    expect(performance.now() - start).toBeLessThan(400);
    await a.waitForSlot();
    expect(performance.now() - start).toBeGreaterThanOrEqual(400);
  });
});

describe('RateLimitedMailer', () => {
  let sink: MailSink;
  let mailDir: string;
  let smtp: NodemailerMailer;

  beforeAll(async () => {
    mailDir = tempDir('algo-send-rate-');
    sink = await startMailSink({ port: 0, dir: mailDir });
    smtp = new NodemailerMailer({ host: '127.0.0.1', port: sink.port, secure: false, from: 'Algo <a@localhost>' });
  });

  afterAll(async () => {
    smtp.close();
    await sink.close();
  });

  const message = (n: number) => ({
    messageId: `rate-${n}@algo-signals`,
    to: `r${n}@example.com`,
    subject: 's',
    text: 't',
    html: '<p>h</p>',
  });

  it('sends in a slot of the shared rate', async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const mailer = new RateLimitedMailer(
        smtp,
        new RedisSendRateLimiter(redis, { prefix: `${prefix}mailer:`, maxPerSecond: 5 }),
      );
      const start = performance.now();
      await Promise.all([1, 2, 3].map((n) => mailer.send(message(n))));
      expect(performance.now() - start).toBeGreaterThanOrEqual(390);
      expect(storedMessageCount(mailDir)).toBe(3);
    } finally {
      redis.disconnect();
    }
  });

  it('sends nothing, with a transient failure, while Redis cannot be reached (the limit is never exceeded)', async () => {
    const before = storedMessageCount(mailDir);
    const unreachable = new Redis(`redis://127.0.0.1:${await freePort()}`, {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    unreachable.on('error', () => undefined);
    try {
      const mailer = new RateLimitedMailer(
        smtp,
        new RedisSendRateLimiter(unreachable, { prefix: `${prefix}down:`, maxPerSecond: 5 }),
      );
      const sending = mailer.send(message(9));
      await expect(sending).rejects.toThrow(TransientError);
      await expect(sending).rejects.toThrow(/cannot send to r9@example.com: no send slot \(mail.maxPerSecond/);
      expect(storedMessageCount(mailDir)).toBe(before);
    } finally {
      unreachable.disconnect();
    }
  });
});
