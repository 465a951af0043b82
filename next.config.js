// Next.js config: cross-origin isolation (wasm threads need SharedArrayBuffer) and a CSP that lets the page talk
// only to itself and to the Hugging Face Hub (model downloads happen in the user's browser).
const hub = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co'];
// Tests serve HF-layout files from a local server; they add its origin at build time.
const extra = (process.env.FINETUNE_EXTRA_CONNECT_SRC ?? '').split(/\s+/).filter(Boolean);
const dev = process.env.NODE_ENV !== 'production';

const csp = [
  "default-src 'self'",
  `script-src 'self' blob: 'unsafe-inline' 'wasm-unsafe-eval'${dev ? " 'unsafe-eval'" : ''}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  `connect-src 'self' ${[...hub, ...extra].join(' ')}${dev ? ' ws:' : ''}`,
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** @type {import('next').NextConfig} */
const config = {
  // Parallel builds (e.g. two engineers' browser tests) can each use their own output folder.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  reactStrictMode: true,
  poweredByHeader: false,
  // `npm test` type-checks the whole tree with `tsc --noEmit` before building; checking again here only costs time.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
          { key: 'Cross-Origin-Embedder-Policy', value: 'require-corp' },
          { key: 'Content-Security-Policy', value: csp },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
        ],
      },
    ];
  },
};

export default config;
