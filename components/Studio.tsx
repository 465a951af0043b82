'use client';
// The studio shell: header with the backend badge and theme switch, the eight screens in guided order (free to jump),
// and the current screen. The URL hash names the screen, so reload keeps your place.
import { useEffect, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { BackendBadge, BackendPanel, useEngineStart } from './BackendPanel';
import { EngineBanner } from './EngineBanner';
import { startBridge } from './engine-bridge';
import { SCREENS, useStudio, type ScreenId } from './state/studio';
import { DataScreen } from './screens/DataScreen';
import { ModelScreen } from './screens/ModelScreen';
import { TrainScreen } from './screens/TrainScreen';
import { RunScreen } from './screens/RunScreen';
import { RunsScreen } from './screens/RunsScreen';
import { EvaluateScreen } from './screens/EvaluateScreen';
import { PlaygroundScreen } from './screens/PlaygroundScreen';
import { ExportScreen } from './screens/ExportScreen';
import { useWorkingContext } from './state/working-context';

const ALL: ScreenId[] = [...SCREENS.map((s) => s.id), 'settings'];

function useHashScreen() {
  const screen = useStudio((s) => s.screen);
  const setScreen = useStudio((s) => s.setScreen);
  useEffect(() => {
    const read = () => {
      const id = location.hash.replace(/^#\/?/, '') as ScreenId;
      if (ALL.includes(id)) setScreen(id);
    };
    read();
    addEventListener('hashchange', read);
    return () => removeEventListener('hashchange', read);
  }, [setScreen]);
  useEffect(() => {
    if (location.hash !== `#/${screen}`) history.replaceState(null, '', `#/${screen}`);
    document.getElementById('screen-heading')?.focus({ preventScroll: true });
  }, [screen]);
}

function useTheme() {
  const theme = useStudio((s) => s.theme);
  const setTheme = useStudio((s) => s.setTheme);
  useEffect(() => {
    const saved = localStorage.getItem('studio-theme');
    if (saved === 'light' || saved === 'dark') setTheme(saved);
  }, [setTheme]);
  useEffect(() => {
    if (theme === 'system') document.documentElement.removeAttribute('data-theme');
    else document.documentElement.setAttribute('data-theme', theme);
    localStorage.setItem('studio-theme', theme);
  }, [theme]);
}

/** Which steps are done, for the guided order. */
function useDoneSteps(): Set<ScreenId> {
  // narrow selectors: the shell must not re-render on every batch of training steps
  const hasData = useStudio((s) => !!s.datasetId);
  const hasModel = useStudio((s) => !!s.model);
  const hasRun = useStudio((s) => !!s.currentRunId);
  const runDone = useStudio((s) => {
    const st = s.currentRunId ? s.runs[s.currentRunId]?.status : undefined;
    return st === 'done' || st === 'stopped';
  });
  // the screens that show results count as done once looked at, when there is a run to look at
  const visited = useStudio(
    useShallow((s) => (s.currentRunId ? s.visited.filter((v) => ['runs', 'evaluate', 'playground', 'export'].includes(v)) : [])),
  );
  const done = new Set<ScreenId>(visited);
  if (hasData) done.add('data');
  if (hasModel) done.add('model');
  if (hasRun) done.add('train');
  if (runDone) done.add('run');
  return done;
}

function ThemeSwitch() {
  const theme = useStudio((s) => s.theme);
  const setTheme = useStudio((s) => s.setTheme);
  return (
    <label className="theme-switch small">
      Theme{' '}
      <select value={theme} onChange={(e) => setTheme(e.target.value as 'system' | 'light' | 'dark')}>
        <option value="system">System</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </label>
  );
}

const SCREEN_VIEWS: Record<ScreenId, () => ReactNode> = {
  data: () => <DataScreen />,
  model: () => <ModelScreen />,
  train: () => <TrainScreen />,
  run: () => <RunScreen />,
  runs: () => <RunsScreen />,
  evaluate: () => <EvaluateScreen />,
  playground: () => <PlaygroundScreen />,
  export: () => <ExportScreen />,
  settings: () => <BackendPanel />,
};

export function Studio() {
  useEngineStart();
  useHashScreen();
  useTheme();
  useWorkingContext();
  useEffect(() => startBridge(), []);
  const screen = useStudio((s) => s.screen);
  const setScreen = useStudio((s) => s.setScreen);
  const done = useDoneSteps();
  const current =
    screen === 'settings'
      ? { id: 'settings', title: 'Settings', hint: 'Compute backend and diagnostics' }
      : SCREENS.find((s) => s.id === screen)!;

  return (
    <div className="shell">
      <a className="skip-link" href="#screen-heading">
        Skip to content
      </a>
      <header className="top">
        <div className="brand">
          <h1>Finetune Studio</h1>
          <p className="muted small tagline">
            Fine-tune a text encoder on your labeled data, entirely in this tab. No data leaves your browser.
          </p>
        </div>
        <div className="top-tools">
          <BackendBadge />
          <ThemeSwitch />
        </div>
      </header>
      <nav className="steps" aria-label="Studio steps">
        <ol>
          {SCREENS.map((s, i) => (
            <li key={s.id}>
              <button
                type="button"
                className={`step ${screen === s.id ? 'current' : ''} ${done.has(s.id) ? 'done' : ''}`}
                aria-current={screen === s.id ? 'page' : undefined}
                onClick={() => setScreen(s.id)}
              >
                <span className="step-num" aria-hidden="true">
                  {done.has(s.id) ? '✓' : i + 1}
                </span>
                <span className="step-title">{s.title}</span>
                {done.has(s.id) && <span className="sr-only"> (done)</span>}
              </button>
            </li>
          ))}
        </ol>
        <button
          type="button"
          className={`step settings ${screen === 'settings' ? 'current' : ''}`}
          aria-current={screen === 'settings' ? 'page' : undefined}
          onClick={() => setScreen('settings')}
        >
          <span className="step-num" aria-hidden="true">
            ⚙
          </span>
          <span className="step-title">Settings</span>
        </button>
      </nav>
      <main className="screen">
        <EngineBanner />
        <h2 id="screen-heading" tabIndex={-1}>
          {current.title}
          <span className="muted small screen-hint"> — {current.hint}</span>
        </h2>
        {SCREEN_VIEWS[screen]()}
      </main>
    </div>
  );
}
