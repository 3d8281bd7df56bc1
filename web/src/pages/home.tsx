import { useEffect, useState } from 'preact/hooks';
import { api, asApiError, listItems } from '../api/client';
import { ROUTES } from '../routes';

interface TickerRow {
  ticker: string;
  lastDate: string | null;
}

/** The start page: what the app does, the tracked tickers, links to every page. */
export default function Home() {
  const [tickers, setTickers] = useState<TickerRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.GET('/tickers').then(
      ({ data, error: err }) => {
        if (err) setError(asApiError(err).message);
        else setTickers(listItems<TickerRow>(data, 'tickers'));
      },
      (e: unknown) => setError(String(e)),
    );
  }, []);
  return (
    <section>
      <h1>Algo Signals</h1>
      <p>
        Daily BUY and SELL signals for the tickers you follow, by email, with the chart and the numbers behind each one.
        Backtest the strategies yourself before you trust them.
      </p>
      <nav aria-label="Pages">
        <ul class="cards">
          {ROUTES.filter((r) => r.nav && r.path !== '/app/').map((r) => (
            <li key={r.path}>
              <a href={r.path}>{r.nav}</a>
            </li>
          ))}
        </ul>
      </nav>
      <h2>Tracked tickers</h2>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {!tickers && !error && <p aria-busy="true">Loading…</p>}
      {tickers && (
        <p class="tickers" data-testid="tracked-tickers">
          {tickers.length === 0
            ? 'None yet.'
            : tickers.map((t) => (
                <span key={t.ticker} class="chip" title={t.lastDate ? `data up to ${t.lastDate}` : 'no data yet'}>
                  {t.ticker}
                </span>
              ))}
        </p>
      )}
    </section>
  );
}
