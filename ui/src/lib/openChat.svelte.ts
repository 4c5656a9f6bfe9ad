// The open chat's messages as reactive state: the loaded slice of the chat
// (paged up by keyset, and down when opened at a search result), the news that
// notices carry applied in place (lib/notices), and what one does with one's
// own messages (send, retry, undo send, delete for me). The components only
// show it: MessageList draws the rows and reports scrolling; this decides.
import { tick } from 'svelte';
import { api, errorMessage, MESSAGE_PAGE_SIZE } from './api';
import type { BlobId, InboxItem, Message, MessageCursor, Undone, VideoCard } from './bindings';
import {
  appendNewer,
  applyChanged,
  chatRows,
  firstUnreadId,
  mergeLatest,
  prependOlder,
  requote,
  restoreInto,
  without,
  type ChatRow,
} from './chat';
import { reactionTakenBackText } from './deleteText';
import { sentence } from './format';
import { putChat } from './inbox.svelte';
import { live } from './notices.svelte';
import { toasts } from './toast.svelte';

/** What the list on screen does for the chat. */
export interface ChatScroller {
  /** Shows the newest row. */
  toEnd(): void;
  /** Shows the row with this key in the middle. */
  toRow(index: number): void;
  /** How far the list is scrolled from its top, in pixels. */
  offset(): number;
}

/** Keep loading older pages while the view is this close to the top. */
const NEAR_TOP_PX = 400;

export class OpenChat {
  readonly chat: InboxItem;
  messages = $state<Message[]>([]);
  /** Where older messages continue; null when the oldest is loaded. */
  before = $state<MessageCursor | null>(null);
  /** Opened at a message with newer ones not loaded yet. */
  anchored = $state(false);
  /** News arrived while reading further up (opened from search). */
  news = $state(false);
  loaded = $state(false);
  error = $state<string | null>(null);
  /** The "New messages" marker goes before this message. */
  newMarker = $state<string | null>(null);
  /** A message opened from search, highlighted for a moment. */
  flashId = $state<string | null>(null);
  /** The newest row is on screen (the list says so as it scrolls). */
  atBottom = $state(true);
  /** Rows were added above: the list keeps its place measured from the end. */
  shift = $state(false);
  rows: ChatRow[] = $derived(chatRows(this.messages, this.newMarker));
  /** Messages deleted for you here (the chat menu offers them back). */
  hiddenCount = $state(0);

  private newerMore = false;
  private loadingOlder = false;
  private loadingNewer = false;
  /** The newest seq marked read from here. */
  private markedThrough = 0;
  private scroller: ChatScroller | null = null;
  /** Another chat was opened in its place. */
  private closed = false;

  /** Called when something here changes the chat's inbox row (a hide). */
  private readonly rowChanged: () => void;

  constructor(chat: InboxItem, rowChanged: () => void) {
    this.chat = chat;
    this.rowChanged = rowChanged;
  }

  /** Starts loading the chat: its newest page, or the pages around `anchor`
   * (a search result). Called as the view is made, before its parts are
   * mounted, so that the page is asked for while the last chat is taken down
   * and this one is set up. */
  start(anchor: Message | null): void {
    // The messages first: the count of hidden ones (for the chat menu) is
    // asked for once they are shown, so that its query never holds the store
    // while the page waits behind it.
    void (anchor ? this.loadAround(anchor) : this.loadLatest(true)).then(() =>
      api.hiddenMessages(this.chat.id).then(
        (list) => (this.hiddenCount = list.length),
        () => {},
      ),
    );
  }

  /** The list is on screen: it follows the loading started by `start`, and the
   * chat's news until the returned function is called. */
  attach(scroller: ChatScroller): () => void {
    this.scroller = scroller;
    if (this.loaded && !this.anchored) this.toEnd();
    const unwatch = live.watch(this.chat.id, {
      changed: (list) => void this.changed(list),
      reload: () => (this.anchored ? (this.news = true) : void this.loadLatest(false)),
    });
    return () => {
      unwatch();
      // Another chat has the list now: a page still on its way here neither
      // scrolls it nor marks this chat read.
      this.scroller = null;
      this.closed = true;
    };
  }

