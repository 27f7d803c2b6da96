// `npm run bench:reconcile` (also a step of `npm run bench`): the reconciler over 1,000,000 executions and 2,000,000
// attempts on a throwaway database (`--jobs N` for N × 2,000 cells; default 500): a full and an incremental pass,
// each rule timed, and EXPLAIN of each rule's statements. Prints the JSON of bench/reconcile-run.mjs.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, throwawayDb } from './lib.mjs';

/** Runs the reconciler scenario on its own throwaway database; resolves with its measurements. */
export async function reconcileBench({ jobs = 500 } = {}) {
  const { db } = await load();
  const database = await throwawayDb(db);
  try {
    return await new Promise((resolve, reject) => {
      const p = spawn(
        process.execPath,
        [path.join(path.dirname(fileURLToPath(import.meta.url)), 'reconcile-run.mjs'), JSON.stringify({ dbUrl: database.url, jobs })],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      p.stdout.on('data', (d) => {
        out += d;
      });
      p.on('exit', (code) =>
        code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`reconciler benchmark exited ${code}`)),
      );
    });
  } finally {
    await database.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--jobs');
  process.stdout.write(JSON.stringify(await reconcileBench({ jobs: i > 0 ? Number(process.argv[i + 1]) : 500 })) + '\n');
}
