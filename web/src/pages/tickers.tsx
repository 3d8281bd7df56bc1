import { useEffect, useState } from 'preact/hooks';
import { api, asApiError, listItems } from '../api/client';
import { tickerPath } from '../research/format';

/** /app/tickers: pick a tracked ticker. */
export default function TickerIndex() {
  const [tickers, setTickers] = useState<Array<{ ticker: string; lastDate: string | null }> | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.GET('/tickers').then(
      ({ data, error: err }) => (err ? setError(asApiError(err).message) : setTickers(listItems(data, 'tickers'))),
      (e: unknown) => setError(String(e)),
    );
  }, []);
  return (
    <section>
      <h1>Tickers</h1>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {!tickers && !error && <p aria-busy="true">Loading…</p>}
      {tickers && (
        <ul class="cards" data-testid="ticker-list">
          {tickers.map((t) => (
            <li key={t.ticker}>
              <a href={tickerPath(t.ticker)}>
                {t.ticker}
                <span class="muted"> {t.lastDate ? `to ${t.lastDate}` : 'no data yet'}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
