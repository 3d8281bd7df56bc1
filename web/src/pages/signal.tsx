import { useEffect, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api, asApiError } from '../api/client';
import type { paths } from '../api/schema';
import { RecommendationCard } from '../research/evidence';
import { labelName, num, pct, tickerPath } from '../research/format';
import { StrategyChart, useChartData } from '../research/strategy-chart';

type SignalData = paths['/signals/{ticker}/{strategy}/{date}']['get']['responses'][200]['content']['application/json'];

/**
 * /app/signals/:ticker/:strategy/:date, "why did I get this" (every email
 * links each signal here): the day on the chart with its marker, the numbers
 * the decision used, the rule in words, and what happened after.
 */
export default function SignalPage() {
  const { params } = useRoute();
  const ticker = decodeURIComponent(params.ticker ?? '').toUpperCase();
  const strategy = decodeURIComponent(params.strategy ?? '');
  const date = decodeURIComponent(params.date ?? '');
  const [data, setData] = useState<SignalData | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setData(null);
    setError(null);
    api.GET('/signals/{ticker}/{strategy}/{date}', { params: { path: { ticker, strategy, date } } }).then(
      ({ data: body, error: err }) => (err || !body ? setError(asApiError(err).message) : setData(body)),
      (e: unknown) => setError(asApiError(e).message),
    );
  }, [ticker, strategy, date]);

  return (
    <section>
      <h1>
        {data ? (
          <span class={data.signal.signal === 'BUY' ? 'buy' : data.signal.signal === 'SELL' ? 'sell' : undefined}>
            {data.signal.signal}
          </span>
        ) : (
          'Signal'
        )}{' '}
        {ticker} on {date}
      </h1>
      <p class="muted">
        by {labelName(strategy)} · <a href={tickerPath(ticker, strategy)}>all of {ticker}</a>
      </p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {!data && !error && <p aria-busy="true">Loading…</p>}
      {data && (
        <>
          <SignalChart ticker={ticker} strategy={strategy} date={date} window={data.chartWindow} />
          <section class="card" aria-labelledby="rule-h">
            <h2 id="rule-h">The rule</h2>
            <p data-testid="signal-rule">{data.strategy.rules}</p>
            <p class="muted">
              {data.strategy.name} v{data.signal.strategyVersion} with{' '}
              {Object.entries(data.strategy.params)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ') || 'no parameters'}{' '}
              (
              {data.strategy.source === 'recommendation'
                ? 'the recommended parameters'
                : data.strategy.source === 'config'
                  ? 'as configured'
                  : 'defaults'}
              ). Recorded by the daily run of {data.signal.runDate}
              {data.sent ? ', emailed to subscribers.' : ', not emailed.'}
            </p>
            {data.signal.reportedBy ? (
              <p data-testid="signal-reported">
                Reported by {data.signal.reportedBy}, not computed here: our rules give{' '}
                {data.ours ?? 'nothing yet (no stored price of that day)'} on {date}.
              </p>
            ) : null}
          </section>
          <section aria-labelledby="inputs-h">
            <h2 id="inputs-h">The numbers behind it</h2>
            <div class="table-wrap" tabIndex={0}>
              <table data-testid="signal-inputs">
                <tbody>
                  {Object.entries(data.signal.inputs)
                    .sort(([a], [b]) =>
                      a === 'close' ? -1 : b === 'close' ? 1 : a.localeCompare(b, 'en', { numeric: true }),
                    )
                    .map(([k, v]) => (
                      <tr key={k}>
                        <th scope="row">{k}</th>
                        <td class="num">{typeof v === 'number' ? num(v, 4) : (v ?? 'undefined')}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          </section>
          <section aria-labelledby="after-h">
            <h2 id="after-h">What happened after</h2>
            <div class="table-wrap" tabIndex={0}>
              <table data-testid="forward-returns">
                <thead>
                  <tr>
                    <th>After</th>
                    <th>Date</th>
                    <th class="num">Close</th>
                    <th class="num">Return</th>
                    <th>Went its way?</th>
                  </tr>
                </thead>
                <tbody>
                  {data.forward.map((f) => {
                    const way =
                      f.returnPct === null ? null : data.signal.signal === 'SELL' ? f.returnPct < 0 : f.returnPct > 0;
                    return (
                      <tr key={f.days}>
                        <th scope="row">{f.days} trading days</th>
                        <td>{f.date ?? 'not yet'}</td>
                        <td class="num">{num(f.close)}</td>
                        <td class="num">{pct(f.returnPct, 2)}</td>
                        <td class={way === null ? 'muted' : way ? 'buy' : 'sell'}>
                          {way === null ? 'no data yet' : way ? 'yes' : 'no'}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <p class="muted">
              Close of the later day against the close of {date} ({num(data.signal.close)}). A BUY went its way if the
              price rose, a SELL if it fell.
            </p>
          </section>
          {data.recommendation && <RecommendationCard rec={data.recommendation} />}
        </>
      )}
    </section>
  );
}

function SignalChart({
  ticker,
  strategy,
  date,
  window,
}: {
  ticker: string;
  strategy: string;
  date: string;
  window: { from: string; to: string };
}) {
  const { data, error } = useChartData(ticker, { strategy, from: window.from, to: window.to });
  if (error)
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  if (!data) return <p aria-busy="true">Loading the chart…</p>;
  return (
    <StrategyChart
      data={data}
      focusDate={date}
      label={`${ticker} around ${date}, the ${labelName(strategy)} signal marked`}
    />
  );
}
