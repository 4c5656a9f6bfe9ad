// Typed calls into the Rust shell. Every command returns its value or throws a
// CommandError ({code, message}); types and command names come from the
// generated bindings, so no name is typed here by hand.
import { invoke } from '@tauri-apps/api/core';
import { COMMAND } from './bindings';
import type {
  AppInfo,
  CommandError,
  Composed,
  ConversationId,
  Draft,
  HiddenConversation,
  InboxCursor,
  InboxItem,
  InboxPage,
  LinkPreview,
  MessageCursor,
  Message,
  MessageId,
  MessagePage,
  MuteFor,
  OpenVideosIn,
  NewerMessages,
  Profile,
  QuitChoice,
  SearchResults,
  SettingsView,
  UndoSendWindow,
  VideoCard,
  UserId,
  WhoMayWrite,
} from './bindings';

export const INBOX_PAGE_SIZE = 50;
export const MESSAGE_PAGE_SIZE = 50;

export function isCommandError(e: unknown): e is CommandError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { message?: unknown }).message === 'string'
  );
}

/** A message for a person, whatever was thrown. */
export function errorMessage(e: unknown): string {
  if (isCommandError(e)) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export const api = {
  appInfo: () => invoke<AppInfo>(COMMAND.appInfo),
  inboxPage: (after: InboxCursor | null, limit = INBOX_PAGE_SIZE) =>
    invoke<InboxPage>(COMMAND.inboxPage, { after, limit }),
  requestsPage: (after: InboxCursor | null, limit = INBOX_PAGE_SIZE) =>
    invoke<InboxPage>(COMMAND.requestsPage, { after, limit }),
  acceptRequest: (conversation: ConversationId) => invoke<void>(COMMAND.acceptRequest, { conversation }),
  conversationPage: (conversation: ConversationId, before: MessageCursor | null, limit = MESSAGE_PAGE_SIZE) =>
    invoke<MessagePage>(COMMAND.conversationPage, { conversation, before, limit }),
  newerMessages: (conversation: ConversationId, after: MessageCursor, limit = MESSAGE_PAGE_SIZE) =>
    invoke<NewerMessages>(COMMAND.newerMessages, { conversation, after, limit }),
  inboxItem: (conversation: ConversationId) => invoke<InboxItem>(COMMAND.inboxItem, { conversation }),
  searchMessages: (query: string, conversation: ConversationId | null = null) =>
    invoke<SearchResults>(COMMAND.searchMessages, { query, conversation }),
  signUp: (relayUrl: string, handle: string, displayName: string, password: string) =>
    invoke<Profile>(COMMAND.signUp, { relayUrl, handle, displayName, password }),
  signIn: (relayUrl: string, handle: string, password: string) =>
    invoke<Profile>(COMMAND.signIn, { relayUrl, handle, password }),
  signOut: () => invoke<void>(COMMAND.signOut),
  checkRelay: (relayUrl: string) => invoke<void>(COMMAND.checkRelay, { relayUrl }),
  openRelayHelp: () => invoke<void>(COMMAND.openRelayHelp),
  uiReady: () => invoke<void>(COMMAND.uiReady),
  sendMessage: (conversation: ConversationId, text: string, card: VideoCard | null = null) =>
    invoke<Composed>(COMMAND.sendMessage, { conversation, text, card }),
  linkPreview: (text: string) => invoke<LinkPreview | null>(COMMAND.linkPreview, { text }),
  shareVideo: (conversations: ConversationId[], link: string, note: string, card: VideoCard | null) =>
    invoke<MessageId[]>(COMMAND.shareVideo, { conversations, link, note, card }),
  /** The card with the platform's details, fetched on this device (plain when they can't be had). */
  fetchCard: (url: string) => invoke<VideoCard>(COMMAND.fetchCard, { url }),
  /** The video link Candor was started with to share (`candor://share?url=…`), once. */
  takeSharedLink: () => invoke<string | null>(COMMAND.takeSharedLink),
  chatVideos: (conversation: ConversationId) => invoke<Message[]>(COMMAND.chatVideos, { conversation }),
  openVideo: (url: string) => invoke<void>(COMMAND.openVideo, { url }),
  setOpenVideosIn: (place: OpenVideosIn) => invoke<void>(COMMAND.setOpenVideosIn, { place }),
  markRead: (conversation: ConversationId, seq: number) => invoke<InboxItem>(COMMAND.markRead, { conversation, seq }),
  typing: (conversation: ConversationId) => invoke<void>(COMMAND.typing, { conversation }),
  retryMessage: (message: MessageId) => invoke<void>(COMMAND.retryMessage, { message }),
  startChat: (handle: string) => invoke<ConversationId>(COMMAND.startChat, { handle }),
  startGroup: (title: string, handles: string[]) => invoke<ConversationId>(COMMAND.startGroup, { title, handles }),
  settings: () => invoke<SettingsView>(COMMAND.settings),
  setDisplayName: (displayName: string) => invoke<void>(COMMAND.setDisplayName, { displayName }),
  setWhoMayWrite: (who: WhoMayWrite) => invoke<WhoMayWrite>(COMMAND.setWhoMayWrite, { who }),
  setNotifications: (on: boolean) => invoke<void>(COMMAND.setNotifications, { on }),
  pinChat: (conversation: ConversationId, pinned: boolean) => invoke<void>(COMMAND.pinChat, { conversation, pinned }),
  muteChat: (conversation: ConversationId, muteFor: MuteFor | null) =>
    invoke<void>(COMMAND.muteChat, { conversation, muteFor }),
  blockPerson: (user: UserId, blocked: boolean) => invoke<void>(COMMAND.blockPerson, { user, blocked }),
  declineRequest: (conversation: ConversationId) => invoke<void>(COMMAND.declineRequest, { conversation }),
  leaveGroup: (conversation: ConversationId) => invoke<void>(COMMAND.leaveGroup, { conversation }),
  findChats: (query: string) => invoke<InboxItem[]>(COMMAND.findChats, { query }),
  hideMessages: (messages: MessageId[]) => invoke<void>(COMMAND.hideMessages, { messages }),
  unhideMessages: (messages: MessageId[]) => invoke<void>(COMMAND.unhideMessages, { messages }),
  hiddenMessages: (conversation: ConversationId) => invoke<Message[]>(COMMAND.hiddenMessages, { conversation }),
  eraseHidden: (conversation: ConversationId) => invoke<number>(COMMAND.eraseHidden, { conversation }),
  deleteChat: (conversation: ConversationId) => invoke<void>(COMMAND.deleteChat, { conversation }),
  deletedChats: () => invoke<HiddenConversation[]>(COMMAND.deletedChats),
  restoreChat: (conversation: ConversationId) => invoke<void>(COMMAND.restoreChat, { conversation }),
  undoSend: (message: MessageId) => invoke<Draft>(COMMAND.undoSend, { message }),
  saveDraft: (conversation: ConversationId, text: string) => invoke<void>(COMMAND.saveDraft, { conversation, text }),
  setUndoSend: (window: UndoSendWindow) => invoke<void>(COMMAND.setUndoSend, { window }),
  requestQuit: () => invoke<void>(COMMAND.requestQuit),
  quit: (choice: QuitChoice) => invoke<void>(COMMAND.quit, { choice }),
};
