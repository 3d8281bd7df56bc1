import type { IsoDate } from '../dates';
import { MailerConfigurationError, PermanentDeliveryError, type Mailer, type OutgoingEmail } from '../mailer';
import type { DeliveryClaim, DeliveryRepository } from '../ports';

/**
 * Exactly-once email, the one path every email of the system takes (daily
 * digests, manual sends, confirmations): each (kind, date, subscriber, seq)
 * is claimed in the deliveries table before it is sent, and its Message-ID
 * derives from that key, so a resend is the same message to any receiver.
 * Digests number their emails (`seq`) so a later run of a date can send the
 * signals an earlier one did not carry.
 */

/** The domain part of Message-IDs. */
export const MESSAGE_ID_DOMAIN = 'algo-signals';

/** Deterministic from the delivery key: `daily.2018-02-07.s42@algo-signals`, then `daily.2018-02-07.s42-2@algo-signals` for the second email. */
export function deliveryMessageId(kind: string, date: IsoDate, subscriberId: number, seq = 1): string {
  return `${kind.replace(/[^A-Za-z0-9.-]/g, '-')}.${date}.s${subscriberId}${seq === 1 ? '' : `-${seq}`}@${MESSAGE_ID_DOMAIN}`;
}

/** One email to deliver: composed only when it is really sent. */
export interface DeliveryItem {
  subscriberId: number;
  /** The n-th email of this (kind, date, subscriber); default 1. */
  seq?: number;
  /**
   * Claimed by the caller in this same attempt, under this Message-ID (a
   * digest planned a moment ago): sent without claiming it again.
   */
  claimedNow?: { messageId: string };
  compose(): Omit<OutgoingEmail, 'messageId'>;
}

/** What happened to each item of {@link deliverExactlyOnce}, by subscriber id. */
export interface DeliveryOutcome {
  /** Sent now (and marked sent). */
  sent: number[];
  /** Sent by an earlier attempt or run: not sent again. */
  alreadySent: number[];
  /** Refused for good by the server now (recorded, never retried). */
  refused: Array<{ subscriberId: number; error: string }>;
  /** Refused for good by an earlier attempt or run. */
  refusedBefore: number[];
  /** Not accepted yet (server down, 4xx): still claimed, to be sent by a retry. */
  deferred: Array<{ subscriberId: number; error: string }>;
}

export interface DeliveryDependencies {
  deliveries: Pick<DeliveryRepository, 'claim' | 'markSent' | 'markFailed'>;
  mailer: Mailer;
}

/** Most ids one "sent" UPDATE carries, and longest an id waits for one. */
const MARK_BATCH = 100;
const MARK_DELAY_MS = 50;
/** Waits before each new try of a failed "sent" UPDATE (a database restart takes a few seconds): then it gives up. */
export const MARK_RETRY_DELAYS_MS: readonly number[] = [250, 500, 1_000, 2_000, 4_000, 8_000];

/**
 * Marks deliveries sent in few statements: an UPDATE goes when 100 ids wait
 * or the oldest has waited 50 ms, one at a time. The wait is the price of
 * the crash window: a sender killed in it resends those messages, with the
 * same Message-IDs. A failed UPDATE keeps its ids and is tried again after
 * each of `retryDelaysMs`; while it fails, {@link ready} holds the senders
 * back, so a send-out that cannot record sends nothing more. The last
 * failure is kept and thrown by {@link ready} and {@link drain}, never left
 * unhandled; after it, nothing more is marked.
 */
class SentMarks {
  private pending: number[] = [];
  private running: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The latest failed UPDATE while retries remain. */
  private trouble: unknown;
  private failedTries = 0;
  private failure: unknown;

  constructor(
    private readonly mark: (ids: number[]) => Promise<void>,
    private readonly onMarked: (ids: readonly number[]) => void,
    private readonly retryDelaysMs: readonly number[],
  ) {}

  add(subscriberId: number): void {
    this.pending.push(subscriberId);
    this.schedule();
  }

  private schedule(): void {
    if (this.running || this.timer || this.pending.length === 0 || this.failure !== undefined) return;
    if (this.trouble !== undefined)
      this.timer = setTimeout(() => this.start(), this.retryDelaysMs[this.failedTries - 1]);
    else if (this.pending.length >= MARK_BATCH) this.start();
    else this.timer = setTimeout(() => this.start(), MARK_DELAY_MS);
  }

  private start(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || this.pending.length === 0 || this.failure !== undefined) return;
    const ids = this.pending.splice(0);
    this.running = this.mark(ids)
      .then(() => {
        this.trouble = undefined;
        this.failedTries = 0;
        this.onMarked(ids);
      })
      .catch((err: unknown) => {
        // Keep the ids: they were sent, and a retry of the UPDATE records them.
        this.pending.unshift(...ids);
        this.failedTries++;
        if (this.failedTries > this.retryDelaysMs.length) this.failure = err;
        else this.trouble = err;
      })
      .finally(() => {
        this.running = undefined;
        this.schedule();
      });
  }

  /** Resolves at once while marks succeed; waits out a failing UPDATE's retries; throws once they are spent. */
  async ready(): Promise<void> {
    while (this.trouble !== undefined && this.failure === undefined) {
      if (this.running) await this.running;
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Mark every added id now (retrying as above) and wait for it; throws the final failure. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.running) await this.running;
      else if (this.pending.length > 0 && this.failure === undefined) {
        if (this.trouble !== undefined && this.timer) await this.ready().catch(() => undefined);
        else this.start();
      } else break;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.failure !== undefined) throw this.failure;
  }
}