  /** Loads the newest page and merges it into what is loaded. */
  async loadLatest(initial: boolean): Promise<void> {
    const stick = initial || this.atBottom;
    try {
      // Marks for `cargo xtask bench ui` and `bench app`: the page is asked
      // for, it is here, then it is painted.
      if (initial) performance.mark('candor:chat-asked');
      const page = await api.conversationPage(this.chat.id, null, MESSAGE_PAGE_SIZE);
      if (initial) performance.mark('candor:chat-page-returned');
      const complete = page.before === null;
      this.shift = false;
      if (initial) this.newMarker = firstUnreadId([...page.messages].reverse(), this.chat.unreadCount);
      this.messages = mergeLatest(this.messages, page.messages, complete);
      if (initial || complete) this.before = page.before;
      this.error = null;
      this.loaded = true;
      await tick();
      if (stick) this.toEnd();
      if (initial) {
        // Rows in the page and laid out (reading a size flushes layout): what the
        // next frame paints. Then the frame itself, two animation frames later.
        void document.body.getBoundingClientRect();
        performance.mark('candor:chat-laid-out');
        requestAnimationFrame(() => requestAnimationFrame(() => performance.mark('candor:chat-painted')));
      }
      await this.markRead();
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  /** Shows the message `id` (at `cursor`): scrolled to and flashed if it is
   * loaded, else the pages around it are loaded (a quote's original). */
  async jumpTo(id: string, cursor: number): Promise<void> {
    const index = this.rows.findIndex((r) => r.kind === 'message' && r.message.id === id);
    if (index < 0) return this.loadAround({ id, cursor });
    this.scroller?.toRow(index);
    this.flashId = id;
    setTimeout(() => (this.flashId = null), 2000);
  }

  /** Opens at `at`: a page up to it and a page after it. */
  private async loadAround(at: { id: string; cursor: number }): Promise<void> {
    try {
      const [older, newer] = await Promise.all([
        api.conversationPage(this.chat.id, at.cursor + 1, MESSAGE_PAGE_SIZE),
        api.newerMessages(this.chat.id, at.cursor, MESSAGE_PAGE_SIZE),
      ]);
      this.messages = [...[...older.messages].reverse(), ...newer.messages];
      this.before = older.before;
      this.newerMore = newer.more;
      this.anchored = newer.more;
      this.loaded = true;
      await tick();
      const index = this.rows.findIndex((r) => r.kind === 'message' && r.message.id === at.id);
      if (index >= 0) this.scroller?.toRow(index);
      this.flashId = at.id;
      setTimeout(() => (this.flashId = null), 2000);
      if (!this.anchored) await this.markRead();
    } catch (e) {
      this.error = errorMessage(e);
    }
  }

  /** The list scrolled: page up or down near an end, mark read at the bottom. */
  scrolled(offset: number, end: number): void {
    const wasAtBottom = this.atBottom;
    this.atBottom = end - offset < 48;
    if (offset < NEAR_TOP_PX) void this.loadOlder();
    if (end - offset < NEAR_TOP_PX) void this.loadNewer();
    if (this.atBottom && !wasAtBottom) void this.markRead();
  }

  /** The chat is on screen at its newest: everything in it is read. Decided by
   * what is on screen, not by the inbox row's unread count, which may not have
   * caught up yet with a message that just arrived. Only others' messages can
   * be unread: one's own, once numbered, need no call to mark them. */
  private async markRead(): Promise<void> {
    if (this.closed || this.anchored || !this.atBottom) return;
    const newest = this.messages.reduce((max, m) => (m.isOwn ? max : Math.max(max, m.seq ?? 0)), 0);
    if (newest <= this.markedThrough) return;
    this.markedThrough = newest;
    const row = await api.markRead(this.chat.id, newest);
    // Closed meanwhile (declined, deleted, another chat opened): the lists
    // have been reloaded since, and this row may no longer belong in them.
    if (!this.closed) putChat(row);
  }

  private async loadOlder(): Promise<void> {
    if (this.before === null || this.loadingOlder) return;
    this.loadingOlder = true;
    try {
      const page = await api.conversationPage(this.chat.id, this.before);
      // Rows go in above: the list keeps the view where it is, measured from
      // the end, until rows are added below.
      this.shift = true;
      this.messages = prependOlder(this.messages, page.messages);
      this.before = page.before;
      await tick();
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.loadingOlder = false;
    }
    // Still at the top (a tall window, or a quick scroll): keep going.
    if (this.scroller && this.before !== null && this.scroller.offset() < NEAR_TOP_PX) void this.loadOlder();
  }

  private async loadNewer(): Promise<void> {
    const last = this.messages[this.messages.length - 1];
    if (!this.anchored || !this.newerMore || this.loadingNewer || !last) return;
    this.loadingNewer = true;
    try {
      const page = await api.newerMessages(this.chat.id, last.cursor);
      this.shift = false;
      this.messages = appendNewer(this.messages, page.messages);
      this.newerMore = page.more;
      if (!page.more) {
        // Caught up with the newest: from here on, news is merged in as usual.
        this.anchored = false;
        this.news = false;
      }
    } catch (e) {
      this.error = errorMessage(e);
    } finally {
      this.loadingNewer = false;
    }
  }

  async jumpToLatest(): Promise<void> {
    if (this.anchored) {
      this.anchored = false;
      this.news = false;
      this.messages = [];
      await this.loadLatest(true);
    } else {
      this.toEnd();
    }
  }

  /** News for this chat, as the notice carried it: new messages, and ours
   * sent, seen or failed. Applied in place; nothing is asked again. Opened at a
   * search result with newer messages not loaded, new ones are not shown (there
   * would be a gap): "Jump to latest" says there is news. */
  private async changed(list: Message[]): Promise<void> {
    const loadedIds = new Set(this.messages.map((m) => m.id));
    const shown = this.anchored ? list.filter((m) => loadedIds.has(m.id)) : list;
    if (shown.length < list.length) this.news = true;
    const stick = this.atBottom;
    this.shift = false;
    this.messages = applyChanged(this.messages, shown, this.before !== null);
    await tick();
    if (stick && !this.anchored) this.toEnd();
    await this.markRead();
  }

  /** Sends what the composer wrote. The one call of a send returns the
   * message and the chat's row. */
  async send(
    text: string,
    card: VideoCard | null,
    replyTo: string | null = null,
    photos: BlobId[] = [],
  ): Promise<boolean> {
    try {
      const composed =
        photos.length > 0
          ? await api.sendPhotos(this.chat.id, text, photos, replyTo)
          : await api.sendMessage(this.chat.id, text, card, replyTo);
      putChat(composed.chat);
      if (this.anchored) {
        await this.jumpToLatest();
      } else {
        this.shift = false;
        this.messages = applyChanged(this.messages, [composed.message], this.before !== null);
        await tick();
        this.toEnd();
      }
      return true;
    } catch (e) {
      this.error = sentence(errorMessage(e));
      return false;
    }
  }

  async retry(id: string): Promise<void> {
    try {
      await api.retryMessage(id);
      await this.loadLatest(false);
    } catch (e) {
      this.error = sentence(errorMessage(e));
    }
  }

  /** Takes a message back before it leaves; returns its text and photos
   * for the composer, or null when it was too late. */
  async undoSend(m: Message): Promise<Undone | null> {
    try {
      const undone = await api.undoSend(m.id);
      this.messages = without(this.messages, [m.id]);
      this.error = null;
      // The row's preview goes back to the message before it.
      putChat(await api.inboxItem(this.chat.id));
      return undone;
    } catch (e) {
      this.error = sentence(errorMessage(e));
      await this.loadLatest(false);
      return null;
    }
  }

  /** Gives `emoji` as this account's reaction to `m`, or with null takes it
   * back, which is sent too: the toast says the others may have seen it. */
  async react(m: Message, emoji: string | null): Promise<void> {
    try {
      const shown = await api.react(m.id, emoji);
      this.messages = applyChanged(this.messages, [shown], this.before !== null);
      this.error = null;
      if (emoji === null) toasts.show({ text: reactionTakenBackText(this.chat), action: null });
    } catch (e) {
      this.error = sentence(errorMessage(e));
    }
  }

  /** Delete for me: hides on this device only, then offers Undo for 8
   * seconds. Returns whether it was hidden. */
  async hide(list: Message[]): Promise<boolean> {
    const ids = list.map((m) => m.id);
    try {
      await api.hideMessages(ids);
    } catch (e) {
      this.error = sentence(errorMessage(e));
      return false;
    }
    this.messages = requote(without(this.messages, ids), list, true);
    this.hiddenCount += list.length;
    this.rowChanged();
    toasts.show({
      text: list.length === 1 ? 'Deleted for you' : `${list.length} messages deleted for you`,
      action: {
        label: 'Undo',
        run: async () => {
          await api.unhideMessages(ids);
          this.restored(list);
        },
      },
    });
    return true;
  }

  /** Hidden messages came back: in their places, and in the inbox preview. */
  restored(list: Message[]): void {
    this.messages = requote(restoreInto(this.messages, list, this.before !== null), list, false);
    this.hiddenCount = Math.max(0, this.hiddenCount - list.length);
    this.rowChanged();
  }

  private toEnd(): void {
    this.scroller?.toEnd();
    // Scrolled there on purpose: the newest is on screen, whatever scroll events
    // the list reports while it re-measures.
    this.atBottom = true;
  }
}
