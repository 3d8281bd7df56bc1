import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, asApiError } from '../api/client';
import type { paths } from '../api/schema';
import { Field, Form, FormResult } from '../components/form';

type Page = paths['/runs']['get']['responses'][200]['content']['application/json'];
type Run = Page['items'][number];

/** The admin key lives in this tab's sessionStorage only: gone when the tab closes, never in a URL. */
const KEY = 'algo.adminKey';

/**
 * /app/runs (admin key): recent daily runs, newest first, each with its
 * Temporal UI link (third, so a laptop's width shows it without scrolling), emails sent/skipped/failed, stale tickers and the
 * per-ticker status of ingestion and evaluation.
 */
export default function RunsPage() {
  const [key, setKey] = useState<string>(() => sessionStorage.getItem(KEY) ?? '');
  const [draft, setDraft] = useState('');
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [keyError, setKeyError] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  /** Keys submitted in this tab: the answer to one takes the focus. */
  const [attempt, setAttempt] = useState(0);

  const load = async (apiKey: string, after?: string) => {
    setError(undefined);
    const {
      data,
      error: err,
      response,
    } = await api.GET('/runs', {
      params: { query: { limit: 10, ...(after ? { cursor: after } : {}) } },
      headers: { 'x-api-key': apiKey },
    });
    if (response.status === 401) {
      sessionStorage.removeItem(KEY);
      setKey('');
      setKeyError('That key was refused: check api.apiKey (API_KEY) of this install.');
      return;
    }
    if (err || !data) return setError(asApiError(err).message);
    setRuns((prev) => (after && prev ? [...prev, ...data.items] : data.items));
    setCursor(data.nextCursor);
  };
  useEffect(() => {
    if (key) void load(key).catch((e: unknown) => setError(asApiError(e).message));
  }, [key]);

  if (!key) {
    return (
      <section>
        <h1>Daily runs</h1>
        <Form
          onSubmit={(e) => {
            e.preventDefault();
            setAttempt((n) => n + 1);
            if (!draft.trim()) return setKeyError('Enter the admin key.');
            setKeyError(undefined);
            sessionStorage.setItem(KEY, draft.trim());
            setKey(draft.trim());
          }}
        >
          <Field
            label="Admin key"
            name="apiKey"
            error={keyError}
            hint="The x-api-key of this install; kept in this tab only."
          >
            {(a) => (
              <input
                {...a}
                type="password"
                autoComplete="current-password"
                value={draft}
                onInput={(e) => setDraft((e.currentTarget as HTMLInputElement).value)}
              />
            )}
          </Field>
          <FormResult errors={keyError ? { apiKey: keyError } : {}} attempt={attempt} focusOnMount={attempt > 0} />
          <button type="submit">Show runs</button>
        </Form>
      </section>
    );
  }
  return (
    <section>
      <h1>Daily runs</h1>
      <p>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            sessionStorage.removeItem(KEY);
            setKey('');
            setRuns(null);
          }}
        >
          Forget the key
        </button>
      </p>
      <FormResult
        ok={runs ? 'The key was accepted: the daily runs follow, newest first.' : undefined}
        error={error}
        attempt={attempt}
      />
      {!runs && !error && <p aria-busy="true">Loading…</p>}
      {runs && runs.length === 0 && <p>No daily run yet.</p>}
      {runs && runs.length > 0 && (
        <div class="table-wrap" tabIndex={0}>
          <table data-testid="runs">
            <thead>
              <tr>
                <th>Date</th>
                <th>Status</th>
                <th>Temporal</th>
                <th class="wrap">Started</th>
                <th class="num">BUY/SELL</th>
                <th class="num wrap">Emails sent/skipped/failed</th>
                <th class="wrap">Stale tickers</th>
                <th>Tickers</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => {
                const bad = r.tickers.filter((t) => t.ingestion !== 'ok' || t.evaluation === 'failed');
                return (
                  <Fragment key={r.runId}>
                    <tr class="run">
                      <th scope="row">
                        {r.date ?? '–'}
                        {r.tradingDay === false ? <span class="muted"> closed: {r.closure}</span> : null}
                      </th>
                      <td
                        class={r.status === 'COMPLETED' ? 'ok' : r.status === 'RUNNING' ? undefined : 'error'}
                        title={r.failure ?? undefined}
                      >
                        {r.status.toLowerCase()}
                      </td>
                      <td>
                        <a href={r.temporalUrl} target="_blank" rel="noreferrer">
                          {r.workflowId}
                        </a>
                      </td>
                      <td class="wrap">{r.startTime ? new Date(r.startTime).toLocaleString() : '–'}</td>
                      <td class="num">{r.signals ? `${r.signals.buy}/${r.signals.sell}` : '–'}</td>
                      <td class={`num${r.notifications?.failed ? ' error' : ''}`}>
                        {r.notifications
                          ? `${r.notifications.sent}/${r.notifications.skipped}/${r.notifications.failed}`
                          : '–'}
                      </td>
                      <td class="wrap">
                        {r.stale.length === 0
                          ? 'none'
                          : r.stale.map((s) => `${s.ticker} (last ${s.lastDate ?? 'never'})`).join(', ')}
                      </td>
                      <td>
                        <details>
                          <summary>
                            {r.tickers.length} {r.tickers.length === 1 ? 'ticker' : 'tickers'}
                            {bad.length ? `, ${bad.length} failed` : ', all ok'}
                          </summary>
                          <ul class="plain">
                            {r.tickers.map((t) => (
                              <li key={t.ticker}>
                                {t.ticker}: ingestion {t.ingestion}, evaluation {t.evaluation}
                                {t.error ? ` (${t.error})` : ''}
                              </li>
                            ))}
                          </ul>
                        </details>
                      </td>
                    </tr>
                    {/* What happened, in the words of `algo run-daily`: a row of its own, so the columns fit 1280 px. */}
                    <tr class="run-headline">
                      <td colSpan={8} data-testid="run-headline">
                        {r.headline ?? r.failure ?? '–'}
                      </td>
                    </tr>
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <button type="button" class="secondary" onClick={() => void load(key, cursor)}>
          Older runs
        </button>
      )}
    </section>
  );
}
