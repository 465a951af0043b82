// Bytes -> text: BOM and NUL-pattern detection of UTF-8 / UTF-16 LE/BE; anything that is not valid UTF-8 is decoded
// as Latin-1 (windows-1252) with a warning, because a wrong guess must be visible rather than silently garble text.
import type { TextEncodingName } from './types';

export interface Decoded {
  text: string;
  encoding: TextEncodingName;
  bom: boolean;
  /** set when the bytes were not valid UTF-8/16 and Latin-1 was used */
  fallback: boolean;
}

function utf16WithoutBom(b: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const n = Math.min(b.length, 4096) & ~1;
  if (n < 4) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) evenZeros++;
    if (b[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (oddZeros > pairs * 0.4 && evenZeros < pairs * 0.05) return 'utf-16le';
  if (evenZeros > pairs * 0.4 && oddZeros < pairs * 0.05) return 'utf-16be';
  return null;
}

export function detectAndDecode(bytes: Uint8Array, force?: TextEncodingName): Decoded {
  if (force) {
    const skip =
      force === 'utf-8' && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
        ? 3
        : force.startsWith('utf-16') && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
          ? 2
          : 0;
    return {
      text: new TextDecoder(force === 'latin1' ? 'latin1' : force).decode(bytes.subarray(skip)),
      encoding: force,
      bom: skip > 0,
      fallback: false,
    };
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return decodeUtf8(bytes.subarray(3), true);
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le', bom: true, fallback: false };
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be', bom: true, fallback: false };
  }
  const u16 = utf16WithoutBom(bytes);
  if (u16) return { text: new TextDecoder(u16).decode(bytes), encoding: u16, bom: false, fallback: false };
  return decodeUtf8(bytes, false);
}

function decodeUtf8(bytes: Uint8Array, bom: boolean): Decoded {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes), encoding: 'utf-8', bom, fallback: false };
  } catch {
    return { text: new TextDecoder('latin1').decode(bytes), encoding: 'latin1', bom: false, fallback: true };
  }
}

/** Offset of the first invalid UTF-8 sequence (for the warning's row), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const c = bytes[i];
    const need = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xf0 && c < 0xf5 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return -1;
}

/** 1-based line and column of a character offset. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: offset - last };
}
