'use client';
// The project bundle on the Export screen: one file with every dataset (versions, splits) and run (metrics, chosen
// checkpoints) to download; and a bundle to import: what it holds first, and for each item that meets a stored one a
// choice (Skip, Keep both, Replace) before anything is written. The worker does the work (lib/session/bundle.ts).
import { useState } from 'react';
import { engine } from '../engine-client';
import type { Task } from '../state/studio';
import { ErrorNote, Help, ProgressBar, download, fmtBytes, toErrorInfoUI } from '../ui';
import type { ErrorInfo } from '@/lib/errors';
import type { BundleDecision, BundleImportResult, BundleInspection, BundleItem } from '@/lib/export/bundle-format';
import type { Progress } from '@/lib/protocol';

const CHOICES: { value: BundleDecision; label: string }[] = [
  { value: 'skip', label: 'Skip' },
  { value: 'keep-both', label: 'Keep both' },
  { value: 'replace', label: 'Replace' },
];

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

function conflictText(item: BundleItem): string {
  const what = (identical: boolean) => (identical ? 'same content' : 'different content');
  return item.conflicts
    .map((c) =>
      c.reason === 'same-id'
        ? `Already in this studio as "${c.name}" (${what(c.identical)})`
        : `Another ${item.kind} here is named "${c.name}" (${what(c.identical)})`,
    )
    .join('; ');
}

const DONE: Record<BundleImportResult['items'][number]['action'], string> = {
  added: 'added',
  copied: 'added as a copy',
  replaced: 'replaced the stored one',
  skipped: 'skipped',
};

