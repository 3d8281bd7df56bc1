/**
 * Error texts for people: one sentence per bad field, naming the field in
 * words and its limit ("Slippage must be below 10,000 bps", "Capital must be
 * at least 0.01"), built from a zod issue or a domain check's own problem. The
 * API's 400 answers carry these beside the field's path, so a form shows each
 * at its field. Pure: no zod import, only the issue's plain fields.
 */

/**
 * What is wrong with a field, in the words of a zod issue (`code` and its
 * limit); `message` is the check's own text, used when the code says no more.
 */
export type FieldProblem =
  | { code: 'too_big'; maximum: number | bigint; inclusive?: boolean; origin?: string; message?: string }
  | { code: 'too_small'; minimum: number | bigint; inclusive?: boolean; origin?: string; message?: string }
  | { code: 'invalid_type'; expected?: string; message?: string }
  | { code: 'invalid_format'; format?: string; message?: string }
  | { code: 'invalid_value'; values?: readonly unknown[]; message?: string }
  | { code: 'unrecognized_keys'; keys?: readonly string[]; message?: string }
  | { code: string; message?: string };

/** One field's error: its path in the request (`slippageBps`, `params.fast`, `emails.1`) and the sentence. */
export interface FieldSentence {
  field: string;
  message: string;
}

/** A field's name in words, and the unit its numbers are in. */
interface FieldWords {
  label: string;
  unit?: string;
}

/** The request fields a person meets in a form or a command; others are named from their own camelCase. */
const FIELD_WORDS: Record<string, FieldWords> = {
  slippageBps: { label: 'Slippage', unit: 'bps' },
  feesBps: { label: 'Fees', unit: 'bps' },
  commissionPerTrade: { label: 'Commission per trade' },
  capital: { label: 'Capital' },
  wholeShares: { label: 'Whole shares' },
  execution: { label: 'Execution' },
  email: { label: 'Email' },
  emails: { label: 'Email' },
  ticker: { label: 'Ticker' },
  tickers: { label: 'Tickers' },
  strategy: { label: 'Strategy' },
  strategies: { label: 'Strategies' },
  subscriptions: { label: 'Subscriptions' },
  params: { label: 'Parameters' },
  from: { label: 'From date' },
  to: { label: 'To date' },
  date: { label: 'Date' },
  // The old backtester's clients (scripts) know its fields by these names.
  start_date: { label: 'start_date' },
  end_date: { label: 'end_date' },
  starting_capital: { label: 'starting_capital' },
  limit: { label: 'Limit' },
  cursor: { label: 'Cursor' },
  rule: { label: 'Rule' },
  name: { label: 'Name' },
  grid: { label: 'Grid' },
  altcha: { label: 'Proof of work' },
};

/** Names of list fields whose entries have a name of their own ("Ticker 2" of `tickers.1`). */
const ENTRY_WORDS: Record<string, string> = { tickers: 'Ticker', emails: 'Email', subscriptions: 'Subscription' };

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** `wholeShares` → "Whole shares", `start_date` → "Start date". */
const humanized = (name: string) =>
  capitalized(
    name
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .replace(/_/g, ' ')
      .toLowerCase(),
  );

/**
 * A field path in words: `slippageBps` is "Slippage" (in bps), `params.fast`
 * "Parameter fast", `tickers.1` "Ticker 2", `subscriptions.0.ticker` "Ticker
 * of subscription 1"; an empty path is "The request".
 */
