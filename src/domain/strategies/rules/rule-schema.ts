import { z } from 'zod';
import { BadInputError } from '../../errors';
import type { Condition, Expr, RuleParameter, RuleStrategyDefinition, Scalar } from './rule-ast';
import { isPeriodArgument, parseCondition, parseConstraint, RuleSyntaxError } from './rule-parser';

/**
 * The written form of a rule strategy (YAML in the config, JSON over an API):
 *
 * ```yaml
 * name: golden_cross              # registry key: lower case, digits, _
 * description: SMA(50) crossing SMA(200)
 * parameters:                     # each with default, min, max (integer: optional)
 *   fast: { default: 50, min: 2, max: 400 }
 *   slow: { default: 200, min: 3, max: 400 }
 * constraints: [fast < slow]      # optional
 * entry: sma(fast) crosses_above sma(slow)     # BUY events
 * exit:                                       # SELL events
 *   any:
 *     - sma(fast) crosses_below sma(slow)
 *     - close < sma(slow) for 3 days
 * start_open: sma(fast) > sma(slow)           # optional: open from the first day when it holds
 * exit_needs_entry: false                     # optional: an exit counts only after a counted entry
 * ```
 *
 * A condition is a string (see `rule-parser.ts`) or `{ all: [...] }`,
 * `{ any: [...] }`, `{ not: ... }`.
 */
export type RawCondition = string | { all: RawCondition[] } | { any: RawCondition[] } | { not: RawCondition };

const NAME = /^[a-z][a-z0-9_]*$/;
/** Words a parameter may not be called (they mean something else in a condition). */
const RESERVED = new Set([
  'close',
  'open',
  'high',
  'low',
  'volume',
  'becomes',
  'for',
  'day',
  'days',
  'crosses_above',
  'crosses_below',
]);

const parameterSchema = z
  .object({
    default: z.number(),
    min: z.number(),
    max: z.number(),
    integer: z.boolean().optional(),
    description: z.string().optional(),
  })
  .strict()
  .refine((p) => p.min <= p.default && p.default <= p.max, { message: 'needs min <= default <= max' });

/** The structure of a rule strategy; conditions are checked by {@link parseRuleStrategy}. */
export const ruleStrategySchema = z
  .object({
    name: z.string().regex(NAME, 'must be lower case letters, digits and _, starting with a letter'),
    description: z.string().min(1),
    parameters: z
      .record(z.string().regex(/^[a-z][A-Za-z0-9_]*$/, 'must be an identifier starting lower case'), parameterSchema)
      .default({}),
    constraints: z.array(z.string()).default([]),
    entry: z.unknown(),
    exit: z.unknown(),
    start_open: z.unknown().optional(),
    exit_needs_entry: z.boolean().default(false),
  })
  .strict();

/** A rule strategy as written (before the conditions are parsed). */
export type RawRuleStrategy = z.input<typeof ruleStrategySchema>;

/** `entry.all[1].left` from path segments. */
export function formatRulePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

class RulePathError extends Error {
  constructor(
    readonly path: PropertyKey[],
    message: string,
  ) {
    super(message);
  }
}

function condition(raw: unknown, path: PropertyKey[], params: readonly string[]): Condition {
  if (typeof raw === 'string') {
    try {
      return parseCondition(raw, params);
    } catch (err) {
      if (err instanceof RuleSyntaxError) throw new RulePathError(err.part ? [...path, err.part] : path, err.message);
      throw err;
    }
  }
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const keys = Object.keys(raw);
    const value = (raw as Record<string, unknown>)[keys[0]];
    if (keys.length === 1 && (keys[0] === 'all' || keys[0] === 'any')) {
      if (!Array.isArray(value) || value.length === 0) {
        throw new RulePathError([...path, keys[0]], `${keys[0]} needs a non-empty list of conditions`);
      }
      return { kind: keys[0], of: value.map((c, i) => condition(c, [...path, keys[0], i], params)) };
    }
    if (keys.length === 1 && keys[0] === 'not') return { kind: 'not', of: condition(value, [...path, 'not'], params) };
  }
  throw new RulePathError(
    path,
    `a condition is a string like "close > sma(20)" or one of { all: [...] }, { any: [...] }, { not: ... } ` +
      `(got ${JSON.stringify(raw)})`,
  );
}

