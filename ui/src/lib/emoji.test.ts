import { describe, expect, it } from 'vitest';
import data from 'emojibase-data/en/compact.json';
import { pickerRows, type PickerEmoji } from './emoji';

const sample: PickerEmoji[] = [
  { unicode: '👍', label: 'thumbs up', group: 1, order: 2, tags: ['yes', '+1'], skins: [{ unicode: '👍🏻' }, { unicode: '👍🏼' }] },
  { unicode: '😂', label: 'face with tears of joy', group: 0, order: 1, tags: ['laugh'] },
  { unicode: '🏻', label: 'light skin tone', group: 2, order: 3 },
  { unicode: '🇦', label: 'regional indicator A' },
  { unicode: '❤️', label: 'red heart', group: 8, order: 4, tags: ['love'] },
];

describe('pickerRows', () => {
  it('groups emoji under headings, in order, and leaves out parts of emoji', () => {
    expect(pickerRows(sample, '', 0, 8)).toEqual([
      { heading: 'Smileys & emotion' },
      { emoji: ['😂'] },
      { heading: 'People & body' },
      { emoji: ['👍'] },
      { heading: 'Symbols' },
      { emoji: ['❤️'] },
    ]);
  });

  it('finds by name or tag, and applies a skin tone where there is one', () => {
    expect(pickerRows(sample, 'LOVE', 0, 8)).toEqual([{ emoji: ['❤️'] }]);
    expect(pickerRows(sample, 'thumbs', 2, 8)).toEqual([{ emoji: ['👍🏼'] }]);
    expect(pickerRows(sample, 'zzz', 0, 8)).toEqual([]);
  });

  it('cuts rows to their width', () => {
    const rows = pickerRows(data as PickerEmoji[], '', 0, 8);
    expect(rows.every((r) => 'heading' in r || (r.emoji.length >= 1 && r.emoji.length <= 8))).toBe(true);
    const all = rows.flatMap((r) => ('emoji' in r ? r.emoji : []));
    expect(all.length).toBeGreaterThan(1800);
    expect(all).toContain('❤️');
    expect(all).not.toContain('🏻');
  });
});
