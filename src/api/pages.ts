/** Small self-contained HTML pages for the links in emails (confirm, unsubscribe). */
import { escapeHtml } from '../domain/html';

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.5rem 1rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

export function confirmedPage(email: string): string {
  return page('Subscription confirmed', `<p>${escapeHtml(email)} will now receive the signals it subscribed to.</p>`);
}

export function invalidLinkPage(): string {
  return page('Invalid link', '<p>This link is not valid (it may be incomplete or altered). Copy the whole link from the email.</p>');
}

/** The page an unsubscribe link opens: one button that POSTs the same one-click request a mail client would. */
export function unsubscribeFormPage(email: string, token: string): string {
  return page(
    'Unsubscribe',
    `<p>Stop all emails to ${escapeHtml(email)}?</p>
<form method="post" action="/unsubscribe?token=${encodeURIComponent(token)}">
<input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
  );
}

export function unsubscribedPage(email: string): string {
  return page('Unsubscribed', `<p>${escapeHtml(email)} will receive no more emails from Algo Signals.</p>`);
}
