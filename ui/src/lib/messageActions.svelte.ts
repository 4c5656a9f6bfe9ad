// What is being done to messages in the open chat, before Delete for me runs:
// the one whose menu is open, the ones selected to delete together, and those
// waiting for the dialog that says who keeps them. Focus goes back where it
// came from when a menu or the dialog closes.
import type { Message } from './bindings';

export class MessageActions {
  /** The message whose menu is open, where, and the button to refocus after. */
  menu = $state<{ message: Message; x: number; y: number; opener: HTMLElement | null } | null>(null);
  /** Selecting messages to delete together; the ids chosen so far. */
  selecting = $state(false);
  selectedIds = $state<string[]>([]);
  /** Messages waiting for the confirmation dialog. */
  deleting = $state<Message[] | null>(null);
  /** Where focus goes when the dialog closes. */
  returnFocus = $state.raw<HTMLElement | null>(null);

  openMenu(message: Message, x: number, y: number, opener: HTMLElement | null): void {
    this.menu = { message, x, y, opener };
  }

  /** Closes the menu; returns the message it was open on. */
  closeMenu(refocus: boolean): Message | null {
    const menu = this.menu;
    this.menu = null;
    if (refocus && menu?.opener?.isConnected) menu.opener.focus();
    return menu?.message ?? null;
  }

  /** The menu's "Delete for me…": ask about its message. */
  deleteFromMenu(): void {
    const message = this.closeMenu(false);
    if (message) this.askDelete([message]);
  }

  /** The menu's "Select": start selecting, with its message chosen. */
  selectFromMenu(): void {
    const message = this.closeMenu(false);
    if (!message) return;
    this.selecting = true;
    this.selectedIds = [message.id];
  }

  askDelete(list: Message[]): void {
    const first = list[0];
    this.returnFocus = first
      ? document.querySelector<HTMLElement>(`[data-message-id="${first.id}"] .message-actions-button`)
      : null;
    this.deleting = list;
  }

  toggle(id: string): void {
    this.selectedIds = this.selectedIds.includes(id)
      ? this.selectedIds.filter((s) => s !== id)
      : [...this.selectedIds, id];
  }

  stopSelecting(): void {
    this.selecting = false;
    this.selectedIds = [];
  }
}
