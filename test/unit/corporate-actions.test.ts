import fs from 'node:fs';
import path from 'node:path';
import { parsePriceCsv } from '../../src/adapters/market-data/csv-market-data.provider';
import type { Bar } from '../../src/domain/bar';
import {
  adjustForSplits,
  normalizeSplitFactor,
  splitsOf,
  type CorporateAction,
} from '../../src/domain/corporate-actions';
import { enrichBars } from '../../src/domain/indicators';
import { validatePriceRows } from '../../src/domain/price-validation';

const RAW = path.resolve(__dirname, '../../../shared/data/raw_with_splits');

function load(ticker: string) {
  const rows = parsePriceCsv(fs.readFileSync(path.join(RAW, `${ticker}.csv`), 'utf8'), `${ticker}.csv`);
  const { bars, rejected, actions } = validatePriceRows(rows, { asOf: '2021-04-21' });
  return { rows, bars, rejected, actions, adjusted: adjustForSplits(bars, actions) };
}

const byDate = (bars: readonly Bar[], date: string) => bars.find((b) => b.date === date)!;
const logJump = (bars: readonly Bar[], date: string) => {
  const i = bars.findIndex((b) => b.date === date);
  return Math.abs(Math.log(bars[i].close / bars[i - 1].close));
};

describe('normalizeSplitFactor', () => {
  it('snaps a small whole-number ratio and flags anything else as a likely spin-off', () => {
    expect(normalizeSplitFactor(7.00000700001)).toEqual({ factor: 7, spinOff: false });
    expect(normalizeSplitFactor(2)).toEqual({ factor: 2, spinOff: false });
    expect(normalizeSplitFactor(1.5)).toEqual({ factor: 1.5, spinOff: false });
    expect(normalizeSplitFactor(0.1)).toEqual({ factor: 0.1, spinOff: false });
    expect(normalizeSplitFactor(0.05)).toEqual({ factor: 0.05, spinOff: false });
    expect(normalizeSplitFactor(1)).toEqual({ factor: 1, spinOff: false });
    expect(normalizeSplitFactor(1.589)).toEqual({ factor: 1.589, spinOff: true });
    expect(normalizeSplitFactor(1.0526)).toEqual({ factor: 1.0526, spinOff: true });
  });
});

describe('splits and dividends of the real raw files (Alpha Vantage daily adjusted)', () => {
  const files = { KO: load('KO'), NFLX: load('NFLX'), NKE: load('NKE') };

  it('finds exactly the splits the README lists, and the dividends, on valid rows only', () => {
    expect(splitsOf(files.KO.actions)).toEqual([{ date: '2012-08-13', factor: 2, spinOff: false }]);
    expect(splitsOf(files.NFLX.actions)).toEqual([
      { date: '2004-02-12', factor: 2, spinOff: false },
      { date: '2015-07-15', factor: 7, spinOff: false },
    ]);
    expect(splitsOf(files.NKE.actions)).toEqual([
      { date: '2007-04-03', factor: 2, spinOff: false },
      { date: '2012-12-26', factor: 2, spinOff: false },
      { date: '2015-12-24', factor: 2, spinOff: false },
    ]);
    for (const f of Object.values(files)) {
      expect(f.rejected).toEqual([]);
      expect(f.bars.length).toBe(f.rows.length);
    }
    expect(files.KO.actions.filter((a) => a.dividend > 0).length).toBe(86);
    expect(files.NKE.actions.filter((a) => a.dividend > 0).length).toBe(86);
    expect(files.NFLX.actions.filter((a) => a.dividend > 0)).toEqual([]);
    const koDividend = files.KO.actions.find((a) => a.date === '2020-11-30');
    expect(koDividend).toEqual({ date: '2020-11-30', splitFactor: 1, dividend: 0.41, spinOff: false });
  });

  it("adjusts NFLX to the provider's own adjusted close (NFLX pays no dividend) on every day", () => {
    const { adjusted } = files.NFLX;
    // The provider divides by 7.00000700001, we by 7: one millionth apart before 2015-07-15.
    for (const bar of adjusted) expect(Math.abs(bar.close / bar.adjClose - 1)).toBeLessThan(1.01e-6);
  });

  it('divides prices and multiplies volume by the product of later splits, keeping the raw close', () => {
    const { adjusted, bars } = files.NFLX;
    expect(byDate(adjusted, '2015-07-14')).toEqual({
      date: '2015-07-14',
      open: 708.9 / 7,
      high: 711.45 / 7,
      low: 697.57 / 7,
      close: 702.6 / 7,
      adjClose: 100.3713282,
      volume: 2819491 * 7,
      rawClose: 702.6,
      splitFactor: 7,
    });
    expect(byDate(adjusted, '2004-02-11')).toMatchObject({
      close: 71.96 / 14,
      volume: 4075800 * 14,
      rawClose: 71.96,
      splitFactor: 14,
    });
    // A split's ex-date is already post-split: only the later split applies.
    expect(byDate(adjusted, '2004-02-12')).toMatchObject({ close: 37.3 / 7, rawClose: 37.3, splitFactor: 7 });
    // After the last split nothing changes: the very same bar, no raw fields.
    expect(byDate(adjusted, '2015-07-15')).toBe(byDate(bars, '2015-07-15'));
    expect(byDate(adjusted, '2021-04-21')).not.toHaveProperty('rawClose');
  });

  it('leaves no jump on any split day, where the raw close drops by the factor', () => {
    const splitDays = {
      KO: ['2012-08-13'],
      NFLX: ['2004-02-12', '2015-07-15'],
      NKE: ['2007-04-03', '2012-12-26', '2015-12-24'],
    };
    for (const [ticker, days] of Object.entries(splitDays)) {
      const f = files[ticker as keyof typeof files];
      for (const day of days) {
        expect(logJump(f.bars, day)).toBeGreaterThan(Math.log(1.8));
        expect(logJump(f.adjusted, day)).toBeLessThan(0.06);
      }
    }
  });

  it("agrees with the provider's split-and-dividend adjusted close up to dividends (KO, NKE): the ratio moves only on ex-dividend days", () => {
    for (const f of [files.KO, files.NKE]) {
      const dividendDays = new Set(f.actions.filter((a) => a.dividend > 0).map((a) => a.date));
      for (let i = 1; i < f.adjusted.length; i++) {
        const [a, b] = [f.adjusted[i - 1], f.adjusted[i]];
        const move = Math.abs(b.adjClose / b.close / (a.adjClose / a.close) - 1);
        if (dividendDays.has(b.date)) expect(move).toBeLessThan(0.02);
        else expect(move).toBeLessThan(1e-9);
      }
    }
  });

  it('feeds the indicators a continuous series: SMA7 moves by under 5% on NFLX 2015-07-15 (raw: by a sevenfold drop)', () => {
    const raw = enrichBars(files.NFLX.bars, []);
    const adjusted = enrichBars(files.NFLX.adjusted, []);
    const i = adjusted.findIndex((b) => b.date === '2015-07-15');
    expect(Math.abs(adjusted[i].sma7! / adjusted[i - 1].sma7! - 1)).toBeLessThan(0.05);
    expect(raw[i].sma7! / raw[i - 1].sma7!).toBeLessThan(0.9);
    // The raw fields travel through enrichment.
    expect(adjusted[i - 1]).toMatchObject({ rawClose: 702.6, splitFactor: 7 });
  });
});

