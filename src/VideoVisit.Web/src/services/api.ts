// REST client for Contract v1 (`/api/...`). JSON in and out, bearer token from the session.
import { getAccessToken, signOut } from './auth';

export interface DemoPerson {
  id: string;
  name: string;
  role?: string;
  roles?: string[];
  [key: string]: unknown;
}

export interface Representation {
  personId: string;
  name?: string;
  scope: 'Full' | 'AppointmentsAndMessages' | 'ReadOnly' | string;
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
  patientNames?: Record<string, string>;
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
  devPeople: () => request<DemoPerson[]>('GET', '/api/dev/people', undefined, false),
  devToken: (personId: string) =>
    request<{ accessToken: string; expiresAt: string }>('POST', '/api/dev/token', { personId }, false),
  me: async (): Promise<Me> => {
    const raw = await request<Partial<Me> & Record<string, unknown>>('GET', '/api/me');
    return normalizeMe(raw);
  },
  upcoming: () => request<Appointment[]>('GET', '/api/appointments/upcoming'),
  iceServers: () => request<RTCIceServer[]>('GET', '/api/ice-servers'),
};

// The server's record names are fixed by Contract v1 only loosely ("the person, roles, and whom
// they may represent with which scope"), so accept the obvious spellings.
export function normalizeMe(raw: Partial<Me> & Record<string, unknown>): Me {
  const person = (raw.person as Record<string, unknown> | undefined) ?? raw;
  const reps = (raw.represents ?? raw.representations ?? raw.mayRepresent ?? []) as Array<Record<string, unknown>>;
  const rolesRaw = raw.roles ?? person.roles ?? (person.role ? [person.role] : []);
  return {
    id: String(person.id ?? person.personId ?? ''),
    name: String(person.name ?? person.displayName ?? person.id ?? ''),
    roles: (rolesRaw as unknown[]).map((r) => String(r).toLowerCase()),
    unit: (person.unit as string | undefined) ?? undefined,
    represents: reps.map((r) => ({
      personId: String(r.personId ?? r.id ?? r.subjectId ?? ''),
      name: (r.name ?? r.displayName) as string | undefined,
      scope: String(r.scope ?? r.rights ?? 'Full'),
    })),
  };
}
