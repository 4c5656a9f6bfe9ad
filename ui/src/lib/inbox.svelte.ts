// The inbox and Requests lists as reactive state: pages fetched by keyset cursor
// and appended, and rows that notices carry put in their places (lib/notices),
// so news never reloads a list.
import { api, errorMessage } from './api';
import { toasts } from './toast.svelte';
import type { InboxCursor, InboxItem, InboxPage } from './bindings';

export type Fetch = (after: InboxCursor | null) => Promise<InboxPage>;

export class ListState {
  private readonly fetch: Fetch;

  constructor(fetch: Fetch) {
    this.fetch = fetch;
  }

  items = $state<InboxItem[]>([]);
  next = $state<InboxCursor | null>(null);
  loading = $state(false);
  /** True once the first page has arrived: before that, "no chats" would be a guess. */
  loaded = $state(false);
  error = $state<string | null>(null);

  async loadFirst(): Promise<void> {
    await this.load(null, true);
  }

  async loadMore(): Promise<void> {
    if (this.next && !this.loading) await this.load(this.next, false);
  }

  /** Puts a chat's new row in its place, or takes it out (`keep` false: it
   * belongs to the other list now). A row that sorts after the last loaded one
   * waits for the next page, unless every page is here. */
  put(item: InboxItem, keep: boolean): void {
    // A reload from the top is on its way: its page was read before this
    // row and would put the older one back, so the row is put again on it.
    this.putMeanwhile?.set(item.id, { item, keep });
    this.place(item, keep);
  }

  private place(item: InboxItem, keep: boolean): void {
    const others = this.items.filter((i) => i.id !== item.id);
    if (!keep) {
      if (others.length !== this.items.length) this.items = others;
      return;
    }
    const at = others.findIndex((i) => inboxOrder(item, i) < 0);
    if (at === -1 && this.next !== null) {
      this.items = others;
      return;
    }
    this.items = at === -1 ? [...others, item] : [...others.slice(0, at), item, ...others.slice(at)];
  }

  /** Bumped by every reload from the top: an answer to an older one is stale
   * (commands run in parallel, so answers can arrive out of order). */
  private generation = 0;
  /** Rows notices put while the newest reload from the top was on its way. */
  private putMeanwhile: Map<string, { item: InboxItem; keep: boolean }> | null = null;

  private async load(after: InboxCursor | null, replace: boolean): Promise<void> {
    if (replace) {
      this.generation += 1;
      this.putMeanwhile = new Map();
    }
    const generation = this.generation;
    const meanwhile = this.putMeanwhile;
    this.loading = true;
    this.error = null;
    try {
      const page = await this.fetch(after);
      if (generation !== this.generation) return;
      this.items = replace ? page.items : [...this.items, ...page.items];
      this.next = page.next;
      this.loaded = true;
      if (replace && meanwhile) {
        this.putMeanwhile = null;
        for (const { item, keep } of meanwhile.values()) this.place(item, keep);
      }
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.loading = false;
    }
  }
}

/** The lists' order: pinned first, then the newest activity, then by id
 * (the store's keyset order). Negative when `a` comes first. */
export function inboxOrder(a: InboxItem, b: InboxItem): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  const t = Date.parse(b.lastActivityAt) - Date.parse(a.lastActivityAt);
  if (t !== 0) return t;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** A chat's new row goes to the list it belongs in, and leaves the other. */
export function putChat(item: InboxItem): void {
  inbox.put(item, !item.request);
  requests.put(item, item.request);
}

export const inbox = new ListState((after) => api.inboxPage(after));
export const requests = new ListState((after) => api.requestsPage(after));

/** Reads both lists' first pages again. */
export function reloadLists(): void {
  void inbox.loadFirst();
  void requests.loadFirst();
}

/** Deletes a chat on this device only, with Undo for 8 seconds (Settings can
 * bring it back later). Returns why it failed, if it did. */
export async function deleteChatForMe(chat: InboxItem): Promise<string | null> {
  try {
    await api.deleteChat(chat.id);
  } catch (e) {
    return errorMessage(e);
  }
  reloadLists();
  toasts.show({
    text: 'Chat deleted for you',
    action: {
      label: 'Undo',
      run: async () => {
        await api.restoreChat(chat.id);
        reloadLists();
      },
    },
  });
  return null;
}
