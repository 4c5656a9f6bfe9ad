// The first screen's data (the app's facts, the first page of each list),
// asked for the moment the script runs, before any component exists.
//
// The page's first frame is its most expensive one: every style, the layout of
// the whole window and its painting, about 100 ms on a 2-core machine. When the
// shell mounted first and asked for its data from there, WebKit drew that
// frame empty, the answers (ready in the app within 2 ms) waited behind it, and
// a second frame drew the inbox. Asking first and mounting with the answers
// makes the first frame the inbox itself (`cargo xtask bench app` times it).
import { api, errorMessage } from './api';
import type { AppInfo } from './bindings';
import { inbox, requests } from './inbox.svelte';

export interface FirstScreen {
  /** The app's facts; null if even those could not be had. */
  info: AppInfo | null;
  /** Why the inbox cannot be shown (the store could not be opened), if so. */
  error: string | null;
}

/** How long the window stays blank at most, waiting for the first screen's
 * data, before it shows the empty shell: a slow disk still gets a window. */
export const FIRST_SCREEN_WAIT_MS = 250;

/** Loads the facts and both lists' first pages (into `inbox` and `requests`)
 * at once. Never rejects: a failure is the answer's `error`. */
export function loadFirstScreen(): Promise<FirstScreen> {
  return Promise.all([api.appInfo(), inbox.loadFirst(), requests.loadFirst()]).then(
    ([info]) => ({ info, error: info.storeError?.message ?? null }),
    (e: unknown) => ({ info: null, error: errorMessage(e) }),
  );
}
