import type { Comparator, Condition, Expr, RuleStrategyDefinition } from './rule-ast';
import { scalarValue } from './rule-indicators';

type Values = Readonly<Record<string, number>>;

const IS: Readonly<Record<Comparator, string>> = {
  '>': 'is above',
  '>=': 'is at or above',
  '<': 'is below',
  '<=': 'is at or below',
};
/** The opposite comparison, as {@link Condition} `becomes` reads the day before. */
const WAS: Readonly<Record<Comparator, string>> = {
  '>': 'at or below',
  '>=': 'below',
  '<': 'at or above',
  '<=': 'above',
};

/** An operand in words with these parameters: `SMA(7)`, `the close`, `the lower Bollinger band (20, 2)`. */
export function exprInWords(expr: Expr, values: Values): string {
  switch (expr.kind) {
    case 'const':
    case 'param':
      return String(scalarValue(expr, values));
    case 'price':
      return `the ${expr.field}`;
  }
  const args = expr.args.map((s) => scalarValue(s, values));
  switch (expr.name) {
    case 'macd':
      return `the MACD(${args.join(', ')}) ${expr.output === 'line' ? 'line' : expr.output}`;
    case 'bollinger':
      return expr.output === 'middle'
        ? `SMA(${args[0]})`
        : `the ${expr.output} Bollinger band (${args[0]}, ${args[1]}σ)`;
    case 'donchian':
      return expr.output === 'upper'
        ? `the highest high of the ${args[0]} days before`
        : `the lowest low of the ${args[0]} days before`;
    case 'highest':
    case 'lowest': {
      const source = exprInWords(expr.source as Expr, values).replace(/^the /, '');
      return `the ${expr.name} ${source} of the last ${args[0]} days`;
    }
    default:
      return `${expr.name.toUpperCase()}(${args[0]})`;
  }
}

/** A condition in words with these parameters. */
export function conditionInWords(condition: Condition, values: Values): string {
  switch (condition.kind) {
    case 'compare':
      return `${exprInWords(condition.left, values)} ${IS[condition.op]} ${exprInWords(condition.right, values)}`;
    case 'becomes': {
      const left = exprInWords(condition.left, values);
      const right = exprInWords(condition.right, values);
      if (condition.cross) return `${left} crosses ${condition.op === '>' ? 'above' : 'below'} ${right}`;
      return `${left} ${IS[condition.op].replace(/^is/, 'moves')} ${right} (from ${WAS[condition.op]} the day before)`;
    }
    case 'held':
      return `${conditionInWords(condition.inner, values)} for ${scalarValue(condition.days, values)} days in a row`;
    case 'all':
      return condition.of.map((c) => group(c, values)).join(' and ');
    case 'any':
      return `either ${condition.of.map((c) => group(c, values)).join(' or ')}`;
    case 'not':
      return `not (${conditionInWords(condition.of, values)})`;
  }
}

function group(condition: Condition, values: Values): string {
  const words = conditionInWords(condition, values);
  return condition.kind === 'all' || condition.kind === 'any' ? `(${words})` : words;
}

/** The whole rule in words with these parameters: what the signal page and the playground show. */
export function ruleInWords(definition: RuleStrategyDefinition, values: Values): string {
  const exit = conditionInWords(definition.exit, values);
  const parts = [
    `BUY when ${conditionInWords(definition.entry, values)}`,
    `SELL when ${exit}${definition.exitNeedsEntry ? ', counted only after a counted BUY event' : ''}`,
  ];
  const start = definition.startOpen
    ? ` Starts in the market when ${conditionInWords(definition.startOpen, values)} on the first day.`
    : '';
  return `${parts.join('; ')}.${start} In between: HOLD while in, WAIT while out.`;
}
