// Typed calls into the Rust shell. Every command returns its value or throws a
// CommandError ({code, message}); types come from the generated bindings.
import { invoke } from '@tauri-apps/api/core';
import type {
  AppInfo,
  CommandError,
  ConversationId,
  InboxCursor,
  InboxPage,
  MessageCursor,
  MessagePage,
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
  conversationPage: (conversation: ConversationId, before: MessageCursor | null, limit = MESSAGE_PAGE_SIZE) =>
    invoke<MessagePage>('conversation_page', { conversation, before, limit }),
};
