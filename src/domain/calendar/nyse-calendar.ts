import { getHolidays } from 'nyse-holidays';
import { addDays, dayOfWeek, isIsoDate, type IsoDate } from '../dates';
import { BadInputError } from '../errors';
import { UNSCHEDULED_CLOSURES } from './unscheduled-closures';

/**
 * The NYSE trading calendar: which dates the exchange is open for a full or
 * partial session.
 *
 * Where it comes from:
 * - the rule-based holidays come from the `nyse-holidays` package (NYSE's
 *   holiday rules since 1885): New Year's Day (a Sunday holiday is observed on
 *   Monday; a Saturday one on the Friday before, except when that Friday is in
 *   another month or year, so 2022-01-01 closed nothing), Martin Luther King Jr.
 *   Day (from 1998), Washington's Birthday, Good Friday (Easter computus),
 *   Memorial Day, Juneteenth (from 2022), Independence Day, Labor Day,
 *   Thanksgiving Day and Christmas Day;
 * - the closures no rule predicts are in {@link UNSCHEDULED_CLOSURES}; that
 *   file says how to add a future one.
 *
 * Coverage: every full-day closure from 1990-01-01 on is known (tested against
 * the published schedules and the price history). Earlier dates follow the same
 * rules but may miss an unscheduled closure. Early closes (half days) are
 * trading days.
 */

/** The first date from which every closure is known. */
export const CALENDAR_COVERAGE_FROM: IsoDate = '1990-01-01';

/** Names used in {@link closureReason}, where the package's spelling differs. */
const HOLIDAY_NAMES: Readonly<Record<string, string>> = {
  'New Years Day': "New Year's Day",
  'Martin Luther King, Jr. Day': 'Martin Luther King Jr. Day',
  'Juneteenth National Independence Day': 'Juneteenth',
};

const unscheduledByDate: ReadonlyMap<IsoDate, string> = new Map(UNSCHEDULED_CLOSURES.map((c) => [c.date, c.reason]));

// Holidays of a year never move into another year, so one map per year suffices.
const holidaysByYear = new Map<number, ReadonlyMap<IsoDate, string>>();

function holidaysOf(year: number): ReadonlyMap<IsoDate, string> {
  let holidays = holidaysByYear.get(year);
  if (!holidays) {
    holidays = new Map(getHolidays(year).map((h) => [h.dateString, HOLIDAY_NAMES[h.name] ?? h.name]));
    holidaysByYear.set(year, holidays);
  }
  return holidays;
}

function requireDate(date: IsoDate, label = 'date'): void {
  if (!isIsoDate(date)) throw new BadInputError(`${label}: expected a date as YYYY-MM-DD, got ${JSON.stringify(date)}`);
}

/**
 * Why NYSE is closed on `date` ("Weekend", "Thanksgiving Day", "Hurricane
 * Sandy", ...), or null when it is a trading day.
 * @throws BadInputError when `date` is not a YYYY-MM-DD date.
 */
export function closureReason(date: IsoDate): string | null {
  requireDate(date);
  const weekday = dayOfWeek(date);
  if (weekday === 0 || weekday === 6) return 'Weekend';
  return unscheduledByDate.get(date) ?? holidaysOf(Number(date.slice(0, 4))).get(date) ?? null;
}

/** True when NYSE holds a session (full or early close) on `date`. */
export function isTradingDay(date: IsoDate): boolean {
  return closureReason(date) === null;
}

/**
 * Every trading day from `from` to `to`, both included, ascending; empty when
 * `from` is after `to`.
 * @throws BadInputError naming `from` or `to` when either is not a date.
 */
export function tradingDays(from: IsoDate, to: IsoDate): IsoDate[] {
  requireDate(from, 'from');
  requireDate(to, 'to');
  const days: IsoDate[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) if (isTradingDay(d)) days.push(d);
  return days;
}

/** The last trading day strictly before `date`. */
export function previousTradingDay(date: IsoDate): IsoDate {
  requireDate(date);
  let d = addDays(date, -1);
  while (!isTradingDay(d)) d = addDays(d, -1);
  return d;
}

/** The first trading day strictly after `date`. */
export function nextTradingDay(date: IsoDate): IsoDate {
  requireDate(date);
  let d = addDays(date, 1);
  while (!isTradingDay(d)) d = addDays(d, 1);
  return d;
}

/** A closed weekday and its reason. */
export interface Closure {
  readonly date: IsoDate;
  readonly reason: string;
}

/**
 * Every weekday from `from` to `to` (both included) on which NYSE is closed,
 * ascending, with the reason. Weekends are left out.
 * @throws BadInputError naming `from` or `to` when either is not a date.
 */
export function closures(from: IsoDate, to: IsoDate): Closure[] {
  requireDate(from, 'from');
  requireDate(to, 'to');
  const out: Closure[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) {
    const reason = closureReason(d);
    if (reason !== null && reason !== 'Weekend') out.push({ date: d, reason });
  }
  return out;
}
