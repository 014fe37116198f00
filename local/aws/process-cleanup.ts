/**
 * Kills child processes the local runtime started when the parent goes away, so a Java
 * DynamoDB Local never outlives `kyc local` or a test run.
 *
 * Covers normal exit, `process.exit()`, SIGINT, SIGTERM and SIGHUP. A SIGKILL of the parent
 * cannot be intercepted by any process; the children then have to be killed by hand.
 */
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;

function killAllChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // When another handler takes the signal (kyc local stops gracefully and stops its children
  // itself), the children stay up meanwhile; the 'exit' hook still kills any left over.
  // When nobody else handles it, kill them and keep the default behaviour (terminate) by
  // removing our handler and re-raising it.
  if (process.listenerCount(signal) === 1) {
    killAllChildren();
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllChildren);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('exit', killAllChildren);
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
}

/**
 * Registers a child so that it is killed when this process exits or is interrupted.
 * Returns a function that unregisters it (call it once the child has been stopped).
 */
export function killOnParentExit(child: ChildProcess): () => void {
  install();
  children.add(child);
  const release = (): void => {
    children.delete(child);
    if (children.size === 0) uninstall();
  };
  child.once('exit', release);
  return release;
}
