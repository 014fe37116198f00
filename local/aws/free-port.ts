/** Port helpers for the local servers. */
import { createServer } from 'node:net';

/** Asks the kernel for a free TCP port on 127.0.0.1 (the port is released before returning). */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('Could not determine a free port'))));
    });
  });
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
