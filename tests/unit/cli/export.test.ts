// `finetune export` on the folders `finetune train` writes: a Hugging Face folder with a model card whose tensors are
// exactly the transformers class's, an ONNX folder that onnxruntime runs and that imports back with the same
// predictions, the Python recipe, and the refusals (an existing --out, a damaged or mismatched model folder) that
// leave nothing written.
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkHfTensors, expectedHfTensors } from '@/lib/export/hf-names';
import { readSafetensors } from '@/lib/io/safetensors';
import { fsSource } from '@/lib/io/fs-source';
import { loadHfTokenizer } from '@/lib/tokenize/hf';
import { tinyHfDir } from '../../helpers/tiny-hf';
import { lastJson, runCli } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'finetune-export-'));
const data = join(dir, 'data.csv');
const bertRun = join(dir, 'bert-run');
const useRun = join(dir, 'use-run');
const TEXTS = ['a wonderful film', 'an awful, boring movie', 'the story is charming and funny'];

async function predictJson(model: string, text: string): Promise<Record<string, unknown>> {
  const r = await runCli(['predict', '--model', model, '--text', text]);
  if (r.code !== 0) throw new Error(`predict exited ${r.code}: ${r.stderr}`);
  return lastJson(r.stdout);
}

function scoresOf(p: Record<string, unknown>): number[] {
  const s = p.scores as Record<string, number>;
  return Object.keys(s)
    .sort()
    .map((k) => s[k]);
}

beforeAll(async () => {
  const rows = Array.from({ length: 40 }, (_, i) =>
    i % 2 ? `"a wonderful film, take ${i % 10}",positive` : `"an awful, boring movie, take ${i % 10}",negative`,
  );
  writeFileSync(data, `text,label\n${rows.join('\n')}\n`);
  const common = ['--data', data, '--val-split', '0.2', '--epochs', '1', '--batch-size', '8', '--max-length', '16'];
  const [bert, use] = await Promise.all([
    runCli(['train', ...common, '--model', tinyHfDir('bert'), '--mode', 'full', '--lr', '1e-3', '--threads', '1', '--out', bertRun]),
    runCli(['train', ...common, '--model', 'use-lite', '--mode', 'head', '--threads', '1', '--out', useRun]),
  ]);
  for (const r of [bert, use]) if (r.code !== 0) throw new Error(`train exited ${r.code}: ${r.stderr}`);
}, 240_000);

describe('finetune export --format hf', () => {
  const out = join(dir, 'bert-hf');
  let result: Record<string, unknown>;
  beforeAll(async () => {
    const r = await runCli(['export', '--model', bertRun, '--format', 'hf', '--out', out]);
    if (r.code !== 0) throw new Error(`export exited ${r.code}: ${r.stderr}`);
    result = lastJson(r.stdout);
  }, 120_000);

  it('writes the transformers class exactly (no missing or extra tensor), the tokenizer files and a model card', () => {
    expect(result).toMatchObject({ format: 'hf', out });
    const files = readdirSync(out);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt', 'special_tokens_map.json', 'README.md'])
      expect(files).toContain(f);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    const tensors = readSafetensors(readFileSync(join(out, 'model.safetensors'))).tensors;
    expect(checkHfTensors(tensors, expectedHfTensors('bert', 'classification', config))).toEqual({
      missing: [],
      extra: [],
      wrongShape: [],
    });
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    expect(card.startsWith('---\n')).toBe(true);
    expect(card).toMatch(/^library_name: transformers$/m);
    expect(card).toMatch(/^pipeline_tag: text-classification$/m);
    expect(card).toContain('## Training data');
    expect(card).toContain('data.csv');
  });

  it('predicts exactly as the trained folder', async () => {
    for (const t of TEXTS) expect(await predictJson(out, t)).toEqual(await predictJson(bertRun, t));
  }, 60_000);

  it('finetune train --out already wrote the same model card', () => {
    expect(readFileSync(join(bertRun, 'README.md'), 'utf8')).toContain('## Evaluation');
  });
});

