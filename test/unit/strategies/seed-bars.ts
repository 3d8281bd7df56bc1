import fs from 'node:fs';
import path from 'node:path';
import type { Bar, EnrichedBar } from '../../../src/domain/bar';
import { enrichBars } from '../../../src/domain/indicators';

/** The shared seed data directory (never copied into the repo). */
export const SEED_DIR = path.resolve(__dirname, '../../../../shared/data/seed');

/** A seed file's stored SMA columns (only the 1980-2021 file has them), by date. */
export interface SeedSma {
  ma7: number | null;
  ma21: number | null;
  ma50: number | null;
  ma200: number | null;
}

/** Reads a seed AAPL CSV (CRLF, mixed quoting, NULL) into bars, enriched by `enrichBars(bars, [])`. */
export function loadSeedBars(file: string): { bars: EnrichedBar[]; seedSma: Map<string, SeedSma> } {
  const lines = fs
    .readFileSync(path.join(SEED_DIR, file), 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const header = lines[0].split(',').map((h) => h.replace(/"/g, ''));
  const col = (name: string) => header.indexOf(name);
  const raw: Bar[] = [];
  const seedSma = new Map<string, SeedSma>();
  const num = (cells: string[], name: string): number | null => {
    const idx = col(name);
    if (idx < 0 || cells[idx] === 'NULL' || cells[idx] === '') return null;
    return Number(cells[idx]);
  };
  for (const line of lines.slice(1)) {
    const cells = line.split(',').map((c) => c.replace(/"/g, ''));
    const date = cells[col('date')];
    raw.push({
      date,
      open: num(cells, 'open')!,
      high: num(cells, 'high')!,
      low: num(cells, 'low')!,
      close: num(cells, 'close')!,
      adjClose: num(cells, 'adj_close')!,
      volume: num(cells, 'volume')!,
    });
    if (col('ma_7') >= 0)
      seedSma.set(date, {
        ma7: num(cells, 'ma_7'),
        ma21: num(cells, 'ma_21'),
        ma50: num(cells, 'ma_50'),
        ma200: num(cells, 'ma_200'),
      });
  }
  return { bars: enrichBars(raw, []), seedSma };
}
