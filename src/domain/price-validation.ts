import type { Bar, RawPriceRow, RawValue, RejectedRow } from './bar';
import { corporateActionOf, type CorporateAction } from './corporate-actions';
import type { IsoDate } from './dates';

/** Which rows to consider: none after `asOf`, none on or before `after`. */
export interface PriceValidationOptions {
  /** The as-of date: later rows are not ingested yet (no look-ahead), and are not defects. */
  asOf: IsoDate;
  /** The last stored date, if any: rows on or before it are already stored. */
  after?: IsoDate;
  /** The ticker being ingested: a row whose own ticker column names another is refused. */
  ticker?: string;
  /** The close as traded of the last stored bar (the day `after`): the first new row's move is judged against it. */
  previousClose?: number;
}

/**
 * No source has daily prices this old: the oldest daily series published
 * (the Dow Jones averages) start in 1896, our oldest file (AAPL) in 1980. A
 * row dated earlier is a broken date, not early history.
 */
export const EARLIEST_BAR_DATE: IsoDate = '1900-01-01';

/**
 * The dearest share ever traded (Berkshire Hathaway A) has stayed below
 * $1,000,000; ten times that is still a bound a price can break only by
 * error (5e7, 1e308). It also keeps every close below the 45 million that
 * indicator sums in millionths can hold exactly (indicators.ts).
 */
export const MAX_PRICE = 10_000_000;

/**
 * More shares than any stock has traded in a day (the busiest days are a few
 * billion), with room for split-adjusted volumes; and far within a bigint.
 */
export const MAX_VOLUME = 1e12;

/**
 * A close more than this many times (or less than a tenth of) the day
 * before's, with no split that day to explain it, is a bad row. Of the
 * 646,174 day-to-day moves in our S&P 500, seed and raw files, none reaches
 * 3x (the largest, 2.7x, is NI's unrecorded spin-off); 10x leaves room for a
 * real small-cap day and still refuses a misplaced decimal point or a price
 * in cents.
 */
export const MAX_DAILY_MOVE = 10;

/** A row accepted but worth a look, with why (a jump its day's split explains). */
export interface FlaggedRow {
  date: IsoDate;
  reason: string;
}

/** The rows that became bars, and the rows that were refused with their reason. */
export interface PriceValidationResult {
  /** Valid bars, ascending by date, one per date. */
  bars: Bar[];
  /** Refused rows in source order, each with a human-readable reason. */
  rejected: RejectedRow[];
  /**
   * The splits and dividends of the valid bars' days (only days that have
   * one), ascending; the bars themselves are still raw (see adjustForSplits).
   */
  actions: CorporateAction[];
  /** Accepted bars whose close jumped more than {@link MAX_DAILY_MOVE} times, explained by their day's split. */
  flagged: FlaggedRow[];
}

const QUOTE = 34;
const APOSTROPHE = 39;
const DASH = 45;
const ZERO = 48;
const NINE = 57;
const PLUS = 43;
const DOT = 46;
const LOWER_E = 101;
const UPPER_E = 69;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A cell's text without the spaces and one pair of quotes a source may wrap it
 * in (`' "12.5" '` becomes `12.5`).
 */
export function cleanCellText(text: string): string {
  let s = text;
  if (s.length === 0) return s;
  if (s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32) s = s.trim();
  const first = s.charCodeAt(0);
  if (s.length >= 2 && (first === QUOTE || first === APOSTROPHE) && s.charCodeAt(s.length - 1) === first) {
    s = s.slice(1, -1).trim();
  }
  return s;
}

/**
 * The ISO date a source's date cell stands for, or null when it is not a valid
 * `YYYY-MM-DD` date (after trimming spaces and quotes; no other format is guessed).
 */
export function normalizeRawDate(raw: string | null | undefined): IsoDate | null {
  if (typeof raw !== 'string') return null;
  const cleaned = cleanCellText(raw);
  return isCalendarDate(cleaned) ? cleaned : null;
}

