import { describe, expect, it } from 'vitest';
import { deleteChatText, deleteMessagesText, eraseText } from './deleteText';

const maya = { kind: 'direct' as const, title: 'Maya' };
const trip = { kind: 'group' as const, title: 'Weekend trip' };
const mine = { isOwn: true, senderName: 'Ana' };
const fromMaya = { isOwn: false, senderName: 'Maya' };
const fromSam = { isOwn: false, senderName: 'Sam' };

describe('deleteMessagesText', () => {
  it('names the person who keeps your message in a direct chat', () => {
    const t = deleteMessagesText([mine], maya);
    expect(t.title).toBe('Delete for you?');
    expect(t.body).toBe(
      "This removes the message from this device only. Maya will still be able to see it. Candor can't unsend a message once it has been sent.",
    );
    expect(t.confirm).toBe('Delete for me');
    expect(t.note?.text).toBe('A message can be taken back only before it is sent, during its undo-send window.');
  });

  it('names the group for your message in a group', () => {
    expect(deleteMessagesText([mine], trip).body).toBe(
      "This removes the message from this device only. Everyone else in Weekend trip will still see it. Candor can't unsend a message once it has been sent.",
    );
  });

  it("says a received message stays with its sender, with no note about undo send", () => {
    expect(deleteMessagesText([fromMaya], maya).note).toBeUndefined();
    expect(deleteMessagesText([fromMaya], maya).body).toBe(
      "This removes Maya's message from your view on this device. Maya still has it.",
    );
    expect(deleteMessagesText([fromSam], trip).body).toBe(
      "This removes Sam's message from your view on this device. Sam and everyone else in Weekend trip still have it.",
    );
  });

  it('counts several messages in the title and the body', () => {
    expect(deleteMessagesText([mine, mine, mine], maya).title).toBe('Delete 3 messages for you?');
    expect(deleteMessagesText([fromMaya, fromMaya], maya).body).toBe(
      "This removes 2 of Maya's messages from your view on this device. Maya still has them.",
    );
  });

  it('covers a mix of yours and theirs', () => {
    expect(deleteMessagesText([mine, fromSam, fromMaya], trip).body).toBe(
      "This removes these messages from this device only. Everyone else in Weekend trip will still see them. Candor can't unsend your own once they have been sent.",
    );
  });
});

describe('deleteChatText', () => {
  it('says who keeps the conversation and what brings it back', () => {
    expect(deleteChatText(maya).body).toContain('Maya keeps the whole conversation. If Maya writes again');
    expect(deleteChatText(trip).body).toContain('you stay in the group');
  });
});

describe('eraseText', () => {
  it('says the other side keeps their copy', () => {
    const t = eraseText(2, maya);
    expect(t.title).toBe('Erase these 2 deleted messages from this device?');
    expect(t.body).toContain('Maya still has their copy');
    expect(eraseText(1, trip).title).toBe('Erase this deleted message from this device?');
    expect(eraseText(1, trip).body).toContain('Everyone else in Weekend trip still has their copy');
  });
});
