// The API port the local runtime picks is held from the moment it is picked until the API
// listens on it, so the servers it starts in between cannot take it (a CI run once failed with
// EADDRINUSE on a port probed and released 20 s before the API bound it).
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isPortBusy, reservePort } from '../../../local/aws/free-port.ts';

describe('reservePort', () => {
  it('holds the port until release, then lets a server bind it; release twice is harmless', async () => {
    // Prepare
    const reservation = await reservePort();

    // Act + Assess
    expect(reservation.port).toBeGreaterThan(0);
    expect(await isPortBusy(reservation.port)).toBe(true);
    await reservation.release();
    await reservation.release();
    expect(await isPortBusy(reservation.port)).toBe(false);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(reservation.port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('gives two reservations two different ports', async () => {
    // Act
    const [a, b] = await Promise.all([reservePort(), reservePort()]);
    // Assess
    expect(a.port).not.toBe(b.port);
    await Promise.all([a.release(), b.release()]);
  });
});
