import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, PROJECT_ROOT } from '../../../src/config/config';
import { lookAheadReferenceBars, refuseLookAhead } from '../../../src/config/look-ahead-on-load';
import { loadStrategyModules } from '../../../src/config/strategy-modules';
import { runBacktest } from '../../../src/domain/backtest/engine';
import { getStrategy, strategyRegistry } from '../../../src/domain/strategies/registry';
import { ruleStrategy } from '../../../src/domain/strategies/rules/rule-strategy';
import { loadSp500 } from '../sp500-bars';

const EXAMPLES = path.join(PROJECT_ROOT, 'examples', 'strategies');
const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures', 'strategy-plugins');
const fixture = (name: string) => path.join(FIXTURES, name);

/** A folder of its own holding `files` (name -> source), for modules that cannot live in the type-checked tree. */
function folderWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'algo-plugins-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('strategy plugins (strategies.modules)', () => {
  it('is read from the config and ALGO_STRATEGY_MODULES, resolved against the project root', () => {
    const config = loadConfig({ ...process.env, ALGO_STRATEGY_MODULES: 'examples/strategies,/opt/more' });
    expect(config.strategies.modules).toEqual([EXAMPLES, '/opt/more']);
    expect(loadConfig({ ...process.env, ALGO_STRATEGY_MODULES: '' }).strategies.modules).toEqual([]);
  });

  it('refuses a missing file, a module that throws, one without strategies: path and error, nothing registered', async () => {
    await expect(loadStrategyModules(['/nope/plugin.ts'])).rejects.toThrow(
      'invalid configuration: strategies.modules: /nope/plugin.ts: no such file or folder',
    );
    await expect(loadStrategyModules([EXAMPLES, fixture('throws-on-import.strategy.ts')])).rejects.toThrow(
      `invalid configuration: strategies.modules: ${fixture('throws-on-import.strategy.ts')}: cannot open the plugin feed`,
    );
    // All or nothing: the good module before the broken one is not registered either.
    expect(strategyRegistry.has('near_52_week_high')).toBe(false);

    const syntax = folderWith({ 'broken.js': 'module.exports = {;\n' });
    await expect(loadStrategyModules([syntax])).rejects.toThrow(
      new RegExp(`strategies\\.modules: ${path.join(syntax, 'broken.js')}: .*Unexpected token`),
    );
    const empty = folderWith({ 'nothing.js': 'module.exports = { answer: 42, list: [1, 2] };\n' });
    await expect(loadStrategyModules([empty])).rejects.toThrow(
      `${path.join(empty, 'nothing.js')}: exports no strategy (export the results of defineStrategy)`,
    );
    await expect(loadStrategyModules([folderWith({ 'README.md': '' })])).rejects.toThrow(
      'the folder holds no .ts or .js module',
    );
  });

  it('refuses a plugin that reads tomorrow with its first offending day, and one declaring too short a lookback', async () => {
    const bars = lookAheadReferenceBars();
    const first = bars.findIndex((b, i) => i >= 1 && i + 1 < bars.length && bars[i + 1].close !== b.close);
    await expect(loadStrategyModules([fixture('peeking.strategy.ts')])).rejects.toThrow(
      `${fixture('peeking.strategy.ts')}: strategy tomorrows_close looks ahead: first on ${bars[first].date} (`,
    );
    await expect(loadStrategyModules([fixture('short-lookback.strategy.ts')])).rejects.toThrow(
      `${fixture('short-lookback.strategy.ts')}: strategy short_lookback declares a lookback of 5 bars but needs 29 bars of warm-up`,
    );
    expect(strategyRegistry.has('tomorrows_close')).toBe(false);
    expect(strategyRegistry.has('short_lookback')).toBe(false);
  });

  it('checks configured rules the same way; a warm-up longer than the reference series can measure is not refused', () => {
    const rule = (entry: string) =>
      ruleStrategy({ name: 'long_average', description: 'close above a long average', entry, exit: 'close < sma(5)' });
    expect(() => refuseLookAhead(rule('close > sma(600)'))).not.toThrow();
    expect(() => refuseLookAhead(rule('close > sma(200) for 3 days'))).not.toThrow();
    expect(() =>
      loadConfig({
        ...process.env,
        ALGO_CONFIG: path.join(
          folderWith({
            'c.yaml':
              'strategies:\n  rules:\n    - { name: r1, description: d, entry: close > sma(20), exit: close < sma(10) }\n',
          }),
          'c.yaml',
        ),
      }),
    ).not.toThrow();
    expect(getStrategy('r1').lookback({})).toBe(19);
  });

  it('refuses a name taken by a built-in or by another module, naming the module', async () => {
    const source = fs.readFileSync(path.join(EXAMPLES, 'near-52-week-high.strategy.ts'), 'utf8');
    const api = path.join(PROJECT_ROOT, 'src', 'domain', 'strategies', 'plugin-api');
    const renamed = (name: string) =>
      source
        .replace("'near_52_week_high'", JSON.stringify(name))
        .replace('../../src/domain/strategies/plugin-api', api);
    const builtIn = folderWith({ 'sma.strategy.ts': renamed('sma_cross') });
    await expect(loadStrategyModules([builtIn])).rejects.toThrow(
      `${path.join(builtIn, 'sma.strategy.ts')}: strategy name "sma_cross" is already taken`,
    );
    const twice = folderWith({ 'a.strategy.ts': renamed('twice'), 'b.strategy.ts': renamed('twice') });
    await expect(loadStrategyModules([twice])).rejects.toThrow('strategy name "twice" is already taken');
    expect(strategyRegistry.has('twice')).toBe(false);
  });

  it('registers the example plugin (a folder), which then backtests like a built-in; loading it again is harmless', async () => {
    const loaded = await loadStrategyModules([EXAMPLES]);
    expect(loaded.map((s) => s.name)).toEqual(['near_52_week_high']);
    await expect(loadStrategyModules([path.join(EXAMPLES, 'near-52-week-high.strategy.ts')])).resolves.toHaveLength(1);
    const strategy = getStrategy('near_52_week_high');
    expect(strategy.parseParams({ window: '126' })).toEqual({ window: 126, near: 5, exit: 15 });
    expect(() => strategy.parseParams({ near: 20, exit: 10 })).toThrow('bad parameter near');

    const result = runBacktest({ strategy: 'near_52_week_high', bars: loadSp500('NVDA'), initialCapital: 10_000 });
    expect(result.trades.length).toBeGreaterThan(0);
    expect(result.trades[0]).toMatchObject({ side: 'BUY' });
  });
});
