import { z } from 'zod';
import { MAX_PAGE_LIMIT } from '../pagination';
import { isoDateSchema, tickerSchema } from '../schemas';
import { chartSpecSchema } from './strategies.routes';
import { MAX_CHART_BARS } from '../../services/research.service';

/** A stored strategy label: a strategy name, or `recommended:<name>` for a ticker's recommendation. */
export const strategyLabelSchema = z
  .string()
  .max(60)
  .regex(
    /^(recommended:)?[a-z][a-z0-9_]*$/,
    'not a strategy label (a strategy name such as sma_cross, or recommended:sma_cross)',
  )
  .describe('Strategy label as signals are stored: sma_cross, or recommended:sma_cross');

export { MAX_CHART_BARS };

export const chartQuery = z.strictObject({
  strategy: strategyLabelSchema
    .optional()
    .describe("Strategy label whose indicators and signals to draw (default: the ticker's first configured strategy)"),
  params: z
    .string()
    .max(300)
    .optional()
    .describe("Other parameters, name=number pairs: fast=10,slow=30 (default: the label's own)"),
  from: isoDateSchema.optional().describe('First day (default: one year before `to`)'),
  to: isoDateSchema.optional().describe('Last day (default: the last stored bar)'),
});

export const signalParams = z.strictObject({
  ticker: tickerSchema,
  strategy: strategyLabelSchema,
  date: isoDateSchema,
});

const num = z.number().nullable();

const signalSchema = z.object({
  date: z.string(),
  ticker: z.string(),
  strategy: z.string(),
  strategyVersion: z.number().int(),
  signal: z.enum(['BUY', 'SELL', 'HOLD', 'WAIT']),
  close: z.number().nullable().describe('The close of the date; null for a reported signal without a stored bar'),
  inputs: z.record(z.string(), z.union([z.number(), z.string(), z.null()])),
  runDate: z.string().describe('The daily run that recorded it'),
  reportedBy: z
    .string()
    .optional()
    .describe(
      "Who reported it (an old client's POST /notification/{ticker}/send); absent for the signals our rules give",
    ),
});

const planSchema = z.object({
  label: z.string(),
  name: z.string(),
  params: z.record(z.string(), z.number()),
  source: z.enum(['config', 'recommendation', 'defaults', 'request']).describe('Where the parameters come from'),
  rules: z.string().describe('The rule in words with these parameters'),
  description: z.string(),
});

const markerSchema = z.object({ date: z.string(), signal: z.enum(['BUY', 'SELL']), strategy: z.string() });

export const chartResponse = z.object({
  ticker: z.string(),
  strategy: planSchema,
  chart: chartSpecSchema,
  from: z.string().nullable().describe('First bar in the response'),
  to: z.string().nullable().describe('Last bar in the response'),
  stored: z
    .object({ first: z.string(), last: z.string() })
    .describe('What is stored for the ticker (to page the window)'),
  truncated: z.boolean().describe(`True when the window was cut to the last ${MAX_CHART_BARS} bars`),
  bars: z.array(
    z.object({
      date: z.string(),
      open: z.number(),
      high: z.number(),
      low: z.number(),
      close: z.number(),
      volume: z.number(),
    }),
  ),
  indicators: z.record(z.string(), z.array(num)).describe('Per chart key, one value per bar (null where undefined)'),
  markers: z.array(markerSchema).describe('Recorded BUY/SELL signals of the label in the window'),
  wouldSignal: z
    .array(z.object({ date: z.string(), signal: z.enum(['BUY', 'SELL']) }))
    .describe(
      "What the strategy would have signalled had it been followed from the window's first day (the backtest engine's " +
        'fills over the stored bars, the opening position included): a hypothesis, not signals that were sent',
    ),
});

const forwardSchema = z.object({ days: z.number().int(), date: z.string().nullable(), close: num, returnPct: num });

