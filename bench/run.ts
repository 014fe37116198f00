/**
 * `npm run bench`: runs every `bench/*.ts` that exports `run()` (one after another, so they do
 * not compete for the two cores), prints a table and writes `bench/results/<name>.json`.
 * `npm run bench -- quality` runs only the named benchmarks.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DIR = dirname(fileURLToPath(import.meta.url));

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const files = (await readdir(DIR)).filter((name) => name.endsWith('.ts') && name !== 'run.ts').sort();
  await mkdir(join(DIR, 'results'), { recursive: true });
  let failures = 0;
  for (const file of files) {
    const name = basename(file, '.ts');
    if (only.length > 0 && !only.includes(name)) continue;
    const module = (await import(pathToFileURL(join(DIR, file)).href)) as {
      run?: () => Promise<Record<string, unknown>>;
    };
    if (typeof module.run !== 'function') continue;
    console.log(`\n== ${name}`);
    try {
      const started = Date.now();
      const figures = await module.run();
      const width = Math.max(...Object.keys(figures).map((key) => key.length));
      for (const [key, value] of Object.entries(figures))
        console.log(`  ${key.padEnd(width)}  ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
      await writeFile(
        join(DIR, 'results', `${name}.json`),
        JSON.stringify({ name, at: new Date().toISOString(), ms: Date.now() - started, figures }, null, 2),
      );
    } catch (error) {
      failures += 1;
      console.error(`  failed: ${(error as Error).message}`);
    }
  }
  return failures > 0 ? 1 : 0;
}

process.exitCode = await main();
