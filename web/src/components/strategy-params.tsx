import { useEffect, useState } from 'preact/hooks';
import { api, asApiError, listItems, type ApiError } from '../api/client';
import { Field } from './form';

/** One parameter as the strategy's zod schema describes it (GET /strategies: z.toJSONSchema of `paramsSchema`). */
export interface ParamSpec {
  name: string;
  integer: boolean;
  minimum?: number;
  maximum?: number;
  default?: number;
  description?: string;
}

/** A strategy as the forms need it. */
export interface StrategyInfo {
  name: string;
  description: string;
  /** The rule in words, when the API gives it. */
  rules?: string;
  params: ParamSpec[];
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
  description?: string;
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
};

/**
 * The parameters of a JSON schema (an object of numbers), in declaration
 * order; `defaults` fill what the schema does not say. Nothing here knows any
 * strategy: a new strategy's parameters appear from its schema alone.
 */
export function paramsFromSchema(schema: unknown, defaults: Record<string, unknown> = {}): ParamSpec[] {
  const s = (schema ?? {}) as JsonSchema;
  const props = s.properties ?? s.allOf?.find((x) => x.properties)?.properties ?? {};
  return Object.entries(props).map(([name, raw]) => {
    const p = raw.anyOf?.find((x) => x.type === 'number' || x.type === 'integer') ?? raw;
    const types = Array.isArray(p.type) ? p.type : [p.type];
    const def =
      typeof p.default === 'number'
        ? p.default
        : typeof defaults[name] === 'number'
          ? (defaults[name] as number)
          : undefined;
    return {
      name,
      integer: types.includes('integer'),
      minimum: p.minimum ?? p.exclusiveMinimum,
      maximum: p.maximum ?? p.exclusiveMaximum,
      default: def,
      description: p.description ?? raw.description,
    };
  });
}

/** Whatever shape a GET /strategies item has, as a {@link StrategyInfo}. */
export function toStrategyInfo(item: Record<string, unknown>): StrategyInfo {
  const schema = item.paramsSchema ?? item.params ?? item.parameters ?? item.schema;
  const defaults = (item.defaults ?? {}) as Record<string, unknown>;
  const rules = item.rules ?? item.rule ?? item.rulesInWords;
  return {
    name: String(item.name),
    description: String(item.description ?? ''),
    rules: Array.isArray(rules) ? rules.join(' ') : typeof rules === 'string' ? rules : undefined,
    params: paramsFromSchema(schema, defaults),
  };
}

/** The registered strategies (GET /strategies), loaded once per page. */
export function useStrategies(): { strategies: StrategyInfo[] | null; error: ApiError | null } {
  const [strategies, setStrategies] = useState<StrategyInfo[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    api.GET('/strategies').then(
      ({ data, error: err, response }) => {
        if (!data) return setError(asApiError(err, response.status));
        setStrategies(listItems<Record<string, unknown>>(data, 'strategies').map(toStrategyInfo));
      },
      (e: unknown) => setError(asApiError(e)),
    );
  }, []);
  return { strategies, error };
}

/** The numeric inputs of a strategy's parameters, each labelled, with its range as a hint and its error (`params.<name>`) under it. */
export function ParamFields({
  strategy,
  values,
  errors,
  onChange,
}: {
  strategy: StrategyInfo;
  values: Record<string, string>;
  errors: Record<string, string>;
  onChange: (name: string, value: string) => void;
}) {
  if (strategy.params.length === 0) return <p class="muted">{strategy.name} has no parameters.</p>;
  return (
    <fieldset class="params">
      <legend>Parameters of {strategy.name}</legend>
      <div class="grid-fields">
        {strategy.params.map((p) => {
          const range = [
            p.minimum !== undefined ? `≥ ${p.minimum}` : '',
            p.maximum !== undefined ? `≤ ${p.maximum}` : '',
          ]
            .filter(Boolean)
            .join(', ');
          const hint = [
            p.description,
            range && `${p.integer ? 'whole number' : 'number'} ${range}`,
            p.default !== undefined && `default ${p.default}`,
          ]
            .filter(Boolean)
            .join('; ');
          return (
            <Field
              key={p.name}
              label={p.name}
              name={`params.${p.name}`}
              error={errors[`params.${p.name}`]}
              hint={hint || undefined}
            >
              {(a) => (
                <input
                  {...a}
                  type="number"
                  inputMode={p.integer ? 'numeric' : 'decimal'}
                  step={p.integer ? 1 : 'any'}
                  placeholder={p.default !== undefined ? String(p.default) : undefined}
                  value={values[p.name] ?? ''}
                  onInput={(e) => onChange(p.name, (e.currentTarget as HTMLInputElement).value)}
                />
              )}
            </Field>
          );
        })}
      </div>
    </fieldset>
  );
}
