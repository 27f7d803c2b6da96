import type { TestServer } from './global-setup.js';

/** Jest global teardown of the integration project: stops the embedded test server and deletes its directory. */
export default async function globalTeardown(): Promise<void> {
  const globals = globalThis as Record<string, unknown>;
  const server = globals.__beaconTestServer as TestServer | undefined;
  delete globals.__beaconTestServer;
  if (server) await server.dispose();
}
