// Node 20 lacks Promise.withResolvers, which aws-local-stepfunctions uses; Node 22 has it.
import '../local/polyfills.ts';
