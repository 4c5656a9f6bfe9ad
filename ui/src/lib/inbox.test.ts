import { describe, expect, it } from 'vitest';
import type { InboxItem } from './bindings';
import { ListState, inboxOrder } from './inbox.svelte';

function row(id: string, minute: number, over: Partial<InboxItem> = {}): InboxItem {
  return {
    id,
    kind: 'direct',
    title: id,
    pinned: false,
    mutedUntil: null,
    lastActivityAt: new Date(Date.UTC(2026, 11, 5, 9, minute)).toISOString(),
    preview: null,
    previewIsOwn: false,
    unreadCount: 0,
    peerId: null,
    peerBlocked: false,
    left: false,
    draft: null,
    request: false,
    ...over,
  };
}

async function listOf(items: InboxItem[], more: boolean): Promise<ListState> {
  const list = new ListState(async () => ({
    items,
    next: more ? { pinned: false, last_activity_ms: 0, id: 'x' } : null,
  }));
  await list.loadFirst();
  return list;
}

describe('inbox rows from notices', () => {
  it('keeps a row a notice put while a reload was on its way', async () => {
    let answer: (page: { items: InboxItem[]; next: null }) => void = () => {};
    const list = new ListState(
      () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
    );
    const loading = list.loadFirst();
    // The page was read before Mallory's first message arrived...
    list.put(row('mallory', 9, { request: true }), true);
    answer({ items: [], next: null });
    await loading;
    // ...so the row the notice carried stays.
    expect(list.items.map((r) => r.id)).toEqual(['mallory']);
  });

  it('orders pinned first, then newest activity', () => {
    const rows = [row('a', 1), row('b', 5), row('p', 0, { pinned: true })];
    expect([...rows].sort(inboxOrder).map((r) => r.id)).toEqual(['p', 'b', 'a']);
  });

  it('moves a chat with a new message to the top, replacing its old row', async () => {
    const list = await listOf([row('b', 5), row('a', 1)], false);
    list.put(row('a', 9, { preview: 'hi', unreadCount: 1 }), true);
    expect(list.items.map((r) => [r.id, r.unreadCount])).toEqual([
      ['a', 1],
      ['b', 0],
    ]);
  });

  it('leaves a row that sorts past the loaded pages for the next page', async () => {
    const list = await listOf([row('b', 5), row('a', 4)], true);
    list.put(row('old', 1), true);
    expect(list.items.map((r) => r.id)).toEqual(['b', 'a']);
    list.put(row('new', 7), true);
    expect(list.items.map((r) => r.id)).toEqual(['new', 'b', 'a']);
  });

  it('takes out a row that now belongs to the other list', async () => {
    const list = await listOf([row('b', 5), row('a', 4)], false);
    list.put(row('a', 4, { request: true }), false);
    expect(list.items.map((r) => r.id)).toEqual(['b']);
  });
});
