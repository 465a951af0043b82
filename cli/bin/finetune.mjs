#!/usr/bin/env node
// The `finetune` command: registers tsx (with the repo's tsconfig, so the engine's "@/..." paths resolve from any
// working directory), then hands over to cli/main.ts.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
const { main } = await import('../main.ts');
const code = await main(process.argv.slice(2));
// a command may have set its own code (train interrupted by Ctrl-C: 130)
process.exitCode = code || process.exitCode;
