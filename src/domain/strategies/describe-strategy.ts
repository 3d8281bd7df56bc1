import { z } from 'zod';
import { strategyRegistry } from './registry';
import type { AnyStrategy, ChartSpec, RawStrategyParams, StrategyParams } from './strategy';

/** A strategy as people and forms see it: GET /strategies, the playground and the signal page. */
export interface StrategyDescription {
  name: string;
  version: number;
  description: string;
  /** The rule in words with the default parameters. */
  rules: string;
  defaults: StrategyParams;
  /**
   * JSON Schema (draft 2020-12) of the parameters, from the strategy's zod
   * schema: types, bounds, descriptions and defaults, so that a form needs no
   * code per strategy. Cross-field rules (fast < slow) are not in it: the
   * API's 400 names the field.
   */
  paramsSchema: Record<string, unknown>;
  /** What a chart draws with the default parameters. */
  chart: ChartSpec;
}

/** The JSON schema of a strategy's parameters with each one's default filled in. */
export function paramsJsonSchema(strategy: AnyStrategy): Record<string, unknown> {
  const schema = z.toJSONSchema(strategy.paramsSchema as z.ZodType, { unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  for (const [name, value] of Object.entries(strategy.defaults)) {
    if (properties[name]) properties[name] = { ...properties[name], default: value };
  }
  return schema;
}

/** A strategy's description with `params` (validated over the defaults) or its defaults. */
export function describeStrategy(strategy: AnyStrategy, params?: RawStrategyParams): StrategyDescription {
  const parsed = strategy.parseParams(params);
  return {
    name: strategy.name,
    version: strategy.version,
    description: strategy.description,
    rules: strategy.rules(parsed),
    defaults: { ...strategy.defaults },
    paramsSchema: paramsJsonSchema(strategy),
    chart: strategy.chart(parsed),
  };
}

/** Every registered strategy described, in registry order. */
export function describeStrategies(): StrategyDescription[] {
  return [...strategyRegistry.values()].map((s) => describeStrategy(s));
}
