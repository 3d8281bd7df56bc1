import { z } from 'zod';
import { RULE_LANGUAGE } from '../../domain/strategies/rules/rule-parser';
import { ruleStrategySchema } from '../../domain/strategies/rules/rule-schema';
import type { ApiContext, ZodApp } from '../api-context';

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

/** A strategy as GET /strategies lists it: its description, where it comes from and its rule as written. */
export const listedStrategySchema = strategyDescriptionSchema.extend({
  origin: z
    .enum(['built-in', 'configured', 'saved'])
    .describe('Written in code, loaded at start (strategies.rules, plugins), or saved over POST /strategies'),
  rule: z.unknown().optional().describe('The rule as written (a rule strategy only): what POST /strategies takes'),
});

/** GET /strategies: every registered strategy, self-described; POST /strategies saves a rule strategy (admin). */
export function registerStrategyRoutes(app: ZodApp, ctx: ApiContext): void {
  app.get(
    '/strategies',
    {
      schema: {
        tags: ['strategies'],
        summary:
          'Registered strategies (built-ins, configured and saved rules): description, rule in words and as written, ' +
          'parameters as JSON Schema, indicators to chart',
        response: { 200: z.object({ strategies: z.array(listedStrategySchema) }) },
      },
    },
    async () => ({ strategies: ctx.strategies.list() }),
  );

  app.get(
    '/strategies/rule-language',
    {
      schema: {
        tags: ['strategies'],
        summary: 'What a rule condition is written with: price fields, indicators (arguments, outputs), operators',
        response: {
          200: z.object({
            prices: z.array(z.string()),
            indicators: z.array(
              z.object({ name: z.string(), args: z.array(z.string()), outputs: z.array(z.string()) }),
            ),
            comparators: z.array(z.string()),
            crosses: z.array(z.string()),
          }),
        },
      },
    },
    async () => ({
      prices: [...RULE_LANGUAGE.prices],
      indicators: RULE_LANGUAGE.indicators.map((i) => ({ ...i, args: [...i.args], outputs: [...i.outputs] })),
      comparators: [...RULE_LANGUAGE.comparators],
      crosses: [...RULE_LANGUAGE.crosses],
    }),
  );

  app.post(
    '/strategies/preview',
    {
      schema: {
        tags: ['strategies'],
        summary:
          'Check a rule strategy without saving it: its version, rule in words, parameters and chart, or a 400 naming the field',
        body: ruleStrategySchema,
        response: { 200: strategyDescriptionSchema },
      },
    },
    async (request) => ctx.strategies.preview(request.body),
  );

  app.post(
    '/strategies',
    {
      onRequest: ctx.admin,
      schema: {
        tags: ['strategies'],
        summary:
          'Save a rule strategy (admin): checked, proved not to look ahead on a sample series, stored with the ' +
          'version of its definition; saving a saved name again replaces it. 409 for a built-in or configured name',
        security: [{ apiKey: [] }],
        body: ruleStrategySchema,
        response: { 200: listedStrategySchema, 201: listedStrategySchema },
      },
    },
    async (request, reply) => {
      const { strategy, created } = await ctx.strategies.save(request.body);
      return reply.code(created ? 201 : 200).send(strategy);
    },
  );
}
