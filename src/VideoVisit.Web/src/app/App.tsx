import { useEffect } from 'react';
import { languages, setLanguage, useI18n, type Language } from '../i18n';
import { signOut, useSession } from '../services/auth';
import { disconnectHub } from '../services/hub';
import { releaseMedia } from '../services/media';
import { isProfessional, useMe } from '../services/me';
import { SignInPage } from '../features/signin/SignInPage';
import { AuthCallbackPage } from '../features/signin/AuthCallbackPage';
import { UpcomingPage } from '../features/upcoming/UpcomingPage';
import { VisitPage } from '../features/prejoin/VisitPage';
import { PrecheckPage } from '../features/prejoin/PrecheckPage';
import { ConsolePage } from '../features/console/ConsolePage';
import { ConsoleVisitPage } from '../features/console/ConsoleVisitPage';
import { SessionTimeout } from '../features/session/SessionTimeout';
import { JoinPage } from '../features/guest/JoinPage';
import '../features/guest/guestSession';
import { match, navigate, useLocation } from './router';

export function App() {
  const session = useSession();
  const { t } = useI18n();
  const { me } = useMe();
  const location = useLocation();

  useEffect(() => {
    if (!session) {
      void disconnectHub();
      releaseMedia();
    }
  }, [session]);

  useEffect(() => {
    if (session && me && location.path === '/') {
      navigate(isProfessional(me) ? '/console' : '/upcoming', { replace: true });
    }
  }, [session, me, location.path]);

  // A guest's token opens one visit: every other screen leads back to it.
  const guest = session?.guest;
  const guestVisitPath = guest ? `/visit/${encodeURIComponent(guest.appointmentId)}` : null;
  useEffect(() => {
    if (guestVisitPath && location.path !== guestVisitPath && !location.path.startsWith('/join/')) {
      navigate(guestVisitPath, { replace: true });
    }
  }, [guestVisitPath, location.path]);

  let screen: string;
  let content: React.ReactNode;
  let params: Record<string, string> | null;
  if (location.path === '/auth/callback') {
    screen = 'auth-callback';
    content = <AuthCallbackPage />;
  } else if ((params = match('/join/:code', location.path))) {
    screen = 'join';
    content = <JoinPage key={params.code} code={params.code} />;
  } else if (!session) {
    screen = 'signin';
    content = <SignInPage />;
  } else if (location.path === '/upcoming') {
    screen = 'upcoming';
    content = <UpcomingPage />;
  } else if (guest && location.path !== guestVisitPath) {
    screen = 'loading';
    content = <p role="status">{t('common.loading')}</p>;
  } else if ((params = match('/visit/:appointmentId', location.path))) {
    screen = 'visit';
    content = (
      <VisitPage
        key={params.appointmentId}
        appointmentId={params.appointmentId}
        onBehalfOf={location.query.get('onBehalfOf')}
      />
    );
  } else if (location.path === '/precheck') {
    screen = 'precheck';
    content = <PrecheckPage />;
  } else if (location.path === '/console') {
    screen = 'console';
    content = <ConsolePage />;
  } else if ((params = match('/console/:appointmentId', location.path))) {
    screen = 'console-visit';
    content = <ConsoleVisitPage key={params.appointmentId} appointmentId={params.appointmentId} />;
  } else {
    screen = 'loading';
    content = <p role="status">{t('common.loading')}</p>;
  }

  return (
    <div className="app-shell" data-app-shell="ready" data-screen={screen}>
      <a className="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <header className="app-header">
        <span className="brand">{t('app.name')}</span>
        <nav aria-label={t('app.name')} className="header-nav">
          {session?.issuer === 'guest' && (
            <span className="who" data-testid="signed-in-as" data-guest-role={session.guest?.role ?? ''}>
              {t('nav.guestAs', { name: session.name ?? '' })}
            </span>
          )}
          {session && me && (
            <>
              <span className="who" data-testid="signed-in-as">
                {t('nav.signedInAs', { name: me.name })}
              </span>
              {isProfessional(me) ? (
                <a href="/console" onClick={link('/console')}>
                  {t('nav.console')}
                </a>
              ) : (
                <a href="/upcoming" onClick={link('/upcoming')}>
                  {t('nav.upcoming')}
                </a>
              )}
            </>
          )}
          <LanguageSwitch />
          {session && (
            <button type="button" className="button link" data-testid="sign-out" onClick={() => signOut('user')}>
              {t('nav.signOut')}
            </button>
          )}
        </nav>
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        {content}
      </main>
      {session && <SessionTimeout />}
    </div>
  );
}

export function link(to: string) {
  return (e: React.MouseEvent) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(to);
  };
}

function LanguageSwitch() {
  const { t, language } = useI18n();
  return (
    <label className="lang">
      <span className="visually-hidden">{t('nav.language')}</span>
      <select
        value={language}
        data-testid="language"
        onChange={(e) => setLanguage(e.target.value as Language)}
      >
        {languages.map((l) => (
          <option key={l} value={l} lang={l}>
            {t(`lang.${l}`)}
          </option>
        ))}
      </select>
    </label>
  );
}
