import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Drafts, SAVE_DRAFT_AFTER_MS } from './drafts.svelte';

/** A store stand-in that records what was saved, in order, and can hold a save open. */
function recorder() {
  const saved: [string, string][] = [];
  let hold: (() => void) | null = null;
  const save = (conversation: string, text: string) => {
    saved.push([conversation, text]);
    return hold ? new Promise<void>((resolve) => (hold = resolve)) : Promise.resolve();
  };
  return {
    saved,
    save,
    holdNext: () => (hold = () => {}),
    release: () => {
      const h = hold;
      hold = null;
      h?.();
    },
  };
}

describe('drafts', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('prefers text typed in this session over the stored row, per chat', () => {
    const d = new Drafts(recorder().save);
    expect(d.text('a', 'from the store')).toBe('from the store');
    expect(d.text('b', null)).toBe('');
    d.set('a', 'typed now');
    expect(d.text('a', 'from the store')).toBe('typed now');
    expect(d.text('b', 'other')).toBe('other');
  });

  it('saves once typing pauses, with the last text only', async () => {
    const r = recorder();
    const d = new Drafts(r.save);
    d.set('a', 'h');
    d.set('a', 'he');
    d.set('a', 'hey');
    expect(r.saved).toEqual([]);
    await vi.advanceTimersByTimeAsync(SAVE_DRAFT_AFTER_MS);
    expect(r.saved).toEqual([['a', 'hey']]);
  });

  it('saves at once when the chat is left', async () => {
    const r = recorder();
    const d = new Drafts(r.save);
    d.set('a', 'half a sen');
    await d.flush('a');
    expect(r.saved).toEqual([['a', 'half a sen']]);
    // Nothing left to save later.
    await vi.advanceTimersByTimeAsync(SAVE_DRAFT_AFTER_MS * 2);
    expect(r.saved).toHaveLength(1);
  });

  it('never saves after a send, and the send waits for a save in flight', async () => {
    const r = recorder();
    const d = new Drafts(r.save);
    d.set('a', 'first');
    r.holdNext();
    const flushing = d.flush('a');
    d.set('a', 'first and more');
    let sent = false;
    const sending = d.sending('a').then(() => (sent = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toBe(false);
    r.release();
    await flushing;
    await sending;
    expect(sent).toBe(true);
    await vi.advanceTimersByTimeAsync(SAVE_DRAFT_AFTER_MS * 2);
    expect(r.saved).toEqual([['a', 'first']]);
    expect(d.text('a', 'stale row')).toBe('');
  });

  it('says why a save failed, and clears that once one works', async () => {
    let fail = true;
    const d = new Drafts(async () => {
      if (fail) throw { code: 'invalidInput', message: 'a draft can hold up to 16000 characters' };
    });
    d.set('a', 'x');
    await d.flush('a');
    expect(d.error).toBe('a draft can hold up to 16000 characters');
    fail = false;
    d.set('a', 'y');
    await d.flush('a');
    expect(d.error).toBeNull();
  });
});
