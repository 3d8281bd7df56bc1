import { z } from 'zod';
import { BadInputError } from '../errors';
import type { ChartSpec, RawStrategyParams, Strategy, StrategyParams } from './strategy';

/** A whole-number parameter in [min, max]; numeric strings (CLI `k=v`) are accepted; `description` goes to the JSON schema. */
export function integerParam(min: number, max: number, description?: string): z.ZodType<number> {
  const schema = z.coerce.number().int().min(min).max(max);
  return (description ? schema.describe(description) : schema) as unknown as z.ZodType<number>;
}

/** A real-number parameter in [min, max]; numeric strings are accepted; `description` goes to the JSON schema. */
export function numberParam(min: number, max: number, description?: string): z.ZodType<number> {
  const schema = z.coerce.number().min(min).max(max);
  return (description ? schema.describe(description) : schema) as unknown as z.ZodType<number>;
}

/**
 * Everything of a {@link Strategy} but `parseParams`, which {@link defineStrategy}
 * derives from the schema; `rules` defaults to the description and `chart` to
 * nothing drawn (the registered strategies give both: a unit test checks it).
 */
export type StrategySpec<P extends StrategyParams> = Omit<Strategy<P>, 'parseParams' | 'rules' | 'chart'> &
  Partial<Pick<Strategy<P>, 'rules' | 'chart'>>;

const NO_CHART: ChartSpec = { overlays: [], panes: [] };

/**
 * A strategy whose `parseParams` merges the raw parameters over the defaults
 * and validates them with `paramsSchema`, throwing a BadInputError that names
 * the strategy and the offending parameter.
 */
export function defineStrategy<P extends StrategyParams>(spec: StrategySpec<P>): Strategy<P> {
  const known = Object.keys(spec.defaults);
  // A sweep parses the same few parameter sets for every ticker: remember them (frozen, so sharing is safe).
  const parsed = new Map<string, P>();
  return {
    rules: () => spec.description,
    chart: () => NO_CHART,
    ...spec,
    parseParams(raw?: RawStrategyParams): P {
      const key = raw === undefined ? '' : safeKey(raw);
      const hit = key === undefined ? undefined : parsed.get(key);
      if (hit) return hit;
      const value = Object.freeze(validate(raw)) as P;
      if (key !== undefined) {
        if (parsed.size >= 1024) parsed.clear();
        parsed.set(key, value);
      }
      return value;
    },
  };

  function validate(raw: RawStrategyParams | undefined): P {
    if (raw !== undefined && (raw === null || typeof raw !== 'object' || Array.isArray(raw))) {
      throw new BadInputError(`parameters of ${spec.name} must be an object of name: value`, { field: 'params' });
    }
    const merged: Record<string, unknown> = { ...spec.defaults };
    for (const [key, value] of Object.entries(raw ?? {})) {
      if (!known.includes(key)) {
        const list = known.length ? known.join(', ') : 'none';
        throw new BadInputError(`unknown parameter ${key} for strategy ${spec.name} (its parameters: ${list})`, {
          field: `params.${key}`,
        });
      }
      if (value !== undefined) merged[key] = value;
    }
    const result = spec.paramsSchema.safeParse(merged);
    if (!result.success) {
      const issue = result.error.issues[0];
      const name = String(issue.path[0] ?? known[0]);
      throw new BadInputError(
        `bad parameter ${name} for strategy ${spec.name}: ${issue.message} (got ${JSON.stringify(merged[name])})`,
        { field: `params.${name}` },
      );
    }
    return result.data;
  }
}

/** A cache key for raw parameters; undefined (do not cache) unless every value is a finite number or a string. */
function safeKey(raw: RawStrategyParams): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  for (const value of Object.values(raw)) {
    if (!(typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) || value === undefined))
      return undefined;
  }
  return JSON.stringify(raw);
}
