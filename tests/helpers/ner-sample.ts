// A small NER dataset for the studio tests: `n` sentences as CoNLL ("word TAG" lines, a blank line between sentences,
// a -DOCSTART- line first) with PER and LOC entities from a few templates, one of them longer than 24 tokens (read in
// overlapping windows). `noisyEvery` tags every such sentence's place as a person (label noise), so a model is wrong on
// some test sentences whatever it learns.

const PER = ['Alice Smith', 'Bob', 'Maria Garcia', 'John', 'Olga', 'Peter Brown'];
const LOC = ['Paris', 'New York', 'Berlin', 'Tokyo', 'Lagos', 'Lima'];
const TEMPLATES = [
  '{P} lives in {L} .',
  '{P} flew to {L} on Monday .',
  'Yesterday {P} met {Q} in {L} .',
  'The weather in {L} was cold .',
  '{P} said the trip was long .',
  // 29 words: longer than a max length of 24 tokens
  '{P} wrote that the old market near the river in {L} opens early every day and closes late in the summer when many tourists arrive .',
];

export function nerSampleConll(n: number, opts: { noisyEvery?: number } = {}): string {
  const out: string[] = ['-DOCSTART- O', ''];
  for (let i = 0; i < n; i++) {
    const fill = { P: PER[i % PER.length], Q: PER[(i + 2) % PER.length], L: LOC[(i * 5) % LOC.length] };
    const noisy = opts.noisyEvery !== undefined && i % opts.noisyEvery === 2;
    for (const tok of TEMPLATES[i % TEMPLATES.length].split(' ')) {
      const m = /^\{([PQL])\}$/.exec(tok);
      if (!m) {
        out.push(`${tok} O`);
        continue;
      }
      const type = m[1] === 'L' && !noisy ? 'LOC' : 'PER';
      fill[m[1] as 'P' | 'Q' | 'L'].split(' ').forEach((w, k) => out.push(`${w} ${k ? 'I' : 'B'}-${type}`));
    }
    out.push('');
  }
  return out.join('\n');
}
