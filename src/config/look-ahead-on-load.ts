import fs from 'node:fs';
import path from 'node:path';
import { parsePriceCsv } from '../adapters/market-data/csv-market-data.provider';
import type { EnrichedBar } from '../domain/bar';
import { BadInputError } from '../domain/errors';
import { enrichBars } from '../domain/indicators';
import { validatePriceRows } from '../domain/price-validation';
import { checkLookAhead, lookAheadRefusal } from '../domain/strategies/look-ahead';
import type { AnyStrategy } from '../domain/strategies/strategy';

/** The series every plugin and configured rule is checked on before it is registered: the bundled AAPL sample. */
export const REFERENCE_BARS_FILE = path.resolve(__dirname, '..', '..', 'data', 'sample', 'AAPL_data.csv');
/**
 * Its last three years: the check cuts the history at a third, so a warm-up
 * of up to 500 bars (two years) is measured; the check is quadratic, so more
 * would slow every start.
 */
const REFERENCE_BAR_COUNT = 750;

let referenceBars: EnrichedBar[] | undefined;

/** The bundled reference series, read once per process. */
export function lookAheadReferenceBars(): EnrichedBar[] {
  if (!referenceBars) {
    const raw = parsePriceCsv(fs.readFileSync(REFERENCE_BARS_FILE, 'utf8'), REFERENCE_BARS_FILE);
    const asOf = new Date().toISOString().slice(0, 10);
    referenceBars = enrichBars(validatePriceRows(raw, { asOf }).bars, []).slice(-REFERENCE_BAR_COUNT);
  }
  return referenceBars;
}

/**
 * Refuses a strategy that looks ahead or declares too short a lookback (with
 * its defaults, on the reference series), naming the first offending day:
 * what a plugin or a configured rule must pass before it is registered.
 */
export function refuseLookAhead(strategy: AnyStrategy, bars: readonly EnrichedBar[] = lookAheadReferenceBars()): void {
  const refusal = lookAheadRefusal(checkLookAhead(strategy, undefined, bars));
  if (refusal) throw new BadInputError(`strategy ${strategy.name} ${refusal}`);
}
