/**
 * Keeps Node's own `fs` and `child_process` in bench processes that run the local runtime.
 * aws-cdk-lib, when it first loads outside tests, wraps every function of both modules in its
 * own timers for the rest of the process unless `CDK_NO_PERF_BUILTINS` is set; `npm start` sets
 * it before its synthesis (`local/runtime/synth.ts`), but a bench module that imports the CDK
 * constructs (the bundle settings of `support/bundles.ts`) loads aws-cdk-lib earlier. Imported
 * first, so the timed runtime's file calls are the ones `npm start` makes.
 */
process.env.CDK_NO_PERF_BUILTINS ??= '1';

export {};
