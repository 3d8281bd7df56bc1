import { z } from 'zod';
import { isIsoDate } from '../domain/dates';
import { tickerSymbolSchema } from '../domain/ticker-symbol';
import { emailAddressSchema } from '../domain/subscriptions';
import { pageQuery } from './pagination';

/** A ticker symbol such as AAPL or BRK.B, upper-cased (the config's rule). */
export const tickerSchema = tickerSymbolSchema;

/** A real calendar date written YYYY-MM-DD. */
export const isoDateSchema = z
  .string()
  .max(10)
  .refine((v) => isIsoDate(v), 'not a valid date (expected YYYY-MM-DD)')
  .describe('Date, YYYY-MM-DD');

export const strategyNameSchema = z
  .string()
  .max(40)
  .regex(/^[a-z][a-z0-9_]*$/, 'not a strategy name (lower-case letters, digits and _)')
  .describe('Strategy name, e.g. sma_cross, or recommended');

export const emailSchema = emailAddressSchema.describe('Email address (bare, no display name)');

export const tickerParams = z.strictObject({ ticker: tickerSchema });

/** Token of a link in an email; other query parameters (tracking tags added by mail clients) are ignored. */
export const tokenQuery = z.object({ token: z.string().min(1).max(1024) });

export const subscriptionPair = z.strictObject({ ticker: tickerSchema, strategy: strategyNameSchema });

/** One ticker with its own strategies (the web app's per-ticker choice). */
export const subscriptionRequestItem = z.strictObject({
  ticker: tickerSchema,
  strategies: z.array(strategyNameSchema).max(20).optional().describe('Default (omitted or empty): the strategies the ticker runs by config; "recommended" follows the recommendation'),
});

export const subscribeBody = z
  .strictObject({
    email: emailSchema,
    tickers: z.array(tickerSchema).min(1).max(50).optional().describe('Tickers, each with `strategies` (or per ticker: `subscriptions`)'),
    strategies: z.array(strategyNameSchema).min(1).max(20).optional().describe('Default: the strategies each ticker runs by config'),
    subscriptions: z.array(subscriptionRequestItem).min(1).max(50).optional().describe('Per ticker strategies (instead of tickers + strategies)'),
  })
  .refine((b) => (b.tickers?.length ?? 0) + (b.subscriptions?.length ?? 0) > 0, { message: 'give at least one ticker', path: ['tickers'] });

/** The token of a link in an email, in a JSON body (the web app's landing pages). */
export const tokenBody = z.strictObject({ token: z.string().min(1).max(1024) });

/** The manage page's token (from its signed link), in a header so that it stays out of logs of URLs. */
export const manageHeaders = z.object({ 'x-manage-token': z.string().min(1).max(1024).describe('The token of the manage link in every email') });

export const manageBody = z.strictObject({
  subscriptions: z.array(subscriptionPair).max(500).describe('Every (ticker, strategy) the address follows from now on; empty: unsubscribed from everything'),
});

/** `true`/`false` in a query string (the old clients send `?test=false`). */
const queryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');

/**
 * POST /tickers: `{"ticker": "AAPL"}` as JSON, or (the old clients) `?ticker=AAPL`
 * with an empty body, or a form body `ticker=AAPL`. A POST without a body arrives as null.
 */
export const addTickerBody = z.strictObject({ ticker: tickerSchema }).nullish();
export const addTickerQuery = z.strictObject({ ticker: tickerSchema.optional().describe('The old clients\' way: POST /tickers?ticker=AAPL') });

/** The new shape: addresses with options. */
const addSubscribersObject = z.strictObject({
  emails: z.array(emailSchema).min(1).max(100),
  strategies: z.array(strategyNameSchema).min(1).max(20).optional(),
  confirmed: z.boolean().default(false).describe('Admin path: subscribe without the opt-in email'),
});

/** PUT /tickers/{ticker}: the new object, or (the old clients) a bare JSON array of addresses, which are confirmed at once. */
export const addSubscribersBody = z.union([
  addSubscribersObject,
  z.array(emailSchema).min(1).max(100).describe('The old clients\' body: addresses that become confirmed subscribers of the ticker'),
]);

/** GET /tickers/{ticker}: the old clients send `?test=false` (accepted and ignored); `limit` and `cursor` page its subscribers. */
export const tickerQuery = z.object({ test: queryBoolean.optional().describe('Accepted for the old clients; ignored'), ...pageQuery.shape });

/** The signals an old client may report: only BUY and SELL are emailed. */
export const reportedSignalSchema = z.enum(['BUY', 'SELL']);

/**
 * POST /notification/{ticker}/send. New shape: optional `date` (default: the
 * ticker's latest signal date). Old shape: `signal`, `strategy` (old names such
 * as `SMACross` map to ours), `date` and `test`: that signal, which must be
 * what our rules give for that day, is emailed (`test: true` sends nothing).
 * A POST without a body arrives as null.
 */
export const notifyBody = z
  .strictObject({
    date: isoDateSchema.optional(),
    signal: reportedSignalSchema.optional().describe('Old clients: the signal to email (BUY or SELL)'),
    strategy: z.string().min(1).max(40).optional().describe('Old clients: the strategy, old name (SMACross, MACDCross) or ours (sma_cross)'),
    test: z.boolean().optional().describe('Old clients: true checks the request and lists the recipients, sends nothing'),
  })
  .refine((b) => (b.signal === undefined) === (b.strategy === undefined), { message: 'give signal and strategy together', path: ['signal'] })
  .refine((b) => b.signal === undefined || b.date !== undefined, { message: 'a reported signal needs its date', path: ['date'] })
  .nullish();

export const dailyRunBody = z
  .strictObject({
    date: isoDateSchema.optional(),
    tickers: z.array(tickerSchema).min(1).max(1000).optional(),
  })
  .nullish();

export const signalsQuery = z
  .strictObject({
    date: isoDateSchema.optional(),
    from: isoDateSchema.optional(),
    to: isoDateSchema.optional(),
    ticker: tickerSchema.optional(),
    strategy: strategyNameSchema.optional(),
    ...pageQuery.shape,
  })
  .refine((q) => q.date || q.ticker || q.from, { message: 'give at least one of date, from or ticker', path: ['date'] });

/** The one-click POST body (`List-Unsubscribe=One-Click`, form-encoded or multipart); its content is not needed, the token decides. */
export const oneClickBody = z.union([z.string().max(10_000), z.record(z.string(), z.unknown())]).nullish();
