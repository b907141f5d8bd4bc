// Browser and OS against the recommended matrix (Windows: Chrome or Firefox; Mac: Chrome or
// Safari; iOS: Safari; Android: Chrome). Linux desktops are outside the published matrix, but
// Chrome/Chromium and Firefox there run the same engines and are treated as supported, not warned.

export type BrowserName = 'chrome' | 'firefox' | 'safari' | 'edge' | 'opera' | 'samsung' | 'other';
export type OsName = 'windows' | 'mac' | 'ios' | 'android' | 'linux' | 'chromeos' | 'other';
export type SupportStatus = 'recommended' | 'supported' | 'not-recommended' | 'cannot-call';

export interface BrowserInfo {
  name: BrowserName;
  version: string;
  os: OsName;
  mobile: boolean;
  status: SupportStatus;
  hasPeerConnection: boolean;
  hasGetUserMedia: boolean;
  /** Which unblock instructions to show: the engine's own settings UI. */
  guide: 'chrome' | 'firefox' | 'safari' | 'safari-ios' | 'chrome-android' | 'edge' | 'other';
  userAgent: string;
}

export function detectOs(ua: string, maxTouchPoints = 0): OsName {
  if (/iPhone|iPad|iPod/.test(ua)) return 'ios';
  // iPadOS 13+ asks for the desktop site and says "Macintosh"; it has a touch screen.
  if (/Macintosh/.test(ua) && maxTouchPoints > 1) return 'ios';
  if (/Android/.test(ua)) return 'android';
  if (/Windows NT|Win64|Windows/.test(ua)) return 'windows';
  if (/Mac OS X|Macintosh/.test(ua)) return 'mac';
  if (/CrOS/.test(ua)) return 'chromeos';
  if (/Linux|X11/.test(ua)) return 'linux';
  return 'other';
}

export function detectBrowser(ua: string): { name: BrowserName; version: string } {
  const pick = (re: RegExp) => ua.match(re)?.[1] ?? '';
  if (/Edg(e|A|iOS)?\//.test(ua)) return { name: 'edge', version: pick(/Edg(?:e|A|iOS)?\/([\d.]+)/) };
  if (/OPR\/|Opera/.test(ua)) return { name: 'opera', version: pick(/OPR\/([\d.]+)/) };
  if (/SamsungBrowser\//.test(ua)) return { name: 'samsung', version: pick(/SamsungBrowser\/([\d.]+)/) };
  if (/FxiOS\//.test(ua)) return { name: 'firefox', version: pick(/FxiOS\/([\d.]+)/) };
  if (/Firefox\//.test(ua) && !/Seamonkey/.test(ua)) return { name: 'firefox', version: pick(/Firefox\/([\d.]+)/) };
  if (/CriOS\//.test(ua)) return { name: 'chrome', version: pick(/CriOS\/([\d.]+)/) };
  if (/(HeadlessChrome|Chrome|Chromium)\//.test(ua)) {
    return { name: 'chrome', version: pick(/(?:HeadlessChrome|Chrome|Chromium)\/([\d.]+)/) };
  }
  if (/Safari\//.test(ua) && /Version\//.test(ua)) return { name: 'safari', version: pick(/Version\/([\d.]+)/) };
  if (/AppleWebKit\//.test(ua) && /(iPhone|iPad|iPod)/.test(ua)) return { name: 'safari', version: '' };
  return { name: 'other', version: '' };
}

const matrix: Partial<Record<OsName, BrowserName[]>> = {
  windows: ['chrome', 'firefox'],
  mac: ['chrome', 'safari'],
  ios: ['safari'],
  android: ['chrome'],
};

const unlistedButSupported: Partial<Record<OsName, BrowserName[]>> = {
  linux: ['chrome', 'firefox'],
  chromeos: ['chrome'],
};

export function supportStatus(
  os: OsName,
  name: BrowserName,
  hasPeerConnection: boolean,
  hasGetUserMedia: boolean,
): SupportStatus {
  if (!hasPeerConnection || !hasGetUserMedia) return 'cannot-call';
  if (matrix[os]?.includes(name)) return 'recommended';
  if (unlistedButSupported[os]?.includes(name)) return 'supported';
  return 'not-recommended';
}

export function guideFor(os: OsName, name: BrowserName): BrowserInfo['guide'] {
  if (os === 'ios') return 'safari-ios';
  if (os === 'android' && name === 'chrome') return 'chrome-android';
  if (name === 'chrome' || name === 'opera' || name === 'samsung') return 'chrome';
  if (name === 'edge') return 'edge';
  if (name === 'firefox') return 'firefox';
  if (name === 'safari') return 'safari';
  return 'other';
}

export function describeBrowser(
  ua: string,
  env: { maxTouchPoints?: number; hasPeerConnection: boolean; hasGetUserMedia: boolean },
): BrowserInfo {
  const os = detectOs(ua, env.maxTouchPoints ?? 0);
  const { name, version } = detectBrowser(ua);
  return {
    name,
    version,
    os,
    mobile: os === 'ios' || os === 'android' || /Mobile/.test(ua),
    status: supportStatus(os, name, env.hasPeerConnection, env.hasGetUserMedia),
    hasPeerConnection: env.hasPeerConnection,
    hasGetUserMedia: env.hasGetUserMedia,
    guide: guideFor(os, name),
    userAgent: ua,
  };
}

export function currentBrowser(): BrowserInfo {
  return describeBrowser(navigator.userAgent, {
    maxTouchPoints: navigator.maxTouchPoints,
    hasPeerConnection: typeof window.RTCPeerConnection === 'function',
    hasGetUserMedia: typeof navigator.mediaDevices?.getUserMedia === 'function',
  });
}
