// Typed calls into the Rust shell. Every command returns its value or throws a
// CommandError ({code, message}); types come from the generated bindings.
import { invoke } from '@tauri-apps/api/core';
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
  appInfo: () => invoke<AppInfo>('app_info'),
  inboxPage: (after: InboxCursor | null, limit = INBOX_PAGE_SIZE) =>
    invoke<InboxPage>('inbox_page', { after, limit }),
  requestsPage: (after: InboxCursor | null, limit = INBOX_PAGE_SIZE) =>
    invoke<InboxPage>('requests_page', { after, limit }),
  acceptRequest: (conversation: ConversationId) => invoke<void>('accept_request', { conversation }),
  conversationPage: (conversation: ConversationId, before: MessageCursor | null, limit = MESSAGE_PAGE_SIZE) =>
    invoke<MessagePage>('conversation_page', { conversation, before, limit }),
  newerMessages: (conversation: ConversationId, after: MessageCursor, limit = MESSAGE_PAGE_SIZE) =>
    invoke<NewerMessages>('newer_messages', { conversation, after, limit }),
  inboxItem: (conversation: ConversationId) => invoke<InboxItem>('inbox_item', { conversation }),
  searchMessages: (query: string, conversation: ConversationId | null = null) =>
    invoke<SearchResults>('search_messages', { query, conversation }),
  signUp: (relayUrl: string, handle: string, displayName: string, password: string) =>
    invoke<Profile>('sign_up', { relayUrl, handle, displayName, password }),
  signIn: (relayUrl: string, handle: string, password: string) =>
    invoke<Profile>('sign_in', { relayUrl, handle, password }),
  signOut: () => invoke<void>('sign_out'),
  checkRelay: (relayUrl: string) => invoke<void>('check_relay', { relayUrl }),
  openRelayHelp: () => invoke<void>('open_relay_help'),
  uiReady: () => invoke<void>('ui_ready'),
  sendMessage: (conversation: ConversationId, text: string, card: VideoCard | null = null) =>
    invoke<Composed>('send_message', { conversation, text, card }),
  linkPreview: (text: string) => invoke<LinkPreview | null>('link_preview', { text }),
  shareVideo: (conversations: ConversationId[], link: string, note: string, card: VideoCard | null) =>
    invoke<MessageId[]>('share_video', { conversations, link, note, card }),
  /** The card with the platform's details, fetched on this device (plain when they can't be had). */
  fetchCard: (url: string) => invoke<VideoCard>('fetch_card', { url }),
  /** The video link Candor was started with to share (`candor://share?url=…`), once. */
  takeSharedLink: () => invoke<string | null>('take_shared_link'),
  chatVideos: (conversation: ConversationId) => invoke<Message[]>('chat_videos', { conversation }),
  openVideo: (url: string) => invoke<void>('open_video', { url }),
  setOpenVideosIn: (place: OpenVideosIn) => invoke<void>('set_open_videos_in', { place }),
  markRead: (conversation: ConversationId, seq: number) => invoke<InboxItem>('mark_read', { conversation, seq }),
  typing: (conversation: ConversationId) => invoke<void>('typing', { conversation }),
  retryMessage: (message: MessageId) => invoke<void>('retry_message', { message }),
  startChat: (handle: string) => invoke<ConversationId>('start_chat', { handle }),
  startGroup: (title: string, handles: string[]) => invoke<ConversationId>('start_group', { title, handles }),
  settings: () => invoke<SettingsView>('settings'),
  setDisplayName: (displayName: string) => invoke<void>('set_display_name', { displayName }),
  setWhoMayWrite: (who: WhoMayWrite) => invoke<WhoMayWrite>('set_who_may_write', { who }),
  setNotifications: (on: boolean) => invoke<void>('set_notifications', { on }),
  pinChat: (conversation: ConversationId, pinned: boolean) => invoke<void>('pin_chat', { conversation, pinned }),
  muteChat: (conversation: ConversationId, muteFor: MuteFor | null) =>
    invoke<void>('mute_chat', { conversation, muteFor }),
  blockPerson: (user: UserId, blocked: boolean) => invoke<void>('block_person', { user, blocked }),
  declineRequest: (conversation: ConversationId) => invoke<void>('decline_request', { conversation }),
  leaveGroup: (conversation: ConversationId) => invoke<void>('leave_group', { conversation }),
  findChats: (query: string) => invoke<InboxItem[]>('find_chats', { query }),
  hideMessages: (messages: MessageId[]) => invoke<void>('hide_messages', { messages }),
  unhideMessages: (messages: MessageId[]) => invoke<void>('unhide_messages', { messages }),
  hiddenMessages: (conversation: ConversationId) => invoke<Message[]>('hidden_messages', { conversation }),
  eraseHidden: (conversation: ConversationId) => invoke<number>('erase_hidden', { conversation }),
  deleteChat: (conversation: ConversationId) => invoke<void>('delete_chat', { conversation }),
  deletedChats: () => invoke<HiddenConversation[]>('deleted_chats'),
  restoreChat: (conversation: ConversationId) => invoke<void>('restore_chat', { conversation }),
  undoSend: (message: MessageId) => invoke<Draft>('undo_send', { message }),
  saveDraft: (conversation: ConversationId, text: string) => invoke<void>('save_draft', { conversation, text }),
  setUndoSend: (window: UndoSendWindow) => invoke<void>('set_undo_send', { window }),
  requestQuit: () => invoke<void>('request_quit'),
  quit: (choice: QuitChoice) => invoke<void>('quit', { choice }),
};
