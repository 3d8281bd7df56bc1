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
import { HashcashProofOfWork } from '../../src/adapters/proof-of-work/hashcash-proof-of-work';
import { HmacTokenSigner } from '../../src/adapters/tokens/hmac-token.signer';
import { buildApi } from '../../src/api/build-api';
import { openRedis } from '../../src/composition';
import { loadConfig } from '../../src/config/config';
import type { ProofOfWorkChallenge } from '../../src/domain/subscriptions';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { readMailbox } from '../support/mail';

// @fastify/static (under swagger-ui) requires the ESM-only content-disposition (see test/integration/api.test.ts).
jest.mock('content-disposition', () => ({ create: (name: string) => `attachment; filename="${name}"` }));

const SECRET = 'p'.repeat(32);

/** What the web app's subscribe form does (web/src/api/proof-of-work.ts), in Node. */
function solve(c: ProofOfWorkChallenge): string {
  for (let number = 0; number <= c.maxnumber; number++) {
    if (crypto.createHash('sha256').update(`${c.salt}${number}`).digest('hex') === c.challenge) {
      return Buffer.from(JSON.stringify({ ...c, number })).toString('base64');
    }
  }
  throw new Error('unsolvable challenge');
}

describe('the subscribe form asks a proof of work (issue 18 point 3; real Redis, Postgres, SMTP sink)', () => {
  let t: TestDatabase;
  let redis: Redis;
  let sink: MailSink;
  let mailDir: string;
  let mailer: NodemailerMailer;
  let app: FastifyInstance;
  let baseUrl: string;
  let keyPrefix: string;
  let clock = Date.now();

  beforeAll(async () => {
    t = await createTestDatabase();
    redis = openRedis(loadConfig());
    keyPrefix = `algo-test-${crypto.randomBytes(4).toString('hex')}:proof-of-work:`;
    mailDir = await fs.mkdtemp(path.join(os.tmpdir(), 'proof-of-work-mail-'));
    sink = await startMailSink({ port: 0, dir: mailDir });
    mailer = new NodemailerMailer({
      host: '127.0.0.1',
      port: sink.port,
      secure: false,
      from: 'Algo Signals <signals@localhost>',
      timeoutMs: 3000,
    });
    app = buildApi({
      config: {
        tickers: ['AAPL'],
        strategies: { default: [{ name: 'sma_cross', params: {} }], perTicker: {} },
        api: {
          host: '127.0.0.1',
          port: 8000,
          apiKey: 'pow-admin-key',
          publicUrl: 'http://x.test',
          tokenSecrets: [SECRET],
        },
      },
      subscribers: new PostgresSubscriberRepository(t.db),
      changes: new PostgresSubscriptionChangeRepository(t.db),
      signals: new PostgresSignalRepository(t.db),
      deliveries: new PostgresDeliveryRepository(t.db),
      mailer,
      signer: new HmacTokenSigner(SECRET),
      proofOfWork: new HashcashProofOfWork({
        secret: SECRET,
        redis,
        keyPrefix,
        maxNumber: 2000,
        expiresSeconds: 60,
        now: () => clock,
      }),
      today: () => '2024-01-05',
      webApp: false,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await app.close();
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    mailer.close();
    await sink.close();
    await t.destroy();
    await fs.rm(mailDir, { recursive: true, force: true });
  });

  const challenge = async () =>
    (await (await fetch(`${baseUrl}/subscriptions/challenge`)).json()) as ProofOfWorkChallenge;
  async function subscribe(email: string, altcha?: string) {
    const res = await fetch(`${baseUrl}/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, tickers: ['AAPL'], ...(altcha !== undefined ? { altcha } : {}) }),
    });
    return { status: res.status, body: (await res.json()) as { field?: string; message?: string } };
  }

  it('refuses a request without a solved challenge, a forged or reused one and an expired one; accepts a solved one once', async () => {
    const c = await challenge();
    expect(c).toMatchObject({ algorithm: 'SHA-256', maxnumber: 2000, salt: expect.stringMatching(/\?expires=\d+$/) });

    const missing = await subscribe('ann@example.com');
    expect(missing).toEqual({
      status: 400,
      body: expect.objectContaining({ field: 'altcha', message: expect.stringContaining('anti-spam check') }),
    });
    // A wrong number, or a challenge of one's own signed with a guess, is refused.
    const solved = solve(c);
    const parsed = JSON.parse(Buffer.from(solved, 'base64').toString()) as { number: number };
    const wrong = Buffer.from(JSON.stringify({ ...c, number: (parsed.number + 1) % 2001 })).toString('base64');
    expect((await subscribe('ann@example.com', wrong)).status).toBe(400);
    const own = { ...c, salt: 'mine?expires=9999999999' };
    own.challenge = crypto.createHash('sha256').update(`${own.salt}7`).digest('hex');
    expect((await subscribe('ann@example.com', solve(own))).status).toBe(400);
    expect(await readMailbox(mailDir)).toEqual([]);

    expect((await subscribe('ann@example.com', solved)).status).toBe(202);
    const reused = await subscribe('ann@example.com', solved);
    expect(reused).toEqual({
      status: 400,
      body: expect.objectContaining({ field: 'altcha', message: expect.stringContaining('already used') }),
    });
    expect((await readMailbox(mailDir)).map((m) => m.to)).toEqual(['ann@example.com']);

    const late = await challenge();
    clock += 61_000;
    const expired = await subscribe('bob@example.com', solve(late));
    expect(expired.body.message).toContain('expired');
  });
});
