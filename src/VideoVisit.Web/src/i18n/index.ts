// Finnish, Swedish and English. The browser's preferred language decides at first; the choice in
// the header is remembered (localStorage) and sets <html lang>.
import { useSyncExternalStore } from 'react';
import { en, type MessageKey, type Messages } from './en';
import { fi } from './fi';
import { sv } from './sv';

export type Language = 'fi' | 'sv' | 'en';
export const languages: Language[] = ['fi', 'sv', 'en'];
const dictionaries: Record<Language, Messages> = { en, fi, sv };
const storageKey = 'videovisit.lang';
const listeners = new Set<() => void>();

export function pickLanguage(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if ((languages as string[]).includes(base)) return base as Language;
  }
  return 'en';
}

function initial(): Language {
  const query = new URLSearchParams(window.location.search).get('lang');
  if (query && (languages as string[]).includes(query)) return query as Language;
  try {
    const stored = localStorage.getItem(storageKey);
    if (stored && (languages as string[]).includes(stored)) return stored as Language;
  } catch {
    // storage disabled
  }
  return pickLanguage(navigator.languages?.length ? navigator.languages : [navigator.language]);
}

let current: Language = initial();
document.documentElement.lang = current;

export function setLanguage(language: Language) {
  current = language;
  document.documentElement.lang = language;
  try {
    localStorage.setItem(storageKey, language);
  } catch {
    // storage disabled
  }
  for (const l of listeners) l();
}

export function getLanguage() {
  return current;
}

export function translate(language: Language, key: MessageKey, values?: Record<string, string | number>) {
  let text = dictionaries[language][key] ?? en[key] ?? key;
  if (values) {
    for (const [name, value] of Object.entries(values)) text = text.split(`{${name}}`).join(String(value));
  }
  return text;
}

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

export function useI18n(): { t: Translate; language: Language } {
  const language = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
  return { t: (key, values) => translate(language, key, values), language };
}

export function formatTime(iso: string, language: Language) {
  const locale = language === 'fi' ? 'fi-FI' : language === 'sv' ? 'sv-FI' : 'en-GB';
  return new Date(iso).toLocaleString(locale, { weekday: 'short', day: 'numeric', month: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatClock(iso: string, language: Language) {
  const locale = language === 'fi' ? 'fi-FI' : language === 'sv' ? 'sv-FI' : 'en-GB';
  return new Date(iso).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}

export type { MessageKey };