export function BundlePanel() {
  const [task, setTask] = useState<Task | null>(null);
  const [allCheckpoints, setAllCheckpoints] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  const [exportError, setExportError] = useState<ErrorInfo | null>(null);
  const [importError, setImportError] = useState<ErrorInfo | null>(null);
  const [pending, setPending] = useState<{ file: File; inspection: BundleInspection } | null>(null);
  const [decisions, setDecisions] = useState<Record<string, BundleDecision>>({});
  const onProgress = (p: Progress) => setTask({ label: p.task, done: p.done, total: p.total, etaSec: p.etaSec });

  const run = async (start: Task, work: () => Promise<void>, onError: (e: ErrorInfo) => void) => {
    setExportError(null);
    setImportError(null);
    setMsg(null);
    setTask(start);
    try {
      await work();
    } catch (err) {
      onError(toErrorInfoUI(err));
    } finally {
      setTask(null);
    }
  };

  const exportAll = () =>
    run(
      { label: 'Packing the bundle', done: 0, total: 0 },
      async () => {
        const e = engine();
        const cmd = { type: 'bundle-export', requestId: e.nextId('bexp'), checkpoints: allCheckpoints ? 'all' : 'chosen' } as const;
        const ev = await e.request(cmd, 'bundle-export-result', onProgress);
        download(ev.fileName, ev.bytes as Uint8Array<ArrayBuffer>, 'application/zip');
        const s = ev.summary;
        setMsg(
          `Downloaded ${ev.fileName} (${fmtBytes(ev.bytes.byteLength)}; ${fmtBytes(s.uncompressedBytes)} unpacked): ` +
            `${plural(s.datasets, 'dataset')}, ${plural(s.runs, 'run')}, ${plural(s.checkpoints, 'checkpoint')}.`,
        );
      },
      setExportError,
    );

  const inspect = (file: File) =>
    run(
      { label: `Reading ${file.name}`, done: 0, total: file.size },
      async () => {
        setPending(null);
        const e = engine();
        const ev = await e.request(
          { type: 'bundle-inspect', requestId: e.nextId('bins'), file, name: file.name },
          'bundle-inspect-result',
          onProgress,
        );
        setDecisions(Object.fromEntries(ev.inspection.items.filter((i) => i.conflicts.length).map((i) => [i.key, 'keep-both'])));
        setPending({ file, inspection: ev.inspection });
      },
      setImportError,
    );

  const importNow = (file: File) =>
    run(
      { label: `Importing ${file.name}`, done: 0, total: 0 },
      async () => {
        const e = engine();
        const cmd = { type: 'bundle-import', requestId: e.nextId('bimp'), file, name: file.name, decisions } as const;
        const { result } = await e.request(cmd, 'bundle-import-result', onProgress);
        setPending(null);
        setMsg(`Imported ${file.name}: ${result.items.map((i) => `${i.kind} "${i.name}" ${DONE[i.action]}`).join(', ')}.`);
      },
      setImportError,
    );

  return (
    <section className="panel stack" aria-labelledby="bundle-h" data-testid="bundle-panel">
      <h3 id="bundle-h">Project bundle</h3>
      <p className="small">
        One file with every dataset (its versions, splits and training-data options) and every run (its settings, metrics, Evaluate results
        and chosen checkpoint): to move this studio to another browser or machine, or to keep a copy.
      </p>
      <label className="check small">
        <input type="checkbox" checked={allCheckpoints} onChange={(e) => setAllCheckpoints(e.target.checked)} />
        Include every checkpoint (by default only each run&apos;s best, else its last: the one its model is rebuilt from)
      </label>
      <div>
        <button type="button" className="primary" onClick={() => void exportAll()} disabled={!!task}>
          Export project bundle
        </button>
      </div>
      <ErrorNote error={exportError} testId="bundle-export-error" />
      <h4>Import a bundle</h4>
      <div>
        <label className="button" htmlFor="import-bundle">
          Choose a bundle…
        </label>
        <input
          id="import-bundle"
          className="visually-hidden-input"
          type="file"
          accept=".zip,application/zip"
          disabled={!!task}
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void inspect(f);
            e.target.value = '';
          }}
        />
      </div>
      <Help>
        Nothing stored is overwritten without asking: an item with the id or the name of a stored one waits for your choice. The base models
        (USE-Lite, Hub models) are not in a bundle; the studio loads them as usual.
      </Help>
      {pending && (
        <div className="stack" data-testid="bundle-contents">
          <table className="data-table">
            <caption className="small">
              {pending.inspection.fileName} ({fmtBytes(pending.inspection.bytes)}), exported{' '}
              {new Date(pending.inspection.createdAt).toLocaleString()}
            </caption>
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Holds</th>
                <th scope="col">In this studio</th>
              </tr>
            </thead>
            <tbody>
              {pending.inspection.items.map((item) => (
                <tr key={item.key} data-testid="bundle-item">
                  <td>
                    {item.kind === 'dataset' ? 'Dataset' : 'Run'} <strong>{item.name}</strong>
                  </td>
                  <td className="small">{item.detail}</td>
                  <td>
                    {item.conflicts.length ? (
                      <fieldset data-testid="bundle-conflict">
                        <legend className="small">{conflictText(item)}</legend>
                        {CHOICES.map((c) => (
                          <label key={c.value} className="check">
                            <input
                              type="radio"
                              name={`bundle-${item.key}`}
                              value={c.value}
                              checked={decisions[item.key] === c.value}
                              onChange={() => setDecisions((d) => ({ ...d, [item.key]: c.value }))}
                            />
                            {c.label}
                          </label>
                        ))}
                      </fieldset>
                    ) : (
                      <span className="small muted">New</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="row">
            <button type="button" className="primary" onClick={() => void importNow(pending.file)} disabled={!!task}>
              Import
            </button>
            <button type="button" onClick={() => setPending(null)} disabled={!!task}>
              Cancel
            </button>
          </p>
        </div>
      )}
      <ErrorNote error={importError} testId="bundle-import-error" />
      {task && <ProgressBar task={task} testId="bundle-progress" />}
      {msg && (
        <p className="ok" role="status" data-testid="bundle-status">
          {msg}
        </p>
      )}
    </section>
  );
}
