import { escapeHtml } from '../html';
import type { Subscription } from './subscription.types';

/** The delivery kind of double opt-in emails in the deliveries table. */
export const CONFIRMATION_DELIVERY_KIND = 'confirmation';

/** Subject, text and HTML of the double opt-in email. */
export function composeConfirmation(input: {
  confirmUrl: string;
  unsubscribeUrl: string;
  subscriptions: readonly Subscription[];
  manageUrl: string;
  /** What "recommended" subscriptions will do (see recommendedSubscriptionNote). */
  notes?: readonly string[];
}): {
  subject: string;
  text: string;
  html: string;
} {
  const pairs = input.subscriptions.map((s) => `${s.ticker} (${s.strategy})`);
  const subject = 'Confirm your subscription to Algo Signals';
  const notes = input.notes ?? [];
  const text = [
    'Someone (hopefully you) asked to receive trading signals from Algo Signals for:',
    ...pairs.map((p) => `- ${p}`),
    ...(notes.length ? ['', ...notes] : []),
    '',
    `Confirm your subscription: ${input.confirmUrl}`,
    '',
    'If you did not ask for this, ignore this email: you will get nothing else.',
    `Manage your subscriptions: ${input.manageUrl}`,
    `Unsubscribe: ${input.unsubscribeUrl}`,
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<p>Someone (hopefully you) asked to receive trading signals from Algo Signals for:</p>
<ul>${pairs.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>
${notes.map((n) => `<p>${escapeHtml(n)}</p>`).join('')}
<p><a href="${escapeHtml(input.confirmUrl)}">Confirm your subscription</a></p>
<p style="color:#666;font-size:12px">If you did not ask for this, ignore this email: you will get nothing else.<br>
<a href="${escapeHtml(input.manageUrl)}">Manage your subscriptions</a> · <a href="${escapeHtml(input.unsubscribeUrl)}">Unsubscribe</a></p>
</body></html>`;
  return { subject, text, html };
}
