import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/config';
import { runBacktest } from '../../../src/domain/backtest/engine';
import { getStrategy } from '../../../src/domain/strategies/registry';
import { loadSp500 } from '../sp500-bars';

/** Writes an ALGO_CONFIG file and loads the configuration with it. */
function loadWith(yaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rules-config-'));
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, yaml);
  try {
    return loadConfig({ ALGO_CONFIG: file });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('rule strategies from the config', () => {
  it('registers them at start: they run like a built-in (a backtest by name)', () => {
    const config = loadWith(`
strategies:
  default:
    - { name: sma_cross }
    - { name: golden_cross_cfg, params: { fast: 20 } }
  rules:
    - name: golden_cross_cfg
      description: SMA(fast) crossing SMA(slow), out after three closes under the slow SMA
      parameters:
        fast: { default: 50, min: 2, max: 400 }
        slow: { default: 200, min: 3, max: 400 }
      constraints: [fast < slow]
      entry: sma(fast) crosses_above sma(slow)
      exit:
        any:
          - sma(fast) crosses_below sma(slow)
          - close < sma(slow) for 3 days
      start_open: sma(fast) > sma(slow)
`);
    expect(config.strategies.default.map((p) => p.name)).toEqual(['sma_cross', 'golden_cross_cfg']);
    const strategy = getStrategy('golden_cross_cfg');
    expect(strategy.rules(strategy.defaults)).toContain('BUY when SMA(50) crosses above SMA(200)');
    const result = runBacktest({ bars: loadSp500('AAPL'), strategy: 'golden_cross_cfg', params: { fast: 20 } });
    expect(result.strategyVersion).toBe(strategy.version);
    expect(result.orders).toBeGreaterThan(0);
  });

  it('stops the start on a broken rule, with the rule, the path and the error', () => {
    expect(() =>
      loadWith(`
strategies:
  rules:
    - name: broken
      description: a typo
      parameters: { fast: { default: 5, min: 1, max: 50 } }
      entry: { all: [close > 1, smaa(fast) > close] }
      exit: close < 1
`),
    ).toThrow(
      new ConfigError(
        'invalid configuration: strategies.rules[0] (broken): entry.all[1].left: unknown indicator "smaa" ' +
          '(did you mean sma?) (known: sma, ema, rsi, atr, roc, macd, bollinger, donchian, highest, lowest)',
      ),
    );
  });

  it('refuses a rule named like a built-in', () => {
    expect(() =>
      loadWith(`
strategies:
  rules:
    - { name: sma_cross, description: taken, entry: close > 1, exit: close < 1 }
`),
    ).toThrow('invalid configuration: strategies.rules: strategy name "sma_cross" is already taken');
  });
});
