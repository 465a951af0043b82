// A synthetic CSV for the data benchmark: ~200 bytes a row, 5 labels (uneven), 5% exact duplicates, some
// near-duplicates with another label (conflicts), quoted fields with commas, quotes and line breaks, some padding.
import { mulberry32 } from '@/lib/rng';

const WORDS = (
  'the a movie film plot actor actress story scene great terrible boring brilliant slow fast funny sad ' +
  'music score camera light dialogue ending twist character director budget effect audience critic review cinema ' +
  'watch again never always perhaps quite very really somewhat hardly entirely wonderful awful decent solid weak'
).split(' ');
const LABELS = ['positive', 'negative', 'neutral', 'mixed', 'spam'];
const LABEL_CUM = [0.4, 0.7, 0.85, 0.97, 1];

export function generateCsv(rows: number, seed = 42): string {
  const rand = mulberry32(seed);
  const parts: string[] = ['text,label,source\n'];
  const prev: string[] = [];
  for (let i = 0; i < rows; i++) {
    let text: string;
    const u = rand();
    if (u < 0.05 && prev.length) text = prev[Math.floor(rand() * prev.length)];
    else {
      const n = 22 + Math.floor(rand() * 14);
      const w: string[] = [];
      for (let k = 0; k < n; k++) w.push(WORDS[Math.floor(rand() * WORDS.length)]);
      text = w.join(' ');
      if (rand() < 0.1) text = `${text}, and "more"`;
      if (rand() < 0.02) text = `${text}\nsecond line`;
      if (rand() < 0.03) text = `  ${text} `;
      if (prev.length < 2000) prev.push(text);
    }
    const r = rand();
    const label = LABELS[LABEL_CUM.findIndex((c) => r < c)];
    const cell = /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    parts.push(`${cell},${label},web-${i % 97}\n`);
  }
  return parts.join('');
}
