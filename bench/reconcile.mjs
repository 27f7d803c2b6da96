// `npm run bench:reconcile`: the reconciler over 1,000,000 executions and 2,000,000 attempts on a throwaway database
// (`--jobs N` for N × 2,000 cells; default 500). Prints the JSON of bench/reconcile-run.mjs.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, throwawayDb } from './lib.mjs';

const i = process.argv.indexOf('--jobs');
const jobs = i > 0 ? Number(process.argv[i + 1]) : 500;
const { db } = await load();
const database = await throwawayDb(db);
try {
  await new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'reconcile-run.mjs'), JSON.stringify({ dbUrl: database.url, jobs })], { stdio: 'inherit' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`reconciler benchmark exited ${code}`))));
  });
} finally {
  await database.close();
}
