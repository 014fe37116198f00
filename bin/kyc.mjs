#!/usr/bin/env node
// `npx kyc <command>`: registers tsx so the TypeScript sources run as they are, then hands the
// command line to local/cli/main.ts. Plain JavaScript on purpose: it must start without a build.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../local/polyfills.ts', import.meta.url).href);
const { main } = await import(new URL('../local/cli/main.ts', import.meta.url).href);
const { processIo } = await import(new URL('../local/cli/io.ts', import.meta.url).href);
const code = await main(process.argv.slice(2), processIo());
// Commands that keep servers running (kyc local) resolve only once they have stopped.
process.exitCode = code;