const outOfSampleSchema = z.object({
  returnPct: z.number(),
  sharpe: num,
  maxDrawdownPct: z.number(),
  trades: z.number(),
});

const foldSchema = z.object({
  trainFrom: z.string(),
  trainTo: z.string(),
  testFrom: z.string(),
  testTo: z.string(),
  params: z.record(z.string(), z.number()).nullable(),
  test: outOfSampleSchema,
  buyAndHoldReturnPct: z.number(),
});

export const recommendationSchema = z.object({
  strategy: z.string().nullable(),
  params: z.record(z.string(), z.number()).nullable(),
  reason: z.string().nullable(),
  asOf: z.string(),
  createdAt: z.string(),
  changed: z.boolean(),
  previousStrategy: z.string().nullable(),
  windows: z.number().int().nullable(),
  outOfSample: outOfSampleSchema.nullable().describe('The recommended strategy over every test window stitched'),
  baseline: outOfSampleSchema.nullable().describe('buy_and_hold over the same test windows'),
  folds: z
    .array(foldSchema)
    .describe('Per walk-forward window: train/test dates, the parameters chosen on train, the test result'),
  candidates: z.array(
    z.object({
      strategy: z.string(),
      eligible: z.boolean(),
      reason: z.string().nullable(),
      outOfSample: outOfSampleSchema,
    }),
  ),
});

export const signalResponse = z.object({
  signal: signalSchema,
  strategy: planSchema,
  chart: chartSpecSchema,
  forward: z
    .array(forwardSchema)
    .describe('Close 5/20/60 trading days later against the close of the signal day (null past the data)'),
  sent: z.boolean().describe('Whether an email carried it'),
  ours: z
    .enum(['BUY', 'SELL', 'HOLD', 'WAIT'])
    .nullable()
    .optional()
    .describe('For a reported signal: what our rules give on that date (null without a stored bar of it)'),
  recommendation: recommendationSchema
    .nullable()
    .describe('For a recommended:<name> label, the current recommendation and its evidence'),
  chartWindow: z
    .object({ from: z.string(), to: z.string() })
    .describe('A window around the day to ask GET /tickers/{ticker}/chart for'),
});

export const stateResponse = z.object({
  ticker: z.string(),
  stored: z.object({ first: z.string(), last: z.string() }).nullable(),
  strategies: z.array(
    z.object({
      strategy: planSchema,
      position: z
        .enum(['long', 'flat'])
        .nullable()
        .describe('After the last recorded signal (BUY/HOLD: long, SELL/WAIT: flat)'),
      lastSignal: z.object({ date: z.string(), signal: z.enum(['BUY', 'SELL', 'HOLD', 'WAIT']) }).nullable(),
      lastBuy: z.string().nullable(),
      lastSell: z.string().nullable(),
      trades: z.number().int().describe('BUY and SELL signals recorded'),
    }),
  ),
  recommendation: recommendationSchema.nullable(),
  latestSignals: z.array(signalSchema).describe('The newest BUY/SELL signals of every strategy, newest first'),
});

export const TRACK_RECORD_DEFAULT_LIMIT = 50;
export const TRACK_RECORD_MAX_LIMIT = 200;

