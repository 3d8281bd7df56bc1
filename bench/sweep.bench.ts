import fs from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { parsePriceCsv } from '../src/adapters/market-data/csv-market-data.provider';
import { PostgresPriceRepository } from '../src/adapters/postgres/postgres-price.repository';
import { PostgresRecommendationRepository } from '../src/adapters/postgres/postgres-recommendation.repository';
import { PostgresSweepRepository } from '../src/adapters/postgres/postgres-sweep.repository';
import { RedisRecommendationCache } from '../src/adapters/redis/redis-recommendation.cache';
import { createResearchActivities, type SweepTickerResult } from '../src/activities/research.activities';
import type { SweepResultRow } from '../src/domain/ports';
import { loadConfig } from '../src/config/config';
import { parseGrid, sweepSeries, validateGrid } from '../src/domain/backtest/sweep';
import { enrichBars } from '../src/domain/indicators';
import { validatePriceRows } from '../src/domain/price-validation';
import { BarSeries, BUILT_IN_RULES, ruleStrategy, type AnyStrategy } from '../src/domain/strategies';
import { Cleanup, createBenchDatabase, duration, log, num, since, SP500_DIR } from './support';

/** Issue 4 item 9: 505 tickers x 100 parameter sets of sma_cross, database read included. */
const TARGET_MS = 3_000;
/** 10 fast x 10 slow periods: 100 sets, all valid (fast < slow), 20 distinct averages per ticker. */
const GRID = 'fast=5..50:5,slow=60..240:20';
const BATCH_SIZE = 25;
const LANES = Number(process.env.SWEEP_BENCH_LANES ?? 4);
/** Issue 19: a sweep of a rule strategy stays within this factor of the same sweep of its built-in. */
export const RULE_SWEEP_RATIO_TARGET = 2;
/** Interleaved timings of each, the best kept: one run alone moves by half on a busy machine. */
const RULE_SWEEP_REPEATS = 3;
/** vectorbt's published figure for this kind of simulation, for comparison. */
const VECTORBT_EVALS_PER_SECOND = 48e6;

/** Every S&P file into the bench database (not timed). */
async function loadSp500(prices: PostgresPriceRepository): Promise<string[]> {
  const files = (await fs.readdir(SP500_DIR)).filter((f) => f.endsWith('_data.csv')).sort();
  const tickers = files.map((f) => f.replace(/_data\.csv$/, ''));
  await prices.startRun({ runId: 'bench-load', asOf: '2018-02-07', provider: 'csv', tickers });
  const queue = [...files];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let file = queue.shift(); file; file = queue.shift()) {
        const raw = parsePriceCsv(await fs.readFile(path.join(SP500_DIR, file), 'utf8'), file);
        const bars = enrichBars(validatePriceRows(raw, { asOf: '2018-02-07' }).bars, []);
        await prices.saveIngestion({
          runId: 'bench-load',
          ticker: file.replace(/_data\.csv$/, ''),
          bars,
          rejected: [],
        });
      }
    }),
  );
  return tickers;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The sweep benchmark: 505 S&P tickers x 100 sma_cross parameter sets read
 * from Postgres: the timed figure runs the sweep activities as the workflow
 * runs them (21 batches of 25 tickers, 4 in flight; each batch one bar
 * query, the backtests, one multi-row insert), after one warm-up run; then
 * the parts alone: one read of every bar, the backtests on bars in memory,
 * the inserts.
 */