/**
 * True when `s` is a real calendar date written as YYYY-MM-DD (same answer as
 * `isIsoDate` in dates.ts, without a regex or a Date: this runs once per row).
 */
function isCalendarDate(s: string): boolean {
  if (s.length !== 10 || s.charCodeAt(4) !== DASH || s.charCodeAt(7) !== DASH) return false;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 7);
  const day = digits(s, 8, 10);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
}

/** The decimal number written by s[start, end), or -1 when a character is not a digit. */
function digits(s: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < ZERO || c > NINE) return -1;
    n = n * 10 + (c - ZERO);
  }
  return n;
}

/** 10^0 .. 10^22: every one is exact as a double. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MAX_EXACT_INTEGER = 2 ** 53;

/**
 * The value of `s` when it is a plain decimal number (`12`, `-0.5`, `.5`,
 * `1e6`; no hex, no `Infinity`, no spaces), else NaN. Equal to `Number(s)`
 * for every such text, and about three times faster on prices: it runs for
 * millions of cells.
 */
function parseDecimal(s: string): number {
  const length = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  const negative = c === DASH;
  if (negative || c === PLUS) c = s.charCodeAt(++i);
  let mantissa = 0;
  let digitCount = 0;
  let fractionDigits = 0;
  while (c >= ZERO && c <= NINE) {
    mantissa = mantissa * 10 + (c - ZERO);
    digitCount++;
    c = s.charCodeAt(++i);
  }
  if (c === DOT) {
    c = s.charCodeAt(++i);
    while (c >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
      digitCount++;
      fractionDigits++;
      c = s.charCodeAt(++i);
    }
  }
  if (digitCount === 0) return NaN;
  let hasExponent = false;
  if (c === LOWER_E || c === UPPER_E) {
    hasExponent = true;
    c = s.charCodeAt(++i);
    if (c === DASH || c === PLUS) c = s.charCodeAt(++i);
    let exponentDigits = 0;
    while (c >= ZERO && c <= NINE) {
      exponentDigits++;
      c = s.charCodeAt(++i);
    }
    if (exponentDigits === 0) return NaN;
  }
  if (i !== length) return NaN;
  // Clinger's fast path: an exact integer divided by an exact power of ten is
  // correctly rounded, exactly as Number() would round it.
  if (!hasExponent && mantissa <= MAX_EXACT_INTEGER && fractionDigits < EXACT_POWERS_OF_TEN.length) {
    const value = fractionDigits === 0 ? mantissa : mantissa / EXACT_POWERS_OF_TEN[fractionDigits];
    return negative ? -value : value;
  }
  return Number(s);
}

/** The finite number a cell holds, or NaN when it is missing or not a number ({@link cellProblem} says which). */
function toNumber(value: RawValue): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : NaN;
  if (typeof value !== 'string') return NaN;
  const n = parseDecimal(cleanCellText(value));
  return Number.isFinite(n) ? n : NaN;
}

/** True when a cell is absent: null, undefined, NaN, or the text '', NULL or NaN in any case. */
function isMissing(value: RawValue): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'number') return Number.isNaN(value);
  const text = cleanCellText(value);
  if (text.length === 0) return true;
  if (text.length > 4) return false;
  const lower = text.toLowerCase();
  return lower === 'null' || lower === 'nan';
}

/** Why a cell that is not a number is not one. */
function cellProblem(value: RawValue, label: string): string {
  if (isMissing(value)) return `${label} is missing`;
  const text = typeof value === 'string' ? cleanCellText(value) : String(value);
  return `${label} '${text}' is not a number`;
}

/** Collects the reasons a row is refused; allocates nothing for a valid row. */
class Reasons {
  list: string[] | null = null;

  add(reason: string): void {
    if (this.list === null) this.list = [reason];
    else this.list.push(reason);
  }
}

/** A positive price, or NaN with the reason added to `reasons`. */
function price(value: RawValue, label: string, reasons: Reasons): number {
  const n = toNumber(value);
  if (Number.isNaN(n)) reasons.add(cellProblem(value, label));
  else if (!(n > 0)) {
    reasons.add(`${label} ${n} is not positive`);
    return NaN;
  } else if (n > MAX_PRICE) {
    reasons.add(`${label} ${n} is above ${MAX_PRICE}, more than any share has traded for`);
    return NaN;
  }
  return n;
}

