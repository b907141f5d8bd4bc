import { useEffect, useState } from 'react';
import { useI18n } from '../../i18n';
import { api, ApiError, type DemoPerson } from '../../services/api';
import { lastSignOutReason, signIn } from '../../services/auth';

type Mode = { kind: 'loading' } | { kind: 'dev'; people: DemoPerson[] } | { kind: 'external' } | { kind: 'error'; message: string };

/** Unverified read of a JWT's `exp`, only to know when to stop using it. */
function expiryOf(token: string): string | undefined {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: number };
    return payload.exp ? new Date(payload.exp * 1000).toISOString() : undefined;
  } catch {
    return undefined;
  }
}

export function SignInPage() {
  const { t } = useI18n();
  const [mode, setMode] = useState<Mode>({ kind: 'loading' });
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [token, setToken] = useState('');
  const reason = lastSignOutReason();

  async function signInAs(person: DemoPerson) {
    setBusy(person.id);
    setError(null);
    try {
      const { accessToken, expiresAt } = await api.devToken(person.id);
      signIn({ accessToken, expiresAt, personId: person.id, name: person.name, issuer: 'dev' });
    } catch (e) {
      setError((e as Error).message);
      setBusy(null);
    }
  }

  useEffect(() => {
    // An external identity provider may hand the token back in the fragment.
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const fromFragment = fragment.get('access_token');
    if (fromFragment) {
      history.replaceState(null, '', window.location.pathname + window.location.search);
      signIn({ accessToken: fromFragment, expiresAt: expiryOf(fromFragment), issuer: 'external' });
      return;
    }
    let live = true;
    api.devPeople().then(
      (people) => {
        if (!live) return;
        setMode({ kind: 'dev', people });
        // Development issuer only: `?as=patient-1` picks a demo person (used by tests and demos).
        // Used once: removed from the address, and never after a sign-out.
        const query = new URLSearchParams(window.location.search);
        const as = query.get('as');
        if (as) {
          query.delete('as');
          const rest = query.toString();
          history.replaceState(null, '', window.location.pathname + (rest ? `?${rest}` : ''));
        }
        const person = as && !lastSignOutReason() ? people.find((p) => p.id === as) : undefined;
        if (person) void signInAs(person);
      },
      (e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && e.status === 404) setMode({ kind: 'external' });
        else setMode({ kind: 'error', message: (e as Error).message });
      },
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <section className="page signin" data-testid="signin" aria-labelledby="signin-title">
      <h1 id="signin-title">{t('signin.title')}</h1>
      {reason && (
        <p className="notice" role="status" data-testid="signed-out" data-signed-out-reason={reason}>
          {t(`signin.signedOut.${reason}`)}
        </p>
      )}
      {mode.kind === 'loading' && <p role="status">{t('common.loading')}</p>}
      {mode.kind === 'error' && (
        <div role="alert" className="error">
          <p>{t('common.error', { message: mode.message })}</p>
          <button type="button" className="button" onClick={() => window.location.reload()}>
            {t('common.retry')}
          </button>
        </div>
      )}
      {mode.kind === 'dev' && (
        <>
          <p className="warning-banner" data-testid="dev-issuer-notice">
            {t('signin.devNotice')}
          </p>
          <h2>{t('signin.pick')}</h2>
          <ul className="people" data-testid="demo-people">
            {mode.people.map((p) => (
              <li key={p.id}>
                <button
                  type="button"
                  className="person"
                  data-testid={`person-${p.id}`}
                  data-person-id={p.id}
                  disabled={busy !== null}
                  onClick={() => void signInAs(p)}
                >
                  <span className="person-name">{p.name}</span>
                  <span className="person-id">{p.id}</span>
                  {p.description && <span className="person-role">{p.description}</span>}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {mode.kind === 'external' && (
        <form
          className="token-form"
          onSubmit={(e) => {
            e.preventDefault();
            const value = token.trim();
            if (value) signIn({ accessToken: value, expiresAt: expiryOf(value), issuer: 'external' });
          }}
        >
          <h2>{t('signin.externalTitle')}</h2>
          <label htmlFor="token">{t('signin.tokenLabel')}</label>
          <textarea id="token" rows={4} value={token} onChange={(e) => setToken(e.target.value)} data-testid="token-input" />
          <button type="submit" className="button primary" data-testid="token-submit">
            {t('signin.submit')}
          </button>
        </form>
      )}
      {error && (
        <p role="alert" className="error">
          {t('common.error', { message: error })}
        </p>
      )}
    </section>
  );
}
