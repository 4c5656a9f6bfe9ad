// Focus that lands once, when an element appears, and never later.
//
// The `autofocus` attribute is not used: WebKit runs native autofocus at its
// next rendering update, which on a busy or throttled machine can come after
// the person has already moved on to another field, so focus jumped back and
// their typing landed at the start of the first field.
import type { Action } from 'svelte/action';

export const focusOnMount: Action<HTMLElement, boolean | undefined> = (node, enabled = true) => {
  if (enabled) node.focus();
};
