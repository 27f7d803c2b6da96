import { foldPieces, nodeHash, perfectPieces } from '@beacon/domain';
import { queryRows } from '@beacon/db';
import type { RawFinding, ReconcilerRule, RuleContext } from '../reconciler.types.js';
import { inJobs, ruleRows } from './rule-sql.js';

/** A leaf whose stored receipt no longer hashes to its leaf hash, or whose level-0 node differs. */
interface AlteredLeafRow {
  leaf_index: string;
  execution_id: string;
  job_id: string;
  receipt_ok: boolean;
  node_ok: boolean;
}

interface HeadRow {
  tree_size: string;
  root_hash: Buffer;
}

/** Leaf hashes read per statement while the tree is rebuilt. */
const CHUNK = 50_000;

/**
 * The evidence log must be exactly what was appended. Per job (incremental passes look at the jobs touched): every
 * receipt must still hash to its leaf hash and its stored level-0 node. On a full pass the tree is rebuilt from the
 * leaf hashes, and the root at every signed head's size must equal that head's root, and the stored right edge of the
 * tree the next appends build on must equal the rebuilt one. The tables refuse UPDATE, DELETE and TRUNCATE, so a
 * finding means someone with the owner's or a superuser's rights disabled that, or restored an altered backup.
 */
export const transparencyLogRule: ReconcilerRule = {
  id: 'transparency_log',
  severity: 'critical',
  title: 'Evidence log altered',
  kind: 'jobs',
  explanation:
    'A row of the append-only evidence log (a receipt, a leaf hash, a stored tree node) no longer matches what was ' +
    'appended and signed: the published heads no longer describe the stored history, and bundles exported now will ' +
    'fail verification. Someone with owner or superuser rights changed the log tables (their triggers refuse it ' +
    'otherwise), or an altered backup was restored. Treat it as an incident: compare with a witness and with bundles ' +
    'published earlier, and restore the log from a trusted copy.',
  async run(ctx) {
    const findings: RawFinding[] = [];
    const altered = await ruleRows<AlteredLeafRow>(
      ctx,
      `SELECT l.leaf_index::text, l.execution_id::text, l.job_id,
              sha256('\\x00'::bytea || l.receipt) = l.leaf_hash AS receipt_ok,
              coalesce(n.hash = l.leaf_hash, false) AS node_ok
         FROM transparency_leaves l
         LEFT JOIN transparency_nodes n ON n.level = 0 AND n.idx = l.leaf_index
        WHERE ${inJobs('l.job_id')}
          AND (sha256('\\x00'::bytea || l.receipt) <> l.leaf_hash OR n.hash IS DISTINCT FROM l.leaf_hash)
        ORDER BY l.leaf_index
        LIMIT $2`,
      [ctx.thresholds.evidenceLimit],
    );
    for (const r of altered) {
      const what = r.receipt_ok ? 'its stored tree node differs from its leaf hash' : 'its receipt no longer hashes to its leaf hash';
      findings.push({
        fingerprint: `transparency_log:leaf:${r.leaf_index}`,
        jobId: r.job_id,
        summary: `evidence log leaf ${r.leaf_index} (execution ${r.execution_id}): ${what}`,
        evidence: { leafIndex: Number(r.leaf_index), executionIds: [r.execution_id], receiptMatches: r.receipt_ok, nodeMatches: r.node_ok },
      });
    }
    if (ctx.jobIds === null) findings.push(...(await checkHeads(ctx)));
    return findings;
  },
};

/**
 * Rebuilds the tree from the leaf hashes in one pass, comparing the root at each signed head's size. The numbers are
 * read as text (bigint) but ordered by the columns, qualified: an unqualified `ORDER BY leaf_index` names the text
 * output column and sorts 0, 1, 10, 100, ….
 */
async function checkHeads(ctx: RuleContext): Promise<RawFinding[]> {
  const findings: RawFinding[] = [];
  const heads = await queryRows<HeadRow>(ctx.ds, 'SELECT h.tree_size::text, h.root_hash FROM transparency_heads h ORDER BY h.tree_size');
  const stack: { level: number; hash: Buffer }[] = [];
  let size = 0;
  let next = 0;
  const compare = () => {
    while (next < heads.length && Number(heads[next]!.tree_size) === size) {
      const head = heads[next]!;
      const root = foldPieces(stack.map((s) => s.hash));
      if (!root.equals(head.root_hash)) {
        findings.push({
          fingerprint: `transparency_log:head:${size}`,
          jobId: null,
          summary: `the evidence log's leaves no longer give the root of the signed head of size ${size}: its history was rewritten`,
          evidence: { treeSize: size, signedRoot: head.root_hash.toString('base64'), storedRoot: root.toString('base64') },
        });
      }
      next += 1;
    }
  };
  compare();
  for (;;) {
    const rows = await queryRows<{ leaf_index: string; leaf_hash: Buffer }>(
      ctx.ds,
      'SELECT l.leaf_index::text, l.leaf_hash FROM transparency_leaves l WHERE l.leaf_index >= $1 ORDER BY l.leaf_index LIMIT $2',
      [size, CHUNK],
    );
    for (const r of rows) {
      if (Number(r.leaf_index) !== size) {
        findings.push({
          fingerprint: `transparency_log:gap:${size}`,
          jobId: null,
          summary: `the evidence log has no leaf ${size}: leaves were removed`,
          evidence: { missingLeaf: size },
        });
        return findings;
      }
      stack.push({ level: 0, hash: r.leaf_hash });
      while (stack.length >= 2 && stack[stack.length - 1]!.level === stack[stack.length - 2]!.level) {
        const right = stack.pop()!;
        const left = stack.pop()!;
        stack.push({ level: left.level + 1, hash: nodeHash(left.hash, right.hash) });
      }
      size += 1;
      compare();
    }
    if (rows.length < CHUNK) break;
  }
  for (; next < heads.length; next++) {
    findings.push({
      fingerprint: `transparency_log:head:${heads[next]!.tree_size}`,
      jobId: null,
      summary: `a head of size ${heads[next]!.tree_size} is signed but the log holds ${size} leaves: leaves were removed`,
      evidence: { treeSize: Number(heads[next]!.tree_size), leaves: size },
    });
  }
  // The right edge the next appends build on: each stored piece must equal the rebuilt one.
  const pieces = perfectPieces(0, size);
  if (pieces.length > 0) {
    const stored = await queryRows<{ level: number; idx: string; hash: Buffer }>(
      ctx.ds,
      `SELECT n.level, n.idx::text, n.hash FROM transparency_nodes n
         JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx`,
      [pieces.map((p) => p.level), pieces.map((p) => p.index)],
    );
    pieces.forEach((p, i) => {
      const s = stored.find((r) => r.level === p.level && Number(r.idx) === p.index);
      if (!s || !s.hash.equals(stack[i]!.hash)) {
        findings.push({
          fingerprint: `transparency_log:node:${p.level}:${p.index}`,
          jobId: null,
          summary: `the evidence log's stored subtree (level ${p.level}, index ${p.index}) differs from its leaves: new heads would be built on altered data`,
          evidence: { level: p.level, index: p.index },
        });
      }
    });
  }
  return findings;
}
