import { useEffect, useRef, useState } from 'react';
import { formatClock, useI18n } from '../../i18n';
import type { ChatMessage, Participant } from '../../services/hub';

/** Chat for a visit: in the waiting room and in the call. New messages are announced politely. */
export function Chat({
  messages,
  participants,
  selfId,
  onSend,
}: {
  messages: ChatMessage[];
  participants: Participant[];
  selfId: string | null;
  onSend: (text: string) => Promise<void>;
}) {
  const { t, language } = useI18n();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const nameOf = (id: string) =>
    id === selfId ? t('chat.you') : participants.find((p) => p.participantId === id)?.displayName ?? id;

  useEffect(() => {
    list.current?.lastElementChild?.scrollIntoView?.({ block: 'nearest' });
  }, [messages.length]);

  return (
    <section className="chat card" aria-labelledby="chat-title" data-testid="chat">
      <h2 id="chat-title">{t('chat.title')}</h2>
      <ol ref={list} className="chat-messages" aria-live="polite" aria-relevant="additions" tabIndex={0} aria-label={t('chat.title')}>
        {messages.length === 0 && <li className="muted">{t('chat.empty')}</li>}
        {messages.map((m) => (
          <li
            key={m.messageId}
            data-testid="chat-message"
            data-from={m.fromParticipantId}
            data-mine={String(m.fromParticipantId === selfId)}
            className={m.fromParticipantId === selfId ? 'mine' : ''}
          >
            <span className="chat-from">{nameOf(m.fromParticipantId)}</span>{' '}
            <time dateTime={m.sentAt}>{m.sentAt ? formatClock(m.sentAt, language) : ''}</time>
            <p className="chat-text">{m.text}</p>
          </li>
        ))}
      </ol>
      <form
        className="chat-form"
        onSubmit={(e) => {
          e.preventDefault();
          const value = text.trim();
          if (!value) return;
          setText('');
          setError(null);
          onSend(value).catch((err: Error) => {
            setError(err.message);
            setText(value);
          });
        }}
      >
        <label htmlFor="chat-input" className="visually-hidden">
          {t('chat.label')}
        </label>
        <input
          id="chat-input"
          type="text"
          maxLength={2000}
          autoComplete="off"
          value={text}
          placeholder={t('chat.label')}
          onChange={(e) => setText(e.target.value)}
          data-testid="chat-input"
        />
        <button type="submit" className="button primary" data-testid="chat-send">
          {t('chat.send')}
        </button>
      </form>
      {error && (
        <p role="alert" className="error">
          {t('common.error', { message: error })}
        </p>
      )}
    </section>
  );
}
