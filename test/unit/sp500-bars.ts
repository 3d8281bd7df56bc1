import fs from 'node:fs';
import path from 'node:path';
import { parsePriceCsv } from '../../src/adapters/market-data/csv-market-data.provider';
import type { EnrichedBar } from '../../src/domain/bar';
import { enrichBars } from '../../src/domain/indicators';
import { validatePriceRows } from '../../src/domain/price-validation';

/** The shared S&P 500 five-year files (never copied into the repo). */
export const SP500_DIR = path.resolve(__dirname, '../../../shared/data/sp500_5yr');

/** A real S&P ticker's bars, validated and enriched as ingestion stores them. */
export function loadSp500(ticker: string): EnrichedBar[] {
  const file = `${ticker}_data.csv`;
  const raw = parsePriceCsv(fs.readFileSync(path.join(SP500_DIR, file), 'utf8'), file);
  return enrichBars(validatePriceRows(raw, { asOf: '2018-02-07' }).bars, []);
}
