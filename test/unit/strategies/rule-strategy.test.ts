import { BadInputError } from '../../../src/domain/errors';
import { runStrategy } from '../../../src/domain/strategies/state-machine';
import { parseRuleStrategy } from '../../../src/domain/strategies/rules/rule-schema';
import { ruleStrategy } from '../../../src/domain/strategies/rules/rule-strategy';
import { closesToBars } from './hand-made';

const GOLDEN = {
  name: 'golden_cross',
  description: 'SMA(fast) crossing SMA(slow)',
  parameters: { fast: { default: 2, min: 1, max: 50 }, slow: { default: 3, min: 2, max: 200 } },
  constraints: ['fast < slow'],
  entry: 'sma(fast) crosses_above sma(slow)',
  exit: { any: ['sma(fast) crosses_below sma(slow)', 'close < 5 for 2 days'] },
};

/** The message of the error `fn` throws. */
function refusal(raw: unknown): string {
  try {
    parseRuleStrategy(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(BadInputError);
    return (err as Error).message;
  }
  throw new Error('not refused');
}

describe('rule strategies: refused with the path and a sentence', () => {
  it.each([
    [
      { entry: { all: ['close > sma(20)', 'smaa(fast) > close'] } },
      'entry.all[1].left: unknown indicator "smaa" (did you mean sma?) (known: sma, ema, rsi, atr, roc, macd, bollinger, donchian, highest, lowest)',
    ],
    [
      { exit: 'close > sma(fats)' },
      'exit.right: unknown parameter "fats" (did you mean fast?) (declare it under parameters)',
    ],
    [{ exit: 'close >> sma(fast)' }, 'exit.right: expected an operand, got ">"'],
    [
      { exit: 'close crosses sma(fast)' },
      'exit.op: expected >, >=, <, <=, crosses_above or crosses_below, got "crosses"',
    ],
    [{ exit: 'macd(12, 26, 9) > 0' }, 'exit.left: macd(...) needs one of .line, .signal, .histogram'],
    [
      { exit: 'bollinger(20, 2).uper > close' },
      'exit.left: bollinger has no output "uper" (did you mean upper?) (outputs: upper, middle, lower)',
    ],
    [{ exit: 'sma(2.5) > close' }, 'exit: a period must be a whole number >= 1 (got 2.5)'],
    [
      { exit: { either: ['close > 1'] } },
      'exit: a condition is a string like "close > sma(20)" or one of { all: [...] }, { any: [...] }, { not: ... } (got {"either":["close > 1"]})',
    ],
    [
      { constraints: ['fast < slw'] },
      'constraints[0]: unknown parameter "slw" (did you mean slow?) (declare it under parameters)',
    ],
    [
      { parameters: { fast: { default: 2.5, min: 1, max: 50 }, slow: GOLDEN.parameters.slow } },
      'parameters.fast: is a whole number: default, min and max must be too',
    ],
    [{ name: 'Golden' }, 'name: must be lower case letters, digits and _, starting with a letter'],
    [{ entry: undefined }, 'entry: a rule strategy needs an entry condition'],
  ])('%j', (change, message) => {
    expect(refusal({ ...GOLDEN, ...change })).toBe(message);
  });
});

describe('a rule strategy compiled', () => {
  const strategy = ruleStrategy(GOLDEN);

  it('is a regular strategy: parameters validated with their bounds and constraints', () => {
    expect(strategy.parseParams({ fast: '3', slow: 10 })).toEqual({ fast: 3, slow: 10 });
    expect(() => strategy.parseParams({ fast: 0 })).toThrow('bad parameter fast for strategy golden_cross');
    expect(() => strategy.parseParams({ fast: 4, slow: 3 })).toThrow('must be < slow');
    expect(() => strategy.parseParams({ fast: 2.5 })).toThrow('bad parameter fast');
    expect(strategy.lookback(strategy.defaults)).toBe(3);
  });

  it('says its rule in words, from the rule itself', () => {
    expect(strategy.rules(strategy.parseParams({ fast: 5, slow: 20 }))).toBe(
      'BUY when SMA(5) crosses above SMA(20); SELL when either SMA(5) crosses below SMA(20) or ' +
        'the close is below 5 for 2 days in a row. In between: HOLD while in, WAIT while out.',
    );
  });

  it('changes version with its definition, not with spacing or its description', () => {
    const same = ruleStrategy({ ...GOLDEN, description: 'other words', entry: 'sma( fast )  crosses_above sma(slow)' });
    const other = ruleStrategy({ ...GOLDEN, entry: 'sma(fast) crosses_above sma(slow) for 2 days' });
    expect(same.version).toBe(strategy.version);
    expect(other.version).not.toBe(strategy.version);
    expect(Number.isInteger(strategy.version) && strategy.version > 0 && strategy.version < 2 ** 31).toBe(true);
  });

  it('runs through the shared state machine', () => {
    //             0  1  2  3  4  5  6  7  8
    const closes = [10, 9, 8, 9, 11, 12, 8, 4, 4, 4];
    const run = runStrategy(strategy, undefined, closesToBars('2024-01-01', closes));
    // Day 4 (close 11): SMA(2) = 10 crosses above SMA(3) = 9.33; day 6: SMA(2) = 10 crosses below SMA(3) = 10.33.
    expect(run.records.map((r) => r.signal)).toEqual([
      'WAIT',
      'WAIT',
      'WAIT',
      'BUY',
      'HOLD',
      'SELL',
      'WAIT',
      'WAIT',
      'WAIT',
    ]);
    expect(run.records[3].inputs).toEqual({ close: 11, 'sma(2)': 10, 'sma(3)': 28 / 3 });
  });
});

describe('rule operands', () => {
  it('compute volume, ROC, Wilder ATR, highest/lowest (today included) and the prior Donchian channel', () => {
    const strategy = ruleStrategy({
      name: 'operands',
      description: 'every operand kind',
      entry: {
        all: [
          'volume > 0',
          'roc(1) > 0',
          'atr(2) > 0',
          'highest(close, 2) > lowest(low, 2)',
          'close > donchian(2).upper',
        ],
      },
      exit: 'close < 0',
    });
    const run = runStrategy(strategy, undefined, closesToBars('2024-01-01', [10, 12, 11, 13]));
    expect(run.records[2].inputs).toEqual({
      close: 13,
      volume: 1000,
      'roc(1)': ((13 - 11) / 11) * 100,
      // True ranges 2, 1, 2: the first ATR(2) is (2 + 1) / 2, then (1.5 + 2) / 2.
      'atr(2)': 1.75,
      'highest(close, 2)': 13,
      'lowest(low, 2)': 11,
      'donchian(2).upper': 12,
    });
    expect(run.records.map((r) => r.signal)).toEqual(['WAIT', 'WAIT', 'BUY']);
    expect(strategy.lookback(strategy.defaults)).toBe(Infinity);
  });
});
