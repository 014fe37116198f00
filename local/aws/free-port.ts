/** Port helpers for the local servers. */
import { createServer } from 'node:net';

/** Asks the kernel for a free TCP port on 127.0.0.1 (the port is released before returning). */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  const reservation = await reservePort(host);
  await reservation.release();
  return reservation.port;
}

/**
 * Holds a free TCP port on `host` (the kernel's pick) until `release()`, so that nothing else
 * (another server, an outgoing connection's ephemeral port) takes it while the caller prepares
 * what will listen on it. `release` is idempotent.
 *
 * @example
 * ```ts
 * const reservation = await reservePort();
 * configureOrigins(reservation.port);
 * await reservation.release();
 * server.listen(reservation.port, '127.0.0.1');
 * ```
 */
export async function reservePort(host = '127.0.0.1'): Promise<{ port: number; release(): Promise<void> }> {
  const holder = createServer();
  holder.unref();
  const port = await new Promise<number>((resolve, reject) => {
    holder.once('error', reject);
    holder.listen(0, host, () => {
      const address = holder.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
  if (port === 0) throw new Error('Could not determine a free port');
  let released: Promise<void> | undefined;
  return {
    port,
    release: () => (released ??= new Promise<void>((resolve) => holder.close(() => resolve()))),
  };
}

/** True when nothing can bind `host:port` right now. */
export async function isPortBusy(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'EADDRINUSE' || error.code === 'EACCES'),
    );
    probe.listen(port, host, () => probe.close(() => resolve(false)));
  });
}
