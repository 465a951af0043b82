'use client';
// The backend in use and why: starts the engine on the automatic choice, shows a badge everywhere (BackendBadge), and
// on the Settings screen lets the user force a backend and run a correctness self-check (BackendPanel).
import { useCallback, useEffect, useState } from 'react';
import { engine } from './engine-client';
import { useStudio } from './state/studio';
import { useShallow } from 'zustand/react/shallow';
import { BACKENDS, type BackendPreference } from '@/lib/backend/select';
import { describeKernels } from '@/lib/backend/kernel-status';
import type { BackendInfo } from '@/lib/backend/init';
import { describeError, type ErrorInfo } from '@/lib/errors';

const WASM_PATH = '/tfjs-wasm/';

// 2x3 · 3x2 with a known answer: a self-check that the chosen backend computes correctly.
const A = [1, 2, 3, 4, 5, 6];
const B = [7, 8, 9, 10, 11, 12];
const EXPECTED = [58, 64, 139, 154];

let starting: Promise<void> | null = null;

/** (Re)starts the engine on a backend; the badge shows "starting…" meanwhile. */
export async function startEngine(preference: BackendPreference): Promise<void> {
  const { setBackend, setEngineError } = useStudio.getState();
  useStudio.setState({ backend: null });
  const run = (async () => {
    try {
      const e = engine();
      const ev = await e.request({ type: 'init', requestId: e.nextId('init'), preference, wasmPath: WASM_PATH }, 'ready');
      setBackend(ev.info);
    } catch (err) {
      setEngineError(err as ErrorInfo);
    }
  })();
  starting = run;
  await run;
  if (starting === run) starting = null;
}

/** Starts the engine once on the automatic backend. */
export function useEngineStart(): void {
  useEffect(() => {
    if (!useStudio.getState().backend && !starting) void startEngine('auto');
  }, []);
}

export function BackendBadge() {
  const backend = useStudio((s) => s.backend);
  const engineError = useStudio((s) => s.engineError);
  return (
    <div className="backend-badge" title={backend?.reason}>
      <span className="muted small">Backend</span>{' '}
      <span className={`badge ${engineError ? 'badge-err' : ''}`} data-testid="backend-badge" aria-live="polite">
        {backend ? backend.backend : engineError ? 'failed' : 'starting…'}
      </span>
      {backend && (
        <span className="backend-reason muted small" data-testid="backend-reason">
          {backend.reason}
          {backend.backend === 'wasm' && ` · matrix products on ${backend.threads} thread${backend.threads === 1 ? '' : 's'} per worker`}
          {typeof navigator !== 'undefined' &&
            navigator.hardwareConcurrency > 1 &&
            backend.backend === 'wasm' &&
            ` · ${navigator.hardwareConcurrency} cores: runs train on a worker per core`}
          {backend.backend === 'wasm' && ` · ${kernelsShort(backend)}`}
        </span>
      )}
    </div>
  );
}

/** The badge's word on the wasm kernels: the engine's (all, or how many) or tfjs's stock ones. */
function kernelsShort(b: BackendInfo): string {
  const k = b.kernels;
  if (!k?.installed.length) return "tfjs's stock kernels";
  return k.skipped.length ? `engine kernels: ${k.installed.length} of ${k.total} (see Settings)` : 'engine matmul kernels';
}

/** Settings' line on the wasm kernels: how many of the engine's are installed, the self-test's time, what failed. */
function kernelsLine(b: BackendInfo): string {
  return b.kernels ? describeKernels(b.kernels) : "engine kernels: off (tfjs's stock kernels)";
}

/** Settings' line on how many threads a run uses, and why. */
function threadsLine(b: BackendInfo): string {
  const cores = (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1;
  if (b.backend !== 'wasm') return `Threads: one — the ${b.backend} backend computes each batch on its device.`;
  const why = `this browser reports ${cores} core${cores === 1 ? '' : 's'} (navigator.hardwareConcurrency)`;
  return cores === 1
    ? `Threads: one — ${why}.`
    : `Threads: runs use ${cores}, one per core, because ${why}: full, freeze and LoRA runs split each batch over them ` +
        '(each worker holds a copy of the model; fewer when memory is short), head-only runs encode the texts on them ' +
        '(and split their contrastive pairs). ' +
        "A run's Threads setting on the Train screen overrides it.";
}

export function BackendPanel() {
  const { backend, backendPreference, engineError, setBackendPreference } = useStudio(
    useShallow((s) => ({
      backend: s.backend,
      backendPreference: s.backendPreference,
      engineError: s.engineError,
      setBackendPreference: s.setBackendPreference,
    })),
  );
  const [check, setCheck] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const choose = useCallback(
    async (p: BackendPreference) => {
      setBusy(true);
      setCheck(null);
      setBackendPreference(p);
      await startEngine(p);
      setBusy(false);
    },
    [setBackendPreference],
  );

  const runCheck = async () => {
    setBusy(true);
    try {
      const e = engine();
      const t0 = performance.now();
      const ev = await e.request({ type: 'matmul', requestId: e.nextId('mm'), a: A, b: B, m: 2, k: 3, n: 2 }, 'matmul-result');
      const ms = Math.max(1, Math.round(performance.now() - t0));
      const ok = ev.values.every((v, i) => Math.abs(v - EXPECTED[i]) < 1e-3);
      const got = `[${ev.values.join(', ')}]`;
      setCheck({
        ok,
        text:
          `${ev.backend}: a 2×3 · 3×2 matrix product on the engine gave ${got}, ` +
          `${ok ? 'as expected' : `expected [${EXPECTED.join(', ')}]`} (${ms} ms round trip)`,
      });
    } catch (err) {
      setCheck({ ok: false, text: describeError(err as ErrorInfo) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="backend-heading" className="panel">
      <h2 id="backend-heading">Compute backend</h2>
      <p>
        In use: <strong>{backend ? backend.backend : busy ? 'starting…' : 'not started'}</strong>
        {backend && <> — {backend.reason}</>}
      </p>
      {backend && backend.failed.length > 0 && (
        <p className="muted" data-testid="backend-failed">
          Tried first: {backend.failed.map((f) => `${f.backend} (${f.error})`).join('; ')}
        </p>
      )}
      {backend && (
        <p className="muted small">
          Cross-origin isolated: {backend.crossOriginIsolated ? 'yes (wasm threads available)' : 'no (wasm runs single-threaded)'}
          {backend.adapter &&
            ` · GPU adapter: ${
              [backend.adapter.vendor, backend.adapter.architecture, backend.adapter.description].filter(Boolean).join(' ') || 'unnamed'
            }` + `${backend.adapter.isFallbackAdapter ? ' (software fallback)' : ''}`}
        </p>
      )}
      {backend && (
        <p className="muted small" data-testid="backend-threads">
          {threadsLine(backend)}
        </p>
      )}
      {backend?.backend === 'wasm' && (
        <p className="muted small" data-testid="backend-kernels">
          {kernelsLine(backend)}
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
          onChange={(ev) => void choose(ev.target.value as BackendPreference)}
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
