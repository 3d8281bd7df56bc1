/**
 * Buy-and-hold, the baseline every strategy is held against: the capital
 * spent on the first day's close and held to the last. One definition for the
 * metrics, the walk-forward windows, the report chart and the playground chart.
 */

/** (close[to] / close[from] - 1) x 100; `null` for no closes or a first close <= 0. */
export function buyAndHoldReturnPct(closes: ArrayLike<number>, from = 0, to = closes.length - 1): number | null {
  if (closes.length === 0 || !(closes[from] > 0)) return null;
  return (closes[to] / closes[from] - 1) * 100;
}

/** The value each day of `capital` bought at the first close and held: capital x close[i] / close[0]. */
export function buyAndHoldCurve(capital: number, closes: ArrayLike<number>): number[] {
  const first = closes[0];
  return Array.from(closes, (c) => (capital * c) / first);
}
