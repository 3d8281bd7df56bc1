import { TransientError } from '../../domain/errors';
import type { Mailer, OutgoingEmail, SendResult, SendRateLimiter } from '../../domain/mailer';

/** A mailer that can be checked and closed, as the worker, the API and the CLI hold one. */
export interface ClosableMailer extends Mailer {
  verify(): Promise<void>;
  close(): void;
}

/**
 * A {@link Mailer} that sends each message only in a slot of the
 * deployment's send rate. When the shared counter cannot be reached the
 * message is not sent: a {@link TransientError}, retried like a server that
 * is down, so the provider's limit is never exceeded.
 */
export class RateLimitedMailer implements ClosableMailer {
  constructor(
    private readonly mailer: ClosableMailer,
    private readonly limiter: SendRateLimiter,
    private readonly onClose: () => void = () => undefined,
  ) {}

  async send(message: OutgoingEmail): Promise<SendResult> {
    try {
      await this.limiter.waitForSlot();
    } catch (err) {
      throw new TransientError(
        `cannot send to ${message.to}: no send slot (mail.maxPerSecond is counted in Redis): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return this.mailer.send(message);
  }

  verify(): Promise<void> {
    return this.mailer.verify();
  }

  close(): void {
    this.mailer.close();
    this.onClose();
  }
}
