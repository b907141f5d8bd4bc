import { describe, expect, it } from 'vitest';
import { en } from '../i18n/en';
import { fi } from '../i18n/fi';
import { sv } from '../i18n/sv';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('i18n', () => {
  it.each([
    ['fi', fi],
    ['sv', sv],
  ])('%s has exactly the English keys', (_, dictionary) => {
    expect(Object.keys(dictionary).sort()).toEqual(Object.keys(en).sort());
  });

  it.each([
    ['fi', fi],
    ['sv', sv],
  ])('%s fills the same placeholders as English in every text', (_, dictionary) => {
    const d = dictionary as Record<string, string>;
    const mismatched = Object.keys(en).filter((k) => JSON.stringify(placeholders(d[k] ?? '')) !== JSON.stringify(placeholders((en as Record<string, string>)[k])));
    expect(mismatched).toEqual([]);
  });

  it('has no empty text in any language', () => {
    for (const dictionary of [en, fi, sv]) {
      expect(Object.entries(dictionary).filter(([, v]) => v.trim() === '')).toEqual([]);
    }
  });
});
