import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, asApiError, type ApiError } from '../api/client';
import { ExpiredLink } from '../components/expired-link';

type Pair = { ticker: string; strategy: string };
interface Confirmed {
  outcome: 'applied' | 'already_applied' | 'confirmed';
  email: string;
  subscriptions: Pair[];
  added: Pair[];
  manageUrl: string;
}

/** Path and query of a link of this app (the manage link), so it opens in the app. */
export const appPath = (url: string) => {
  const u = new URL(url, window.location.origin);
  return `${u.pathname}${u.search}`;
};

/**
 * /app/confirm?token=...: the link in a confirmation email. Opening it
 * changes nothing (mail scanners open links and run their scripts): the
 * change applies when the person clicks "Confirm", which says what happened.
 */
export default function Confirm() {
  const { query } = useLocation();
  const token = query.token ?? '';
  const [result, setResult] = useState<Confirmed | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(
    token ? null : { error: 'invalid_link', message: 'This link has no token. Copy the whole link from the email.' },
  );

  const confirm = async () => {
    setBusy(true);
    try {
      const { data, error: e, response } = await api.POST('/subscriptions/confirm', { body: { token } });
      if (data) setResult(data);
      else setError(asApiError(e, response.status));
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };

  if (error?.error === 'link_expired') return <ExpiredLink token={token} message={error.message} />;
  if (error) {
    return (
      <section>
        <h1>This link does not work</h1>
        <p role="alert" class="error">
          {error.message}
        </p>
        <p>
          <a href="/app/subscribe">Subscribe again</a>
        </p>
      </section>
    );
  }
  if (!result) {
    return (
      <section>
        <h1>Confirm your subscription</h1>
        <p>Click the button to confirm the subscription this email link was sent for. Nothing changes until you do.</p>
        <div class="actions">
          <button type="button" disabled={busy} onClick={confirm}>
            {busy ? 'Confirming…' : 'Confirm my subscription'}
          </button>
        </div>
      </section>
    );
  }
  const title = result.outcome === 'already_applied' ? 'Already confirmed' : 'Subscription confirmed';
  return (
    <section aria-live="polite">
      <h1>{title}</h1>
      <p class="result">
        {result.outcome === 'already_applied' ? (
          <>You had already followed this link; nothing changed.</>
        ) : (
          <>
            <strong>{result.email}</strong> will get an email on the evenings these tickers have a BUY or SELL signal.
          </>
        )}
      </p>
      {result.added.length > 0 && (
        <>
          <h2>Added now</h2>
          <ul data-testid="added">
            {result.added.map((p) => (
              <li key={`${p.ticker}/${p.strategy}`}>
                {p.ticker} ({p.strategy})
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>All your subscriptions</h2>
      <ul data-testid="subscriptions">
        {result.subscriptions.map((p) => (
          <li key={`${p.ticker}/${p.strategy}`}>
            {p.ticker} ({p.strategy})
          </li>
        ))}
      </ul>
      <p>
        <a href={appPath(result.manageUrl)}>Manage your subscriptions</a> (every email has this link too)
      </p>
    </section>
  );
}
