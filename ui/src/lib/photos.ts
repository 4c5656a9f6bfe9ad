// Photos as the page handles them. A photo's bytes come only from the shell's
// `candor-photo:` scheme, by blob (the shell hands out only photos of messages
// shown here); a picked, pasted or dropped file goes to the shell as raw
// bytes to be prepared there (decoded, fitted, stripped of its metadata).
import { convertFileSrc, invoke } from '@tauri-apps/api/core';
import { COMMAND, LIMIT, type BlobId, type Photo } from './bindings';

/** Where the page loads the photo `blob` from. */
export function photoUrl(blob: BlobId): string {
  return convertFileSrc(blob, 'candor-photo');
}

/** A file too large to read is refused here, before a byte of it is read. */
export function tooLarge(file: { size: number }): string | null {
  if (file.size <= LIMIT.photoFileBytes) return null;
  const mb = (n: number) => Math.round(n / 1_000_000);
  return `This file is ${mb(file.size)} MB: photos can be at most ${mb(LIMIT.photoFileBytes)} MB.`;
}

/** Prepares `file` for sending, in the shell. Throws a CommandError (or
 * an Error) with a sentence for the composer. */
export async function preparePhoto(file: File): Promise<Photo> {
  const refused = tooLarge(file);
  if (refused) throw new Error(refused);
  const bytes = new Uint8Array(await file.arrayBuffer());
  return invoke<Photo>(COMMAND.preparePhoto, bytes);
}

/** The image files among `items` (a paste's or a drop's). */
export function imageFiles(files: FileList | File[] | null | undefined): File[] {
  return Array.from(files ?? []).filter((f) => f.type.startsWith('image/') || f.type === '');
}

/** How a grid lays out `count` photos: columns, and the size of each cell. */
export function gridColumns(count: number): number {
  if (count <= 1) return 1;
  if (count === 2 || count === 4) return 2;
  return 3;
}