/**
 * Run `fn` over `items`, `limit` at a time. A failing item stops its lane,
 * and the call settles only when every lane has: no send is still under way
 * when the caller (and a retry after it) moves on.
 */
async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  const failed = (await Promise.allSettled(lanes)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Deliver `items` exactly once per (kind, date, subscriber, seq): claim them all
 * in one statement (but those the caller claimed itself in this attempt); skip what an earlier attempt sent or saw refused; send
 * the rest (new claims, and claims an attempt that died left open, again
 * with their stored Message-ID), `concurrency` at a time. A permanent
 * rejection is recorded; a transient failure leaves the claim open for a
 * retry. A {@link MailerConfigurationError} (refused login) stops the
 * sending and is thrown once what was sent is marked: every claim not sent
 * stays open. `onMarked` hears of every batch of ids marked sent. A failed
 * "sent" UPDATE stops new sends at once; it is tried again after each of
 * `markRetryDelaysMs` (sending resumes when it succeeds) and then thrown,
 * once the sends in flight have settled.
 *
 * The one gap SMTP leaves: a sender killed between the server's `250` and
 * the mark resends, on retry, the same message with the same Message-ID.
 */
export async function deliverExactlyOnce(
  deps: DeliveryDependencies,
  input: {
    kind: string;
    date: IsoDate;
    items: readonly DeliveryItem[];
    concurrency: number;
    onMarked?: (ids: readonly number[]) => void;
    /** The fan-out run sending (`<workflow id>/<run id>`), recorded with each delivery it marks sent. */
    sentBy?: string;
    /** Waits before each new try of a failed "sent" UPDATE; default {@link MARK_RETRY_DELAYS_MS}. */
    markRetryDelaysMs?: readonly number[];
  },
): Promise<DeliveryOutcome> {
  const { kind, date } = input;
  const outcome: DeliveryOutcome = { sent: [], alreadySent: [], refused: [], refusedBefore: [], deferred: [] };
  if (input.items.length === 0) return outcome;
  // Outcomes are by subscriber: one email per subscriber per call.
  if (new Set(input.items.map((i) => i.subscriberId)).size !== input.items.length)
    throw new Error(`deliveries ${kind} ${date}: a subscriber appears twice in one call`);
  const toClaim = input.items.filter((item) => !item.claimedNow);
  const claims =
    toClaim.length === 0
      ? new Map<number, DeliveryClaim>()
      : await deps.deliveries.claim({
          kind,
          date,
          deliveries: toClaim.map((item) => ({
            subscriberId: item.subscriberId,
            seq: item.seq ?? 1,
            messageId: deliveryMessageId(kind, date, item.subscriberId, item.seq),
          })),
        });
  for (const item of input.items)
    if (item.claimedNow) claims.set(item.subscriberId, { status: 'claimed', messageId: item.claimedNow.messageId });
  const messageIdOf = (subscriberId: number) => claims.get(subscriberId)!.messageId;
  const marks = new SentMarks(
    (ids) => deps.deliveries.markSent({ messageIds: ids.map(messageIdOf), sentBy: input.sentBy }),
    (ids) => {
      outcome.sent.push(...ids);
      input.onMarked?.(ids);
    },
    input.markRetryDelaysMs ?? MARK_RETRY_DELAYS_MS,
  );
  const toSend: Array<{ item: DeliveryItem; messageId: string }> = [];
  for (const item of input.items) {
    const claim = claims.get(item.subscriberId);
    if (!claim) throw new Error(`delivery ${kind} ${date} of subscriber ${item.subscriberId} was not claimed`);
    if (claim.status === 'sent') outcome.alreadySent.push(item.subscriberId);
    else if (claim.status === 'failed') outcome.refusedBefore.push(item.subscriberId);
    else toSend.push({ item, messageId: claim.messageId });
  }

  // A refused login fails every send the same way: stop sending, keep the claims open for the run after the fix.
  let misconfigured: MailerConfigurationError | undefined;
  // A refusal that could not be recorded stops the other lanes too (its own lane throws it).
  let unrecorded = false;
  const sending = mapLimit(toSend, input.concurrency, async ({ item, messageId }) => {
    if (misconfigured || unrecorded) return;
    // A send-out that cannot record what it sent sends nothing more until it can (or gives up):
    // a database restart then costs at most the messages already in flight.
    await marks.ready();
    if (misconfigured || unrecorded) return;
    try {
      await deps.mailer.send({ ...item.compose(), messageId });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (err instanceof MailerConfigurationError) {
        misconfigured ??= err;
      } else if (err instanceof PermanentDeliveryError) {
        await deps.deliveries.markFailed({ messageId, error }).catch((markError: unknown) => {
          unrecorded = true;
          throw markError;
        });
        outcome.refused.push({ subscriberId: item.subscriberId, error });
      } else {
        outcome.deferred.push({ subscriberId: item.subscriberId, error });
      }
      return;
    }
    marks.add(item.subscriberId);
  });
  try {
    await sending;
  } finally {
    // Whatever failed, what was sent is marked before the caller moves on.
    await marks.drain();
  }
  if (misconfigured) throw misconfigured;
  return outcome;
}
