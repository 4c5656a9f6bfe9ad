// Generated from the Rust types by `cargo xtask bindings`. Do not edit.

export type UserId = string;

export type ConversationId = string;

export type BlobId = string;

export type MessageId = string;

export type ServerMessageId = string;

export type SessionId = string;

export type Profile = { userId: UserId, handle: string, displayName: string, relayUrl: string, };

export type Person = { id: UserId, handle: string, displayName: string, };

export type GroupMember = { person: Person, 
/**
 * Removes members, makes admins, adds back who left.
 */
admin: boolean, 
/**
 * This account.
 */
isMe: boolean, 
/**
 * Someone this account blocked: their messages here are collapsed.
 */
blocked: boolean, };

export type GroupMembers = { members: Array<GroupMember>, 
/**
 * This account is one of the admins: the list offers Remove and Make admin.
 */
iAmAdmin: boolean, 
/**
 * This account left (or was removed): the list is as it was then.
 */
left: boolean, };

export type ConversationKind = "direct" | "group";

export type DeliveryStatus = "queued" | "sent" | "delivered" | "read" | "failed" | "received";

export type VideoCard = { 
/**
 * Short provider name, such as "tiktok" or "youtube".
 */
provider: string, 
/**
 * The canonical link, tracking parameters removed.
 */
url: string, title: string | null, author: string | null, 
/**
 * A small JPEG (base64, at most 32 KiB decoded) made on the sender's
 * device, so that a recipient's app never fetches anything because a
 * message arrived. Shown only as a `data:image/jpeg` image.
 */
thumbnail_jpeg?: string, };

export type Draft = { text: string, card: VideoCard | null, };

export type UndoSendWindow = "off" | "fiveSeconds" | "tenSeconds" | "twentySeconds" | "thirtySeconds";

export type OpenVideosIn = "player" | "browser";

export type LinkPreview = { card: VideoCard, 
/**
 * The platform's name for people ("TikTok").
 */
providerName: string, 
/**
 * The message text with tracking parameters removed from its video links.
 */
cleanText: string, 
/**
 * Whether `clean_text` differs from what was written.
 */
trackingRemoved: boolean, };

export type QuotedMessage = "shown" | "hiddenForYou" | "erased" | "notOnDevice";

export type Reply = { authorId: UserId, authorName: string | null, 
/**
 * The original is this account's own.
 */
authorIsMe: boolean, 
/**
 * The original's text when it is shown here; otherwise the excerpt the
 * replier's device sent.
 */
excerpt: string, 
/**
 * The excerpt the replier's device sent, whatever is shown.
 */
quotedExcerpt: string, state: QuotedMessage, 
/**
 * The original, if this device holds it (shown or deleted for you),
 * and its place: the quote jumps to it when it is shown.
 */
original: MessageId | null, originalCursor: MessageCursor | null, };

export type ReactionCount = { emoji: string, 
/**
 * Who gave it, by name ("You" is the page's word for this account).
 */
people: Array<string>, 
/**
 * This account gave it.
 */
mine: boolean, };

export type Photo = { blob: BlobId, width: number, height: number, 
/**
 * `data:image/png;base64,…`; empty if the sender's preview could not
 * be drawn.
 */
preview: string, };

export type Undone = { text: string, card: VideoCard | null, photos: Array<Photo>, };

export type TextLink = { start: number, end: number, 
/**
 * The address it opens: parsed, with an ASCII host.
 */
url: string, };

export type CopyHere = "shown" | "hiddenForYou" | "erased";

export type MemberCopy = { person: Person, 
/**
 * They wrote it, so their devices have it.
 */
wroteIt: boolean, 
/**
 * Their devices hold it.
 */
delivered: boolean, 
/**
 * When this device learned that they hold it: they did by then, perhaps
 * sooner. None for a receipt older than this record (or none at all).
 */
deliveredBy: string | null, 
/**
 * They have read it.
 */
seen: boolean, seenBy: string | null, };

export type MessageInfo = { message: MessageId, conversationId: ConversationId, isOwn: boolean, createdAt: string, status: DeliveryStatus, here: CopyHere, 
/**
 * The relay holds it: it acknowledged it (one's own) or delivered it.
 */
onRelay: boolean, 
/**
 * The relay this account uses, which keeps every message it passes on.
 */
relayUrl: string, 
/**
 * The chat's other members (and a member who left, if they wrote it).
 */
members: Array<MemberCopy>, };

