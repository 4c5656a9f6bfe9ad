import { describe, expect, it } from 'vitest';
import { CARD_CACHE_SIZE, detailedCard, providerName, shortLink, thumbnailSrc } from './card';

const card = (thumbnail_jpeg?: string) => ({
  provider: 'youtube',
  url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
  title: null,
  author: null,
  thumbnail_jpeg,
});

describe('cards', () => {
  it('shows a thumbnail only as an inline JPEG', () => {
    expect(thumbnailSrc(card('/9j/4AAQ'))).toBe('data:image/jpeg;base64,/9j/4AAQ');
    expect(thumbnailSrc(card('https://tracker.example/p.png'))).toBeNull();
    expect(thumbnailSrc(card('abc"onerror="x'))).toBeNull();
    expect(thumbnailSrc(card(undefined))).toBeNull();
    expect(thumbnailSrc(card('A'.repeat(50_000)))).toBeNull();
  });
  it('names providers and shortens links', () => {
    expect(providerName('tiktok')).toBe('TikTok');
    expect(providerName('<script>')).toBe('Video');
    expect(shortLink('https://www.youtube.com/watch?v=x')).toBe('www.youtube.com/watch');
    expect(shortLink('not a url')).toBe('not a url');
  });
});

describe('detailedCard', () => {
  const plain = (url: string) => ({ provider: 'youtube', url, title: null, author: null });
  const titled = (url: string) => Promise.resolve({ ...plain(url), title: `title of ${url}` });

  it('fetches a link once while it is among the recently used', async () => {
    let asked = 0;
    const fetch = (url: string) => (asked++, titled(url));
    const url = 'https://youtu.be/once';
    expect((await detailedCard(plain(url), fetch)).title).toBe(`title of ${url}`);
    await detailedCard(plain(url), fetch);
    expect(asked).toBe(1);
  });

  it('forgets the least recently used beyond its size', async () => {
    const asked: string[] = [];
    const fetch = (url: string) => (asked.push(url), titled(url));
    const first = 'https://youtu.be/first';
    const second = 'https://youtu.be/second';
    await detailedCard(plain(first), fetch);
    await detailedCard(plain(second), fetch);
    for (let i = 0; i < CARD_CACHE_SIZE - 2; i++) await detailedCard(plain(`https://youtu.be/v${i}`), fetch);
    await detailedCard(plain(first), fetch); // used again: now the newest
    await detailedCard(plain('https://youtu.be/one-more'), fetch); // pushes out `second`
    asked.length = 0;
    await detailedCard(plain(first), fetch);
    await detailedCard(plain(second), fetch);
    expect(asked).toEqual([second]);
  });

  it('gives the plain card when the fetch fails, and asks again next time', async () => {
    const url = 'https://youtu.be/flaky';
    let calls = 0;
    const failing = () => (calls++, Promise.reject(new Error('offline')));
    expect(await detailedCard(plain(url), failing)).toEqual(plain(url));
    expect((await detailedCard(plain(url), titled)).title).toBe(`title of ${url}`);
    expect(calls).toBe(1);
  });
});
