import { z } from 'zod';
import { BACKTEST_LIMITS } from '../../domain/backtest/backtest-record';
import { isoDateSchema } from '../schemas';

/** POST /backtest: the old backtester's body, its field names unchanged. */
export const oldBacktestBody = z.strictObject({
  ticker: z.string().max(40).describe('Ticker symbol, e.g. AAPL'),
  strategy: z.string().max(40).describe('sma_cross (or SMACross); any registered strategy'),
  start_date: z
    .union([z.literal('max'), isoDateSchema])
    .optional()
    .describe('First day: a stored trading day of the ticker, or max (default) for its first stored day'),
  end_date: isoDateSchema.optional().describe('Last day, YYYY-MM-DD (default: the last stored day)'),
  starting_capital: z
    .number()
    .optional()
    .describe(
      `Starting capital, at least ${BACKTEST_LIMITS.minCapital} and at most ${BACKTEST_LIMITS.maxCapital} (default 1000)`,
    ),
});

/** The old backtester's answer: HTTP 200 with `{"status": 200, "body": {...}}`. */
export const oldBacktestResponse = z.object({
  status: z.literal(200),
  body: z.object({
    ticker: z.string(),
    start_date: z.string(),
    end_date: z.string(),
    init_cap: z.number(),
    final_cap: z.number(),
    cap_gains: z.number().describe('Percent gain, rounded to 2 places'),
    num_trades: z.number().int().describe('Each BUY and each SELL after the first day'),
  }),
});
