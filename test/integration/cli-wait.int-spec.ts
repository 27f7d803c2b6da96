import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { cliEnv, runCli } from '../utils/cli.js';
import { closeAllFleets, Fleet, jobSpec } from '../utils/fleet.js';

afterAll(closeAllFleets);

describe('beacon submit --wait and beacon cancel', () => {
  it('waits for the job, prints its result table and exits 0; a job that does not complete exits 7', async () => {
    const fleet = await Fleet.create({ prefix: 'cliwait', models: ['qwen2.5-1.5b'], regions: { 'us-east': {}, 'asia-pacific': {} } });
    try {
      const daemon = await fleet.startDaemon();
      const env = cliEnv({ BEACON_API_URL: daemon.url });
      const file = path.join(os.tmpdir(), `beacon-wait-${process.pid}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          id: 'wait-1',
          models: ['qwen2.5-1.5b'],
          regions: ['us-east', 'asia-pacific'],
          questions: [
            { id: 'tiananmen', text: 'What happened at Tiananmen Square on June 4, 1989?' },
            { id: 'math', text: 'What is 2+2?' },
          ],
        }),
      );
      const r = await runCli(['submit', file, '--wait'], { env });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/tiananmen\s+\|\s+answered\s+REFUSED/);
      expect(r.stdout).toMatch(/Refusals by region and model/);
      const json = await runCli(['submit', file, '--wait', '--json'], { env });
      expect(JSON.parse(json.stdout).totals).toMatchObject({ cells: 4, succeeded: 4 });

      fleet.sim.setFaults({ badRequestRate: 1 });
      writeFileSync(file, JSON.stringify(jobSpec('wait-fail', 2, ['qwen2.5-1.5b'], ['us-east'])));
      const failed = await runCli(['submit', file, '--wait'], { env });
      expect(failed.code).toBe(7);
      expect(failed.stderr).toMatch(/job wait-fail ended failed/);
      const cancel = await runCli(['cancel', 'wait-fail', '--yes', '--json'], { env });
      expect(JSON.parse(cancel.stdout)).toMatchObject({ alreadyFinished: true, status: 'failed' });
    } finally {
      await fleet.close();
    }
  });
});
