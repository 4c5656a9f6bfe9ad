import { describe, expect, it } from 'vitest';
import { isWebAddress, textParts } from './textParts';

describe('textParts', () => {
  it('cuts text around its links and keeps every character', () => {
    const text = '👋 see https://example.com/a, then http://b.example';
    const parts = textParts(text, [
      { start: 7, end: 28, url: 'https://example.com/a' },
      { start: 35, end: 51, url: 'http://b.example/' },
    ]);
    expect(parts).toEqual([
      { text: '👋 see ', url: null },
      { text: 'https://example.com/a', url: 'https://example.com/a' },
      { text: ', then ', url: null },
      { text: 'http://b.example', url: 'http://b.example/' },
    ]);
    expect(parts.map((p) => p.text).join('')).toBe(text);
  });

  it('gives text without links as one plain part', () => {
    expect(textParts('hello', [])).toEqual([{ text: 'hello', url: null }]);
    expect(textParts('', [])).toEqual([{ text: '', url: null }]);
  });

  it('never makes a link of another scheme or of a bad position', () => {
    const text = 'javascript:alert(1) https://example.com';
    const parts = textParts(text, [
      { start: 0, end: 19, url: 'javascript:alert(1)' },
      { start: 20, end: 99, url: 'https://example.com/' },
      { start: 5, end: 3, url: 'https://example.com/' },
    ]);
    expect(parts).toEqual([{ text, url: null }]);
  });

  it('takes only http and https addresses with a host as web addresses', () => {
    expect(isWebAddress('https://example.com/')).toBe(true);
    expect(isWebAddress('http://example.com/')).toBe(true);
    for (const bad of ['javascript:alert(1)', 'file:///etc/passwd', 'data:text/html,x', 'example.com', 'candor://share']) {
      expect(isWebAddress(bad)).toBe(false);
    }
  });
});
