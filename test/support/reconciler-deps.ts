/**
 * The reconciler's ports over an in-memory workflow world (`fakeWorkflowWorld`), with the
 * executions either faked (`FakeExecutions`) or those of a local Step Functions engine
 * (`engineExecutions`), so one test can run the reconciler against the synthesized workflow.
 */
import { DEFAULT_CONFIG } from '../../lib/config.ts';
import type { ReconcilerDeps } from '../../lambdas/handlers/maintenance/reconciler.ts';
import type { LocalStepFunctions } from '../../local/stepfunctions/engine.ts';
import type { FakeWorkflowWorld } from './workflow-fakes.ts';

const MINUTE = 60_000;

/** What the reconciler asks Step Functions, recorded: statuses by execution name. */
export class FakeExecutions {
  readonly statuses = new Map<string, string>();
  readonly started: string[] = [];
  readonly waitingTokens = new Set<string>();
  async status(name: string) {
    return this.statuses.get(name);
  }
  async start(name: string) {
    if (this.statuses.has(name)) return false;
    this.statuses.set(name, 'RUNNING');
    this.started.push(name);
    return true;
  }
  async isTokenWaiting(token: string) {
    return this.waitingTokens.has(token);
  }
}

/** The executions of one state machine of a local engine, as `SfnExecutions` sees them in AWS. */
export function engineExecutions(
  engine: () => LocalStepFunctions,
  stateMachineArn: string,
): ReconcilerDeps['executions'] & { readonly started: string[] } {
  const started: string[] = [];
  const arnOf = (name: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  const status = async (name: string) => {
    try {
      return engine().describeExecution(arnOf(name)).status;
    } catch (error) {
      if ((error as { code?: string }).code === 'ExecutionDoesNotExist') return undefined;
      throw error;
    }
  };
  return {
    started,
    status,
    async start(name, input) {
      if ((await status(name)) !== undefined) return false;
      engine().startExecution({ stateMachineArn, name, input });
      started.push(name);
      return true;
    },
    async isTokenWaiting(token) {
      return engine()
        .listPendingTaskTokens()
        .some((pending) => pending.taskToken === token);
    },
  };
}

/** The reconciler's dependencies over the world's records; intake objects listed by age. */
export function reconcilerDepsOver(
  world: FakeWorkflowWorld,
  executions: ReconcilerDeps['executions'],
  options: { intake?: { key: string; ageMinutes: number }[]; redriven?: string[]; metrics?: string[] } = {},
): ReconcilerDeps {
  const now = world.clock.now().getTime();
  return {
    config: DEFAULT_CONFIG,
    clock: world.clock,
    intake: {
      list: async () =>
        (options.intake ?? []).map((o) => ({ key: o.key, lastModified: new Date(now - o.ageMinutes * MINUTE) })),
      redrive: async (key) => void options.redriven?.push(key),
    },
    repository: {
      listByStatus: async (status) => [...world.store.verifications.values()].filter((v) => v.status === status),
      countByStatus: async (status) =>
        [...world.store.verifications.values()].filter((v) => v.status === status).length,
      getVerification: async (id) => world.store.verifications.get(id),
      listAttempts: async (id) =>
        [...world.store.attempts.values()]
          .filter((a) => a.verificationId === id)
          .map((attempt) => ({ attempt, documents: [] })),
      getDocument: async (v, a, slot) => world.store.documents.get(`${v}/${a}/${slot}`),
      transitionAttempt: (v, a, from, change) => world.store.transitionAttempt(v, a, from, change),
    },
    reviews: { latest: (id) => world.store.findLatestReviewTask(id) },
    executions,
    audit: world.audit,
    workflow: { config: DEFAULT_CONFIG, store: world.store, audit: world.audit, events: world.events },
    count: (metric) => void options.metrics?.push(metric),
  };
}
