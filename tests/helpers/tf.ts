// Starts TF.js on the wasm backend once per test file (Node has no tfjs-node here).
import { initBackend } from '@/lib/backend/init';

export async function useWasm(): Promise<void> {
  await initBackend({ preference: 'wasm' });
}
