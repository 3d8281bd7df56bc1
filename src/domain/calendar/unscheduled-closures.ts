import type { IsoDate } from '../dates';

/** A full-day NYSE closure that no holiday rule predicts. */
export interface UnscheduledClosure {
  readonly date: IsoDate;
  readonly reason: string;
}

/**
 * Every unscheduled full-day NYSE closure since 1990 (national days of mourning,
 * attacks, storms), oldest first, plus the one earlier closure the bundled
 * price history (from 1980-12-12) shows. The weekday holidays come from the rules in
 * nyse-calendar.ts; this table holds only what the rules cannot know.
 *
 * To add a future closure: append one line here with the date NYSE announced
 * and the reason, and add the date to the "unscheduled closures" test in
 * test/unit/calendar.test.ts. Nothing else changes: the schedule's next run on
 * that date sees a non-trading day and does nothing.
 *
 * Early closes (half days) are trading days and do not belong here.
 */
export const UNSCHEDULED_CLOSURES: readonly UnscheduledClosure[] = [
  { date: '1985-09-27', reason: 'Hurricane Gloria' },
  { date: '1994-04-27', reason: 'National Day of Mourning for President Nixon' },
  { date: '2001-09-11', reason: 'September 11 attacks' },
  { date: '2001-09-12', reason: 'September 11 attacks' },
  { date: '2001-09-13', reason: 'September 11 attacks' },
  { date: '2001-09-14', reason: 'September 11 attacks' },
  { date: '2004-06-11', reason: 'National Day of Mourning for President Reagan' },
  { date: '2007-01-02', reason: 'National Day of Mourning for President Ford' },
  { date: '2012-10-29', reason: 'Hurricane Sandy' },
  { date: '2012-10-30', reason: 'Hurricane Sandy' },
  { date: '2018-12-05', reason: 'National Day of Mourning for President George H. W. Bush' },
  { date: '2025-01-09', reason: 'National Day of Mourning for President Carter' },
];
