import { z } from 'zod';
import { orNull, type BarSeries } from '../bar-series';
import { defineStrategy } from '../define-strategy';
import {
  CROSS_DOWN,
  CROSS_UP,
  type ChartLine,
  type ChartPane,
  type ChartSpec,
  type PreparedStrategy,
  type Strategy,
  type StrategyParams,
} from '../strategy';
import type { Comparator, Condition, Expr, RuleStrategyDefinition } from './rule-ast';
import { operandValues, scalarValue } from './rule-indicators';
import { printCondition, printExpr } from './rule-parser';
import { parseRuleStrategy } from './rule-schema';
import { exprInWords, ruleInWords } from './rule-words';

type Values = Readonly<Record<string, number>>;

function compare(op: Comparator, a: number, b: number): boolean {
  // NaN (undefined) makes every comparison false, as SEED.md requires.
  return op === '>' ? a > b : op === '>=' ? a >= b : op === '<' ? a < b : a <= b;
}

/**
 * `out[i] = 1` where `a[i] op b[i]`, else 0: one loop per comparator, since a
 * sweep runs this over every day of every parameter set (the hot path of a rule).
 */
function compareEach(op: Comparator, a: Float64Array, b: Float64Array, out: Uint8Array): void {
  const n = out.length;
  if (op === '>') for (let i = 0; i < n; i++) out[i] = a[i] > b[i] ? 1 : 0;
  else if (op === '>=') for (let i = 0; i < n; i++) out[i] = a[i] >= b[i] ? 1 : 0;
  else if (op === '<') for (let i = 0; i < n; i++) out[i] = a[i] < b[i] ? 1 : 0;
  else for (let i = 0; i < n; i++) out[i] = a[i] <= b[i] ? 1 : 0;
}

/** `out[i] = 0` where `out[i]` is 1 but `a[i] op b[i]` does not hold. */
function andCompareEach(op: Comparator, a: Float64Array, b: Float64Array, out: Uint8Array): void {
  const n = out.length;
  for (let i = 0; i < n; i++) if (out[i] === 1 && !compare(op, a[i], b[i])) out[i] = 0;
}

/**
 * `out[i] = 1` where `a op b` holds on day i and its opposite held on day
 * i − 1 (both false on undefined values; day 0 never): one fused loop per comparator.
 */
function becomesEach(op: Comparator, a: Float64Array, b: Float64Array, out: Uint8Array): void {
  const n = out.length;
  if (n > 0) out[0] = 0;
  if (op === '>') for (let i = 1; i < n; i++) out[i] = a[i] > b[i] && a[i - 1] <= b[i - 1] ? 1 : 0;
  else if (op === '>=') for (let i = 1; i < n; i++) out[i] = a[i] >= b[i] && a[i - 1] < b[i - 1] ? 1 : 0;
  else if (op === '<') for (let i = 1; i < n; i++) out[i] = a[i] < b[i] && a[i - 1] >= b[i - 1] ? 1 : 0;
  else for (let i = 1; i < n; i++) out[i] = a[i] <= b[i] && a[i - 1] > b[i - 1] ? 1 : 0;
}

/**
 * A condition on every day of `series` (1 = holds), written into `out` (every
 * day of it) when given. A day reads only its own
 * bar and earlier ones: `becomes`/crosses read the day before, `for N days`
 * the N − 1 days before; on day 0 they are false.
 */
export function conditionValues(
  series: BarSeries,
  condition: Condition,
  values: Values,
  out: Uint8Array = new Uint8Array(series.length),
): Uint8Array {
  const n = series.length;
  switch (condition.kind) {
    case 'compare': {
      const a = operandValues(series, condition.left, values);
      const b = operandValues(series, condition.right, values);
      compareEach(condition.op, a, b, out);
      return out;
    }
    case 'becomes': {
      const a = operandValues(series, condition.left, values);
      const b = operandValues(series, condition.right, values);
      becomesEach(condition.op, a, b, out);
      return out;
    }
    case 'held': {
      const inner = conditionValues(series, condition.inner, values);
      const days = scalarValue(condition.days, values);
      let run = 0;
      for (let i = 0; i < n; i++) {
        run = inner[i] ? run + 1 : 0;
        out[i] = run >= days ? 1 : 0;
      }
      return out;
    }
    case 'all':
    case 'any': {
      // Day by day AND (all) or OR (any) of the parts' 0/1 values; `all: []` holds, `any: []` does not.
      if (condition.of.length === 0) return out.fill(condition.kind === 'all' ? 1 : 0);
      conditionValues(series, condition.of[0], values, out);
      for (const c of condition.of.slice(1)) {
        if (condition.kind === 'all' && c.kind === 'compare') {
          // In place, reading the operands only on the days that still hold (a sweep's hot path).
          andCompareEach(c.op, operandValues(series, c.left, values), operandValues(series, c.right, values), out);
          continue;
        }
        const part = conditionValues(series, c, values);
        if (condition.kind === 'all') for (let i = 0; i < n; i++) out[i] &= part[i];
        else for (let i = 0; i < n; i++) out[i] |= part[i];
      }
      return out;
    }
    case 'not': {
      const inner = conditionValues(series, condition.of, values);
      for (let i = 0; i < n; i++) out[i] = inner[i] ? 0 : 1;
      return out;
    }
  }
}

