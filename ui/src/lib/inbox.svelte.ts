// The inbox list as reactive state: pages fetched by keyset cursor and appended.
import { api, errorMessage } from './api';
import type { InboxCursor, InboxItem } from './bindings';

class InboxState {
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

  private async load(after: InboxCursor | null, replace: boolean): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const page = await api.inboxPage(after);
      this.items = replace ? page.items : [...this.items, ...page.items];
      this.next = page.next;
      this.loaded = true;
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.loading = false;
    }
  }
}

export const inbox = new InboxState();
