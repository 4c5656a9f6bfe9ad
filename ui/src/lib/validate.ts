// Inline validation for the sign-up form, mirroring the relay's rules so that
// mistakes show before a round trip. The relay checks again and has the last word.

import { LIMIT } from './bindings';

export const HANDLE_RULE = '3 to 24 characters: letters a-z, digits, "." and "_"';

export function handleProblem(handle: string): string | null {
  const h = handle.trim().replace(/^@/, '').toLowerCase();
  if (h.length === 0) return 'Choose a handle.';
  if (!/^[a-z0-9._]{3,24}$/.test(h)) return `A handle is ${HANDLE_RULE}.`;
  return null;
}

export function passwordProblem(password: string): string | null {
  return Array.from(password).length < 8 ? 'Use at least 8 characters.' : null;
}

export function displayNameProblem(name: string): string | null {
  const n = name.trim();
  if (n.length === 0) return 'Say what people should call you.';
  if (Array.from(n).length > 64) return 'Keep it to 64 characters.';
  return null;
}

export function relayUrlProblem(url: string): string | null {
  const typed = url.trim();
  try {
    // Without a scheme, an address means https, as the app takes it.
    const u = new URL(typed.includes('://') ? typed : `https://${typed}`);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'A relay address starts with https:// (or http:// on your own network).';
    if (u.hostname === '') return 'That is not an address, e.g. relay.example.org.';
    return null;
  } catch {
    return 'That is not an address, e.g. relay.example.org.';
  }
}

/** Whether the relay at `url` is reached without TLS: the app marks it "not encrypted". */
export function unencrypted(url: string): boolean {
  return url.trim().toLowerCase().startsWith('http://');
}

/** The most people a group holds besides you. */
export const MAX_GROUP_OTHERS = LIMIT.groupMembers - 1;

/** The handles typed for a new group: split on spaces and commas, "@" dropped,
 * repeats removed, in the order typed. */
export function groupHandles(text: string): string[] {
  const seen = new Set<string>();
  return text
    .split(/[\s,]+/u)
    .map((h) => h.trim().replace(/^@/, '').toLowerCase())
    .filter((h) => h.length > 0 && !seen.has(h) && (seen.add(h), true));
}

export function groupProblem(title: string, handles: string[]): string | null {
  if (title.trim().length === 0) return 'Give the group a title.';
  if (handles.length === 0) return 'Add at least one person by handle.';
  if (handles.length > MAX_GROUP_OTHERS) return `A group holds you and up to ${MAX_GROUP_OTHERS} others.`;
  const bad = handles.find((h) => handleProblem(h) !== null);
  return bad ? `@${bad} is not a handle: ${HANDLE_RULE}.` : null;
}
