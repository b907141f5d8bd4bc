import { useCallback, useEffect, useState } from 'react';
import { formatTime, useI18n, type MessageKey } from '../../i18n';
import { api, type CreatedInvitation, type Invitation } from '../../services/api';

/**
 * Guests for this visit: the professional invites an interpreter or a guest (optional name, expiry —
 * by default the end of the appointment's Begin window), sees the link and its QR code once, lists
 * the invitations and revokes them. The server checks every right; this only shows its answers.
 */
export function Invitations({ visitId }: { visitId: string }) {
  const { t, language } = useI18n();
  const [list, setList] = useState<Invitation[]>([]);
  const [role, setRole] = useState<'interpreter' | 'guest'>('interpreter');
  const [name, setName] = useState('');
  const [validFor, setValidFor] = useState('');
  const [created, setCreated] = useState<{ link: string; qr: string; invitation: Invitation } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const reload = useCallback(() => {
    api.invitations(visitId).then(setList, (e: Error) => setError(e.message));
  }, [visitId]);

  useEffect(reload, [reload]);

  async function create(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const minutes = Number(validFor);
      const made: CreatedInvitation = await api.createInvitation(visitId, {
        role,
        displayName: name.trim() || undefined,
        expiresAt: minutes > 0 ? new Date(Date.now() + minutes * 60_000).toISOString() : undefined,
      });
      const link = window.location.origin + made.path;
      // Loaded when first needed: only professionals who invite need the QR encoder.
      const QRCode = (await import('qrcode')).default;
      const qr = await QRCode.toDataURL(link, { errorCorrectionLevel: 'M', margin: 2, width: 192 });
      setCreated({ link, qr, invitation: made.invitation });
      setName('');
      reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(invitation: Invitation) {
    setError(null);
    try {
      await api.revokeInvitation(visitId, invitation.id);
      if (created?.invitation.id === invitation.id) setCreated(null);
      reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <section className="card invitations" aria-labelledby="invitations-title" data-testid="invitations">
      <h2 id="invitations-title">{t('invite.title')}</h2>
      <form className="invite-form" onSubmit={(e) => void create(e)}>
        <label htmlFor="invite-role">{t('invite.role')}</label>
        <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value as 'interpreter' | 'guest')} data-testid="invite-role">
          <option value="interpreter">{t('invite.role.interpreter')}</option>
          <option value="guest">{t('invite.role.guest')}</option>
        </select>
        <label htmlFor="invite-name">{t('invite.name')}</label>
        <input id="invite-name" type="text" maxLength={60} value={name} onChange={(e) => setName(e.target.value)} data-testid="invite-name" />
        <label htmlFor="invite-valid">{t('invite.validFor')}</label>
        <select id="invite-valid" value={validFor} onChange={(e) => setValidFor(e.target.value)} data-testid="invite-valid-for">
          <option value="">{t('invite.validFor.visit')}</option>
          <option value="15">{t('invite.validFor.minutes', { n: 15 })}</option>
          <option value="60">{t('invite.validFor.minutes', { n: 60 })}</option>
        </select>
        <button type="submit" className="button primary" disabled={busy} data-testid="invite-create">
          {t('invite.create')}
        </button>
      </form>
      {created && (
        <div className="invite-created" data-testid="invite-created" data-invitation-id={created.invitation.id}>
          <p>{t('invite.share')}</p>
          <label htmlFor="invite-link" className="visually-hidden">
            {t('invite.link')}
          </label>
          <input id="invite-link" type="text" readOnly value={created.link} data-testid="invite-link" onFocus={(e) => e.target.select()} />
          <button type="button" className="button small" data-testid="invite-copy" onClick={() => void navigator.clipboard?.writeText(created.link).catch(() => undefined)}>
            {t('invite.copy')}
          </button>
          <img src={created.qr} width={192} height={192} alt={t('invite.qr')} data-testid="invite-qr" />
        </div>
      )}
      {list.length > 0 && (
        <ul className="invitation-list">
          {list.map((i) => (
            <li key={i.id} data-testid="invitation-row" data-invitation-id={i.id} data-state={i.state}>
              <span>
                {t(`invite.role.${i.role === 'interpreter' ? 'interpreter' : 'guest'}` as MessageKey)}
                {i.displayName ? ` · ${i.displayName}` : ''} · {t(`invite.state.${i.state === 'revoked' ? 'revoked' : i.state === 'expired' ? 'expired' : 'active'}` as MessageKey, { time: formatTime(i.expiresAt, language) })}
              </span>
              {i.state === 'active' && (
                <button type="button" className="button small danger" data-testid="invite-revoke" aria-label={`${t('invite.revoke')}: ${i.displayName ?? t(`invite.role.${i.role === 'interpreter' ? 'interpreter' : 'guest'}` as MessageKey)}`} onClick={() => void revoke(i)}>
                  {t('invite.revoke')}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p role="alert" className="error" data-testid="invite-error">
          {error}
        </p>
      )}
    </section>
  );
}
