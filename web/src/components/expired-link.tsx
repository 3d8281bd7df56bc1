import { useState } from 'preact/hooks';
import { api, asApiError } from '../api/client';

/**
 * What an expired confirm or manage link shows: that it expired, in plain
 * words, and "Send me a new link", which emails a fresh one to the address
 * the link was for (POST /subscriptions/new-link with the link's token).
 */
export function ExpiredLink({ token, message }: { token: string; message: string }) {
  const [said, setSaid] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const ask = async () => {
    setBusy(true);
    setError('');
    try {
      const { data, error: e, response } = await api.POST('/subscriptions/new-link', { body: { token } });
      if (data) setSaid(data.message);
      else setError(asApiError(e, response.status).message);
    } catch (e) {
      setError(asApiError(e).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>This link has expired</h1>
      <p data-testid="expired-message">{message}</p>
      <p>Links in our emails work for a limited time. We can email you a new one.</p>
      {said ? (
        <p role="status" class="ok" data-testid="new-link-said">
          {said}
        </p>
      ) : (
        <div class="actions">
          <button type="button" disabled={busy} onClick={ask}>
            Send me a new link
          </button>
        </div>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </section>
  );
}
