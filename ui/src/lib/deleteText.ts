// What the "Delete for me" dialogs and a message's Info view say. Each names who
// keeps the message, the relay included, because a delete here (as on TikTok)
// only hides it on this device: the point of Candor is that nobody learns that
// afterwards.
import type { ConversationKind, CopyHere, DeliveryStatus, MemberCopy } from './bindings';
import { dayAndTime } from './format';

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

/** The relay's host (and port), from its address; the address as given if it
 * can't be parsed. */
export function relayHost(relayUrl: string): string {
  try {
    return new URL(relayUrl).host || relayUrl;
  } catch {
    return relayUrl;
  }
}

/** The line every delete and erase dialog adds: the relay keeps what it passed on. */
function relayKeepsToo(host: string): string {
  return `The relay at ${host} keeps its copy too.`;
}

function theyKeep(chat: ChatOf, several: boolean): string {
  const it = several ? 'them' : 'it';
  return chat.kind === 'direct'
    ? `${chat.title} will still be able to see ${it}.`
    : `Everyone else in ${chat.title} will still see ${it}.`;
}

/** The confirmation before hiding `messages` (one or more) in `chat`. */
export function deleteMessagesText(messages: Deleting[], chat: ChatOf, relay: string): DialogText {
  const relayLine = relayKeepsToo(relay);
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
      return { title, confirm, body: `This removes ${sender}'s message from your view on this device. ${keeps} ${relayLine}` };
    }
    const keeps =
      chat.kind === 'direct' ? `${sender} still has them.` : `${sender} and everyone else in ${chat.title} still have them.`;
    return {
      title,
      confirm,
      body: `This removes ${n} of ${sender}'s messages from your view on this device. ${keeps} ${relayLine}`,
    };
  }
  const what = n === 1 ? 'the message' : 'these messages';
  const body =
    received.length === 0
      ? `This removes ${what} from this device only. ${theyKeep(chat, n > 1)} ${relayLine} ${CANT_UNSEND}`
      : `This removes ${what} from this device only. ${theyKeep(chat, n > 1)} ${relayLine} Candor can't unsend your own once they have been sent.`;
  return { title, confirm, body, note: UNDO_SEND_NOTE };
}

/** The confirmation before deleting a whole chat on this device. */
export function deleteChatText(chat: ChatOf, relay: string): DialogText {
  const body =
    chat.kind === 'direct'
      ? `This removes the chat from this device only. ${chat.title} keeps the whole conversation, and the relay at ${relay} keeps its copy. If ${chat.title} writes again, the chat comes back with only the new messages.`
      : `This removes ${chat.title} from this device only; you stay in the group. Everyone in it keeps the whole conversation, and the relay at ${relay} keeps its copy. If someone writes again, the chat comes back with only the new messages.`;
  return { title: 'Delete this chat for you?', body, confirm: 'Delete chat for me' };
}

/** The second confirmation, before erasing a chat's hidden messages for good.
 * `withdraws`: this platform can take back a notification already shown. */
export function eraseText(count: number, chat: ChatOf, relay: string, withdraws: boolean): DialogText {
  const what = count === 1 ? 'this deleted message' : `these ${count} deleted messages`;
  const others =
    chat.kind === 'direct' ? `${chat.title} still has their copy` : `Everyone else in ${chat.title} still has their copy`;
  const notification = withdraws
    ? "Candor also withdraws this chat's notification, though a desktop that keeps a history of notifications may still list it."
    : "A notification already shown for this chat stays in your system's notification list: Candor can't withdraw it there.";
  return {
    title: `Erase ${what} from this device?`,
    body: `Their text is removed from this device's storage for good and can't be restored. ${others}: erasing changes nothing on their side. ${relayKeepsToo(relay)} ${notification}`,
    confirm: 'Erase from this device',
  };
}

/** What a message's Info view says of the relay. */
export function relayKeeps(host: string): string {
  return `The relay at ${host} keeps a copy, readable by whoever runs it.`;
}

/** What the Info view says of the account's other devices. */
export const OTHER_DEVICES =
  'Your other signed-in devices keep their own copies. Deleting or erasing here does not reach them.';

/** Why receipt times say "by". */
export const RECEIPT_TIMES =
  'Times are when this device learned of each receipt: it may have come sooner.';

/** What this device holds of a message, for its Info view. */
export function copyHereText(here: CopyHere, status: DeliveryStatus, onRelay: boolean): string {
  if (here === 'erased') return 'Erased from this device: its text is gone from here.';
  if (here === 'hiddenForYou') return 'Deleted for you on this device. Its text is still here, for Restore.';
  if (!onRelay) {
    return status === 'failed'
      ? 'Not sent: only this device has it.'
      : 'Not sent yet: only this device has it.';
  }
  return 'Shown on this device.';
}

/** One member's line in a message's Info view. */
export function memberCopyText(m: MemberCopy, now: Date = new Date(), locale?: string): string {
  if (m.wroteIt) return 'Wrote it';
  if (m.seen) return m.seenBy ? `Seen by ${dayAndTime(m.seenBy, now, locale)}` : 'Seen';
  if (m.delivered) return m.deliveredBy ? `Delivered by ${dayAndTime(m.deliveredBy, now, locale)}` : 'Delivered';
  return 'No receipt yet';
}

/** The quick reactions a message's menu offers, before the full picker. */
export const QUICK_REACTIONS = ['❤️', '😂', '😮', '😢', '😡', '👍'] as const;

/** What taking a reaction back says: it was sent, and may have been seen. */
export function reactionTakenBackText(chat: ChatOf): string {
  const who = chat.kind === 'direct' ? chat.title : `People in ${chat.title}`;
  return `Reaction removed. ${who} may already have seen it.`;
}

/** Who gave one emoji, for its chip's hover and focus: "Maya and You". */
export function reactedBy(people: string[]): string {
  if (people.length <= 1) return people[0] ?? '';
  if (people.length <= 3) return `${people.slice(0, -1).join(', ')} and ${people[people.length - 1]}`;
  return `${people.slice(0, 3).join(', ')} and ${people.length - 3} more`;
}
