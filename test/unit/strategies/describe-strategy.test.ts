import {
  BarSeries,
  describeStrategies,
  describeStrategy,
  getStrategy,
  strategyRegistry,
} from '../../../src/domain/strategies';
import { loadSeedBars } from './seed-bars';

/** Parameters other than the defaults, valid for each strategy, to check that rules and charts follow them. */
const OTHER_PARAMS: Record<string, Record<string, number>> = {
  sma_cross: { fast: 20, slow: 50, trend: 200 },
  macd_cross: { fast: 8, slow: 17, signal: 5 },
  rsi_reversion: { period: 10, lower: 25, upper: 75 },
  bollinger_reversion: { period: 30, stdDev: 2.5 },
  donchian_breakout: { entry: 55, exit: 20 },
  buy_and_hold: {},
};

describe('strategies describe themselves', () => {
  const { bars } = loadSeedBars('AAPL_2004-01-02_2010-12-31.csv');
  const series = BarSeries.from(bars);

  it('every registered strategy is covered here', () => {
    expect(Object.keys(OTHER_PARAMS).sort()).toEqual([...strategyRegistry.keys()].sort());
  });

  it.each([...strategyRegistry.keys()])(
    '%s: its rule names its parameters, its chart keys are series of the prepared strategy',
    (name) => {
      const strategy = getStrategy(name);
      const params = strategy.parseParams(OTHER_PARAMS[name]);
      const rules = strategy.rules(params);
      expect(rules).toMatch(/BUY/);
      expect(rules).not.toEqual(strategy.description);
      for (const value of Object.values(params)) expect(rules).toContain(String(value));

      const prepared = strategy.prepare(series, params);
      const chart = strategy.chart(params);
      const keys = [...chart.overlays, ...chart.panes.flatMap((p) => p.lines)].map((l) => l.key);
      expect(new Set(keys).size).toBe(keys.length);
      for (const key of keys) {
        const line = prepared.lines?.[key];
        expect(line).toBeInstanceOf(Float64Array);
        expect(line!.length).toBe(series.length);
        expect(Array.from(line!).some((v) => Number.isFinite(v))).toBe(true);
        // A series drawn under the same name as a recorded input shows the recorded number.
        const day = series.length - 1;
        const input = prepared.inputs(day)[key];
        if (input !== undefined) expect(line![day]).toBe(input);
      }
      if (name !== 'buy_and_hold') expect(keys.length).toBeGreaterThan(0);
    },
  );

  it('describes parameters as JSON Schema with bounds, descriptions and defaults', () => {
    const sma = describeStrategy(getStrategy('sma_cross'));
    expect(sma.rules).toBe(
      'BUY when SMA(7) crosses above SMA(21) while the close is above SMA(50); SELL when SMA(7) crosses back below SMA(21) ' +
        'after a counted cross up. In between: HOLD while in the market, WAIT while out.',
    );
    expect(sma.paramsSchema).toMatchObject({
      type: 'object',
      properties: {
        fast: { type: 'integer', minimum: 1, maximum: 1000, default: 7, description: 'Days of the fast SMA' },
      },
      additionalProperties: false,
    });
    expect(sma.chart.overlays.map((o) => o.label)).toEqual(['SMA(7)', 'SMA(21)', 'SMA(50)']);
    const rsi = describeStrategy(getStrategy('rsi_reversion'), { lower: 20 });
    expect(rsi.chart.panes).toEqual([
      { id: 'rsi', label: 'RSI(14)', lines: [{ key: 'rsi', label: 'RSI(14)' }], levels: [20, 70] },
    ]);
    expect((rsi.paramsSchema.properties as Record<string, { type: string }>).lower.type).toBe('number');
    for (const d of describeStrategies()) {
      expect(Object.keys(d.paramsSchema.properties as object)).toEqual(Object.keys(d.defaults));
    }
  });
});