export type Message = { id: MessageId, conversationId: ConversationId, serverId: ServerMessageId | null, 
/**
 * Position in the conversation's sequence, once the relay assigned it.
 */
seq: number | null, senderId: UserId, senderName: string | null, isOwn: boolean, text: string, 
/**
 * The http and https links in `text`, which the page shows as links.
 */
links: Array<TextLink>, card: VideoCard | null, 
/**
 * Its photos (then `text` is their caption, and may be empty).
 */
photos: Array<Photo>, createdAt: string, status: DeliveryStatus, 
/**
 * Set when this device hid the message ("Delete for me").
 */
hiddenAt: string | null, 
/**
 * From someone this account blocked (in a group they are both in):
 * shown as a collapsed line, with no text or card given to the page.
 */
senderBlocked: boolean, 
/**
 * The message this one replies to.
 */
reply: Reply | null, 
/**
 * Its reactions, one per person (the latest each sent), by emoji: the
 * most given first.
 */
reactions: Array<ReactionCount>, 
/**
 * Where it sits in the chat, for paging from it either way. A queued
 * message's place changes once the relay gives it a seq.
 */
cursor: MessageCursor, 
/**
 * While one's own message waits in the outbox: the end of its undo-send
 * window, when it may leave the device. Until then Undo takes it back.
 */
sendAt: string | null, };

export type MessageCursor = number;

export type MessagePage = { messages: Array<Message>, before: MessageCursor | null, };

export type NewerMessages = { messages: Array<Message>, more: boolean, };

export type SearchHit = { message: Message, conversationTitle: string, };

export type SearchResults = { hits: Array<SearchHit>, terms: Array<string>, };

export type InboxItem = { id: ConversationId, kind: ConversationKind, 
/**
 * The group's title, or the other person's display name.
 */
title: string, pinned: boolean, mutedUntil: string | null, lastActivityAt: string, 
/**
 * The newest message still visible on this device.
 */
preview: string | null, previewIsOwn: boolean, unreadCount: number, 
/**
 * The other person of a direct chat.
 */
peerId: UserId | null, 
/**
 * This account blocked the other person of a direct chat.
 */
peerBlocked: boolean, 
/**
 * This account left the group: readable here, no longer writable.
 */
left: boolean, 
/**
 * Text left unsent in this chat's composer ("Draft: …" in the row).
 */
draft: string | null, 
/**
 * A first message from someone who is not a contact: listed in Requests.
 */
request: boolean, };

export type InboxCursor = { pinned: boolean, last_activity_ms: number, id: ConversationId, };

export type InboxPage = { items: Array<InboxItem>, next: InboxCursor | null, };

export type HiddenConversation = { id: ConversationId, title: string, hiddenAt: string, };

export type UnreadSummary = { 
/**
 * Chats with at least one unread, visible message.
 */
conversations: number, 
/**
 * Unread, visible messages across the inbox.
 */
messages: number, };

export type Composed = { message: Message, chat: InboxItem, };

export type Connection = "connecting" | "online" | "offline" | "signedOut";

export type Notice = { "kind": "connection", state: Connection, 
/**
 * Why the connection is down, for a banner.
 */
reason: string | null, } | { "kind": "messagesAdded", messages: Array<Message>, chats: Array<InboxItem>, unread: UnreadSummary, reacted: Array<ConversationId>, } | { "kind": "messageChanged", message: Message, chat: InboxItem, } | { "kind": "sendFailed", message: Message, chat: InboxItem, reason: string, } | { "kind": "receiptMoved", messages: Array<Message>, } | { "kind": "readElsewhere", chat: InboxItem, unread: UnreadSummary, } | { "kind": "chatChanged", chat: InboxItem, } | { "kind": "typing", conversation: ConversationId, user: UserId, };

export type ErrorCode = "storage" | "invalidInput" | "notFound" | "notSignedIn" | "tooLate" | "relayRefused" | "relayUnreachable" | "relayUntrusted" | "internal";

export type CommandError = { code: ErrorCode, message: string, };

export type TokenPlace = "keychain" | "ownerOnlyFile";

export type AppInfo = { version: string, profile: string, dataDir: string, 
/**
 * The account this profile belongs to, if it has been signed in once.
 */
account: Profile | null, 
/**
 * Signed in now (a session token is stored).
 */
signedIn: boolean, 
/**
 * Where the session token is kept, while signed in.
 */
tokenPlace: TokenPlace | null, 
/**
 * Why the store could not be opened, if it could not.
 */
storeError: CommandError | null, 
/**
 * Relays that have not yet confirmed a sign-out from this device: the
 * session there still works until they do (Candor keeps trying).
 */
signOutsPending: Array<string>, 
/**
 * A notification already shown can be withdrawn on this platform (the
 * erase dialog says so, or says it can't).
 */
withdrawsNotifications: boolean, };

