import fs from 'node:fs';
import path from 'node:path';
import {
  closureReason,
  closures,
  isTradingDay,
  nextTradingDay,
  previousTradingDay,
  tradingDays,
  UNSCHEDULED_CLOSURES,
} from '../../src/domain/calendar';
import { addDays, dayOfWeek, type IsoDate } from '../../src/domain/dates';
import { BadInputError } from '../../src/domain/errors';

const DATA = path.resolve(__dirname, '../../../shared/data');

/** The dates of a price file (first column), whatever its quoting and line ends. */
function datesInFile(file: string): Set<IsoDate> {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).slice(1);
  return new Set(lines.map((l) => l.split(',')[0].replace(/"/g, '')).filter((d) => d !== ''));
}

/** Weekdays in [from, to] where "has a price row" and "the calendar says open" disagree. */
function disagreements(traded: Set<IsoDate>, from: IsoDate, to: IsoDate): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    const weekday = dayOfWeek(d);
    if (weekday === 0 || weekday === 6) {
      if (traded.has(d)) out.push(`${d}: price row on a weekend`);
      continue;
    }
    if (traded.has(d) !== isTradingDay(d))
      out.push(`${d}: row=${traded.has(d)} calendar=${closureReason(d) ?? 'open'}`);
  }
  return out;
}

describe('NYSE calendar against the price history', () => {
  it('matches every weekday of the S&P 500 five-year AAPL file (2013-02-08..2018-02-07)', () => {
    const traded = datesInFile(path.join(DATA, 'sp500_5yr/AAPL_data.csv'));
    expect(traded.size).toBe(1259);
    expect(disagreements(traded, '2013-02-08', '2018-02-07')).toEqual([]);
  });

  it('matches every weekday of the seed AAPL file from 1990 (and from its start in 1980)', () => {
    const traded = datesInFile(path.join(DATA, 'seed/AAPL_1980-12-12_2021-11-17_with_seed_sma.csv'));
    expect(traded.size).toBe(10_322);
    expect(disagreements(traded, '1990-01-01', '2021-11-17')).toEqual([]);
    expect(disagreements(traded, '1980-12-12', '1989-12-31')).toEqual([]);
    expect(tradingDays('1980-12-12', '2021-11-17')).toHaveLength(10_322);
  });
});

describe('NYSE calendar on published schedules', () => {
  // NYSE's published holiday calendars (full-day closures on weekdays).
  const published: Record<string, IsoDate[]> = {
    '2022': [
      '2022-01-17',
      '2022-02-21',
      '2022-04-15',
      '2022-05-30',
      '2022-06-20',
      '2022-07-04',
      '2022-09-05',
      '2022-11-24',
      '2022-12-26',
    ],
    '2023': [
      '2023-01-02',
      '2023-01-16',
      '2023-02-20',
      '2023-04-07',
      '2023-05-29',
      '2023-06-19',
      '2023-07-04',
      '2023-09-04',
      '2023-11-23',
      '2023-12-25',
    ],
    '2024': [
      '2024-01-01',
      '2024-01-15',
      '2024-02-19',
      '2024-03-29',
      '2024-05-27',
      '2024-06-19',
      '2024-07-04',
      '2024-09-02',
      '2024-11-28',
      '2024-12-25',
    ],
    '2025': [
      '2025-01-01',
      '2025-01-09',
      '2025-01-20',
      '2025-02-17',
      '2025-04-18',
      '2025-05-26',
      '2025-06-19',
      '2025-07-04',
      '2025-09-01',
      '2025-11-27',
      '2025-12-25',
    ],
    '2026': [
      '2026-01-01',
      '2026-01-19',
      '2026-02-16',
      '2026-04-03',
      '2026-05-25',
      '2026-06-19',
      '2026-07-03',
      '2026-09-07',
      '2026-11-26',
      '2026-12-25',
    ],
  };

  it.each(Object.entries(published))('knows every closure of %s', (year, dates) => {
    expect(closures(`${year}-01-01`, `${year}-12-31`).map((c) => c.date)).toEqual(dates);
  });

  it('knows the closures after the seed file ends (2021-11-18..2021-12-31)', () => {
    expect(closures('2021-11-18', '2021-12-31')).toEqual([
      { date: '2021-11-25', reason: 'Thanksgiving Day' },
      { date: '2021-12-24', reason: 'Christmas Day' },
    ]);
  });

  it('names the 2025 closures', () => {
    expect(closures('2025-01-01', '2025-12-31').map((c) => c.reason)).toEqual([
      "New Year's Day",
      'National Day of Mourning for President Carter',
      'Martin Luther King Jr. Day',
      "Washington's Birthday",
      'Good Friday',
      'Memorial Day',
      'Juneteenth',
      'Independence Day',
      'Labor Day',
      'Thanksgiving Day',
      'Christmas Day',
    ]);
  });
});

