// The one listener of the shell's events. Sync notices carry the rows that
// changed, and are applied here to the state classes: inbox rows to the lists
// (lib/inbox), messages to the open chat, the connection and who is typing to
// `live`. Nothing here asks the shell again, so news costs no IPC call.
// Window-level events (a chat to open, the quit question, a shared link) go to
// the handlers the App gives.
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { EVENT, type Connection, type ConversationId, type Events, type Message, type Notice } from './bindings';
import { inbox, putChat, requests } from './inbox.svelte';

/** How long "typing…" shows after the last typing notice. */
export const TYPING_SHOWS_MS = 5000;

/** What an open chat hears. */
export interface ChatWatcher {
  /** Messages of this chat that were added or changed. */
  changed(messages: Message[]): void;
  /** Notices were missed: reload what is shown. */
  reload(): void;
}

class Live {
  connection = $state<Connection | null>(null);
  /** Why the connection is down, for the banner. */
  offlineReason = $state<string | null>(null);
  /** Chats where someone is typing, until when (ms since the epoch). */
  typingUntil = $state<Record<ConversationId, number>>({});
  private watchers = new Map<ConversationId, Set<ChatWatcher>>();

  /** Called with the chat's news while it is open; returns the unwatch. */
  watch(conversation: ConversationId, watcher: ChatWatcher): () => void {
    const set = this.watchers.get(conversation) ?? new Set();
    set.add(watcher);
    this.watchers.set(conversation, set);
    return () => set.delete(watcher);
  }

  isTyping(conversation: ConversationId, now: number): boolean {
    return (this.typingUntil[conversation] ?? 0) > now;
  }

  /** Applies one notice; returns true when the account was signed out. */
  apply(notice: Notice): boolean {
    switch (notice.kind) {
      case 'connection':
        this.connection = notice.state;
        this.offlineReason = notice.reason;
        return notice.state === 'signedOut';
      case 'messagesAdded':
        notice.chats.forEach(putChat);
        this.toChats(notice.messages);
        break;
      case 'messageChanged':
      case 'sendFailed':
        putChat(notice.chat);
        this.toChats([notice.message]);
        break;
      case 'receiptMoved':
        this.toChats(notice.messages);
        break;
      case 'chatChanged':
      case 'readElsewhere':
        putChat(notice.chat);
        break;
      case 'typing': {
        this.typingUntil = { ...this.typingUntil, [notice.conversation]: Date.now() + TYPING_SHOWS_MS };
        // Once more after it ends, so "typing…" goes away on its own.
        setTimeout(() => (this.typingUntil = { ...this.typingUntil }), TYPING_SHOWS_MS + 100);
        break;
      }
    }
    return false;
  }

  /** Notices were missed: every list and open chat reloads. */
  reloadAll(): void {
    void inbox.loadFirst();
    void requests.loadFirst();
    for (const set of this.watchers.values()) set.forEach((w) => w.reload());
  }

  private toChats(messages: Message[]): void {
    const byChat = new Map<ConversationId, Message[]>();
    for (const m of messages) byChat.set(m.conversationId, [...(byChat.get(m.conversationId) ?? []), m]);
    for (const [chat, list] of byChat) this.watchers.get(chat)?.forEach((w) => w.changed(list));
  }
}

export const live = new Live();

/** What the window does with the events that are not data. */
export interface WindowHandlers {
  signedOut(): void;
  openChat(conversation: ConversationId): void;
  quitPending(waiting: number): void;
  share(link: string): void;
  signOutConfirmed(): void;
}

/** Listens to one event with the payload type the shell declares for it. */
function on<K extends keyof Events>(event: K, handle: (payload: Events[K]) => void): Promise<UnlistenFn> {
  return listen<Events[K]>(EVENT[event], (e) => handle(e.payload));
}

/** Starts listening to every event of the shell; resolves once all listen. */
export function listenToShell(window: WindowHandlers): Promise<UnlistenFn[]> {
  return Promise.all([
    on('sync', (notice) => {
      if (live.apply(notice)) window.signedOut();
    }),
    on('lagged', () => live.reloadAll()),
    on('openChat', (chat) => window.openChat(chat)),
    on('quitPending', (waiting) => window.quitPending(waiting)),
    on('share', (link) => window.share(link)),
    on('signOutConfirmed', () => window.signOutConfirmed()),
  ]);
}
