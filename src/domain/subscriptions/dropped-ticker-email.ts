import { escapeHtml } from '../html';

/** The delivery kind of the email that tells a subscriber a symbol was dropped (`ticker-dropped:<TICKER>`). */
export const DROPPED_TICKER_KIND_PREFIX = 'ticker-dropped:';
export const droppedTickerDeliveryKind = (ticker: string) => `${DROPPED_TICKER_KIND_PREFIX}${ticker}`;

/** Subject, text and HTML of the email telling a subscriber that `ticker` is not a symbol the service can follow. */
export function composeDroppedTicker(input: { ticker: string; manageUrl: string; unsubscribeUrl: string }): {
  subject: string;
  text: string;
  html: string;
} {
  const { ticker } = input;
  const subject = `${ticker} was removed from your Algo Signals subscriptions`;
  const said = `You asked to follow ${ticker}. Our market-data provider has no prices for a symbol of that name, so we cannot send signals for it and have removed it from your subscriptions.`;
  const rest = 'Your other subscriptions are unchanged. If you meant another symbol, add it on your manage page.';
  const text = [
    said,
    '',
    rest,
    '',
    `Manage your subscriptions: ${input.manageUrl}`,
    `Unsubscribe: ${input.unsubscribeUrl}`,
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<p>${escapeHtml(said)}</p>
<p>${escapeHtml(rest)}</p>
<p style="color:#666;font-size:12px"><a href="${escapeHtml(input.manageUrl)}">Manage your subscriptions</a> · <a href="${escapeHtml(input.unsubscribeUrl)}">Unsubscribe</a></p>
</body></html>`;
  return { subject, text, html };
}
