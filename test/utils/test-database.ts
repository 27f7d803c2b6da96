import { createThrowawayDatabase, type ThrowawayDatabase } from '../../libs/db/src/embedded/index.js';

/**
 * Creates a uniquely named, empty database on the integration-test server (whose admin URL
 * `test/utils/global-setup.ts` puts in `BEACON_TEST_ADMIN_URL`). Call `drop()` when done.
 */
export async function throwawayDatabase(prefix = 't'): Promise<ThrowawayDatabase> {
  const adminUrl = process.env.BEACON_TEST_ADMIN_URL;
  if (!adminUrl) {
    throw new Error(
      'BEACON_TEST_ADMIN_URL is not set: run this through the jest "integration" project ' +
        '(NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects integration), whose globalSetup starts the test server',
    );
  }
  return createThrowawayDatabase(adminUrl, prefix);
}
