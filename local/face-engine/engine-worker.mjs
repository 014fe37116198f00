// Entry of the face engine's worker thread (see local/face-engine/index.ts): registers tsx in
// this thread, so the TypeScript worker runs as it is wherever the engine is used (the local
// runtime, `kyc check`, tests, benchmarks). Plain JavaScript on purpose, like bin/kyc.mjs.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./engine-worker.ts', import.meta.url).href);
