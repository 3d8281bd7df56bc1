import { describeScheduledRun } from '../../src/cli/commands/schedule.command';

describe('describeScheduledRun', () => {
  it('shows a scheduled run in New York time, winter and summer, with UTC beside it', () => {
    expect(describeScheduledRun(new Date('2026-12-01T23:30:00Z'))).toBe(
      'Tue 2026-12-01 18:30 America/New_York (23:30 UTC)',
    );
    expect(describeScheduledRun(new Date('2026-07-01T22:30:00Z'))).toBe(
      'Wed 2026-07-01 18:30 America/New_York (22:30 UTC)',
    );
  });

  it('says when the market is closed that day, so the run will do nothing', () => {
    expect(describeScheduledRun(new Date('2026-12-25T23:30:00Z'))).toMatch(
      /^Fri 2026-12-25 18:30 America\/New_York \(23:30 UTC\): market closed \(.*Christmas.*\), the run will do nothing$/,
    );
    // 23:30 UTC on 2027-01-01 is still New Year's Day in New York.
    expect(describeScheduledRun(new Date('2027-01-01T23:30:00Z'))).toMatch(/market closed \(.*New Year.*\)/);
  });
});
