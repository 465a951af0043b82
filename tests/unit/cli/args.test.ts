// Option parsing: every problem is a UserError naming the option; modes and training options map to the engine's config.
import { describe, expect, it } from 'vitest';
import { UserError } from '@/lib/errors';
import { parseArgs, type CommandSpec } from '@/cli/args';
import { hubEndpointFrom, parseMode, trainConfigFrom } from '@/cli/options';
import { TRAIN } from '@/cli/commands/specs';
import { FIELDS } from '@/lib/session/config';

const spec: CommandSpec = {
  name: 'demo',
  summary: '',
  usage: '',
  options: [
    { name: 'data', type: 'string', required: true, help: 'file' },
    { name: 'epochs', type: 'int', min: 1, help: 'n' },
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
    expect(parseArgs(spec, ['--data', 'a.csv', '--epochs=3', '--lr', '2e-5', '--flag', '--task', 'b'])).toEqual({ data: 'a.csv', epochs: 3, lr: 2e-5, flag: true, task: 'b' });
  });

  it('names the option in every error', () => {
    expect(userError(() => parseArgs(spec, ['--data', 'x', '--epochs', '2.5'])).where.option).toBe('--epochs');
    expect(userError(() => parseArgs(spec, ['--data', 'x', '--epochs', '0'])).message).toContain('below the minimum 1');
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
    expect(parseMode('lora:8', { 'lora-alpha': 32, 'lora-targets': 'query,value,ffn' })).toEqual({ kind: 'lora', rank: 8, alpha: 32, dropout: 0.05, targets: ['query', 'value', 'ffn'] });
    expect(userError(() => parseMode('lora', {})).where.option).toBe('--mode');
    expect(userError(() => parseMode('partial', {})).message).toContain('unknown mode');
  });

  it('maps the flags the studio\'s "copy as command" emits onto TrainConfig; --warmup < 1 is a ratio, else steps', () => {
    const o = parseArgs(TRAIN, ['--data', 'd.csv', '--out', 'o', '--epochs', '4', '--batch-size', '16', '--lr', '3e-5', '--head-lr-multiplier', '20', '--ema-decay', '0.999', '--weight-decay', '0.1', '--warmup', '0.1', '--grad-clip', '0.5', '--grad-accumulation', '2', '--label-smoothing', '0.05', '--early-stopping', '2', '--eval-every', '50', '--seed', '7', '--schedule', 'cosine', '--class-weights']);
    expect(trainConfigFrom(o)).toEqual({
      epochs: 4, batchSize: 16, learningRate: 3e-5, headLrMultiplier: 20, emaDecay: 0.999, weightDecay: 0.1, schedule: 'cosine', optimizer: 'adamw', maxGradNorm: 0.5, gradAccumSteps: 2,
      labelSmoothing: 0.05, seed: 7, warmupRatio: 0.1, evalEverySteps: 50, classWeights: 'balanced', earlyStopping: { metric: 'macroF1', patience: 2, minDelta: 0 },
    });
    expect(trainConfigFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--warmup', '100']))).toMatchObject({ warmupSteps: 100 });
  });

  it('reads --hub-endpoint as an http(s) address and rejects anything else naming the option', () => {
    expect(hubEndpointFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--hub-endpoint', 'https://hf-mirror.example.org']))).toBe('https://hf-mirror.example.org');
    expect(hubEndpointFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o']))).toBeUndefined();
    for (const bad of ['hf-mirror.example.org', 'ftp://mirror.example.org']) {
      const e = userError(() => hubEndpointFrom(parseArgs(TRAIN, ['--data', 'd', '--out', 'o', '--hub-endpoint', bad])));
      expect(e.where.option).toBe('--hub-endpoint');
      expect(e.message).toContain(bad);
    }
  });

  it('accepts every flag the studio writes in its "same run from the command line" text', () => {
    const names = new Set(TRAIN.options.map((o) => `--${o.name}`));
    const emitted = [...FIELDS.map((f) => f.cli).filter(Boolean), '--data', '--text-column', '--text-pair-column', '--label-column', '--task', '--model', '--hub-endpoint', '--revision', '--mode', '--schedule', '--class-weights', '--out'];
    expect(emitted.filter((f) => !names.has(f))).toEqual([]);
  });
});
