// One visit as this browser takes part in it: BeginVisit, the latest VisitState snapshot, our own
// participant, chat, and how it ended. Used by the patient's visit page and the console.
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  hubErrorMessage,
  onHub,
  onHubReconnected,
  onHubStatus,
  hubStatus,
  visitHub,
  type ChatMessage,
  type ConnectionStatus,
  type Participant,
  type VisitSnapshot,
} from '../../services/hub';
import { createLogger } from '../../services/log';
import { holdActivity } from '../session/activity';

const log = createLogger('visit');

export type Phase = 'idle' | 'joining' | 'waiting' | 'admitted' | 'removed' | 'ended' | 'left' | 'error';

export interface VisitSession {
  phase: Phase;
  visitId: string | null;
  selfId: string | null;
  snapshot: VisitSnapshot | null;
  self: Participant | null;
  messages: ChatMessage[];
  error: string | null;
  /** `removed` by the professional, or `replaced` when the same person joined from elsewhere. */
  removedReason: string | null;
  /** Why the visit ended when not by the professional: 'appointment-cancelled'. */
  endedReason: string | null;
  returnedToWaiting: boolean;
  hub: ConnectionStatus;
  begin: () => Promise<{ visitId: string; participantId: string } | null>;
  leave: () => Promise<void>;
  sendChat: (text: string) => Promise<void>;
}

export function placeInLine(snapshot: VisitSnapshot | null, selfId: string | null): number | null {
  if (!snapshot || !selfId) return null;
  if (typeof snapshot.placeInLine === 'number') return snapshot.placeInLine;
  // The server's order: participants come in its waiting order (never re-sorted here).
  const me = snapshot.participants.find((p) => p.participantId === selfId);
  if (typeof me?.placeInLine === 'number') return me.placeInLine;
  const waiting = snapshot.participants.filter((p) => p.state === 'waiting' && p.role !== 'professional');
  const i = waiting.findIndex((p) => p.participantId === selfId);
  return i >= 0 ? i + 1 : null;
}

export function professionalPresent(snapshot: VisitSnapshot | null): boolean {
  if (typeof snapshot?.professionalPresent === 'boolean') return snapshot.professionalPresent;
  return !!snapshot?.participants.some((p) => p.role === 'professional' && p.state === 'admitted');
}

