// Option parsing: every problem is a UserError naming the option; modes and training options map to the engine's config.
import { describe, expect, it } from 'vitest';
import { UserError } from '@/lib/errors';
import { parseArgs, type CommandSpec } from '@/cli/args';
import { hubEndpointFrom, parseMode, runConfigFrom } from '@/cli/options';
import { modeOf as modeOfCfg, trainConfigOf } from '@/lib/run/engine-config';
import { TRAIN } from '@/cli/commands/specs';
import { heldOutShare } from '@/cli/train/inputs';
import { presetConfig } from '@/lib/run/config';
import { cliCommand } from '@/lib/run/config-text';
import { FIELDS } from '@/lib/run/fields';

const spec: CommandSpec = {
  name: 'demo',
  summary: '',
  usage: '',
  options: [
    { name: 'data', type: 'string', required: true, help: 'file' },
    { name: 'epochs', type: 'int', min: 1, max: 100, help: 'n' },
    { name: 'lr', type: 'number', help: 'lr' },
    { name: 'flag', type: 'boolean', help: 'f' },
    { name: 'task', type: 'string', choices: ['a', 'b'], help: 't' },
  ],
};

function userError(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error('expected a UserError');
}

describe('parseArgs', () => {
  it('reads --name value, --name=value and bare boolean flags', () => {
    expect(parseArgs(spec, ['--data', 'a.csv', '--epochs=3', '--lr', '2e-5', '--flag', '--task', 'b'])).toEqual({
      data: 'a.csv',
      epochs: 3,
      lr: 2e-5,
      flag: true,
      task: 'b',
    });
  });

  it('names the option in every error', () => {
    expect(userError(() => parseArgs(spec, ['--data', 'x', '--epochs', '2.5'])).where.option).toBe('--epochs');
    expect(userError(() => parseArgs(spec, ['--data', 'x', '--epochs', '0'])).message).toContain('below the minimum 1');
    expect(userError(() => parseArgs(spec, ['--data', 'x', '--epochs', '101'])).message).toBe('--epochs 101 is over 100');
    expect(parseArgs(spec, ['--data', 'x', '--epochs', '100']).epochs).toBe(100);
    expect(userError(() => parseArgs(spec, ['--data', 'x', '--task', 'c'])).message).toContain('not one of a, b');
    expect(userError(() => parseArgs(spec, ['--data'])).where.option).toBe('--data');
    expect(userError(() => parseArgs(spec, ['--epochs', '2'])).message).toBe('missing required option --data');
    expect(userError(() => parseArgs(spec, ['--data', 'x', '--data', 'y'])).message).toContain('given twice');
    const unknown = userError(() => parseArgs(spec, ['--data', 'x', '--epoch', '2']));
    expect(unknown.where.option).toBe('--epoch');
    expect(unknown.fix).toContain('did you mean --epochs');
  });
});