/** The split and dividend cells of the row being checked (1 and 0 when the source has none). */
interface DayEvents {
  split: number;
  dividend: number;
}

/** Checks one in-range row; returns its bar, or null with the reasons added; `events` receives its split and dividend. */
function checkRow(
  row: RawPriceRow,
  date: IsoDate,
  ticker: string | undefined,
  reasons: Reasons,
  events: DayEvents,
): Bar | null {
  if (ticker !== undefined && row.symbol !== undefined && !isMissing(row.symbol)) {
    const named = cleanCellText(String(row.symbol));
    if (named.toUpperCase() !== ticker.toUpperCase()) reasons.add(`the row names ticker '${named}', not ${ticker}`);
  }
  const open = price(row.open, 'open', reasons);
  const high = price(row.high, 'high', reasons);
  const low = price(row.low, 'low', reasons);
  const close = price(row.close, 'close', reasons);

  const volume = toNumber(row.volume);
  if (Number.isNaN(volume)) reasons.add(cellProblem(row.volume, 'volume'));
  else if (volume < 0) reasons.add(`volume ${volume} is negative`);
  else if (!Number.isInteger(volume)) reasons.add(`volume ${volume} is not a whole number of shares`);
  else if (volume > MAX_VOLUME) reasons.add(`volume ${volume} is above ${MAX_VOLUME}, more than any day's trading`);

  // Sources without these columns (or a blank cell) mean no split and no dividend that day.
  events.split = 1;
  events.dividend = 0;
  if (row.splitCoefficient !== undefined && !isMissing(row.splitCoefficient))
    events.split = price(row.splitCoefficient, 'split coefficient', reasons);
  if (row.dividend !== undefined && !isMissing(row.dividend)) {
    const dividend = toNumber(row.dividend);
    if (Number.isNaN(dividend)) reasons.add(cellProblem(row.dividend, 'dividend'));
    else if (dividend < 0) reasons.add(`dividend ${dividend} is negative`);
    else events.dividend = dividend;
  }

  // A missing adjusted close means the source does not adjust: it equals close.
  const adjClose = isMissing(row.adjClose) ? close : price(row.adjClose, 'adjusted close', reasons);

  // NaN compares false, so a missing price never adds a bogus range reason.
  const highestOther = Math.max(open, close, low);
  if (high < highestOther) reasons.add(`high ${high} is below max(open, close, low) ${highestOther}`);
  const lowestOther = Math.min(open, close, high);
  if (low > lowestOther) reasons.add(`low ${low} is above min(open, close, high) ${lowestOther}`);

  if (reasons.list !== null) return null;
  return { date, open, high, low, close, adjClose, volume };
}

/** What a row says, for telling exact duplicates from conflicting ones. */
function rowSignature(row: RawPriceRow): string {
  const values: RawValue[] = [
    row.open,
    row.high,
    row.low,
    row.close,
    row.adjClose,
    row.volume,
    row.dividend,
    row.splitCoefficient,
  ];
  return values
    .map((v) => {
      const n = toNumber(v);
      if (!Number.isNaN(n)) return String(n);
      return isMissing(v) ? 'missing' : `text:${typeof v === 'string' ? cleanCellText(v) : String(v)}`;
    })
    .join('|');
}

/** The date cell as the source wrote it, for reports. */
function sourceDate(row: RawPriceRow): string {
  return typeof row.date === 'string' ? cleanCellText(row.date) : String(row.date ?? '');
}

