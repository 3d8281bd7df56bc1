import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, asApiError, listItems } from '../api/client';
import type { paths } from '../api/schema';
import { Field, Form, FormResult, TextField, fieldErrors } from '../components/form';
import { backtestHeadline, formatMetric, formatMetrics, paramText, rememberRun } from '../components/metrics';
import { PriceChart } from '../components/price-chart';
import { ParamFields, toStrategyInfo, useStrategies, type StrategyInfo } from '../components/strategy-params';

export type BacktestChart = paths['/backtests/{id}/chart']['get']['responses'][200]['content']['application/json'];

interface Progress {
  stage: string;
  step: string | null;
  attempt: number;
  waitingForWorker: boolean;
  lastError: string | null;
  percent: number;
}

/** The form's state: every control as the text it shows. */
interface FormState {
  ticker: string;
  strategy: string;
  params: Record<string, string>;
  from: string;
  to: string;
  capital: string;
  feesBps: string;
  slippageBps: string;
  /** An unsaved rule as written (the rule builder's), run instead of a registered strategy; null for none. */
  rule: unknown;
}

const FIELDS = ['ticker', 'strategy', 'rule', 'params', 'from', 'to', 'capital', 'feesBps', 'slippageBps'];

/** The rule of a `?rule=` query (the rule builder's JSON); null when absent or unreadable. */
function ruleFromQuery(text: string | undefined): unknown {
  if (!text) return null;
  try {
    const rule = JSON.parse(text) as unknown;
    return rule && typeof rule === 'object' ? rule : null;
  } catch {
    return null;
  }
}

/** The name an inline rule gives itself ('' when it has none yet). */
const ruleName = (rule: unknown): string => String((rule as { name?: unknown } | null)?.name ?? '');

/**
 * The form from a URL's query: `?ticker=AAPL&strategy=sma_cross&p.fast=10&from=...` (the sweep heatmap links here
 * so), or `?rule=<JSON>` for an unsaved rule (the rule builder links here so).
 */
function formFromQuery(q: Record<string, string>): FormState {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (k.startsWith('p.')) params[k.slice(2)] = v;
  const rule = ruleFromQuery(q.rule);
  return {
    rule,
    ticker: q.ticker ?? 'AAPL',
    strategy: rule ? ruleName(rule) : (q.strategy ?? 'sma_cross'),
    params,
    from: q.from ?? '',
    to: q.to ?? '',
    capital: q.capital ?? '10000',
    feesBps: q.feesBps ?? '0',
    slippageBps: q.slippageBps ?? '0',
  };
}

function formFromChart(c: BacktestChart): FormState {
  const options = c.options as Record<string, unknown>;
  return {
    rule: c.rule ?? null,
    ticker: c.ticker,
    strategy: c.strategy,
    params: Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, String(v)])),
    from: c.startDate,
    to: c.endDate,
    capital: String(c.initialCapital),
    feesBps: String(options.commissionBps ?? 0),
    slippageBps: String(options.slippageBps ?? 0),
  };
}

const num = (s: string) => (s.trim() === '' ? undefined : Number(s));

/** The request body; a parameter left empty keeps the strategy's default. */
function bodyOf(f: FormState, strategy: StrategyInfo | undefined) {
  const known = new Set(strategy?.params.map((p) => p.name) ?? Object.keys(f.params));
  const params = Object.fromEntries(
    Object.entries(f.params)
      .filter(([k, v]) => known.has(k) && v.trim() !== '')
      .map(([k, v]) => [k, Number(v)]),
  );
  return {
    ticker: f.ticker.trim(),
    // An unsaved rule travels whole; its name is the strategy's.
    ...(f.rule ? { rule: f.rule } : { strategy: f.strategy }),
    ...(Object.keys(params).length ? { params } : {}),
    ...(f.from ? { from: f.from } : {}),
    ...(f.to ? { to: f.to } : {}),
    ...(num(f.capital) !== undefined ? { capital: num(f.capital) } : {}),
    ...(num(f.feesBps) !== undefined ? { feesBps: num(f.feesBps) } : {}),
    ...(num(f.slippageBps) !== undefined ? { slippageBps: num(f.slippageBps) } : {}),
  };
}

