import { useEffect, useState } from 'react';
import { useI18n } from '../../i18n';
import { api, ApiError, type DemoPerson } from '../../services/api';
import { lastSignOutReason, signIn } from '../../services/auth';
import { authConfig, startSignIn } from '../../services/oidc';

type Mode =
  | { kind: 'loading' }
  | { kind: 'dev'; people: DemoPerson[] }
  | { kind: 'external' }
  | { kind: 'unconfigured' }
  | { kind: 'error'; message: string };

export function SignInPage() {
  const { t } = useI18n();
  const [mode, setMode] = useState<Mode>({ kind: 'loading' });
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
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
    let live = true;
    authConfig()
      .then(async (config) => {
        if (!live) return;
        if (!config.devIssuer) {
          setMode({ kind: config.authority ? 'external' : 'unconfigured' });
          return;
        }
        const people = await api.devPeople();
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
      })
      .catch((e: unknown) => {
        if (live) setMode({ kind: 'error', message: e instanceof ApiError || e instanceof Error ? e.message : String(e) });
      });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  async function signInWithProvider() {
    setBusy('provider');
    setError(null);
    try {
      await startSignIn(window.location.pathname + window.location.search);
    } catch (e) {
      setError((e as Error).message);
      setBusy(null);
    }
  }

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
        <div className="provider-signin">
          <h2>{t('signin.externalTitle')}</h2>
          <p>{t('signin.externalHelp')}</p>
          <button type="button" className="button primary" data-testid="oidc-sign-in" disabled={busy !== null} onClick={() => void signInWithProvider()}>
            {t('signin.submit')}
          </button>
        </div>
      )}
      {mode.kind === 'unconfigured' && (
        <p role="alert" className="error" data-testid="signin-unconfigured">
          {t('signin.unconfigured')}
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {t('common.error', { message: error })}
        </p>
      )}
    </section>
  );
}
