import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AppConfig } from '../src/config/config';
import { startTestTemporal } from '../test/support/temporal';
import { createTestDatabase, type TestDatabase } from '../test/support/database';
import { freePort } from '../test/support/mail';
import { startTestWorker, testConfig, type TestWorker } from '../test/support/worker';

/** The shared data sets the benchmarks read (never copied into the repo). */
export const SHARED_DATA = path.resolve(__dirname, '../../shared/data');
export const SP500_DIR = path.join(SHARED_DATA, 'sp500_5yr');
export const SEED_AAPL_FILE = path.join(SHARED_DATA, 'seed', 'AAPL_1980-12-12_2021-11-17_with_seed_sma.csv');

/** The project root (the mail sink process runs from it). */
const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Postgres server of the benchmarks; each one gets its own database on it. */
export const BENCH_POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** One line of the final table: a figure, its target (if any) and whether it was met. */
export interface BenchRow {
  figure: string;
  value: string;
  target?: string;
  /** true/false against the target; undefined when the figure has no target. */
  met?: boolean;
}

/** Milliseconds elapsed since `start` (a `performance.now()` reading). */
export const since = (start: number): number => performance.now() - start;

/** Median of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `1234567.8` -> `1,234,568` (or with `digits` decimals). */
export function num(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Milliseconds as `812 ms` or `3.21 s`. */
export function duration(ms: number): string {
  return ms < 1000 ? `${num(ms, ms < 10 ? 3 : 0)} ms` : `${num(ms / 1000, 2)} s`;
}

/** A progress line on stderr (stdout keeps the figures). */
export function log(line: string): void {
  process.stderr.write(`  ${line}\n`);
}

/** A private, migrated database; `destroy()` drops it. */
export type BenchDatabase = TestDatabase;

/** A fresh database named `algo_bench_<name>_<random>`, migrated to the latest schema. */
export function createBenchDatabase(name: string): Promise<BenchDatabase> {
  return createTestDatabase(`algo_bench_${name}`, BENCH_POSTGRES_URL);
}

/** A real AppConfig for a benchmark: its private database, Redis key prefix and task queue (the tests' helper). */
export function benchConfig(o: {
  databaseUrl: string;
  temporalAddress: string;
  smtpPort?: number;
  csvDir?: string;
}): AppConfig {
  return testConfig({ ...o, prefix: 'bench' });
}

/** Delete every Redis key under `prefix` (a benchmark's private prefix). */
export async function clearRedisPrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: false });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** A private Temporal dev server (the real binary on free ports, in memory), as the tests start it. */
export function startBenchTemporal(): Promise<TestWorkflowEnvironment> {
  return startTestTemporal();
}

/** An in-process worker wired like src/worker.ts (the tests' helper). */
export const startBenchWorker = startTestWorker;
export type BenchWorker = TestWorker;

/** The real worker (src/worker.ts) in its own process; its memory is its own, not the bench's. */
export interface BenchWorkerProcess {
  pid: number;
  /** Reset the kernel's peak resident set (VmHWM) of the process: the next {@link peakRss} counts from now. */
  resetPeak(): Promise<void>;
  /** The process's peak resident memory in bytes (VmHWM of /proc/PID/status) since start or the last reset. */
  peakRss(): Promise<number>;
  /** SIGTERM, then wait for it to exit. */
  stop(): Promise<void>;
}

/**
 * The worker as `npm run worker` runs it (`tsx src/worker.ts`, the workflow
 * bundle built at start) on `config`'s database, Redis prefix, task queue and
 * CSV directory, its tracked tickers given by `ALGO_TICKERS`. Resolves when it
 * says it is ready.
 */
export async function startBenchWorkerProcess(config: AppConfig): Promise<BenchWorkerProcess> {
  const env = {
    ...process.env,
    DATABASE_URL: config.database.url,
    REDIS_URL: config.redis.url,
    REDIS_KEY_PREFIX: config.redis.keyPrefix,
    TEMPORAL_ADDRESS: config.temporal.address,
    TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    ALGO_CSV_DIR: config.marketData.csvDir,
    ALGO_TICKERS: config.tickers.join(','),
    SMTP_PORT: String(config.mail.port),
  };
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(PROJECT_ROOT, 'src/worker.ts')], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready after 300 s: ${output}`)), 300_000);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (output.includes('worker ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}: ${output}`));
    });
  });
  const pid = child.pid!;
  return {
    pid,
    // Writing 5 to clear_refs resets the peak RSS (Linux, proc(5)).
    resetPeak: () => fs.promises.writeFile(`/proc/${pid}/clear_refs`, '5'),
    async peakRss() {
      const status = await fs.promises.readFile(`/proc/${pid}/status`, 'utf8');
      const kb = /^VmHWM:\s+(\d+) kB/m.exec(status);
      if (!kb) throw new Error(`no VmHWM in /proc/${pid}/status`);
      return Number(kb[1]) * 1024;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A running mail sink and the directory its `.eml` files land in. */
export interface BenchMailSink {
  port: number;
  dir: string;
  pid: number;
  /** CPU milliseconds (user + system) the sink process has used so far. */
  cpuMs(): number;
  /** Stop the sink and delete its directory. */
  remove(): Promise<void>;
}

/** CPU milliseconds (user + system) process `pid` has used so far, from /proc (Linux; clock ticks of 10 ms). */
export function processCpuMs(pid: number): number {
  return processStat(pid).ms;
}

/** Command name and CPU milliseconds (user + system) of process `pid`, from `/proc/<pid>/stat` (the name may hold `) `). */
function processStat(pid: number): { comm: string; ms: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const close = stat.lastIndexOf(') ');
  const fields = stat.slice(close + 2).split(' ');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), ms: (Number(fields[11]) + Number(fields[12])) * 10 };
}

