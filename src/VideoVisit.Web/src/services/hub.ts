// The one place the app talks to the SignalR hub `/hubs/visit` (Contract v1). Everything is typed
// here; features subscribe to events through `onHub` and call methods through `visitHub`.
import {
  HubConnection,
  HubConnectionBuilder,
  HubConnectionState,
  HttpTransportType,
  LogLevel,
} from '@microsoft/signalr';
import { getAccessToken } from './auth';
import { createLogger } from './log';

const log = createLogger('hub');

export type ParticipantState = 'waiting' | 'admitted' | 'left' | 'removed' | 'disconnected' | string;
export type SignalKind = 'offer' | 'answer' | 'ice' | 'restart';

export interface PrecheckSummary {
  state: string;
  summary?: string;
  reportedAt?: string;
}

export interface Participant {
  participantId: string;
  personId?: string;
  displayName: string;
  role: string;
  onBehalfOf?: string | null;
  onBehalfOfName?: string | null;
  state: ParticipantState;
  waitingSince?: string | null;
  /** Place in the waiting line as the server defines it (arrival order); null when not waiting. */
  placeInLine?: number | null;
  precheck?: PrecheckSummary | null;
}

export interface VisitSnapshot {
  visitId: string;
  appointmentId?: string;
  kind?: string;
  state?: string;
  /** Grows with every change: an older snapshot arriving late is ignored. */
  version: number;
  professionalPresent?: boolean;
  yourParticipantId?: string | null;
  placeInLine?: number | null;
  waitingCount?: number;
  participants: Participant[];
}

export interface BeginVisitResult {
  visitId: string;
  participantId: string;
  state: ParticipantState;
}

export interface SignalMessage {
  visitId: string;
  fromParticipantId: string;
  kind: SignalKind;
  /** Passed through untouched by the server: an RTCSessionDescriptionInit or RTCIceCandidateInit. */
  payload: unknown;
}

export interface ChatMessage {
  visitId: string;
  messageId: string;
  clientMessageId: string;
  fromParticipantId: string;
  fromDisplayName?: string;
  text: string;
  sentAt: string;
}

export interface HubEvents {
  VisitState: VisitSnapshot;
  Signal: SignalMessage;
  ChatMessage: ChatMessage;
  Removed: { visitId: string; participantId?: string; reason?: string; message?: string };
  VisitEnded: { visitId: string; message?: string; reason?: string | null };
  /** The clinic's system changed appointments this person sees (FHIR): re-read the list. */
  AppointmentsChanged: { appointmentIds: string[] };
}

export type ConnectionStatus = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';

type Handler<K extends keyof HubEvents> = (payload: HubEvents[K]) => void;
const handlers: { [K in keyof HubEvents]: Set<Handler<K>> } = {
  VisitState: new Set(),
  Signal: new Set(),
  ChatMessage: new Set(),
  Removed: new Set(),
  VisitEnded: new Set(),
  AppointmentsChanged: new Set(),
};
const statusListeners = new Set<(status: ConnectionStatus) => void>();
const reconnectedListeners = new Set<() => void>();

let connection: HubConnection | null = null;
let starting: Promise<HubConnection> | null = null;
let status: ConnectionStatus = 'disconnected';

function setStatus(next: ConnectionStatus) {
  status = next;
  for (const l of statusListeners) l(next);
}

// Accept `id` for `participantId` and PascalCase/camelCase variants of the snapshot.
export function normalizeSnapshot(raw: unknown): VisitSnapshot {
  const s = (raw ?? {}) as Record<string, unknown>;
  const list = (s.participants ?? s.Participants ?? []) as Array<Record<string, unknown>>;
  return {
    visitId: String(s.visitId ?? s.id ?? ''),
    appointmentId: s.appointmentId as string | undefined,
    kind: s.kind as string | undefined,
    state: s.state as string | undefined,
    version: Number(s.version ?? 0),
    professionalPresent: s.professionalPresent as boolean | undefined,
    yourParticipantId: (s.yourParticipantId ?? null) as string | null,
    placeInLine: (s.placeInLine ?? null) as number | null,
    waitingCount: s.waitingCount as number | undefined,
    participants: list.map((p) => {
      const behalf = p.onBehalfOf as string | { id?: string; displayName?: string } | null | undefined;
      return {
      participantId: String(p.participantId ?? p.id ?? ''),
      personId: p.personId as string | undefined,
      displayName: String(p.displayName ?? p.name ?? p.personId ?? ''),
      role: String(p.role ?? 'patient').toLowerCase(),
      onBehalfOf: behalf && typeof behalf === 'object' ? String(behalf.id ?? '') : (behalf ?? null),
      onBehalfOfName: behalf && typeof behalf === 'object' ? String(behalf.displayName ?? behalf.id ?? '') : (p.onBehalfOfName as string | null) ?? null,
      state: String(p.state ?? 'waiting').toLowerCase(),
      waitingSince: (p.waitingSince ?? null) as string | null,
      placeInLine: typeof p.placeInLine === 'number' ? p.placeInLine : null,
      precheck: normalizePrecheck(p.precheck ?? p.precheckSummary),
      };
    }),
  };
}

