import { z } from 'zod';
import { HttpError } from './errors';

/**
 * One paging convention for every list endpoint: `?limit=&cursor=` in, and
 * `{ items, nextCursor }` out. The cursor is opaque to clients: base64url of
 * the JSON key of the last item returned (keyset paging, so pages stay stable
 * while rows are added).
 */
export const DEFAULT_PAGE_LIMIT = 500;
export const MAX_PAGE_LIMIT = 5000;

export const pageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_LIMIT)
    .default(DEFAULT_PAGE_LIMIT)
    .describe(`Items per page (default ${DEFAULT_PAGE_LIMIT}, at most ${MAX_PAGE_LIMIT})`),
  cursor: z.string().max(512).optional().describe('The `nextCursor` of the previous page'),
});

export type PageQuery = z.infer<typeof pageQuery>;

/** The response shape of a paged list of `item`. */
export function pageOf<T extends z.ZodTypeAny>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  });
}

export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The key inside `cursor`, validated by `schema`; null when the cursor is malformed. */
export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * A page from rows fetched with `limit + 1` (the extra row only tells whether
 * there is a next page); `keyOf` gives the cursor key of an item.
 */
export function toPage<T>(
  rows: readonly T[],
  limit: number,
  keyOf: (item: T) => unknown,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const nextCursor = rows.length > limit && items.length > 0 ? encodeCursor(keyOf(items[items.length - 1])) : null;
  return { items, nextCursor };
}

/** The key inside `cursor` (undefined without one); a malformed cursor is a 400 naming the field. */
export function cursorKey<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(cursor, schema);
  if (key === null)
    throw Object.assign(new HttpError(400, 'bad_request', 'query.cursor: not a cursor of this list'), {
      field: 'cursor',
    });
  return key;
}

/**
 * A page of a list already in memory, sorted by its key: the items after the
 * cursor's key (`isAfter`), at most `limit`. For short lists that are read
 * whole anyway (tracked tickers, a ticker's subscribers).
 */
export function pageOfSorted<T, K>(
  items: readonly T[],
  query: PageQuery,
  key: { of: (item: T) => K; schema: z.ZodType<K>; isAfter: (item: T, key: K) => boolean },
): { items: T[]; nextCursor: string | null } {
  const after = cursorKey(query.cursor, key.schema);
  const rest = after === undefined ? items : items.filter((item) => key.isAfter(item, after));
  return toPage(rest.slice(0, query.limit + 1), query.limit, key.of);
}
