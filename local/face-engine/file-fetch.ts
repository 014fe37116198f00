import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

let installed = false;

/**
 * Teaches `globalThis.fetch` to read `file:` URLs from disk, which Node's fetch refuses.
 * `@vladmandic/human` and tfjs load their model JSON and weight files through `fetch`; with this
 * patch they load from `node_modules` with no network. Every other URL goes to the original fetch
 * unchanged. Installing twice is a no-op.
 *
 * @example
 * installFileFetch();
 * const res = await fetch(new URL('./models/blazeface.json', import.meta.url));
 */
export function installFileFetch(): void {
  if (installed) return;
  const original = globalThis.fetch.bind(globalThis);
  globalThis.fetch = async function fetchWithFileUrls(input: string | URL | Request, init?: RequestInit) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith('file:')) return original(input, init);
    try {
      const body = await readFile(fileURLToPath(url));
      const type = url.endsWith('.json') ? 'application/json' : 'application/octet-stream';
      return new Response(body, { status: 200, headers: { 'content-type': type } });
    } catch {
      return new Response(null, { status: 404, statusText: 'Not Found' });
    }
  } as typeof fetch;
  installed = true;
}
