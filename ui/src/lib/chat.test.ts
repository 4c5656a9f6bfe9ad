import { describe, expect, it } from 'vitest';
import type { Message } from './bindings';
import {
  appendNewer,
  applyChanged,
  chatRows,
  dayLabel,
  excerptOf,
  firstUnreadId,
  mergeLatest,
  prependOlder,
  requote,
  restoreInto,
  without,
} from './chat';

let next = 1;
function msg(over: Partial<Message> = {}): Message {
  const cursor = over.cursor ?? next++;
  return {
    id: over.id ?? `m${cursor}`,
    conversationId: 'c',
    serverId: null,
    seq: cursor,
    senderId: over.senderId ?? 'maya',
    senderName: 'Maya',
    isOwn: over.isOwn ?? false,
    text: over.text ?? `text ${cursor}`,
    links: [],
    reactions: [],
    card: null,
    photos: [],
    createdAt: over.createdAt ?? '2026-11-30T09:00:00Z',
    status: over.status ?? 'received',
    hiddenAt: null,
    cursor,
    sendAt: null,
    senderBlocked: false,
    reply: null,
  };
}

describe('mergeLatest', () => {
  it('keeps older loaded messages and takes the newest part from the page', () => {
    const loaded = [msg({ cursor: 1 }), msg({ cursor: 2 }), msg({ cursor: 3 }), msg({ id: 'q', cursor: 1e15, status: 'queued' })];
    // The queued message was numbered 4 by the relay; 5 is new.
    const page = [msg({ cursor: 5 }), msg({ id: 'q', cursor: 4, status: 'sent' }), msg({ cursor: 3 })];
    const merged = mergeLatest(loaded, page, false);
    expect(merged.map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'q', 'm5']);
    expect(merged.find((m) => m.id === 'q')?.status).toBe('sent');
  });
  it('takes everything it covers from the page when the page holds the whole chat', () => {
    const loaded = [msg({ cursor: 1 }), msg({ cursor: 2 }), msg({ cursor: 3, text: 'old' })];
    const merged = mergeLatest(loaded, [msg({ cursor: 3, text: 'now' }), msg({ cursor: 1 })], true);
    expect(merged.map((m) => [m.cursor, m.text])).toEqual([
      [1, 'text 1'],
      [3, 'now'],
    ]);
  });
  it('keeps a message a notice brought while the page was being read', () => {
    const arrived = msg({ cursor: 7 });
    const whole = mergeLatest([arrived], [msg({ cursor: 5 }), msg({ cursor: 4 })], true);
    expect(whole.map((m) => m.cursor)).toEqual([4, 5, 7]);
    const part = mergeLatest([msg({ cursor: 1 }), arrived], [msg({ cursor: 5 }), msg({ cursor: 4 })], false);
    expect(part.map((m) => m.cursor)).toEqual([1, 4, 5, 7]);
    expect(mergeLatest([arrived], [], true).map((m) => m.cursor)).toEqual([7]);
  });
  it('drops a message hidden since it was loaded', () => {
    const loaded = [msg({ cursor: 1 }), msg({ cursor: 2 }), msg({ cursor: 3 })];
    expect(mergeLatest(loaded, [msg({ cursor: 3 }), msg({ cursor: 1 })], false).map((m) => m.cursor)).toEqual([1, 3]);
  });
});

describe('applyChanged', () => {
  it('replaces loaded rows and adds new ones in their places', () => {
    const loaded = [msg({ cursor: 1 }), msg({ id: 'q', cursor: 1e15, status: 'queued' })];
    const changed = [msg({ id: 'q', cursor: 3, status: 'sent' }), msg({ cursor: 2 })];
    const applied = applyChanged(loaded, changed, false);
    expect(applied.map((m) => m.id)).toEqual(['m1', 'm2', 'q']);
    expect(applied.find((m) => m.id === 'q')?.status).toBe('sent');
  });
  it('leaves out a new message older than what is loaded while older pages remain', () => {
    const loaded = [msg({ cursor: 10 }), msg({ cursor: 11 })];
    const old = msg({ cursor: 4 });
    expect(applyChanged(loaded, [old], true).map((m) => m.cursor)).toEqual([10, 11]);
    expect(applyChanged(loaded, [old], false).map((m) => m.cursor)).toEqual([4, 10, 11]);
  });
  it('drops a row that comes back hidden, and applies the same notice twice as once', () => {
    const loaded = [msg({ cursor: 1 }), msg({ cursor: 2 })];
    const hidden = { ...loaded[1]!, hiddenAt: '2026-11-30T10:00:00Z' };
    expect(applyChanged(loaded, [hidden], false).map((m) => m.cursor)).toEqual([1]);
    const added = [msg({ cursor: 3 })];
    const once = applyChanged(loaded, added, false);
    expect(applyChanged(once, added, false)).toEqual(once);
  });
});

describe('paging', () => {
  it('prepends older pages and appends newer ones without repeats', () => {
    const loaded = [msg({ cursor: 10 }), msg({ cursor: 11 })];
    const older = prependOlder(loaded, [msg({ cursor: 10 }), msg({ cursor: 9 }), msg({ cursor: 8 })]);
    expect(older.map((m) => m.cursor)).toEqual([8, 9, 10, 11]);
    expect(appendNewer(older, [msg({ cursor: 11 }), msg({ cursor: 12 })]).map((m) => m.cursor)).toEqual([8, 9, 10, 11, 12]);
  });
});

