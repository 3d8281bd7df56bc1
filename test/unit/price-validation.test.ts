import type { RawPriceRow } from '../../src/domain/bar';
import { cleanCellText, MAX_PRICE, normalizeRawDate, validatePriceRows } from '../../src/domain/price-validation';

const AS_OF = '2030-01-01';

function row(
  date: string,
  open: RawPriceRow['open'],
  high: RawPriceRow['high'],
  low: RawPriceRow['low'],
  close: RawPriceRow['close'],
  volume: RawPriceRow['volume'],
  adjClose?: RawPriceRow['adjClose'],
): RawPriceRow {
  return { date, open, high, low, close, volume, adjClose };
}

const good = (date: string): RawPriceRow => row(date, 10, 11, 9, 10.5, 1000);

/** The single rejection reason for one row, or 'accepted'. */
function verdict(r: RawPriceRow): string {
  const { bars, rejected } = validatePriceRows([r], { asOf: AS_OF });
  if (bars.length === 1 && rejected.length === 0) return 'accepted';
  expect(bars).toHaveLength(0);
  expect(rejected).toHaveLength(1);
  return rejected[0].reason;
}

describe('validatePriceRows: one row', () => {
  it('accepts a valid row and fills adjClose from close when the source has none', () => {
    expect(validatePriceRows([good('2020-01-02')], { asOf: AS_OF })).toEqual({
      bars: [{ date: '2020-01-02', open: 10, high: 11, low: 9, close: 10.5, adjClose: 10.5, volume: 1000 }],
      rejected: [],
      actions: [],
      flagged: [],
    });
  });

  it('parses strings with spaces and quotes, and treats NULL/empty/NaN adjClose as missing', () => {
    const r = row(' "2020-01-02" ', ' "10" ', "'11'", '9 ', '"10.5"', ' 1000 ', 'NULL');
    expect(validatePriceRows([r], { asOf: AS_OF }).bars).toEqual([
      { date: '2020-01-02', open: 10, high: 11, low: 9, close: 10.5, adjClose: 10.5, volume: 1000 },
    ]);
    for (const missing of ['', 'null', 'NaN', null, undefined, NaN]) {
      expect(verdict(row('2020-01-02', 10, 11, 9, 10.5, 1000, missing))).toBe('accepted');
    }
    expect(
      validatePriceRows([row('2020-01-02', '10', '11', '9', '10.5', '1000', '9.8')], { asOf: AS_OF }).bars[0].adjClose,
    ).toBe(9.8);
  });

  it.each([
    ['open', row('2020-01-02', '', 11, 9, 10.5, 1000), 'open is missing'],
    ['high NULL', row('2020-01-02', 10, 'NULL', 9, 10.5, 1000), 'high is missing'],
    ['low null', row('2020-01-02', 10, 11, 'null', 10.5, 1000), 'low is missing'],
    ['close NaN', row('2020-01-02', 10, 11, 9, 'NaN', 1000), 'close is missing'],
    ['close undefined', row('2020-01-02', 10, 11, 9, undefined, 1000), 'close is missing'],
    ['non-numeric', row('2020-01-02', 10, 11, 'abc', 10.5, 1000), "low 'abc' is not a number"],
    ['hex is not a price', row('2020-01-02', '0x10', 20, 9, 10.5, 1000), "open '0x10' is not a number"],
    ['Infinity', row('2020-01-02', 10, 'Infinity', 9, 10.5, 1000), "high 'Infinity' is not a number"],
    ['zero close', row('2020-01-02', 10, 11, 9, 0, 1000), 'close 0 is not positive'],
    ['negative open', row('2020-01-02', -1, 11, 9, 10.5, 1000), 'open -1 is not positive'],
    ['high below close', row('2020-01-02', 10, 10.2, 9, 11.2, 1000), 'high 10.2 is below max(open, close, low) 11.2'],
    ['low above close', row('2020-01-02', 10, 11, 10.6, 10.5, 1000), 'low 10.6 is above min(open, close, high) 10'],
    ['volume missing', row('2020-01-02', 10, 11, 9, 10.5, ''), 'volume is missing'],
    ['volume negative', row('2020-01-02', 10, 11, 9, 10.5, '-5'), 'volume -5 is negative'],
    [
      'volume with a thousands separator',
      row('2020-01-02', 10, 11, 9, 10.5, '1,000'),
      "volume '1,000' is not a number",
    ],
    ['adjClose invalid', row('2020-01-02', 10, 11, 9, 10.5, 1000, 'oops'), "adjusted close 'oops' is not a number"],
    ['adjClose not positive', row('2020-01-02', 10, 11, 9, 10.5, 1000, -2), 'adjusted close -2 is not positive'],
    [
      'impossible date',
      row('2017-13-40', 10, 11, 9, 10.5, 1000),
      "date '2017-13-40' is not a valid date (expected YYYY-MM-DD)",
    ],
    [
      '29 February of a common year',
      row('2019-02-29', 10, 11, 9, 10.5, 1000),
      "date '2019-02-29' is not a valid date (expected YYYY-MM-DD)",
    ],
    [
      'US date format',
      row('01/02/2020', 10, 11, 9, 10.5, 1000),
      "date '01/02/2020' is not a valid date (expected YYYY-MM-DD)",
    ],
    [
      'date with a time',
      row('2020-01-02T00:00:00Z', 10, 11, 9, 10.5, 1000),
      "date '2020-01-02T00:00:00Z' is not a valid date (expected YYYY-MM-DD)",
    ],
    ['no date', row('', 10, 11, 9, 10.5, 1000), 'date is missing'],
  ])('rejects %s', (_label, r, reason) => {
    expect(verdict(r)).toBe(reason);
  });

  it('accepts volume 0, a leap day, and a bar whose open equals high and low', () => {
    expect(verdict(row('2020-01-02', 10, 11, 9, 10.5, 0))).toBe('accepted');
    expect(verdict(good('2020-02-29'))).toBe('accepted');
    expect(verdict(row('2020-01-02', 10, 10, 10, 10, '5'))).toBe('accepted');
  });

  it('lists every problem of a row, in column order', () => {
    expect(verdict(row('2020-01-02', '', '', '', 10.5, 1000))).toBe('open is missing; high is missing; low is missing');
    expect(verdict(row('2020-05-19', 23.89, 23.595, 23.85, 24.445, 100))).toBe(
      'high 23.595 is below max(open, close, low) 24.445; low 23.85 is above min(open, close, high) 23.595',
    );
  });
});