export function fieldWords(path: string): FieldWords {
  const parts = path.split('.').filter(Boolean);
  if (parts.length === 0) return { label: 'The request' };
  // A rule's condition (`entry.all[0].right`, under `rule.` in a backtest): as the rule builder labels it.
  const condition = /(?:^|\.)(entry|exit)\.(?:all|any)\[(\d+)\]\.(left|right|days)$/.exec(path);
  if (condition) {
    const [, side, index, part] = condition;
    return { label: `${capitalized(side)} ${Number(index) + 1}: ${part === 'days' ? 'days' : `${part} operand`}` };
  }
  const last = parts[parts.length - 1];
  const parent = parts[parts.length - 2];
  const grandparent = parts[parts.length - 3];
  if ((parent === 'params' || parent === 'parameters') && !/^\d+$/.test(last)) return { label: `Parameter ${last}` };
  if (/^\d+$/.test(last) && parent !== undefined) {
    return {
      label: `${ENTRY_WORDS[parent] ?? `${(FIELD_WORDS[parent] ?? { label: humanized(parent) }).label} entry`} ${Number(last) + 1}`,
    };
  }
  const own = FIELD_WORDS[last] ?? { label: humanized(last) };
  if (parent !== undefined && /^\d+$/.test(parent) && grandparent !== undefined) {
    const entry = (ENTRY_WORDS[grandparent] ?? humanized(grandparent)).toLowerCase();
    return { ...own, label: `${own.label} of ${entry} ${Number(parent) + 1}` };
  }
  return own;
}

/** 10000 → "10,000", 0.01 → "0.01": how a person writes a limit. */
export function limitText(value: number | bigint): string {
  return typeof value === 'bigint'
    ? value.toLocaleString('en-US')
    : value.toLocaleString('en-US', { maximumFractionDigits: 20 });
}

const EXPECTED_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  date: 'a date',
};

/** A zod default message ("Too big: ...", "Invalid input: ...") is validator output; a schema's own message is not. */
const isValidatorOutput = (message: string) => /^(Too (big|small)|Invalid|Unrecognized key)/.test(message);

