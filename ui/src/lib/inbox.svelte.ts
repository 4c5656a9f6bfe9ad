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

  /** Bumped by every reload from the top: an answer to an older one is stale
   * (commands run in parallel, so answers can arrive out of order). */
  private generation = 0;

  private async load(after: InboxCursor | null, replace: boolean): Promise<void> {
    if (replace) this.generation += 1;
    const generation = this.generation;
    this.loading = true;
    this.error = null;
    try {
      const page = await this.fetch(after);
      if (generation !== this.generation) return;
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
