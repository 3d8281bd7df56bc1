import type { TokenSigner } from './subscription.ports';

/*
 * The links every email carries (confirm, unsubscribe, manage, a signal's
 * page) and the one-click unsubscribe headers: one place builds these URLs so
 * that emails, the API's redirects and the web app's router agree.
 */

/** How links in emails are built: the API's public base URL and the signer. */
export interface LinkContext {
  /** e.g. `http://127.0.0.1:8000` (a trailing slash is ignored). */
  publicUrl: string;
  signer: TokenSigner;
}

/** The subscriber a link is for. */
export interface LinkSubscriber {
  id: number;
  email: string;
}

const base = (publicUrl: string) => publicUrl.replace(/\/+$/, '');

/** `${publicUrl}/confirm?token=...`: the double opt-in link. */
export function confirmUrl(links: LinkContext, subscriber: LinkSubscriber): string {
  const token = links.signer.sign({ purpose: 'confirm', subscriberId: subscriber.id, email: subscriber.email });
  return `${base(links.publicUrl)}/confirm?token=${encodeURIComponent(token)}`;
}

/** `${publicUrl}/app/confirm?token=...`: the link that applies one pending subscription change. */
export function confirmChangeUrl(
  links: LinkContext,
  change: { id: number; subscriberId: number; email: string },
): string {
  const token = links.signer.sign({
    purpose: 'confirm',
    subscriberId: change.subscriberId,
    email: change.email,
    changeId: change.id,
  });
  return `${base(links.publicUrl)}${APP_PATHS.confirm}?token=${encodeURIComponent(token)}`;
}

/** `${publicUrl}/unsubscribe?token=...`: the one-click unsubscribe link every email carries. */
export function unsubscribeUrl(links: LinkContext, subscriber: LinkSubscriber): string {
  const token = links.signer.sign({ purpose: 'unsubscribe', subscriberId: subscriber.id, email: subscriber.email });
  return `${base(links.publicUrl)}/unsubscribe?token=${encodeURIComponent(token)}`;
}

/**
 * Pages of the web app (served by the API under `/app/`) that emails link to.
 * One place builds these URLs so that emails and the app's router agree.
 */
export const APP_PATHS = {
  confirm: '/app/confirm',
  unsubscribe: '/app/unsubscribe',
  manage: '/app/manage',
  signal: '/app/signals',
} as const;

/** `${publicUrl}/app/manage?token=...`: the signed manage link every email carries. */
export function manageUrl(links: LinkContext, subscriber: LinkSubscriber): string {
  const token = links.signer.sign({ purpose: 'manage', subscriberId: subscriber.id, email: subscriber.email });
  return `${base(links.publicUrl)}${APP_PATHS.manage}?token=${encodeURIComponent(token)}`;
}

/** `${publicUrl}/app/signals/AAPL/sma_cross/2018-02-07`: the "why did I get this" page of one signal. */
export function signalUrl(publicUrl: string, signal: { ticker: string; strategy: string; date: string }): string {
  const parts = [signal.ticker, signal.strategy, signal.date].map(encodeURIComponent);
  return `${base(publicUrl)}${APP_PATHS.signal}/${parts.join('/')}`;
}

/** The RFC 2369 / RFC 8058 headers for one-click unsubscribe, for {@link OutgoingEmail.headers}. */
export function unsubscribeHeaders(links: LinkContext, subscriber: LinkSubscriber): Record<string, string> {
  return {
    'List-Unsubscribe': `<${unsubscribeUrl(links, subscriber)}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

// ---------------------------------------------------------------- confirmation email