describe('training options → engine', () => {
  it('parses --mode full, head, freeze:N and lora:R (with alpha and targets)', () => {
    expect(parseMode('full', {})).toEqual({ kind: 'full' });
    expect(parseMode('head', {})).toEqual({ kind: 'head' });
    expect(parseMode('freeze:1', {})).toEqual({ kind: 'freeze', layers: 1 });
    expect(parseMode('lora:8', { 'lora-alpha': 32, 'lora-targets': 'query,value,ffn' })).toEqual({
      kind: 'lora',
      rank: 8,
      alpha: 32,
      dropout: 0.05,
      targets: ['query', 'value', 'ffn'],
    });
    expect(userError(() => parseMode('lora', {})).where.option).toBe('--mode');
    expect(userError(() => parseMode('partial', {})).message).toContain('unknown mode');
  });

  it('maps explicit flags onto the run settings, one field each, over the recipe; --warmup < 1 is a ratio, else steps', () => {
    const o = parseArgs(TRAIN, [
      '--data',
      'd.csv',
      '--out',
      'o',
      '--epochs',
      '4',
      '--batch-size',
      '16',
      '--lr',
      '3e-5',
      '--head-lr-multiplier',
      '20',
      '--head-first-epochs',
      '3',
      '--mode',
      'full',
      '--ema-decay',
      '0.999',
      '--weight-decay',
      '0.1',
      '--warmup',
      '0.1',
      '--grad-clip',
      '0.5',
      '--grad-accumulation',
      '2',
      '--label-smoothing',
      '0.05',
      '--early-stopping',
      '2',
      '--eval-every',
      '50',
      '--seed',
      '7',
      '--schedule',
      'cosine',
      '--class-weights',
    ]);
    const c = runConfigFrom(o, { task: 'classification', trainRows: 1000 });
    expect(c.preset).toBeUndefined();
    expect(c.headFirstEpochs).toBe(3);
    expect(trainConfigOf(c, { train: 1000, validation: 100 })).toMatchObject({
      epochs: 4,
      batchSize: 16,
      learningRate: 3e-5,
      headLrMultiplier: 20,
      emaDecay: 0.999,
      weightDecay: 0.1,
      schedule: 'cosine',
      maxGradNorm: 0.5,
      gradAccumSteps: 2,
      labelSmoothing: 0.05,
      seed: 7,
      warmupRatio: 0.1,
      evalEverySteps: 50,
      classWeights: 'balanced',
      earlyStopping: { metric: 'macroF1', patience: 2, minDelta: 0 },
    });
    // under 50 validation rows a run neither stops early nor restores its best evaluation: the whole run, its last weights
    const few = trainConfigOf(c, { train: 1000, validation: 49 });
    expect(few.earlyStopping).toBeUndefined();
    expect(few.restoreBest).toBe(false);
    expect(few.keepBest).toBe(false); // nor writes a best checkpoint
    const fewHead = trainConfigOf(runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--preset', 'quick']), {}), {
      train: 80,
      validation: 10,
    });
    expect([fewHead.keepBest, fewHead.checkpointEverySteps, fewHead.checkpointEveryEpoch]).toEqual([false, 1000, false]);
    // head only writes a better evaluation at most every 10 s (its epochs take a fraction of a second); full at once
    expect(fewHead.bestCheckpointEverySec).toBe(10);
    expect(trainConfigOf(c, { train: 1000, validation: 50 }).bestCheckpointEverySec).toBeUndefined();
    expect(trainConfigOf(c, { train: 1000, validation: 50 }).restoreBest).toBeUndefined(); // the engine's default: on
    expect(
      trainConfigOf(runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--warmup', '100']), {}), { train: 100, validation: 100 }),
    ).toMatchObject({
      warmupSteps: 100,
    });
    expect(runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--label-all-subwords']), {}).labelAllSubwords).toBe(true);
    expect(runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o']), {}).labelAllSubwords).toBeUndefined();
    // head first needs an encoder that trains: a one-line error naming the option in head-only and LoRA modes
    for (const mode of [
      ['--preset', 'quick'],
      ['--mode', 'lora:8'],
    ]) {
      const e = userError(() => runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', ...mode, '--head-first-epochs', '2']), {}));
      expect(e.where.option).toBe('--head-first-epochs');
      expect(e.message).toMatch(/^--head-first-epochs trains the head alone before the encoder trains, which the (head-only|LoRA) mode/);
    }
    expect(
      runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--mode', 'freeze:2', '--head-first-epochs', '2']), {}),
    ).toMatchObject({
      mode: 'freeze',
      headFirstEpochs: 2,
    });
    // contrastive pairs come before a head-only run's head: a one-line error naming the option where the encoder trains
    for (const mode of ['full', 'lora:8', 'freeze:2']) {
      const e = userError(() =>
        runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--mode', mode, '--contrastive-rounds', '5']), {}),
      );
      expect(e.where.option).toBe('--contrastive-rounds');
      expect(e.message).toMatch(
        /^--contrastive-rounds tunes the encoder on pairs before a head-only run's head trains, and the (full|lora|freeze) mode/,
      );
    }
    expect(
      runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--preset', 'quick', '--contrastive-rounds', '5']), {}),
    ).toMatchObject({
      mode: 'head',
      contrastiveRounds: 5,
    });
  });

  it('without options trains with the Balanced recipe of the model; --preset and --mode pick another recipe', () => {
    const facts = {
      arch: 'use-lite',
      task: 'classification' as const,
      trainRows: 6920,
      labelCounts: [3310, 3610],
      tokenLengths: { p95: 40, max: 91 },
    };
    const c = runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o']), facts);
    expect(c).toMatchObject({
      preset: 'balanced',
      mode: 'full',
      learningRate: 3e-4,
      headLrMultiplier: 10,
      epochs: 5,
      maxLength: 96,
      emaDecay: 0.995,
      labelSmoothing: 0.1,
    });
    expect(runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--preset', 'quick']), facts)).toMatchObject({
      preset: 'quick',
      mode: 'head',
    });
    expect(runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--preset', 'best']), facts)).toMatchObject({
      preset: 'best',
      mode: 'full',
      epochs: 6,
    });
    const lora = runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--mode', 'lora:4']), facts);
    expect(lora).toMatchObject({ mode: 'lora', loraRank: 4, loraAlpha: 8, learningRate: 5e-4 });
    expect(userError(() => parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--preset', 'fast'])).where.option).toBe('--preset');
    // a mode that contradicts the preset named on the command line is a one-line error naming --mode
    const conflict = userError(() =>
      runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--preset', 'quick', '--mode', 'full']), facts),
    );
    expect(conflict.where.option).toBe('--mode');
    expect(conflict.message).toMatch(/conflicts with --preset quick/);
    expect(
      userError(() => runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--preset', 'best', '--mode', 'head']), facts)).where
        .option,
    ).toBe('--mode');
    expect(runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--mode', 'head']), facts)).toMatchObject({
      mode: 'head',
      learningRate: 3e-3,
    });
  });

  it("the studio's command line trains exactly what the studio trains (every preset, mode and task)", () => {
    const facts = {
      arch: 'use-lite',
      task: 'classification' as const,
      trainRows: 2000,
      labelCounts: [100, 1900],
      tokenLengths: { p95: 30, max: 300 },
    };
    // big data: the recipes stop part-way through one epoch (max steps) or, head only, sample the rows
    const big = { ...facts, trainRows: 120_000, labelCounts: [20_000, 100_000] };
    const other = { arch: 'bert', hiddenSize: 128, task: 'classification' as const, trainRows: 50, labelCounts: [25, 25] };
    for (const [p, f] of [
      ...(['quick', 'balanced', 'best'] as const).map((p) => [p, facts] as const),
      ...(['quick', 'balanced'] as const).map((p) => [p, big] as const),
    ]) {
      for (const mode of [undefined, 'lora', 'freeze'] as const) {
        const studio = {
          ...presetConfig(p, 'ds', { kind: 'bundled' }, f, mode),
          ...(mode === 'freeze' ? { freezeLayers: 1, headFirstEpochs: 5 } : {}),
          seed: 3,
        };
        const argv = cliCommand(studio, { file: 'd.csv', textColumn: 't', labelColumn: 'l' })
          .split(/\s+\\?\s*/)
          .filter((w) => w && w !== '\\')
          .slice(3);
        const cli = runConfigFrom(parseArgs(TRAIN, argv), other);
        expect(trainConfigOf(cli, { train: 2000, validation: 200 })).toEqual(trainConfigOf(studio, { train: 2000, validation: 200 }));
        expect(modeOfCfg(cli)).toEqual(modeOfCfg(studio));
        expect(cli.maxLength).toBe(studio.maxLength);
        expect(cli.dropout).toBe(studio.dropout);
        expect(cli.headFirstEpochs).toBe(studio.headFirstEpochs);
        expect(cli.maxTrainRows).toBe(studio.maxTrainRows);
        if (f === big) expect(studio.maxSteps ?? studio.maxTrainRows).toBeGreaterThan(0);
      }
    }
  });

  it('big data: the default held-out share keeps at most 5,000 rows (20 a label where more); a --val-split given is kept', () => {
    expect(heldOutShare(120_000, 2, 0.1, false)).toEqual({ share: 5000 / 120_000, cap: 5000 });
    expect(heldOutShare(120_000, 2, 0.1, true)).toEqual({ share: 0.1, cap: null });
    expect(heldOutShare(50_000, 2, 0.1, false)).toEqual({ share: 0.1, cap: null });
    expect(heldOutShare(200_000, 300, 0.1, false)).toEqual({ share: 6000 / 200_000, cap: 6000 });
    // the split keeps exactly the cap: quotas per label sum to round(rows × share)
    expect(Math.round(120_000 * heldOutShare(120_000, 2, 0.1, false).share)).toBe(5000);
  });

  it('big data: the recipe stops part-way through one epoch unless epochs are given by hand; --max-train-rows samples', () => {
    const big = { arch: 'use-lite', task: 'classification' as const, trainRows: 120_000, labelCounts: [60_000, 60_000] };
    const args = (...a: string[]) => runConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', ...a]), big);
    expect(args()).toMatchObject({ epochs: 1, maxSteps: 1100, evalEverySteps: 550 });
    expect(args('--epochs', '2').maxSteps).toBeUndefined();
    expect(args('--epochs', '2', '--max-steps', '700')).toMatchObject({ epochs: 2, maxSteps: 700 });
    expect(args('--max-train-rows', '5000').maxTrainRows).toBe(5000);
    expect(args('--preset', 'quick').maxTrainRows).toBe(20_000);
    expect(userError(() => args('--max-train-rows', '0')).where.option).toBe('--max-train-rows');
  });

  it('reads --hub-endpoint as an http(s) address and rejects anything else naming the option', () => {
    expect(hubEndpointFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--hub-endpoint', 'https://hf-mirror.example.org']))).toBe(
      'https://hf-mirror.example.org',
    );
    expect(hubEndpointFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o']))).toBeUndefined();
    for (const bad of ['hf-mirror.example.org', 'ftp://mirror.example.org']) {
      const e = userError(() => hubEndpointFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--hub-endpoint', bad])));
      expect(e.where.option).toBe('--hub-endpoint');
      expect(e.message).toContain(bad);
    }
  });

  it('accepts every flag the studio writes in its "same run from the command line" text', () => {
    const names = new Set(TRAIN.options.map((o) => `--${o.name}`));
    const emitted = [
      ...FIELDS.map((f) => f.cli).filter(Boolean),
      '--preset',
      '--data',
      '--text-column',
      '--text-pair-column',
      '--label-column',
      '--task',
      '--model',
      '--hub-endpoint',
      '--revision',
      '--mode',
      '--schedule',
      '--class-weights',
      '--out',
    ];
    expect(emitted.filter((f) => !names.has(f))).toEqual([]);
  });
});
