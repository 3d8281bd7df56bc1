import { useEffect, useMemo, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, asApiError } from '../api/client';
import { EquityChart } from '../components/equity-chart';
import { METRIC_SECTIONS, formatMetrics, paramText, recentRuns } from '../components/metrics';
import type { BacktestChart } from './backtest';
import { Form } from '../components/form';

export const MAX_COMPARED = 4;
const COLORS = ['#2962ff', '#c2185b', '#00897b', '#7b1fa2'];

const idsOf = (q: Record<string, string>) =>
  [
    ...new Set(
      (q.ids ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ].slice(0, MAX_COMPARED);

/**
 * Up to four backtests side by side: their equity curves as returns on one
 * chart (each with its own capital, so as percentages), and the metrics
 * table with one column per backtest. The URL (`?ids=a,b`) is the comparison.
 */
export default function Compare() {
  const { query, route } = useLocation();
  const ids = idsOf(query);
  const [charts, setCharts] = useState<Record<string, BacktestChart | string>>({});
  const [extra, setExtra] = useState('');
  const recent = recentRuns();

  useEffect(() => {
    for (const id of ids) {
      if (charts[id]) continue;
      api.GET('/backtests/{id}/chart', { params: { path: { id } } }).then(
        ({ data, error, response }) =>
          setCharts((c) => ({ ...c, [id]: data ?? asApiError(error, response.status).message })),
        (e: unknown) => setCharts((c) => ({ ...c, [id]: asApiError(e).message })),
      );
    }
  }, [ids.join(',')]);

  const go = (next: string[]) =>
    route(next.length ? `/app/compare?ids=${next.map(encodeURIComponent).join(',')}` : '/app/compare');
  const loaded = ids.map((id) => charts[id]).filter((c): c is BacktestChart => typeof c === 'object');
  // Each run's metrics table, as the report and the backtest page show it (the one summary's figures).
  const tables = loaded.map((c) => formatMetrics(c));
  const lines = useMemo(
    () =>
      loaded.map((c, i) => ({
        label: `${i + 1}. ${c.ticker} ${c.strategy}`,
        color: COLORS[i],
        points: c.equity.map((p) => ({ time: p.time, value: (p.value / c.initialCapital - 1) * 100 })),
      })),
    [loaded.map((c) => c.id).join(',')],
  );

  return (
    <section>
      <h1>Compare backtests</h1>
      <Form
        class="card"
        aria-label="Backtests to compare"
        onSubmit={(e) => {
          e.preventDefault();
          if (extra.trim()) go([...ids, extra.trim()].slice(0, MAX_COMPARED));
          setExtra('');
        }}
      >
        <fieldset>
          <legend>
            Compared ({ids.length} of {MAX_COMPARED})
          </legend>
          {recent.length > 0 && (
            <div class="checks">
              {[...new Map([...ids.map((id) => ({ id, label: id })), ...recent].map((r) => [r.id, r])).values()].map(
                (r) => {
                  const checked = ids.includes(r.id);
                  return (
                    <label key={r.id}>
                      <input
                        type="checkbox"
                        checked={checked}
                        disabled={!checked && ids.length >= MAX_COMPARED}
                        onChange={() => go(checked ? ids.filter((i) => i !== r.id) : [...ids, r.id])}
                      />
                      {r.label}
                    </label>
                  );
                },
              )}
            </div>
          )}
          <div class="field">
            <label for="compare-add">Add a backtest by id</label>
            <div class="inline">
              <input
                id="compare-add"
                type="text"
                value={extra}
                disabled={ids.length >= MAX_COMPARED}
                onInput={(e) => setExtra((e.currentTarget as HTMLInputElement).value)}
              />
              <button type="submit" class="secondary" disabled={ids.length >= MAX_COMPARED}>
                Add
              </button>
            </div>
          </div>
        </fieldset>
        <p class="muted">
          Run backtests in the <a href="/app/backtest">playground</a>; the ones you ran in this browser are listed here.
        </p>
      </Form>

      {ids.map(
        (id) =>
          typeof charts[id] === 'string' && (
            <p key={id} class="error" role="alert">
              {id}: {charts[id] as string}
            </p>
          ),
      )}

      {loaded.length > 0 && (
        <>
          <EquityChart lines={lines} unit="%" label={`Return over time of ${loaded.length} backtests`} />
          <div class="table-wrap" tabIndex={0}>
            <table data-testid="compare-table">
              <thead>
                <tr>
                  <th scope="col">Metric</th>
                  {loaded.map((c, i) => (
                    <th scope="col" key={c.id} class="num">
                      <span style={{ color: COLORS[i] }}>●</span>{' '}
                      <a href={`/app/backtest?id=${encodeURIComponent(c.id)}`}>
                        {i + 1}. {c.ticker} {c.strategy}
                      </a>
                      <div class="muted">{paramText(c.params)}</div>
                      <button
                        type="button"
                        class="link"
                        aria-label={`Remove ${c.ticker} ${c.strategy} from the comparison`}
                        onClick={() => go(ids.filter((x) => x !== c.id))}
                      >
                        remove
                      </button>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                <tr>
                  <th scope="row">Window</th>
                  {loaded.map((c) => (
                    <td key={c.id} class="num">
                      {c.startDate} … {c.endDate}
                    </td>
                  ))}
                </tr>
                <tr>
                  <th scope="row">Costs</th>
                  {loaded.map((c) => (
                    <td key={c.id} class="num">
                      {String((c.options as Record<string, unknown>).commissionBps ?? 0)} bps +{' '}
                      {String((c.options as Record<string, unknown>).slippageBps ?? 0)} bps slippage
                    </td>
                  ))}
                </tr>
                {METRIC_SECTIONS.flatMap((section) => section.rows).map((row, i) => (
                  <tr key={row.key}>
                    <th scope="row" title={row.hint}>
                      {row.label}
                    </th>
                    {tables.map((table, c) => (
                      <td key={loaded[c].id} class="num">
                        {table[i].value}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {ids.length === 0 && <p>Nothing to compare yet: pick backtests above.</p>}
    </section>
  );
}