/** A client message id; randomUUID is missing outside secure contexts (plain http on a LAN address). */
export function newId() {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** Pauses before each try to resume our seat after a reconnect (about 30 s in all). */
const RESUME_PAUSES_MS = [0, 500, 1000, 2000, 3000, 5000, 8000, 10000];

export function useVisitSession(appointmentId: string, onBehalfOf: string | null): VisitSession {
  const [phase, setPhase] = useState<Phase>('idle');
  const [visitId, setVisitId] = useState<string | null>(null);
  const [selfId, setSelfId] = useState<string | null>(null);
  const [snapshot, setSnapshot] = useState<VisitSnapshot | null>(null);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [returned, setReturned] = useState(false);
  const [removedReason, setRemovedReason] = useState<string | null>(null);
  const [endedReason, setEndedReason] = useState<string | null>(null);
  const version = useRef(-1);
  const [hub, setHub] = useState<ConnectionStatus>(hubStatus());
  const addMessage = useCallback((m: ChatMessage) => {
    setMessages((list) =>
      list.some((x) => x.messageId === m.messageId || (x.clientMessageId === m.clientMessageId && x.fromParticipantId === m.fromParticipantId))
        ? list
        : [...list, m],
    );
  }, []);
  const ids = useRef<{ visitId: string | null; selfId: string | null; phase: Phase }>({ visitId: null, selfId: null, phase: 'idle' });
  ids.current = { visitId, selfId, phase };

  const begin = useCallback(async () => {
    setPhase('joining');
    setError(null);
    try {
      const result = await visitHub.beginVisit(appointmentId, onBehalfOf);
      setVisitId(result.visitId);
      setSelfId(result.participantId);
      setPhase(result.state === 'admitted' ? 'admitted' : 'waiting');
      return { visitId: result.visitId, participantId: result.participantId };
    } catch (e) {
      log.warn('BeginVisit failed', hubErrorMessage(e));
      setError(hubErrorMessage(e));
      setPhase('error');
      return null;
    }
  }, [appointmentId, onBehalfOf]);

  useEffect(() => {
    const offs = [
      onHub('VisitState', (s) => {
        if (ids.current.visitId && s.visitId && s.visitId !== ids.current.visitId) return;
        if (s.version && s.version < version.current) return;
        version.current = s.version;
        setSnapshot(s);
        const selfId = s.yourParticipantId ?? ids.current.selfId;
        const me = s.participants.find((p) => p.participantId === selfId);
        if (!me) return;
        const current = ids.current.phase;
        if (current === 'removed' || current === 'ended' || current === 'left') return;
        if (me.state === 'admitted' && current !== 'admitted') setPhase('admitted');
        if (me.state === 'waiting' && current === 'admitted') {
          setReturned(true);
          setPhase('waiting');
        }
        if (me.state === 'waiting' && current === 'joining') setPhase('waiting');
        if (me.state === 'removed') setPhase('removed');
      }),
      onHub('ChatMessage', (m) => {
        if (ids.current.visitId && m.visitId && m.visitId !== ids.current.visitId) return;
        addMessage(m);
      }),
      onHub('Removed', (m) => {
        if (!ids.current.visitId || !m.visitId || m.visitId === ids.current.visitId) {
          setRemovedReason(m.reason ?? 'removed');
          setPhase('removed');
        }
      }),
      onHub('VisitEnded', (m) => {
        if (!ids.current.visitId || !m.visitId || m.visitId === ids.current.visitId) {
          setEndedReason(m.reason ?? null);
          setPhase('ended');
        }
      }),
      onHubStatus(setHub),
      // After the hub reconnects, our seat is still held for the grace period: knock again on the
      // same appointment to resume it (the server recognises the person and keeps their state).
      // When the server that ran the visit died, the cluster needs a few seconds to move it: try again
      // while we still hold a seat (the grace is a minute), with growing pauses.
      onHubReconnected(() => {
        const resume = async () => {
          for (const pause of RESUME_PAUSES_MS) {
            if (pause) await new Promise((r) => window.setTimeout(r, pause));
            const p = ids.current.phase;
            if (p !== 'waiting' && p !== 'admitted') return;
            try {
              const r = await visitHub.beginVisit(appointmentId, onBehalfOf);
              setVisitId(r.visitId);
              setSelfId(r.participantId);
              return;
            } catch (e) {
              log.warn('resume failed', hubErrorMessage(e));
            }
          }
        };
        void resume();
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [appointmentId, onBehalfOf, addMessage]);

  // Waiting or being in a call is activity: the session must not time out under a patient.
  useEffect(() => {
    if (phase === 'waiting' || phase === 'admitted' || phase === 'joining') return holdActivity();
  }, [phase]);

  const leave = useCallback(async () => {
    const id = ids.current.visitId;
    setPhase('left');
    if (id) await visitHub.leaveVisit(id).catch((e) => log.warn('LeaveVisit failed', hubErrorMessage(e)));
  }, []);

  const sendChat = useCallback(async (text: string) => {
    const id = ids.current.visitId;
    if (!id) return;
    const clientMessageId = newId();
    // Retry once with the same clientMessageId: the server delivers it only once.
    let sent: ChatMessage;
    try {
      sent = await visitHub.sendChat(id, clientMessageId, text);
    } catch {
      sent = await visitHub.sendChat(id, clientMessageId, text);
    }
    if (sent && sent.messageId) addMessage(sent);
  }, [addMessage]);

  const self = snapshot?.participants.find((p) => p.participantId === selfId) ?? null;
  return { phase, visitId, selfId, snapshot, self, messages, error, removedReason, endedReason, returnedToWaiting: returned, hub, begin, leave, sendChat };
}
