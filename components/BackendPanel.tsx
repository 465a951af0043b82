'use client';
// Shows the backend in use and why; lets the user override it and run a correctness self-check.
import { useCallback, useEffect, useState } from 'react';
import { engine } from './engine-client';
import { useStudio } from './state/studio';
import { BACKENDS, type BackendPreference } from '@/lib/backend/select';
import { describeError } from '@/lib/errors';

const WASM_PATH = '/tfjs-wasm/';

// 2x3 · 3x2 with a known answer: a self-check that the chosen backend computes correctly.
const A = [1, 2, 3, 4, 5, 6];
const B = [7, 8, 9, 10, 11, 12];
const EXPECTED = [58, 64, 139, 154];

export function BackendPanel() {
  const { backend, backendPreference, engineError, setBackend, setBackendPreference, setEngineError } = useStudio();
  const [check, setCheck] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const start = useCallback(
    async (preference: BackendPreference) => {
      setBusy(true);
      setCheck(null);
      try {
        const e = engine();
        const ev = await e.request({ type: 'init', requestId: e.nextId('init'), preference, wasmPath: WASM_PATH }, 'ready');
        setBackend(ev.info);
      } catch (err) {
        setEngineError(err as never);
      } finally {
        setBusy(false);
      }
    },
    [setBackend, setEngineError],
  );

  useEffect(() => {
    void start('auto');
  }, [start]);

  const runCheck = async () => {
    setBusy(true);
    try {
      const e = engine();
      const ev = await e.request({ type: 'matmul', requestId: e.nextId('mm'), a: A, b: B, m: 2, k: 3, n: 2 }, 'matmul-result');
      const ok = ev.values.every((v, i) => Math.abs(v - EXPECTED[i]) < 1e-3);
      setCheck({ ok, text: `${ev.backend}: [${ev.values.join(', ')}] ${ok ? 'correct' : `expected [${EXPECTED.join(', ')}]`}` });
    } catch (err) {
      setCheck({ ok: false, text: describeError(err as never) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="backend-heading" className="panel">
      <h2 id="backend-heading">Compute backend</h2>
      <p>
        <span className="badge" data-testid="backend-badge" aria-live="polite">
          {backend ? backend.backend : busy ? 'starting…' : 'not started'}
        </span>{' '}
        {backend && (
          <span data-testid="backend-reason">
            {backend.reason}
            {backend.backend === 'wasm' && ` · ${backend.threads} thread${backend.threads === 1 ? '' : 's'}`}
          </span>
        )}
      </p>
      {backend && backend.failed.length > 0 && (
        <p className="muted" data-testid="backend-failed">
          Tried first: {backend.failed.map((f) => `${f.backend} (${f.error})`).join('; ')}
        </p>
      )}
      {engineError && (
        <p role="alert" className="error">
          {describeError(engineError)}
        </p>
      )}
      <div className="row">
        <label htmlFor="backend-select">Backend</label>
        <select
          id="backend-select"
          value={backendPreference}
          disabled={busy}
          onChange={(ev) => {
            const p = ev.target.value as BackendPreference;
            setBackendPreference(p);
            void start(p);
          }}
        >
          <option value="auto">Automatic (recommended)</option>
          {BACKENDS.map((b) => (
            <option key={b} value={b}>
              {b}
            </option>
          ))}
        </select>
        <button type="button" onClick={runCheck} disabled={busy || !backend}>
          Run self-check
        </button>
      </div>
      {check && (
        <p data-testid="selfcheck-result" className={check.ok ? 'ok' : 'error'}>
          {check.text}
        </p>
      )}
    </section>
  );
}