/** Every non-constant operand of a condition, in order of appearance. */
function operandsOf(condition: Condition, into: Expr[] = []): Expr[] {
  switch (condition.kind) {
    case 'compare':
    case 'becomes':
      for (const e of [condition.left, condition.right]) if (e.kind === 'price' || e.kind === 'indicator') into.push(e);
      break;
    case 'held':
      operandsOf(condition.inner, into);
      break;
    case 'all':
    case 'any':
      condition.of.forEach((c) => operandsOf(c, into));
      break;
    case 'not':
      operandsOf(condition.of, into);
  }
  return into;
}

/** How many bars before a day an operand reads (Infinity for recursive indicators: EMA, RSI, MACD, ATR). */
function exprLookback(expr: Expr, values: Values): number {
  if (expr.kind !== 'indicator') return 0;
  const n = scalarValue(expr.args[0], values);
  switch (expr.name) {
    case 'ema':
    case 'rsi':
    case 'macd':
    case 'atr':
      return Number.POSITIVE_INFINITY;
    case 'sma':
    case 'bollinger':
      return n - 1;
    case 'donchian':
    case 'roc':
      return n;
    case 'highest':
    case 'lowest':
      return n - 1 + exprLookback(expr.source as Expr, values);
  }
}

function conditionLookback(condition: Condition, values: Values): number {
  switch (condition.kind) {
    case 'compare':
      return Math.max(exprLookback(condition.left, values), exprLookback(condition.right, values));
    case 'becomes':
      return 1 + Math.max(exprLookback(condition.left, values), exprLookback(condition.right, values));
    case 'held':
      return scalarValue(condition.days, values) - 1 + conditionLookback(condition.inner, values);
    case 'all':
    case 'any':
      return Math.max(...condition.of.map((c) => conditionLookback(c, values)));
    case 'not':
      return conditionLookback(condition.of, values);
  }
}

/** The definition as one canonical string: what the version hashes (the description is left out: it changes no signal). */
export function canonicalRule(definition: RuleStrategyDefinition): string {
  const parameters = Object.keys(definition.parameters)
    .sort()
    .map((name) => {
      const p = definition.parameters[name];
      return [name, p.default, p.min, p.max, p.integer];
    });
  return JSON.stringify({
    name: definition.name,
    parameters,
    constraints: definition.constraints.map((c) => `${printExpr(c.left)} ${c.op} ${printExpr(c.right)}`),
    entry: printCondition(definition.entry),
    exit: printCondition(definition.exit),
    startOpen: definition.startOpen ? printCondition(definition.startOpen) : null,
    exitNeedsEntry: definition.exitNeedsEntry,
  });
}

/** A positive 31-bit FNV-1a hash (strategy versions are Postgres `integer`s). */
export function ruleVersion(definition: RuleStrategyDefinition): number {
  let hash = 0x811c9dc5;
  const text = canonicalRule(definition);
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 1 || 1;
}

function paramsSchema(definition: RuleStrategyDefinition): z.ZodType<StrategyParams> {
  const shape: Record<string, z.ZodType<number>> = {};
  for (const [name, p] of Object.entries(definition.parameters)) {
    let schema = z.coerce.number();
    if (p.integer) schema = schema.int();
    schema = schema.min(p.min).max(p.max);
    shape[name] = (p.description ? schema.describe(p.description) : schema) as unknown as z.ZodType<number>;
  }
  let object: z.ZodType<StrategyParams> = z.object(shape).strict() as unknown as z.ZodType<StrategyParams>;
  for (const c of definition.constraints) {
    const text = `${printExpr(c.right)}`;
    object = object.refine((v) => compare(c.op, scalarValue(c.left, v), scalarValue(c.right, v)), {
      path: [c.left.kind === 'param' ? c.left.name : c.right.kind === 'param' ? c.right.name : ''],
      message: `must be ${c.op} ${text}`,
    });
  }
  return object;
}