export async function sweepBench(): Promise<Record<string, number | string>> {
  const cleanup = new Cleanup();
  try {
    const database = await createBenchDatabase('sweep');
    cleanup.add(() => database.destroy());
    const prices = new PostgresPriceRepository(database.db);
    let start = performance.now();
    const tickers = await loadSp500(prices);
    // The state autovacuum leaves a loaded table in (visibility map, statistics).
    await sql`vacuum analyze daily_bars`.execute(database.db);
    log(`loaded ${tickers.length} tickers in ${duration(since(start))} (not timed)`);

    const repo = new PostgresSweepRepository(database.db);
    const config = loadConfig();
    const redis = new Redis(config.redis.url);
    cleanup.add(async () => redis.disconnect());
    const activities = createResearchActivities({
      prices,
      tickerBars: repo,
      sweeps: repo,
      recommendations: new PostgresRecommendationRepository(database.db),
      recommendationCache: new RedisRecommendationCache(redis, `algo-bench-sweep-${process.pid}:`),
    });
    const combos = validateGrid('sma_cross', parseGrid(GRID)).combos.length;

    // The activity path, as the workflow drives it.
    const runSweep = async (sweepId: string) => {
      await activities.startSweep({ sweepId, strategy: 'sma_cross', grid: GRID, tickers: tickers.length });
      const results: SweepTickerResult[] = [];
      const queue = chunk(tickers, BATCH_SIZE);
      await Promise.all(
        Array.from({ length: LANES }, async () => {
          for (let batch = queue.shift(); batch; batch = queue.shift()) {
            results.push(
              ...(await activities.sweepTickerBatch({ sweepId, strategy: 'sma_cross', grid: GRID, tickers: batch })),
            );
          }
        }),
      );
      await activities.finishSweep({ sweepId });
      return results;
    };
    await runSweep('bench-warmup');
    start = performance.now();
    const results = await runSweep('bench-timed');
    const wallMs = since(start);
    const ok = results.filter((r) => r.status === 'ok').length;

    // The parts: one read of every ticker's bars, then the backtests alone.
    start = performance.now();
    const bars = await repo.barsOfTickers(tickers);
    const readMs = since(start);
    const barCount = [...bars.values()].reduce((n, b) => n + b.length, 0);
    const validCombos = validateGrid('sma_cross', parseGrid(GRID)).combos;
    start = performance.now();
    const rows: SweepResultRow[] = [];
    for (const [ticker, b] of bars)
      sweepSeries({ bars: BarSeries.from(b), strategy: 'sma_cross', combos: validCombos }).forEach((r, combo) =>
        rows.push({ ticker, combo, ...r }),
      );
    const computeMs = since(start);
    await activities.startSweep({ sweepId: 'bench-parts', strategy: 'sma_cross', grid: GRID, tickers: tickers.length });
    start = performance.now();
    for (const part of chunk(rows, BATCH_SIZE * combos)) await repo.saveSweepResults('bench-parts', part);
    const insertMs = since(start);
    const evaluations = barCount * combos;

    // The same in-memory sweep of sma_cross written as a rule (built-in-rules.ts), each on fresh series so
    // that neither reuses the other's cached averages.
    const rule = ruleStrategy(BUILT_IN_RULES.find((r) => r.name === 'sma_cross_rule'));
    const sweepInMemory = (strategy: AnyStrategy | 'sma_cross') => {
      const begin = performance.now();
      const out = [...bars.values()].map((b) =>
        sweepSeries({ bars: BarSeries.from(b), strategy, combos: validCombos }),
      );
      return { ms: since(begin), out };
    };
    const builtInMs: number[] = [];
    const ruleMs: number[] = [];
    let sameRows = true;
    for (let k = 0; k < RULE_SWEEP_REPEATS; k++) {
      const a = sweepInMemory('sma_cross');
      const b = sweepInMemory(rule);
      builtInMs.push(a.ms);
      ruleMs.push(b.ms);
      sameRows &&= a.out.every((rows, t) => rows.every((r, c) => r.returnPct === b.out[t][c].returnPct));
    }
    const ratio = Math.min(...ruleMs) / Math.min(...builtInMs);
    log(`rule sweep: built-in ${builtInMs.map(Math.round).join('/')} ms, rule ${ruleMs.map(Math.round).join('/')} ms`);

    const figures: Record<string, number | string> = {
      'sweep tickers': ok,
      'sweep parameter sets': combos,
      'sweep backtests': ok * combos,
      'sweep bars per ticker (mean)': Math.round(barCount / bars.size),
      'sweep wall ms (activities: read + backtests + insert)': Math.round(wallMs),
      'sweep target ms': TARGET_MS,
      'sweep target met': wallMs <= TARGET_MS ? 'yes' : 'no',
      'sweep db read ms (all bars, one pass)': Math.round(readMs),
      'sweep compute ms (in memory)': Math.round(computeMs),
      'sweep insert ms (all rows, 21 statements)': Math.round(insertMs),
      'sweep bar-evaluations per second (compute)': Math.round(evaluations / (computeMs / 1000)),
      'sweep bar-evaluations per second (wall)': Math.round(evaluations / (wallMs / 1000)),
      'vectorbt published bar-evaluations per second': VECTORBT_EVALS_PER_SECOND,
      'sweep built-in compute ms (sma_cross, in memory, best of 3)': Math.round(Math.min(...builtInMs)),
      'sweep rule compute ms (sma_cross_rule, in memory, best of 3)': Math.round(Math.min(...ruleMs)),
      'sweep rule rows equal the built-in': sameRows ? 'yes' : 'NO',
      'sweep rule / built-in compute ratio': Math.round(ratio * 100) / 100,
    };
    return figures;
  } finally {
    await cleanup.run();
  }
}

if (require.main === module) {
  sweepBench().then(
    (figures) => {
      for (const [k, v] of Object.entries(figures))
        process.stdout.write(`${k.padEnd(56)} ${typeof v === 'number' ? num(v) : v}\n`);
    },
    (err) => {
      process.stderr.write(`sweep benchmark failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
