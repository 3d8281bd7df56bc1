import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, asApiError } from '../api/client';
import type { paths } from '../api/schema';
import { formatMetric, paramText } from '../components/metrics';
import { Form } from '../components/form';

type Heatmap = paths['/sweeps/{id}/heatmap']['get']['responses'][200]['content']['application/json'];
type SweepList = paths['/sweeps']['get']['responses'][200]['content']['application/json'];
type Metric = Heatmap['metric'];

const METRIC_LABEL: Record<Metric, string> = {
  sharpe: 'Sharpe',
  returnPct: 'Return %',
  maxDrawdownPct: 'Max drawdown %',
  numTrades: 'Orders',
};

/** Cell colour: red (worst) to green (best) over the map's range; drawdown reversed. */
function colour(value: number | null, min: number, max: number, metric: Metric): string {
  if (value === null) return '#eceff3';
  let t = max > min ? (value - min) / (max - min) : 0.5;
  if (metric === 'maxDrawdownPct') t = 1 - t;
  const hue = Math.round(t * 120);
  return `hsl(${hue} 65% ${78 - Math.round(Math.abs(t - 0.5) * 20)}%)`;
}

function SweepList() {
  const [page, setPage] = useState<SweepList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  useEffect(() => {
    api.GET('/sweeps', { params: { query: { limit: 20, ...(cursor ? { cursor } : {}) } } }).then(
      ({ data, error: err, response }) => (data ? setPage(data) : setError(asApiError(err, response.status).message)),
      (e: unknown) => setError(asApiError(e).message),
    );
  }, [cursor]);
  return (
    <section>
      <h1>Parameter sweeps</h1>
      <p class="muted">
        Each sweep backtests one strategy over a grid of parameters on many tickers (
        <code>algo sweep --strategy S --grid k=a..b:step</code>). Open one to see it as a heatmap.
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {page && page.items.length === 0 && (
        <p>
          No sweep yet. Start one with{' '}
          <code>npm run algo -- sweep --strategy sma_cross --grid fast=5..20:5,slow=30..90:30</code>.
        </p>
      )}
      {page && page.items.length > 0 && (
        <div class="table-wrap" tabIndex={0}>
          <table data-testid="sweep-list">
            <thead>
              <tr>
                <th>Sweep</th>
                <th>Strategy</th>
                <th>Grid</th>
                <th class="num">Sets</th>
                <th class="num">Tickers</th>
                <th>Status</th>
                <th>Started</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((s) => (
                <tr key={s.id}>
                  <td>
                    <a href={`/app/sweeps/${encodeURIComponent(s.id)}`}>{s.id}</a>
                  </td>
                  <td>{s.strategy}</td>
                  <td>
                    <code>{s.grid}</code>
                  </td>
                  <td class="num">{s.combos}</td>
                  <td class="num">{s.tickers}</td>
                  <td>{s.status}</td>
                  <td>{s.startedAt.slice(0, 16).replace('T', ' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page?.nextCursor && (
        <button type="button" class="secondary" onClick={() => setCursor(page.nextCursor ?? undefined)}>
          Older sweeps
        </button>
      )}
    </section>
  );
}

/**
 * A sweep as a parameter heatmap: two parameters on the axes, a metric per
 * cell (every ticker averaged, or one), the other parameters at their best.
 * A table, so it reads with a screen reader; each cell opens the playground
 * with its parameters.
 */
function SweepHeatmap({ id }: { id: string }) {
  const { query, route } = useLocation();
  const [map, setMap] = useState<Heatmap | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ticker = query.ticker ?? '';
  const metric = (query.metric as Metric) ?? 'sharpe';
  useEffect(() => {
    setError(null);
    const q = {
      ...(ticker ? { ticker } : {}),
      metric,
      ...(query.x ? { x: query.x } : {}),
      ...(query.y ? { y: query.y } : {}),
    };
    api.GET('/sweeps/{id}/heatmap', { params: { path: { id }, query: q } }).then(
      ({ data, error: err, response }) => (data ? setMap(data) : setError(asApiError(err, response.status).message)),
      (e: unknown) => setError(asApiError(e).message),
    );
  }, [id, ticker, metric, query.x, query.y]);

  const setQuery = (patch: Record<string, string>) => {
    const next = new URLSearchParams({ ...query, ...patch });
    for (const [k, v] of [...next]) if (!v) next.delete(k);
    route(`/app/sweeps/${encodeURIComponent(id)}?${next}`, true);
  };
  const values = (map?.cells.flat() ?? []).map((c) => c?.value).filter((v): v is number => typeof v === 'number');
  const [min, max] = [Math.min(...values), Math.max(...values)];
  const digits = metric === 'numTrades' ? 1 : 2;
  const playground = (params: Record<string, number>) => {
    const q = new URLSearchParams({
      ticker: map?.ticker || map?.tickers[0] || '',
      strategy: map?.sweep.strategy ?? '',
    });
    for (const [k, v] of Object.entries(params)) q.set(`p.${k}`, String(v));
    if (map?.sweep.from) q.set('from', map.sweep.from);
    if (map?.sweep.to) q.set('to', map.sweep.to);
    if (map) q.set('capital', String(map.sweep.initialCapital));
    return `/app/backtest?${q}`;
  };

  return (
    <section>
      <p>
        <a href="/app/sweeps">← All sweeps</a>
      </p>
      <h1>Sweep {map ? `of ${map.sweep.strategy}` : ''}</h1>
      {map && (
        <p class="muted">
          <code>{map.sweep.grid}</code>: {map.sweep.combos} parameter sets × {map.tickers.length} tickers,{' '}
          {map.sweep.from ?? 'first day'} to {map.sweep.to ?? 'last day'}, {map.sweep.status}.{' '}
          {map.others.charAt(0).toUpperCase() + map.others.slice(1)}.
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {map && (
        <Form class="card grid-fields" aria-label="Heatmap settings" onSubmit={(e) => e.preventDefault()}>
          <div class="field">
            <label for="hm-ticker">Ticker</label>
            <select
              id="hm-ticker"
              value={ticker}
              onChange={(e) => setQuery({ ticker: (e.currentTarget as HTMLSelectElement).value })}
            >
              <option value="">All tickers (mean)</option>
              {map.tickers.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="hm-metric">Metric</label>
            <select
              id="hm-metric"
              value={metric}
              onChange={(e) => setQuery({ metric: (e.currentTarget as HTMLSelectElement).value })}
            >
              {(Object.keys(METRIC_LABEL) as Metric[]).map((m) => (
                <option key={m} value={m}>
                  {METRIC_LABEL[m]}
                </option>
              ))}
            </select>
          </div>
          {map.varying.length > 2 && (
            <>
              <div class="field">
                <label for="hm-x">Columns</label>
                <select
                  id="hm-x"
                  value={map.x ?? ''}
                  onChange={(e) =>
                    setQuery({
                      x: (e.currentTarget as HTMLSelectElement).value,
                      y: map.y === (e.currentTarget as HTMLSelectElement).value ? '' : (map.y ?? ''),
                    })
                  }
                >
                  {map.varying.map((v) => (
                    <option key={v} value={v}>
                      {v}
                    </option>
                  ))}
                </select>
              </div>
              <div class="field">
                <label for="hm-y">Rows</label>
                <select
                  id="hm-y"
                  value={map.y ?? ''}
                  onChange={(e) =>
                    setQuery({
                      y: (e.currentTarget as HTMLSelectElement).value,
                      x: map.x === (e.currentTarget as HTMLSelectElement).value ? '' : (map.x ?? ''),
                    })
                  }
                >
                  {map.varying.map((v) => (
                    <option key={v} value={v}>
                      {v}
                    </option>
                  ))}
                </select>
              </div>
            </>
          )}
        </Form>
      )}
      {map && (
        <div class="table-wrap" tabIndex={0}>
          <table class="heatmap" data-testid="heatmap">
            <caption>
              {METRIC_LABEL[map.metric]} {map.ticker ? `on ${map.ticker}` : 'averaged over the tickers'}: rows{' '}
              {map.y ?? '–'}, columns {map.x ?? '–'}
            </caption>
            <thead>
              <tr>
                <th scope="col">
                  {map.y ?? ''} \ {map.x ?? ''}
                </th>
                {(map.x ? map.xs : ['']).map((x) => (
                  <th scope="col" key={x} class="num">
                    {x}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {map.cells.map((row, yi) => (
                <tr key={yi}>
                  <th scope="row" class="num">
                    {map.y ? map.ys[yi] : ''}
                  </th>
                  {row.map((cell, xi) => (
                    <td
                      key={xi}
                      class={`num cell${cell && map.best && paramText(cell.params) === paramText(map.best.params) ? ' best' : ''}`}
                      style={{ background: colour(cell?.value ?? null, min, max, map.metric) }}
                      title={
                        cell
                          ? `${paramText(cell.params)}: Sharpe ${formatMetric(cell.sharpe)}, return ${formatMetric(cell.returnPct, '%')}, drawdown ${formatMetric(cell.maxDrawdownPct, '%')}, ${formatMetric(cell.numTrades, '', 1)} orders`
                          : 'no valid set'
                      }
                    >
                      {cell ? (
                        <a
                          href={playground(cell.params)}
                          aria-label={`${paramText(cell.params)}: ${formatMetric(cell.value, '', digits)}, open in the playground`}
                        >
                          {formatMetric(cell.value, '', digits)}
                        </a>
                      ) : (
                        '·'
                      )}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {map?.best && (
        <p data-testid="heatmap-best">
          Best: <strong>{paramText(map.best.params)}</strong> with {METRIC_LABEL[map.metric]}{' '}
          {formatMetric(map.best.value, '', digits)} (return {formatMetric(map.best.returnPct, '%')}, drawdown{' '}
          {formatMetric(map.best.maxDrawdownPct, '%')}). <a href={playground(map.best.params)}>Backtest it</a>.
          In-sample figures: see the recommendation page for out-of-sample evidence.
        </p>
      )}
    </section>
  );
}

/** /app/sweeps (the list) and /app/sweeps/:id (one sweep's heatmap). */
export default function Sweeps() {
  const { params } = useRoute();
  return params.id ? <SweepHeatmap id={params.id} /> : <SweepList />;
}
