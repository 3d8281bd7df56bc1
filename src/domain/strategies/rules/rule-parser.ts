import type { Comparator, Condition, Expr, IndicatorName, PriceField, Scalar } from './rule-ast';

/**
 * The parser of a rule's written conditions, one string per condition:
 *
 *   condition := ["becomes"] operand comparator operand ["for" count ("day" | "days")]
 *              | operand ("crosses_above" | "crosses_below") operand ["for" count ("day" | "days")]
 *   comparator := ">" | ">=" | "<" | "<="
 *   operand := number | parameter | close | open | high | low | volume
 *            | sma(n) | ema(n) | rsi(n) | atr(n) | roc(n)
 *            | macd(fast, slow, signal).line|signal|histogram
 *            | bollinger(n, k).upper|middle|lower | donchian(n).upper|lower
 *            | highest(operand, n) | lowest(operand, n)
 *
 * where `n`, `k` and `count` are numbers or parameter names. Errors are
 * {@link RuleSyntaxError}s naming the part at fault (`left`, `right`, `days`).
 */

/** A parse error: `part` is the part of the condition at fault (appended to the rule's path). */
export class RuleSyntaxError extends Error {
  constructor(
    message: string,
    readonly part?: string,
  ) {
    super(message);
  }
}

const PRICES: readonly PriceField[] = ['close', 'open', 'high', 'low', 'volume'];

/** Each indicator's scalar arguments and outputs (none = a single value). */
const INDICATORS: Readonly<Record<IndicatorName, { args: readonly string[]; outputs?: readonly string[] }>> = {
  sma: { args: ['n'] },
  ema: { args: ['n'] },
  rsi: { args: ['n'] },
  atr: { args: ['n'] },
  roc: { args: ['n'] },
  macd: { args: ['fast', 'slow', 'signal'], outputs: ['line', 'signal', 'histogram'] },
  bollinger: { args: ['n', 'k'], outputs: ['upper', 'middle', 'lower'] },
  donchian: { args: ['n'], outputs: ['upper', 'lower'] },
  highest: { args: ['x', 'n'] },
  lowest: { args: ['x', 'n'] },
};

/** Arguments that are periods (whole numbers of days): all but bollinger's `k`. */
export function isPeriodArgument(name: IndicatorName, index: number): boolean {
  return !(name === 'bollinger' && index === 1);
}

const COMPARATORS: readonly string[] = ['>', '>=', '<', '<='];

/** What a condition may be written with: the rule builder's choices come from here, so they never drift from the parser. */
export const RULE_LANGUAGE = {
  prices: PRICES,
  indicators: (Object.keys(INDICATORS) as IndicatorName[]).map((name) => ({
    name,
    args: INDICATORS[name].args,
    outputs: INDICATORS[name].outputs ?? [],
  })),
  comparators: COMPARATORS,
  crosses: ['crosses_above', 'crosses_below'],
} as const;

type Token = { type: 'number'; value: number; text: string } | { type: 'word' | 'symbol'; text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|>|<|\(|\)|,|\.))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    pattern.lastIndex = at;
    const m = pattern.exec(text);
    if (!m)
      throw new RuleSyntaxError(`unexpected ${JSON.stringify(text.slice(at).trim()[0])} in ${JSON.stringify(text)}`);
    if (m[1] !== undefined) tokens.push({ type: 'number', value: Number(m[1]), text: m[1] });
    else if (m[2] !== undefined) tokens.push({ type: 'word', text: m[2] });
    else tokens.push({ type: 'symbol', text: m[3] });
    at = pattern.lastIndex;
  }
  return tokens;
}

/** Edit distance with adjacent transpositions (`fats` is one edit from `fast`), for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** ` (did you mean x?)` when a known name is close to `name`, else ''. */
export function didYouMean(name: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(name.toLowerCase(), candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length / 3))
    ? ` (did you mean ${best}?)`
    : '';
}

