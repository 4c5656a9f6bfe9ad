// A message's text cut into plain parts and links, by the link positions the
// core found (UTF-16 offsets, as JavaScript indexes strings). Only http and
// https addresses are ever links: the core checks, and this checks again, so
// a bad position or address leaves the text as plain text, never lost.

import type { TextLink } from './bindings';

export interface TextPart {
  text: string;
  /** Set when this part is a link: the address it opens. */
  url: string | null;
}

/** Whether `url` may be opened as a link: an absolute http or https address. */
export function isWebAddress(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.host !== '';
  } catch {
    return false;
  }
}

/** `text` as plain parts and links, in order; together they are `text`. */
export function textParts(text: string, links: readonly TextLink[]): TextPart[] {
  const parts: TextPart[] = [];
  let at = 0;
  for (const link of links) {
    if (link.start < at || link.end <= link.start || link.end > text.length || !isWebAddress(link.url)) {
      continue;
    }
    if (link.start > at) parts.push({ text: text.slice(at, link.start), url: null });
    parts.push({ text: text.slice(link.start, link.end), url: link.url });
    at = link.end;
  }
  if (at < text.length || parts.length === 0) parts.push({ text: text.slice(at), url: null });
  return parts;
}
