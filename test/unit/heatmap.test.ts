import { sweepHeatmap, type ComboFigures } from '../../src/domain/backtest/heatmap';
import { BadInputError } from '../../src/domain/errors';
import { backtestProgressOf } from '../../src/services/backtests.service';

const sets = [
  { fast: 5, slow: 20, trend: 50 },
  { fast: 5, slow: 20, trend: 200 },
  { fast: 10, slow: 20, trend: 50 },
  { fast: 10, slow: 20, trend: 200 },
  { fast: 5, slow: 30, trend: 50 },
  { fast: 5, slow: 30, trend: 200 },
];
const fig = (combo: number, sharpe: number | null, returnPct: number, maxDrawdownPct = 10): ComboFigures => ({
  combo,
  tickers: 3,
  sharpe,
  returnPct,
  maxDrawdownPct,
  numTrades: 4,
});
const figures = [
  fig(0, 0.5, 10),
  fig(1, 0.9, 5, 30),
  fig(2, null, -1),
  fig(3, -0.2, 2),
  fig(4, 0.1, 20, 5),
  fig(5, 0.3, 1),
];

describe('sweepHeatmap', () => {
  it('puts the first two varying parameters on the axes and the best of the third in each cell', () => {
    const map = sweepHeatmap({ parameterSets: sets, figures });
    expect(map).toMatchObject({
      x: 'fast',
      y: 'slow',
      xs: [5, 10],
      ys: [20, 30],
      varying: ['fast', 'slow', 'trend'],
      metric: 'sharpe',
    });
    expect(map.cells.map((row) => row.map((c) => c && [c.value, c.params.trend]))).toEqual([
      [
        [0.9, 200],
        [-0.2, 200],
      ],
      [[0.3, 200], null],
    ]);
    expect(map.best).toMatchObject({ value: 0.9, params: { fast: 5, slow: 20, trend: 200 } });
    expect(map.others).toBe('each cell shows the best trend for its fast and slow');
  });

  it('ranks a lower drawdown better, and leaves a null Sharpe below every number', () => {
    const dd = sweepHeatmap({ parameterSets: sets, figures, metric: 'maxDrawdownPct', x: 'trend', y: 'fast' });
    expect(dd).toMatchObject({ x: 'trend', y: 'fast', xs: [50, 200], ys: [5, 10] });
    expect(dd.cells[0][0]).toMatchObject({ value: 5, params: { fast: 5, slow: 30, trend: 50 } });
    expect(dd.best!.value).toBe(5);
    const only = sweepHeatmap({ parameterSets: sets.slice(2, 3), figures: [fig(0, null, -1)] });
    expect(only).toMatchObject({ x: null, y: null, cells: [[{ value: null }]] });
  });

  it('names the axis that is not a varying parameter', () => {
    expect(() => sweepHeatmap({ parameterSets: sets, figures, x: 'signal' })).toThrow(BadInputError);
    expect(() => sweepHeatmap({ parameterSets: sets, figures, x: 'signal' })).toThrow(
      /x: signal is not a parameter that varies in this sweep \(varying: fast, slow, trend\)/,
    );
    expect(() => sweepHeatmap({ parameterSets: sets, figures, x: 'fast', y: 'fast' })).toThrow(/different/);
  });
});

describe('backtestProgressOf', () => {
  it('tells queued, checking and running apart, with the heartbeat step and a retry', () => {
    expect(backtestProgressOf({ pendingActivities: [], pendingWorkflowTask: { state: 1 } })).toMatchObject({
      stage: 'queued',
      waitingForWorker: true,
      percent: 0,
    });
    expect(
      backtestProgressOf({ pendingActivities: [{ activityType: { name: 'checkBacktest' }, state: 2, attempt: 1 }] }),
    ).toMatchObject({ stage: 'checking', waitingForWorker: false, percent: 10 });
    const running = backtestProgressOf(
      {
        pendingActivities: [
          {
            activityType: { name: 'runBacktestJob' },
            state: 2,
            attempt: 2,
            lastFailure: { message: 'connection reset\nstack' },
            heartbeatDetails: 'chart',
          },
        ],
      },
      (d) => d as string,
    );
    expect(running).toEqual({
      stage: 'running',
      step: 'chart',
      attempt: 2,
      waitingForWorker: false,
      lastError: 'connection reset',
      percent: 60,
    });
  });
});