describe('validatePriceRows: the date window', () => {
  const rows = ['2020-01-02', '2020-01-03', '2020-01-06', '2020-01-07'].map(good);

  it('drops rows after asOf and on or before `after`, without calling them defects', () => {
    const { bars, rejected } = validatePriceRows(rows, { asOf: '2020-01-06', after: '2020-01-02' });
    expect(bars.map((b) => b.date)).toEqual(['2020-01-03', '2020-01-06']);
    expect(rejected).toEqual([]);
  });

  it('does not let a defective row after asOf count as a rejection (it is not ingested yet)', () => {
    const { rejected } = validatePriceRows([good('2020-01-02'), row('2020-01-03', '', 1, 1, 1, 1)], {
      asOf: '2020-01-02',
    });
    expect(rejected).toEqual([]);
  });

  it('still rejects a row whose date cannot be read, whatever the window', () => {
    const { rejected } = validatePriceRows([row('garbage', 1, 1, 1, 1, 1)], {
      asOf: '2020-01-02',
      after: '2020-01-01',
    });
    expect(rejected.map((r) => r.reason)).toEqual(["date 'garbage' is not a valid date (expected YYYY-MM-DD)"]);
  });
});

describe('validatePriceRows: repeated dates and order', () => {
  it('keeps one of exact duplicates, even when written differently', () => {
    const { bars, rejected } = validatePriceRows(
      [good('2020-01-02'), row('"2020-01-02"', '10.0', ' 11', '9', '10.50', '1000'), good('2020-01-03')],
      { asOf: AS_OF },
    );
    expect(bars.map((b) => b.date)).toEqual(['2020-01-02', '2020-01-03']);
    expect(rejected).toEqual([]);
  });

  it('rejects every row of a date given twice with different values', () => {
    const first = good('2020-01-03');
    const second = row('2020-01-03', 10, 11, 9, 10.6, 1000);
    const { bars, rejected } = validatePriceRows([good('2020-01-02'), first, second, good('2020-01-06')], {
      asOf: AS_OF,
    });
    expect(bars.map((b) => b.date)).toEqual(['2020-01-02', '2020-01-06']);
    expect(rejected).toEqual([
      { date: '2020-01-03', reason: 'date given twice with different values', raw: first },
      { date: '2020-01-03', reason: 'date given twice with different values', raw: second },
    ]);
  });

  it('names the other defects of a conflicting row too, and counts the variants', () => {
    const variants = [
      good('2020-01-03'),
      row('2020-01-03', '', 11, 9, 10.5, 1000),
      row('2020-01-03', 10, 11, 9, 10.7, 1000),
    ];
    const { bars, rejected } = validatePriceRows([...variants, variants[0]], { asOf: AS_OF });
    expect(bars).toEqual([]);
    expect(rejected.map((r) => r.reason)).toEqual([
      'date given 3 times with different values',
      'date given 3 times with different values; open is missing',
      'date given 3 times with different values',
    ]);
  });

  it('sorts bars ascending whatever the source order, and reports rejections in source order', () => {
    const { bars, rejected } = validatePriceRows(
      [
        good('2020-01-07'),
        row('2020-01-06', 1, 1, 1, 1, -1),
        good('2020-01-02'),
        row('bad', 1, 1, 1, 1, 1),
        good('2020-01-03'),
      ],
      { asOf: AS_OF },
    );
    expect(bars.map((b) => b.date)).toEqual(['2020-01-02', '2020-01-03', '2020-01-07']);
    expect(rejected.map((r) => r.date)).toEqual(['2020-01-06', 'bad']);
  });
});

