// What the "Delete for me" dialogs say. Each names who keeps the message, because
// a delete here (as on TikTok) only hides it on this device: the point of Candor
// is that nobody learns that afterwards.
import type { ConversationKind } from './bindings';

/** The chat a delete happens in. */
export interface ChatOf {
  kind: ConversationKind;
  /** The other person's name in a direct chat, the group's title in a group. */
  title: string;
}

/** A message as far as the dialog cares. */
export interface Deleting {
  isOwn: boolean;
  senderName: string | null;
}

export interface DialogText {
  title: string;
  body: string;
  confirm: string;
  /** A line under the body, with a link to a setting. */
  note?: { text: string; link: string };
}

/** Under a delete of your own messages: the one way to take one back. */
const UNDO_SEND_NOTE = {
  text: 'A message can be taken back only before it is sent, during its undo-send window.',
  link: 'Undo send settings',
};

const CANT_UNSEND = "Candor can't unsend a message once it has been sent.";

function theyKeep(chat: ChatOf, several: boolean): string {
  const it = several ? 'them' : 'it';
  return chat.kind === 'direct'
    ? `${chat.title} will still be able to see ${it}.`
    : `Everyone else in ${chat.title} will still see ${it}.`;
}

/** The confirmation before hiding `messages` (one or more) in `chat`. */
export function deleteMessagesText(messages: Deleting[], chat: ChatOf): DialogText {
  const n = messages.length;
  const title = n === 1 ? 'Delete for you?' : `Delete ${n} messages for you?`;
  const confirm = 'Delete for me';
  const received = messages.filter((m) => !m.isOwn);
  const senders = [...new Set(received.map((m) => m.senderName ?? chat.title))];
  if (received.length === n && senders.length === 1) {
    const sender = senders[0];
    if (n === 1) {
      const keeps =
        chat.kind === 'direct' ? `${sender} still has it.` : `${sender} and everyone else in ${chat.title} still have it.`;
      return { title, confirm, body: `This removes ${sender}'s message from your view on this device. ${keeps}` };
    }
    const keeps =
      chat.kind === 'direct' ? `${sender} still has them.` : `${sender} and everyone else in ${chat.title} still have them.`;
    return { title, confirm, body: `This removes ${n} of ${sender}'s messages from your view on this device. ${keeps}` };
  }
  const what = n === 1 ? 'the message' : 'these messages';
  const body =
    received.length === 0
      ? `This removes ${what} from this device only. ${theyKeep(chat, n > 1)} ${CANT_UNSEND}`
      : `This removes ${what} from this device only. ${theyKeep(chat, n > 1)} Candor can't unsend your own once they have been sent.`;
  return { title, confirm, body, note: UNDO_SEND_NOTE };
}

/** The confirmation before deleting a whole chat on this device. */
export function deleteChatText(chat: ChatOf): DialogText {
  const body =
    chat.kind === 'direct'
      ? `This removes the chat from this device only. ${chat.title} keeps the whole conversation. If ${chat.title} writes again, the chat comes back with only the new messages.`
      : `This removes ${chat.title} from this device only; you stay in the group. Everyone in it keeps the whole conversation. If someone writes again, the chat comes back with only the new messages.`;
  return { title: 'Delete this chat for you?', body, confirm: 'Delete chat for me' };
}

/** The second confirmation, before erasing a chat's hidden messages for good. */
export function eraseText(count: number, chat: ChatOf): DialogText {
  const what = count === 1 ? 'this deleted message' : `these ${count} deleted messages`;
  const others =
    chat.kind === 'direct' ? `${chat.title} still has their copy` : `Everyone else in ${chat.title} still has their copy`;
  return {
    title: `Erase ${what} from this device?`,
    body: `Their text is removed from this device's storage for good and can't be restored. ${others}: erasing changes nothing on their side.`,
    confirm: 'Erase from this device',
  };
}
