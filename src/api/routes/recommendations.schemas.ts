import { z } from 'zod';
import { pageQuery } from '../pagination';
import { tickerSchema } from '../schemas';

/** POST /recommendations: `algo recommend`'s options as JSON (the candidates' rule is the domain's: resolveCandidates). */
export const recommendBody = z
  .strictObject({
    tickers: z
      .array(z.string().max(40))
      .min(1)
      .max(1000)
      .optional()
      .describe('Default: every ticker with stored prices'),
    strategies: z
      .array(z.string().max(40))
      .min(1)
      .max(20)
      .optional()
      .describe('Candidates (default: all but buy_and_hold, the baseline to beat)'),
  })
  .nullish();

export const recommendRunParams = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'not a run id')
    .describe("The run's id (its workflow id)"),
});

export const recommendationsQuery = z.strictObject({ ticker: tickerSchema.optional(), ...pageQuery.shape });
export const recommendationKey = z.object({ ticker: z.string().max(40) });

const paramsSchema = z.record(z.string(), z.number());
const outOfSample = z.object({
  returnPct: z.number(),
  sharpe: z.number().nullable(),
  maxDrawdownPct: z.number().describe('A positive magnitude'),
  trades: z.number().describe('Orders in the test windows (each BUY and each SELL)'),
});

const foldSchema = z.object({
  trainFrom: z.string(),
  trainTo: z.string(),
  testFrom: z.string(),
  testTo: z.string(),
  params: paramsSchema
    .nullable()
    .describe('Chosen on the train window; null: nothing traded enough there (cash for the test window)'),
  train: z.object({ sharpe: z.number().nullable(), returnPct: z.number(), trades: z.number() }).nullable(),
  test: outOfSample,
  buyAndHoldReturnPct: z.number(),
});

export const foldsResponse = z.object({
  ticker: z.string(),
  runId: z.string(),
  asOf: z.string(),
  createdAt: z.string(),
  strategy: z.string().nullable(),
  params: paramsSchema.nullable(),
  reason: z.string().nullable(),
  options: z.object({
    trainDays: z.number(),
    testDays: z.number(),
    stepDays: z.number(),
    minTrainTrades: z.number(),
    minTestTrades: z.number(),
  }),
  baseline: outOfSample.nullable(),
  candidates: z.array(
    z.object({
      strategy: z.string(),
      recommended: z.boolean(),
      eligible: z.boolean(),
      reason: z.string().nullable(),
      outOfSample,
      currentParams: paramsSchema.nullable(),
      folds: z.array(foldSchema),
    }),
  ),
});
