import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, asApiError, listItems } from '../api/client';
import type { paths } from '../api/schema';
import { formatMetric, paramText, pct } from '../components/metrics';
import { Form } from '../components/form';

type Folds = paths['/recommendations/{ticker}/folds']['get']['responses'][200]['content']['application/json'];
type Candidate = Folds['candidates'][number];

/** A bar of width |v| (relative to `scale`), green above zero, red below: the fold table's visual. */
function Bar({ value, scale, label }: { value: number; scale: number; label: string }) {
  const width = scale > 0 ? Math.min(100, (Math.abs(value) / scale) * 100) : 0;
  return (
    <span class="bar" aria-hidden="true" title={label}>
      <i style={{ width: `${width}%`, background: value >= 0 ? 'var(--buy)' : 'var(--sell)' }} />
    </span>
  );
}

function FoldTable({ candidate }: { candidate: Candidate }) {
  const scale = Math.max(
    1,
    ...candidate.folds.flatMap((f) => [Math.abs(f.test.returnPct), Math.abs(f.buyAndHoldReturnPct)]),
  );
  const beat = candidate.folds.filter((f) => f.test.returnPct > f.buyAndHoldReturnPct).length;
  return (
    <div class="table-wrap" tabIndex={0}>
      <table class="folds" data-testid={`folds-${candidate.strategy}`}>
        <caption>
          {candidate.strategy}: {candidate.folds.length} folds, beat buy and hold in {beat}. Out of sample{' '}
          {pct(candidate.outOfSample.returnPct)}, Sharpe {formatMetric(candidate.outOfSample.sharpe)},{' '}
          {candidate.outOfSample.trades} trades{candidate.reason ? ` (not eligible: ${candidate.reason})` : ''}. Bars:
          the strategy's test return, then buy and hold's.
        </caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col" class="wrap">
              Train window
            </th>
            <th scope="col" class="wrap">
              Chosen on train (train Sharpe)
            </th>
            <th scope="col" class="wrap">
              Test window
            </th>
            <th scope="col" class="num">
              Test return
            </th>
            <th scope="col" class="num">
              Buy and hold
            </th>
            <th scope="col">Beat hold?</th>
          </tr>
        </thead>
        <tbody>
          {candidate.folds.map((f, i) => {
            const won = f.test.returnPct > f.buyAndHoldReturnPct;
            return (
              <tr key={f.testFrom}>
                <td class="num">{i + 1}</td>
                <td class="wrap">
                  <span class="nw">{f.trainFrom}</span> … <span class="nw">{f.trainTo}</span>
                </td>
                <td class="wrap">
                  {f.params ? (
                    <>
                      {paramText(f.params)} <span class="muted">({f.train ? formatMetric(f.train.sharpe) : '–'})</span>
                    </>
                  ) : (
                    <span class="muted">nothing traded enough: cash</span>
                  )}
                </td>
                <td class="wrap">
                  <span class="nw">{f.testFrom}</span> … <span class="nw">{f.testTo}</span>
                </td>
                <td class={`num ${f.test.returnPct >= 0 ? 'buy' : 'sell'}`}>{pct(f.test.returnPct)}</td>
                <td class="num">{pct(f.buyAndHoldReturnPct)}</td>
                <td class="bars">
                  <span>{won ? '✓ yes' : '✗ no'}</span>
                  <Bar value={f.test.returnPct} scale={scale} label={`strategy ${pct(f.test.returnPct)}`} />
                  <Bar
                    value={f.buyAndHoldReturnPct}
                    scale={scale}
                    label={`buy and hold ${pct(f.buyAndHoldReturnPct)}`}
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A ticker's walk-forward recommendation: per candidate strategy, the folds
 * (train and test windows, the parameters chosen on train, the out-of-sample
 * result against buy-and-hold over the same test window). Only test windows
 * count as evidence.
 */
export default function Recommendation() {
  const { params } = useRoute();
  const { route } = useLocation();
  const ticker = (params.ticker ?? '').toUpperCase();
  const [tickers, setTickers] = useState<string[]>([]);
  const [folds, setFolds] = useState<Folds | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);

  useEffect(() => {
    api.GET('/tickers').then(
      ({ data }) => setTickers(listItems<{ ticker: string }>(data, 'tickers').map((t) => t.ticker)),
      () => undefined,
    );
  }, []);
  useEffect(() => {
    setFolds(null);
    setError(null);
    if (!ticker) return;
    api.GET('/recommendations/{ticker}/folds', { params: { path: { ticker } } }).then(
      ({ data, error: err, response }) => (data ? setFolds(data) : setError(asApiError(err, response.status).message)),
      (e: unknown) => setError(asApiError(e).message),
    );
  }, [ticker]);

  const shown =
    folds?.candidates.find((c) => c.strategy === open) ??
    folds?.candidates.find((c) => c.recommended) ??
    folds?.candidates[0];
  return (
    <section>
      <h1>Recommendation{ticker ? ` for ${ticker}` : ''}</h1>
      <Form class="card inline" aria-label="Choose a ticker" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="rec-ticker">Ticker</label>
          <select
            id="rec-ticker"
            value={ticker}
            onChange={(e) =>
              route(`/app/recommendations/${encodeURIComponent((e.currentTarget as HTMLSelectElement).value)}`)
            }
          >
            <option value="" disabled>
              Pick a ticker
            </option>
            {[...new Set([...tickers, ...(ticker ? [ticker] : [])])].map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
      </Form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {folds && (
        <>
          <p class="headline" data-testid="recommendation-headline">
            {folds.strategy ? (
              <>
                Follow <strong>{folds.strategy}</strong> ({paramText(folds.params)}), chosen on the latest{' '}
                {folds.options.trainDays} days.
              </>
            ) : (
              <>No strategy is recommended: {folds.reason}</>
            )}{' '}
            <span class="muted">
              Run {folds.runId}, data up to {folds.asOf}; train {folds.options.trainDays} days, test{' '}
              {folds.options.testDays}, step {folds.options.stepDays}.
            </span>
          </p>
          <div class="table-wrap" tabIndex={0}>
            <table data-testid="candidates">
              <caption>Candidates ranked on the test windows only, against buy and hold over the same windows</caption>
              <thead>
                <tr>
                  <th scope="col">Strategy</th>
                  <th scope="col" class="num">
                    Out-of-sample return
                  </th>
                  <th scope="col" class="num">
                    Sharpe
                  </th>
                  <th scope="col" class="num">
                    Max drawdown
                  </th>
                  <th scope="col" class="num">
                    Trades
                  </th>
                  <th scope="col">Verdict</th>
                </tr>
              </thead>
              <tbody>
                {folds.baseline && (
                  <tr class="muted">
                    <th scope="row">buy and hold</th>
                    <td class="num">{pct(folds.baseline.returnPct)}</td>
                    <td class="num">{formatMetric(folds.baseline.sharpe)}</td>
                    <td class="num">{formatMetric(folds.baseline.maxDrawdownPct, '%')}</td>
                    <td class="num">–</td>
                    <td>the baseline</td>
                  </tr>
                )}
                {folds.candidates.map((c) => (
                  <tr key={c.strategy}>
                    <th scope="row">
                      <button
                        type="button"
                        class="link"
                        aria-pressed={shown?.strategy === c.strategy}
                        onClick={() => setOpen(c.strategy)}
                      >
                        {c.strategy}
                      </button>
                    </th>
                    <td class="num">{pct(c.outOfSample.returnPct)}</td>
                    <td class="num">{formatMetric(c.outOfSample.sharpe)}</td>
                    <td class="num">{formatMetric(c.outOfSample.maxDrawdownPct, '%')}</td>
                    <td class="num">{c.outOfSample.trades}</td>
                    <td>
                      {c.recommended ? (
                        <strong class="buy">recommended</strong>
                      ) : c.eligible ? (
                        'eligible'
                      ) : (
                        <span class="muted">{c.reason}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {shown && (
            <>
              <h2>Walk-forward folds of {shown.strategy}</h2>
              <FoldTable candidate={shown} />
            </>
          )}
        </>
      )}
    </section>
  );
}
