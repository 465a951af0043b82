// Browser-test fixtures for Hugging Face sources: a tiny random BERT written in Hugging Face layout (config.json,
// model.safetensors, vocab.txt, tokenizer_config.json), and a local HTTP server that mimics the Hub's
// /<id>/resolve/<revision>/<file> and /api/models/<id>/tree/<revision> routes over such folders, logging every request.
import { mkdirSync, readdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { writeSafetensors } from '@/lib/io/safetensors';
import { bertConfig, bertParamShapes } from '@/lib/models/bert';

export const TINY_WORDS = [
  'the',
  'a',
  'an',
  'film',
  'movie',
  'wonderful',
  'awful',
  'boring',
  'great',
  'good',
  'bad',
  'take',
  ',',
  '.',
  '!',
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
];
export const TINY_VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...TINY_WORDS];

/** Writes a random-initialised BertModel (L2, H32, 2 heads) in Hugging Face layout into `dir`; returns its
 *  parameter count (every tensor in model.safetensors, pooler included). */
export function writeTinyBert(dir: string, seed = 12345): number {
  mkdirSync(dir, { recursive: true });
  const cfg = bertConfig({
    vocab_size: TINY_VOCAB.length,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 64,
    max_position_embeddings: 64,
  });
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.04;
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  let count = 0;
  for (const [name, shape] of bertParamShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const ln = name.includes('LayerNorm');
    tensors[name] = {
      shape,
      data: Float32Array.from({ length: n }, () => (ln && name.endsWith('weight') ? 1 : ln || name.endsWith('bias') ? 0 : rand())),
    };
    count += n;
  }
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt' }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, architectures: ['BertModel'], model_type: 'bert' }, null, 2));
  writeFileSync(join(dir, 'vocab.txt'), `${TINY_VOCAB.join('\n')}\n`);
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 64 }),
  );
  return count;
}

export interface HubServer {
  /** e.g. http://127.0.0.1:43210 */
  url: string;
  /** every request path, in order */
  log: string[];
  close(): Promise<void>;
}

/** Serves `repos` (Hub id -> folder) like the Hub: 404 for absent files, CORS and CORP headers so a cross-origin
 *  isolated page (COEP require-corp) may read the answers. */
export async function serveHub(repos: Record<string, string>, opts: { delayMs?: (path: string) => number } = {}): Promise<HubServer> {
  const log: string[] = [];
  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*', 'cross-origin-resource-policy': 'cross-origin' };
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    log.push(`${req.method} ${path}`);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end();
      return;
    }
    const tree = /^\/api\/models\/(.+)\/tree\/([^/]+)$/.exec(path);
    if (tree && repos[tree[1]]) {
      const files = readdirSync(repos[tree[1]]).map((f) => ({ type: 'file', path: f }));
      res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify(files));
      return;
    }
    const m = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const folder = m ? repos[m[1]] : undefined;
    const file = folder && !m![3].includes('..') ? join(folder, m![3]) : undefined;
    if (!file || !existsSync(file)) {
      res.writeHead(404, { ...cors, 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    const body = readFileSync(file);
    const wait = opts.delayMs?.(path) ?? 0;
    if (wait > 0) {
      // headers first, then the body in 5 parts spread over `wait` ms: the page sees a download in progress
      res.writeHead(200, { ...cors, 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
      const parts = 5;
      const size = Math.ceil(body.length / parts);
      for (let i = 0; i < parts; i++) {
        setTimeout(
          () => {
            const chunk = body.subarray(i * size, (i + 1) * size);
            if (i === parts - 1) res.end(chunk);
            else res.write(chunk);
          },
          (wait / parts) * (i + 1),
        );
      }
      return;
    }
    res.writeHead(200, { ...cors, 'content-type': 'application/octet-stream', 'content-length': String(body.length) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
