// Each chat's unsent text, so that opening another chat, quitting or a crash
// never loses what someone was writing. The store keeps drafts (they come with
// each inbox row); this keeps the ones typed in this session, which are newer,
// and saves them a moment after typing stops. Saves for one chat run one after
// another, and a send waits for the one in flight, so that a late save can
// never bring back a draft the send has just cleared.
import { api, errorMessage } from './api';
import type { ConversationId } from './bindings';

/** How long after the last keystroke a draft is saved. */
export const SAVE_DRAFT_AFTER_MS = 400;

type Save = (conversation: ConversationId, text: string) => Promise<void>;

export class Drafts {
  private readonly save: Save;
  /** Text typed in this session, by chat: newer than the store's rows. */
  private typed = $state<Record<ConversationId, string>>({});
  private timers = new Map<ConversationId, ReturnType<typeof setTimeout>>();
  private saving = new Map<ConversationId, Promise<void>>();
  /** Why the last save failed, if it did (shown by the composer). */
  error = $state<string | null>(null);

  constructor(save: Save) {
    this.save = save;
  }

  /** The chat's draft: typed here in this session, else the store's (its row). */
  text(conversation: ConversationId, stored: string | null): string {
    return this.typed[conversation] ?? stored ?? '';
  }

  /** The composer's text changed: keep it, and save it once typing pauses. */
  set(conversation: ConversationId, text: string): void {
    this.typed[conversation] = text;
    this.cancel(conversation);
    this.timers.set(
      conversation,
      setTimeout(() => void this.flush(conversation), SAVE_DRAFT_AFTER_MS),
    );
  }

  /** Saves the chat's draft now if a save is waiting (leaving the chat). */
  async flush(conversation: ConversationId): Promise<void> {
    if (!this.timers.has(conversation)) return this.idle(conversation);
    this.cancel(conversation);
    const text = this.typed[conversation] ?? '';
    const previous = this.saving.get(conversation) ?? Promise.resolve();
    const next = previous.then(() =>
      this.save(conversation, text).then(
        () => {
          this.error = null;
        },
        (e: unknown) => {
          this.error = errorMessage(e);
        },
      ),
    );
    this.saving.set(conversation, next);
    await next;
    if (this.saving.get(conversation) === next) this.saving.delete(conversation);
  }

  /** Resolves when no save for the chat is in flight. */
  async idle(conversation: ConversationId): Promise<void> {
    await this.saving.get(conversation);
  }

  /** The composer's text is being sent: the send clears the stored draft, so
   * no save may follow it. Waits for a save already in flight. */
  async sending(conversation: ConversationId): Promise<void> {
    this.cancel(conversation);
    this.typed[conversation] = '';
    await this.idle(conversation);
  }

  private cancel(conversation: ConversationId): void {
    clearTimeout(this.timers.get(conversation));
    this.timers.delete(conversation);
  }
}

export const drafts = new Drafts((conversation, text) => api.saveDraft(conversation, text));