/** A check's own message ("not a valid date (expected YYYY-MM-DD)") joined to the field's words. */
function withOwnMessage(label: string, message: string): string {
  const text = message.trim();
  // "invalid email address" reads "Email is not a valid email address".
  const invalid = /^invalid (.+)$/i.exec(text);
  if (invalid) return `${label} is not a valid ${invalid[1]}`;
  if (/^(not|a|an|the|no|too|out)\b/.test(text)) return `${label} is ${text}`;
  if (/^(must|is|are|has|have|needs|may|cannot|can't|should)\b/.test(text)) return `${label} ${text}`;
  return `${label}: ${text}`;
}

/** The sentence for one field's problem, without a final period. */
export function fieldSentence(path: string, problem: FieldProblem): string {
  const { label, unit } = fieldWords(path);
  const inUnit = (n: number | bigint) => `${limitText(n)}${unit ? ` ${unit}` : ''}`;
  const own = problem.message && !isValidatorOutput(problem.message) ? problem.message : undefined;
  const p = problem as Record<string, unknown>;
  switch (problem.code) {
    case 'too_big': {
      if (own) return withOwnMessage(label, own);
      const max = p.maximum as number | bigint;
      const inclusive = p.inclusive !== false;
      if (p.origin === 'string') return `${label} must be at most ${limitText(max)} characters long`;
      if (p.origin === 'array' || p.origin === 'set') return `${label} may have at most ${limitText(max)} entries`;
      return inclusive ? `${label} must be at most ${inUnit(max)}` : `${label} must be below ${inUnit(max)}`;
    }
    case 'too_small': {
      if (own) return withOwnMessage(label, own);
      const min = p.minimum as number | bigint;
      const inclusive = p.inclusive !== false;
      if (p.origin === 'string')
        return Number(min) <= 1
          ? `${label} must not be empty`
          : `${label} must be at least ${limitText(min)} characters long`;
      if (p.origin === 'array' || p.origin === 'set')
        return Number(min) <= 1
          ? `${label} needs at least one entry`
          : `${label} needs at least ${limitText(min)} entries`;
      return inclusive ? `${label} must be at least ${inUnit(min)}` : `${label} must be above ${inUnit(min)}`;
    }
    case 'invalid_type': {
      if (own) return withOwnMessage(label, own);
      if (problem.message && /received undefined/.test(problem.message)) return `${label} is required`;
      const expected = typeof p.expected === 'string' ? p.expected : undefined;
      return expected && EXPECTED_WORDS[expected]
        ? `${label} must be ${EXPECTED_WORDS[expected]}`
        : `${label} has the wrong type`;
    }
    case 'invalid_format':
      if (own) return withOwnMessage(label, own);
      return p.format === 'email' ? `${label} is not a valid email address` : `${label} is not in the expected format`;
    case 'invalid_value': {
      if (own) return withOwnMessage(label, own);
      const values = Array.isArray(p.values) ? p.values.map((v) => String(v)) : [];
      return values.length ? `${label} must be one of ${values.join(', ')}` : `${label} is not an allowed value`;
    }
    case 'unrecognized_keys': {
      const keys = Array.isArray(p.keys) ? p.keys.map((k) => String(k).slice(0, 40)) : [];
      const whose = path ? label : 'The request';
      return keys.length > 1
        ? `${whose} has unknown fields: ${keys.join(', ')}`
        : `${whose} has an unknown field: ${keys[0] ?? '?'}`;
    }
    case 'invalid_union': {
      // One branch's own message says it best ("not a valid date ..." of `max` or a date).
      const branches = Array.isArray(p.errors) ? (p.errors as Array<Array<{ message?: unknown }>>) : [];
      const said = branches
        .flat()
        .map((issue) => issue?.message)
        .find((m): m is string => typeof m === 'string' && !isValidatorOutput(m));
      return said ? withOwnMessage(label, said) : `${label} is not valid`;
    }
    default:
      if (problem.message && !isValidatorOutput(problem.message)) return withOwnMessage(label, problem.message);
      return `${label} is not valid`;
  }
}

/**
 * The sentences of a list of problems, each at its field (an unknown key is
 * the field it names): what an API 400 answers under `errors`.
 */
export function fieldSentences(problems: ReadonlyArray<{ path: string; problem: FieldProblem }>): FieldSentence[] {
  return problems.map(({ path, problem }) => {
    const keys = (problem as { keys?: unknown }).keys;
    const field =
      problem.code === 'unrecognized_keys' && Array.isArray(keys) && keys.length
        ? [path, String(keys[0]).slice(0, 40)].filter(Boolean).join('.')
        : path;
    return { field, message: `${fieldSentence(path, problem)}.` };
  });
}

/**
 * The sentence of a domain check's message that names its field first
 * (`capital must be at least 0.01 (got 0)`, `from: "2015-02-30" is not a valid
 * date`, `bad parameter fast for strategy sma_cross: must be less than slow`):
 * the field's words in place of its code name.
 */
export function sentenceOfMessage(field: string, message: string): string {
  const last = field.split('.').pop() ?? field;
  // A request location before the path (`query.cursor: ...`) names no more than the field does.
  let rest = message.trim().replace(/^(body|query|params)\./, '');
  for (const name of [field, last]) {
    if (rest.startsWith(`${name}:`)) rest = rest.slice(name.length + 1).trim();
    else if (rest.startsWith(`${name} `)) rest = rest.slice(name.length + 1).trim();
    else continue;
    break;
  }
  // "bad parameter fast for strategy sma_cross: must be less than slow": the part after the colon says it.
  const said = /^[^:]*\b\w+\b[^:]*:\s*((?:must|is|are|has|needs|may)\b.*)$/.exec(rest);
  if (said && rest.includes(last)) rest = said[1];
  return `${fieldSentence(field, { code: 'custom', message: rest })}${/[.!?]$/.test(rest) ? '' : '.'}`;
}

/** Sentences joined into one message: "Slippage must be below 10,000 bps. Email is not a valid email address." */
export const joinSentences = (sentences: readonly FieldSentence[]): string => sentences.map((s) => s.message).join(' ');