function normalizePrecheck(raw: unknown): PrecheckSummary | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string') {
    try {
      return normalizePrecheck(JSON.parse(raw));
    } catch {
      return { state: raw };
    }
  }
  const r = raw as Record<string, unknown>;
  return {
    state: String(r.state ?? 'unknown'),
    summary: r.summary as string | undefined,
    reportedAt: r.reportedAt as string | undefined,
  };
}

/**
 * WebSockets straight away, without SignalR's negotiate request: the connection is one request, so a
 * load balancer in front of several servers needs no sticky sessions (every message is routed between
 * the servers). Where WebSockets cannot get through (an old proxy), the next try negotiates and may
 * fall back to Server-Sent Events or long polling, which need sticky sessions behind a balancer.
 */
let negotiate = false;

function build(): HubConnection {
  const c = new HubConnectionBuilder()
    .withUrl(
      '/hubs/visit',
      negotiate
        ? { accessTokenFactory: () => getAccessToken() }
        : { accessTokenFactory: () => getAccessToken(), skipNegotiation: true, transport: HttpTransportType.WebSockets },
    )
    // Keep trying for a minute, the server keeps a dropped seat for its grace period (60 s).
    .withAutomaticReconnect([0, 1000, 2000, 3000, 5000, 5000, 10000, 10000, 10000, 15000])
    .configureLogging(LogLevel.Warning)
    .build();
  c.serverTimeoutInMilliseconds = 20000;
  c.keepAliveIntervalInMilliseconds = 5000;
  c.on('VisitState', (raw: unknown) => {
    const snapshot = normalizeSnapshot(raw);
    for (const h of handlers.VisitState) h(snapshot);
  });
  c.on('Signal', (m: SignalMessage) => {
    for (const h of handlers.Signal) h(m);
  });
  c.on('ChatMessage', (m: ChatMessage) => {
    for (const h of handlers.ChatMessage) h(m);
  });
  c.on('Removed', (m: HubEvents['Removed'] | string) => {
    const payload = typeof m === 'string' ? { visitId: m } : m;
    for (const h of handlers.Removed) h(payload);
  });
  c.on('VisitEnded', (m: HubEvents['VisitEnded'] | string) => {
    const payload = typeof m === 'string' ? { visitId: m } : m;
    for (const h of handlers.VisitEnded) h(payload);
  });
  c.on('AppointmentsChanged', (m: HubEvents['AppointmentsChanged']) => {
    for (const h of handlers.AppointmentsChanged) h(m ?? { appointmentIds: [] });
  });
  c.onreconnecting(() => setStatus('reconnecting'));
  c.onreconnected(() => {
    setStatus('connected');
    for (const l of reconnectedListeners) l();
  });
  c.onclose(() => {
    setStatus('disconnected');
    if (connection === c) connection = null;
  });
  return c;
}

/** Connects (once) and resolves when the hub is usable; rejects after `timeoutMs`. */
export async function connectHub(timeoutMs = 10000): Promise<HubConnection> {
  if (connection && connection.state === HubConnectionState.Connected) return connection;
  if (starting) return starting;
  // Automatic reconnect is under way: wait for it rather than starting a second connection, which
  // would not be in the visit.
  if (connection && connection.state === HubConnectionState.Reconnecting) return whenConnected(connection, timeoutMs);
  const c = connection ?? build();
  connection = c;
  setStatus('connecting');
  starting = (async () => {
    let timer: number | undefined;
    try {
      await Promise.race([
        c.start(),
        new Promise((_, reject) => {
          timer = window.setTimeout(() => reject(new Error('hub-timeout')), timeoutMs);
        }),
      ]);
      setStatus('connected');
      return c;
    } catch (e) {
      log.warn('connect failed', (e as Error).message);
      // WebSockets may be blocked on this network: the next try negotiates the transport (and the one
      // after that tries WebSockets again, in case this was only a server restarting).
      negotiate = !negotiate;
      setStatus('disconnected');
      connection = null;
      void c.stop().catch(() => undefined);
      throw e;
    } finally {
      window.clearTimeout(timer);
      starting = null;
    }
  })();
  return starting;
}

