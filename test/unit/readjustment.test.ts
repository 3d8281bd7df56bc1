import type { Bar } from '../../src/domain/bar';
import { adjustForSplits } from '../../src/domain/corporate-actions';
import { enrichBars } from '../../src/domain/indicators';
import {
  applySplitToStored,
  implausibleRebackfill,
  implausibleSplit,
  implausibleSplits,
  overlapMismatch,
} from '../../src/domain/readjustment';

const bar = (date: string, close: number, extra: Partial<Bar> = {}): Bar => ({
  date,
  open: close + 1,
  high: close + 2,
  low: close - 1,
  close,
  adjClose: close,
  volume: 1000,
  ...extra,
});

describe('overlapMismatch', () => {
  const stored = [bar('2015-07-13', 707.61), bar('2015-07-14', 702.6, { adjClose: 100.3713282 })];

  it('finds nothing when the provider serves the stored days again, or days the other side lacks', () => {
    expect(overlapMismatch(stored, stored)).toBeNull();
    expect(overlapMismatch([bar('2015-07-10', 1), ...stored], stored)).toBeNull();
    // Within the tolerance (1e-5 relative): float noise of a provider is no rewrite.
    expect(overlapMismatch([bar('2015-07-13', 707.61 * (1 + 5e-6))], stored)).toBeNull();
  });

  it('names the first stored day whose close or adjusted close the provider changed, and by how much', () => {
    expect(overlapMismatch([bar('2015-07-13', 707.61 / 7), bar('2015-07-14', 702.6 / 7)], stored)).toEqual({
      date: '2015-07-13',
      detail: `close 2015-07-13: stored 707.61, provider ${707.61 / 7} (stored/provider 7)`,
      compared: 2,
      differing: 2,
    });
    // A dividend rewrites the adjusted close alone.
    expect(
      overlapMismatch([bar('2015-07-13', 707.61), bar('2015-07-14', 702.6, { adjClose: 100 })], stored)?.date,
    ).toBe('2015-07-14');
  });
});

describe('applySplitToStored', () => {
  const raw = [bar('2015-07-13', 707.61), bar('2015-07-14', 702.6), bar('2015-07-15', 98.13)];

  it('equals adjusting the raw series for the split up front (bars stored through the day before; later ones untouched)', () => {
    const stored = enrichBars(raw.slice(0, 2), []);
    const afterwards = applySplitToStored([...stored, ...enrichBars(raw.slice(2), stored)], 7, '2015-07-14');
    const upFront = adjustForSplits(raw, [{ date: '2015-07-15', splitFactor: 7, dividend: 0, spinOff: false }]);
    expect(enrichBars(afterwards, [])).toEqual(enrichBars(upFront, []));
    expect(afterwards[0]).toMatchObject({
      close: 707.61 / 7,
      adjClose: 707.61 / 7,
      volume: 7000,
      rawClose: 707.61,
      splitFactor: 7,
    });
    expect(afterwards[2]).toMatchObject({ close: 98.13 });
    expect(afterwards[2].splitFactor).toBeUndefined();
  });

  it('compounds with an earlier split, from the raw close, and keeps a provider adjusted close that is not the close', () => {
    const once = adjustForSplits(
      [bar('2000-01-03', 100, { adjClose: 3 })],
      [{ date: '2000-02-01', splitFactor: 2, dividend: 0, spinOff: false }],
    );
    const [twice] = applySplitToStored(enrichBars(once, []), 7, '2015-07-14');
    expect(twice).toMatchObject({ close: 100 / 14, adjClose: 3, rawClose: 100, splitFactor: 14, volume: 14000 });
  });
});

describe('implausibleSplit (issue 18 point 7)', () => {
  it('takes the real splits of our raw files (NFLX 7-for-1, KO and NKE 2-for-1)', () => {
    expect(implausibleSplit({ date: '2015-07-15', factor: 7, closeBefore: 702.6, closeOn: 98.13 })).toBeNull();
    expect(implausibleSplit({ date: '2004-02-12', factor: 2, closeBefore: 71.96, closeOn: 37.3 })).toBeNull();
  });

  it('refuses a factor outside its bounds and one the closes do not follow', () => {
    expect(implausibleSplit({ date: '2020-01-02', factor: 1e6, closeBefore: 1e6, closeOn: 1 })).toBe(
      'split factor 1000000 on 2020-01-02 is outside [0.001, 100]',
    );
    expect(implausibleSplit({ date: '2020-01-02', factor: 2, closeBefore: 100, closeOn: 99 })).toBe(
      'split factor 2 on 2020-01-02 does not match the prices: the close went from 100 to 99 (1.0101x, expected 2x within 1.5x)',
    );
  });
});

describe('implausibleSplits (issue 18 point 7)', () => {
  const real = { date: '2015-07-15', factor: 7, closeBefore: 702.6, closeOn: 98.13 };
  const bogus = { date: '2015-07-13', factor: 1 / 7, closeBefore: 680.6, closeOn: 707.61 };

  it('judges each split on its own closes, never their product (here 1, which the first day would pass)', () => {
    expect(implausibleSplits([real])).toBeNull();
    expect(implausibleSplits([bogus, real])).toBe(
      `${implausibleSplit(bogus)}; the plausible split x7 on 2015-07-15 waits with it`,
    );
  });

  it('names every implausible one', () => {
    const outside = { date: '2015-07-16', factor: 1e6, closeBefore: 98.13, closeOn: 115.81 };
    expect(implausibleSplits([bogus, outside])).toBe(`${implausibleSplit(bogus)}; ${implausibleSplit(outside)}`);
  });
});

describe('implausibleRebackfill (issue 18 point 7)', () => {
  const stored = ['2020-01-02', '2020-01-03', '2020-01-06'];

  it('takes a provider history that covers every stored day and moved them together', () => {
    expect(
      implausibleRebackfill(stored, new Set(stored), { date: '2020-01-02', compared: 3, differing: 3 }),
    ).toBeNull();
  });

  it('refuses one with fewer days than stored, and one whose overlap differs on a single day', () => {
    expect(implausibleRebackfill(stored, new Set(stored.slice(1)), undefined)).toBe(
      'the provider served 2 of the 3 stored days (first missing 2020-01-02): the rest would be left on the old adjustment basis',
    );
    expect(implausibleRebackfill(stored, new Set(stored), { date: '2020-01-03', compared: 3, differing: 1 })).toBe(
      'only 2020-01-03 differs among the 3 stored days fetched again: one bad answer, not a rewritten history',
    );
  });
});
