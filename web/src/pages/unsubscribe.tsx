import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, asApiError } from '../api/client';

/**
 * /app/unsubscribe?token=...: the unsubscribe link of every email. One button
 * (a GET never unsubscribes: mail scanners open links), then says what happened.
 * Mail clients' one-click unsubscribe (RFC 8058) POSTs /unsubscribe directly.
 */
export default function Unsubscribe() {
  const { query } = useLocation();
  const token = query.token ?? '';
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(
    token ? null : 'This link has no token. Copy the whole link from the email.',
  );
  const [busy, setBusy] = useState(false);

  const unsubscribe = async () => {
    setBusy(true);
    try {
      const { data, error: e, response } = await api.POST('/subscriptions/unsubscribe', { body: { token } });
      if (data) setDone(data.email);
      else setError(asApiError(e, response.status).message);
    } catch (e) {
      setError(asApiError(e).message);
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    return (
      <section aria-live="polite">
        <h1>Unsubscribed</h1>
        <p class="result">
          <strong>{done}</strong> will receive no more emails from Algo Signals.
        </p>
        <p>
          Changed your mind? <a href="/app/subscribe">Subscribe again</a>.
        </p>
      </section>
    );
  }
  return (
    <section>
      <h1>Unsubscribe</h1>
      {error ? (
        <p role="alert" class="error">
          {error}
        </p>
      ) : (
        <>
          <p>Stop every email from Algo Signals to the address this link was sent to?</p>
          <button type="button" class="danger" onClick={unsubscribe} disabled={busy}>
            {busy ? 'Unsubscribing…' : 'Unsubscribe from everything'}
          </button>
          <p class="muted">To stop only some tickers, use the “Manage your subscriptions” link in the email instead.</p>
        </>
      )}
    </section>
  );
}
