// Marking search words in a message, as text segments (never HTML): tested in
// search.test.ts.

export interface Segment {
  text: string;
  hit: boolean;
}

/** Lower case without accents, so "Café" meets "cafe" as search does. */
function fold(ch: string): string {
  return ch.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * Splits `text` into segments, marking where a word starts with one of `terms`
 * (lower case, as search returns them), ignoring case and accents.
 */
export function highlight(text: string, terms: string[]): Segment[] {
  const chars = Array.from(text);
  const folded = chars.map(fold);
  const wanted = terms.map((t) => Array.from(t).map(fold).join('')).filter((t) => t.length > 0);
  const marked = new Array<boolean>(chars.length).fill(false);
  const isWordChar = (s: string | undefined) => s !== undefined && /[\p{L}\p{N}]/u.test(s);
  for (let i = 0; i < chars.length; i++) {
    if (isWordChar(folded[i - 1]) || !isWordChar(folded[i])) continue;
    for (const term of wanted) {
      let j = i;
      let k = 0;
      // Walk the folded characters (one may fold to several letters).
      let rest = term;
      while (rest.length > 0 && j < chars.length) {
        const f = folded[j]!;
        if (!rest.startsWith(f) || f.length === 0) break;
        rest = rest.slice(f.length);
        j++;
        k++;
      }
      if (rest.length === 0 && k > 0) for (let x = i; x < j; x++) marked[x] = true;
    }
  }
  const out: Segment[] = [];
  chars.forEach((c, i) => {
    const hit = marked[i]!;
    const last = out[out.length - 1];
    if (last && last.hit === hit) last.text += c;
    else out.push({ text: c, hit });
  });
  return out;
}