describe('number parsing', () => {
  it('gives exactly what Number() gives for every decimal text (fast path and fallback)', () => {
    // A fixed linear congruential generator: the same texts on every run.
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const digits = (n: number): string => Array.from({ length: n }, () => String(next(10))).join('');
    const texts = [
      '1',
      '0.1',
      '0.3',
      '67.7142',
      '.5',
      '5.',
      '000123.4500',
      '9007199254740993',
      '123456789012345678.25',
      '1e3',
      '2.5E-2',
      '+7.25',
    ];
    for (let k = 0; k < 20_000; k++) {
      const text = `${digits(1 + next(9))}.${digits(next(12))}${next(10) === 0 ? `e${next(2) ? '-' : ''}${next(30)}` : ''}`;
      texts.push(text);
    }
    const rows = texts.map((t, i) => row(`2020-01-${String((i % 28) + 1).padStart(2, '0')}`, t, t, t, t, '1000'));
    const mismatches: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      const { bars, rejected } = validatePriceRows([rows[i]], { asOf: AS_OF });
      const expected = Number(texts[i]);
      // Above MAX_PRICE the parsed value shows in the reason.
      const parsed =
        expected > MAX_PRICE ? Number(/^open (\S+) is above/.exec(rejected[0]?.reason)?.[1]) : bars[0]?.open;
      if (expected > 0 && !Object.is(parsed, expected)) mismatches.push(`${texts[i]}: ${parsed} != ${expected}`);
    }
    expect(mismatches).toEqual([]);
    expect(validatePriceRows([row('2020-01-02', '-0', 1, 1, 1, '-0')], { asOf: AS_OF }).rejected[0].reason).toBe(
      'open 0 is not positive',
    );
  });

  it.each(['1e', '1.2.3', '--1', '1-', 'e5', '.', '1 2', '0b1', '0o7', '1e400'])('refuses %p as a number', (text) => {
    expect(verdict(row('2020-01-02', text, 11, 9, 10.5, 1000))).toBe(`open '${text}' is not a number`);
  });
});

describe('cell helpers', () => {
  it('cleans spaces and one pair of quotes', () => {
    expect(cleanCellText('  "12.5" ')).toBe('12.5');
    expect(cleanCellText("'x'")).toBe('x');
    expect(cleanCellText('"unbalanced')).toBe('"unbalanced');
  });

  it('normalises only valid YYYY-MM-DD dates', () => {
    expect(normalizeRawDate(' "2016-02-29" ')).toBe('2016-02-29');
    expect(normalizeRawDate('2100-02-29')).toBeNull();
    expect(normalizeRawDate('2000-02-29')).toBe('2000-02-29');
    expect(normalizeRawDate('2020-04-31')).toBeNull();
    expect(normalizeRawDate('2020-1-02')).toBeNull();
    expect(normalizeRawDate(undefined)).toBeNull();
  });
});

