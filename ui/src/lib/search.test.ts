import { describe, expect, it } from 'vitest';
import { highlight } from './search';

const marked = (text: string, terms: string[]) =>
  highlight(text, terms)
    .filter((s) => s.hit)
    .map((s) => s.text);

describe('highlight', () => {
  it('marks word starts that begin with a term, ignoring case', () => {
    expect(marked('Pizza tonight? Pizzeria!', ['pizz'])).toEqual(['Pizz', 'Pizz']);
    expect(marked('apizza', ['pizz'])).toEqual([]);
  });
  it('ignores accents both ways', () => {
    expect(marked('Meet at the Café', ['cafe'])).toEqual(['Café']);
    expect(marked('cafe', ['café'])).toEqual(['cafe']);
  });
  it('keeps every character, in order, as text', () => {
    const text = '<b>hi</b> & 😀 hi';
    expect(highlight(text, ['hi']).map((s) => s.text).join('')).toBe(text);
  });
  it('marks nothing without terms', () => {
    expect(highlight('anything', [])).toEqual([{ text: 'anything', hit: false }]);
  });
});
