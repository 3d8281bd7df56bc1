import {
  composeDailyRunAlert,
  dailyRunProblem,
  minutesInZone,
  minutesOfTime,
  WATCH_ZONE,
  type WatchedRun,
} from '../../../src/domain/monitoring/daily-run-watch';
import { dailyRunDateOfWorkflowId } from '../../../src/workflows/workflow-ids';

const run = (status: string, workflowId = 'daily-2024-01-09'): WatchedRun => ({
  workflowId,
  runId: `run-${status}`,
  status,
  startTime: '2024-01-09T23:30:00.000Z',
  url: `http://ui/${workflowId}`,
  ...(status === 'FAILED' ? { failure: 'provider "nope" is not one of csv, yahoo' } : {}),
});

describe('the daily-run watchdog rule', () => {
  it('is quiet while the day has a completed run, whatever else failed', () => {
    expect(dailyRunProblem([run('FAILED'), run('COMPLETED')], true)).toBeNull();
  });

  it('reports a failed run at once, before the deadline, unless another run is going', () => {
    expect(dailyRunProblem([run('FAILED')], false)).toEqual({ cause: 'failed', run: run('FAILED') });
    expect(dailyRunProblem([run('TERMINATED')], false)?.cause).toBe('failed');
    expect(dailyRunProblem([run('RUNNING'), run('FAILED')], false)).toBeNull();
  });

  it('reports a day without a finished run once past the deadline: the run still going, or none', () => {
    expect(dailyRunProblem([], false)).toBeNull();
    expect(dailyRunProblem([], true)).toEqual({ cause: 'not_finished', run: null });
    expect(dailyRunProblem([run('RUNNING')], true)).toEqual({ cause: 'not_finished', run: run('RUNNING') });
  });

  it('reads the deadline and the hour in New York (EST and EDT)', () => {
    expect(minutesOfTime('20:00')).toBe(1200);
    expect(() => minutesOfTime('24:00')).toThrow('HH:MM');
    expect(minutesInZone(Date.parse('2024-01-10T01:05:00Z'), WATCH_ZONE)).toBe(20 * 60 + 5);
    expect(minutesInZone(Date.parse('2024-07-10T00:05:00Z'), WATCH_ZONE)).toBe(20 * 60 + 5);
  });

  it('says which run, what failed and its link; or that none started', () => {
    const failed = composeDailyRunAlert({
      date: '2024-01-09',
      deadline: '20:00',
      problem: { cause: 'failed', run: run('FAILED') },
      runsUrl: 'http://ui/list',
    });
    expect(failed.subject).toBe('[algo-signals] daily run of 2024-01-09 failed');
    expect(failed.text).toContain('daily-2024-01-09');
    expect(failed.text).toContain('provider "nope"');
    expect(failed.text).toContain('http://ui/daily-2024-01-09');
    expect(failed.html).toContain('provider &quot;nope&quot;');
    const none = composeDailyRunAlert({
      date: '2024-01-10',
      deadline: '20:00',
      problem: { cause: 'not_finished', run: null },
      runsUrl: 'http://ui/list',
    });
    expect(none.subject).toBe('[algo-signals] daily run of 2024-01-10 not finished by 20:00 America/New_York');
    expect(none.text).toContain('No daily run of 2024-01-10 has started');
    expect(none.text).toContain('http://ui/list');
  });

  it('knows the date of a run by hand and of a scheduled run from its workflow id', () => {
    expect(dailyRunDateOfWorkflowId('daily-2024-01-09')).toBe('2024-01-09');
    // 18:30 in New York is 23:30 UTC in winter: still the 9th there.
    expect(dailyRunDateOfWorkflowId('daily-scheduled-2024-01-09T23:30:00Z')).toBe('2024-01-09');
    expect(dailyRunDateOfWorkflowId('daily-2024-01-09-ingest')).toBeNull();
    expect(dailyRunDateOfWorkflowId('emails-daily-2024-01-09')).toBeNull();
  });
});
