import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, asApiError, type ApiError } from '../api/client';
import { ExpiredLink } from '../components/expired-link';
import { Field, fieldErrors, Form, FormResult, TextField } from '../components/form';

type Pair = { ticker: string; strategy: string };
interface View {
  email: string;
  status: 'pending' | 'confirmed' | 'unsubscribed';
  subscriptions: Pair[];
}

/**
 * /app/manage?token=...: the signed link in every email (no password). See
 * the subscriptions, remove one, add one, or unsubscribe from everything;
 * each change applies at once (the link proves the mailbox).
 */
export default function Manage() {
  const { query } = useLocation();
  const token = query.token ?? '';
  const [view, setView] = useState<View | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(
    token ? null : { error: 'invalid_link', message: 'This link has no token. Copy the whole link from the email.' },
  );
  const [status, setStatus] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [strategies, setStrategies] = useState<string[]>([]);
  const [ticker, setTicker] = useState('');
  const [strategy, setStrategy] = useState('');
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const header = { 'x-manage-token': token };

  useEffect(() => {
    if (!token) return;
    api.GET('/manage', { params: { header } }).then(
      ({ data, error: e, response }) => (data ? setView(data) : setLoadError(asApiError(e, response.status))),
      (e: unknown) => setLoadError(asApiError(e)),
    );
    api.GET('/subscriptions/options').then(
      ({ data }) => {
        if (!data) return;
        const names = [data.recommended, ...data.strategies.map((s) => s.name)];
        setStrategies(names);
        setStrategy(data.defaultStrategies[0] ?? names[0]);
      },
      () => undefined,
    );
  }, [token]);

  const save = async (subscriptions: Pair[], said: string) => {
    setBusy(true);
    setError(null);
    setStatus('');
    try {
      const { data, error: e, response } = await api.PUT('/manage', { params: { header }, body: { subscriptions } });
      if (data) {
        setView(data);
        setStatus(said);
        return true;
      }
      setError(asApiError(e, response.status));
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
      setAttempt((n) => n + 1);
    }
    return false;
  };

  const unsubscribeAll = async () => {
    setBusy(true);
    setError(null);
    setStatus('');
    try {
      const { data, error: e, response } = await api.DELETE('/manage', { params: { header } });
      if (data) {
        setView(data);
        setStatus(`Unsubscribed from everything: ${data.email} will receive no more emails.`);
      } else setError(asApiError(e, response.status));
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
      setAttempt((n) => n + 1);
    }
  };

  if (loadError?.error === 'link_expired') return <ExpiredLink token={token} message={loadError.message} />;
  if (loadError) {
    return (
      <section>
        <h1>This link does not work</h1>
        <p role="alert" class="error">
          {loadError.message}
        </p>
      </section>
    );
  }
  if (!view) return <p aria-busy="true">Loading…</p>;
  const errors = fieldErrors(error, ['subscriptions']);
  const addError = errors.subscriptions ? errors.subscriptions : undefined;

  return (
    <section>
      <h1>Your subscriptions</h1>
      <p>
        <strong data-testid="manage-email">{view.email}</strong> ·{' '}
        <span data-testid="manage-status">
          {view.status === 'confirmed'
            ? 'receiving signals'
            : view.status === 'pending'
              ? 'not confirmed yet'
              : 'unsubscribed'}
        </span>
      </p>
      <FormResult ok={status} errors={errors} attempt={attempt} testId="manage-said" />
      {view.subscriptions.length === 0 ? (
        <p class="muted">No subscriptions.</p>
      ) : (
        <div class="table-wrap" tabIndex={0}>
          <table data-testid="manage-table">
            <thead>
              <tr>
                <th scope="col">Ticker</th>
                <th scope="col">Strategy</th>
                <th scope="col">
                  <span class="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {view.subscriptions.map((p) => (
                <tr key={`${p.ticker}/${p.strategy}`}>
                  <td>
                    <a href={`/app/tickers/${encodeURIComponent(p.ticker)}`}>{p.ticker}</a>
                  </td>
                  <td>{p.strategy}</td>
                  <td>
                    <button
                      type="button"
                      class="secondary"
                      disabled={busy}
                      aria-label={`Unsubscribe from ${p.ticker} (${p.strategy})`}
                      onClick={() =>
                        save(
                          view.subscriptions.filter((q) => q !== p),
                          `Removed ${p.ticker} (${p.strategy}).`,
                        )
                      }
                    >
                      Unsubscribe
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Add a ticker</h2>
      <Form
        onSubmit={async (e) => {
          e.preventDefault();
          const t = ticker.trim().toUpperCase();
          if (await save([...view.subscriptions, { ticker: t, strategy }], `Added ${t} (${strategy}).`)) setTicker('');
        }}
      >
        <div class="inline-add">
          <TextField
            label="Ticker"
            name="subscriptions"
            value={ticker}
            error={addError}
            autoComplete="off"
            autoCapitalize="characters"
            onInput={(e) => setTicker((e.target as HTMLInputElement).value)}
          />
          <Field label="Strategy" name="strategy">
            {(a) => (
              <select {...a} value={strategy} onChange={(e) => setStrategy((e.target as HTMLSelectElement).value)}>
                {strategies.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <button type="submit" disabled={busy}>
            Add
          </button>
        </div>
      </Form>

      {view.subscriptions.length > 0 && (
        <div class="actions">
          <button type="button" class="danger" disabled={busy} onClick={unsubscribeAll}>
            Unsubscribe from everything
          </button>
        </div>
      )}
    </section>
  );
}
