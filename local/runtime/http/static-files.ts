/**
 * Serves the reference upload page (`web/`) read-only, refusing any path that leaves the folder.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { HttpResponse } from './api-gateway-result.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The file under `root` for a URL path (`/` -> `index.html`), or undefined when there is none.
 *
 * @example
 * ```ts
 * await serveStatic('/repo/web', '/'); // index.html
 * ```
 */
export async function serveStatic(root: string, urlPath: string): Promise<HttpResponse | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const relative = normalize(decoded.endsWith('/') ? `${decoded}index.html` : decoded).replace(/^([/\\])+/, '');
  const file = join(root, relative);
  if (file !== root && !file.startsWith(root.endsWith(sep) ? root : `${root}${sep}`)) return undefined;
  try {
    const info = await stat(file);
    if (info.isDirectory() && !decoded.endsWith('/')) {
      // `/console` -> `/console/`, so the folder's index.html resolves its relative links.
      const index = await stat(join(file, 'index.html')).catch(() => undefined);
      if (!index?.isFile()) return undefined;
      return {
        statusCode: 301,
        headers: { location: `/${encodeURI(relative.split(sep).join('/'))}/`, 'cache-control': 'no-store' },
        cookies: [],
        body: Buffer.alloc(0),
      };
    }
    if (!info.isFile()) return undefined;
    return {
      statusCode: 200,
      headers: {
        'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      },
      cookies: [],
      body: await readFile(file),
    };
  } catch {
    return undefined;
  }
}