describe('validatePriceRows: rows that cannot be true (issue 18 point 8)', () => {
  const at = (date: string, close: number, extra: Partial<RawPriceRow> = {}): RawPriceRow => ({
    ...row(date, close, close, close, close, 1000),
    ...extra,
  });
  const series = (closes: number[]): RawPriceRow[] =>
    closes.map((c, i) => at(`2020-01-${String(i + 2).padStart(2, '0')}`, c));

  it.each([
    ['a close of 5e7', row('2020-01-02', 10, 5e7, 9, 5e7, 1000), 'high 50000000 is above 10000000'],
    ['a close of 1e308', row('2020-01-02', 10, 11, 9, '1e308', 1000), 'close 1e+308 is above 10000000'],
    ['a fractional volume', row('2020-01-02', 10, 11, 9, 10.5, '1000.5'), 'volume 1000.5 is not a whole number'],
    ['a volume of 1e15', row('2020-01-02', 10, 11, 9, 10.5, 1e15), 'volume 1000000000000000 is above 1000000000000'],
    ['a date in 1800', row('1800-01-01', 10, 11, 9, 10.5, 1000), 'date 1800-01-01 is before 1900-01-01'],
  ])('refuses %s with its reason', (_, r, reason) => {
    expect(verdict(r)).toContain(reason);
  });

  it('refuses a row naming another ticker, and takes one naming the file ticker in any case', () => {
    const rows = [at('2020-01-02', 10, { symbol: 'aapl' }), at('2020-01-03', 10, { symbol: 'MSFT' })];
    const { bars, rejected } = validatePriceRows(rows, { asOf: AS_OF, ticker: 'AAPL' });
    expect(bars.map((b) => b.date)).toEqual(['2020-01-02']);
    expect(rejected.map((r) => r.reason)).toEqual(["the row names ticker 'MSFT', not AAPL"]);
  });

  it('refuses a 1,000x jump and keeps the rows around it', () => {
    const { bars, rejected } = validatePriceRows(series([10, 10.2, 10_200, 10.1, 10.3]), { asOf: AS_OF });
    expect(bars.map((b) => b.close)).toEqual([10, 10.2, 10.1, 10.3]);
    expect(rejected.map((r) => [r.date, r.reason])).toEqual([
      ['2020-01-04', 'close 10200 is 1000 times the previous close 10.2 (2020-01-03), and no split that day'],
    ]);
  });

  it('refuses a bad first row rather than every good row after it', () => {
    const { bars, rejected } = validatePriceRows(series([0.01, 10, 10.2, 10.1]), { asOf: AS_OF });
    expect(bars.map((b) => b.close)).toEqual([10, 10.2, 10.1]);
    expect(rejected[0].reason).toBe('close 0.01 is 1/1000 of the next close 10 (2020-01-03): a jump of more than 10x');
  });

  it('judges the first new row against the stored close', () => {
    const { bars, rejected } = validatePriceRows(series([1000, 10]), {
      asOf: AS_OF,
      after: '2020-01-01',
      previousClose: 10,
    });
    expect(bars.map((b) => b.close)).toEqual([10]);
    expect(rejected[0].reason).toBe(
      'close 1000 is 100 times the previous close 10 (2020-01-01), and no split that day',
    );
  });

  it('flags a jump its split explains (20-for-1) and refuses one its split does not', () => {
    const rows = [
      at('2022-07-14', 2200),
      at('2022-07-15', 2250),
      at('2022-07-18', 113, { splitCoefficient: 20 }),
      at('2022-07-19', 114),
      at('2022-07-20', 0.114, { splitCoefficient: 2 }),
    ];
    const { bars, rejected, flagged, actions } = validatePriceRows(rows, { asOf: AS_OF });
    expect(bars.map((b) => b.close)).toEqual([2200, 2250, 113, 114]);
    expect(flagged).toEqual([
      {
        date: '2022-07-18',
        reason: 'close 113 is 1/19.9 of the previous close 2250 (2022-07-15), explained by the split of 20',
      },
    ]);
    expect(actions.map((a) => a.date)).toEqual(['2022-07-18']);
    expect(rejected.map((r) => r.reason)).toEqual([
      'close 0.114 is 1/1000 of the previous close 114 (2022-07-19), and its split of 2 does not explain it',
    ]);
  });
});
