import createClient from 'openapi-fetch';
import type { paths } from './schema';

/**
 * The typed client of the JSON API (the only back end): paths, parameters and
 * bodies checked against web/src/api/schema.d.ts, which `npm run openapi`
 * generates from the API's own OpenAPI document. Same origin (the API serves the app).
 */
export const api = createClient<paths>({
  baseUrl: typeof window === 'undefined' ? 'http://127.0.0.1:8000' : window.location.origin,
});

/** The API's error body (src/api/errors.ts ErrorBody): a 400 names its field and gives a sentence per field. */
export interface ApiError {
  error: string;
  message: string;
  field?: string;
  errors?: Array<{ field: string; message: string }>;
}

/**
 * The error body of a failed call, whatever the route declares (network
 * failures included); its message is the API's sentences when it has them.
 */
export function asApiError(error: unknown, status?: number): ApiError {
  if (error && typeof error === 'object' && 'message' in error && typeof (error as ApiError).message === 'string') {
    const body = error as ApiError;
    const errors = Array.isArray(body.errors)
      ? body.errors.filter((e) => typeof e?.field === 'string' && typeof e?.message === 'string')
      : undefined;
    return {
      error: String(body.error ?? 'error'),
      // The sentences for people when the API gives them (a 400 names each field in words), else its message.
      message: errors?.length ? errors.map((e) => e.message).join(' ') : body.message,
      ...(typeof body.field === 'string' ? { field: body.field } : {}),
      ...(errors?.length ? { errors } : {}),
    };
  }
  if (error instanceof Error)
    return { error: 'network', message: `The server could not be reached (${error.message}).` };
  return { error: 'error', message: `Request failed${status ? ` (HTTP ${status})` : ''}.` };
}

/**
 * The items of a list response, tolerant of the shapes list endpoints have had:
 * `{ items }` (the paging convention, src/api/pagination.ts), `{ <key>: [...] }`, or a bare array.
 */
export function listItems<T>(data: unknown, key?: string): T[] {
  if (Array.isArray(data)) return data as T[];
  if (data && typeof data === 'object') {
    const o = data as Record<string, unknown>;
    if (Array.isArray(o.items)) return o.items as T[];
    if (key && Array.isArray(o[key])) return o[key] as T[];
  }
  return [];
}

/** `nextCursor` of a paged list response, null when it is the last page or not paged. */
export function nextCursor(data: unknown): string | null {
  const c = data && typeof data === 'object' ? (data as { nextCursor?: unknown }).nextCursor : null;
  return typeof c === 'string' ? c : null;
}
