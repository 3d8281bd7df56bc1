import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { IsoDate } from '../domain/dates';
import { PermanentDeliveryError, type Mailer } from '../domain/mailer';
import { composeDigest } from '../domain/notifications/digest';
import type { DeliveryRepository, DigestRecipient, RecipientPage } from '../domain/ports';

/** Links and headers every email carries (signed one-click unsubscribe). */
export interface UnsubscribeLinks {
  unsubscribe(subscriber: { subscriberId: number; email: string }): { url: string; headers: Record<string, string> };
}

export interface NotificationDependencies {
  deliveries: DeliveryRepository;
  mailer: Mailer;
  links: UnsubscribeLinks;
  /** Sends in flight at once within one batch activity. */
  sendConcurrency: number;
  /** Domain part of Message-IDs. */
  messageIdDomain: string;
  /** Optional: notes per subscriber on recommendation changes they have not been told about (issue 4). */
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
  /** Already delivered (or refused for good) by an earlier run. */
  skipped: number;
  /** Refused for good by the SMTP server in this run. */
  failed: number;
}

/** Deterministic from the delivery key: a resend carries the same Message-ID. */
export function deliveryMessageId(kind: string, date: IsoDate, subscriberId: number, domain: string): string {
  return `${kind.replace(/[^A-Za-z0-9.-]/g, '-')}.${date}.s${subscriberId}@${domain}`;
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(lanes);
}

/** Email fan-out activities: exactly one email per (kind, date, subscriber). */
export function createNotificationActivities(deps: NotificationDependencies) {
  return {
    /** Split the recipients of a fan-out into pages (subscriber-id ranges): only ranges travel through history. */
    async planNotifications(input: NotificationTarget & { pageSize: number }): Promise<RecipientPage[]> {
      return deps.deliveries.recipientPages(input);
    },

    /**
     * Email one page of recipients. Each delivery is claimed in Postgres
     * before sending; a delivery already sent is skipped, one claimed by an
     * attempt that died is sent again with the same Message-ID. Transient SMTP
     * failures leave the claim and fail the activity, so Temporal retries it
     * with backoff; a permanent rejection is recorded and never retried.
     */
    async sendNotifications(input: NotificationTarget & { page: RecipientPage }): Promise<NotificationCounts> {
      const context = Context.current();
      // Sent by earlier attempts of this same activity: still this run's sends.
      const sentBefore = new Set<number>((context.info.heartbeatDetails as { sent?: number[] } | undefined)?.sent ?? []);
      const sentNow: number[] = [];
      const counts: NotificationCounts = { sent: 0, skipped: 0, failed: 0 };
      const transient: string[] = [];
      const recipients = await deps.deliveries.recipients(input);
      const notes = (await deps.recommendationNotes?.(recipients.map((r) => r.subscriberId))) ?? new Map<number, string[]>();

      const deliver = async (recipient: DigestRecipient) => {
        const key = { kind: input.kind, date: input.date, subscriberId: recipient.subscriberId };
        const messageId = deliveryMessageId(input.kind, input.date, recipient.subscriberId, deps.messageIdDomain);
        const status = await deps.deliveries.claim({ ...key, messageId });
        if (status === 'sent' || status === 'failed') {
          if (status === 'sent' && sentBefore.has(recipient.subscriberId)) counts.sent += 1;
          else counts.skipped += 1;
          return;
        }
        const link = deps.links.unsubscribe(recipient);
        const content = composeDigest({ date: input.date, email: recipient.email, signals: recipient.signals, unsubscribeUrl: link.url, notes: notes.get(recipient.subscriberId) });
        try {
          await deps.mailer.send({ messageId, to: recipient.email, ...content, headers: link.headers });
        } catch (err) {
          if (err instanceof PermanentDeliveryError) {
            await deps.deliveries.markFailed({ ...key, error: err.message });
            counts.failed += 1;
          } else {
            transient.push(`${recipient.email}: ${err instanceof Error ? err.message : String(err)}`);
          }
          return;
        }
        await deps.deliveries.markSent(key);
        counts.sent += 1;
        sentNow.push(recipient.subscriberId);
        context.heartbeat({ sent: [...sentBefore, ...sentNow] });
      };

      await mapLimit(recipients, deps.sendConcurrency, deliver);
      if (transient.length > 0) {
        context.heartbeat({ sent: [...sentBefore, ...sentNow] });
        throw ApplicationFailure.retryable(
          `${transient.length} of ${recipients.length} emails not accepted yet (will retry): ${transient.slice(0, 3).join('; ')}`,
          'TransientDeliveryFailure',
        );
      }
      return counts;
    },
  };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;
