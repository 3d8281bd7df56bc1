/** Small self-contained HTML pages the one-click unsubscribe POST answers with. */
import { escapeHtml } from '../domain/html';

/** What every answer to a link that is not valid says, as HTML or JSON. */
export const INVALID_LINK_MESSAGE =
  'This link is not valid (it may be incomplete or altered). Copy the whole link from the email.';

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.5rem 1rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

export function invalidLinkPage(): string {
  return page('Invalid link', `<p>${escapeHtml(INVALID_LINK_MESSAGE)}</p>`);
}

export function unsubscribedPage(email: string): string {
  return page('Unsubscribed', `<p>${escapeHtml(email)} will receive no more emails from Algo Signals.</p>`);
}