describe('adjustForSplits on a spin-off reported as a split, and validation of the cells', () => {
  const bar = (date: string, close: number, volume = 1000): Bar => ({
    date,
    open: close,
    high: close,
    low: close,
    close,
    adjClose: close,
    volume,
  });

  it('adjusts a 1.589 "split" like any split and keeps it flagged', () => {
    const { bars, actions } = validatePriceRows(
      [
        {
          date: '2020-01-02',
          open: '10',
          high: '10',
          low: '10',
          close: '10',
          volume: '100',
          splitCoefficient: '1.0',
          dividend: '0.0',
        },
        {
          date: '2020-01-03',
          open: '6.3',
          high: '6.3',
          low: '6.3',
          close: '6.3',
          volume: '100',
          splitCoefficient: '1.589',
          dividend: '0.0',
        },
      ],
      { asOf: '2020-12-31' },
    );
    expect(actions).toEqual([{ date: '2020-01-03', splitFactor: 1.589, dividend: 0, spinOff: true }]);
    const adjusted = adjustForSplits(bars, actions);
    expect(adjusted[0]).toEqual({ ...bar('2020-01-02', 10 / 1.589, 159), rawClose: 10, splitFactor: 1.589 });
    expect(adjusted[1]).toEqual(bar('2020-01-03', 6.3, 100));
  });

  it('multiplies factors of several later splits, also reverse ones', () => {
    const actions: CorporateAction[] = [
      { date: '2020-01-06', splitFactor: 2, dividend: 0, spinOff: false },
      { date: '2020-01-03', splitFactor: 0.1, dividend: 0.5, spinOff: false },
    ];
    const adjusted = adjustForSplits([bar('2020-01-02', 1), bar('2020-01-03', 10), bar('2020-01-06', 5)], actions);
    expect(adjusted.map((b) => [b.close, b.volume, b.splitFactor])).toEqual([
      [1 / 0.2, 200, 0.2],
      [5, 2000, 2],
      [5, 1000, undefined],
    ]);
  });

  it('rejects a row whose split coefficient or dividend is not valid; blank cells mean none', () => {
    const row = { date: '2020-01-02', open: '10', high: '10', low: '10', close: '10', volume: '100' };
    const { bars, rejected, actions } = validatePriceRows(
      [
        { ...row, splitCoefficient: '0', dividend: '0' },
        { ...row, date: '2020-01-03', splitCoefficient: 'x', dividend: '-1' },
        { ...row, date: '2020-01-06', splitCoefficient: '', dividend: 'NULL' },
        { ...row, date: '2020-01-07', splitCoefficient: '1.0', dividend: '0.25' },
      ],
      { asOf: '2020-12-31' },
    );
    expect(rejected.map((r) => [r.date, r.reason])).toEqual([
      ['2020-01-02', 'split coefficient 0 is not positive'],
      ['2020-01-03', "split coefficient 'x' is not a number; dividend -1 is negative"],
    ]);
    expect(bars.map((b) => b.date)).toEqual(['2020-01-06', '2020-01-07']);
    expect(actions).toEqual([{ date: '2020-01-07', splitFactor: 1, dividend: 0.25, spinOff: false }]);
  });
});
