import { describe, expect, it } from 'vitest';
import { concatBytes } from '@/lib/io/bytes';

describe('concatBytes', () => {
  it('joins chunks in order, empty ones included', () => {
    const out = concatBytes([Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3), Uint8Array.of(4, 5, 6)]);
    expect(Array.from(out)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(concatBytes([]).length).toBe(0);
  });
});