describe('firstUnreadId', () => {
  it('counts only messages from others, from the newest back', () => {
    const ms = [msg({ id: 'a' }), msg({ id: 'b' }), msg({ id: 'mine', isOwn: true, senderId: 'me' }), msg({ id: 'c' })];
    expect(firstUnreadId(ms, 2)).toBe('b');
    expect(firstUnreadId(ms, 0)).toBeNull();
    expect(firstUnreadId(ms, 9)).toBeNull();
  });
});

describe('chatRows', () => {
  const now = new Date('2026-11-30T12:00:00');
  it('groups by sender within five minutes and separates days', () => {
    const ms = [
      msg({ id: 'y1', createdAt: new Date('2026-11-29T22:00:00').toISOString() }),
      msg({ id: 't1', createdAt: new Date('2026-11-30T09:00:00').toISOString() }),
      msg({ id: 't2', createdAt: new Date('2026-11-30T09:02:00').toISOString() }),
      msg({ id: 't3', createdAt: new Date('2026-11-30T09:30:00').toISOString() }),
      msg({ id: 'me', isOwn: true, senderId: 'me', createdAt: new Date('2026-11-30T09:31:00').toISOString() }),
    ];
    const rows = chatRows(ms, null, now);
    expect(rows.map((r) => (r.kind === 'message' ? `${r.key}${r.first ? '^' : ''}${r.last ? '$' : ''}` : r.kind === 'day' ? r.label : 'new'))).toEqual([
      'Yesterday',
      'y1^$',
      'Today',
      't1^',
      't2$',
      't3^$',
      'me^$',
    ]);
  });
  it('puts the new-messages marker before the first unread and breaks the group there', () => {
    const ms = [msg({ id: 'a' }), msg({ id: 'b' }), msg({ id: 'c' })];
    const rows = chatRows(ms, 'b', now);
    const kinds = rows.map((r) => (r.kind === 'message' ? `${r.key}${r.first ? '^' : ''}${r.last ? '$' : ''}` : r.kind));
    expect(kinds).toEqual(['day', 'a^$', 'new', 'b^', 'c$']);
  });
});

describe('dayLabel', () => {
  it('names near days and dates the rest', () => {
    const now = new Date('2026-11-30T12:00:00');
    expect(dayLabel(new Date('2026-11-30T01:00:00').toISOString(), now, 'en-US')).toBe('Today');
    expect(dayLabel(new Date('2026-11-29T23:00:00').toISOString(), now, 'en-US')).toBe('Yesterday');
    expect(dayLabel(new Date('2026-11-26T10:00:00').toISOString(), now, 'en-US')).toBe('Thursday');
    expect(dayLabel(new Date('2025-01-02T10:00:00').toISOString(), now, 'en-US')).toBe('January 2, 2025');
  });
});

describe('delete for me, undo', () => {
  it('takes hidden messages out and puts them back where they were', () => {
    const all = [10, 11, 12, 13].map((c) => msg({ cursor: c }));
    const hidden = all.slice(1, 3);
    const shown = without(all, hidden.map((m) => m.id));
    expect(shown.map((m) => m.cursor)).toEqual([10, 13]);
    const back = restoreInto(shown, hidden.map((m) => ({ ...m, hiddenAt: '2026-11-30T10:00:00Z' })), true);
    expect(back.map((m) => m.cursor)).toEqual([10, 11, 12, 13]);
    expect(back.every((m) => m.hiddenAt === null)).toBe(true);
  });
  it('leaves a restored message above the loaded pages to paging', () => {
    const shown = [msg({ cursor: 20 }), msg({ cursor: 21 })];
    const old = msg({ cursor: 5 });
    expect(restoreInto(shown, [old], true).map((m) => m.cursor)).toEqual([20, 21]);
    expect(restoreInto(shown, [old], false).map((m) => m.cursor)).toEqual([5, 20, 21]);
  });
  it('never shows a message twice', () => {
    const one = msg({ cursor: 30 });
    expect(restoreInto([one], [one], false)).toHaveLength(1);
  });
});

describe('requote', () => {
  it('shows a quote of a hidden original as quoted, and the original again when restored', () => {
    const original = msg({ id: 'o', text: 'the whole original, word for word' });
    const reply = msg({ id: 'r' });
    reply.reply = {
      authorId: 'maya',
      authorName: 'Maya',
      authorIsMe: false,
      excerpt: 'the whole original, word for word',
      quotedExcerpt: 'the whole original',
      state: 'shown',
      original: 'o',
      originalCursor: original.cursor,
    };
    const other = msg({ id: 'x' });
    const hidden = requote([reply, other], [original], true);
    expect(hidden[0]?.reply?.state).toBe('hiddenForYou');
    expect(hidden[0]?.reply?.excerpt).toBe('the whole original');
    expect(hidden[1]).toBe(other);
    const back = requote(hidden, [original], false);
    expect(back[0]?.reply?.state).toBe('shown');
    expect(back[0]?.reply?.excerpt).toBe('the whole original, word for word');
  });

  it('cuts an excerpt as the protocol does', () => {
    expect(excerptOf('short')).toBe('short');
    const long = 'ü'.repeat(200);
    const cut = excerptOf(long);
    expect(Array.from(cut).length).toBe(160);
    expect(cut.endsWith('…')).toBe(true);
  });
});
