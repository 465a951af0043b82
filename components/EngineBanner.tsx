'use client';
// Engine trouble that is nobody's request: the worker stopped (every pending request was rejected, live runs were marked
// interrupted), or the engine reported an error that no request was waiting for. Shown above every screen.
import { describeError } from '@/lib/errors';
import { useStudio } from './state/studio';

export function EngineBanner() {
  const stopped = useStudio((s) => s.engineStopped);
  const notices = useStudio((s) => s.engineNotices);
  const setEngineStopped = useStudio((s) => s.setEngineStopped);
  const dismissNotice = useStudio((s) => s.dismissEngineNotice);
  if (!stopped && notices.length === 0) return null;
  return (
    <div className="engine-banners">
      {stopped && (
        <div role="alert" className="error-box row spread" data-testid="engine-stopped">
          <span>
            <strong>The engine stopped: {stopped.reason}.</strong> Reload the page; runs resume from their last checkpoint.
          </span>
          <span className="row">
            <button type="button" className="primary" onClick={() => location.reload()}>
              Reload the page
            </button>
            <button type="button" onClick={() => setEngineStopped(null)}>
              Dismiss
            </button>
          </span>
        </div>
      )}
      {notices.map((n) => (
        <div key={n.id} role="alert" className="error-box" data-testid="engine-notice">
          <div className="row spread">
            <span>
              <strong>The engine reported an error: </strong>
              {describeError(n.error)}
            </span>
            <button type="button" onClick={() => dismissNotice(n.id)}>
              Dismiss
            </button>
          </div>
          {n.error.stack && (
            <details>
              <summary>Details to copy into a bug report</summary>
              <pre>{n.error.stack}</pre>
            </details>
          )}
        </div>
      ))}
    </div>
  );
}
