import { describe, expect, it } from 'vitest';
import { gridColumns, imageFiles, tooLarge } from './photos';

describe('photos', () => {
  it('refuses a file past the limit before reading it', () => {
    expect(tooLarge({ size: 200_000_000 })).toBe('This file is 200 MB: photos can be at most 50 MB.');
    expect(tooLarge({ size: 50_000_000 })).toBeNull();
  });

  it('keeps only images from a paste or a drop', () => {
    const png = new File([new Uint8Array([1])], 'a.png', { type: 'image/png' });
    const text = new File(['x'], 'a.txt', { type: 'text/plain' });
    expect(imageFiles([png, text])).toEqual([png]);
    expect(imageFiles(null)).toEqual([]);
  });

  it('lays out photos in up to three columns', () => {
    expect([1, 2, 3, 4, 5, 9].map(gridColumns)).toEqual([1, 2, 3, 2, 3, 3]);
  });
});
