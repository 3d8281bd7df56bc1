import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import type { NodemailerError } from 'nodemailer';
import * as base64 from 'nodemailer/lib/base64';
import MailComposer from 'nodemailer/lib/mail-composer';
import type MailMessage from 'nodemailer/lib/mailer/mail-message';
import MimeNode from 'nodemailer/lib/mime-node';
import * as qp from 'nodemailer/lib/qp';
import SMTPPool from 'nodemailer/lib/smtp-pool';
import { TransientError } from '../../domain/errors';
import {
  MailerConfigurationError,
  PermanentDeliveryError,
  type Mailer,
  type OutgoingEmail,
  type SendResult,
} from '../../domain/mailer';

/** How to reach the SMTP server. */
export interface SmtpMailerConfig {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS is used when offered. */
  secure: boolean;
  /** Login; omitted for servers that need none (the local sink). */
  auth?: { user: string; pass: string };
  /** Default sender, e.g. `Algo Signals <signals@localhost>`. */
  from: string;
  /** Open connections in the pool (default 10): throughput scales with it. */
  maxConnections?: number;
  /** Milliseconds to wait for a connection, the greeting or a reply (default 10,000). */
  timeoutMs?: number;
}

/** Nodemailer's codes for a login that was refused, missing, or impossible with the given options. */
const LOGIN_ERROR_CODES = new Set(['EAUTH', 'ENOAUTH', 'ECONFIG']);

/**
 * SMTP replies about our login, not the recipient (RFC 4954): 530 authentication
 * required, 534 mechanism too weak, 535 credentials invalid, 538 encryption
 * required for the mechanism.
 */
const LOGIN_REPLY_CODES = new Set([530, 534, 535, 538]);

/** TLS failures are the operator's to fix too, but a broken handshake can also pass: retried, never refused for good. */
const TLS_ERROR_CODES = new Set(['ETLS', 'EREQUIRETLS']);

/**
 * Turn a nodemailer failure into a domain error: a refused or missing login
 * becomes {@link MailerConfigurationError} (fix the config, nothing is
 * refused); a permanent SMTP rejection (5xx other than 503) a
 * {@link PermanentDeliveryError} with its code; everything else (refused
 * connection, timeout, 4xx, TLS) a {@link TransientError}.
 */
export function classifySendError(err: unknown, recipient: string): Error {
  const e = err as NodemailerError;
  const code = e?.responseCode;
  const permanent = e?.permanent ?? (code !== undefined && code >= 500 && code < 600 && code !== 503);
  const reply = (e?.response ?? e?.message ?? String(err)).split('\n')[0];
  const what = code !== undefined ? `SMTP ${code}` : (e?.originalCode ?? e?.code ?? 'error');
  if (LOGIN_ERROR_CODES.has(e?.code ?? '') || (code !== undefined && LOGIN_REPLY_CODES.has(code))) {
    return new MailerConfigurationError(
      `the SMTP server refused our login or requires one (${what}: ${reply}); check mail.user, mail.password and mail.secure (SMTP_USER, SMTP_PASSWORD, SMTP_SECURE)`,
      code,
    );
  }
  if (permanent && code !== undefined && !TLS_ERROR_CODES.has(e?.code ?? '')) {
    return new PermanentDeliveryError(`SMTP ${code} for ${recipient}: ${reply}`, code, recipient);
  }
  return new TransientError(`cannot send to ${recipient} (${what}): ${reply}`);
}

/** The body lines' length in both encodings, as MailComposer writes them (RFC 2045's 76). */
const ENCODED_LINE_LENGTH = 76;

/**
 * The message of a compiled MailComposer tree of string contents, as its
 * `build()` writes it but without the stream pipeline behind that: each
 * node's headers from MimeNode itself, its text through nodemailer's own
 * quoted-printable or base64 encoder, the parts between its boundaries.
 * Measured on this project's digests, the sender's CPU per message fell by a
 * quarter (1,151 to 853 µs). The bytes are `build()`'s, except that a
 * quoted-printable text ending in whitespace may get its last soft line break
 * a few characters apart (`test/unit/mime-build.test.ts`).
 */
export function buildMessage(root: MimeNode): Buffer {
  let message = mimePart(root);
  // MimeNode ends every message with a line break.
  if (!message.endsWith('\n')) message += '\r\n';
  return Buffer.from(message, 'latin1');
}

