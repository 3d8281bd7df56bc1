import type { EnrichedBar } from '../bar';
import { tradingDays } from '../calendar';
import { BadInputError } from '../errors';
import { enrichBars } from '../indicators';
import { checkLookAhead } from './look-ahead';
import type { AnyStrategy } from './strategy';

/** Bars of the sample series: enough for a 200-day average to hold on a hundred days. */
const SAMPLE_FROM = '2019-01-02';
const SAMPLE_TO = '2020-03-31';

/**
 * A fixed, made-up daily series (about 315 NYSE days) for the look-ahead check
 * a strategy passes before it is saved: a seeded random walk with trends,
 * gaps between the days and changing volume, so that every kind of operand
 * (prices, volume, averages, ranges) moves. The same bars on every call.
 */
export function lookAheadSampleBars(): EnrichedBar[] {
  let seed = 19;
  // A small linear congruential generator: the series must not depend on Math.random.
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  let close = 100;
  const bars = tradingDays(SAMPLE_FROM, SAMPLE_TO).map((date, i) => {
    const trend = 0.004 * Math.sin((2 * Math.PI * i) / 120);
    const open = close * (1 + (next() - 0.5) * 0.01);
    close = Math.max(1, close * (1 + trend + (next() - 0.5) * 0.04));
    const high = Math.max(open, close) * (1 + next() * 0.01);
    const low = Math.min(open, close) * (1 - next() * 0.01);
    const volume = Math.round(1_000_000 * (0.5 + next()));
    return { date, open, high, low, close, adjClose: close, volume };
  });
  return enrichBars(bars, []);
}

/**
 * Refuses (BadInputError) a strategy that looks ahead on `bars` (default the
 * sample series) with its default parameters, naming the first day whose
 * signal or inputs change once the later bars are removed; or whose declared
 * lookback is shorter than the warm-up its indicators need.
 */
export function refuseLookAhead(strategy: AnyStrategy, bars: readonly EnrichedBar[] = lookAheadSampleBars()): void {
  const report = checkLookAhead(strategy, undefined, bars);
  const first = report.firstDifference;
  if (first) {
    const what = first.what === 'input' ? `its value ${first.key}` : `its ${first.what}`;
    throw new BadInputError(
      `strategy ${strategy.name} looks ahead: first on ${first.date} (day ${first.index + 1} of the sample), ` +
        `${what} is ${JSON.stringify(first.whole)} with the later bars and ${JSON.stringify(first.truncated)} ` +
        `with only the bars up to that day (${report.differingDays} days differ)`,
    );
  }
  if (!report.warmUp.ok) {
    const { declared, needed } = report.warmUp;
    throw new BadInputError(
      `strategy ${strategy.name} declares a lookback of ${declared} bars but its days need ${needed} bars of history`,
    );
  }
}
