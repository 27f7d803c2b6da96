// The reconciler benchmark: 1,000,000 executions with 2,000,000 attempts (500 finished jobs × 2,000 cells, each cell
// a failed first attempt and a successful retry), then a full pass and an incremental pass of every rule, each
// timed, and EXPLAIN of each rule's statements. Prints JSON. Args: JSON {dbUrl, jobs}.
import { load } from './lib.mjs';

const args = JSON.parse(process.argv[2]);
const { db, domain } = await load();
const reconciler = await import(new URL('../dist/libs/reconciler/src/index.js', import.meta.url).href);
const ds = db.createDataSource(args.dbUrl, { applicationName: 'beacon-bench-reconcile', poolSize: 4 });
await ds.initialize();
await db.migrate(ds);
const log = (s) => process.stderr.write(s + '\n');

const config = domain.defaultConfig();
const regions = Array.from({ length: 10 }, (_, i) => ({ id: `region-${i}`, displayName: `Region ${i}` }));
const models = Array.from({ length: 10 }, (_, i) => ({ id: `model-${i}`, name: `model-${i}` }));
const questions = Array.from({ length: 20 }, (_, i) => ({ id: `q${i}`, text: `Question ${i}?`, category: null, source: 'inline' }));
const spec = (id) => ({
  id,
  format: 'beacon',
  version: '1.0',
  benchmark: { name: 'bench', version: null, description: null },
  questions,
  models,
  regions,
  repeats: 1,
  constraints: { minRegions: 1, minSuccessRate: 0.67, timeoutMs: null, providerTimeoutMs: null },
  parameters: { temperature: 0.1, maxTokens: 500, maxAttempts: 4 },
  prompt: config.prompt,
  createdBy: null,
  createdAt: null,
  cells: 2000,
});
const jobs = args.jobs;
const t0 = performance.now();
log(`generating ${jobs} jobs × 2,000 cells, 2 attempts each…`);
const ids = Array.from({ length: jobs }, (_, j) => `bench-rec-${j}`);
await ds.query(
  `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, status, cells_expected, created_at, updated_at, started_at, finished_at)
   SELECT id, 'beacon', '{}', 'x', replace($2::text, '__ID__', id)::jsonb, 'completed', 2000,
          now() - interval '3 days' + (o || ' minutes')::interval, now() - interval '2 days', now() - interval '3 days' + (o || ' minutes')::interval,
          now() - interval '2 days'
     FROM unnest($1::text[]) WITH ORDINALITY AS j(id, o)`,
  [ids, JSON.stringify(spec('__ID__'))],
);
const template = config.prompt.template;
for (let j = 0; j < jobs; j += 50) {
  const batch = ids.slice(j, j + 50);
  await ds.query(
    `INSERT INTO executions (job_id, question_id, model_id, region, replicate, state, attempts, failures, trace_id, result_attempt,
                             response, classification, classification_rule, created_at, updated_at, started_at, finished_at)
     SELECT job, 'q' || q, 'model-' || m, 'region-' || r, 0, 'succeeded', 2, 1, md5(job || q || m || r), 2,
            'Answer ' || q, 'answered', 'bench', t, t + interval '2 seconds', t, t + interval '2 seconds'
       FROM unnest($1::text[]) AS job, generate_series(0, 19) q, generate_series(0, 9) m, generate_series(0, 9) r,
            LATERAL (SELECT now() - interval '3 days' + (q * 100 + m * 10 + r) * interval '1 second' AS t) tt`,
    [batch],
  );
  await ds.query(
    `INSERT INTO execution_attempts (execution_id, job_id, attempt, runner_id, lease_token, started_at, ended_at, outcome, http_status,
                                     latency_ms, system_prompt, user_prompt, parameters, prompt_hash, parameters_hash, response, trace_id)
     SELECT e.id, e.job_id, a, 'bench-runner', gen_random_uuid(), e.started_at + (a - 1) * interval '1 second',
            e.started_at + (a - 1) * interval '1 second' + interval '500 milliseconds',
            CASE a WHEN 1 THEN 'retryable_error' ELSE 'succeeded' END, CASE a WHEN 1 THEN 503 ELSE 200 END, 500,
            replace($2, '{region_name}', 'Region ' || substr(e.region, 8)), 'Question ' || substr(e.question_id, 2) || '?',
            '{}', md5(e.job_id || e.question_id || e.region), 'p', CASE a WHEN 2 THEN e.response END, e.trace_id
       FROM executions e, generate_series(1, 2) a WHERE e.job_id = ANY($1)`,
    [batch, template],
  );
  log(`  ${Math.min(j + 50, jobs)}/${jobs} jobs`);
}
await ds.query('ANALYZE');
const [counts] = await ds.query(
  'SELECT (SELECT count(*) FROM executions)::int AS executions, (SELECT count(*) FROM execution_attempts)::int AS attempts',
);
const generateMs = performance.now() - t0;
log(`generated ${counts.executions} executions and ${counts.attempts} attempts in ${(generateMs / 1000).toFixed(1)} s`);

