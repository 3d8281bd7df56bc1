import { z } from 'zod';
import { HEATMAP_METRICS } from '../../domain/backtest/heatmap';
import { pageQuery } from '../pagination';
import { tickerSymbolSchema } from '../../domain/ticker-symbol.schema';

/**
 * Schemas of /sweeps. The start body checks types only: the rules on the
 * values (strategy, grid, dates, capital, tickers) are the domain's one check
 * (checkSweepRequest), shared with `algo sweep`.
 */

/** POST /sweeps: `algo sweep`'s options as JSON. */
export const sweepBody = z.strictObject({
  strategy: z.string().max(40).describe('A registered strategy, e.g. sma_cross'),
  grid: z.string().min(1).max(500).describe('Parameters to sweep: name=a..b:step,... (also name=a..b, name=value)'),
  tickers: z.array(z.string().max(40)).min(1).max(1000).optional().describe('Default: every ticker with stored prices'),
  from: z.string().max(40).optional().describe('First day of every backtest, YYYY-MM-DD'),
  to: z.string().max(40).optional().describe('Last day of every backtest, YYYY-MM-DD'),
  capital: z.number().optional().describe('Starting cash of every backtest (default 1000)'),
});

export const sweepIdParams = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'not a sweep id')
    .describe('Sweep id (its workflow id)'),
});

export const sweepRowKey = z.object({ ticker: z.string().max(40), combo: z.number().int().min(0) });
export const sweepListKey = z.object({ startedAt: z.string().max(40), id: z.string().max(100) });
export const sweepPageQuery = pageQuery.strict();

export const heatmapQuery = z.strictObject({
  ticker: tickerSymbolSchema.optional().describe('One ticker (default: every ticker of the sweep, averaged)'),
  metric: z.enum(HEATMAP_METRICS).optional().describe('Cell metric (default sharpe)'),
  x: z.string().max(40).optional().describe('Parameter on the x axis (default: the first that varies)'),
  y: z.string().max(40).optional().describe('Parameter on the y axis (default: the second that varies)'),
});

const paramsSchema = z.record(z.string(), z.number());

export const sweepMeta = z.object({
  id: z.string(),
  strategy: z.string(),
  grid: z.string(),
  combos: z.number(),
  tickers: z.number(),
  from: z.string().nullable(),
  to: z.string().nullable(),
  initialCapital: z.number(),
  status: z.enum(['running', 'completed']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

const cellSchema = z.object({
  value: z.number().nullable(),
  params: paramsSchema,
  tickers: z.number(),
  sharpe: z.number().nullable(),
  returnPct: z.number(),
  maxDrawdownPct: z.number().describe('A positive magnitude'),
  numTrades: z.number().describe('Orders: each BUY and each SELL (averaged over the tickers)'),
});

export const heatmapResponse = z.object({
  sweep: sweepMeta,
  tickers: z.array(z.string()).describe('Tickers with results'),
  ticker: z.string().nullable(),
  metric: z.enum(HEATMAP_METRICS),
  varying: z.array(z.string()),
  x: z.string().nullable(),
  y: z.string().nullable(),
  xs: z.array(z.number()),
  ys: z.array(z.number()),
  cells: z.array(z.array(cellSchema.nullable())).describe('cells[yIndex][xIndex]'),
  best: cellSchema.nullable(),
  others: z.string(),
});
