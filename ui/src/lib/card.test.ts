import { describe, expect, it } from 'vitest';
import { providerName, shortLink, thumbnailSrc } from './card';

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