function whenConnected(c: HubConnection, timeoutMs: number): Promise<HubConnection> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = () => {
      if (c.state === HubConnectionState.Connected) resolve(c);
      else if (c.state === HubConnectionState.Disconnected || Date.now() > deadline) reject(new Error('hub-unavailable'));
      else window.setTimeout(check, 100);
    };
    check();
  });
}

export async function disconnectHub() {
  const c = connection;
  connection = null;
  if (c) await c.stop().catch(() => undefined);
  setStatus('disconnected');
}

export function hubStatus(): ConnectionStatus {
  return status;
}

export function onHubStatus(listener: (status: ConnectionStatus) => void) {
  statusListeners.add(listener);
  return () => {
    statusListeners.delete(listener);
  };
}

export function onHubReconnected(listener: () => void) {
  reconnectedListeners.add(listener);
  return () => {
    reconnectedListeners.delete(listener);
  };
}

export function onHub<K extends keyof HubEvents>(event: K, handler: Handler<K>) {
  (handlers[event] as Set<Handler<K>>).add(handler);
  return () => {
    (handlers[event] as Set<Handler<K>>).delete(handler);
  };
}

async function invoke<T>(method: string, ...args: unknown[]): Promise<T> {
  const c = await connectHub();
  return c.invoke<T>(method, ...args);
}

/** Hub methods of Contract v1. Errors arrive as HubException messages, safe to show. */
export const visitHub = {
  beginVisit: async (appointmentId: string, onBehalfOf?: string | null): Promise<BeginVisitResult> => {
    const r = await invoke<Record<string, unknown>>('BeginVisit', appointmentId, onBehalfOf ?? null);
    return {
      visitId: String(r.visitId),
      participantId: String(r.participantId),
      state: String(r.state ?? 'waiting').toLowerCase(),
    };
  },
  admit: (visitId: string, participantId: string) => invoke<void>('Admit', visitId, participantId),
  admitAll: (visitId: string) => invoke<void>('AdmitAll', visitId),
  returnToWaiting: (visitId: string, participantId: string) =>
    invoke<void>('ReturnToWaiting', visitId, participantId),
  remove: (visitId: string, participantId: string) => invoke<void>('Remove', visitId, participantId),
  allowBack: (visitId: string, participantId: string) => invoke<void>('AllowBack', visitId, participantId),
  endVisit: (visitId: string) => invoke<void>('EndVisit', visitId),
  leaveVisit: (visitId: string) => invoke<void>('LeaveVisit', visitId),
  sendSignal: (visitId: string, toParticipantId: string, kind: SignalKind, payload: unknown) =>
    invoke<void>('SendSignal', visitId, toParticipantId, kind, payload),
  sendChat: (visitId: string, clientMessageId: string, text: string) =>
    invoke<ChatMessage>('SendChat', visitId, clientMessageId, text),
  /** A professional's message to one participant (e.g. someone still waiting): only they and the professionals read it. */
  sendChatTo: (visitId: string, toParticipantId: string, clientMessageId: string, text: string) =>
    invoke<ChatMessage>('SendChatTo', visitId, toParticipantId, clientMessageId, text),
  reportPrecheck: (visitId: string, report: unknown) => invoke<void>('ReportPrecheck', visitId, report),
};

/** Human-readable text of a hub error (strips SignalR's "An unexpected error occurred invoking…"). */
export function hubErrorMessage(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const marker = 'HubException: ';
  const i = message.indexOf(marker);
  return i >= 0 ? message.slice(i + marker.length) : message;
}

// Test hook, as `window.__videovisitCall` is for the call: a QA simulation of the server going away
// drops the live connection too, as a real outage would.
(window as unknown as { __videovisitHub?: { disconnect: () => Promise<void> } }).__videovisitHub = { disconnect: disconnectHub };
