import { BackendPanel } from '@/components/BackendPanel';

export default function Home() {
  return (
    <main>
      <header className="top">
        <h1>Finetune Studio</h1>
        <p className="muted">Fine-tune a text encoder on your own labeled data, entirely in this browser tab.</p>
      </header>
      <BackendPanel />
    </main>
  );
}