/**
 * Where the benches' mail sinks store their files: `BENCH_MAIL_DIR`, else
 * memory (`/dev/shm`) where there is one, else the temporary directory. The
 * sink runs on the same cores as the worker, and creating a file is the
 * kernel's work charged to it: 400-600 µs of CPU a file on one machine's ext4
 * (`/tmp`), 13-22 µs on tmpfs. On disk, the sink took that CPU from the
 * sender it stands in for, and how much depended on the directory's place on
 * the disk; a real relay runs elsewhere.
 */
export const BENCH_MAIL_DIR = process.env.BENCH_MAIL_DIR ?? (fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());

/**
 * The real mail sink (src/mail-sink/main.ts, i.e. startMailSink) in its own
 * process on a free port, as `algo stack up` runs it, so that receiving and
 * storing 10,000 messages does not share the worker's event loop. Its
 * `.eml` files land in a fresh directory under {@link BENCH_MAIL_DIR}.
 */
export async function startBenchMailSink(): Promise<BenchMailSink> {
  const dataDir = fs.mkdtempSync(path.join(BENCH_MAIL_DIR, 'algo-bench-mail-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(PROJECT_ROOT, 'src/mail-sink/main.ts')], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ALGO_DATA_DIR: dataDir, MAIL_SINK_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`mail sink not ready after 30 s: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('mail sink ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mail sink exited with ${code}: ${output}`));
    });
  });
  return {
    port,
    dir: path.join(dataDir, 'mail'),
    pid: child.pid!,
    cpuMs: () => processCpuMs(child.pid!),
    async remove() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs the cleanups in reverse order of registration, each even when an earlier one fails. */
export class Cleanup {
  private readonly steps: Array<() => Promise<unknown>> = [];

  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) {
      try {
        await step();
      } catch (err) {
        log(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}

/** CPU milliseconds (user + system) of every process now, by pid, and each one's command name; from /proc. */
function allProcessCpu(): Map<number, { comm: string; ms: number }> {
  const now = new Map<number, { comm: string; ms: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      now.set(Number(entry), processStat(Number(entry)));
    } catch {
      // Exited meanwhile.
    }
  }
  return now;
}

/**
 * The CPU every process of the machine uses over time, sampled every
 * `everyMs`, grouped: the pids named in `groups` under their group's name,
 * every other process under its command name (`postgres`, `temporal`,
 * `redis-server`). {@link between} gives each group's CPU milliseconds
 * between two wall-clock times (epoch ms) of the sampling, so a stage found
 * later in a workflow history can be charged to the processes that worked.
 */
export class CpuTimeline {
  private readonly samples: Array<{ at: number; cpu: Map<number, { comm: string; ms: number }> }> = [];
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly groups: () => Record<string, readonly number[]>) {}

  start(everyMs = 100): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    this.samples.push({ at: Date.now(), cpu: allProcessCpu() });
  }

  /** CPU milliseconds of each group between the samples nearest `from` and `to`. */
  between(from: number, to: number): Map<string, number> {
    const nearest = (t: number) =>
      this.samples.reduce((best, s) => (Math.abs(s.at - t) < Math.abs(best.at - t) ? s : best));
    const a = nearest(from).cpu;
    const b = nearest(to).cpu;
    const groupOf = new Map<number, string>();
    for (const [name, pids] of Object.entries(this.groups())) for (const pid of pids) groupOf.set(pid, name);
    const used = new Map<string, number>();
    for (const [pid, end] of b) {
      // A process started meanwhile counts from zero.
      const ms = end.ms - (a.get(pid)?.ms ?? 0);
      if (ms <= 0) continue;
      const group = groupOf.get(pid) ?? end.comm;
      used.set(group, (used.get(group) ?? 0) + ms);
    }
    return used;
  }
}
