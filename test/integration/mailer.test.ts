import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { NodemailerMailer } from '../../src/adapters/email/nodemailer-mailer';
import { BadInputError, ConfigurationError, TransientError } from '../../src/domain/errors';
import { MailerConfigurationError, PermanentDeliveryError, type OutgoingEmail } from '../../src/domain/mailer';
import { listMailSink, startMailSink, type MailSink } from '../../src/mail-sink';

const FROM = 'Algo Signals <signals@localhost>';

function email(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    messageId: 'delivery-1.2010-11-29@algo-signals',
    to: 'ann@example.com',
    subject: 'BUY AAPL (sma_cross) on 2010-11-29',
    text: 'BUY AAPL at 316.40 (sma_cross: sma7 314.2 > sma21 310.1)',
    html: '<p><b>BUY</b> AAPL at 316.40</p>',
    headers: {
      'List-Unsubscribe': '<http://127.0.0.1:8000/unsubscribe?token=abc.def>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
    ...overrides,
  };
}

describe('NodemailerMailer against the real mail sink', () => {
  let dir: string;
  let sink: MailSink;
  let mailer: NodemailerMailer;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mailer-test-'));
    sink = await startMailSink({ port: 0, dir, rejectRecipients: /^bounce@/, deferRecipients: /^later@/ });
    mailer = new NodemailerMailer({ host: '127.0.0.1', port: sink.port, secure: false, from: FROM, timeoutMs: 2_000 });
  });

  afterEach(async () => {
    mailer.close();
    await sink.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('delivers a message with its subject, Message-ID, unsubscribe headers, html and text parts', async () => {
    const result = await mailer.send(email());
    expect(result).toMatchObject({
      messageId: '<delivery-1.2010-11-29@algo-signals>',
      accepted: ['ann@example.com'],
      rejected: [],
    });
    expect(result.response).toMatch(/^250 /);

    const [stored] = await listMailSink(dir);
    const parsed = await simpleParser(await fs.readFile(stored.file));
    expect(parsed.messageId).toBe('<delivery-1.2010-11-29@algo-signals>');
    expect(parsed.subject).toBe('BUY AAPL (sma_cross) on 2010-11-29');
    expect(parsed.from?.text).toBe('"Algo Signals" <signals@localhost>');
    expect(parsed.to).toMatchObject({ text: 'ann@example.com' });
    expect(parsed.text?.trim()).toBe('BUY AAPL at 316.40 (sma_cross: sma7 314.2 > sma21 310.1)');
    expect(parsed.html).toContain('<p><b>BUY</b> AAPL at 316.40</p>');
    const header = (key: string) => parsed.headerLines.find((h) => h.key === key)?.line;
    expect(header('list-unsubscribe')).toBe('List-Unsubscribe: <http://127.0.0.1:8000/unsubscribe?token=abc.def>');
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  });

  it('sends a resend of the same message with the same Message-ID', async () => {
    await mailer.send(email());
    await mailer.send(email());
    const stored = await listMailSink(dir);
    expect(stored.map((m) => m.messageId)).toEqual([
      '<delivery-1.2010-11-29@algo-signals>',
      '<delivery-1.2010-11-29@algo-signals>',
    ]);
  });

  it('uses the sender of the message when it has one', async () => {
    await mailer.send(email({ from: 'Other <other@localhost>' }));
    const [stored] = await listMailSink(dir);
    expect((await simpleParser(await fs.readFile(stored.file))).from?.value[0].address).toBe('other@localhost');
  });

  it('turns a refused recipient (550) into a PermanentDeliveryError with the code', async () => {
    const failure = await mailer.send(email({ to: 'bounce@example.com' })).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PermanentDeliveryError);
    expect(failure).toBeInstanceOf(BadInputError);
    expect(failure).toMatchObject({ name: 'PermanentDeliveryError', smtpCode: 550, recipient: 'bounce@example.com' });
    expect((failure as Error).message).toMatch(/^SMTP 550 for bounce@example.com: /);
    expect(await listMailSink(dir)).toEqual([]);
  });

  it('turns a deferred recipient (450) into a TransientError', async () => {
    const failure = await mailer.send(email({ to: 'later@example.com' })).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(TransientError);
    expect((failure as Error).message).toMatch(/SMTP 450/);
  });

  it('turns a stopped sink into a TransientError, and sends again once it is back', async () => {
    await mailer.send(email({ messageId: 'before@algo-signals' }));
    const port = sink.port;
    await sink.close();

    const failure = await mailer.send(email({ messageId: 'during@algo-signals' })).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(TransientError);
    expect(failure).not.toBeInstanceOf(BadInputError);
    expect((failure as Error).message).toMatch(/ECONNREFUSED/);

    sink = await startMailSink({ port, dir });
    await mailer.send(email({ messageId: 'after@algo-signals' }));
    expect((await listMailSink(dir)).map((m) => m.messageId)).toEqual([
      '<before@algo-signals>',
      '<after@algo-signals>',
    ]);
  });

  describe('a server that requires a login', () => {
    let relay: MailSink;
    let relayDir: string;
    const credentials = { user: 'signals', password: 'right-password' };
    const mailerFor = (auth?: { user: string; pass: string }) =>
      new NodemailerMailer({ host: '127.0.0.1', port: relay.port, secure: false, from: FROM, timeoutMs: 2_000, auth });

    beforeEach(async () => {
      relayDir = await fs.mkdtemp(path.join(os.tmpdir(), 'mailer-relay-'));
      relay = await startMailSink({ port: 0, dir: relayDir, credentials });
    });
    afterEach(async () => {
      await relay.close();
      await fs.rm(relayDir, { recursive: true, force: true });
    });

    it.each([
      ['no login (530)', undefined, 530],
      ['a wrong password (535)', { user: 'signals', pass: 'wrong' }, 535],
    ])('turns %s into a MailerConfigurationError, not a refusal of the recipient', async (_what, auth, code) => {
      const client = mailerFor(auth);
      const failure = await client.send(email()).catch((err: unknown) => err);
      client.close();
      expect(failure).toBeInstanceOf(MailerConfigurationError);
      expect(failure).toBeInstanceOf(ConfigurationError);
      expect(failure).not.toBeInstanceOf(PermanentDeliveryError);
      expect(failure).not.toBeInstanceOf(BadInputError);
      expect(failure).toMatchObject({ name: 'MailerConfigurationError', smtpCode: code });
      expect((failure as Error).message).toMatch(new RegExp(`SMTP ${code}.*check mail.user, mail.password`));
      expect(await listMailSink(relayDir)).toEqual([]);
    });

    it('delivers with the right login', async () => {
      const client = mailerFor({ user: 'signals', pass: 'right-password' });
      await client.send(email());
      client.close();
      expect((await listMailSink(relayDir)).map((m) => m.messageId)).toEqual(['<delivery-1.2010-11-29@algo-signals>']);
    });
  });

  it('turns an unreachable server into a TransientError within the timeout', async () => {
    const nowhere = new NodemailerMailer({ host: '10.255.255.1', port: 25, secure: false, from: FROM, timeoutMs: 500 });
    const started = Date.now();
    const failure = await nowhere.send(email()).catch((err: unknown) => err);
    nowhere.close();
    expect(failure).toBeInstanceOf(TransientError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('delivers 2,000 messages through the connection pool, each exactly once', async () => {
    const count = 2_000;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        mailer.send(email({ messageId: `bulk-${i}@algo-signals`, to: `user${i}@example.com` })),
      ),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stored = await listMailSink(dir);
    expect(stored).toHaveLength(count);
    expect(new Set(stored.map((m) => m.messageId)).size).toBe(count);
    // Pooled: a handful of connections carry every message (the default pool has 10).
    expect(sink.stats()).toEqual({ connections: expect.any(Number), messages: count });
    expect(sink.stats().connections).toBeLessThanOrEqual(10);
    process.stderr.write(
      `mailer throughput: ${count} messages in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)} messages/s\n`,
    );
    // The target pace is 10,000 in ~15 s (2,000 in 3 s); the bound leaves room for a loaded CI machine.
    expect(seconds).toBeLessThan(30);
  });

  it('sends a message again over a new connection when the server closed the reused one before reading it', async () => {
    // A real SMTP server that drops every connection, without a reply, at its second MAIL FROM:
    // a reused connection that the server (a relay restarting, an idle timeout) closed in between.
    const received: string[] = [];
    const closingServer: SMTPServer = new SMTPServer({
      logger: false,
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onMailFrom(_address, session, callback) {
        if (session.transaction > 1) {
          // smtp-server keeps its connections in a Set; the socket is the connection's own.
          const connection = [...closingServer.connections].find((c) => c.session?.id === session.id);
          if (!connection) return callback(new Error('the test could not find its connection'));
          return connection._socket.destroy();
        }
        callback();
      },
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push(/^Message-ID: (\S+)/im.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? '');
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => closingServer.listen(0, '127.0.0.1', resolve));
    const address = closingServer.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const oneConnection = new NodemailerMailer({
      host: '127.0.0.1',
      port,
      secure: false,
      from: FROM,
      maxConnections: 1,
    });
    try {
      // One at a time on one connection: each message after the first finds its connection closed before a byte of it went out.
      for (let i = 1; i <= 5; i++) {
        const result = await oneConnection.send(email({ messageId: `requeued-${i}@algo-signals` }));
        expect(result.accepted).toEqual(['ann@example.com']);
      }
    } finally {
      oneConnection.close();
      await new Promise<void>((resolve) => closingServer.close(() => resolve()));
    }
    expect(received).toEqual([1, 2, 3, 4, 5].map((i) => `<requeued-${i}@algo-signals>`));
  });
});
