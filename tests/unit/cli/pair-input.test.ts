// Pair-input classification end to end through the real `finetune` bin: premise/hypothesis columns train a head on
// the bundled USE-Lite (its tokenizer joins the two texts with a separator), eval with the same columns reproduces the
// validation metrics, and predict takes --text with --text-pair. The label depends on both texts: every premise occurs
// with both labels, so a model that dropped the hypothesis could not tell the rows apart.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lastJson, runCli, expectEvalEqualsValidation } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'finetune-pair-'));
const SCENES: [premise: string, same: string, other: string][] = [
  ['a dog runs across the park', 'an animal is outside', 'the dog is asleep indoors'],
  ['two children play football on the beach', 'kids are playing a game', 'nobody is on the beach'],
  ['a man is cooking pasta in the kitchen', 'someone is making food', 'the kitchen is empty'],
  ['a woman reads a book on the train', 'a person is reading', 'the woman is driving a car'],
  ['the band plays loud music on stage', 'musicians are performing', 'the stage is silent'],
  ['a cyclist climbs a steep mountain road', 'someone is riding a bike', 'the cyclist is swimming'],
];
/** n rows; even rows entail, odd rows contradict; `offset` makes the validation rows differ from the training ones. */
const rows = (n: number, offset: number) =>
  Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    const [premise, same, other] = SCENES[Math.floor(k / 2) % SCENES.length];
    const entails = k % 2 === 0;
    return `"${premise} (${k})","${entails ? same : other}",${entails ? 'entailment' : 'contradiction'}`;
  });
const trainCsv = join(dir, 'train.csv');
const evalCsv = join(dir, 'eval.csv');
writeFileSync(trainCsv, `premise,hypothesis,label\n${rows(36, 0).join('\n')}\n`);
writeFileSync(evalCsv, `premise,hypothesis,label\n${rows(12, 100).join('\n')}\n`);
const out = join(dir, 'run');
const columns = ['--text-column', 'premise', '--text-pair-column', 'hypothesis', '--label-column', 'label'];

describe('finetune on premise/hypothesis pairs (USE-Lite, head mode, 36 + 12 rows, 2 epochs, max length 32)', () => {
  let trained: Record<string, unknown>;
  let stderr = '';
  beforeAll(async () => {
    const args = [
      'train',
      '--data',
      trainCsv,
      '--eval',
      evalCsv,
      ...columns,
      '--mode',
      'head',
      '--epochs',
      '2',
      '--batch-size',
      '8',
      '--max-length',
      '32',
      '--threads',
      '1',
      '--seed',
      '3',
      '--out',
      out,
    ];
    const r = await runCli(args);
    if (r.code !== 0) throw new Error(`train exited ${r.code}: ${r.stderr}`);
    trained = lastJson(r.stdout);
    stderr = r.stderr;
  }, 300_000);

  it('trains: exit 0, and the last stdout line has the final validation metrics of a two-label classifier', () => {
    expect(trained).toMatchObject({ reason: 'completed', epochs: 2, steps: 10 }); // 36 rows / 8 = 5 steps per epoch
    expect(stderr).toContain('training on 36 examples, validating on 12');
    const v = trained.validation as Record<string, number>;
    expect(trained.metrics).toEqual(v);
    for (const k of ['loss', 'accuracy', 'macroF1']) expect(Number.isFinite(v[k]), k).toBe(true);
    expect(v.accuracy).toBeGreaterThanOrEqual(0);
    expect(v.accuracy).toBeLessThanOrEqual(1);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(Object.values(config.id2label).sort()).toEqual(['contradiction', 'entailment']);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run).toMatchObject({ task: 'classification', maxLength: 32, mapping: { text: 'premise', textPair: 'hypothesis' } });
  });

  it('eval on the output folder with the same columns reproduces the validation metrics', async () => {
    const r = await runCli(['eval', '--model', out, '--data', evalCsv, ...columns]);
    expect(r.code, r.stderr).toBe(0);
    expectEvalEqualsValidation(r, trained.validation as Record<string, number>, 12, expect);
  });

  it('eval and predict without --text-pair-column read the pair column the model was trained with (run.json)', async () => {
    const r = await runCli(['eval', '--model', out, '--data', evalCsv, '--text-column', 'premise', '--label-column', 'label']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    const v = trained.validation as Record<string, number>;
    expect(m.accuracy).toBe(v.accuracy);
    expect(m.loss).toBeCloseTo(v.loss, 5);
    const p = await runCli(['predict', '--model', out, '--text', 'a premise alone']);
    expect(p.code).toBe(0);
    expect(p.stderr).toMatch(/trained on text pairs .*--text-pair/);
  });

  it('eval reads the hypothesis column: the same premises and labels with the other hypotheses give a different loss', async () => {
    const swapped = join(dir, 'swapped.csv');
    const lines = readFileSync(evalCsv, 'utf8').trim().split('\n');
    const other = (l: string) => SCENES.reduce((x, [, same, o]) => (x.includes(same) ? x.replace(same, o) : x.replace(o, same)), l);
    writeFileSync(swapped, `${lines[0]}\n${lines.slice(1).map(other).join('\n')}\n`);
    expect(readFileSync(swapped, 'utf8')).not.toBe(readFileSync(evalCsv, 'utf8'));
    const r = await runCli(['eval', '--model', out, '--data', swapped, ...columns]);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout.trim());
    expect(m.count).toBe(12);
    expect(Math.abs(m.loss - (trained.validation as Record<string, number>).loss)).toBeGreaterThan(1e-6);
  });

  it('predict --text --text-pair prints a label with probabilities, equal to predict --data on the same pair', async () => {
    const [premise, hypothesis] = ['a dog runs across the park (7)', 'an animal is outside'];
    const r = await runCli(['predict', '--model', out, '--text', premise, '--text-pair', hypothesis]);
    expect(r.code, r.stderr).toBe(0);
    const p = lastJson(r.stdout) as { text: string; label: string; score: number; scores: Record<string, number> };
    expect(p.text).toBe(premise);
    expect(['entailment', 'contradiction']).toContain(p.label);
    expect(p.scores.entailment + p.scores.contradiction).toBeCloseTo(1, 5);
    expect(p.score).toBe(Math.max(p.scores.entailment, p.scores.contradiction));
    const alone = lastJson((await runCli(['predict', '--model', out, '--text', premise])).stdout) as { scores: Record<string, number> };
    expect(alone.scores.entailment).not.toBe(p.scores.entailment);
    const one = join(dir, 'one.csv');
    const preds = join(dir, 'preds.csv');
    writeFileSync(one, `premise,hypothesis\n"${premise}","${hypothesis}"\n`);
    const f = await runCli(['predict', '--model', out, '--data', one, ...columns.slice(0, 4), '--out', preds]);
    expect(f.code, f.stderr).toBe(0);
    const [header, row] = readFileSync(preds, 'utf8').trim().split('\n');
    expect(header).toBe('premise,hypothesis,prediction,score,p(contradiction),p(entailment)');
    const cells = row.split(',');
    expect(cells[2]).toBe(p.label);
    expect(Number(cells[3])).toBeCloseTo(p.score, 6);
  });
});