/** Field errors of an API error body: its `field` first (the API names it), else what the message names. */
export function errorsOf(body: unknown, status?: number): Record<string, string> {
  const error = asApiError(body, status);
  // The API's sentence per field first; an answer with only `field` puts its message there.
  const field = error.field;
  if (!error.errors && field && FIELDS.includes(field.split('.')[0]))
    return { [field]: error.message, [field.split('.')[0]]: error.message };
  return fieldErrors(error, FIELDS);
}

/** The rule builder's link of a rule (its `?rule=`). */
const ruleBuilderHref = (rule: unknown) => `/app/strategies/new?rule=${encodeURIComponent(JSON.stringify(rule))}`;

const STAGE_TEXT: Record<string, string> = {
  queued: 'Queued: waiting for a worker',
  checking: 'Checking the request',
  running: 'Running the backtest',
};

/**
 * The Backtest playground: ticker, strategy, its parameters (generated from
 * the strategy's schema), dates, capital, fees and slippage; runs
 * backtestWorkflow and shows its progress, then the equity curve against
 * buy-and-hold, the trades on the price chart and the metrics table. The
 * result's URL (`?id=`) is shareable; runs are kept for the compare page.
 */
export default function Backtest() {
  const { query, route } = useLocation();
  const { strategies, error: strategiesError } = useStrategies();
  const [tickers, setTickers] = useState<string[]>([]);
  const [form, setForm] = useState<FormState>(() => formFromQuery(query));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [result, setResult] = useState<BacktestChart | null>(null);
  const [runError, setRunError] = useState<string | null>(null);
  const poll = useRef(0);
  const id = query.id;

  useEffect(() => {
    api.GET('/tickers').then(
      ({ data }) => setTickers(listItems<{ ticker: string }>(data, 'tickers').map((t) => t.ticker)),
      () => undefined,
    );
  }, []);

  // A shared link (?id=): follow the run to its result, and show its inputs in the form.
  useEffect(() => {
    if (!id) return;
    const token = ++poll.current;
    setResult(null);
    setRunError(null);
    const step = async (): Promise<void> => {
      if (token !== poll.current) return;
      const res = await fetch(`/backtests/${encodeURIComponent(id)}`);
      const body = (await res.json().catch(() => null)) as {
        status?: string;
        progress?: Progress;
        error?: string;
        message?: string;
      } | null;
      if (token !== poll.current) return;
      if (res.status === 202) {
        setProgress(
          body?.progress ?? {
            stage: 'queued',
            step: null,
            attempt: 1,
            waitingForWorker: false,
            lastError: null,
            percent: 0,
          },
        );
        setTimeout(() => void step(), 400);
        return;
      }
      setProgress(null);
      setBusy(false);
      // 410: a public result deleted after playground.retentionDays (or to make room); the API's sentence says which.
      if (res.status === 410)
        return setRunError(`This result is no longer kept: ${asApiError(body, res.status).message}.`);
      if (!res.ok) return setRunError(asApiError(body, res.status).message);
      if (body?.status === 'failed') return setRunError(`The backtest failed: ${body.error}`);
      const chart = await api.GET('/backtests/{id}/chart', { params: { path: { id } } });
      if (token !== poll.current) return;
      if (!chart.data) return setRunError(asApiError(chart.error, chart.response.status).message);
      setResult(chart.data);
      setForm(formFromChart(chart.data));
      rememberRun({
        id,
        label: `${chart.data.ticker} ${chart.data.strategy} (${paramText(chart.data.params)}) ${chart.data.startDate}…${chart.data.endDate}`,
      });
    };
    step().catch((e: unknown) => {
      setBusy(false);
      setRunError(asApiError(e).message);
    });
    return () => {
      poll.current++;
    };
  }, [id]);

  // An unsaved rule's parameters and words come from the API's preview of it (nothing saved).
  const [inline, setInline] = useState<StrategyInfo | null>(null);
  useEffect(() => {
    setInline(null);
    if (!form.rule) return;
    api.POST('/strategies/preview', { body: form.rule as never }).then(
      ({ data }) => data && setInline(toStrategyInfo(data as unknown as Record<string, unknown>)),
      () => undefined,
    );
  }, [form.rule]);
  const strategy = form.rule ? (inline ?? undefined) : strategies?.find((s) => s.name === form.strategy);
  const set = (patch: Partial<FormState>) => setForm((f) => ({ ...f, ...patch }));

  const submit = async (e: Event) => {
    e.preventDefault();
    setErrors({});
    setRunError(null);
    setBusy(true);
    try {
      const res = await fetch('/playground/backtests', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(bodyOf(form, strategy)),
      });
      const body = (await res.json().catch(() => null)) as { id?: string } | null;
      setAttempt((n) => n + 1);
      if (res.status !== 202 || !body?.id) {
        setBusy(false);
        setErrors(errorsOf(body, res.status));
        return;
      }
      setProgress({ stage: 'queued', step: null, attempt: 1, waitingForWorker: false, lastError: null, percent: 0 });
      route(`/app/backtest?id=${encodeURIComponent(body.id)}`);
    } catch (err) {
      setBusy(false);
      setAttempt((n) => n + 1);
      setErrors({ '': asApiError(err).message });
    }
  };

  const markers = useMemo(
    () =>
      (result?.trades ?? []).map((t) => ({
        date: t.time,
        side: t.side,
        text: t.initial ? `${t.side} (start)` : t.side,
      })),
    [result],
  );
  const bars = useMemo(
    () => (result?.bars ?? []).map((b) => ({ date: b.time, open: b.open, high: b.high, low: b.low, close: b.close })),
    [result],
  );
  const overlays = useMemo(
    () =>
      (result?.overlays ?? []).map((o) => ({
        label: o.label,
        points: o.points.map((p) => ({ date: p.time, value: p.value })),
      })),
    [result],
  );
  const equity = useMemo(
    () =>
      result
        ? [
            {
              label: `${result.strategy} equity`,
              color: '#2962ff',
              points: result.equity.map((p) => ({ date: p.time, value: p.value })),
            },
            {
              label: 'Buy and hold',
              color: '#ff6d00',
              points: result.buyAndHold.map((p) => ({ date: p.time, value: p.value })),
            },
          ]
        : [],
    [result],
  );

  return (
    <section>
      <h1>Backtest playground</h1>
      <p class="muted">
        Run any strategy on a tracked ticker with your own parameters and costs. The result has its own link: share it,
        or compare up to four.
      </p>
      <Form onSubmit={submit} noValidate aria-label="Backtest" class="card playground-form">
        <div class="grid-fields">
          <Field label="Ticker" name="ticker" error={errors.ticker}>
            {(a) => (
              <input
                {...a}
                type="text"
                list="playground-tickers"
                autoComplete="off"
                autoCapitalize="characters"
                value={form.ticker}
                onInput={(e) => set({ ticker: (e.currentTarget as HTMLInputElement).value.toUpperCase() })}
              />
            )}
          </Field>
          <datalist id="playground-tickers">
            {tickers.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
          <Field
            label="Strategy"
            name="strategy"
            error={
              errors.strategy ??
              errors.rule ??
              (strategiesError ? `Strategies could not be loaded: ${strategiesError.message}` : undefined)
            }
          >
            {(a) => (
              <select
                {...a}
                value={form.strategy}
                onChange={(e) =>
                  set({ strategy: (e.currentTarget as HTMLSelectElement).value, params: {}, rule: null })
                }
              >
                {form.rule ? (
                  <option key="inline-rule" value={form.strategy}>
                    {form.strategy} (unsaved rule)
                  </option>
                ) : null}
                {(strategies ?? [{ name: form.strategy, description: '', params: [] }]).map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        {strategy && (
          <p class="muted rules" data-testid="strategy-rules">
            <strong>{strategy.name}</strong>
            {strategy.rules ? ' with its defaults' : ''}: {strategy.rules ?? strategy.description}
            {form.rule ? (
              <>
                {' '}
                (<a href={ruleBuilderHref(form.rule)}>edit this rule</a>)
              </>
            ) : null}
          </p>
        )}
        {strategy && (
          <ParamFields
            strategy={strategy}
            values={form.params}
            errors={errors}
            onChange={(name, value) => set({ params: { ...form.params, [name]: value } })}
          />
        )}
        <div class="grid-fields">
          <TextField
            label="From"
            name="from"
            type="date"
            value={form.from}
            error={errors.from}
            hint="Empty: the first stored day"
            onInput={(e) => set({ from: (e.currentTarget as HTMLInputElement).value })}
          />
          <TextField
            label="To"
            name="to"
            type="date"
            value={form.to}
            error={errors.to}
            hint="Empty: the last stored day"
            onInput={(e) => set({ to: (e.currentTarget as HTMLInputElement).value })}
          />
          <TextField
            label="Capital"
            name="capital"
            type="number"
            inputMode="decimal"
            value={form.capital}
            error={errors.capital}
            onInput={(e) => set({ capital: (e.currentTarget as HTMLInputElement).value })}
          />
          <TextField
            label="Fees (bps of each fill)"
            name="feesBps"
            type="number"
            inputMode="decimal"
            value={form.feesBps}
            error={errors.feesBps}
            onInput={(e) => set({ feesBps: (e.currentTarget as HTMLInputElement).value })}
          />
          <TextField
            label="Slippage (bps)"
            name="slippageBps"
            type="number"
            inputMode="decimal"
            value={form.slippageBps}
            error={errors.slippageBps}
            onInput={(e) => set({ slippageBps: (e.currentTarget as HTMLInputElement).value })}
          />
        </div>
        <FormResult
          errors={errors}
          error={runError ?? undefined}
          ok={
            result
              ? `Backtest done: ${result.ticker} ${result.strategy} from ${result.startDate} to ${result.endDate}; the results follow.`
              : progress
                ? 'Backtest started; its progress shows below.'
                : undefined
          }
          attempt={attempt}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Running…' : 'Run backtest'}
        </button>
      </Form>

      {progress && (
        <div class="card" role="status" aria-live="polite" data-testid="backtest-progress">
          <label for="backtest-progress-bar">
            {STAGE_TEXT[progress.stage] ?? progress.stage}
            {progress.step ? ` (${progress.step})` : ''}
            {progress.attempt > 1 ? `, attempt ${progress.attempt}` : ''}
          </label>
          <progress id="backtest-progress-bar" max={100} value={progress.percent} />
          {progress.lastError && <p class="muted">Last attempt failed: {progress.lastError}</p>}
        </div>
      )}

      {result && (
        <article aria-labelledby="result-title" data-testid="backtest-result">
          <h2 id="result-title">
            {result.ticker} · {result.strategy} ({paramText(result.params)}) · {result.startDate} to {result.endDate}
          </h2>
          {result.rules && (
            <p class="muted" data-testid="result-rules">
              Rule{result.rule ? ' (unsaved)' : ''}: {result.rules}
              {result.rule ? (
                <>
                  {' '}
                  <a href={ruleBuilderHref(result.rule)}>Open it in the rule builder</a>
                </>
              ) : null}
            </p>
          )}
          <p class="headline" data-testid="backtest-headline">
            {backtestHeadline(result).map(([label, value], i) => (
              <span key={label} data-headline={label}>
                {i > 0 ? ', ' : ''}
                {label}{' '}
                <strong class={value.startsWith('-') ? 'sell' : value.startsWith('+') ? 'buy' : ''}>{value}</strong>
              </span>
            ))}
            ; {formatMetric(result.initialCapital, '', 0)} → {formatMetric(result.finalCapital)}
            {result.fees > 0 ? `, fees ${formatMetric(result.fees)}` : ''}.{' '}
            <a href={`/app/compare?ids=${encodeURIComponent(result.id)}`}>Compare…</a> ·{' '}
            <a href={result.reportHref}>HTML report</a>
          </p>
          <PriceChart
            bars={bars}
            markers={markers}
            overlays={overlays}
            lowerPane={equity}
            label={`${result.ticker} prices with the ${result.trades.length} fills marked; below, the strategy's equity against buy and hold`}
          />
          <h3>Metrics</h3>
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Metrics">
            <table data-testid="metrics-table">
              <caption class="visually-hidden">Metrics of the backtest</caption>
              <tbody>
                {formatMetrics(result).map((row) => (
                  <tr key={row.key}>
                    <th scope="row" title={row.hint}>
                      {row.label}
                    </th>
                    <td class="num" data-metric={row.key}>
                      {row.value}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h3>Trades</h3>
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Trades">
            <table>
              <thead>
                <tr>
                  <th>Date</th>
                  <th>Side</th>
                  <th class="num">Price</th>
                  <th class="num">Shares</th>
                  <th class="num">Fee</th>
                </tr>
              </thead>
              <tbody>
                {result.trades.map((t, i) => (
                  <tr key={i}>
                    <td>{t.time}</td>
                    <td class={t.side === 'BUY' ? 'buy' : 'sell'}>
                      {t.side}
                      {t.initial ? ' (start)' : ''}
                    </td>
                    <td class="num">{t.price.toFixed(2)}</td>
                    <td class="num">{t.shares.toFixed(4)}</td>
                    <td class="num">{t.fee.toFixed(2)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </article>
      )}
    </section>
  );
}
