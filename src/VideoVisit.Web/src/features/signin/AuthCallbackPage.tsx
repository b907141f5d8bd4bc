import { useEffect, useRef, useState } from 'react';
import { useI18n } from '../../i18n';
import { navigate } from '../../app/router';
import { completeSignIn } from '../../services/oidc';

/**
 * `/auth/callback`: the provider sends the browser back here with a code. Only a sign-in this tab
 * started (its state and PKCE verifier are in this tab's storage) completes; anything else is refused.
 */
export function AuthCallbackPage() {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    completeSignIn().then(
      (returnTo) => navigate(returnTo, { replace: true }),
      (e: Error) => {
        // The code and state leave the address bar whatever happened.
        history.replaceState(null, '', '/auth/callback');
        setError(e.message);
      },
    );
  }, []);

  return (
    <section className="page signin" data-testid="auth-callback" aria-labelledby="auth-callback-title">
      <h1 id="auth-callback-title">{t('signin.title')}</h1>
      {error ? (
        <div role="alert" className="error" data-testid="auth-callback-error">
          <p>{t('signin.callbackError', { message: error })}</p>
          <a className="button" href="/">
            {t('signin.submit')}
          </a>
        </div>
      ) : (
        <p role="status">{t('signin.completing')}</p>
      )}
    </section>
  );
}