export type RelayCheck = { 
/**
 * New accounts need an invite code from the relay's operator.
 */
inviteOnly: boolean, };

export type WhoMayWrite = "everyone" | "contacts";

export type SettingsView = { notifications: boolean, undoSend: UndoSendWindow, openVideosIn: OpenVideosIn, whoMayWrite: WhoMayWrite | null, relayError: string | null, };

export type SignedInDevice = { id: SessionId, name: string, signedInAt: string, lastSeenAt: string, 
/**
 * The device this window runs on.
 */
thisDevice: boolean, };

export type MuteFor = "hour" | "eightHours" | "week" | "always";

export type QuitChoice = "sendNow" | "keepForNextStart" | "discard";

/** The commands the window may call, by the name the UI uses. */
export const COMMAND = {
  appInfo: "app_info",
  uiReady: "ui_ready",
  signUp: "sign_up",
  signIn: "sign_in",
  signOut: "sign_out",
  checkRelay: "check_relay",
  openRelayHelp: "open_relay_help",
  inboxPage: "inbox_page",
  requestsPage: "requests_page",
  acceptRequest: "accept_request",
  conversationPage: "conversation_page",
  sendMessage: "send_message",
  preparePhoto: "prepare_photo",
  sendPhotos: "send_photos",
  savePhoto: "save_photo",
  react: "react",
  markRead: "mark_read",
  typing: "typing",
  retryMessage: "retry_message",
  startChat: "start_chat",
  newerMessages: "newer_messages",
  searchMessages: "search_messages",
  inboxItem: "inbox_item",
  settings: "settings",
  setDisplayName: "set_display_name",
  setWhoMayWrite: "set_who_may_write",
  setNotifications: "set_notifications",
  signedInDevices: "signed_in_devices",
  signOutDevice: "sign_out_device",
  signOutOtherDevices: "sign_out_other_devices",
  changePassword: "change_password",
  pinChat: "pin_chat",
  muteChat: "mute_chat",
  blockPerson: "block_person",
  declineRequest: "decline_request",
  findChats: "find_chats",
  startGroup: "start_group",
  leaveGroup: "leave_group",
  groupMembers: "group_members",
  addGroupMember: "add_group_member",
  removeGroupMember: "remove_group_member",
  makeGroupAdmin: "make_group_admin",
  hideMessages: "hide_messages",
  unhideMessages: "unhide_messages",
  hiddenMessages: "hidden_messages",
  eraseHidden: "erase_hidden",
  messageInfo: "message_info",
  deleteChat: "delete_chat",
  deletedChats: "deleted_chats",
  restoreChat: "restore_chat",
  undoSend: "undo_send",
  saveDraft: "save_draft",
  setUndoSend: "set_undo_send",
  requestQuit: "request_quit",
  quit: "quit",
  linkPreview: "link_preview",
  shareVideo: "share_video",
  chatVideos: "chat_videos",
  openVideo: "open_video",
  openLink: "open_link",
  setOpenVideosIn: "set_open_videos_in",
  fetchCard: "fetch_card",
  takeSharedLink: "take_shared_link",
} as const;

