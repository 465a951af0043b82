// The `finetune` command as a user runs it: exit codes, messages that name the problem, and results on stdout.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STACK_LINE, lastJson, runCli } from './run-cli';

const ROOT = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'finetune-cli-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('finetune: help and bad input', () => {
  it('--help lists every command and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['train', 'eval', 'predict', 'forward', 'inspect']) expect(r.stdout).toContain(`  ${c}`);
  });

  it("runs as `npx finetune` from the repository root (npm resolves the package's own bin, offline)", async () => {
    const r = await new Promise<{ code: number | null; stdout: string }>((done, fail) => {
      const child = spawn('npx', ['--offline', 'finetune', '--help'], {
        cwd: ROOT,
        env: { ...process.env, npm_config_update_notifier: 'false' },
      });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.on('error', fail);
      child.on('close', (code) => done({ code, stdout }));
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: finetune <command>');
  });

  it('per-command help lists the options of that command', async () => {
    const r = await runCli(['train', '--help']);
    expect(r.code).toBe(0);
    for (const o of [
      '--data',
      '--eval',
      '--text-column',
      '--label-column',
      '--model',
      '--mode',
      '--epochs',
      '--lr',
      '--max-length',
      '--early-stopping',
      '--out',
    ])
      expect(r.stdout).toContain(o);
  });

  it('an unknown option exits 2 naming the option and suggesting the right one, without a stack trace', async () => {
    const r = await runCli(['inspect', '--dta', 'x.csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--dta');
    expect(r.stderr).toContain('did you mean --data');
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stdout).toBe('');
  });

  it('a missing required option exits 2 naming it', async () => {
    const r = await runCli(['train', '--data', 'x.csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--out');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('a non-numeric value exits 2 naming the option and the value', async () => {
    const r = await runCli(['train', '--data', 'x.csv', '--out', dir, '--epochs', 'three']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--epochs.*"three" is not a number/);
  });

  it('an unknown command exits 2', async () => {
    const r = await runCli(['fly']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "fly"');
  });

  it('a missing data file exits 2 naming the file and the option', async () => {
    const r = await runCli(['inspect', '--data', join(dir, 'nope.csv')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.csv');
    expect(r.stderr).toContain('--data');
    expect(r.stderr).toContain('file not found');
  });

  it('a malformed CSV (unclosed quote) exits 2 naming the file and the row', async () => {
    const p = file('bad.csv', 'text,label\ngood one,pos\nfine,neg\n"broken quote,neg\nlater,pos\n');
    const r = await runCli(['inspect', '--data', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.csv');
    expect(r.stderr).toMatch(/row 4/);
    expect(r.stderr).toMatch(/quote/i);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('a column that does not exist exits 2 naming the column and the option', async () => {
    const p = file('cols.csv', 'text,label\na,x\nb,y\n');
    const r = await runCli(['inspect', '--data', p, '--label-column', 'sentiment']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('column "sentiment"');
    expect(r.stderr).toContain('--label-column');
  });

  it('a first row holding the columns the flags name is the header; --header says so outright', async () => {
    // too like the data for the detection: short texts under "query text", intent_N labels under "intent label"
    const rows = Array.from({ length: 40 }, (_, i) => `play song number ${i},intent_${i % 12}`);
    const p = file('intents.csv', ['query text,intent label', ...rows].join('\n'));
    const guessed = lastJson((await runCli(['inspect', '--data', p])).stdout);
    expect([guessed.hasHeader, guessed.columns]).toEqual([false, ['column 1', 'column 2']]);
    const named = lastJson(
      (await runCli(['inspect', '--data', p, '--text-column', 'query text', '--label-column', 'intent label'])).stdout,
    );
    expect([named.hasHeader, named.columns, (named.labels as string[]).length]).toEqual([true, ['query text', 'intent label'], 12]);
    const told = lastJson((await runCli(['inspect', '--data', p, '--header', 'yes'])).stdout);
    expect([told.hasHeader, told.columns]).toEqual([true, ['query text', 'intent label']]);
    // and the other way: a file whose first row is data
    const data = file('nohead.csv', 'text,label\na,x\nb,y\nc,x\n');
    const no = lastJson((await runCli(['inspect', '--data', data, '--header', 'no'])).stdout);
    expect([no.hasHeader, no.columns]).toEqual([false, ['column 1', 'column 2']]);
    const bad = await runCli(['inspect', '--data', data, '--header', 'maybe']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('--header yes|no')]);
  });

  it('labels that differ only in case are a warning; --ignore-label-case makes them one', async () => {
    const p = file('case.csv', 'text,label\na,pos\nb,neg\nc,Pos\nd,pos\ne,neg\n');
    const plain = lastJson((await runCli(['inspect', '--data', p])).stdout);
    expect(plain.labels).toEqual(['neg', 'pos', 'Pos']);
    expect(plain.warnings).toMatchObject([{ code: 'label-case', rows: [4] }]);
    const folded = lastJson((await runCli(['inspect', '--data', p, '--ignore-label-case'])).stdout);
    expect([folded.labels, folded.warnings]).toEqual([['neg', 'pos'], []]);
  });

  it('train warns where the model cannot read the texts (Chinese under USE-Lite), naming a text; not for English', async () => {
    const rows = (a: string, b: string) => Array.from({ length: 12 }, (_, i) => (i % 2 ? `${a},pos` : `${b},neg`)).join('\n');
    const zh = file('zh.csv', `text,label\n${rows('服务非常好', '服务很差')}\n`);
    const r = await runCli(['train', '--data', zh, '--out', join(dir, 'zh'), '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^warning: 100 % of the letters in the training texts are in words USE-Lite's vocabulary cannot spell \(e\.g\. "服务/m,
    );
    const en = file('en.csv', `text,label\n${rows('the service was great 😀', 'the service was awful')}\n`);
    const e = await runCli(['train', '--data', en, '--out', join(dir, 'en'), '--dry-run']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stderr).not.toMatch(/cannot spell/);
  });

  /** Runs `fn` against a local "Hub" that answers 404 to everything and records the paths asked for. */
  async function withEmptyHub(fn: (endpoint: string, seen: string[]) => Promise<void>): Promise<void> {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen);
    } finally {
      server.close();
    }
  }
  const TINY_CSV = 'text,label\ngood film,pos\nbad film,neg\nfine film,pos\nawful film,neg\n';

  it('train --hub-endpoint downloads a Hub id from that endpoint (a local server here), not huggingface.co', () =>
    withEmptyHub(async (endpoint, seen) => {
      const p = file('hub.csv', TINY_CSV);
      const r = await runCli([
        'train',
        '--data',
        p,
        '--model',
        'someone/tiny-bert',
        '--hub-endpoint',
        endpoint,
        '--mode',
        'head',
        '--out',
        join(dir, 'hub-out'),
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(STACK_LINE);
      expect(seen).toContain('/someone/tiny-bert/resolve/main/config.json');
    }));

  it('train --revision downloads that revision of a Hub id; with a folder or use-lite it is refused naming the option', () =>
    withEmptyHub(async (endpoint, seen) => {
      const p = file('rev.csv', TINY_CSV);
      const r = await runCli([
        'train',
        '--data',
        p,
        '--model',
        'someone/tiny-bert',
        '--revision',
        'v1.0',
        '--hub-endpoint',
        endpoint,
        '--mode',
        'head',
        '--out',
        join(dir, 'rev-out'),
      ]);
      expect(r.code).toBe(2);
      expect(seen).toContain('/someone/tiny-bert/resolve/v1.0/config.json');
      const bundled = await runCli([
        'train',
        '--data',
        p,
        '--model',
        'use-lite',
        '--revision',
        'v1.0',
        '--mode',
        'head',
        '--out',
        join(dir, 'rev-out2'),
      ]);
      expect(bundled.code).toBe(2);
      expect(bundled.stderr).toContain('--revision applies to a Hub id');
      expect(bundled.stderr).not.toMatch(STACK_LINE);
    }));

  it("an unexpected failure (not the user's input) exits 1 with the message and a stack trace", async () => {
    // a preload makes reading .csv files fail the way a broken disk would: an Error the CLI did not anticipate
    const preload = `data:text/javascript,${encodeURIComponent(
      "import fs from 'node:fs/promises'; import { syncBuiltinESMExports } from 'node:module';" +
        "const orig = fs.readFile; fs.readFile = (p, ...a) => String(p).endsWith('.csv') ? " +
        "Promise.reject(new Error('simulated I/O failure')) : orig(p, ...a);" +
        'syncBuiltinESMExports();',
    )}`;
    const p = file('ok.csv', 'text,label\na,x\nb,y\n');
    const r = await runCli(['inspect', '--data', p], { nodeArgs: ['--import', preload] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('internal error: simulated I/O failure');
    expect(r.stderr).toMatch(STACK_LINE);
  });
});

describe('finetune inspect', () => {
  it('reports format, columns, the mapping and the label distribution of a generated CSV as one JSON line', async () => {
    const rows = Array.from(
      { length: 30 },
      (_, i) => `"review number ${i}, ${i % 3 === 0 ? 'great' : 'bad'}",${i % 3 === 0 ? 'pos' : 'neg'},${i}`,
    );
    const p = file('reviews.csv', `review,sentiment,id\n${rows.join('\n')}\n`);
    const r = await runCli(['inspect', '--data', p]);
    expect(r.code).toBe(0);
    const report = lastJson(r.stdout);
    expect(report).toMatchObject({ format: 'csv', delimiter: ',', hasHeader: true, rows: 30, columns: ['review', 'sentiment', 'id'] });
    expect(report.mapping).toMatchObject({ task: 'classification', text: 'review', label: ['sentiment'] });
    expect(report.labels).toEqual(['neg', 'pos']);
    expect(report.labelDistribution).toEqual([
      { label: 'neg', count: 20 },
      { label: 'pos', count: 10 },
    ]);
    expect(report).toMatchObject({ rowCount: 30, unlabeled: 0, emptyTexts: [] });
  });

  it('detects TSV and JSONL from the content', async () => {
    const tsv = file('d.txt', 'text\tlabel\nhello there\ta\nbye now\tb\nagain\ta\n');
    const jsonl = file('d.data', '{"text": "hello", "label": "a"}\n{"text": "bye", "label": "b"}\n');
    const [a, b] = await Promise.all([runCli(['inspect', '--data', tsv]), runCli(['inspect', '--data', jsonl])]);
    expect(a.code).toBe(0);
    expect(lastJson(a.stdout)).toMatchObject({ format: 'tsv', rows: 3, labels: ['a', 'b'] });
    expect(b.code).toBe(0);
    expect(lastJson(b.stdout)).toMatchObject({ format: 'jsonl', rows: 2, labels: ['a', 'b'] });
  });
});