const service = new reconciler.ReconcileService(ds);
const time = async (opts) => {
  const s = performance.now();
  const r = await service.run(opts);
  return { ms: performance.now() - s, r };
};
await time({ persist: true }); // warm the caches once, as a daemon's pass would find them
const full = await time({ persist: true });
log(`full pass: ${full.ms.toFixed(0)} ms, ${full.r.findings?.length ?? '?'} findings, errors ${JSON.stringify(full.r.errors ?? [])}`);
// New work since the last run: one more job with a few cells touched now.
await ds.query(`UPDATE jobs SET updated_at = now() WHERE id = $1`, [ids[0]]);
const inc = await time({ persist: true, scope: { since: new Date(Date.now() - 60_000) } });
log(`incremental pass: ${inc.ms.toFixed(0)} ms, ${inc.r.findings?.length ?? '?'} findings`);

// Per rule, so the slow ones are visible.
const perRuleMs = {};
for (const rule of reconciler.RULES) {
  const s = performance.now();
  await service.run({ persist: false, ruleIds: [rule.id] });
  perRuleMs[rule.id] = Math.round(performance.now() - s);
}

// EXPLAIN of every statement each rule sends, in a full pass (jobIds null) and an incremental one (one touched job):
// the indexes its plan uses and any sequential scan of the big tables.
const BIG = new Set(['executions', 'execution_attempts', 'jobs']);
function walk(node, acc) {
  const rel = node['Relation Name'];
  if (node['Index Name']) acc.indexes.add(node['Index Name']);
  if (node['Node Type'] === 'Seq Scan' && BIG.has(rel)) acc.seqScans.add(rel);
  for (const child of node.Plans ?? []) walk(child, acc);
}
async function explainRule(rule, jobIds) {
  const acc = { indexes: new Set(), seqScans: new Set(), statements: 0 };
  // The rule runs on an EntityManager bound to one query runner whose every statement is explained first: rules
  // read through queryRows, which sends a bound manager's statements to its runner.
  const runner = ds.createQueryRunner();
  const run = runner.query.bind(runner);
  runner.query = async (sql, params, structured) => {
    const [plan] = await run(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    walk(plan['QUERY PLAN'][0].Plan, acc);
    acc.statements++;
    return run(sql, params, structured);
  };
  try {
    await rule.run({ ds: runner.manager, jobIds, thresholds: reconciler.DEFAULT_THRESHOLDS });
  } finally {
    await runner.release();
  }
  if (acc.statements === 0) throw new Error(`EXPLAIN of ${rule.id}: no statement seen (the rule no longer reads through its context)`);
  return { statements: acc.statements, indexes: [...acc.indexes].sort(), seqScans: [...acc.seqScans].sort() };
}
const explain = {};
for (const rule of reconciler.RULES) {
  explain[rule.id] = { full: await explainRule(rule, null), incremental: await explainRule(rule, [ids[0]]) };
  const e = explain[rule.id];
  log(
    `  ${rule.id.padEnd(22)} full: ${e.full.indexes.join(', ') || '-'}${e.full.seqScans.length ? `  [seq scan: ${e.full.seqScans.join(', ')}]` : ''}` +
      ` | incremental: ${e.incremental.indexes.join(', ') || '-'}${e.incremental.seqScans.length ? `  [seq scan: ${e.incremental.seqScans.join(', ')}]` : ''}`,
  );
}
const rulesWithIndexes = Object.values(explain).filter((e) => e.incremental.indexes.length > 0).length;
const incrementalSeqScans = Object.entries(explain)
  .filter(([, e]) => e.incremental.seqScans.length > 0)
  .map(([id]) => id);
log(
  `EXPLAIN: ${rulesWithIndexes}/${reconciler.RULES.length} rules use indexes in an incremental pass; ` +
    `sequential scans of the big tables in an incremental pass: ${incrementalSeqScans.join(', ') || 'none'}`,
);
await ds.destroy();
process.stdout.write(
  JSON.stringify({
    explainSummary: { rules: reconciler.RULES.length, rulesWithIndexes, incrementalSeqScans },
    ...counts,
    generateMs: Math.round(generateMs),
    fullPassMs: Math.round(full.ms),
    incrementalPassMs: Math.round(inc.ms),
    targets: { fullPassMs: 10_000, incrementalPassMs: 200 },
    fullFindings: full.r.findings?.length ?? null,
    errors: full.r.errors ?? [],
    perRuleMs,
    explain,
  }) + '\n',
);
