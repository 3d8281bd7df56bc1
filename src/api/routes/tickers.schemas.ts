import { z } from 'zod';
import { pageQuery } from '../pagination';
import { emailSchema, strategyNameSchema, tickerSchema } from '../schemas';

/** `true`/`false` in a query string (the old clients send `?test=false`). */
const queryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');

/**
 * POST /tickers: `{"ticker": "AAPL"}` as JSON, or (the old clients) `?ticker=AAPL`
 * with an empty body, or a form body `ticker=AAPL`. A POST without a body arrives as null.
 */
export const addTickerBody = z.strictObject({ ticker: tickerSchema }).nullish();
export const addTickerQuery = z.strictObject({
  ticker: tickerSchema.optional().describe("The old clients' way: POST /tickers?ticker=AAPL"),
});

/** The new shape: addresses with options. */
const addSubscribersObject = z.strictObject({
  emails: z.array(emailSchema).min(1).max(100),
  strategies: z.array(strategyNameSchema).min(1).max(20).optional(),
  confirmed: z.boolean().default(false).describe('Admin path: subscribe without the opt-in email'),
});

/** PUT /tickers/{ticker}: the new object, or (the old clients) a bare JSON array of addresses, which are confirmed at once. */
export const addSubscribersBody = z.union([
  addSubscribersObject,
  z
    .array(emailSchema)
    .min(1)
    .max(100)
    .describe("The old clients' body: addresses that become confirmed subscribers of the ticker"),
]);

/** GET /tickers/{ticker}: the old clients send `?test=false` (accepted and ignored); `limit` and `cursor` page its subscribers. */
export const tickerQuery = z.object({
  test: queryBoolean.optional().describe('Accepted for the old clients; ignored'),
  ...pageQuery.shape,
});

/** Cursor keys of the two lists: tickers by symbol, a ticker's subscribers by address. */
export const tickerKey = z.object({ ticker: z.string().max(40) });
export const emailKey = z.object({ email: z.string().max(1000) });
