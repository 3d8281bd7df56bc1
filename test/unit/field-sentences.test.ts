import { z } from 'zod';
import { subscribeBody } from '../../src/api/routes/subscriptions.schemas';
import { backtestBody } from '../../src/api/routes/backtests.schemas';
import { oldBacktestBody } from '../../src/api/routes/old-backtester.schemas';
import { checkBacktestRequestShape } from '../../src/domain/backtest/backtest-record';
import { BadInputError } from '../../src/domain/errors';
import {
  fieldSentence,
  fieldSentences,
  fieldWords,
  joinSentences,
  sentenceOfMessage,
  type FieldProblem,
} from '../../src/domain/field-sentences';

/** The problems of a real zod parse, as the API's error handler gets them (code and limits, path joined). */
function problemsOf(schema: z.ZodType, value: unknown) {
  const result = schema.safeParse(value);
  if (result.success) throw new Error('expected the value to be refused');
  return result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    problem: issue as unknown as FieldProblem,
  }));
}

/** The problem a domain check gives (its BadInputError's field and problem). */
function domainProblem(fn: () => unknown): { field?: string; problem?: FieldProblem; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof BadInputError) return { field: err.field, problem: err.problem, message: err.message };
    throw err;
  }
  throw new Error('expected a BadInputError');
}

describe('field sentences: error texts for people, built from zod issues and domain checks', () => {
  it('names a field in words with its limit and unit, from the domain backtest checks', () => {
    const slippage = domainProblem(() =>
      checkBacktestRequestShape({ ticker: 'AAPL', strategy: 'sma_cross', slippageBps: 20_000 }),
    );
    expect(slippage.field).toBe('slippageBps');
    expect(fieldSentence(slippage.field!, slippage.problem!)).toBe('Slippage must be below 10,000 bps');
    const capital = domainProblem(() =>
      checkBacktestRequestShape({ ticker: 'AAPL', strategy: 'sma_cross', capital: 0.001 }),
    );
    expect(fieldSentence(capital.field!, capital.problem!)).toBe('Capital must be at least 0.01');
    const negative = domainProblem(() =>
      checkBacktestRequestShape({ ticker: 'AAPL', strategy: 'sma_cross', capital: -5 }),
    );
    expect(fieldSentence(negative.field!, negative.problem!)).toBe('Capital must be at least 0.01');
    const fees = domainProblem(() =>
      checkBacktestRequestShape({ ticker: 'AAPL', strategy: 'sma_cross', feesBps: 10_001 }),
    );
    expect(fieldSentence(fees.field!, fees.problem!)).toBe('Fees must be at most 10,000 bps');
    const huge = domainProblem(() =>
      checkBacktestRequestShape({ ticker: 'AAPL', strategy: 'sma_cross', capital: 2e12 }),
    );
    expect(fieldSentence(huge.field!, huge.problem!)).toBe('Capital must be at most 1,000,000,000,000');
  });

  it('turns the validator output of a real zod parse into a sentence per field, keeping its path', () => {
    const sentences = fieldSentences(
      problemsOf(subscribeBody, { email: 'not an email', tickers: ['AAPL', 'not a ticker!'], extra: 1 }),
    );
    expect(sentences).toEqual(
      expect.arrayContaining([
        { field: 'email', message: 'Email is not a valid email address.' },
        { field: 'extra', message: 'The request has an unknown field: extra.' },
      ]),
    );
    const ticker = sentences.find((s) => s.field === 'tickers.1');
    expect(ticker?.message).toMatch(/^Ticker 2 is not a ticker symbol/);
    for (const s of sentences) {
      // No validator output: no "Too big:", "Invalid input:", no "body." path.
      expect(s.message).not.toMatch(/Too (big|small)|Invalid input|expected \w+ to be|^body\./);
      expect(s.message).toMatch(/^[A-Z].*\.$/);
    }

    const types = fieldSentences(
      problemsOf(backtestBody, { ticker: 'AAPL', capital: 'lots', params: { fast: 'ten' } }),
    );
    expect(types).toEqual([
      { field: 'params.fast', message: 'Parameter fast must be a number.' },
      { field: 'capital', message: 'Capital must be a number.' },
    ]);
    expect(joinSentences(types)).toBe('Parameter fast must be a number. Capital must be a number.');

    // The old backtester's clients know their fields by their own names; a union says what its branch says.
    expect(
      fieldSentences(problemsOf(oldBacktestBody, { ticker: 'AAPL', strategy: 'sma_cross', start_date: '2005-02-30' })),
    ).toEqual([{ field: 'start_date', message: 'start_date is not a valid date (expected YYYY-MM-DD).' }]);
  });

  it('writes limits of numbers, text and lists, required fields and choices as sentences', () => {
    const schema = z.strictObject({
      slippageBps: z.number().lt(10_000),
      capital: z.number().min(0.01),
      name: z.string().min(1).max(40),
      tickers: z.array(z.string()).min(1).max(3),
      execution: z.enum(['close', 'next_open']),
      email: z.string(),
    });
    const said = (value: object) =>
      Object.fromEntries(fieldSentences(problemsOf(schema, value)).map((s) => [s.field, s.message]));
    expect(said({ slippageBps: 10_000, capital: 0, name: '', tickers: [], execution: 'open', email: 'a@b.c' })).toEqual(
      {
        slippageBps: 'Slippage must be below 10,000 bps.',
        capital: 'Capital must be at least 0.01.',
        name: 'Name must not be empty.',
        tickers: 'Tickers needs at least one entry.',
        execution: 'Execution must be one of close, next_open.',
      },
    );
    expect(
      said({ slippageBps: 1, capital: 1, name: 'x'.repeat(41), tickers: ['A', 'B', 'C', 'D'], execution: 'close' }),
    ).toEqual({
      name: 'Name must be at most 40 characters long.',
      tickers: 'Tickers may have at most 3 entries.',
      email: 'Email is required.',
    });
  });

  it("names nested fields in words and keeps a schema's own message", () => {
    expect(fieldWords('params.fast').label).toBe('Parameter fast');
    expect(fieldWords('emails.1').label).toBe('Email 2');
    expect(fieldWords('subscriptions.0.ticker').label).toBe('Ticker of subscription 1');
    expect(fieldWords('commissionPerTrade').label).toBe('Commission per trade');
    expect(fieldWords('rule.entry.all[0].right').label).toBe('Entry 1: right operand');
    expect(fieldWords('rule.parameters.fast').label).toBe('Parameter fast');
    expect(fieldWords('someNewField').label).toBe('Some new field');
    expect(fieldSentence('from', { code: 'custom', message: 'not a valid date (expected YYYY-MM-DD)' })).toBe(
      'From date is not a valid date (expected YYYY-MM-DD)',
    );
  });

  it("rewrites a domain check's message that starts with its field's code name", () => {
    expect(sentenceOfMessage('capital', 'capital must be a positive number (got -5)')).toBe(
      'Capital must be a positive number (got -5).',
    );
    expect(sentenceOfMessage('params.fast', 'bad parameter fast for strategy sma_cross: must be less than slow')).toBe(
      'Parameter fast must be less than slow.',
    );
    expect(sentenceOfMessage('cursor', 'query.cursor: not a cursor of this list')).toBe(
      'Cursor is not a cursor of this list.',
    );
    expect(sentenceOfMessage('to', 'to 2019-01-02 is outside the stored data of AAPL')).toBe(
      'To date: 2019-01-02 is outside the stored data of AAPL.',
    );
  });
});
