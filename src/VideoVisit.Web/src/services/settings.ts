// Run-time switches read once from the query string and kept for the tab (sessionStorage), so a
// test or a support person can open e.g. `/?relay=only&sessionTimeout=30` and navigate normally.
//   relay=only            ICE uses relay candidates only (iceTransportPolicy "relay")
//   sessionTimeout=<s>    sign out after this many seconds without activity (default 1200)
//   sessionWarning=<s>    warn this many seconds before sign-out (default 120, capped at a third)
//   lang=fi|sv|en         initial language

export interface Settings {
  relayOnly: boolean;
  sessionTimeoutSeconds: number;
  sessionWarningSeconds: number;
}

const storageKey = 'videovisit.settings';

function readStored(): Partial<Settings> {
  try {
    return JSON.parse(sessionStorage.getItem(storageKey) ?? '{}') as Partial<Settings>;
  } catch {
    return {};
  }
}

function positive(value: string | null): number | undefined {
  if (value === null) return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function load(): Settings {
  const stored = readStored();
  const query = new URLSearchParams(window.location.search);
  const relay = query.get('relay');
  const timeout = positive(query.get('sessionTimeout')) ?? stored.sessionTimeoutSeconds ?? 1200;
  const warningAsked = positive(query.get('sessionWarning')) ?? stored.sessionWarningSeconds ?? 120;
  const settings: Settings = {
    relayOnly: relay !== null ? relay === 'only' : stored.relayOnly ?? false,
    sessionTimeoutSeconds: timeout,
    sessionWarningSeconds: Math.min(warningAsked, Math.max(1, Math.floor(timeout / 3)), 120),
  };
  try {
    sessionStorage.setItem(storageKey, JSON.stringify(settings));
  } catch {
    // Storage may be disabled (private mode); the settings still hold for this page load.
  }
  return settings;
}

export const settings: Settings = load();
