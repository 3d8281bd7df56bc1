/**
 * The parsed form of a rule strategy (see `rule-schema.ts` for the written
 * form): operands are expressions over the bars, conditions are per-day booleans.
 */

/** A price column of the bars. */
export type PriceField = 'close' | 'open' | 'high' | 'low' | 'volume';

/** A number that is the same every day: a constant or a named parameter. */
export type Scalar = { kind: 'const'; value: number } | { kind: 'param'; name: string };

/** An operand: a value per day. */
export type Expr =
  | Scalar
  | { kind: 'price'; field: PriceField }
  /** `sma(n)`, `macd(f, s, g).line`, `highest(close, n)` ...: `source` is the series of highest/lowest. */
  | { kind: 'indicator'; name: IndicatorName; args: Scalar[]; output?: string; source?: Expr };

/** The indicators a rule may use. */
export type IndicatorName =
  | 'sma'
  | 'ema'
  | 'rsi'
  | 'macd'
  | 'bollinger'
  | 'donchian'
  | 'atr'
  | 'roc'
  | 'highest'
  | 'lowest';

/** A comparison operator. */
export type Comparator = '>' | '>=' | '<' | '<=';

/** A condition: true or false on each day. */
export type Condition =
  | { kind: 'compare'; op: Comparator; left: Expr; right: Expr }
  /**
   * The comparison holds today and its opposite held the day before (undefined
   * values make both false). `crosses_above` is `becomes >`, `crosses_below` is `becomes <`.
   */
  | { kind: 'becomes'; op: Comparator; left: Expr; right: Expr; cross: boolean }
  /** `inner` held on each of the last `days` bars (today included). */
  | { kind: 'held'; days: Scalar; inner: Condition }
  | { kind: 'all'; of: Condition[] }
  | { kind: 'any'; of: Condition[] }
  | { kind: 'not'; of: Condition };

/** One parameter of a rule strategy. */
export interface RuleParameter {
  default: number;
  min: number;
  max: number;
  /** Whole numbers only (declared, or because the parameter is used as a period). */
  integer: boolean;
  description?: string;
}

/** A rule strategy, parsed and checked: what the compiler turns into a strategy. */
export interface RuleStrategyDefinition {
  name: string;
  description: string;
  parameters: Readonly<Record<string, RuleParameter>>;
  /** Cross-parameter constraints (`fast < slow`). */
  constraints: readonly { op: Comparator; left: Scalar; right: Scalar }[];
  /** BUY events (a "cross up" of the shared state machine). */
  entry: Condition;
  /** SELL events (a "cross down"). */
  exit: Condition;
  /** Open from the first day when this holds on it (flat otherwise, and when absent). */
  startOpen?: Condition;
  /** An exit only counts after a counted entry (SEED.md's sma_cross rule 2). */
  exitNeedsEntry: boolean;
}
