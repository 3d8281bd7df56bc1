import { useEffect, useMemo, useState } from 'preact/hooks';
import { solveProofOfWork } from '../api/proof-of-work';
import { api, asApiError, listItems, type ApiError } from '../api/client';
import { Field, fieldErrors, Form, FormResult, TextField } from '../components/form';
import { TICKER_SYMBOL_PATTERN } from '../../../src/domain/ticker-symbol';

interface TickerRow {
  ticker: string;
  lastDate?: string | null;
}

interface Options {
  strategies: Array<{ name: string; description: string }>;
  recommended: string;
  defaultStrategies: string[];
}

/** A picked ticker and its strategies (none: what it runs by config). */
interface Pick {
  ticker: string;
  strategies: string[];
  /** Not tracked yet: tracked from the next daily run once confirmed. */
  isNew: boolean;
}

// The server's one ticker rule, so the form refuses exactly what the API refuses.
const SYMBOL = TICKER_SYMBOL_PATTERN;
const SHOWN = 12;

/** /app/subscribe: pick tickers (tracked or new), strategies per ticker or "recommended", an email; a confirmation link is emailed. */
export default function Subscribe() {
  const [tracked, setTracked] = useState<TickerRow[]>([]);
  const [options, setOptions] = useState<Options | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [newSymbol, setNewSymbol] = useState('');
  const [newSymbolError, setNewSymbolError] = useState<string | undefined>();
  const [picks, setPicks] = useState<Pick[]>([]);
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState<{
    email: string;
    subscriptions: Array<{ ticker: string; strategy: string }>;
    notes: string[];
  } | null>(null);

  useEffect(() => {
    // GET /tickers has answered `{ tickers }` and answers `{ items, nextCursor }` with paging: listItems reads both.
    api.GET('/tickers').then(
      ({ data, error: e }) =>
        e ? setLoadError(asApiError(e).message) : setTracked(listItems<TickerRow>(data, 'tickers')),
      (e: unknown) => setLoadError(asApiError(e).message),
    );
    api.GET('/subscriptions/options').then(
      ({ data, error: e }) => (e || !data ? setLoadError(asApiError(e).message) : setOptions(data)),
      (e: unknown) => setLoadError(asApiError(e).message),
    );
  }, []);

  const matches = useMemo(() => {
    const q = query.trim().toUpperCase();
    return tracked.filter((t) => !q || t.ticker.includes(q)).slice(0, SHOWN);
  }, [tracked, query]);
  const picked = new Set(picks.map((p) => p.ticker));
  const errors = fieldErrors(error, ['email', 'tickers', 'subscriptions']);
  const tickersError = errors.subscriptions ?? errors.tickers;

  const toggle = (ticker: string, isNew = false) =>
    setPicks((ps) =>
      ps.some((p) => p.ticker === ticker)
        ? ps.filter((p) => p.ticker !== ticker)
        : [...ps, { ticker, strategies: [], isNew }],
    );
  const setStrategy = (ticker: string, strategy: string, on: boolean) =>
    setPicks((ps) =>
      ps.map((p) =>
        p.ticker !== ticker
          ? p
          : { ...p, strategies: on ? [...p.strategies, strategy] : p.strategies.filter((s) => s !== strategy) },
      ),
    );

  const addSymbol = () => {
    const symbol = newSymbol.trim().toUpperCase();
    if (!SYMBOL.test(symbol)) {
      setNewSymbolError('Not a ticker symbol: letters, digits, "." or "-", e.g. AAPL or BRK.B');
      return;
    }
    setNewSymbolError(undefined);
    setNewSymbol('');
    if (!picked.has(symbol)) toggle(symbol, !tracked.some((t) => t.ticker === symbol));
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = {
        email,
        ...(picks.length
          ? {
              subscriptions: picks.map((p) => ({
                ticker: p.ticker,
                ...(p.strategies.length ? { strategies: p.strategies } : {}),
              })),
            }
          : {}),
      };
      // The server's proof of work: a moment of this browser's CPU per request, so nobody floods mailboxes through the form.
      const altcha = await solveProofOfWork();
      const {
        data,
        error: err,
        response,
      } = await api.POST('/subscriptions', {
        body: { ...body, ...(altcha ? { altcha } : {}) },
      });
      if (err || !response.ok) setError(asApiError(err, response.status));
      else setDone(data);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
      setAttempt((n) => n + 1);
    }
  };

  if (done) {
    return (
      <section>
        <h1>Check your inbox</h1>
        <FormResult ok={`We sent a confirmation link to ${done.email}.`} focusOnMount testId="subscribe-sent" />
        <p>Nothing is subscribed until you follow it; the link adds:</p>
        <ul data-testid="requested">
          {done.subscriptions.map((s) => (
            <li key={`${s.ticker}/${s.strategy}`}>
              {s.ticker} ({s.strategy})
            </li>
          ))}
        </ul>
        {done.notes.length > 0 && (
          <ul data-testid="recommended-notes" aria-label="What your recommended subscriptions will do">
            {done.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        )}
        <p class="muted">
          No email? Look in the spam folder, or subscribe again (a few confirmation emails a day per address at most).
        </p>
      </section>
    );
  }

  const strategyChoices = options ? [options.recommended, ...options.strategies.map((s) => s.name)] : [];
  const describe = (name: string) =>
    name === options?.recommended
      ? 'the strategy the walk-forward backtests recommend for this ticker'
      : (options?.strategies.find((s) => s.name === name)?.description ?? '');

  return (
    <section>
      <h1>Subscribe</h1>
      <p>
        Get an email on the evenings one of your tickers gets a BUY or SELL signal. You confirm by a link we email you;
        every email has a link to change or stop it.
      </p>
      {loadError && (
        <p class="error" role="alert">
          {loadError}
        </p>
      )}
      <Form onSubmit={submit} noValidate>
        <fieldset>
          <legend>Tickers</legend>
          <Field label="Search the tracked tickers" name="search">
            {(a) => (
              <input
                {...a}
                type="search"
                value={query}
                onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
                placeholder="e.g. AAPL"
                autoComplete="off"
              />
            )}
          </Field>
          <div class="checks" role="group" aria-label="Tracked tickers">
            {matches.map((t) => (
              <label key={t.ticker}>
                <input type="checkbox" checked={picked.has(t.ticker)} onChange={() => toggle(t.ticker)} /> {t.ticker}
              </label>
            ))}
            {matches.length === 0 && <span class="muted">No tracked ticker matches; add it below.</span>}
          </div>
          <div class="inline-add">
            <TextField
              label="Or add a symbol that is not tracked yet"
              name="newSymbol"
              value={newSymbol}
              error={newSymbolError}
              hint="It is tracked from the next daily run after you confirm."
              onInput={(e) => setNewSymbol((e.target as HTMLInputElement).value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  addSymbol();
                }
              }}
              autoComplete="off"
              autoCapitalize="characters"
            />
            <button type="button" class="secondary" onClick={addSymbol}>
              Add
            </button>
          </div>
        </fieldset>

        <fieldset aria-describedby={tickersError ? 'tickers-error' : undefined}>
          <legend>Your tickers and strategies</legend>
          {picks.length === 0 && <p class="muted">No ticker picked yet.</p>}
          {picks.map((p) => (
            <div key={p.ticker} class="pick" data-testid={`pick-${p.ticker}`}>
              <div class="pick-head">
                <strong>{p.ticker}</strong>
                {p.isNew && <span class="chip">new: tracked from the next run</span>}
                <button type="button" class="link" onClick={() => toggle(p.ticker)} aria-label={`Remove ${p.ticker}`}>
                  Remove
                </button>
              </div>
              <div class="checks" role="group" aria-label={`Strategies for ${p.ticker}`}>
                {strategyChoices.map((name) => (
                  <label key={name} title={describe(name)}>
                    <input
                      type="checkbox"
                      checked={p.strategies.includes(name)}
                      onChange={(e) => setStrategy(p.ticker, name, (e.target as HTMLInputElement).checked)}
                    />{' '}
                    {name}
                  </label>
                ))}
              </div>
              {p.strategies.length === 0 && options && (
                <div class="hint">None picked: the configured ones ({options.defaultStrategies.join(', ')}).</div>
              )}
            </div>
          ))}
          {tickersError && (
            <div id="tickers-error" class="field-error" role="alert" data-field-error="tickers">
              {tickersError}
            </div>
          )}
        </fieldset>

        <TextField
          label="Email"
          name="email"
          type="email"
          value={email}
          error={errors.email}
          autoComplete="email"
          onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
        />
        <FormResult errors={errors} attempt={attempt} />
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Send me the confirmation link'}
        </button>
      </Form>
    </section>
  );
}
