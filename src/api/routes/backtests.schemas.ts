import { z } from 'zod';
import { BACKTEST_LIMITS } from '../../domain/backtest/backtest-record';
import { ruleStrategySchema } from '../../domain/strategies/rules/rule-schema';

/**
 * Schemas of /backtests and /playground/backtests. The request body checks
 * types only: every rule on the values (ticker, strategy and parameters,
 * dates, capital, fee and slippage limits) is the domain's one check
 * (checkBacktestRequestShape), so the API and the CLI refuse the same inputs
 * with the same message.
 */

/** POST /backtests and POST /playground/backtests: the CLI's options as JSON. */
export const backtestBody = z.strictObject({
  ticker: z.string().max(40).describe('Ticker symbol, e.g. AAPL'),
  strategy: z
    .string()
    .max(BACKTEST_LIMITS.maxStrategyNameLength)
    .optional()
    .describe("Strategy name, e.g. sma_cross (with `rule`: leave it out, or the rule's name)"),
  rule: ruleStrategySchema
    .optional()
    .describe(
      'An unsaved rule strategy (what POST /strategies takes), run instead of a registered strategy; ' +
        'refused when it looks ahead',
    ),
  params: z
    .record(z.string().max(40), z.number())
    .optional()
    .describe('Parameters over the strategy defaults, e.g. {"fast": 10}'),
  from: z.string().max(40).optional().describe('First day, YYYY-MM-DD (default: the first stored day)'),
  to: z.string().max(40).optional().describe('Last day, YYYY-MM-DD (default: the last stored day)'),
  capital: z
    .number()
    .optional()
    .describe(
      `Starting capital, at least ${BACKTEST_LIMITS.minCapital} and at most ${BACKTEST_LIMITS.maxCapital} (default 1000)`,
    ),
  feesBps: z
    .number()
    .optional()
    .describe(`Commission in basis points of each fill, 0 to ${BACKTEST_LIMITS.maxFeesBps} (default 0)`),
  commissionPerTrade: z
    .number()
    .optional()
    .describe(`Fixed commission per fill, 0 to ${BACKTEST_LIMITS.maxCommissionPerTrade} (default 0)`),
  slippageBps: z
    .number()
    .optional()
    .describe(`Slippage in basis points, 0 to below ${BACKTEST_LIMITS.slippageBpsBelow} (default 0)`),
  wholeShares: z.boolean().optional().describe('Whole shares only (default false: fractional)'),
  execution: z
    .enum(['close', 'next_open'])
    .optional()
    .describe('Fill at the signal day close (default) or the next open'),
});

export const backtestIdParams = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'not a backtest id')
    .describe('Backtest id (its workflow id)'),
});

export const backtestQuery = z.strictObject({
  equity: z.enum(['true', 'false']).optional().describe('Include the daily equity curve'),
});

const pct = z.number().nullable();
const date = z.string().nullable();

/** BacktestMetrics (src/domain/backtest/metrics.ts, where each is defined); null where undefined for the run. */
export const backtestMetricsSchema = z.object({
  totalReturnPct: pct,
  cagrPct: pct,
  buyAndHoldReturnPct: pct,
  exposurePct: pct,
  volatilityPct: pct,
  maxDrawdownPct: pct.describe('A positive magnitude: 16.35 means the equity fell 16.35 % from a peak'),
  maxDrawdownPeakDate: date,
  maxDrawdownTroughDate: date,
  maxDrawdownRecoveryDate: date,
  maxDrawdownDurationDays: z.number(),
  sharpe: pct,
  sortino: pct,
  calmar: pct,
  roundTrips: z.number().describe('Entries with their exits, open ones included'),
  openRoundTrips: z.number(),
  winRatePct: pct,
  avgWinPct: pct,
  avgLossPct: pct,
  profitFactor: pct,
  expectancy: pct,
  expectancyPct: pct,
  bestTradePct: pct,
  worstTradePct: pct,
  avgTradeDurationDays: pct,
  sqn: pct,
  numBuySignals: z.number(),
  hitRate5dPct: pct,
  hitRate20dPct: pct,
  hitRate60dPct: pct,
});

const point = z.object({ time: z.string(), value: z.number() });

export const backtestChartResponse = z.object({
  id: z.string(),
  ticker: z.string(),
  strategy: z.string(),
  params: z.record(z.string(), z.number()),
  startDate: z.string(),
  endDate: z.string(),
  initialCapital: z.number(),
  finalCapital: z.number(),
  returnPct: z
    .number()
    .describe('Total return in percent: the one return of the summary (metrics.totalReturnPct is the same)'),
  orders: z.number().describe('Each BUY and each SELL after the first day (the old trade count)'),
  roundTrips: z.number().describe('Entries with their exits, open ones included (metrics.roundTrips)'),
  fees: z.number(),
  options: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  metrics: backtestMetricsSchema,
  equity: z.array(point).describe('Equity at each close'),
  buyAndHold: z.array(point).describe('The same capital bought on the first day and held'),
  bars: z.array(z.object({ time: z.string(), open: z.number(), high: z.number(), low: z.number(), close: z.number() })),
  trades: z.array(
    z.object({
      time: z.string(),
      side: z.enum(['BUY', 'SELL']),
      price: z.number(),
      shares: z.number(),
      fee: z.number(),
      initial: z.boolean().describe('The first-day purchase of a strategy that starts open (not an order)'),
    }),
  ),
  overlays: z
    .array(
      z.object({
        key: z.string(),
        label: z.string(),
        points: z.array(z.object({ time: z.string(), value: z.number().nullable() })),
      }),
    )
    .describe(
      "The strategy's indicator lines over the price (its chart spec's overlays), with the backtest's parameters; null where undefined",
    ),
  rules: z.string().describe("The strategy's rule in words with the backtest's parameters"),
  rule: z.unknown().optional().describe('The inline rule as written, for a backtest of an unsaved rule'),
  reportHref: z.string(),
});
