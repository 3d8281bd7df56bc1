import crypto from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

/** Options of {@link startMailSink}. */
export interface MailSinkOptions {
  /** Interface to listen on (default 127.0.0.1: the sink is for local use). */
  host?: string;
  /** Port to listen on (default 1025; 0 picks a free one). */
  port?: number;
  /** Directory the `.eml` files are written to (created if missing). */
  dir: string;
  /** Refuse recipients matching this pattern with `550` (to test permanent failures). */
  rejectRecipients?: RegExp;
  /** Refuse recipients matching this pattern with `450` (to test transient failures). */
  deferRecipients?: RegExp;
  /** Milliseconds `close()` waits for open connections before dropping them (default 500). */
  closeTimeoutMs?: number;
  /**
   * Require this login, as a real relay does (default: any login or none):
   * a client without one gets `530`, a wrong one `535`.
   */
  credentials?: { user: string; password: string };
}

/** A running sink. */
export interface MailSink {
  /** The port it listens on (the real one when 0 was asked). */
  readonly port: number;
  /** Counts since start: SMTP connections opened and messages stored. */
  stats(): { connections: number; messages: number };
  /** Stop listening and drop open connections; the directory is left as it is. */
  close(): Promise<void>;
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/** `20240105T213000123Z`: sorts by arrival time. */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('.', '');
}

/**
 * Write `content` as `<time>-<hash>.eml` in `dir` so that a reader never sees a
 * half-written file: write a temporary dot-file, then hard-link it to its name
 * (which, unlike rename, never overwrites: two identical messages arriving in
 * the same millisecond both stay visible as `-1`, `-2`, ...). Synchronous: on a
 * local disk the three calls take microseconds, less than handing each to the
 * thread pool and back.
 */
function storeAtomically(dir: string, content: Buffer, receivedAt: number): string {
  const hash = crypto.createHash('sha256').update(content).digest('hex').slice(0, 16);
  const base = `${timestamp(receivedAt)}-${hash}`;
  const temp = path.join(dir, `.${base}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  fsSync.writeFileSync(temp, content);
  try {
    for (let n = 0; ; n++) {
      const name = n === 0 ? `${base}.eml` : `${base}-${n}.eml`;
      try {
        fsSync.linkSync(temp, path.join(dir, name));
        return name;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  } finally {
    fsSync.unlinkSync(temp);
  }
}

/** Trace headers a final delivery agent adds, so Bcc and envelope recipients stay visible. */
function envelopeHeaders(session: SMTPServerSession): string {
  const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
  const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
  return `Return-Path: <${from}>\r\nDelivered-To: ${to}\r\n`;
}

/**
 * Start a local SMTP server that accepts every message (and any login, with or
 * without TLS, unless `credentials` asks for one) and stores each one as an `.eml` file in `dir`. Used by
 * `algo stack up` for local runs and by the tests; stopping and starting it
 * again simulates an SMTP outage.
 */
export async function startMailSink(options: MailSinkOptions): Promise<MailSink> {
  const {
    host = '127.0.0.1',
    port = 1025,
    dir,
    rejectRecipients,
    deferRecipients,
    closeTimeoutMs = 500,
    credentials,
  } = options;
  await fs.mkdir(dir, { recursive: true });
  const counts = { connections: 0, messages: 0 };

  const server = new SMTPServer({
    logger: false,
    banner: 'algo-signals mail sink',
    // Local only: no TLS (nodemailer would refuse the self-signed certificate), logins accepted in clear.
    disabledCommands: ['STARTTLS'],
    authOptional: credentials === undefined,
    allowInsecureAuth: true,
    disableReverseLookup: true,
    closeTimeout: closeTimeoutMs,
    onConnect(_session, callback) {
      counts.connections++;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (credentials && (auth.username !== credentials.user || auth.password !== credentials.password)) {
        return callback(smtpError(535, '5.7.8 Error: authentication failed'));
      }
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onRcptTo(address, _session, callback) {
      if (rejectRecipients?.test(address.address)) {
        return callback(smtpError(550, `5.1.1 <${address.address}>: recipient rejected by the mail sink`));
      }
      if (deferRecipients?.test(address.address)) {
        return callback(smtpError(450, `4.2.1 <${address.address}>: recipient deferred by the mail sink`));
      }
      callback();
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = [Buffer.from(envelopeHeaders(session))];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (err: Error) => callback(smtpError(451, `4.3.0 ${err.message}`)));
      stream.on('end', () => {
        let file: string;
        try {
          file = storeAtomically(dir, Buffer.concat(chunks), Date.now());
        } catch (err) {
          return callback(smtpError(451, `4.3.0 cannot store the message: ${(err as Error).message}`));
        }
        counts.messages++;
        callback(null, `stored as ${file}`);
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // Errors on a client connection (a client vanishing) must not crash the sink.
  server.on('error', () => undefined);
  const address = server.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;

  let closing: Promise<void> | undefined;
  return {
    port: boundPort,
    stats: () => ({ ...counts }),
    close() {
      closing ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closing;
    },
  };
}
