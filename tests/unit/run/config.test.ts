import { describe, expect, it } from 'vitest';
import { UserError } from '@/lib/errors';
import { PRESETS, autoRunName, cloneConfig, completeConfig, presetConfig, type PresetName } from '@/lib/run/config';
import { cliCommand, diffConfigs } from '@/lib/run/config-text';
import { FIELDS, validateConfig } from '@/lib/run/fields';
import { expandSweep, parseList } from '@/lib/session/sweep';
import { csvCell, neutralise, toCsv } from '@/lib/session/csv';

describe('run configuration', () => {
  it('names the preset it comes from, with and without data facts', () => {
    const facts = {
      arch: 'use-lite',
      task: 'classification' as const,
      trainRows: 3000,
      labelCounts: [1500, 1500],
      tokenLengths: { p95: 20, max: 40 },
    };
    for (const p of Object.keys(PRESETS) as PresetName[]) {
      expect(presetConfig(p).preset).toBe(p);
      expect(presetConfig(p, 'ds-1', { kind: 'bundled' }, facts).preset).toBe(p);
    }
  });

  it('names a run after its settings, with a number when a run of that name exists', () => {
    const q = presetConfig('quick', 'ds');
    expect(q.name).toBe('');
    expect(autoRunName(q, [])).toBe('Quick · head only · USE-Lite');
    expect(autoRunName(q, ['Quick · head only · USE-Lite'])).toBe('Quick · head only · USE-Lite #2');
    expect(autoRunName(q, ['Quick · head only · USE-Lite', 'Quick · head only · USE-Lite #2'])).toBe('Quick · head only · USE-Lite #3');
    const custom = {
      ...presetConfig('balanced', 'ds', { kind: 'hub', id: 'google/bert_uncased_L-2_H-128_A-2' }),
      preset: undefined,
      mode: 'lora' as const,
    };
    expect(autoRunName(custom, [])).toBe('Custom · LoRA · bert_uncased_L-2_H-128_A-2');
  });

  it('Quick trains the head only; Balanced and Best quality fine-tune the whole encoder', () => {
    expect(presetConfig('quick').mode).toBe('head');
    expect(presetConfig('balanced').mode).toBe('full');
    expect(presetConfig('best').mode).toBe('full');
    expect(presetConfig('best').earlyStoppingPatience).toBeGreaterThan(0);
  });

  it('explains every numeric field in one sentence with a range, and every preset value lies in it', () => {
    for (const f of FIELDS) {
      expect(f.help.length).toBeGreaterThan(20);
      for (const p of Object.keys(PRESETS) as PresetName[]) {
        const v = presetConfig(p)[f.key];
        expect(v, `${p}.${f.key}`).toBeGreaterThanOrEqual(f.min);
        expect(v, `${p}.${f.key}`).toBeLessThanOrEqual(f.max);
      }
    }
  });

  it('round-trips through JSON and rejects out-of-range values naming the option', () => {
    const c = presetConfig('balanced', 'ds-1');
    expect(validateConfig(JSON.parse(JSON.stringify(c)))).toEqual(c);
    const bad = () => validateConfig({ ...c, batchSize: 0 }, 'cfg.json');
    expect(bad).toThrow(UserError);
    try {
      bad();
    } catch (e) {
      expect((e as UserError).where).toEqual({ file: 'cfg.json', option: 'batchSize' });
    }
    expect(() => validateConfig({ ...c, epochs: 2.5 })).toThrow(/whole number/);
    expect(() => validateConfig({ ...c, mode: 'freeze', freezeLayers: 0 })).toThrow(/at least one frozen layer/);
    expect(() => validateConfig('nope')).toThrow(/not a JSON object/);
    // big data's limits: whole numbers from 1, or absent
    const big = presetConfig('balanced', 'ds-1', { kind: 'bundled' }, { trainRows: 120_000, labelCounts: [60_000, 60_000] });
    expect(validateConfig(JSON.parse(JSON.stringify(big)))).toEqual(big);
    expect(big.maxSteps).toBe(1100);
    expect(() => validateConfig({ ...c, maxSteps: 0 })).toThrow(/Max steps must be a whole number/);
    expect(() => validateConfig({ ...c, maxTrainRows: 2.5 })).toThrow(/Max training rows must be a whole number/);
  });

  it('writes the equivalent finetune command with the mode, model and every setting', () => {
    const c = {
      ...presetConfig('balanced', 'ds-1', { kind: 'hub', id: 'google/bert_uncased_L-2_H-128_A-2' }, { arch: 'bert', hiddenSize: 128 }),
      name: 'My run',
      mode: 'lora' as const,
      loraRank: 4,
    };
    const cmd = cliCommand(c, { file: 'reviews.csv', textColumn: 'review text', labelColumn: 'label' });
    expect(cmd).toContain("--text-column 'review text'");
    expect(cmd).toContain('--model google/bert_uncased_L-2_H-128_A-2');
    expect(cmd).toContain('--mode lora:4');
    expect(cmd).toContain('--lr 0.0003');
    expect(cmd).toContain('--out ./runs/my-run');
    expect(cliCommand(presetConfig('quick'), { file: 'd.csv', textColumn: 't', labelColumn: 'l' })).toContain('--model use-lite');
    expect(cmd).not.toContain('--hub-endpoint');
    expect(cmd).toContain('--class-weights=false');
    expect(cliCommand({ ...c, emaDecay: 0.999 }, { file: 'd.csv', textColumn: 't', labelColumn: 'l' })).toContain('--ema-decay 0.999');
    expect(cliCommand({ ...c, headLrMultiplier: 20 }, { file: 'd.csv', textColumn: 't', labelColumn: 'l' })).toContain(
      '--head-lr-multiplier 20',
    );
    // head-only mode has no encoder rate to multiply: the option is not shown nor written
    expect(
      cliCommand({ ...presetConfig('quick'), headLrMultiplier: 20 }, { file: 'd.csv', textColumn: 't', labelColumn: 'l' }),
    ).not.toContain('--head-lr-multiplier');
    // named entities: the tags column and --task ner, never --label-column
    const ner = cliCommand(c, { file: 'wnut.conll', textColumn: 'tokens', labelColumn: 'tags', ner: true });
    expect(ner).toContain('--tags-column tags');
    expect(ner).toContain('--task ner');
    expect(ner).not.toContain('--label-column');
    expect(ner).not.toContain('--label-all-subwords');
    const all = cliCommand({ ...c, labelAllSubwords: true }, { file: 'wnut.conll', textColumn: 'tokens', labelColumn: 'tags', ner: true });
    expect(all).toContain('--label-all-subwords');
  });

  it("Clone & tweak of a tune's trial takes its settings but not the stop the tune gave it", () => {
    const trial = { ...presetConfig('balanced', 'ds'), name: 'Tune · trial 2 · 2 ep', stopAfter: { epochs: 2 } };
    const copy = cloneConfig(trial, 'Tune · trial 2 · 2 ep (copy)');
    expect(copy.stopAfter).toBeUndefined();
    expect(copy).toEqual({ ...presetConfig('balanced', 'ds'), name: 'Tune · trial 2 · 2 ep (copy)' });
  });

  it('fills settings added since a config was saved with their defaults', () => {
    const old = { ...presetConfig('balanced', 'ds') } as Partial<ReturnType<typeof presetConfig>>;
    delete old.headLrMultiplier;
    delete old.emaDecay;
    expect(validateConfig(old).headLrMultiplier).toBe(1);
    expect(completeConfig(old).headLrMultiplier).toBe(1);
    expect(validateConfig(old).emaDecay).toBe(0);
  });

  it('writes --hub-endpoint after --model when the Hub model comes from a custom endpoint', () => {
    const model = { kind: 'hub' as const, id: 'google/bert_uncased_L-2_H-128_A-2', endpoint: 'https://hf-mirror.example.org/base path' };
    const cmd = cliCommand(presetConfig('balanced', 'ds-1', model), { file: 'd.csv', textColumn: 't', labelColumn: 'l' });
    expect(cmd).toContain(
      "--model google/bert_uncased_L-2_H-128_A-2 \\\n  --hub-endpoint 'https://hf-mirror.example.org/base path' \\\n  --mode full",
    );
  });

  it('writes --revision for a Hub model pinned to another branch, tag or commit (not for main)', () => {
    const pinned = { kind: 'hub' as const, id: 'google/bert_uncased_L-2_H-128_A-2', revision: '8e4c1d1' };
    expect(cliCommand(presetConfig('balanced', 'ds-1', pinned), { file: 'd.csv', textColumn: 't', labelColumn: 'l' })).toContain(
      '--model google/bert_uncased_L-2_H-128_A-2 \\\n  --revision 8e4c1d1 \\\n  --mode full',
    );
    const main = { kind: 'hub' as const, id: 'google/bert_uncased_L-2_H-128_A-2', revision: 'main' };
    expect(cliCommand(presetConfig('balanced', 'ds-1', main), { file: 'd.csv', textColumn: 't', labelColumn: 'l' })).not.toContain(
      '--revision',
    );
  });

  it('diffs configs row by row and flags only the settings that differ', () => {
    const a = presetConfig('quick', 'ds');
    const rows = diffConfigs([a, { ...a, learningRate: 0.01 }]);
    expect(rows.filter((r) => r.differs).map((r) => r.key)).toEqual(['learningRate']);
    expect(rows.find((r) => r.key === 'learningRate')?.values).toEqual([String(a.learningRate), '0.01']);
    expect(rows[0].key).toBe('learningRate'); // differences first
    expect(rows[0].label).toBe('Learning rate');
    expect(rows.find((r) => r.key === 'model')?.values).toEqual(['USE-Lite (bundled)', 'USE-Lite (bundled)']);
    expect(rows.some((r) => r.key.startsWith('lora') || r.key === 'datasetId' || r.key === 'recipe')).toBe(false); // no LoRA run, no ids
    const lora = diffConfigs([a, { ...a, mode: 'lora' }]);
    expect(lora.find((r) => r.key === 'mode')?.values).toEqual(['head only', 'LoRA']);
    expect(lora.some((r) => r.key === 'loraRank')).toBe(true);
  });
});

