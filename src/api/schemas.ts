import { z } from 'zod';
import { isIsoDate } from '../domain/dates';
import { tickerSymbolSchema } from '../domain/ticker-symbol.schema';
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
    strategy: z
      .string()
      .min(1)
      .max(40)
      // Old names are CamelCase; no control character (Postgres refuses NUL in text) ever reaches the store.
      .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'not a strategy name (letters, digits, _ and -)')
      .optional()
      .describe('Old clients: the strategy, old name (SMACross, MACDCross) or ours (sma_cross)'),
    test: z
      .boolean()
      .optional()
      .describe('Old clients: true checks the request and lists the recipients, sends nothing'),
    check: z
      .boolean()
      .optional()
      .describe(
        "With signal: send it only if our rules give it (409 otherwise); default: the reporter's word is taken",
      ),
  })
  .refine((b) => (b.signal === undefined) === (b.strategy === undefined), {
    message: 'give signal and strategy together',
    path: ['signal'],
  })
  .refine((b) => b.signal === undefined || b.date !== undefined, {
    message: 'a reported signal needs its date',
    path: ['date'],
  })
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
  .refine((q) => q.date || q.ticker || q.from, {
    message: 'give at least one of date, from or ticker',
    path: ['date'],
  });
