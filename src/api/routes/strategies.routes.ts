import { z } from 'zod';
import { describeStrategies } from '../../domain/strategies/describe-strategy';
import type { ZodApp } from '../api-context';

const chartLineSchema = z.object({
  key: z.string().describe('Name of the series in a chart response (`indicators[key]`)'),
  label: z.string(),
  kind: z.enum(['line', 'histogram']).optional(),
});

/** A chart's layout for one strategy: lines over the price, panes below it. */
export const chartSpecSchema = z.object({
  overlays: z.array(chartLineSchema).describe('Lines drawn over the price, on its scale'),
  panes: z
    .array(
      z.object({
        id: z.string(),
        label: z.string(),
        lines: z.array(chartLineSchema),
        levels: z.array(z.number()).optional().describe('Horizontal reference levels (RSI 30/70, MACD 0)'),
      }),
    )
    .describe('Panes below the price, each with its own scale'),
});

export const strategyDescriptionSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  description: z.string(),
  rules: z.string().describe('The rule in words with the default parameters'),
  defaults: z.record(z.string(), z.number()),
  paramsSchema: z
    .record(z.string(), z.unknown())
    .describe("JSON Schema of the parameters (from the strategy's zod schema)"),
  chart: chartSpecSchema,
});

/** GET /strategies: every registered strategy, self-described. */
export function registerStrategyRoutes(app: ZodApp): void {
  app.get(
    '/strategies',
    {
      schema: {
        tags: ['strategies'],
        summary: 'Registered strategies: description, rule in words, parameters as JSON Schema, indicators to chart',
        response: { 200: z.object({ strategies: z.array(strategyDescriptionSchema) }) },
      },
    },
    async () => ({ strategies: describeStrategies() }),
  );
}