describe('sweeps', () => {
  const base = presetConfig('quick', 'ds');
  const spec = {
    strategy: 'grid' as const,
    learningRate: [1e-3, 3e-3],
    batchSize: [16, 32],
    epochs: [2],
    mode: ['head' as const, 'full' as const],
    trials: 3,
    seed: 1,
  };

  it('expands a grid into every combination', () => {
    const runs = expandSweep(base, spec);
    expect(runs).toHaveLength(8);
    expect(new Set(runs.map((r) => `${r.learningRate}/${r.batchSize}/${r.mode}`)).size).toBe(8);
  });

  it("keeps a big-data recipe's stop within one epoch where the epochs are the base's, and trains other epochs whole", () => {
    const big = presetConfig('balanced', 'ds', { kind: 'bundled' }, { trainRows: 120_000, labelCounts: [60_000, 60_000] });
    const runs = expandSweep(big, { ...spec, epochs: [big.epochs, 2], mode: ['full' as const] });
    expect(runs.map((r) => [r.epochs, r.maxSteps])).toEqual([
      [1, 1100],
      [2, undefined],
      [1, 1100],
      [2, undefined],
      [1, 1100],
      [2, undefined],
      [1, 1100],
      [2, undefined],
    ]);
  });

  it('draws a reproducible random subset of distinct combinations', () => {
    const a = expandSweep(base, { ...spec, strategy: 'random' });
    const b = expandSweep(base, { ...spec, strategy: 'random' });
    expect(a).toHaveLength(3);
    expect(a).toEqual(b);
    expect(new Set(a.map((r) => r.name)).size).toBe(3);
  });

  it('parses value lists and names the option of a bad value', () => {
    expect(parseList('1e-5, 3e-5 5e-5', 'learning rates')).toEqual([1e-5, 3e-5, 5e-5]);
    expect(() => parseList('1e-5, fast', 'learning rates')).toThrow(/"fast" is not a positive number/);
  });
});

describe('CSV downloads', () => {
  it('neutralises cells a spreadsheet would run as formulas', () => {
    for (const s of ['=SUM(A1)', '+1', '-2', '@cmd', '\t=x']) expect(neutralise(s).startsWith("'")).toBe(true);
    expect(neutralise('plain text')).toBe('plain text');
  });

  it('quotes commas, quotes and newlines, and leaves numbers alone', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(toCsv(['text', 'p'], [['=1+1', 0.25]])).toBe("text,p\r\n'=1+1,0.25\r\n");
  });
});
