import { escapeHtml } from '../html';

/** The delivery kind of a "send me a new link" email: one a day per subscriber and link (`new-link:manage`, `new-link:confirm:change-7`). */
export const newLinkDeliveryKind = (link: 'manage' | `confirm:${string}`) => `new-link:${link}`;

/** Subject, text and HTML of the email carrying a fresh manage link (asked for on an expired link's page). */
export function composeManageLink(input: { manageUrl: string; unsubscribeUrl: string }): {
  subject: string;
  text: string;
  html: string;
} {
  const subject = 'Your link to manage your Algo Signals subscriptions';
  const said = 'Someone (hopefully you) asked for a new link to manage the Algo Signals subscriptions of this address.';
  const lasts =
    'When this link expires, its page lets you ask for a new one. If you did not ask for it, ignore this email: nothing changes.';
  const text = [
    said,
    '',
    `Manage your subscriptions: ${input.manageUrl}`,
    '',
    lasts,
    `Unsubscribe: ${input.unsubscribeUrl}`,
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<p>${escapeHtml(said)}</p>
<p><a href="${escapeHtml(input.manageUrl)}">Manage your subscriptions</a></p>
<p style="color:#666;font-size:12px">${escapeHtml(lasts)}<br>
<a href="${escapeHtml(input.unsubscribeUrl)}">Unsubscribe</a></p>
</body></html>`;
  return { subject, text, html };
}