describe('NYSE calendar rules', () => {
  it('closes on every unscheduled closure in the table, with its reason', () => {
    const expected: IsoDate[] = [
      '1985-09-27',
      '1994-04-27',
      '2001-09-11',
      '2001-09-12',
      '2001-09-13',
      '2001-09-14',
      '2004-06-11',
      '2007-01-02',
      '2012-10-29',
      '2012-10-30',
      '2018-12-05',
      '2025-01-09',
    ];
    expect(UNSCHEDULED_CLOSURES.map((c) => c.date)).toEqual(expected);
    for (const date of expected) expect(isTradingDay(date)).toBe(false);
    expect(closureReason('2012-10-29')).toBe('Hurricane Sandy');
    expect(closureReason('2001-09-11')).toBe('September 11 attacks');
    expect(isTradingDay('2001-09-17')).toBe(true);
    expect(isTradingDay('2012-10-31')).toBe(true);
  });

  it('does not observe a Saturday New Year on the Friday before (it is in another year)', () => {
    for (const friday of ['1993-12-31', '1999-12-31', '2004-12-31', '2010-12-31', '2021-12-31']) {
      expect(isTradingDay(friday)).toBe(true);
    }
    expect(closureReason('2022-01-01')).toBe('Weekend');
  });

  it('observes a Sunday holiday on Monday and a Saturday one on Friday', () => {
    expect(closureReason('2017-01-02')).toBe("New Year's Day");
    expect(closureReason('2022-06-20')).toBe('Juneteenth');
    expect(closureReason('2021-12-24')).toBe('Christmas Day');
    expect(closureReason('2020-07-03')).toBe('Independence Day');
    expect(closureReason('2011-12-26')).toBe('Christmas Day');
  });

  it('starts Martin Luther King Jr. Day in 1998 and Juneteenth in 2022', () => {
    expect(isTradingDay('1997-01-20')).toBe(true);
    expect(closureReason('1998-01-19')).toBe('Martin Luther King Jr. Day');
    expect(isTradingDay('2021-06-18')).toBe(true);
    expect(closureReason('2023-06-19')).toBe('Juneteenth');
  });

  it('closes on Good Friday (Easter computus), Thanksgiving and the fixed holidays', () => {
    expect(closureReason('2000-04-21')).toBe('Good Friday');
    expect(closureReason('2019-04-19')).toBe('Good Friday');
    expect(closureReason('2008-03-21')).toBe('Good Friday');
    expect(closureReason('1990-11-22')).toBe('Thanksgiving Day');
    expect(closureReason('2010-05-31')).toBe('Memorial Day');
    expect(closureReason('2015-09-07')).toBe('Labor Day');
    expect(closureReason('2016-02-15')).toBe("Washington's Birthday");
  });

  it('counts early closes (half days) as trading days', () => {
    for (const halfDay of ['2019-07-03', '2019-11-29', '2019-12-24', '2024-07-03', '2025-11-28', '2025-12-24']) {
      expect(isTradingDay(halfDay)).toBe(true);
    }
  });

  it('lists trading days in a range, ascending, both ends included', () => {
    expect(tradingDays('2012-10-26', '2012-11-02')).toEqual(['2012-10-26', '2012-10-31', '2012-11-01', '2012-11-02']);
    expect(tradingDays('2024-12-23', '2025-01-03')).toEqual([
      '2024-12-23',
      '2024-12-24',
      '2024-12-26',
      '2024-12-27',
      '2024-12-30',
      '2024-12-31',
      '2025-01-02',
      '2025-01-03',
    ]);
    expect(tradingDays('2024-01-06', '2024-01-07')).toEqual([]);
    expect(tradingDays('2024-01-10', '2024-01-09')).toEqual([]);
  });

  it('steps to the previous and next trading day across weekends and closures', () => {
    expect(previousTradingDay('2001-09-17')).toBe('2001-09-10');
    expect(nextTradingDay('2001-09-10')).toBe('2001-09-17');
    expect(nextTradingDay('2012-10-26')).toBe('2012-10-31');
    expect(previousTradingDay('2025-01-02')).toBe('2024-12-31');
    expect(previousTradingDay('2024-01-09')).toBe('2024-01-08');
    expect(nextTradingDay('2024-11-27')).toBe('2024-11-29');
  });

  it('rejects dates that are not YYYY-MM-DD, naming the argument', () => {
    expect(() => isTradingDay('2024-02-30')).toThrow(BadInputError);
    expect(() => tradingDays('2024-01-01', '01/05/2024')).toThrow(/^to: expected a date as YYYY-MM-DD/);
    expect(() => tradingDays('yesterday', '2024-01-05')).toThrow(/^from: /);
    expect(() => closureReason('')).toThrow(BadInputError);
  });
});
