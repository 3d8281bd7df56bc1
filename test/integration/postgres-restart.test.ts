import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { sql } from 'kysely';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { PostgresDeliveryRepository } from '../../src/adapters/postgres/postgres-delivery.repository';
import { deliverExactlyOnce, type DeliveryItem } from '../../src/domain/notifications/delivery';
import { startMailSink, type MailSink } from '../../src/mail-sink';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { duplicates, freePort, readMailbox, storedMessageCount, tempDir, waitFor } from '../support/mail';
import { canCreateCluster, createPrivatePostgres, type PrivatePostgres } from '../support/private-postgres';

// Restarts a Postgres server of its own (never the shared one) under the
// worker's code paths: a transaction in progress, and an email send-out.
// Needs Debian's pg_createcluster and root (as CI and the dev machines have): no silent skip.
if (!canCreateCluster())
  throw new Error('the Postgres restart tests need pg_createcluster (postgresql-common) and root');
const describeWithCluster = describe;

describeWithCluster('a Postgres restart', () => {
  let server: PrivatePostgres;
  let database: TestDatabase;

  beforeAll(async () => {
    server = await createPrivatePostgres(await freePort());
    database = await createTestDatabase('algo_restart', server.url);
  }, 60_000);

  afterAll(async () => {
    await database?.destroy().catch(() => undefined);
    await server?.drop();
  });

  it('does not kill a process whose pg client is checked out by a transaction', async () => {
    const child = spawn(
      process.execPath,
      ['--require', 'tsx/cjs', path.join(__dirname, '..', 'support', 'hold-transaction.ts'), database.url],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const lines: string[] = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    readline.createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    await waitFor('the child to open its transaction', () => lines.includes('in-transaction'), 30_000);
    await server.restart();
    // The server closed the idle-in-transaction client while the child waited: it must still be alive.
    await new Promise((r) => setTimeout(r, 300));
    expect(child.exitCode).toBeNull();
    child.stdin.end('go on\n');

    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/Unhandled 'error' event/);
    expect(lines).toEqual(['in-transaction', expect.stringMatching(/^transaction failed: /), 'survived']);
  });

  it('costs a send-out at most the messages in flight: no digest twice beyond them, and the retry finishes', async () => {
    const count = 600;
    const concurrency = 10;
    const emails = Array.from({ length: count }, (_, i) => `user${i + 1}@example.com`);
    const { rows } = await sql<{ id: number }>`
      insert into subscribers (email, status) select e, 'confirmed' from unnest(${emails}::text[]) e returning id`.execute(
      database.db,
    );
    const ids = rows.map((r) => Number(r.id));
    const mailDir = tempDir('algo-restart-');
    const sink: MailSink = await startMailSink({ port: 0, dir: mailDir });
    const mailer = new NodemailerMailer({ host: '127.0.0.1', port: sink.port, secure: false, from: 'A <a@localhost>' });
    // Slow enough that the restart lands in the middle of the send-out.
    const slowMailer = {
      send: async (message: Parameters<NodemailerMailer['send']>[0]) => {
        await new Promise((r) => setTimeout(r, 15));
        return mailer.send(message);
      },
    };
    const items: DeliveryItem[] = ids.map((subscriberId) => ({
      subscriberId,
      compose: () => ({
        to: `s${subscriberId}@example.com`,
        subject: `digest ${subscriberId}`,
        text: 't',
        html: '<p>h</p>',
      }),
    }));
    const deliveries = new PostgresDeliveryRepository(database.db);
    const sendOut = () =>
      deliverExactlyOnce({ deliveries, mailer: slowMailer }, { kind: 'daily', date: '2018-02-07', items, concurrency });
    try {
      let attempts = 0;
      const restarting = waitFor(
        'a quarter of the digests',
        () => storedMessageCount(mailDir) >= count / 4,
        60_000,
      ).then(() => server.restart());
      // As Temporal would: an attempt that fails is retried until one finishes.
      for (;;) {
        attempts++;
        try {
          const outcome = await sendOut();
          if (outcome.deferred.length === 0) break;
        } catch (err) {
          if (attempts > 20) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      await restarting;

      const mail = await readMailbox(mailDir);
      const messageIds = mail.map((m) => m.messageId);
      expect(new Set(messageIds).size).toBe(count);
      const twice = duplicates(messageIds);
      expect(Object.keys(twice).length).toBeLessThanOrEqual(concurrency);
      const statuses = await database.db
        .selectFrom('deliveries')
        .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute();
      expect(statuses.map((s) => [s.status, Number(s.n)])).toEqual([['sent', count]]);
    } finally {
      mailer.close();
      await sink.close();
    }
  });
});
