'use client';
// Storage use and quota of this browser's origin (navigator.storage.estimate), and the persistence request
// (navigator.storage.persist), asked once per page load. Not a tensor matter, and persist() exists only in a window, so
// the page asks the browser directly rather than through the engine.
import { useCallback, useEffect, useState } from 'react';
import { fmtBytes } from '../ui';

interface StorageInfo {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

/** Usage and quota where the browser tells them (null where it does not). */
async function storageEstimate(): Promise<StorageInfo> {
  const sm: Partial<StorageManager> | undefined = navigator.storage;
  const est: StorageEstimate = sm?.estimate ? await sm.estimate().catch(() => ({})) : {};
  const persisted = sm?.persisted ? await sm.persisted().catch(() => null) : null;
  return { usage: est.usage ?? null, quota: est.quota ?? null, persisted };
}

/** Asks the browser not to evict the studio's data under storage pressure; false where refused or unsupported. */
async function requestPersist(): Promise<boolean> {
  const sm: Partial<StorageManager> | undefined = navigator.storage;
  return sm?.persist ? sm.persist().catch(() => false) : false;
}

let persistAsked: Promise<boolean> | null = null;

/** `revision` changes whenever stored data changes (import, delete), so the figure follows. */
export function StoragePanel({ revision }: { revision: string }) {
  const [info, setInfo] = useState<StorageInfo | null>(null);
  const [persisted, setPersisted] = useState<boolean | null>(null);

  const refresh = useCallback(async () => setInfo(await storageEstimate()), []);

  useEffect(() => {
    persistAsked ??= storageEstimate().then((s) => (s.persisted ? true : requestPersist()));
    void persistAsked.then(setPersisted);
  }, []);

  useEffect(() => {
    void refresh();
  }, [revision, refresh]);

  const share = info?.usage != null && info.quota ? info.usage / info.quota : null;
  return (
    <section className="panel" aria-labelledby="storage-h" data-testid="storage">
      <h3 id="storage-h">Storage in this browser</h3>
      {info === null ? (
        <p className="muted">Asking the browser…</p>
      ) : info.usage === null || info.quota === null ? (
        <p className="muted" data-testid="storage-figure">
          This browser does not report its storage use.
        </p>
      ) : (
        <>
          <p data-testid="storage-figure">
            Using <strong>{fmtBytes(info.usage)}</strong> of <strong>{fmtBytes(info.quota)}</strong> available to this site (
            {share !== null && share > 0 && share < 0.0001
              ? 'under 0.01'
              : ((share ?? 0) * 100).toFixed(share !== null && share < 0.01 ? 2 : 1)}
            %).
          </p>
          <progress max={1} value={share ?? 0} aria-label="Share of the storage quota in use" />
        </>
      )}
      <p data-testid="storage-persist" role="status">
        {persisted === null
          ? 'Asking the browser to keep this data…'
          : persisted
            ? 'Persistent storage granted: the browser will not clear these datasets and models to free space; only you can delete them.'
            : 'Persistent storage not granted: under storage pressure the browser may clear this site\u2019s data, ' +
              'so export runs you want to keep.'}
      </p>
      <button type="button" onClick={() => void refresh()}>
        Refresh storage figure
      </button>
    </section>
  );
}
