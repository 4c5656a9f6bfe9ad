// Typed calls into the Rust shell. Every command returns its value or throws a
// CommandError ({code, message}); types and command names come from the
// generated bindings, so no name is typed here by hand.
import { invoke } from '@tauri-apps/api/core';
import { COMMAND } from './bindings';
import type {
  BlobId,
  CommandError,
  Commands,
  ConversationId,
  InboxCursor,
  MessageCursor,
  MessageId,
  MuteFor,
  OpenVideosIn,
  QuitChoice,
  SessionId,
  UndoSendWindow,
  UserId,
  VideoCard,
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

type Args<K extends keyof Commands> = Commands[K]['args'];

/**
 * Calls a command with the arguments its Rust signature takes; the answer has
 * the type it returns (both from the generated `Commands`).
 */
function call<K extends keyof Commands>(
  name: K,
  ...args: Record<string, never> extends Args<K> ? [] : [Args<K>]
): Promise<Commands[K]['result']> {
  return invoke<Commands[K]['result']>(COMMAND[name], args[0]);
}

export const api = {
  appInfo: () => call('appInfo'),
  inboxPage: (after: InboxCursor | null, limit = INBOX_PAGE_SIZE) =>
    call('inboxPage', { after, limit }),
  requestsPage: (after: InboxCursor | null, limit = INBOX_PAGE_SIZE) =>
    call('requestsPage', { after, limit }),
  acceptRequest: (conversation: ConversationId) => call('acceptRequest', { conversation }),
  conversationPage: (conversation: ConversationId, before: MessageCursor | null, limit = MESSAGE_PAGE_SIZE) =>
    call('conversationPage', { conversation, before, limit }),
  newerMessages: (conversation: ConversationId, after: MessageCursor, limit = MESSAGE_PAGE_SIZE) =>
    call('newerMessages', { conversation, after, limit }),
  inboxItem: (conversation: ConversationId) => call('inboxItem', { conversation }),
  searchMessages: (query: string, conversation: ConversationId | null = null) =>
    call('searchMessages', { query, conversation }),
  signUp: (relayUrl: string, handle: string, displayName: string, password: string, invite: string | null) =>
    call('signUp', { relayUrl, handle, displayName, password, invite }),
  signIn: (relayUrl: string, handle: string, password: string) =>
    call('signIn', { relayUrl, handle, password }),
  signOut: () => call('signOut'),
  checkRelay: (relayUrl: string) => call('checkRelay', { relayUrl }),
  openRelayHelp: () => call('openRelayHelp'),
  uiReady: () => call('uiReady'),
  sendMessage: (
    conversation: ConversationId,
    text: string,
    card: VideoCard | null = null,
    replyTo: MessageId | null = null,
  ) => call('sendMessage', { conversation, text, card, replyTo }),
  /** Sends the photos prepared here (see lib/photos) with `caption`. */
  sendPhotos: (conversation: ConversationId, caption: string, photos: BlobId[], replyTo: MessageId | null = null) =>
    call('sendPhotos', { conversation, caption, photos, replyTo }),
  /** Saves a photo where the person chooses; where, or null if cancelled. */
  savePhoto: (blob: BlobId) => call('savePhoto', { blob }),
  /** Gives `emoji` as this account's reaction, or with null takes it back. */
  react: (message: MessageId, emoji: string | null) => call('react', { message, emoji }),
  linkPreview: (text: string) => call('linkPreview', { text }),
  shareVideo: (conversations: ConversationId[], link: string, note: string, card: VideoCard | null) =>
    call('shareVideo', { conversations, link, note, card }),
  /** The card with the platform's details, fetched on this device (plain when they can't be had). */
  fetchCard: (url: string) => call('fetchCard', { url }),
  /** The video link Candor was started with to share (`candor://share?url=…`), once. */
  takeSharedLink: () => call('takeSharedLink'),
  chatVideos: (conversation: ConversationId) => call('chatVideos', { conversation }),
  openVideo: (url: string) => call('openVideo', { url }),
  openLink: (url: string) => call('openLink', { url }),
  setOpenVideosIn: (place: OpenVideosIn) => call('setOpenVideosIn', { place }),
  markRead: (conversation: ConversationId, seq: number) => call('markRead', { conversation, seq }),
  typing: (conversation: ConversationId) => call('typing', { conversation }),
  retryMessage: (message: MessageId) => call('retryMessage', { message }),
  startChat: (handle: string) => call('startChat', { handle }),
  startGroup: (title: string, handles: string[]) => call('startGroup', { title, handles }),
  settings: () => call('settings'),
  setDisplayName: (displayName: string) => call('setDisplayName', { displayName }),
  setWhoMayWrite: (who: WhoMayWrite) => call('setWhoMayWrite', { who }),
  setNotifications: (on: boolean) => call('setNotifications', { on }),
  /** The account's signed-in devices, most recently seen first (asks the relay). */
  signedInDevices: () => call('signedInDevices'),
  signOutDevice: (id: SessionId) => call('signOutDevice', { id }),
  signOutOtherDevices: () => call('signOutOtherDevices'),
  /** Signs the account's other devices out too. */
  changePassword: (currentPassword: string, newPassword: string) =>
    call('changePassword', { currentPassword, newPassword }),
  pinChat: (conversation: ConversationId, pinned: boolean) => call('pinChat', { conversation, pinned }),
  muteChat: (conversation: ConversationId, muteFor: MuteFor | null) =>
    call('muteChat', { conversation, muteFor }),
  blockPerson: (user: UserId, blocked: boolean) => call('blockPerson', { user, blocked }),
  declineRequest: (conversation: ConversationId) => call('declineRequest', { conversation }),
  leaveGroup: (conversation: ConversationId) => call('leaveGroup', { conversation }),
  groupMembers: (conversation: ConversationId) => call('groupMembers', { conversation }),
  addGroupMember: (conversation: ConversationId, handle: string) =>
    call('addGroupMember', { conversation, handle }),
  removeGroupMember: (conversation: ConversationId, user: UserId) =>
    call('removeGroupMember', { conversation, user }),
  makeGroupAdmin: (conversation: ConversationId, user: UserId) =>
    call('makeGroupAdmin', { conversation, user }),
  findChats: (query: string) => call('findChats', { query }),
  hideMessages: (messages: MessageId[]) => call('hideMessages', { messages }),
  unhideMessages: (messages: MessageId[]) => call('unhideMessages', { messages }),
  hiddenMessages: (conversation: ConversationId) => call('hiddenMessages', { conversation }),
  eraseHidden: (conversation: ConversationId) => call('eraseHidden', { conversation }),
  messageInfo: (message: MessageId) => call('messageInfo', { message }),
  deleteChat: (conversation: ConversationId) => call('deleteChat', { conversation }),
  deletedChats: () => call('deletedChats'),
  restoreChat: (conversation: ConversationId) => call('restoreChat', { conversation }),
  undoSend: (message: MessageId) => call('undoSend', { message }),
  saveDraft: (conversation: ConversationId, text: string) => call('saveDraft', { conversation, text }),
  setUndoSend: (window: UndoSendWindow) => call('setUndoSend', { window }),
  requestQuit: () => call('requestQuit'),
  quit: (choice: QuitChoice) => call('quit', { choice }),
};
