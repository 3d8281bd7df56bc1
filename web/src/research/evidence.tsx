import type { paths } from '../api/schema';
import { drawdown, labelName, num, pct } from './format';

export type Recommendation = NonNullable<
  paths['/tickers/{ticker}/state']['get']['responses'][200]['content']['application/json']['recommendation']
>;

const params = (p: Record<string, number> | null | undefined) =>
  p
    ? Object.entries(p)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')
    : '–';

/** The recommendation with its out-of-sample evidence: stitched test windows against buy-and-hold, and every fold. */
export function RecommendationCard({ rec }: { rec: Recommendation }) {
  return (
    <section class="card" aria-labelledby="rec-h" data-testid="recommendation">
      <h2 id="rec-h">Recommendation</h2>
      {rec.strategy ? (
        <p>
          <strong>{labelName(rec.strategy)}</strong> with {params(rec.params)}, chosen on {rec.asOf} by walk-forward
          over {rec.windows ?? '?'} windows.
        </p>
      ) : (
        <p>Nothing recommended: {rec.reason}</p>
      )}
      {rec.outOfSample && (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <caption class="muted">
              Out of sample only (test windows stitched; nothing here chose the parameters)
            </caption>
            <thead>
              <tr>
                <th></th>
                <th class="num">Return</th>
                <th class="num">Sharpe</th>
                <th class="num">Max drawdown</th>
                <th class="num">Trades</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">{rec.strategy}</th>
                <td class="num">{pct(rec.outOfSample.returnPct)}</td>
                <td class="num">{num(rec.outOfSample.sharpe)}</td>
                <td class="num">{drawdown(rec.outOfSample.maxDrawdownPct)}</td>
                <td class="num">{rec.outOfSample.trades}</td>
              </tr>
              {rec.baseline && (
                <tr>
                  <th scope="row">buy and hold</th>
                  <td class="num">{pct(rec.baseline.returnPct)}</td>
                  <td class="num">{num(rec.baseline.sharpe)}</td>
                  <td class="num">{drawdown(rec.baseline.maxDrawdownPct)}</td>
                  <td class="num">–</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {rec.folds.length > 0 && (
        <details>
          <summary>The {rec.folds.length} walk-forward folds</summary>
          <div class="table-wrap" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th>Train</th>
                  <th>Test</th>
                  <th>Chosen on train</th>
                  <th class="num">Test return</th>
                  <th class="num">Buy and hold</th>
                  <th class="num">Trades</th>
                </tr>
              </thead>
              <tbody>
                {rec.folds.map((f) => (
                  <tr key={f.testFrom}>
                    <td>
                      {f.trainFrom} – {f.trainTo}
                    </td>
                    <td>
                      {f.testFrom} – {f.testTo}
                    </td>
                    <td>{params(f.params)}</td>
                    <td class="num">{pct(f.test.returnPct)}</td>
                    <td class="num">{pct(f.buyAndHoldReturnPct)}</td>
                    <td class="num">{f.test.trades}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
      {rec.candidates.length > 1 && (
        <p class="muted">
          Also judged:{' '}
          {rec.candidates
            .filter((c) => c.strategy !== rec.strategy)
            .map((c) => `${c.strategy} (${pct(c.outOfSample.returnPct)}${c.eligible ? '' : ', not eligible'})`)
            .join('; ')}
        </p>
      )}
    </section>
  );
}