/**
 * Turns a provider's raw rows into valid bars and rejected rows.
 *
 * Rows dated after `asOf`, or on or before `after`, are dropped silently: they
 * are not defects. A row is rejected, with a reason, when its date is not a
 * valid YYYY-MM-DD date; when open, high, low or close is missing, not a
 * number or not positive; when high is below max(open, close, low) or low is
 * above min(open, close, high); when volume is missing, not a number or
 * negative (0 is allowed); or when a present adjusted close is invalid (a
 * missing one means adjusted close = close), a present split coefficient is
 * not a positive number or a present dividend is not a number >= 0. A date given more than once with
 * different values rejects every row of that date; exact duplicates count once.
 * Rows that cannot be true are refused too: dated before {@link EARLIEST_BAR_DATE},
 * a price above {@link MAX_PRICE}, a fractional volume or one above
 * {@link MAX_VOLUME}, a row naming another ticker than `options.ticker`, and
 * a close more than {@link MAX_DAILY_MOVE} times (or under a tenth of) the
 * previous accepted close (`options.previousClose` for the first new row)
 * that its day's split does not explain; one its split explains is accepted
 * and flagged.
 * Cells may be numbers or strings with surrounding spaces or quotes; `''`,
 * `NULL` and `NaN` are missing.
 */
export function validatePriceRows(
  rows: readonly RawPriceRow[],
  options: PriceValidationOptions,
): PriceValidationResult {
  const { asOf, after } = options;
  const rejections: Array<{ index: number; rejected: RejectedRow }> = [];

  // Pass 1: dates. Bad dates are rejected, dates out of range dropped.
  const kept: number[] = [];
  const keptDates: IsoDate[] = [];
  let ascending = true;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const date = normalizeRawDate(row.date);
    if (date === null) {
      const written = sourceDate(row);
      const reason = written === '' ? 'date is missing' : `date '${written}' is not a valid date (expected YYYY-MM-DD)`;
      rejections.push({ index: i, rejected: { date: written, reason, raw: row } });
      continue;
    }
    if (date > asOf || (after !== undefined && date <= after)) continue;
    if (date < EARLIEST_BAR_DATE) {
      const reason = `date ${date} is before ${EARLIEST_BAR_DATE}: no source has daily prices that old`;
      rejections.push({ index: i, rejected: { date, reason, raw: row } });
      continue;
    }
    // Strictly ascending dates (the usual case) cannot repeat: no lookup needed.
    if (keptDates.length > 0 && date <= keptDates[keptDates.length - 1]) ascending = false;
    kept.push(i);
    keptDates.push(date);
  }

  const settled = ascending ? null : settleRepeatedDates(rows, kept, keptDates, rejections, options);

  // Pass 2: the values of every row not settled above.
  const candidates: Candidate[] = [];
  const events: DayEvents = { split: 1, dividend: 0 };
  const reasons = new Reasons();
  for (let k = 0; k < kept.length; k++) {
    if (settled !== null && settled[k] === 1) continue;
    const index = kept[k];
    const row = rows[index];
    reasons.list = null;
    const bar = checkRow(row, keptDates[k], options.ticker, reasons, events);
    if (bar !== null) candidates.push({ bar, index, split: events.split, dividend: events.dividend });
    else
      rejections.push({ index, rejected: { date: keptDates[k], reason: (reasons.list ?? []).join('; '), raw: row } });
  }
  if (!ascending) candidates.sort((a, b) => (a.bar.date < b.bar.date ? -1 : a.bar.date > b.bar.date ? 1 : 0));

  // Pass 3: each close against the day before's (a jump no split explains is a bad row).
  const bars: Bar[] = [];
  const actions: CorporateAction[] = [];
  const flagged: FlaggedRow[] = [];
  let previous = options.previousClose;
  let previousDate = after ?? '';
  const anchor = previous === undefined ? firstConsistent(candidates) : 0;
  for (let c = 0; c < candidates.length; c++) {
    const { bar, index, split, dividend } = candidates[c];
    if (c < anchor) {
      const next = candidates[anchor].bar;
      const reason = `close ${bar.close} is ${describeMove(bar.close, next.close)} the next close ${next.close} (${next.date}): a jump of more than ${MAX_DAILY_MOVE}x`;
      rejections.push({ index, rejected: { date: bar.date, reason, raw: rows[index] } });
      continue;
    }
    if (previous !== undefined) {
      // The ex-date's close is post-split: times the factor it is comparable with the day before's.
      const move = (bar.close * split) / previous;
      if (!withinMove(move)) {
        const splitNote = split === 1 ? 'no split that day' : `its split of ${split} does not explain it`;
        const reason = `close ${bar.close} is ${describeMove(bar.close, previous)} the previous close ${previous} (${previousDate}), and ${splitNote}`;
        rejections.push({ index, rejected: { date: bar.date, reason, raw: rows[index] } });
        continue;
      }
      if (!withinMove(bar.close / previous))
        flagged.push({
          date: bar.date,
          reason: `close ${bar.close} is ${describeMove(bar.close, previous)} the previous close ${previous} (${previousDate}), explained by the split of ${split}`,
        });
    }
    bars.push(bar);
    if (split !== 1 || dividend !== 0) {
      const action = corporateActionOf(bar.date, split, dividend);
      if (action !== null) actions.push(action);
    }
    previous = bar.close;
    previousDate = bar.date;
  }

  rejections.sort((a, b) => a.index - b.index);
  return { bars, rejected: rejections.map((r) => r.rejected), actions, flagged };
}

