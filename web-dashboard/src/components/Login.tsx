import { useState } from 'preact/hooks';
import { Card } from './common';

/**
 * Shown when the REST API answers 401 (`rest.authentication.token` is set): the token is sent once to `./login`, which
 * sets an HttpOnly, SameSite=Strict session cookie; every later call of the dashboard carries that cookie. Opening the
 * dashboard as `/?token=<token>` does the same.
 */
export function Login() {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const response = await fetch('./login', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ token }) });
      if (response.ok) {
        window.location.reload();
        return;
      }
      const body = (await response.json().catch(() => undefined)) as { errors?: unknown[] } | undefined;
      setError(body?.errors?.length ? String(body.errors[0]) : `${response.status} ${response.statusText}`);
    } catch (failure) {
      setError(`The JobManager cannot be reached (${failure instanceof Error ? failure.message : String(failure)}).`);
    }
    setBusy(false);
  };

  return (
    <div class="login">
      <Card title="Log in">
        <form class="form" onSubmit={(event) => void submit(event)}>
          <p class="message">This cluster's REST API asks for its token (rest.authentication.token).</p>
          <label class="wide">
            <span>REST token</span>
            <input class="input" type="password" name="token" autocomplete="current-password" value={token} onInput={(event) => setToken((event.target as HTMLInputElement).value)} />
          </label>
          {error !== undefined && <p class="message error-text">{error}</p>}
          <div class="form-actions">
            <button class="button primary" type="submit" disabled={busy || token === ''}>
              Log in
            </button>
          </div>
        </form>
      </Card>
    </div>
  );
}
