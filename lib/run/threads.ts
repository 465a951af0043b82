// How many threads a data-parallel run uses, and why: every core by default (or the run's setting), fewer where
// memory says so (each thread holds a replica of the model with its optimizer moments and gradients), one where the
// backend computes on a GPU (WebGPU/WebGL run the whole batch on the device).

export interface ThreadPlan {
  threads: number;
  /** one sentence for the person watching */
  why: string;
}

/** Bytes one training replica needs: weights, two Adam moments and gradients, plus the activations of its shard and
 *  the wasm heap's slack — measured with bench:train (wasm heap after a step): USE-Lite, 7.0 M parameters, 547 MB per
 *  replica (78 bytes per parameter); the bert-tiny shape, 4.4 M, 242 MB (55). */
export function replicaBytes(params: number): number {
  return params * 80;
}

const GB = 1024 ** 3;
const gb = (b: number) => `${(b / GB).toFixed(b < 10 * GB ? 1 : 0)} GB`;

/** At most 4 threads per core; beyond the cores a thread only waits its turn. */
export function maxThreads(cores: number): number {
  return Math.max(1, cores) * 4;
}

export function planThreads(o: {
  threads: number;
  requested?: boolean;
  memoryBytes?: number;
  params: number;
  backend: string;
}): ThreadPlan {
  const asked = Math.max(1, Math.floor(o.threads));
  const source = o.requested ? 'as set' : 'one per core';
  if (o.backend !== 'wasm') return { threads: 1, why: `the ${o.backend} backend computes each batch on its own device` };
  if (asked === 1) return { threads: 1, why: o.requested ? 'as set' : 'this machine has one core' };
  if (o.memoryBytes) {
    // half of the machine's memory for the replicas; the browser, the data and the rest keep the other half
    const each = replicaBytes(o.params);
    const fit = Math.max(1, Math.floor(o.memoryBytes / 2 / each));
    if (fit < asked)
      return {
        threads: fit,
        why:
          `${asked} asked (${source}), but ${fit === 1 ? 'one replica' : `${fit} replicas`} of this model ` +
          `(about ${gb(each)} each) fit in half of the machine's ${gb(o.memoryBytes)}`,
      };
  }
  return { threads: asked, why: source };
}