/** Each command's arguments (by the name the shell reads) and result. */
export type Commands = {
  appInfo: { args: Record<string, never>; result: AppInfo };
  uiReady: { args: Record<string, never>; result: void };
  signUp: { args: { relayUrl: string; handle: string; displayName: string; password: string; invite: string | null }; result: Profile };
  signIn: { args: { relayUrl: string; handle: string; password: string }; result: Profile };
  signOut: { args: Record<string, never>; result: void };
  checkRelay: { args: { relayUrl: string }; result: RelayCheck };
  openRelayHelp: { args: Record<string, never>; result: void };
  inboxPage: { args: { after: InboxCursor | null; limit: number }; result: InboxPage };
  requestsPage: { args: { after: InboxCursor | null; limit: number }; result: InboxPage };
  acceptRequest: { args: { conversation: ConversationId }; result: void };
  conversationPage: { args: { conversation: ConversationId; before: MessageCursor | null; limit: number }; result: MessagePage };
  sendMessage: { args: { conversation: ConversationId; text: string; card: VideoCard | null; replyTo: MessageId | null }; result: Composed };
  preparePhoto: { args: Record<string, never>; result: Photo };
  sendPhotos: { args: { conversation: ConversationId; caption: string; photos: Array<BlobId>; replyTo: MessageId | null }; result: Composed };
  savePhoto: { args: { blob: BlobId }; result: string | null };
  react: { args: { message: MessageId; emoji: string | null }; result: Message };
  markRead: { args: { conversation: ConversationId; seq: number }; result: InboxItem };
  typing: { args: { conversation: ConversationId }; result: void };
  retryMessage: { args: { message: MessageId }; result: void };
  startChat: { args: { handle: string }; result: ConversationId };
  newerMessages: { args: { conversation: ConversationId; after: MessageCursor; limit: number }; result: NewerMessages };
  searchMessages: { args: { query: string; conversation: ConversationId | null }; result: SearchResults };
  inboxItem: { args: { conversation: ConversationId }; result: InboxItem };
  settings: { args: Record<string, never>; result: SettingsView };
  setDisplayName: { args: { displayName: string }; result: void };
  setWhoMayWrite: { args: { who: WhoMayWrite }; result: WhoMayWrite };
  setNotifications: { args: { on: boolean }; result: void };
  signedInDevices: { args: Record<string, never>; result: Array<SignedInDevice> };
  signOutDevice: { args: { id: SessionId }; result: void };
  signOutOtherDevices: { args: Record<string, never>; result: void };
  changePassword: { args: { currentPassword: string; newPassword: string }; result: void };
  pinChat: { args: { conversation: ConversationId; pinned: boolean }; result: void };
  muteChat: { args: { conversation: ConversationId; muteFor: MuteFor | null }; result: void };
  blockPerson: { args: { user: UserId; blocked: boolean }; result: void };
  declineRequest: { args: { conversation: ConversationId }; result: void };
  findChats: { args: { query: string }; result: Array<InboxItem> };
  startGroup: { args: { title: string; handles: Array<string> }; result: ConversationId };
  leaveGroup: { args: { conversation: ConversationId }; result: void };
  groupMembers: { args: { conversation: ConversationId }; result: GroupMembers };
  addGroupMember: { args: { conversation: ConversationId; handle: string }; result: void };
  removeGroupMember: { args: { conversation: ConversationId; user: UserId }; result: void };
  makeGroupAdmin: { args: { conversation: ConversationId; user: UserId }; result: void };
  hideMessages: { args: { messages: Array<MessageId> }; result: void };
  unhideMessages: { args: { messages: Array<MessageId> }; result: void };
  hiddenMessages: { args: { conversation: ConversationId }; result: Array<Message> };
  eraseHidden: { args: { conversation: ConversationId }; result: number };
  messageInfo: { args: { message: MessageId }; result: MessageInfo };
  deleteChat: { args: { conversation: ConversationId }; result: void };
  deletedChats: { args: Record<string, never>; result: Array<HiddenConversation> };
  restoreChat: { args: { conversation: ConversationId }; result: void };
  undoSend: { args: { message: MessageId }; result: Undone };
  saveDraft: { args: { conversation: ConversationId; text: string }; result: void };
  setUndoSend: { args: { window: UndoSendWindow }; result: void };
  requestQuit: { args: Record<string, never>; result: void };
  quit: { args: { choice: QuitChoice }; result: void };
  linkPreview: { args: { text: string }; result: LinkPreview | null };
  shareVideo: { args: { conversations: Array<ConversationId>; link: string; note: string; card: VideoCard | null }; result: Array<MessageId> };
  chatVideos: { args: { conversation: ConversationId }; result: Array<Message> };
  openVideo: { args: { url: string }; result: void };
  openLink: { args: { url: string }; result: void };
  setOpenVideosIn: { args: { place: OpenVideosIn }; result: void };
  fetchCard: { args: { url: string }; result: VideoCard };
  takeSharedLink: { args: Record<string, never>; result: string | null };
};

/** The events the shell emits to the window. */
export const EVENT = {
  sync: "candor://sync",
  lagged: "candor://lagged",
  openChat: "candor://open-chat",
  share: "candor://share",
  quitPending: "candor://quit-pending",
  signOutConfirmed: "candor://sign-out-confirmed",
} as const;

/** The payload each event carries. */
export type Events = {
  sync: Notice;
  lagged: number;
  openChat: ConversationId;
  share: string;
  quitPending: number;
  signOutConfirmed: null;
};

/** Limits the core enforces, for the UI to say so first. */
export const LIMIT = {
  textChars: 4000,
  draftChars: 16000,
  groupMembers: 32,
  shareChats: 32,
  photos: 9,
  photoFileBytes: 50000000,
} as const;
