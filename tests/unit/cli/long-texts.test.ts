// Long texts through the real `finetune` bin: with no option, a text over the max length is read in windows (the
// recipe counts them, run.json keeps the setting); eval on the validation file reproduces the run's validation metrics
// from its windows' averages, predict writes one row per input text, and --text of a long text equals that row; a
// model trained with --windows 1 is read cut by eval and predict unless told otherwise.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectEvalEqualsValidation, lastJson, runCli } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'finetune-long-'));
const TOPICS: Record<string, string[]> = {
  sport: ['the match went on', 'a late goal', 'the team won the cup', 'fans sang in the stands'],
  money: ['the bank raised rates', 'stock prices fell', 'a tax rise', 'the budget was cut'],
};
const FILL = 'and then people talked about the weather and the traffic and other plans for the week ahead';
const longText = (topic: string, i: number) =>
  `${Array.from({ length: 8 + (i % 4) }, (_, k) => `${TOPICS[topic][(i + k) % 4]} ${FILL}`).join(' ')} (${i})`;
const csv = (n: number, offset: number) =>
  'text,label\n' +
  Array.from({ length: n }, (_, i) => {
    const t = i % 2 ? 'sport' : 'money';
    return `"${longText(t, i + offset)}",${t}`;
  }).join('\n') +
  '\n';
const trainCsv = join(dir, 'train.csv');
const evalCsv = join(dir, 'eval.csv');
writeFileSync(trainCsv, csv(24, 0));
writeFileSync(evalCsv, csv(8, 100));
const base = ['--data', trainCsv, '--eval', evalCsv, '--text-column', 'text', '--label-column', 'label'];
const fast = ['--preset', 'quick', '--epochs', '2', '--threads', '1'];

describe('finetune on long texts (USE-Lite head only, 24 + 8 texts of 200–330 tokens)', () => {
  let trained: Record<string, unknown>;
  let stderr = '';
  const out = join(dir, 'win');
  beforeAll(async () => {
    const r = await runCli(['train', ...base, ...fast, '--out', out]);
    if (r.code !== 0) throw new Error(`train exited ${r.code}: ${r.stderr}`);
    trained = lastJson(r.stdout);
    stderr = r.stderr;
  }, 300_000);

  it('reads each text in windows by default, says so, and keeps the setting in run.json', () => {
    expect(stderr).toMatch(/long texts: 100 % of training texts have more than 128 tokens/);
    expect(stderr).toMatch(/long texts: 24 training texts read as \d+ windows of at most 128 tokens, 8 validation texts as \d+/);
    expect(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).run.textWindows).toBe(8);
  });

  it('eval reproduces the validation metrics over 8 texts; predict writes 8 rows, --text equal to its row', async () => {
    const e = await runCli(['eval', '--model', out, '--data', evalCsv, '--text-column', 'text', '--label-column', 'label']);
    expect(e.code, e.stderr).toBe(0);
    expectEvalEqualsValidation(e, trained.validation as Record<string, number>, 8, expect);
    const preds = join(dir, 'preds.csv');
    const p = await runCli(['predict', '--model', out, '--data', evalCsv, '--text-column', 'text', '--out', preds]);
    expect(p.code, p.stderr).toBe(0);
    const rows = Papa.parse<Record<string, string>>(readFileSync(preds, 'utf8'), { header: true, skipEmptyLines: true }).data;
    expect(rows).toHaveLength(8);
    const one = await runCli(['predict', '--model', out, '--text', rows[3].text]);
    expect(one.code, one.stderr).toBe(0);
    const j = lastJson(one.stdout) as { label: string; score: number };
    expect(j.label).toBe(rows[3].prediction);
    expect(j.score).toBeCloseTo(Number(rows[3].score), 5);
    // read cut instead: another score for the same text
    const cut = await runCli(['predict', '--model', out, '--text', rows[3].text, '--windows', '1']);
    expect(Math.abs((lastJson(cut.stdout) as { score: number }).score - j.score)).toBeGreaterThan(1e-6);
  });

  it('--windows 1 trains on cut texts, and eval reads that model cut (run.json)', async () => {
    const cutOut = join(dir, 'cut');
    const r = await runCli(['train', ...base, ...fast, '--windows', '1', '--out', cutOut]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/training texts read as/);
    expect(r.stderr).toContain('training on 24 examples, validating on 8');
    const e = await runCli(['eval', '--model', cutOut, '--data', evalCsv, '--text-column', 'text', '--label-column', 'label']);
    expectEvalEqualsValidation(e, lastJson(r.stdout).validation as Record<string, number>, 8, expect);
  }, 300_000);

  it('refuses --windows 0 or over 64 with a one-line error naming the option (exit 2)', async () => {
    const r = await runCli(['train', ...base, '--windows', '0', '--out', join(dir, 'bad'), '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--windows/);
    const over = await runCli(['train', ...base, '--windows', '65', '--out', join(dir, 'bad'), '--dry-run']);
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(/--windows 65 is over 64/);
  });
});
