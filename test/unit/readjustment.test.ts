import type { Bar } from '../../src/domain/bar';
import { adjustForSplits } from '../../src/domain/corporate-actions';
import { enrichBars } from '../../src/domain/indicators';
import { applySplitToStored, overlapMismatch } from '../../src/domain/readjustment';

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
