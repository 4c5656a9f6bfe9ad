// Video links dragged onto the window (from a browser): which drags to accept,
// and the link a drop carries. Text dropped into a field stays that field's.
import { api } from './api';
import { toasts } from './toast.svelte';

/** Accepts a drag that carries a link or text. */
export function acceptLinkDrag(e: DragEvent): void {
  const types = e.dataTransfer?.types ?? [];
  if (types.includes('text/uri-list') || types.includes('text/plain')) e.preventDefault();
}

/** The video link a drop carries, or null (and a toast saying why, when it
 * carried a link that is not a video's). */
export async function droppedVideoLink(e: DragEvent): Promise<string | null> {
  if (!e.dataTransfer) return null;
  const dropped = (e.dataTransfer.getData('text/uri-list') || e.dataTransfer.getData('text/plain'))
    .split(/\r?\n/)
    .find((l) => l.trim() !== '' && !l.startsWith('#'));
  if (!dropped || (e.target instanceof HTMLElement && e.target.closest('input, textarea'))) return null;
  e.preventDefault();
  const preview = await api.linkPreview(dropped.trim()).catch(() => null);
  if (preview) return dropped.trim();
  toasts.show({ text: 'Only links to videos can be dropped here.', action: null });
  return null;
}
