/**
 * A provider's answer that is not price data: an error document
 * (`{"Error Message": ...}`), a notice in place of data (Alpha Vantage's
 * `{"Note": ...}` / `{"Information": ...}` rate-limit answers), another JSON
 * document, an HTML page, or nothing at all. Pure, so every provider (a CSV
 * file, an HTTP response) judges a body the same way.
 */
export interface ErrorBody {
  /** `notice` is usually a rate limit: worth retrying later for an HTTP source. */
  kind: 'empty' | 'error-document' | 'notice' | 'json' | 'html';
  /** One line saying what the body is, with the provider's own message when it has one. */
  reason: string;
}

/** The longest provider message quoted in a reason. */
const QUOTED_LIMIT = 200;

function quote(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > QUOTED_LIMIT ? `${oneLine.slice(0, QUOTED_LIMIT)}...` : oneLine;
}

/** The first string value among `keys` of a JSON object, if any. */
function messageOf(doc: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = doc[key];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}

const ERROR_KEYS = ['Error Message', 'error', 'Error', 'message', 'errorMessage'] as const;
const NOTICE_KEYS = ['Note', 'Information'] as const;

/**
 * What `text` is when it cannot be price data, else null. Only the start of
 * the body is looked at (a body that begins like CSV is left to the CSV
 * parser), so a 100 MB file costs nothing.
 */
export function classifyErrorBody(text: string): ErrorBody | null {
  const start = text
    .slice(0, 4096)
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (start === '' && text.trim() === '') return { kind: 'empty', reason: 'is empty (no data at all)' };
  const first = start[0];
  if (first === '{' || first === '[') {
    let doc: unknown;
    try {
      doc = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch {
      return { kind: 'json', reason: `is a JSON-like document, not CSV: ${quote(start)}` };
    }
    if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
      const record = doc as Record<string, unknown>;
      const error = messageOf(record, ERROR_KEYS);
      if (error !== undefined)
        return { kind: 'error-document', reason: `is an error document from the provider: ${quote(error)}` };
      const notice = messageOf(record, NOTICE_KEYS);
      if (notice !== undefined)
        return { kind: 'notice', reason: `is a provider notice instead of data (rate limit?): ${quote(notice)}` };
    }
    return { kind: 'json', reason: `is a JSON document, not CSV: ${quote(start)}` };
  }
  const lower = start.slice(0, 1024).toLowerCase();
  if (first === '<' || lower.includes('<html') || lower.includes('<!doctype html')) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text.slice(0, 65536))?.[1];
    return { kind: 'html', reason: `is an HTML page, not CSV${title && title.trim() ? `: "${quote(title)}"` : ''}` };
  }
  return null;
}