class Parser {
  private at = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly params: readonly string[],
  ) {}

  peek(): Token | undefined {
    return this.tokens[this.at];
  }

  next(): Token | undefined {
    return this.tokens[this.at++];
  }

  done(): boolean {
    return this.at >= this.tokens.length;
  }

  expectSymbol(symbol: string, part?: string): void {
    const token = this.next();
    if (token?.text !== symbol) throw new RuleSyntaxError(`expected "${symbol}", got ${describe(token)}`, part);
  }

  scalar(part?: string): Scalar {
    const token = this.next();
    if (token?.type === 'number') return { kind: 'const', value: token.value };
    if (token?.type === 'word') {
      if (this.params.includes(token.text)) return { kind: 'param', name: token.text };
      throw new RuleSyntaxError(
        `unknown parameter "${token.text}"${didYouMean(token.text, this.params)} (declare it under parameters)`,
        part,
      );
    }
    throw new RuleSyntaxError(`expected a number or a parameter, got ${describe(token)}`, part);
  }

  expr(part?: string): Expr {
    const token = this.peek();
    if (token?.type === 'number') return this.scalar(part);
    if (token?.type !== 'word') throw new RuleSyntaxError(`expected an operand, got ${describe(token)}`, part);
    const name = token.text;
    if (this.tokens[this.at + 1]?.text !== '(') {
      this.next();
      if ((PRICES as readonly string[]).includes(name)) return { kind: 'price', field: name as PriceField };
      if (this.params.includes(name)) return { kind: 'param', name };
      const known = [...PRICES, ...this.params];
      const hint = name in INDICATORS ? ` (${name} needs its arguments: ${name}(...))` : didYouMean(name, known);
      throw new RuleSyntaxError(`unknown operand "${name}"${hint}`, part);
    }
    if (!(name in INDICATORS)) {
      throw new RuleSyntaxError(
        `unknown indicator "${name}"${didYouMean(name, Object.keys(INDICATORS))} ` +
          `(known: ${Object.keys(INDICATORS).join(', ')})`,
        part,
      );
    }
    const indicator = name as IndicatorName;
    const spec = INDICATORS[indicator];
    this.next();
    this.expectSymbol('(', part);
    let source: Expr | undefined;
    const args: Scalar[] = [];
    spec.args.forEach((arg, index) => {
      if (index > 0) this.expectSymbol(',', part);
      if (arg === 'x') source = this.expr(part);
      else args.push(this.scalar(part));
    });
    if (this.peek()?.text === ',') {
      throw new RuleSyntaxError(
        `${name} takes ${spec.args.length} argument(s): ${name}(${spec.args.join(', ')})`,
        part,
      );
    }
    this.expectSymbol(')', part);
    let output: string | undefined;
    if (spec.outputs) {
      if (this.peek()?.text !== '.') {
        throw new RuleSyntaxError(`${name}(...) needs one of .${spec.outputs.join(', .')}`, part);
      }
      this.next();
      const out = this.next();
      if (out?.type !== 'word' || !spec.outputs.includes(out.text)) {
        throw new RuleSyntaxError(
          `${name} has no output ${describe(out)}${out ? didYouMean(out.text, spec.outputs) : ''} ` +
            `(outputs: ${spec.outputs.join(', ')})`,
          part,
        );
      }
      output = out.text;
    }
    return { kind: 'indicator', name: indicator, args, ...(output ? { output } : {}), ...(source ? { source } : {}) };
  }
}

function describe(token: Token | undefined): string {
  return token ? `"${token.text}"` : 'the end';
}

const OPPOSITE: Readonly<Record<string, Comparator>> = { crosses_above: '>', crosses_below: '<' };

