// The full reaction picker's rows, from emojibase's data (a well-kept emoji
// dataset, loaded only when the picker opens): emoji by group in Unicode's
// order, or those whose name or tags match what was typed, in rows of a
// fixed width for a virtual list. A skin tone, when chosen, applies to the
// emoji that have one.

/** The fields of emojibase's compact data that the picker reads. */
export interface PickerEmoji {
  unicode: string;
  label: string;
  group?: number;
  order?: number;
  tags?: string[];
  skins?: { unicode: string }[];
}

/** A row of the picker: a group's heading, or emoji. */
export type PickerRow = { heading: string } | { emoji: string[] };

/** emojibase's groups, by number; 2 (skin tone and hair components) is not
 * offered: those are parts of emoji, not emoji. */
const GROUPS: Record<number, string> = {
  0: 'Smileys & emotion',
  1: 'People & body',
  3: 'Animals & nature',
  4: 'Food & drink',
  5: 'Travel & places',
  6: 'Activities',
  7: 'Objects',
  8: 'Symbols',
  9: 'Flags',
};

/** Skin tones, as the picker offers them (0: none). */
export const SKIN_TONES = ['✋', '✋🏻', '✋🏼', '✋🏽', '✋🏾', '✋🏿'] as const;

function shown(e: PickerEmoji, tone: number): string {
  return (tone > 0 && e.skins?.[tone - 1]?.unicode) || e.unicode;
}

export function pickerRows(data: PickerEmoji[], query: string, tone: number, perRow: number): PickerRow[] {
  const offered = data
    .filter((e) => e.group !== undefined && e.group in GROUPS)
    .sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  const q = query.trim().toLowerCase();
  const rows: PickerRow[] = [];
  const push = (list: PickerEmoji[]) => {
    for (let i = 0; i < list.length; i += perRow) {
      rows.push({ emoji: list.slice(i, i + perRow).map((e) => shown(e, tone)) });
    }
  };
  if (q !== '') {
    push(offered.filter((e) => e.label.toLowerCase().includes(q) || e.tags?.some((t) => t.startsWith(q))));
    return rows;
  }
  for (const [group, heading] of Object.entries(GROUPS)) {
    const list = offered.filter((e) => e.group === Number(group));
    if (list.length === 0) continue;
    rows.push({ heading });
    push(list);
  }
  return rows;
}
