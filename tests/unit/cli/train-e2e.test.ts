// End to end through the real `finetune` bin: train a head on the bundled USE-Lite over a few dozen generated rows,
// then predict and eval on the folder it wrote; forward on a reference BERT fixture matches its recorded outputs.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasShared, sharedPath } from '@/tests/helpers/shared';
import { STACK_LINE, lastJson, runCli, expectEvalEqualsValidation } from './run-cli';
import { tfidfBaseline } from '@/lib/baseline/tfidf';
import { csvRows } from '@/bench/tfidf';

const dir = mkdtempSync(join(tmpdir(), 'finetune-e2e-'));
const good = [
  'a wonderful, moving film',
  'brilliant acting and a delightful story',
  'I loved every minute of it',
  'a joyful, charming comedy',
  'superb and heartfelt',
  'great fun from start to finish',
];
const bad = [
  'a boring, tedious mess',
  'awful acting and a dull plot',
  'I hated every minute of it',
  'a tiresome, clumsy comedy',
  'dreadful and lifeless',
  'painful from start to finish',
];
const rows = (n: number, offset: number) =>
  Array.from({ length: n }, (_, i) => {
    const pos = (i + offset) % 2 === 0;
    const base = (pos ? good : bad)[(i + offset) % 6];
    return `"${base}, take ${i + offset}",${pos ? 'positive' : 'negative'}`;
  });
const trainCsv = join(dir, 'train.csv');
const evalCsv = join(dir, 'eval.csv');
writeFileSync(trainCsv, `review,sentiment\n${rows(36, 0).join('\n')}\n`);
writeFileSync(evalCsv, `review,sentiment\n${rows(12, 100).join('\n')}\n`);
/** --data, --eval and their columns, as most runs below give them */
const DATA_ARGS = ['--data', trainCsv, '--eval', evalCsv, '--text-column', 'review', '--label-column', 'sentiment'];
const out = join(dir, 'run');

