import { useState } from 'react';
import { useI18n } from '../../i18n';
import { navigate } from '../../app/router';
import { joinAsGuest } from './guestSession';

/**
 * `/join/<code>`: a guest by invitation (an interpreter, a relative) types their name — no account —
 * and goes on to the same device check and waiting room as everyone else, for that one visit.
 */
export function JoinPage({ code }: { code: string }) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const value = name.trim();
    if (!value) {
      setError(t('join.nameRequired'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await joinAsGuest(code, value);
      navigate(`/visit/${encodeURIComponent(session.guest!.appointmentId)}`, { replace: true });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  }

  return (
    <section className="page join" data-testid="join-page" aria-labelledby="join-title">
      <h1 id="join-title">{t('join.title')}</h1>
      <p>{t('join.intro')}</p>
      <form className="card join-form" onSubmit={(e) => void submit(e)} noValidate>
        <label htmlFor="guest-name">{t('join.name')}</label>
        <input
          id="guest-name"
          type="text"
          maxLength={60}
          autoComplete="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          data-testid="guest-name"
          aria-describedby="join-error"
        />
        <button type="submit" className="button primary" disabled={busy} data-testid="join-submit">
          {busy ? t('common.loading') : t('join.continue')}
        </button>
        <div id="join-error" role="alert">
          {error && (
            <p className="error" data-testid="join-error">
              {error}
            </p>
          )}
        </div>
      </form>
    </section>
  );
}
