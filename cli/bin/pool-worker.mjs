// Worker-thread entry of the CLI's feature pool: registers tsx as cli/bin/finetune.mjs does, then runs the worker.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
await import('../pool-worker.ts');
