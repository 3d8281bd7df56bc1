import { BadInputError } from '../../../src/domain/errors';
import {
  BarSeries,
  emaOf,
  epochDay,
  isoOfEpochDay,
  priorHighest,
  priorLowest,
  simpleMovingAverage,
} from '../../../src/domain/strategies';
import { closesToBars } from './hand-made';

describe('BarSeries and its indicator kernels', () => {
  it('epochDay agrees with Date.parse on every day from 1900 to 2100, and isoOfEpochDay inverts it', () => {
    let mismatches = 0;
    for (let t = Date.UTC(1900, 0, 1); t <= Date.UTC(2100, 11, 31); t += 86_400_000) {
      const iso = new Date(t).toISOString().slice(0, 10);
      if (epochDay(iso) !== t / 86_400_000 || isoOfEpochDay(epochDay(iso)) !== iso) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(epochDay('1970-01-01')).toBe(0);
    expect(epochDay('2000-03-01') - epochDay('2000-02-28')).toBe(2);
  });

  it('simple moving average: undefined until the window is full, restarted after an undefined value', () => {
    const sma = Array.from(simpleMovingAverage(Float64Array.from([1, 2, 3, 4, NaN, 5, 6, 7]), 3));
    expect(sma.map((v) => (Number.isNaN(v) ? null : v))).toEqual([null, null, 2, 3, null, null, null, 6]);
  });

  it('EMA: seeded with the mean of the first N values after any leading undefined ones', () => {
    const ema = Array.from(emaOf(Float64Array.from([NaN, 2, 4, 6, 8]), 2));
    // k = 2/3: seed (2+4)/2 = 3 at the 2nd value; then (6-3)*2/3+3 = 5; (8-5)*2/3+5 = 7.
    expect(ema.map((v) => (Number.isNaN(v) ? null : v))).toEqual([null, null, 3, 5, 7]);
  });

  it('prior highest and lowest exclude the day itself', () => {
    const values = Float64Array.from([3, 1, 4, 1, 5]);
    expect(Array.from(priorHighest(values, 2)).slice(2)).toEqual([3, 4, 4]);
    expect(Array.from(priorLowest(values, 2)).slice(2)).toEqual([1, 1, 1]);
  });

  it('finds window edges by date and rejects bars out of order', () => {
    const series = BarSeries.from(closesToBars('2024-01-01', [1, 2, 3]));
    expect([
      series.indexOnOrAfter('2023-12-31'),
      series.indexOnOrAfter('2024-01-02'),
      series.indexOnOrAfter('2024-02-01'),
    ]).toEqual([0, 1, 3]);
    expect([
      series.indexOnOrBefore('2023-12-31'),
      series.indexOnOrBefore('2024-01-02'),
      series.indexOnOrBefore('2024-02-01'),
    ]).toEqual([-1, 1, 2]);
    const bars = closesToBars('2024-01-01', [1, 2]);
    expect(() => BarSeries.from([bars[1], bars[0]])).toThrow(BadInputError);
    expect(() => BarSeries.from([bars[0], bars[0]])).toThrow(/ascending by date without duplicates/);
  });

  it('falls back to computing an average when the bars carry no stored column', () => {
    const series = BarSeries.from(closesToBars('2024-01-01', [1, 2, 3, 4, 5, 6, 7, 8]));
    expect(series.sma(7)[7]).toBe(5);
  });
});
