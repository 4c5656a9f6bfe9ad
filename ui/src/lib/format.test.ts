import { describe, expect, it } from 'vitest';
import { badge, dateFormat, initials, lastSeen, relativeTime, sentence } from './format';

describe('initials', () => {
  it('takes the first letter of the first two words', () => {
    expect(initials('Maya Lopez')).toBe('ML');
    expect(initials('weekend trip to the coast')).toBe('WT');
    expect(initials('  ana ')).toBe('A');
  });
  it('keeps whole characters, not UTF-16 halves', () => {
    expect(initials('😀 Smile')).toBe('😀S');
  });
  it('has a placeholder for empty names', () => {
    expect(initials('   ')).toBe('?');
  });
});

describe('relativeTime', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  it('says now, minutes and hours for recent times', () => {
    expect(relativeTime('2026-11-30T11:59:30Z', now)).toBe('now');
    expect(relativeTime('2026-11-30T11:55:00Z', now)).toBe('5m');
    expect(relativeTime('2026-11-30T09:00:00Z', now)).toBe('3h');
  });
  it('uses a date for older times', () => {
    expect(relativeTime('2026-10-01T09:00:00Z', now, 'en-US')).toBe('Oct 1');
    expect(relativeTime('2025-10-01T09:00:00Z', now, 'en-US')).toBe('Oct 1, 2025');
  });
  it('is empty for an unreadable time', () => {
    expect(relativeTime('not a time', now)).toBe('');
  });
});

describe('badge', () => {
  it('caps at 99+', () => {
    expect(badge(7)).toBe('7');
    expect(badge(100)).toBe('99+');
  });
});

describe('sentence', () => {
  it('capitalises the first character only', () => {
    expect(sentence('the database is damaged')).toBe('The database is damaged');
    expect(sentence('')).toBe('');
    expect(sentence('élan')).toBe('Élan');
  });
});

describe('initials of odd names', () => {
  it('skips leading marks in each word', () => {
    expect(initials('Weekend <trip>')).toBe('WT');
    expect(initials('<<>>')).toBe('?');
  });
});

describe('dateFormat', () => {
  it('makes one formatter per locale and options, and formats like toLocale*String', () => {
    const a = dateFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
    expect(dateFormat('en-GB', { hour: '2-digit', minute: '2-digit' })).toBe(a);
    expect(dateFormat('en-US', { hour: '2-digit', minute: '2-digit' })).not.toBe(a);
    expect(dateFormat('en-GB', { weekday: 'long' })).not.toBe(a);
    const d = new Date(2026, 10, 30, 14, 5);
    expect(a.format(d)).toBe(d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' }));
  });
});

describe('lastSeen', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  it('claims nothing finer than the hour', () => {
    expect(lastSeen('2026-11-30T11:59:30Z', now)).toBe('Active in the last hour');
    expect(lastSeen('2026-11-30T11:05:00Z', now)).toBe('Active in the last hour');
    expect(lastSeen('2026-11-30T10:59:00Z', now)).toBe('Last seen 1 hour ago');
    expect(lastSeen('2026-11-30T01:00:00Z', now)).toBe('Last seen 11 hours ago');
  });
  it('gives the date after a day', () => {
    expect(lastSeen('2026-09-02T08:00:00Z', now, 'en-US')).toBe('Last seen Sep 2, 2026');
  });
});
