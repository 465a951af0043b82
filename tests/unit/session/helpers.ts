// What the session tests share: waiting for an engine event that the session posts asynchronously.

/** Resolves with the first value `find` returns that is not undefined, polling every 20 ms; rejects after `ms`. */
export function until<T>(find: () => T | undefined, ms = 120_000): Promise<T> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = find();
      if (v !== undefined) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error('timed out waiting for an engine event'));
      setTimeout(tick, 20);
    };
    tick();
  });
}