describe('finetune train → predict → eval (USE-Lite, head mode, 36 rows, 1 epoch, max length 16)', () => {
  let trained: Record<string, unknown>;
  let stderr = '';
  const trainArgs = [
    'train',
    '--data',
    trainCsv,
    '--eval',
    evalCsv,
    '--text-column',
    'review',
    '--label-column',
    'sentiment',
    '--model',
    'use-lite',
    '--mode',
    'head',
    '--epochs',
    '1',
    '--batch-size',
    '8',
    '--lr',
    '0.01',
    '--max-length',
    '16',
    '--seed',
    '3',
  ];
  beforeAll(async () => {
    const r = await runCli([...trainArgs, '--threads', '2', '--out', out]);
    if (r.code !== 0) throw new Error(`train exited ${r.code}: ${r.stderr}`);
    trained = lastJson(r.stdout);
    stderr = r.stderr;
  }, 300_000);

  it('computes the encoder features on worker threads, with the same result as in one thread', async () => {
    expect(stderr).toContain('computing encoder features on 2 threads');
    const r = await runCli([...trainArgs, '--threads', '1', '--out', join(dir, 'one-thread')]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('computing encoder features on');
    const one = lastJson(r.stdout);
    expect(one.validation).toEqual(trained.validation);
    expect(one.best).toEqual(trained.best);
  }, 300_000);

  it('prints the final validation metrics as the last stdout line', () => {
    const m = trained.metrics as Record<string, number>;
    expect(m.accuracy).toBeGreaterThanOrEqual(0);
    expect(m.accuracy).toBeLessThanOrEqual(1);
    expect(typeof m.macroF1).toBe('number');
    expect(trained).toMatchObject({ reason: 'completed', steps: 5, epochs: 1 });
  });

  it('reports the word-count baseline on the same split: TF-IDF + logistic regression fitted on the training file', () => {
    const direct = tfidfBaseline(csvRows(trainCsv, 'review', 'sentiment'), csvRows(evalCsv, 'review', 'sentiment'));
    expect(trained.baseline).toEqual({ tfidfLogReg: { validation: { accuracy: direct.accuracy, macroF1: direct.macroF1 } } });
    expect(stderr).toContain(`word-count baseline (TF-IDF + logistic regression, fitted in`);
    expect(stderr).toContain(`${(100 * direct.accuracy).toFixed(1)} % validation accuracy`);
    // and the model card sets it beside the model's scores
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain(
      "Without any encoder, TF-IDF + logistic regression at scikit-learn's defaults, fitted on the same training rows, scores accuracy",
    );
  });

  it('writes the model in Hugging Face layout with labels, every event in metrics.jsonl, and run.json', () => {
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.id2label).toEqual({ 0: 'negative', 1: 'positive' });
    expect(config.label2id).toEqual({ negative: 0, positive: 1 });
    expect(config.problem_type).toBe('single_label_classification');
    for (const f of ['model.safetensors', 'tokenizer.json']) expect(existsSync(join(out, f))).toBe(true);
    const events = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events[0].type).toBe('start');
    expect(events.filter((e) => e.type === 'step')).toHaveLength(5);
    expect(events.some((e) => e.type === 'eval')).toBe(true);
    expect(events.at(-1).type).toBe('done');
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(run).toMatchObject({
      model: 'use-lite',
      task: 'classification',
      labels: ['negative', 'positive'],
      maxLength: 16,
      config: { epochs: 1, batchSize: 8, learningRate: 0.01, seed: 3 },
    });
  });

  it('eval on the output folder reproduces the validation metrics (saved weights reload exactly), on 1 and 2 threads', async () => {
    for (const threads of ['1', '2']) {
      const r = await runCli([
        'eval',
        '--model',
        out,
        '--data',
        evalCsv,
        '--text-column',
        'review',
        '--label-column',
        'sentiment',
        '--threads',
        threads,
      ]);
      expect(r.code).toBe(0);
      expectEvalEqualsValidation(r, trained.validation as Record<string, number>, 12, expect);
    }
    const bad = await runCli(['eval', '--model', out, '--data', evalCsv, '--threads', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--threads');
  });

  it('--val-split 0 trains on every row; with --ema-decay the saved model reloads to the --test metrics', async () => {
    const all = join(dir, 'all-rows');
    const r = await runCli([
      'train',
      '--data',
      trainCsv,
      '--val-split',
      '0',
      '--test',
      evalCsv,
      '--text-column',
      'review',
      '--label-column',
      'sentiment',
      '--model',
      'use-lite',
      '--mode',
      'head',
      '--epochs',
      '2',
      '--batch-size',
      '8',
      '--lr',
      '0.05',
      '--max-length',
      '16',
      '--ema-decay',
      '0.9',
      '--threads',
      '1',
      '--out',
      all,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('held out 0 of 36 rows');
    const res = lastJson(r.stdout);
    expect(res.validation).toBeUndefined();
    const test = res.test as Record<string, number>;
    // no validation rows: the word-count baseline is scored on the test file only, fitted on every training row
    const direct = tfidfBaseline(csvRows(trainCsv, 'review', 'sentiment'), csvRows(evalCsv, 'review', 'sentiment'));
    expect(res.baseline).toEqual({ tfidfLogReg: { test: { accuracy: direct.accuracy, macroF1: direct.macroF1 } } });
    expect(r.stderr).toContain(`test: word-count baseline (TF-IDF + logistic regression) ${(100 * direct.accuracy).toFixed(1)} % accuracy`);
    expect(JSON.parse(readFileSync(join(all, 'run.json'), 'utf8'))).toMatchObject({
      trainExamples: 36,
      validationExamples: 0,
      config: { emaDecay: 0.9 },
    });
    const ev = await runCli(['eval', '--model', all, '--data', evalCsv, '--text-column', 'review', '--label-column', 'sentiment']);
    expect(ev.code).toBe(0);
    const m = JSON.parse(ev.stdout.trim());
    expect(m.accuracy).toBe(test.accuracy);
    expect(m.loss).toBeCloseTo(test.loss, 5);
  });

  it('predict --text gives one of the labels with probabilities that sum to 1', async () => {
    const r = await runCli(['predict', '--model', out, '--text', 'a delightful and moving story']);
    expect(r.code).toBe(0);
    const p = lastJson(r.stdout) as { label: string; score: number; scores: Record<string, number> };
    expect(['negative', 'positive']).toContain(p.label);
    expect(p.scores.negative + p.scores.positive).toBeCloseTo(1, 5);
    expect(p.score).toBe(Math.max(p.scores.negative, p.scores.positive));
    // an empty text is a one-line error naming the option, before the model loads
    const empty = await runCli(['predict', '--model', out, '--text', '  ']);
    expect([empty.code, empty.stderr.trim()]).toEqual([2, expect.stringMatching(/option --text: --text is empty/)]);
  });

  it('predict --data --out writes one prediction per row next to the input columns, the same on 1 and 2 threads', async () => {
    const written: string[][] = [];
    for (const threads of ['1', '2']) {
      // into a folder that does not exist yet (made first, as train's --out is)
      const preds = join(dir, `preds-${threads}`, 'new', `preds.csv`);
      const r = await runCli(['predict', '--model', out, '--data', evalCsv, '--out', preds, '--threads', threads]);
      expect(r.code).toBe(0);
      const lines = readFileSync(preds, 'utf8').trim().split('\n');
      expect(lines[0]).toBe('review,sentiment,prediction,score,p(negative),p(positive)');
      expect(lines).toHaveLength(13);
      written.push(lines);
    }
    // the labels agree; the probabilities to 1e-6
    const cells = (lines: string[]) => lines.slice(1).map((l) => l.split(',').slice(-4));
    cells(written[1]).forEach((row, i) => {
      expect(row[0]).toBe(cells(written[0])[i][0]);
      row.slice(1).forEach((v, j) => expect(Math.abs(Number(v) - Number(cells(written[0])[i][j + 1]))).toBeLessThan(1e-6));
    });
  });

  it('a validation label the training file never had exits 2 naming the file', async () => {
    const odd = join(dir, 'odd.csv');
    writeFileSync(odd, 'review,sentiment\nfine,neutral\ngood,positive\n');
    const r = await runCli([
      'train',
      '--data',
      trainCsv,
      '--eval',
      odd,
      '--model',
      'use-lite',
      '--mode',
      'head',
      '--out',
      join(dir, 'odd'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('odd.csv');
    expect(r.stderr).toContain('"neutral"');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('with only data and columns trains the Balanced recipe of the model, and says why on stderr', async () => {
    const r = await runCli(['train', ...DATA_ARGS, '--max-steps', '2', '--threads', '1', '--out', join(dir, 'defaults')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('recipe USE-Lite · Balanced');
    // 36 rows are too few for full fine-tuning's steps: the Balanced budget trains the head only, and says why
    expect(r.stderr).toMatch(/head only: 36 training rows give full fine-tuning at most 40 of the 1,100 steps its recipe wants/);
    const run = JSON.parse(readFileSync(join(dir, 'defaults', 'run.json'), 'utf8'));
    // 12 validation rows select nothing: no early stopping, no best evaluation restored, and the run says so
    expect(r.stderr).toContain(
      '12 validation rows are too few to stop early or pick the best evaluation by (under 50; each row is 8 % of them): ' +
        'the run trains its whole length and keeps its last weights',
    );
    // (the head itself takes at least 500 steps: 250 epochs of 2 steps)
    expect(run.run).toMatchObject({ preset: 'balanced', mode: 'head', learningRate: 3e-3, epochs: 250, maxLength: 32 });
    // ... on the encoder first tuned on contrastive pairs of the rows (18 per label: 20 rounds, capped at 1,280 pairs)
    expect(run.run.contrastiveRounds).toBe(20);
    expect(r.stderr).toMatch(/tuning the encoder on 1,280 pairs of training rows \(SetFit, 20 rounds\): 80 steps/);
    expect(r.stderr).toMatch(/pairs: step 80 of 80, loss \d\.\d{4}\n/);
    // --mode full fine-tunes anyway, with the full recipe fitted to the rows
    const full = await runCli([
      'train',
      ...DATA_ARGS,
      '--mode',
      'full',
      '--max-steps',
      '2',
      '--threads',
      '1',
      '--out',
      join(dir, 'defaults-full'),
    ]);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stderr).toMatch(/20 epochs: about 1,100 steps are wanted and 36 training rows make 2 steps/);
    const fullRun = JSON.parse(readFileSync(join(dir, 'defaults-full', 'run.json'), 'utf8'));
    expect(fullRun.run).toMatchObject({
      mode: 'full',
      learningRate: 3e-4,
      headLrMultiplier: 10,
      epochs: 20,
      maxLength: 32,
      labelSmoothing: 0.1,
    });
    expect(fullRun.config).toMatchObject({ bestMetric: 'macroF1', headLrMultiplier: 10 });
  }, 300_000);

  it('regression with early stopping selects on the validation loss (no classification metric to wait for)', async () => {
    const reg = join(dir, 'reg.csv');
    writeFileSync(
      reg,
      `review,score\n${rows(36, 0)
        .map((r, i) => `${r.slice(0, r.lastIndexOf(','))},${(i % 2) + (i % 5) / 10}`)
        .join('\n')}\n`,
    );
    const r = await runCli([
      'train',
      '--data',
      reg,
      '--text-column',
      'review',
      '--label-column',
      'score',
      '--task',
      'regression',
      '--mode',
      'head',
      '--epochs',
      '3',
      '--early-stopping',
      '1',
      '--threads',
      '1',
      '--out',
      join(dir, 'reg'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = lastJson(r.stdout) as { best: { metric: string }; validation: { mse: number } };
    expect(res.best.metric).toBe('loss');
    expect(Number.isFinite(res.validation.mse)).toBe(true);
  }, 300_000);

  it('--dry-run times a few steps and prints the estimated time without training or writing anything', async () => {
    const dry = join(dir, 'dry');
    const r = await runCli([
      'train',
      ...DATA_ARGS,
      '--mode',
      'full',
      '--epochs',
      '3',
      '--batch-size',
      '8',
      '--threads',
      '1',
      '--dry-run',
      '--out',
      dry,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { estimate, run } = lastJson(r.stdout) as {
      estimate: { seconds: number; steps: number; perStepSec: number; evals: number; evalSec: number; baselineSec: number };
      run: { epochs: number };
    };
    expect(run.epochs).toBe(3);
    expect(estimate.steps).toBe(15); // 36 rows / 8 = 5 steps × 3 epochs
    expect(estimate.evals).toBe(3);
    expect(estimate.perStepSec).toBeGreaterThan(0);
    // the word-count baseline the run fits first: 3 µs a training word and label
    expect(estimate.baselineSec).toBeGreaterThan(0);
    expect(estimate.seconds).toBeCloseTo(estimate.steps * estimate.perStepSec + estimate.evalSec + estimate.baselineSec, 6);
    expect(r.stderr).toMatch(/estimated training time: about \d+ (s|min) \(word-count baseline \d+ s, 15 steps × /);
    expect(existsSync(dry)).toBe(false);
    const head = await runCli([
      'train',
      '--data',
      trainCsv,
      '--text-column',
      'review',
      '--label-column',
      'sentiment',
      '--preset',
      'quick',
      '--threads',
      '2',
      '--dry-run',
    ]);
    expect(head.code, head.stderr).toBe(0);
    const h = (lastJson(head.stdout) as { estimate: { featureSec: number; threads: number } }).estimate;
    expect(h.featureSec).toBeGreaterThan(0);
    expect(h.threads).toBe(2);
  }, 300_000);

  it('--folds 3 trains three models on stratified folds and prints each fold and mean ± std', async () => {
    const cv = join(dir, 'cv');
    const r = await runCli([
      'train',
      '--data',
      trainCsv,
      '--text-column',
      'review',
      '--label-column',
      'sentiment',
      '--mode',
      'head',
      '--epochs',
      '2',
      '--batch-size',
      '8',
      '--max-length',
      '16',
      '--folds',
      '3',
      '--threads',
      '1',
      '--out',
      cv,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = lastJson(r.stdout) as {
      folds: { fold: number; validationRows: number; accuracy: number }[];
      mean: { accuracy: number };
      std: { accuracy: number };
    };
    expect(res.folds.map((f) => f.fold)).toEqual([1, 2, 3]);
    expect(res.folds.reduce((a, f) => a + f.validationRows, 0)).toBe(36); // every row validated once (36 rows, no held-out share)
    expect(res.mean.accuracy).toBeCloseTo(res.folds.reduce((a, f) => a + f.accuracy, 0) / 3, 10);
    expect(res.std.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.stderr).toMatch(/cross-validation over 3 fold\(s\): accuracy [\d.]+ ± [\d.]+/);
    expect(JSON.parse(readFileSync(join(cv, 'cv.json'), 'utf8')).k).toBe(3);
    const bad = await runCli(['train', '--data', trainCsv, '--eval', evalCsv, '--folds', '3', '--out', join(dir, 'cv-bad')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--eval');
  }, 300_000);

  it('a malformed --mode exits 2 naming --mode', async () => {
    const r = await runCli(['train', '--data', trainCsv, '--mode', 'lora:x', '--out', join(dir, 'm')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--mode');
  });
});

describe.skipIf(!hasShared('fixtures', 'ort-bert-toy', 'hf'))('finetune forward on the ort-bert-toy reference BERT', () => {
  it("writes every hidden state and the pooler output, matching onnxruntime's recorded values to 1e-5", async () => {
    const fx = sharedPath('fixtures', 'ort-bert-toy')!;
    const outFile = join(dir, 'forward.json');
    const r = await runCli(['forward', '--model', join(fx, 'hf'), '--inputs', join(fx, 'inputs.json'), '--out', outFile]);
    expect(r.code).toBe(0);
    const got = JSON.parse(readFileSync(outFile, 'utf8')).outputs as Record<string, { dims: number[]; data: number[] }>;
    const want = JSON.parse(readFileSync(join(fx, 'expected_outputs.json'), 'utf8')).outputs as Record<
      string,
      { dims: number[]; data: number[] }
    >;
    const names = [...Array.from({ length: 6 }, (_, i) => `hidden_state_${i}`), 'pooler_output'];
    for (const n of names) {
      expect(got[n].dims, n).toEqual(want[n].dims);
      const maxDiff = want[n].data.reduce((m, x, i) => Math.max(m, Math.abs(x - got[n].data[i])), 0);
      expect(maxDiff, n).toBeLessThan(1e-5);
    }
  });
});
