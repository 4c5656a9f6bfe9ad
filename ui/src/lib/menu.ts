// Keyboard for role=menu lists: ArrowDown and ArrowUp move between the items,
// wrapping around. Shared by the chat menu and the message menu.

/** Moves focus among `menu`'s items on an arrow key; returns whether it did. */
export function moveMenuFocus(menu: HTMLElement | undefined, e: KeyboardEvent): boolean {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return false;
  e.preventDefault();
  const items = [...(menu?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])];
  if (items.length === 0) return true;
  const at = items.indexOf(document.activeElement as HTMLElement);
  const step = e.key === 'ArrowDown' ? 1 : items.length - 1;
  items[(at + step + items.length) % items.length]?.focus();
  return true;
}
