import { describe, expect, it } from 'vitest';
import type { MemberCopy } from './bindings';
import {
  copyHereText,
  deleteChatText,
  deleteMessagesText,
  eraseText,
  memberCopyText,
  reactedBy,
  reactionTakenBackText,
  relayHost,
  relayKeeps,
} from './deleteText';

const relay = 'relay.example:7878';

const maya = { kind: 'direct' as const, title: 'Maya' };
const trip = { kind: 'group' as const, title: 'Weekend trip' };
const mine = { isOwn: true, senderName: 'Ana' };
const fromMaya = { isOwn: false, senderName: 'Maya' };
const fromSam = { isOwn: false, senderName: 'Sam' };

describe('deleteMessagesText', () => {
  it('names the person who keeps your message in a direct chat', () => {
    const t = deleteMessagesText([mine], maya, relay);
    expect(t.title).toBe('Delete for you?');
    expect(t.body).toBe(
      "This removes the message from this device only. Maya will still be able to see it. The relay at relay.example:7878 keeps its copy too. Candor can't unsend a message once it has been sent.",
    );
    expect(t.confirm).toBe('Delete for me');
    expect(t.note?.text).toBe('A message can be taken back only before it is sent, during its undo-send window.');
  });

  it('names the group for your message in a group', () => {
    expect(deleteMessagesText([mine], trip, relay).body).toBe(
      "This removes the message from this device only. Everyone else in Weekend trip will still see it. The relay at relay.example:7878 keeps its copy too. Candor can't unsend a message once it has been sent.",
    );
  });

  it("says a received message stays with its sender, with no note about undo send", () => {
    expect(deleteMessagesText([fromMaya], maya, relay).note).toBeUndefined();
    expect(deleteMessagesText([fromMaya], maya, relay).body).toBe(
      "This removes Maya's message from your view on this device. Maya still has it. The relay at relay.example:7878 keeps its copy too.",
    );
    expect(deleteMessagesText([fromSam], trip, relay).body).toBe(
      "This removes Sam's message from your view on this device. Sam and everyone else in Weekend trip still have it. The relay at relay.example:7878 keeps its copy too.",
    );
  });

  it('counts several messages in the title and the body', () => {
    expect(deleteMessagesText([mine, mine, mine], maya, relay).title).toBe('Delete 3 messages for you?');
    expect(deleteMessagesText([fromMaya, fromMaya], maya, relay).body).toBe(
      "This removes 2 of Maya's messages from your view on this device. Maya still has them. The relay at relay.example:7878 keeps its copy too.",
    );
  });

  it('covers a mix of yours and theirs', () => {
    expect(deleteMessagesText([mine, fromSam, fromMaya], trip, relay).body).toBe(
      "This removes these messages from this device only. Everyone else in Weekend trip will still see them. The relay at relay.example:7878 keeps its copy too. Candor can't unsend your own once they have been sent.",
    );
  });
});

describe('deleteChatText', () => {
  it('says who keeps the conversation and what brings it back', () => {
    expect(deleteChatText(maya, relay).body).toContain(
      'Maya keeps the whole conversation, and the relay at relay.example:7878 keeps its copy. If Maya writes again',
    );
    expect(deleteChatText(trip, relay).body).toContain('you stay in the group');
    expect(deleteChatText(trip, relay).body).toContain('the relay at relay.example:7878 keeps its copy');
  });
});

describe('eraseText', () => {
  it('says the other side keeps their copy, and so does the relay', () => {
    const t = eraseText(2, maya, relay, true);
    expect(t.title).toBe('Erase these 2 deleted messages from this device?');
    expect(t.body).toContain('Maya still has their copy: erasing changes nothing on their side.');
    expect(t.body).toContain('The relay at relay.example:7878 keeps its copy too.');
    expect(eraseText(1, trip, relay, true).title).toBe('Erase this deleted message from this device?');
    expect(eraseText(1, trip, relay, true).body).toContain('Everyone else in Weekend trip still has their copy');
  });

  it('says whether a notification already shown can be withdrawn here', () => {
    expect(eraseText(1, maya, relay, true).body).toContain("Candor also withdraws this chat's notification");
    const cant = eraseText(1, maya, relay, false).body;
    expect(cant).toContain("stays in your system's notification list: Candor can't withdraw it there.");
    expect(cant).not.toContain('withdraws');
  });
});

describe('relayHost', () => {
  it('names the relay by host and port', () => {
    expect(relayHost('wss://relay.example:7878/')).toBe('relay.example:7878');
    expect(relayHost('https://relay.example')).toBe('relay.example');
    expect(relayHost('not a url')).toBe('not a url');
  });
});

describe('Info view words', () => {
  const maya: MemberCopy = {
    person: { id: 'u1', handle: 'maya', displayName: 'Maya' },
    wroteIt: false,
    delivered: false,
    deliveredBy: null,
    seen: false,
    seenBy: null,
  };
  const now = new Date('2026-12-07T15:00:00');

  it('says the relay keeps a copy anyone running it can read', () => {
    expect(relayKeeps('relay.example')).toBe('The relay at relay.example keeps a copy, readable by whoever runs it.');
  });

  it('gives each member the furthest receipt, with "by" its time', () => {
    expect(memberCopyText(maya, now)).toBe('No receipt yet');
    expect(memberCopyText({ ...maya, wroteIt: true, delivered: true, seen: true }, now)).toBe('Wrote it');
    expect(memberCopyText({ ...maya, delivered: true }, now)).toBe('Delivered');
    const today = memberCopyText({ ...maya, delivered: true, deliveredBy: '2026-12-07T14:05:00' }, now, 'en-GB');
    expect(today).toBe('Delivered by 14:05');
    const seen = memberCopyText(
      { ...maya, delivered: true, deliveredBy: '2026-12-03T09:00:00', seen: true, seenBy: '2026-12-03T09:30:00' },
      now,
      'en-GB',
    );
    expect(seen).toBe('Seen by 3 Dec, 09:30');
  });

  it("says what this device holds", () => {
    expect(copyHereText('shown', 'read', true)).toBe('Shown on this device.');
    expect(copyHereText('hiddenForYou', 'read', true)).toContain('Deleted for you on this device');
    expect(copyHereText('erased', 'read', true)).toContain('Erased from this device');
    expect(copyHereText('shown', 'queued', false)).toBe('Not sent yet: only this device has it.');
    expect(copyHereText('shown', 'failed', false)).toBe('Not sent: only this device has it.');
  });
});

describe('reaction words', () => {
  it('says a reaction taken back may have been seen already', () => {
    expect(reactionTakenBackText(maya)).toBe('Reaction removed. Maya may already have seen it.');
    expect(reactionTakenBackText(trip)).toBe('Reaction removed. People in Weekend trip may already have seen it.');
  });

  it('names who reacted', () => {
    expect(reactedBy(['Maya'])).toBe('Maya');
    expect(reactedBy(['Maya', 'You'])).toBe('Maya and You');
    expect(reactedBy(['Leo', 'Maya', 'Sam'])).toBe('Leo, Maya and Sam');
    expect(reactedBy(['A', 'B', 'C', 'D', 'E'])).toBe('A, B, C and 2 more');
  });
});
