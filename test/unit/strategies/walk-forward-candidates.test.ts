import { near52WeekHigh } from '../../../examples/strategies/near-52-week-high.strategy';
import { defaultRecommendStrategies, resolveCandidates } from '../../../src/domain/backtest/candidates';
import { DEFAULT_RECOMMEND_GRIDS } from '../../../src/domain/backtest/walk-forward';
import { BadInputError } from '../../../src/domain/errors';
import { registerStrategies, strategyRegistry } from '../../../src/domain/strategies/registry';
import { BUILT_IN_RULES } from '../../../src/domain/strategies/rules/built-in-rules';
import { ruleStrategy } from '../../../src/domain/strategies/rules/rule-strategy';
import type { AnyStrategy } from '../../../src/domain/strategies/strategy';
import { RecommendationsService } from '../../../src/services/recommendations.service';

const BUILT_INS = ['sma_cross', 'macd_cross', 'rsi_reversion', 'bollinger_reversion', 'donchian_breakout'];

describe('walk-forward candidates: the built-ins with a grid, never configured rules or plugins', () => {
  beforeAll(() => {
    registerStrategies([ruleStrategy(BUILT_IN_RULES[0]), near52WeekHigh as unknown as AnyStrategy]);
    expect(strategyRegistry.has('sma_cross_rule') && strategyRegistry.has('near_52_week_high')).toBe(true);
  });

  it('leaves a configured rule and a plugin out of the default candidates', () => {
    expect(defaultRecommendStrategies()).toEqual(BUILT_INS);
    expect(resolveCandidates()).toEqual(
      BUILT_INS.map((strategy) => ({ strategy, grid: DEFAULT_RECOMMEND_GRIDS[strategy] })),
    );
  });

  it('refuses one named as a candidate, saying what to do instead, at the door the CLI and the API use', () => {
    expect(() => resolveCandidates(['sma_cross', 'sma_cross_rule'])).toThrow(
      'sma_cross_rule is not a walk-forward candidate: only the built-ins with a recommendation grid are ' +
        '(sma_cross, macd_cross, rsi_reversion, bollinger_reversion, donchian_breakout); ' +
        'backtest or sweep a configured rule or plugin instead',
    );
    const service = new RecommendationsService({});
    let error: unknown;
    try {
      service.input({ strategies: ['near_52_week_high'] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BadInputError);
    expect(error).toMatchObject({ field: 'strategies', message: expect.stringContaining('near_52_week_high is not') });
    expect(service.input({ strategies: ['macd_cross'] })).toEqual({ strategies: ['macd_cross'] });
  });
});
