// One toast at a time at the bottom of the window, such as "Deleted for you ·
// Undo". It stays 8 seconds; a new one replaces it.
export interface Toast {
  text: string;
  /** The action button, e.g. Undo. */
  action: { label: string; run: () => Promise<void> } | null;
}

export const TOAST_MS = 8000;

class Toasts {
  current = $state<Toast | null>(null);
  #timer: ReturnType<typeof setTimeout> | undefined;

  show(toast: Toast) {
    clearTimeout(this.#timer);
    this.current = toast;
    this.#timer = setTimeout(() => this.dismiss(), TOAST_MS);
  }

  dismiss() {
    clearTimeout(this.#timer);
    this.current = null;
  }
}

export const toasts = new Toasts();
