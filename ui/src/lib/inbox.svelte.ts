// The inbox and Requests lists as reactive state: pages fetched by keyset cursor
// and appended.
import { api, errorMessage } from './api';
import type { InboxCursor, InboxItem, InboxPage } from './bindings';

type Fetch = (after: InboxCursor | null) => Promise<InboxPage>;

class ListState {
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

  private async load(after: InboxCursor | null, replace: boolean): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const page = await this.fetch(after);
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

export const inbox = new ListState((after) => api.inboxPage(after));
export const requests = new ListState((after) => api.requestsPage(after));
