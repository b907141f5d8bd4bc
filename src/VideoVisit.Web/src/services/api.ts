// REST client for Contract v1 (`/api/...`). JSON in and out, bearer token from the session.
import { getAccessToken, signOut } from './auth';

export interface DemoPerson {
  id: string;
  name: string;
  description?: string;
}

export interface Representation {
  personId: string;
  name?: string;
  scope: 'Full' | 'AppointmentsAndMessages' | 'ReadOnly' | 'Guardian' | string;
  /** May begin and join visits for this person (false for ReadOnly, or a guardian without rights). */
  canAct: boolean;
}

export interface Me {
  id: string;
  name: string;
  roles: string[];
  unit?: string;
  represents: Representation[];
}

export interface Appointment {
  id: string;
  start: string;
  end: string;
  kind: 'video' | 'group' | string;
  unit: string;
  professional: string;
  patientIds: string[];
  canBegin: boolean;
  beginOpensAt: string;
  onBehalfOf?: string | null;
  title?: string;
  professionalName?: string;
  unitName?: string;
  patientNames?: Record<string, string>;
  cannotBeginReason?: string | null;
  visitState?: string;
  /** 'cancelled' when the clinic cancelled (or marked a no-show); otherwise 'booked'. */
  status?: string;
}

/** A guest invitation as the console lists it (the code is shown once, when it is created). */
export interface Invitation {
  id: string;
  role: 'interpreter' | 'guest' | string;
  displayName?: string | null;
  createdAt: string;
  expiresAt: string;
  revokedAt?: string | null;
  state: 'active' | 'revoked' | 'expired' | string;
  guestPersonId: string;
}

export interface CreatedInvitation {
  invitation: Invitation;
  code: string;
  /** `/join/<code>`: the link is this page's origin and this path. */
  path: string;
}

export interface GuestToken {
  accessToken: string;
  expiresAt: string;
  visitId: string;
  appointmentId: string;
  role: string;
  name: string;
  personId: string;
}

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && getAccessToken()) headers.Authorization = `Bearer ${getAccessToken()}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && auth) {
    signOut('unauthorized');
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const problem = (await response.json()) as { title?: string; detail?: string };
      detail = problem.detail ?? problem.title ?? detail;
    } catch {
      // not JSON
    }
    throw new ApiError(response.status, detail);
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const api = {
  devPeople: async (): Promise<DemoPerson[]> => {
    const raw = await request<Array<Record<string, unknown>>>('GET', '/api/dev/people', undefined, false);
    return raw.map((p) => ({
      id: String(p.id),
      name: String(p.displayName ?? p.name ?? p.id),
      description: (p.description ?? p.role) as string | undefined,
    }));
  },
  devToken: (personId: string) =>
    request<{ accessToken: string; expiresAt: string }>('POST', '/api/dev/token', { personId }, false),
  me: async (): Promise<Me> => {
    const raw = await request<Partial<Me> & Record<string, unknown>>('GET', '/api/me');
    return normalizeMe(raw);
  },
  upcoming: async (): Promise<Appointment[]> =>
    (await request<Array<Record<string, unknown>>>('GET', '/api/appointments/upcoming')).map(normalizeAppointment),
  iceServers: () => request<RTCIceServer[]>('GET', '/api/ice-servers'),
  invitations: (visitId: string) => request<Invitation[]>('GET', `/api/visits/${encodeURIComponent(visitId)}/invitations`),
  createInvitation: (visitId: string, body: { role: string; displayName?: string; expiresAt?: string }) =>
    request<CreatedInvitation>('POST', `/api/visits/${encodeURIComponent(visitId)}/invitations`, body),
  revokeInvitation: (visitId: string, invitationId: string) =>
    request<void>('DELETE', `/api/visits/${encodeURIComponent(visitId)}/invitations/${encodeURIComponent(invitationId)}`),
  /** Public: the invitation's code and the name the guest gives. */
  redeemInvitation: (code: string, name: string) => request<GuestToken>('POST', '/api/guest/redeem', { code, name }, false),
  renewGuestToken: () => request<GuestToken>('POST', '/api/guest/token', {}),
};

// The server's record names are fixed by Contract v1 only loosely ("the person, roles, and whom
// they may represent with which scope"), so accept the obvious spellings.
export function normalizeMe(raw: Partial<Me> & Record<string, unknown>): Me {
  const person = (raw.person as Record<string, unknown> | undefined) ?? raw;
  const reps = (raw.represents ?? raw.representations ?? raw.mayRepresent ?? []) as Array<Record<string, unknown>>;
  const rolesRaw = raw.roles ?? person.roles ?? (person.role ? [person.role] : []);
  return {
    id: String(person.id ?? person.personId ?? ''),
    name: String(person.displayName ?? person.name ?? person.id ?? ''),
    roles: (rolesRaw as unknown[]).map((r) => String(r).toLowerCase()),
    unit: nameOrId(person.unit),
    represents: reps.map((r) => {
      const scope = String(r.scope ?? r.rights ?? 'Full');
      return {
        personId: String(r.personId ?? r.id ?? r.subjectId ?? ''),
        name: (r.displayName ?? r.name) as string | undefined,
        scope,
        canAct: typeof r.canAct === 'boolean' ? r.canAct : scope !== 'ReadOnly',
      };
    }),
  };
}

function nameOrId(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  return String(v.name ?? v.displayName ?? v.id ?? '');
}

/** `professional` and `patients` come as {id, displayName}; keep ids and names apart. */
export function normalizeAppointment(raw: Record<string, unknown>): Appointment {
  const professional = raw.professional as string | Record<string, unknown> | undefined;
  const patients = (raw.patients ?? []) as Array<Record<string, unknown>>;
  const patientNames: Record<string, string> = {};
  for (const p of patients) patientNames[String(p.id)] = String(p.displayName ?? p.name ?? p.id);
  return {
    id: String(raw.id),
    start: String(raw.start),
    end: String(raw.end),
    kind: String(raw.kind ?? 'video'),
    unit: String(raw.unit ?? ''),
    unitName: (raw.unitName as string | undefined) ?? nameOrId(raw.unit),
    professional: typeof professional === 'object' && professional ? String(professional.id) : String(professional ?? ''),
    professionalName:
      typeof professional === 'object' && professional ? String(professional.displayName ?? professional.name ?? professional.id) : undefined,
    patientIds: ((raw.patientIds ?? patients.map((p) => p.id)) as unknown[]).map(String),
    patientNames,
    canBegin: raw.canBegin === true,
    beginOpensAt: String(raw.beginOpensAt ?? raw.start),
    onBehalfOf: (raw.onBehalfOf as string | null | undefined) ?? null,
    cannotBeginReason: (raw.cannotBeginReason as string | null | undefined) ?? null,
    status: (raw.status as string | undefined) ?? 'booked',
    visitState: raw.visitState as string | undefined,
  };
}
