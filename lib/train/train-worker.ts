// The worker side of a training thread (lib/train/train-pool.ts is the calling side): opens its replica of the model,
// then, one message at a time and in order, answers shards with their gradients, repeats the calling thread's optimizer
// steps (and weight average) so the replica stays bit-identical, and computes its share of the validation batches.
// For the contrastive pairs phase the replica's encoder trains instead (begin with `pairs`), on shards of pairs.
import * as tf from '@tensorflow/tfjs';
import { backendMemoryBytes } from '@/lib/backend/fast-paths';
import { openReplica } from './replica';
import { buffers, Spares, tokenRows, toWire, WireUnpacker, type FromTrainWorker, type ToTrainWorker } from './grad-wire';
import { makeTensorBatch } from './batching';
import { WeightAverage } from './ema';
import { batchLogits, type BatchLogits } from './evaluate';
import { AdamOptimizer } from './optimizer';
import type { TrainWorkerSetup } from './pool-port';
import { shardGradients } from './shards';
import { pairParams, pairShardGradients } from './contrastive';

export async function serveTrainWorker(
  setup: TrainWorkerSetup,
  port: { post(m: FromTrainWorker, transfer?: ArrayBuffer[]): void; listen(onMessage: (m: ToTrainWorker) => void): void },
): Promise<void> {
  try {
    const model = await openReplica(setup, setup.mode, setup.classifierDropout);
    let run: Extract<ToTrainWorker, { type: 'begin' }> | null = null;
    let vars: tf.Variable[] = [];
    let optimizer: AdamOptimizer | null = null;
    let ema: WeightAverage | null = null;
    const unpack = new WireUnpacker();
    // the summed gradients' arrays, which carry this thread's next gradients back (see Spares)
    const spares = new Spares();
    const handle = async (m: ToTrainWorker) => {
      if (m.type === 'begin') {
        const trainable = m.pairs ? pairParams(model, true) : model.trainable();
        const missing = m.names.filter((n) => !trainable.has(n));
        if (missing.length || trainable.size !== m.names.length)
          throw new Error(`the replica's trainable parameters differ (${missing[0] ?? `${trainable.size} vs ${m.names.length}`})`);
        run = m;
        unpack.dispose();
        vars = m.names.map((n) => trainable.get(n)!);
        vars.forEach((v, j) => tf.tidy(() => v.assign(tf.tensor(m.weights[j], v.shape, 'float32'))));
        optimizer?.dispose();
        optimizer = new AdamOptimizer(new Map(m.names.map((n, j) => [n, vars[j]])), m.optimizer);
        optimizer.setState(m.optimizerState);
        ema?.dispose();
        ema = m.emaDecay > 0 ? new WeightAverage(new Map(m.names.map((n, j) => [n, vars[j]])), m.emaDecay) : null;
        if (ema && m.emaState) ema.setState(m.emaState);
      } else if (m.type === 'apply') {
        if (!run || !optimizer) throw new Error('an optimizer step arrived before the run began');
        const named: Record<string, tf.Tensor> = {};
        const grads = unpack.take(
          m.grads,
          vars.map((v) => [...v.shape]),
        );
        spares.keep(m.grads);
        run.names.forEach((n, j) => (named[n] = grads[j]));
        optimizer.apply(named, m.lr, m.scale);
        tf.dispose(grads.filter((g) => !unpack.kept(g)));
        ema?.update(optimizer.step);
      } else if (m.type === 'logits') {
        if (!run) throw new Error('validation batches arrived before the run began');
        const examples = run.validation;
        const pad = run.pad;
        // the same forward as the calling thread's evaluation, on the weight average when it evaluates one
        if (m.average) ema?.swap();
        try {
          const results: BatchLogits[] = [];
          for (const idx of m.batches)
            results.push(await batchLogits(() => model.forward(makeTensorBatch(examples, idx, pad), { training: false })));
          port.post(
            { type: 'logits', id: m.id, results },
            results.map((r) => r.data.buffer as ArrayBuffer),
          );
        } finally {
          if (m.average) ema?.swap();
        }
      } else {
        if (!run) throw new Error('a shard arrived before the run began');
        const { value, grads } = m.shard.targets
          ? pairShardGradients(model, run.examples, m.shard, m.ctx, vars, run.pad)
          : shardGradients(model, run.examples, m.shard, m.ctx, vars, {
              numLabels: run.numLabels,
              lossOpts: run.lossOpts,
              pad: run.pad,
            });
        const rows = run.sparse.some(Boolean) ? tokenRows(run.examples, m.shard.idx, run.pad.padId) : null;
        const [loss] = (await value.data()) as Float32Array;
        const wire = await toWire(grads, run.sparse, rows, spares.take());
        tf.dispose([value, ...grads]);
        port.post({ type: 'grads', id: m.id, loss, grads: wire, memoryBytes: backendMemoryBytes() }, buffers(wire));
      }
    };
    let queue = Promise.resolve();
    port.listen((m) => {
      queue = queue.then(() => handle(m)).catch((e) => port.post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
    });
    port.post({ type: 'ready' });
  } catch (e) {
    port.post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
}
