// `npm run bench:drift` (also a step of `npm run bench`): drift detection over a generated history of 1,000 runs × 72
// cells (8 questions × 3 models × 3 regions, 5 replicates, seeded label noise), timed for the newest run alone (what
// the daemon does when a job ends, series indexed included) and for every run of the history (the false-positive
// study's workload). Target: under 1 s each. `--runs N` changes the history's length.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Times detection; resolves with `{ runs, cells, points, newestMs, everyRunMs, findings, targetMs }`. */
export async function driftBench({ runs = 1000 } = {}) {
  const analysis = await import(pathToFileURL(path.join(root, 'dist/libs/analysis/src/index.js')).href);
  const series = analysis.noiseSeries({ seed: 1, runs, replicates: 5 });
  const cells = new Set(series.points.map((p) => `${p.questionId}|${p.model}|${p.region}`)).size;
  // One warm-up of each, then the best of three: the first call pays for compilation.
  analysis.detectDrift(series);
  analysis.detectDriftHistory(series);
  const best = (f) => {
    let ms = Infinity;
    let out;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      out = f();
      ms = Math.min(ms, performance.now() - t0);
    }
    return { ms, out };
  };
  const newest = best(() => analysis.detectDrift(series));
  const every = best(() => analysis.detectDriftHistory(series));
  return {
    runs,
    cells,
    points: series.points.length,
    newestMs: Math.round(newest.ms * 10) / 10,
    everyRunMs: Math.round(every.ms * 10) / 10,
    findings: every.out.reduce((n, r) => n + r.findings.length, 0),
    targetMs: 1000,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--runs');
  process.stdout.write(JSON.stringify(await driftBench({ runs: i > 0 ? Number(process.argv[i + 1]) : 1000 })) + '\n');
}
