// Video cards as the page shows them. A card comes from another person's device
// and every field is untrusted: text is shown as text, and the thumbnail only
// as an inline JPEG, never as a URL that could make this app fetch something.
import type { VideoCard } from './bindings';

const PROVIDER_NAMES: Record<string, string> = {
  tiktok: 'TikTok',
  youtube: 'YouTube',
  instagram: 'Instagram',
  vimeo: 'Vimeo',
  twitch: 'Twitch',
  facebook: 'Facebook',
  dailymotion: 'Dailymotion',
};

/** The platform's name for a card's provider field (unknown ones as "Video"). */
export function providerName(provider: string): string {
  return PROVIDER_NAMES[provider] ?? 'Video';
}

/** A `data:` URL for the card's thumbnail, or null unless it is plain base64. */
export function thumbnailSrc(card: VideoCard): string | null {
  const b64 = card.thumbnail_jpeg;
  if (!b64 || b64.length > 44_000 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return null;
  return `data:image/jpeg;base64,${b64}`;
}

/** Where a card leads, shown under it: the host and path, without the scheme. */
export function shortLink(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return url;
  }
}

/** Most cards kept: each holds a thumbnail of up to 32 KiB. */
export const CARD_CACHE_SIZE = 100;

/** Cards fetched with the platform's details on this device, by link, so that
 * the composer and the share dialog ask once per video. The least recently
 * used go first beyond `CARD_CACHE_SIZE`. */
const fetched = new Map<string, Promise<VideoCard>>();

/** The card for `card.url` with details, fetched once (a plain card if the fetch
 * fails; a failure is not kept, so a later call asks again). */
export function detailedCard(card: VideoCard, fetch: (url: string) => Promise<VideoCard>): Promise<VideoCard> {
  const cached = fetched.get(card.url);
  if (cached) {
    // Most recently used last: a Map iterates in insertion order.
    fetched.delete(card.url);
    fetched.set(card.url, cached);
    return cached;
  }
  const pending = fetch(card.url).catch(() => {
    if (fetched.get(card.url) === pending) fetched.delete(card.url);
    return card;
  });
  fetched.set(card.url, pending);
  for (const oldest of fetched.keys()) {
    if (fetched.size <= CARD_CACHE_SIZE) break;
    fetched.delete(oldest);
  }
  return pending;
}
