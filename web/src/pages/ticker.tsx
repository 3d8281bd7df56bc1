import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, asApiError } from '../api/client';
import type { paths } from '../api/schema';
import { RecommendationCard } from '../research/evidence';
import { addDays, labelName, num, signalPath, tickerPath } from '../research/format';
import { StrategyChart, useChartData } from '../research/strategy-chart';

type State = paths['/tickers/{ticker}/state']['get']['responses'][200]['content']['application/json'];

const WINDOWS = [
  { label: '6 months', days: 182 },
  { label: '1 year', days: 365 },
  { label: '3 years', days: 3 * 365 },
  { label: '5 years', days: 5 * 365 },
];

/**
 * /app/tickers/:ticker: the price chart with the chosen strategy's indicators
 * and every recorded signal of it as a marker (a date window at a time), the
 * state per strategy, the recommendation and its evidence, the latest signals.
 */
export default function TickerPage() {
  const { params } = useRoute();
  const { query, route, path } = useLocation();
  const ticker = decodeURIComponent(params.ticker ?? '').toUpperCase();
  const [state, setState] = useState<State | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setState(null);
    api.GET('/tickers/{ticker}/state', { params: { path: { ticker } } }).then(
      ({ data, error: err }) => (err || !data ? setError(asApiError(err).message) : setState(data)),
      (e: unknown) => setError(asApiError(e).message),
    );
  }, [ticker]);

  const strategy = query.strategy || state?.strategies[0]?.strategy.label;
  const last = state?.stored?.last;
  const to = query.to || last;
  const from = query.from || (to ? addDays(to, -365) : undefined);
  const withBacktest = query.backtest === '1';
  // A window that ends before it starts has nothing to draw: said at the fields, no chart asked for.
  const windowError =
    from && to && from > to ? `From (${from}) is after To (${to}): pick a From on or before To.` : undefined;
  const windowProblem = windowError ? { 'aria-invalid': 'true' as const, 'aria-describedby': 'window-error' } : {};
  const setQuery = (next: Record<string, string | undefined>) => {
    const q = new URLSearchParams();
    const backtest = withBacktest ? '1' : undefined;
    for (const [k, v] of Object.entries({ strategy, from, to, backtest, ...next })) if (v) q.set(k, v);
    route(`${path}?${q.toString()}`, true);
  };

  return (
    <section>
      <h1>{ticker}</h1>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {!state && !error && <p aria-busy="true">Loading…</p>}
      {state && !state.stored && <p>No prices stored yet: the next daily run ingests {ticker}.</p>}
      {state && state.stored && strategy && from && to && (
        <>
          <form class="controls" onSubmit={(e) => e.preventDefault()} aria-label="Chart window">
            <div class="field">
              <label for="strategy">Strategy</label>
              <select
                id="strategy"
                value={strategy}
                onChange={(e) => setQuery({ strategy: (e.currentTarget as HTMLSelectElement).value })}
              >
                {state.strategies.map((s) => (
                  <option key={s.strategy.label} value={s.strategy.label}>
                    {labelName(s.strategy.label)}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="from">From</label>
              <input
                id="from"
                type="date"
                value={from}
                min={state.stored.first}
                max={to}
                {...windowProblem}
                onChange={(e) => setQuery({ from: (e.currentTarget as HTMLInputElement).value })}
              />
              {windowError && (
                <div id="window-error" class="field-error" role="alert" data-field-error="from">
                  {windowError}
                </div>
              )}
            </div>
            <div class="field">
              <label for="to">To</label>
              <input
                id="to"
                type="date"
                value={to}
                min={from}
                max={state.stored.last}
                {...windowProblem}
                onChange={(e) => setQuery({ to: (e.currentTarget as HTMLInputElement).value })}
              />
            </div>
            <div class="field" role="group" aria-label="Window length">
              {WINDOWS.map((w) => (
                <button
                  key={w.label}
                  type="button"
                  class="secondary small"
                  onClick={() => setQuery({ from: addDays(to, -w.days) })}
                >
                  {w.label}
                </button>
              ))}
            </div>
            <div class="field">
              <label>
                <input
                  type="checkbox"
                  checked={withBacktest}
                  onChange={(e) => setQuery({ backtest: (e.currentTarget as HTMLInputElement).checked ? '1' : '' })}
                />{' '}
                Also show what the strategy would have signalled over this window
              </label>
            </div>
          </form>
          {!windowError && (
            <TickerChart ticker={ticker} strategy={strategy} from={from} to={to} withBacktest={withBacktest} />
          )}
          <StrategyStates state={state} current={strategy} />
          {state.recommendation && <RecommendationCard rec={state.recommendation} />}
          <LatestSignals state={state} />
        </>
      )}
    </section>
  );
}

function TickerChart({
  ticker,
  strategy,
  from,
  to,
  withBacktest,
}: {
  ticker: string;
  strategy: string;
  from: string;
  to: string;
  withBacktest: boolean;
}) {
  const { data, error } = useChartData(ticker, { strategy, from, to });
  if (error)
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  if (!data) return <p aria-busy="true">Loading the chart…</p>;
  return (
    <>
      <StrategyChart
        data={data}
        withBacktest={withBacktest}
        label={
          `${ticker} from ${data.from} to ${data.to} with ${labelName(strategy)}: ${data.markers.length} signals marked` +
          (withBacktest
            ? `; ${data.wouldSignal.length} the strategy would have signalled over the window, drawn as circles apart`
            : '')
        }
      />
      <p class="muted" data-testid="chart-rule">
        <strong>{data.strategy.name}</strong>: {data.strategy.rules}
        {data.truncated ? ` (window cut to its last ${data.bars.length} days)` : ''}
      </p>
    </>
  );
}

function StrategyStates({ state, current }: { state: State; current: string }) {
  return (
    <section aria-labelledby="state-h">
      <h2 id="state-h">State per strategy</h2>
      <div class="table-wrap" tabIndex={0}>
        <table data-testid="strategy-states">
          <thead>
            <tr>
              <th>Strategy</th>
              <th>Position</th>
              <th>Last signal</th>
              <th>Last BUY</th>
              <th>Last SELL</th>
              <th class="num">BUY/SELL</th>
            </tr>
          </thead>
          <tbody>
            {state.strategies.map((s) => (
              <tr key={s.strategy.label} aria-current={s.strategy.label === current ? 'true' : undefined}>
                <th scope="row">
                  <a href={tickerPath(state.ticker, s.strategy.label)}>{labelName(s.strategy.label)}</a>{' '}
                  <span class="muted">
                    {Object.entries(s.strategy.params)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(' ')}
                  </span>
                </th>
                <td class={s.position === 'long' ? 'buy' : undefined}>
                  {s.position === 'long' ? 'in (long)' : s.position === 'flat' ? 'out (flat)' : 'not run yet'}
                </td>
                <td>{s.lastSignal ? `${s.lastSignal.signal} ${s.lastSignal.date}` : '–'}</td>
                <td>
                  {s.lastBuy ? (
                    <a href={signalPath({ ticker: state.ticker, strategy: s.strategy.label, date: s.lastBuy })}>
                      {s.lastBuy}
                    </a>
                  ) : (
                    '–'
                  )}
                </td>
                <td>
                  {s.lastSell ? (
                    <a href={signalPath({ ticker: state.ticker, strategy: s.strategy.label, date: s.lastSell })}>
                      {s.lastSell}
                    </a>
                  ) : (
                    '–'
                  )}
                </td>
                <td class="num">{s.trades}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function LatestSignals({ state }: { state: State }) {
  return (
    <section aria-labelledby="latest-h">
      <h2 id="latest-h">Latest signals</h2>
      {state.latestSignals.length === 0 ? (
        <p>No BUY or SELL recorded yet.</p>
      ) : (
        <div class="table-wrap" tabIndex={0}>
          <table data-testid="latest-signals">
            <thead>
              <tr>
                <th>Date</th>
                <th>Signal</th>
                <th>Strategy</th>
                <th class="num">Close</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {state.latestSignals.map((s) => (
                <tr key={`${s.date}-${s.strategy}`}>
                  <td>{s.date}</td>
                  <td class={s.signal === 'BUY' ? 'buy' : 'sell'}>{s.signal}</td>
                  <td>{labelName(s.strategy)}</td>
                  <td class="num">{num(s.close)}</td>
                  <td>
                    <a href={signalPath(s)}>why?</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
