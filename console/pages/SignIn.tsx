// Sign-in: the admin token (or the one-time code from the link the bridge printed, ?code=) and
// the admin's name, exchanged for a session cookie. The token field is cleared once used.
import { useState } from 'preact/hooks';
import { signIn, type Session } from '../session';
import { Field } from '../ui';

export function SignIn({ code, onSignedIn, notice }: { code: string | null; onSignedIn: (s: Session) => void; notice?: string }) {
  const [useCode, setUseCode] = useState(code !== null);
  const [secret, setSecret] = useState(code ?? '');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const r = await signIn(useCode ? { code: secret.trim() } : { token: secret.trim() }, name.trim());
    setBusy(false);
    if (r.ok) {
      setSecret('');
      onSignedIn(r.session);
    } else setError(r.message);
  };

  return (
    <main id="main" class="signin">
      <form class="card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to sms-bridge</h1>
        {notice && <p class="notice" role="status">{notice}</p>}
        <Field label="Your name" hint="Shown on the replies you send and in the audit log.">
          <input name="name" autoComplete="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        {useCode ? (
          <Field label="One-time sign-in code" hint="From the link the bridge printed when it started.">
            <input name="code" autoComplete="one-time-code" required value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
          </Field>
        ) : (
          <Field label="Admin token" hint="ADMIN_TOKEN from the bridge's configuration.">
            <input name="token" type="password" autoComplete="current-password" required value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
          </Field>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
          <button type="button" class="link" onClick={() => (setUseCode(!useCode), setSecret(''), setError(null))}>
            {useCode ? 'Use the admin token instead' : 'I have a sign-in code'}
          </button>
        </div>
      </form>
    </main>
  );
}
