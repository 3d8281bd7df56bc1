import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { IsoDate } from '../domain/dates';
import type { Mailer } from '../domain/mailer';
import { deliverExactlyOnce, deliveryMessageId } from '../domain/notifications/delivery';
import { composeDigest } from '../domain/notifications/digest';
import type { DeliveryRepository, RecipientPage, SignalSelection } from '../domain/ports';

/** Links and headers every email carries (signed one-click unsubscribe). */
export interface UnsubscribeLinks {
  unsubscribe(subscriber: { subscriberId: number; email: string }): { url: string; headers: Record<string, string> };
  /** The subscriber's signed manage page, linked from every signal email. */
  manage(subscriber: { subscriberId: number; email: string }): string;
  /** Optional: the web app's page of one signal, linked from each signal of a digest. */
  signal?(signal: { ticker: string; strategy: string; date: string }): string;
}

export interface NotificationDependencies {
  deliveries: DeliveryRepository;
  mailer: Mailer;
  links: UnsubscribeLinks;
  /** Sends in flight at once within one batch activity. */
  sendConcurrency: number;
  /** Optional: notes per subscriber on recommendation changes they have not been told about (issue 4), and on their "recommended" subscriptions that send nothing now. */
  recommendationNotes?(subscriberIds: readonly number[]): Promise<Map<number, string[]>>;
}

/** Which fan-out: the daily digest, or a manual send of one ticker's signals. */
export interface NotificationTarget {
  /** `daily`, or `notification:TICKER`; part of the delivery key. */
  kind: string;
  date: IsoDate;
  ticker?: string;
}

export interface NotificationCounts {
  sent: number;
  /** Already delivered (or refused for good) by an earlier run; this run's own earlier attempts count as sent. */
  skipped: number;
  /** Refused for good by the SMTP server in this run. */
  failed: number;
}

/** The signals a fan-out emails: a ticker's of the date (manual send), else those the run of the date recorded. */
function selectionOf(target: NotificationTarget): SignalSelection {
  return target.ticker ? { date: target.date, ticker: target.ticker } : { runDate: target.date };
}

/** Email fan-out activities: each selected signal reaches each subscriber in exactly one email. */
export function createNotificationActivities(deps: NotificationDependencies) {
  return {
    /** Split the recipients of a fan-out into pages (subscriber-id ranges): only ranges travel through history. */
    async planNotifications(input: NotificationTarget & { pageSize: number }): Promise<RecipientPage[]> {
      return deps.deliveries.recipientPages({ signals: selectionOf(input), pageSize: input.pageSize });
    },

    /**
     * Email one page of recipients. The page's digests are planned in
     * Postgres first: each subscriber's selected signals that no delivery
     * carried to them yet go into a new digest (the date's next email to
     * them), claimed before sending; a digest claimed by an attempt that died
     * is sent again as it was, with the same Message-ID. So a partial run of
     * a date, the full run, and any re-run deliver each signal once.
     * Transient SMTP failures leave the claim and fail the activity, so
     * Temporal retries it with backoff; a permanent rejection is recorded and
     * never retried.
     */
    async sendNotifications(input: NotificationTarget & { page: RecipientPage }): Promise<NotificationCounts> {
      const context = Context.current();
      // The fan-out run: every delivery it marks sent records it, so its retries know their own sends.
      const { workflowId, runId } = context.info.workflowExecution;
      const sentBy = `${workflowId}/${runId}`;
      const { digests: recipients, delivered } = await deps.deliveries.planDigests({
        kind: input.kind,
        date: input.date,
        signals: selectionOf(input),
        page: input.page,
        messageId: (subscriberId, seq) => deliveryMessageId(input.kind, input.date, subscriberId, seq),
      });
      const signalLink = deps.links.signal
        ? (s: { ticker: string; strategy: string; date: string }) => deps.links.signal!(s)
        : undefined;
      const notes =
        (await deps.recommendationNotes?.(recipients.map((r) => r.subscriberId))) ?? new Map<number, string[]>();
      // Beat at most once a second on progress, and on a timer while sends are slow, so the
      // activity is not timed out (and retried alongside itself) while it still works.
      let lastBeat = 0;
      const beat = () => {
        lastBeat = Date.now();
        context.heartbeat();
      };
      const timer = setInterval(beat, 5_000);
      const outcome = await deliverExactlyOnce(deps, {
        kind: input.kind,
        date: input.date,
        concurrency: deps.sendConcurrency,
        items: recipients.map((recipient) => ({
          subscriberId: recipient.subscriberId,
          seq: recipient.seq,
          claimedNow: recipient.claimedNow,
          compose: () => {
            const link = deps.links.unsubscribe(recipient);
            const content = composeDigest({
              date: input.date,
              email: recipient.email,
              signals: recipient.signals,
              unsubscribeUrl: link.url,
              manageUrl: deps.links.manage(recipient),
              notes: notes.get(recipient.subscriberId),
              signalLink,
            });
            return { to: recipient.email, ...content, headers: link.headers };
          },
        })),
        sentBy,
        onMarked: () => {
          if (Date.now() - lastBeat >= 1_000) beat();
        },
      }).finally(() => clearInterval(timer));
      const alreadyDone = [...outcome.alreadySent, ...delivered];
      // Sent by an earlier attempt of this run (its worker killed mid-page): this run's sends, not earlier runs'.
      const sentEarlier = (
        await deps.deliveries.sentBy({ kind: input.kind, date: input.date, subscriberIds: alreadyDone, sentBy })
      ).length;
      if (outcome.deferred.length > 0) {
        const email = new Map(recipients.map((r) => [r.subscriberId, r.email]));
        throw ApplicationFailure.retryable(
          `${outcome.deferred.length} of ${recipients.length} emails not accepted yet (will retry): ${outcome.deferred
            .slice(0, 3)
            .map((d) => `${email.get(d.subscriberId)}: ${d.error}`)
            .join('; ')}`,
          'TransientDeliveryFailure',
        );
      }
      return {
        sent: outcome.sent.length + sentEarlier,
        skipped: alreadyDone.length - sentEarlier + outcome.refusedBefore.length,
        failed: outcome.refused.length,
      };
    },
  };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;