export const trackRecordQuery = z.strictObject({
  ticker: tickerSchema.optional(),
  strategy: strategyLabelSchema
    .or(z.literal('recommended'))
    .optional()
    .describe('One label, or recommended for every recommendation label'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(Math.min(TRACK_RECORD_MAX_LIMIT, MAX_PAGE_LIMIT))
    .default(TRACK_RECORD_DEFAULT_LIMIT)
    .describe(
      `(ticker, strategy) rows per page (default ${TRACK_RECORD_DEFAULT_LIMIT}, at most ${TRACK_RECORD_MAX_LIMIT}: each row replays its strategy)`,
    ),
  cursor: z.string().max(512).optional().describe('The `nextCursor` of the previous page'),
});

const horizonSchema = z.object({
  days: z.number().int(),
  signals: z.number().int().describe('Signals whose horizon the data reaches'),
  hits: z.number().int(),
  hitRate: num,
  meanEdgePct: num.describe('Mean return in the signal direction (a SELL counted negated), percent'),
});

export const trackRecordItem = z.object({
  ticker: z.string(),
  strategy: planSchema,
  firstSent: z.string(),
  lastSent: z.string(),
  buys: z.number().int(),
  sells: z.number().int(),
  actual: z.array(horizonSchema).describe('Forward hit rates of the signals actually emailed'),
  promised: z
    .object({
      from: z.string().nullable(),
      to: z.string().nullable(),
      buys: z.number().int(),
      sells: z.number().int(),
      horizons: z.array(horizonSchema),
    })
    .describe(
      "The same figures for the strategy's own signals over the history before the first sent one (what a backtest showed)",
    ),
  recommendation: z
    .object({ asOf: z.string(), outOfSample: outOfSampleSchema.nullable(), baseline: outOfSampleSchema.nullable() })
    .nullable()
    .describe('For recommended:<name>: what the walk-forward promised out of sample'),
  recent: z
    .array(z.object({ date: z.string(), signal: z.enum(['BUY', 'SELL']), forward: z.array(forwardSchema) }))
    .describe('The newest 20 sent signals'),
});

export const runsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Runs per page (default 20, at most 100)'),
  cursor: z.string().max(2048).optional().describe('The `nextCursor` of the previous page'),
});

/** GET /runs/{workflowId}: a daily run's workflow id. */
export const runParams = z.strictObject({
  workflowId: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9:._-]+$/, 'a workflow id: letters, digits and : . _ -')
    .describe('The workflow id: `daily-<date>` (by hand) or `daily-scheduled-<time>` (the Schedule)'),
});

/** GET /runs/{workflowId}?runId=: one run of it (default: the latest). */
export const runQuery = z.strictObject({
  runId: z.string().uuid().optional().describe('One run of that workflow id (default: its latest)'),
});

export const runItem = z.object({
  workflowId: z.string(),
  runId: z.string(),
  status: z.string().describe('Temporal status: RUNNING, COMPLETED, FAILED, ...'),
  startTime: z.string().nullable(),
  closeTime: z.string().nullable(),
  temporalUrl: z.string().describe('The run in the Temporal Web UI'),
  date: z.string().nullable(),
  tradingDay: z.boolean().nullable(),
  closure: z.string().nullable(),
  failure: z.string().nullable(),
  headline: z
    .string()
    .nullable()
    .describe(
      'What happened, in one line (as `algo run-daily` prints it): e.g. "2024-01-05: already recorded by daily-2024-01-05 (run …): 4 signals, 0 new, nothing to send"',
    ),
  signals: z
    .object({
      recorded: z.number().int().describe("Signals of the run's date (and the missed days it caught up)"),
      new: z.number().int().nullable().describe('How many of them this run recorded itself (null: an older run)'),
      buy: z.number().int(),
      sell: z.number().int(),
    })
    .nullable(),
  alreadyRecordedBy: z
    .object({ workflowId: z.string().nullable(), runId: z.string().nullable() })
    .nullable()
    .describe('A run of a date already processed: the run that recorded its signals (null ids: not noted)'),
  notifications: z
    .object({ sent: z.number().int(), skipped: z.number().int(), failed: z.number().int() })
    .nullable()
    .describe("The run's own email counts"),
  deliveries: z
    .object({ sent: z.number().int(), failed: z.number().int(), claimed: z.number().int() })
    .nullable()
    .describe('Daily-digest deliveries of the date in Postgres (every run of the date)'),
  tickers: z.array(
    z.object({ ticker: z.string(), ingestion: z.string(), evaluation: z.string(), error: z.string().optional() }),
  ),
  stale: z
    .array(z.object({ ticker: z.string(), lastDate: z.string().nullable() }))
    .describe('Tickers without a bar for the run date, with their last bar'),
});
