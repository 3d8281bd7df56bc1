import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { EnrichedBar } from '../../src/domain/bar';
import { addDays, type IsoDate } from '../../src/domain/dates';
import type { Signal } from '../../src/domain/strategies';
import { tempDir } from './mail';

/** The old backtester's AAPL test data (2004-01-02 .. 2010-12-31, CRLF, mixed quoting). */
export const SEED_AAPL_FILE = path.resolve(__dirname, '../../../shared/data/seed/AAPL_2004-01-02_2010-12-31.csv');

const PROJECT_ROOT = path.resolve(__dirname, '../..');

/** A CSV directory holding the seed AAPL file as `AAPL.csv`. */
export function seedCsvDir(): string {
  const dir = tempDir('algo-daily-csv-');
  fs.copyFileSync(SEED_AAPL_FILE, path.join(dir, 'AAPL.csv'));
  return dir;
}

/**
 * SEED.md's rules written out directly on the stored indicator columns (an
 * independent reading of the spec, not the production state machine):
 * every day's signal of `sma_cross` or `macd_cross`, initialised on the first bar.
 */
export function seedReferenceSignals(
  bars: readonly EnrichedBar[],
  strategy: 'sma_cross' | 'macd_cross',
): Map<IsoDate, Signal> {
  const lt = (a: number | null, b: number | null) => a !== null && b !== null && a < b;
  const ge = (a: number | null, b: number | null) => a !== null && b !== null && a >= b;
  const gt = (a: number | null, b: number | null) => a !== null && b !== null && a > b;
  const diff = (i: number) =>
    bars[i].macd === null || bars[i].macdSignal === null ? null : bars[i].macd! - bars[i].macdSignal!;
  const crossUp = (i: number) =>
    strategy === 'sma_cross'
      ? ge(bars[i].sma7, bars[i].sma21) && lt(bars[i - 1].sma7, bars[i - 1].sma21) && gt(bars[i].close, bars[i].sma50)
      : ge(0, diff(i - 1)) && gt(diff(i), 0);
  const crossDown = (i: number) =>
    strategy === 'sma_cross'
      ? lt(bars[i].sma7, bars[i].sma21) && ge(bars[i - 1].sma7, bars[i - 1].sma21)
      : ge(diff(i - 1), 0) && lt(diff(i), 0);

  const first = bars[0];
  const open = strategy === 'sma_cross' ? gt(first.sma7, first.sma21) : gt(diff(0), 0);
  let lastStatus: 'BUY' | 'SELL' = open ? 'BUY' : 'SELL';
  let lastCrossUp = addDays(first.date, open ? -1 : -2);
  let lastCrossDown = addDays(first.date, open ? -2 : -1);
  const signals = new Map<IsoDate, Signal>();
  for (let i = 1; i < bars.length; i++) {
    if (crossUp(i)) lastCrossUp = bars[i].date;
    if (crossDown(i) && (strategy === 'macd_cross' || lastCrossDown < lastCrossUp)) lastCrossDown = bars[i].date;
    let signal: Signal;
    if (lastCrossUp > lastCrossDown) {
      signal = lastStatus === 'BUY' ? 'HOLD' : 'BUY';
      lastStatus = 'BUY';
    } else {
      signal = lastStatus === 'BUY' ? 'SELL' : 'WAIT';
      lastStatus = 'SELL';
    }
    signals.set(bars[i].date, signal);
  }
  return signals;
}

/** Environment of a worker process (src/worker.ts) wired to a test's services. */
export interface WorkerProcessEnv {
  DATABASE_URL: string;
  TEMPORAL_ADDRESS: string;
  TEMPORAL_TASK_QUEUE: string;
  REDIS_KEY_PREFIX: string;
  ALGO_CSV_DIR: string;
  SMTP_PORT: string;
  ALGO_TICKERS?: string;
  SMTP_USER?: string;
  SMTP_PASSWORD?: string;
  /** A config file merged over config/default.yaml (strategy plugins, strategy lists). */
  ALGO_CONFIG?: string;
  ALGO_STRATEGY_MODULES?: string;
  WORKER_METRICS_ADDRESS?: string;
  LOG_FORMAT?: string;
  MAIL_MAX_PER_SECOND?: string;
}

/**
 * Start `src/worker.ts` in a child process; resolves once it polls its task
 * queue. Node itself runs the worker (tsx as a loader), so that the child is
 * the worker: the `tsx` command would run it in a grandchild that a SIGKILL
 * of the child leaves running.
 */
const workerLogs = new WeakMap<ChildProcess, () => string>();

/** Everything a worker process started by {@link startWorkerProcess} has printed so far (stdout and stderr). */
export function workerOutput(child: ChildProcess): string {
  return workerLogs.get(child)?.() ?? '';
}

export function startWorkerProcess(env: WorkerProcessEnv): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    workerLogs.set(child, () => log);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes('worker ready')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}): ${log}`)));
  });
}

/** Kill a worker process and wait until it is gone. */
export function killWorkerProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