/** A condition string parsed against the declared parameter names; throws {@link RuleSyntaxError}. */
export function parseCondition(text: string, params: readonly string[]): Condition {
  const parser = new Parser(tokenize(text), params);
  if (parser.done()) throw new RuleSyntaxError('empty condition');
  const becomes = parser.peek()?.text === 'becomes';
  if (becomes) parser.next();
  const left = parser.expr('left');
  const op = parser.next();
  let condition: Condition;
  if (op?.type === 'symbol' && COMPARATORS.includes(op.text)) {
    const right = parser.expr('right');
    const comparator = op.text as Comparator;
    condition = becomes
      ? { kind: 'becomes', op: comparator, left, right, cross: false }
      : { kind: 'compare', op: comparator, left, right };
  } else if (!becomes && op?.type === 'word' && op.text in OPPOSITE) {
    condition = { kind: 'becomes', op: OPPOSITE[op.text], left, right: parser.expr('right'), cross: true };
  } else {
    const expected = becomes ? '>, >=, < or <=' : '>, >=, <, <=, crosses_above or crosses_below';
    throw new RuleSyntaxError(`expected ${expected}, got ${describe(op)}`, 'op');
  }
  if (parser.peek()?.text === 'for') {
    parser.next();
    const days = parser.scalar('days');
    const unit = parser.next();
    if (unit?.text !== 'days' && unit?.text !== 'day') {
      throw new RuleSyntaxError(`expected "days" after "for ${JSON.stringify(days)}", got ${describe(unit)}`, 'days');
    }
    if (days.kind === 'const' && !(Number.isInteger(days.value) && days.value >= 1)) {
      throw new RuleSyntaxError(`for N days needs a whole number of days >= 1, got ${days.value}`, 'days');
    }
    condition = { kind: 'held', days, inner: condition };
  }
  if (!parser.done()) throw new RuleSyntaxError(`unexpected ${describe(parser.peek())} after the condition`);
  return condition;
}

/** A parameter constraint (`fast < slow`): two numbers or parameters and a comparator. */
export function parseConstraint(
  text: string,
  params: readonly string[],
): { op: Comparator; left: Scalar; right: Scalar } {
  const parser = new Parser(tokenize(text), params);
  const left = parser.scalar('left');
  const op = parser.next();
  if (op?.type !== 'symbol' || !COMPARATORS.includes(op.text)) {
    throw new RuleSyntaxError(`expected >, >=, < or <=, got ${describe(op)}`, 'op');
  }
  const right = parser.scalar('right');
  if (!parser.done()) throw new RuleSyntaxError(`unexpected ${describe(parser.peek())} after the constraint`);
  return { op: op.text as Comparator, left, right };
}

/** The canonical text of an operand with parameters as written (`sma(fast)`) or replaced by `values`. */
export function printExpr(expr: Expr, values?: Readonly<Record<string, number>>): string {
  switch (expr.kind) {
    case 'const':
      return String(expr.value);
    case 'param':
      return values ? String(values[expr.name]) : expr.name;
    case 'price':
      return expr.field;
    case 'indicator': {
      const args = expr.args.map((a) => printExpr(a, values));
      if (expr.source) args.unshift(printExpr(expr.source, values));
      return `${expr.name}(${args.join(', ')})${expr.output ? `.${expr.output}` : ''}`;
    }
  }
}

/** The canonical text of a leaf condition (or a combinator as JSON-like text), for hashing and errors. */
export function printCondition(condition: Condition): string {
  switch (condition.kind) {
    case 'compare':
      return `${printExpr(condition.left)} ${condition.op} ${printExpr(condition.right)}`;
    case 'becomes':
      if (condition.cross) {
        const verb = condition.op === '>' ? 'crosses_above' : 'crosses_below';
        return `${printExpr(condition.left)} ${verb} ${printExpr(condition.right)}`;
      }
      return `becomes ${printExpr(condition.left)} ${condition.op} ${printExpr(condition.right)}`;
    case 'held':
      return `${printCondition(condition.inner)} for ${printExpr(condition.days)} days`;
    case 'all':
    case 'any':
      return `${condition.kind}(${condition.of.map(printCondition).join('; ')})`;
    case 'not':
      return `not(${printCondition(condition.of)})`;
  }
}
