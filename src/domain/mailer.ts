import { BadInputError, ConfigurationError } from './errors';

/**
 * One email to send. `messageId` is chosen by the caller (derived from the
 * delivery it belongs to), so a resend of the same delivery carries the same
 * Message-ID and a receiver can tell it is the same message.
 */
export interface OutgoingEmail {
  /** The Message-ID without angle brackets, e.g. `delivery-42.2024-01-05@algo-signals`. */
  readonly messageId: string;
  /** Sender address; defaults to the mailer's configured sender. */
  readonly from?: string;
  /** One recipient address. */
  readonly to: string;
  readonly subject: string;
  /** The plain-text part. */
  readonly text: string;
  /** The HTML part. */
  readonly html: string;
  /** Extra headers such as `List-Unsubscribe` and `List-Unsubscribe-Post`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the SMTP server said when it accepted a message. */
export interface SendResult {
  /** The Message-ID as sent, with angle brackets. */
  readonly messageId: string;
  /** Recipients the server accepted. */
  readonly accepted: readonly string[];
  /** Recipients the server refused while accepting the others (empty for a single recipient). */
  readonly rejected: readonly string[];
  /** The server's final reply, e.g. `250 OK: message queued`. */
  readonly response: string;
}

/**
 * Sends email. Implementations classify every failure:
 * - {@link PermanentDeliveryError} when the server refuses the message or its
 *   recipient for good (an SMTP 5xx reply): record it, do not retry;
 * - {@link MailerConfigurationError} when the server refuses our login or
 *   requires one (SMTP 530, 534, 535, 538): no message can go until the
 *   operator fixes the config; nothing is the recipient's fault;
 * - {@link TransientError} (from ./errors) for everything that may pass: the
 *   server unreachable, a timeout, a 4xx reply.
 */
export interface Mailer {
  /** Send one message; resolves once the server has accepted it. */
  send(message: OutgoingEmail): Promise<SendResult>;
}

/** The server refused the message for good (SMTP 5xx); retrying cannot help. */
export class PermanentDeliveryError extends BadInputError {
  constructor(
    message: string,
    /** The SMTP reply code, e.g. 550. */
    readonly smtpCode: number,
    /** The recipient the message was for. */
    readonly recipient: string,
  ) {
    super(message);
  }
}

/**
 * The SMTP server refused our login, or requires one we did not give
 * (530/534/535/538, or nodemailer's EAUTH/ENOAUTH/ECONFIG): a configuration
 * error. Every send would fail the same way, so a fan-out stops at once and
 * fails loudly, leaving its deliveries claimed (not refused) for the run after
 * the fix.
 */
export class MailerConfigurationError extends ConfigurationError {
  constructor(
    message: string,
    /** The SMTP reply code when the server gave one, e.g. 535. */
    readonly smtpCode?: number,
  ) {
    super(message);
  }
}

/**
 * The deployment's send rate (`mail.maxPerSecond`): every process that sends
 * email asks it for a slot, so the limit holds for all of them together.
 */
export interface SendRateLimiter {
  /** Resolve when this process may send one message; throws when the shared counter cannot be reached. */
  waitForSlot(): Promise<void>;
}
