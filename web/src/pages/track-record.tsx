import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, asApiError, type ApiError } from '../api/client';
import type { paths } from '../api/schema';
import { fieldErrors, Form, FormResult } from '../components/form';
import { labelName, pct, rate, signalPath, tickerPath } from '../research/format';

type Page = paths['/track-record']['get']['responses'][200]['content']['application/json'];
type Item = Page['items'][number];
type Horizon = Item['actual'][number];

const cell = (h: Horizon | undefined) => (h && h.signals > 0 ? `${rate(h.hitRate)} of ${h.signals}` : '–');

/**
 * /app/track-record: per strategy and ticker, how the signals actually
 * emailed did (BUYs up, SELLs down after 5/20/60 trading days), beside what
 * the same rules showed on the history before the first one was sent. Paged.
 */
export default function TrackRecordPage() {
  const { query, route, path } = useLocation();
  const [items, setItems] = useState<Item[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  /** Searches submitted: the answer to one takes the focus. */
  const [attempt, setAttempt] = useState(0);
  const [loading, setLoading] = useState(false);
  const [ticker, setTicker] = useState(query.ticker ?? '');
  const errors = fieldErrors(error, ['ticker', 'strategy']);

  const load = async (after?: string) => {
    setLoading(true);
    setError(null);
    try {
      const { data, error: err } = await api.GET('/track-record', {
        params: {
          query: {
            ...(query.ticker ? { ticker: query.ticker } : {}),
            ...(query.strategy ? { strategy: query.strategy } : {}),
            limit: 25,
            ...(after ? { cursor: after } : {}),
          },
        },
      });
      if (err || !data) setError(asApiError(err));
      else {
        setItems((prev) => (after ? [...prev, ...data.items] : data.items));
        setCursor(data.nextCursor);
      }
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load();
  }, [query.ticker, query.strategy]);

  return (
    <section>
      <h1>Track record</h1>
      <p>
        Every BUY and SELL that was emailed, judged by what the price did next: a BUY is a hit when the close 5, 20 or
        60 trading days later is higher, a SELL when it is lower. Beside it, what the same rules showed on the history
        before the first email (a backtest's promise, with nothing of the tracked period in it).
      </p>
      <Form
        class="controls"
        onSubmit={(e) => {
          e.preventDefault();
          setAttempt((n) => n + 1);
          route(`${path}${ticker ? `?ticker=${encodeURIComponent(ticker.trim().toUpperCase())}` : ''}`);
        }}
      >
        <div class={`field${errors.ticker ? ' has-error' : ''}`}>
          <label for="tr-ticker">Ticker</label>
          <input
            id="tr-ticker"
            type="search"
            value={ticker}
            placeholder="all"
            aria-invalid={errors.ticker ? 'true' : undefined}
            aria-describedby={errors.ticker ? 'tr-ticker-error' : undefined}
            onInput={(e) => setTicker((e.currentTarget as HTMLInputElement).value)}
          />
          {errors.ticker && (
            <div id="tr-ticker-error" class="field-error" role="alert" data-field-error="ticker">
              {errors.ticker}
            </div>
          )}
        </div>
        <button type="submit">Show</button>
      </Form>
      <FormResult
        errors={errors}
        ok={
          attempt > 0 && !loading
            ? items.length
              ? `The track record${query.ticker ? ` of ${query.ticker}` : ''} follows.`
              : 'No emailed signal matches.'
            : undefined
        }
        attempt={attempt}
      />
      {items.length === 0 && !loading && !error && <p>No emailed signal yet.</p>}
      {items.length > 0 && (
        <div class="table-wrap" tabIndex={0}>
          <table data-testid="track-record">
            <thead>
              <tr>
                <th rowspan={2}>Ticker</th>
                <th rowspan={2}>Strategy</th>
                <th rowspan={2} class="num">
                  Sent
                </th>
                <th colspan={3}>Hit rate of sent signals</th>
                <th colspan={3}>Backtest before them</th>
                <th rowspan={2}>Last sent</th>
              </tr>
              <tr>
                <th class="num">5 d</th>
                <th class="num">20 d</th>
                <th class="num">60 d</th>
                <th class="num">5 d</th>
                <th class="num">20 d</th>
                <th class="num">60 d</th>
              </tr>
            </thead>
            <tbody>
              {items.map((it) => (
                <tr key={`${it.ticker}-${it.strategy.label}`}>
                  <th scope="row">
                    <a href={tickerPath(it.ticker, it.strategy.label)}>{it.ticker}</a>
                  </th>
                  <td>{labelName(it.strategy.label)}</td>
                  <td class="num">
                    {it.buys} BUY, {it.sells} SELL
                  </td>
                  {it.actual.map((h) => (
                    <td
                      key={`a${h.days}`}
                      class="num"
                      title={`mean move in the signal's direction ${pct(h.meanEdgePct, 2)}`}
                    >
                      {cell(h)}
                    </td>
                  ))}
                  {it.promised.horizons.map((h) => (
                    <td
                      key={`p${h.days}`}
                      class="num muted"
                      title={`${it.promised.from ?? ''} – ${it.promised.to ?? ''}, mean ${pct(h.meanEdgePct, 2)}`}
                    >
                      {cell(h)}
                    </td>
                  ))}
                  <td>
                    <a href={signalPath({ ticker: it.ticker, strategy: it.strategy.label, date: it.lastSent })}>
                      {it.lastSent}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {items.some((i) => i.recommendation) && (
        <p class="muted">
          Recommended strategies also had a walk-forward promise, out of sample:{' '}
          {items
            .filter((i) => i.recommendation?.outOfSample)
            .map(
              (i) =>
                `${i.ticker} ${i.strategy.name} ${pct(i.recommendation!.outOfSample!.returnPct)} (buy and hold ${pct(i.recommendation!.baseline?.returnPct)})`,
            )
            .join('; ')}
          .
        </p>
      )}
      {loading && <p aria-busy="true">Loading…</p>}
      {cursor && !loading && (
        <button type="button" class="secondary" onClick={() => void load(cursor)}>
          Load more
        </button>
      )}
    </section>
  );
}