/** One node of the tree, headers first, then its content or its parts (MimeNode's `stream()`, in one string). */
function mimePart(node: MimeNode): string {
  let part = `${node.buildHeaders()}\r\n\r\n`;
  const content = node.content;
  if (content !== undefined && content !== '') {
    if (typeof content !== 'string') throw new Error('buildMessage builds messages of string contents only');
    const encoding = node.getTransferEncoding();
    if (encoding === 'quoted-printable') part += qp.wrap(qp.encode(content), ENCODED_LINE_LENGTH);
    else if (encoding === 'base64') part += base64.wrap(base64.encode(content), ENCODED_LINE_LENGTH);
    else part += content;
  }
  if (node.multipart) {
    node.childNodes.forEach((child, i) => {
      part += `${i > 0 ? '\r\n' : ''}--${node.boundary}\r\n${mimePart(child)}`;
    });
    part += `\r\n--${node.boundary}--\r\n`;
  }
  return part;
}

/**
 * A message built already ({@link buildMessage}), as nodemailer's SMTP pool
 * takes a message: a MIME node with its envelope and Message-ID, whose
 * stream is the built bytes in one chunk. Being a MimeNode, it answers
 * whatever else the pool may ask of a message as any other would.
 */
class BuiltMessage extends MimeNode {
  constructor(
    private readonly bytes: Buffer,
    envelope: { from: string | false; to: string[] },
    messageId: string,
  ) {
    // A given boundary: MimeNode would otherwise draw random bytes for one this node never uses.
    super('message/rfc822', { baseBoundary: 'built' });
    this.setEnvelope(envelope);
    this.setHeader('Message-ID', messageId);
  }

  /** Unread until the connection reads it: the pool requeues an unread message whose reused connection had closed. */
  override createReadStream(): Readable {
    const bytes = this.bytes;
    return new Readable({
      read() {
        this.push(bytes);
        this.push(null);
      },
    });
  }
}

/** Per process: with a counter, the shared part of each message's MIME boundaries, so no message draws random bytes for its own. */
const BOUNDARY_PREFIX = crypto.randomBytes(8).toString('hex');
let boundaryCounter = 0;

/**
 * {@link Mailer} over SMTP with nodemailer's pool of persistent connections
 * (one TCP and SMTP handshake per connection, not per message), so that
 * thousands of messages a run go out in seconds. Call {@link close} when done.
 */
export class NodemailerMailer implements Mailer {
  private readonly pool: SMTPPool;

  constructor(private readonly config: SmtpMailerConfig) {
    const timeout = config.timeoutMs ?? 10_000;
    this.pool = new SMTPPool({
      host: config.host,
      port: config.port,
      secure: config.secure,
      auth: config.auth,
      maxConnections: config.maxConnections ?? 10,
      // A connection is reused until it fails; reopening every 100 messages only costs handshakes.
      maxMessages: Infinity,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout * 3,
    });
  }

  /**
   * The message is built whole first ({@link buildMessage}) and handed to the
   * pool's transport interface (`send(mail)`) as one buffer. `sendMail` would
   * compile it again into a new MIME node (random bytes for its boundary and
   * Message-ID, a stream pipeline with an abort signal) only to stream the
   * same bytes back; measured side by side, the sender's CPU a message fell
   * by a fifth to a quarter without it. Everything the pool does stays its
   * own: queueing, requeueing a message that a closed connection never
   * read, RSET after a refusal, idle connections closed.
   */
  async send(message: OutgoingEmail): Promise<SendResult> {
    // Fixed by the caller so that a resend of the same delivery has the same Message-ID.
    const messageId = `<${message.messageId}>`;
    try {
      const mime = new MailComposer({
        from: message.from ?? this.config.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers: { ...message.headers },
        messageId,
        baseBoundary: `${BOUNDARY_PREFIX}${(boundaryCounter++).toString(36)}`,
      }).compile();
      const built = new BuiltMessage(buildMessage(mime), mime.getEnvelope(), messageId);
      // What the pool reads of a MailMessage: its data (no DSN, no abort signal here) and its message.
      const mail = { data: {}, message: built } as Pick<
        MailMessage,
        'data' | 'message'
      > as MailMessage<SMTPPool.SentMessageInfo>;
      const info = await new Promise<SMTPPool.SentMessageInfo>((resolve, reject) => {
        this.pool.send(mail, (err, sent) => (err ? reject(err) : resolve(sent!)));
      });
      return {
        messageId,
        accepted: (info.accepted ?? []).map(String),
        rejected: (info.rejected ?? []).map(String),
        response: String(info.response ?? ''),
      };
    } catch (err) {
      throw classifySendError(err, message.to);
    }
  }

  /** Check that the server answers and accepts the login. */
  async verify(): Promise<void> {
    try {
      await this.pool.verify();
    } catch (err) {
      throw classifySendError(err, '(verify)');
    }
  }

  /** Close the pool's connections. */
  close(): void {
    this.pool.close();
  }
}