/** Operands drawn over the price (same scale); the others get a pane each (one per MACD). */
function onPriceScale(expr: Expr): boolean {
  if (expr.kind === 'price') return expr.field !== 'volume';
  if (expr.kind !== 'indicator') return false;
  if (expr.name === 'highest' || expr.name === 'lowest') return onPriceScale(expr.source as Expr);
  return ['sma', 'ema', 'bollinger', 'donchian'].includes(expr.name);
}

function chartOf(definition: RuleStrategyDefinition, values: Values): ChartSpec {
  const overlays: ChartLine[] = [];
  const panes = new Map<string, ChartPane>();
  const seen = new Set<string>();
  const conditions = [definition.entry, definition.exit, ...(definition.startOpen ? [definition.startOpen] : [])];
  for (const expr of conditions.flatMap((c) => operandsOf(c))) {
    const key = printExpr(expr, values);
    if (seen.has(key) || (expr.kind === 'price' && expr.field === 'close')) continue;
    seen.add(key);
    const line: ChartLine = { key, label: exprInWords(expr, values).replace(/^the /, '') };
    if (onPriceScale(expr)) overlays.push(line);
    else {
      const id = key.replace(/\.[a-z]+$/, '');
      const pane = panes.get(id) ?? { id, label: id, lines: [] };
      if (expr.kind === 'indicator' && expr.output === 'histogram') line.kind = 'histogram';
      pane.lines.push(line);
      panes.set(id, pane);
    }
  }
  return { overlays, panes: [...panes.values()] };
}

/** A rule strategy as a regular {@link Strategy}: it runs wherever a built-in runs (daily job, backtests, sweeps). */
export function compileRuleStrategy(definition: RuleStrategyDefinition): Strategy<StrategyParams> {
  const defaults = Object.fromEntries(Object.entries(definition.parameters).map(([k, p]) => [k, p.default]));
  const conditions = [definition.entry, definition.exit, ...(definition.startOpen ? [definition.startOpen] : [])];
  const operands = conditions.flatMap((c) => operandsOf(c));
  return defineStrategy<StrategyParams>({
    name: definition.name,
    version: ruleVersion(definition),
    description: definition.description,
    defaults,
    paramsSchema: paramsSchema(definition),
    rules: (p) => ruleInWords(definition, p),
    chart: (p) => chartOf(definition, p),
    lookback: (p) => Math.max(...conditions.map((c) => conditionLookback(c, p))),
    prepare(series: BarSeries, p: StrategyParams, events = new Uint8Array(series.length)): PreparedStrategy {
      const n = series.length;
      // Scratch buffers of the series, reused by every parameter set of a sweep (read before prepare returns).
      const entry = conditionValues(
        series,
        definition.entry,
        p,
        series.memo('rule:entry', () => new Uint8Array(n)),
      );
      const exit = conditionValues(
        series,
        definition.exit,
        p,
        series.memo('rule:exit', () => new Uint8Array(n)),
      );
      // The initial position is read once per run (a backtest's first day): computed on first use.
      const startOpen = definition.startOpen;
      let open: Uint8Array | undefined;
      events[0] = 0;
      for (let i = 1; i < n; i++) events[i] = (entry[i] ? CROSS_UP : 0) | (exit[i] ? CROSS_DOWN : 0);
      // Named lines only when read (charts, recorded inputs): a sweep's backtests never read them.
      let lines: Record<string, Float64Array> | undefined;
      const linesOf = () => {
        if (lines) return lines;
        lines = { close: series.close };
        for (const expr of operands) lines[printExpr(expr, p)] = operandValues(series, expr, p);
        return lines;
      };
      return {
        series,
        events,
        crossDownNeedsCountedCrossUp: definition.exitNeedsEntry,
        initiallyOpen: (i) => {
          if (!startOpen) return false;
          open ??= conditionValues(series, startOpen, p);
          return open[i] === 1;
        },
        inputs: (i) => Object.fromEntries(Object.entries(linesOf()).map(([k, v]) => [k, orNull(v[i])])),
        get lines() {
          return linesOf();
        },
      };
    },
  });
}

/** The rule as written of each strategy {@link ruleStrategy} made (what GET /strategies shows and the builder edits). */
const writtenRules = new WeakMap<object, unknown>();

/** A written rule strategy (YAML/JSON) parsed, checked and compiled; BadInputError `path: sentence` when invalid. */
export function ruleStrategy(raw: unknown): Strategy<StrategyParams> {
  const strategy = compileRuleStrategy(parseRuleStrategy(raw));
  writtenRules.set(strategy, structuredClone(raw));
  return strategy;
}

/** The rule as written of a strategy made by {@link ruleStrategy}; undefined for a strategy written in code. */
export function writtenRule(strategy: object): unknown {
  return writtenRules.get(strategy);
}