/** Calls `visit` on every scalar used as an indicator's period or as a `for N days` count. */
function forEachPeriod(c: Condition, visit: (s: Scalar) => void): void {
  const inExpr = (e: Expr): void => {
    if (e.kind !== 'indicator') return;
    e.args.forEach((a, i) => isPeriodArgument(e.name, i) && visit(a));
    if (e.source) inExpr(e.source);
  };
  switch (c.kind) {
    case 'compare':
    case 'becomes':
      inExpr(c.left);
      inExpr(c.right);
      return;
    case 'held':
      visit(c.days);
      forEachPeriod(c.inner, visit);
      return;
    case 'all':
    case 'any':
      c.of.forEach((x) => forEachPeriod(x, visit));
      return;
    case 'not':
      forEachPeriod(c.of, visit);
  }
}

/**
 * A rule strategy parsed and checked. Throws BadInputError whose message is
 * `path: sentence` (`entry.all[1].left: unknown indicator "smaa" (did you mean sma?)`).
 */
export function parseRuleStrategy(raw: unknown): RuleStrategyDefinition {
  const shape = ruleStrategySchema.safeParse(raw);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    const where = issue.path.length ? formatRulePath(issue.path) : '(rule)';
    throw new BadInputError(`${where}: ${issue.message}`, { field: where });
  }
  const written = shape.data;
  const names = Object.keys(written.parameters);
  try {
    for (const name of names) {
      if (RESERVED.has(name)) throw new RulePathError(['parameters', name], `"${name}" is a reserved word`);
    }
    if (written.entry === undefined) throw new RulePathError(['entry'], 'a rule strategy needs an entry condition');
    if (written.exit === undefined) throw new RulePathError(['exit'], 'a rule strategy needs an exit condition');
    const entry = condition(written.entry, ['entry'], names);
    const exit = condition(written.exit, ['exit'], names);
    const startOpen =
      written.start_open === undefined ? undefined : condition(written.start_open, ['start_open'], names);
    const constraints = written.constraints.map((text, i) => {
      try {
        return parseConstraint(text, names);
      } catch (err) {
        if (err instanceof RuleSyntaxError) throw new RulePathError(['constraints', i], err.message);
        throw err;
      }
    });
    const periods = new Set<string>();
    const checkPeriod = (s: Scalar): void => {
      if (s.kind === 'param') periods.add(s.name);
      else if (!(Number.isInteger(s.value) && s.value >= 1)) {
        throw new RulePathError([], `a period must be a whole number >= 1 (got ${s.value})`);
      }
    };
    for (const [key, c] of [
      ['entry', entry],
      ['exit', exit],
      ['start_open', startOpen],
    ] as const) {
      try {
        if (c) forEachPeriod(c, checkPeriod);
      } catch (err) {
        if (err instanceof RulePathError) throw new RulePathError([key], err.message);
        throw err;
      }
    }
    const parameters: Record<string, RuleParameter> = {};
    for (const name of names) {
      const p = written.parameters[name];
      const integer = p.integer ?? periods.has(name);
      if (periods.has(name) && (!integer || p.min < 1)) {
        throw new RulePathError(['parameters', name], 'is a period: it must be a whole number with min >= 1');
      }
      if (integer && ![p.default, p.min, p.max].every(Number.isInteger)) {
        throw new RulePathError(['parameters', name], 'is a whole number: default, min and max must be too');
      }
      parameters[name] = { default: p.default, min: p.min, max: p.max, integer, description: p.description };
    }
    return {
      name: written.name,
      description: written.description,
      parameters,
      constraints,
      entry,
      exit,
      ...(startOpen ? { startOpen } : {}),
      exitNeedsEntry: written.exit_needs_entry,
    };
  } catch (err) {
    if (err instanceof RulePathError) {
      const where = formatRulePath(err.path);
      throw new BadInputError(`${where}: ${err.message}`, { field: where });
    }
    throw err;
  }
}
