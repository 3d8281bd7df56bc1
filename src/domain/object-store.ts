/** A stored object's content and media type. */
export interface StoredObject {
  body: Buffer;
  contentType: string;
}

/**
 * Storage of generated files (backtest reports and charts) by key, such as
 * `backtests/<id>/report.html`. Keys are relative, `/`-separated paths of
 * letters, digits, `.`, `_`, `-` (see {@link isObjectKey}); implementations
 * reject any other with a BadInputError.
 */
export interface ObjectStore {
  /** `filesystem` or `s3`: what {@link ObjectStore.url} returns depends on it. */
  readonly kind: 'filesystem' | 's3';
  /** Store `body` under `key`, replacing what was there. */
  put(key: string, body: string | Uint8Array, contentType: string): Promise<void>;
  /** The object under `key`, or null when there is none. */
  get(key: string): Promise<StoredObject | null>;
  /** Remove the object under `key`; removing one that is not there does nothing (a retry is safe). */
  delete(key: string): Promise<void>;
  /** Where a person finds the object: an absolute file path (filesystem) or a URL (s3). Does not check it exists. */
  url(key: string): string;
}

const KEY_SEGMENT = /^[A-Za-z0-9_\-][A-Za-z0-9._\-]*$/;

/** True for a safe object key: non-empty segments, none `.` or `..`, no absolute path. */
export function isObjectKey(key: string): boolean {
  if (key.length === 0 || key.length > 512) return false;
  return key.split('/').every((segment) => KEY_SEGMENT.test(segment) && segment !== '..');
}

/** The keys of one backtest's report files. */
export function backtestReportKeys(backtestId: string): { html: string; svg: string } {
  return { html: `backtests/${backtestId}/report.html`, svg: `backtests/${backtestId}/equity.svg` };
}
