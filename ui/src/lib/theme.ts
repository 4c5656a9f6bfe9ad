// The colour theme: follow the system, or always light or dark. A preference of
// this window only, kept in localStorage and applied before the first paint.

export type Theme = 'system' | 'light' | 'dark';
const KEY = 'candor-theme';

export function storedTheme(storage: Pick<Storage, 'getItem'> = localStorage): Theme {
  const v = storage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
}

export function saveTheme(theme: Theme, storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(KEY, theme);
  applyTheme(theme);
}