/** A row that passed its own checks, waiting for the check against its neighbours. */
interface Candidate {
  bar: Bar;
  /** Its position in the source rows. */
  index: number;
  split: number;
  dividend: number;
}

/** True when a close-to-close ratio (split-corrected) is a move a real day can make. */
function withinMove(ratio: number): boolean {
  return ratio <= MAX_DAILY_MOVE && ratio >= 1 / MAX_DAILY_MOVE;
}

/** "25 times" or "1/1000 of", for a reason. */
function describeMove(close: number, reference: number): string {
  const ratio = close / reference;
  return ratio >= 1 ? `${Number(ratio.toPrecision(3))} times` : `1/${Number((1 / ratio).toPrecision(3))} of`;
}

/**
 * With no stored close to start from, the first candidate that agrees with
 * its successor starts the series, so that one bad first row is refused
 * rather than making every good row after it look like a jump.
 */
function firstConsistent(candidates: readonly Candidate[]): number {
  for (let c = 0; c + 1 < candidates.length; c++) {
    const next = candidates[c + 1];
    if (withinMove((next.bar.close * next.split) / candidates[c].bar.close)) return c;
  }
  return 0;
}

/**
 * Resolves dates given more than once: exact copies count once; different
 * values reject one row per variant. Returns a flag per kept row, 1 when the
 * row is already settled (dropped as a copy or rejected here).
 */
function settleRepeatedDates(
  rows: readonly RawPriceRow[],
  kept: readonly number[],
  keptDates: readonly IsoDate[],
  rejections: Array<{ index: number; rejected: RejectedRow }>,
  options: PriceValidationOptions,
): Uint8Array {
  const settled = new Uint8Array(kept.length);
  const positionsByDate = new Map<IsoDate, number[]>();
  for (let k = 0; k < kept.length; k++) {
    const positions = positionsByDate.get(keptDates[k]);
    if (positions) positions.push(k);
    else positionsByDate.set(keptDates[k], [k]);
  }
  for (const [date, positions] of positionsByDate) {
    if (positions.length < 2) continue;
    const variants = new Map<string, number>();
    for (const k of positions) {
      const signature = rowSignature(rows[kept[k]]);
      if (variants.has(signature)) settled[k] = 1;
      else variants.set(signature, k);
    }
    if (variants.size < 2) continue;
    const conflict = `date given ${variants.size === 2 ? 'twice' : `${variants.size} times`} with different values`;
    const reasons = new Reasons();
    for (const k of variants.values()) {
      settled[k] = 1;
      const row = rows[kept[k]];
      reasons.list = [conflict];
      checkRow(row, date, options.ticker, reasons, { split: 1, dividend: 0 });
      rejections.push({ index: kept[k], rejected: { date, reason: reasons.list.join('; '), raw: row } });
    }
  }
  return settled;
}
