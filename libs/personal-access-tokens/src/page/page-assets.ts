import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

/** The base path the page is built with; replaced by the mount path when the files are loaded. */
export const BUILD_BASE = '/__PAT_PAGE_BASE__';
/** Where index.html says whether the request carried a session cookie (never the cookie itself). */
const SESSION_HINT = '__PAT_PAGE_SESSION__';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Strict: scripts and styles only from this origin (no inline script, no eval), API calls only to
 * this origin, no framing, no plugins, forms only to this origin.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every file of the page. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

export interface PageFile {
  body: Buffer;
  contentType: string;
}

export interface PageAssets {
  /** For a request without a session cookie: the page shows the sign-in form without asking the API. */
  index: PageFile;
  /** For a request with one: the page asks the API who is signed in. */
  signedInIndex: PageFile;
  /** By file name under `assets/` (Vite's content-hashed names: cached for good). */
  files: Map<string, PageFile>;
}

/**
 * Loads the built page once, at start-up: a fixed set of files, so no request path ever reaches
 * the file system. Fails with what to do when the page has not been built.
 */
export function loadPageAssets(dir: string, mountPath: string): PageAssets {
  const indexFile = join(dir, 'index.html');
  if (!existsSync(indexFile)) {
    throw new Error(`The token page is not built (no ${indexFile}); run "npm run build" first`);
  }
  const rebase = (text: string) => text.split(BUILD_BASE).join(mountPath);
  const html = rebase(readFileSync(indexFile, 'utf8'));
  const indexWith = (hint: string) => ({ body: Buffer.from(html.split(SESSION_HINT).join(hint)), contentType: 'text/html; charset=utf-8' });
  const files = new Map<string, PageFile>();
  const assetsDir = join(dir, 'assets');
  for (const name of existsSync(assetsDir) ? readdirSync(assetsDir) : []) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (!contentType) continue;
    const raw = readFileSync(join(assetsDir, name));
    const textual = contentType.startsWith('text/') || contentType.startsWith('application/json');
    files.set(name, { body: textual ? Buffer.from(rebase(raw.toString('utf8'))) : raw, contentType });
  }
  return { index: indexWith('none'), signedInIndex: indexWith('cookie'), files };
}
