import { describe, expect, it } from 'vitest';
import { storedTheme } from './theme';

const store = (v: string | null) => ({ getItem: () => v });

describe('storedTheme', () => {
  it('reads light and dark, and anything else as system', () => {
    expect(storedTheme(store('dark'))).toBe('dark');
    expect(storedTheme(store('light'))).toBe('light');
    expect(storedTheme(store(null))).toBe('system');
    expect(storedTheme(store('<script>'))).toBe('system');
  });
});
