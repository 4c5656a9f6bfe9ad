// Which chat the window shows, and how it got there: a row clicked, a search
// result (opened at its message), Ctrl+K, a notification, a chat just started.
// Also which list is shown (Chats or Requests) and what the search field holds,
// since opening a chat from elsewhere changes both.
import { api, errorMessage } from './api';
import type { InboxItem, Message, SearchHit } from './bindings';
import { sentence } from './format';
import { deleteChatForMe, inbox, requests } from './inbox.svelte';

class ChatPane {
  selectedId = $state<string | null>(null);
  /** The row of a chat opened from search that is not on a loaded page. */
  openedItem = $state<InboxItem | null>(null);
  /** Open the selected chat at this message (a search result). */
  anchor = $state<Message | null>(null);
  /** Counts search results opened, so opening the same one again reopens the chat there. */
  openings = $state(0);
  /** Why a chat could not be opened, if so. */
  openError = $state<string | null>(null);
  tab = $state<'chats' | 'requests'>('chats');
  searchQuery = $state('');

  selected: InboxItem | undefined = $derived(
    inbox.items.find((i) => i.id === this.selectedId) ??
      requests.items.find((i) => i.id === this.selectedId) ??
      (this.openedItem?.id === this.selectedId ? this.openedItem : undefined),
  );
  selectedIsRequest: boolean = $derived(requests.items.some((i) => i.id === this.selectedId));

  select(id: string): void {
    this.anchor = null;
    this.selectedId = id;
  }

  /** Opens a chat from its row, wherever the row came from (search, Ctrl+K),
   * even if it is not on a loaded page of the lists. */
  show(chat: InboxItem): void {
    this.openedItem = chat;
    this.select(chat.id);
  }

  /** Opens a chat wherever it is (a notification was clicked). */
  async openChat(id: string): Promise<void> {
    try {
      this.show(await api.inboxItem(id));
      this.searchQuery = '';
      this.tab = requests.items.some((i) => i.id === id) ? 'requests' : 'chats';
      this.openError = null;
    } catch (e) {
      this.openError = sentence(errorMessage(e));
    }
  }

  /** Opens a search result: its chat, at that message. */
  async openHit(hit: SearchHit): Promise<void> {
    try {
      this.openedItem = await api.inboxItem(hit.message.conversationId);
      this.anchor = hit.message;
      this.selectedId = hit.message.conversationId;
      this.openings += 1;
      this.openError = null;
    } catch (e) {
      this.openError = sentence(errorMessage(e));
    }
  }

  /** A chat was just started here (new chat, new group). */
  async opened(id: string): Promise<void> {
    await inbox.loadFirst();
    this.tab = 'chats';
    this.selectedId = id;
  }

  /** A chat's settings changed: refresh the lists and the open chat's row; a
   * declined request (now gone from the lists) closes. */
  async chatChanged(closed: boolean): Promise<void> {
    const id = this.selectedId;
    if (closed) this.selectedId = null;
    await Promise.all([inbox.loadFirst(), requests.loadFirst()]);
    if (!id || closed) return;
    try {
      this.openedItem = await api.inboxItem(id);
    } catch (e) {
      this.openError = sentence(errorMessage(e));
    }
  }

  async accept(id: string): Promise<void> {
    await api.acceptRequest(id);
    await Promise.all([inbox.loadFirst(), requests.loadFirst()]);
    this.tab = 'chats';
  }

  async deleteChat(chat: InboxItem): Promise<void> {
    const failed = await deleteChatForMe(chat);
    if (failed) this.openError = sentence(failed);
    else if (this.selectedId === chat.id) this.selectedId = null;
  }
}

export const pane = new ChatPane();