describe('finetune export --format onnx', () => {
  for (const [name, run] of [
    ['BERT', bertRun],
    ['USE-Lite', useRun],
  ] as const) {
    it(`${name}: onnxruntime's logits give the engine's scores, and the folder imports back with the same predictions`, async () => {
      const out = join(dir, `${name}-onnx`);
      const r = await runCli(['export', '--model', run, '--format', 'onnx', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(out, 'onnx', 'model.onnx'))).toBe(true);
      expect(existsSync(join(out, 'model.safetensors'))).toBe(false);
      const session = await ort.InferenceSession.create(join(out, 'onnx', 'model.onnx'));
      const tokenizer = name === 'BERT' ? await loadHfTokenizer(fsSource(out)) : null;
      for (const t of TEXTS) {
        const engine = await predictJson(run, t);
        if (tokenizer) {
          const ids = tokenizer.encode(t, undefined, { maxLength: 16 }).ids;
          const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);
          const feeds = { input_ids: i64(ids), attention_mask: i64(ids.map(() => 1)), token_type_ids: i64(ids.map(() => 0)) };
          const logits = [...((await session.run(feeds)).logits.data as Float32Array)];
          const z = logits.map((v) => Math.exp(v - Math.max(...logits)));
          const probs = z.map((v) => v / z.reduce((a, b) => a + b, 0));
          // id2label order is negative, positive: the sorted label order too
          probs.forEach((p, k) => expect(Math.abs(p - scoresOf(engine)[k])).toBeLessThan(1e-4));
        }
        const back = await predictJson(out, t);
        expect(back.label).toBe(engine.label);
        scoresOf(back).forEach((p, k) => expect(Math.abs(p - scoresOf(engine)[k])).toBeLessThan(1e-5));
      }
      const card = readFileSync(join(out, 'README.md'), 'utf8');
      expect(card).toContain('onnx/model.onnx');
      if (name === 'USE-Lite') expect(card).not.toMatch(/^library_name:/m);
    }, 120_000);
  }
});

describe('finetune export --format recipe', () => {
  it("writes the run's split CSVs and a train.py whose CONFIG is the run's", async () => {
    const out = join(dir, 'bert-recipe');
    const r = await runCli(['export', '--model', bertRun, '--format', 'recipe', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(readFileSync(join(bertRun, 'run.json'), 'utf8'));
    const count = (f: string) =>
      readFileSync(join(out, 'data', f), 'utf8')
        .trim()
        .split('\n').length - 1;
    expect(count('train.csv')).toBe(run.trainExamples);
    expect(count('validation.csv')).toBe(run.validationExamples);
    const printed = execFileSync('python3', [join(out, 'train.py'), '--print-config'], { encoding: 'utf8' });
    const cfg = JSON.parse(printed);
    expect(cfg).toMatchObject({ learning_rate: run.run.learningRate, epochs: run.run.epochs, labels: ['negative', 'positive'] });
  }, 120_000);
});

describe('finetune export refuses, and writes nothing', () => {
  it('an existing --out without --force (exit 2); with --force it is replaced', async () => {
    const out = join(dir, 'exists');
    cpSync(join(dir, 'bert-hf'), out, { recursive: true });
    writeFileSync(join(out, 'mine.txt'), 'keep me');
    const r = await runCli(['export', '--model', bertRun, '--format', 'hf', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists/);
    expect(readFileSync(join(out, 'mine.txt'), 'utf8')).toBe('keep me');
    const forced = await runCli(['export', '--model', bertRun, '--format', 'hf', '--out', out, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(existsSync(join(out, 'mine.txt'))).toBe(false);
  }, 120_000);

  const broken: [string, (d: string) => void, RegExp][] = [
    [
      'a safetensors header that lies about its size',
      (d) => {
        const b = readFileSync(join(d, 'model.safetensors'));
        b.writeBigUInt64LE(BigInt(b.length * 4), 0);
        writeFileSync(join(d, 'model.safetensors'), b);
      },
      /model\.safetensors/,
    ],
    ['a folder without config.json', (d) => writeFileSync(join(d, 'config.json'), ''), /config\.json/],
    [
      'a config whose shapes do not match the weights',
      (d) => {
        const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
        writeFileSync(join(d, 'config.json'), JSON.stringify({ ...c, hidden_size: c.hidden_size * 2 }));
      },
      /shape/,
    ],
  ];
  for (const [what, damage, message] of broken) {
    it(`${what}: exit 2 naming the file, no --out`, async () => {
      const model = join(dir, `broken-${what.length}`);
      cpSync(bertRun, model, { recursive: true });
      damage(model);
      const out = join(dir, `out-${what.length}`);
      const r = await runCli(['export', '--model', model, '--format', 'onnx', '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);
    }, 60_000);
  }
});
