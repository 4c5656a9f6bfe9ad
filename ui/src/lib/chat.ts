// The chat view's data, as pure functions tested in chat.test.ts: merging pages
// into the loaded messages, and turning messages into the rows the list shows
// (day separators, the "new messages" marker, bubbles grouped by sender).
import type { Message } from './bindings';
import { dateFormat } from './format';

/** Messages from one sender closer together than this form one group. */
const GROUP_GAP_MS = 5 * 60_000;

export type ChatRow =
  | { kind: 'day'; key: string; label: string }
  | { kind: 'new'; key: string }
  | { kind: 'message'; key: string; message: Message; first: boolean; last: boolean };

/** Oldest first, by place in the chat. */
export function byCursor(a: Message, b: Message): number {
  return a.cursor - b.cursor;
}

/**
 * Replaces the newest part of `loaded` (oldest first) with `newest`, a page of
 * the latest messages (newest first, as the store returns it). Everything the
 * page covers is taken from the page, so messages that were sent, hidden or
 * re-ordered (a queued message gets its place once the relay numbers it) show
 * as they are now. Kept from `loaded`: older messages below the page (unless
 * `complete`, the page holding the whole chat), and messages newer than all of
 * the page, which a notice brought while the page was being read.
 */
export function mergeLatest(loaded: Message[], newest: Message[], complete: boolean): Message[] {
  const ids = new Set(newest.map((m) => m.id));
  const cursors = newest.map((m) => m.cursor);
  const floor = complete || cursors.length === 0 ? -Infinity : Math.min(...cursors);
  const ceiling = cursors.length === 0 ? -Infinity : Math.max(...cursors);
  const kept = loaded.filter((m) => !ids.has(m.id) && (m.cursor < floor || m.cursor > ceiling));
  return [...kept, ...newest].sort(byCursor);
}

/** Adds older messages (a page, newest first) in front of `loaded`. */
export function prependOlder(loaded: Message[], older: Message[]): Message[] {
  const ids = new Set(loaded.map((m) => m.id));
  return [...[...older].reverse().filter((m) => !ids.has(m.id)), ...loaded];
}

/** Adds newer messages (oldest first) after `loaded`. */
export function appendNewer(loaded: Message[], newer: Message[]): Message[] {
  const ids = new Set(loaded.map((m) => m.id));
  return [...loaded, ...newer.filter((m) => !ids.has(m.id))];
}

/**
 * Applies messages a notice carried (new, or changed: sent, seen, failed) to
 * `loaded`, oldest first. A loaded message is replaced by its new row; a new
 * one is added in its place, unless it is older than everything loaded while
 * older pages remain (`olderMore`): paging up brings it. Hidden rows go.
 */
export function applyChanged(loaded: Message[], changed: Message[], olderMore: boolean): Message[] {
  const fresh = new Map(changed.map((m) => [m.id, m]));
  const oldest = loaded[0]?.cursor ?? -Infinity;
  const kept = loaded.map((m) => fresh.get(m.id) ?? m);
  const ids = new Set(loaded.map((m) => m.id));
  const added = changed.filter((m) => !ids.has(m.id) && (!olderMore || m.cursor >= oldest));
  return [...kept, ...added].filter((m) => m.hiddenAt === null).sort(byCursor);
}

/** `loaded` without the messages in `ids` (hidden on this device). */
export function without(loaded: Message[], ids: Iterable<string>): Message[] {
  const gone = new Set(ids);
  return loaded.filter((m) => !gone.has(m.id));
}

/**
 * Puts restored messages back in their places among `loaded`. Those older than
 * everything loaded stay out while older pages remain to load (`olderMore`):
 * paging up brings them.
 */
export function restoreInto(loaded: Message[], restored: Message[], olderMore: boolean): Message[] {
  const ids = new Set(loaded.map((m) => m.id));
  const oldest = loaded[0]?.cursor ?? -Infinity;
  const back = restored.filter((m) => !ids.has(m.id) && (!olderMore || m.cursor >= oldest));
  return [...loaded, ...back.map((m) => ({ ...m, hiddenAt: null }))].sort(byCursor);
}

/**
 * The message before which "New messages" goes when a chat opens with `unread`
 * unread messages: the `unread`-th newest message from someone else.
 */
export function firstUnreadId(messages: Message[], unread: number): string | null {
  if (unread <= 0) return null;
  let seen = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.isOwn) continue;
    seen += 1;
    if (seen === unread) return m.id;
  }
  return null;
}

function dayKey(d: Date): string {
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

/** "Today", "Yesterday", a weekday within the week, else a date. */
export function dayLabel(iso: string, now: Date = new Date(), locale?: string): string {
  const d = new Date(iso);
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const that = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const days = Math.round((today.getTime() - that.getTime()) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return dateFormat(locale, { weekday: 'long' }).format(d);
  const sameYear = d.getFullYear() === now.getFullYear();
  return dateFormat(
    locale,
    sameYear ? { weekday: 'short', month: 'long', day: 'numeric' } : { year: 'numeric', month: 'long', day: 'numeric' },
  ).format(d);
}

/** The rows of a chat, oldest first. */
export function chatRows(messages: Message[], newMarkerBefore: string | null, now: Date = new Date()): ChatRow[] {
  const rows: ChatRow[] = [];
  let previous: Message | null = null;
  messages.forEach((m, i) => {
    const at = new Date(m.createdAt);
    const newDay = previous === null || dayKey(new Date(previous.createdAt)) !== dayKey(at);
    if (newDay) rows.push({ kind: 'day', key: `day-${dayKey(at)}`, label: dayLabel(m.createdAt, now) });
    const marker = m.id === newMarkerBefore;
    if (marker) rows.push({ kind: 'new', key: 'new-marker' });
    const next = messages[i + 1];
    const joins = (a: Message, b: Message) =>
      a.senderId === b.senderId &&
      dayKey(new Date(a.createdAt)) === dayKey(new Date(b.createdAt)) &&
      Math.abs(new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime()) < GROUP_GAP_MS;
    const first = newDay || marker || previous === null || !joins(previous, m);
    const last = next === undefined || next.id === newMarkerBefore || !joins(m, next);
    rows.push({ kind: 'message', key: m.id, message: m, first, last });
    previous = m;
  });
  return rows;
}

/** The most characters of the original a quote shows (the protocol's cut). */
const EXCERPT_CHARS = 160;

/** `text` cut as a quote's excerpt is: at most 160 characters, the last an
 * ellipsis when cut. */
export function excerptOf(text: string): string {
  const chars = Array.from(text);
  return chars.length <= EXCERPT_CHARS ? text : `${chars.slice(0, EXCERPT_CHARS - 1).join('')}…`;
}

/** `messages` with the quotes of `originals` shown as deleted for you
 * (`hidden`) or as shown again (with the original's words). */
export function requote(messages: Message[], originals: Message[], hidden: boolean): Message[] {
  const byId = new Map(originals.map((m) => [m.id, m]));
  return messages.map((m) => {
    const original = m.reply?.original ? byId.get(m.reply.original) : undefined;
    if (!m.reply || !original) return m;
    const reply = hidden
      ? { ...m.reply, state: 'hiddenForYou' as const, excerpt: m.reply.quotedExcerpt }
      : { ...m.reply, state: 'shown' as const, excerpt: excerptOf(original.text) };
    return { ...m, reply };
  });
}
