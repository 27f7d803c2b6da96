// `npm run bench:transparency` (also step (o) of `npm run bench`): the evidence log at 1,000,000 leaves. Appends
// synthetic receipts (about the size of a real one) in the checkpoint step's batches, each a transaction under the
// log's advisory lock with a signed head, and reports receipts/s; then times inclusion proofs of random leaves and
// consistency proofs between random sizes, read from the stored subtrees (p50, p99, max), and checks each one verifies.
// Targets: an inclusion proof under 10 ms; appends at least as fast as the engine commits cells (bench (a)).
// `--leaves N` changes the size.
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { load, throwawayDb } from './lib.mjs';

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 1000) / 1000;
};

export async function transparencyBench(libs, { leaves = 1_000_000, batch = 10_000, proofs = 1000 } = {}) {
  const { db, domain } = libs;
  const database = await throwawayDb(db);
  const ds = db.createDataSource(database.url, { applicationName: 'beacon-bench', poolSize: 4 });
  try {
    await ds.initialize();
    await db.migrate(ds);
    const repo = new db.TransparencyRepository(ds);
    const { privateKey } = generateKeyPairSync('ed25519');
    const signer = { keyId: 'bench', origin: 'beacon.bench/log', sign: (body) => domain.signNote(body, 'bench', privateKey) };
    const filler = 'x'.repeat(900);
    const t0 = performance.now();
    for (let at = 0; at < leaves; at += batch) {
      const items = [];
      for (let i = at; i < Math.min(leaves, at + batch); i++) {
        items.push({
          executionId: String(i + 1),
          jobId: `bench-${Math.floor(i / 10_000)}`,
          receipt: Buffer.from(`{"execution_id":"${i + 1}","response":"${filler}"}`),
        });
      }
      await ds.transaction(async (tx) => {
        await db.queryRows(tx, 'SELECT pg_advisory_xact_lock($1::bigint)', [db.TRANSPARENCY_LOCK_KEY]);
        await repo.appendLocked(tx, items, signer);
      });
    }
    const appendS = (performance.now() - t0) / 1000;
    const head = await repo.head();
    const rand = (n) => Math.floor(Math.random() * n);
    const inclusionMs = [];
    let bad = 0;
    for (let i = 0; i < proofs; i++) {
      const index = rand(head.treeSize);
      const t = performance.now();
      const proof = await repo.inclusionProof(index, head.treeSize);
      inclusionMs.push(performance.now() - t);
      const leaf = await repo.leaf({ index });
      if (!domain.verifyInclusion(index, head.treeSize, leaf.leafHash, proof, head.rootHash)) bad += 1;
    }
    const heads = await repo.heads();
    const consistencyMs = [];
    for (let i = 0; i < Math.min(proofs, 200); i++) {
      const from = heads[rand(heads.length)];
      const t = performance.now();
      const proof = await repo.consistencyProof(from.treeSize, head.treeSize);
      consistencyMs.push(performance.now() - t);
      if (!domain.verifyConsistency(from.treeSize, head.treeSize, proof, from.rootHash, head.rootHash)) bad += 1;
    }
    return {
      leaves: head.treeSize,
      batch,
      appendSeconds: Math.round(appendS * 10) / 10,
      appendPerSec: Math.round(leaves / appendS),
      inclusionMs: { p50: pct(inclusionMs, 50), p99: pct(inclusionMs, 99), max: pct(inclusionMs, 100) },
      consistencyMs: { p50: pct(consistencyMs, 50), p99: pct(consistencyMs, 99), max: pct(consistencyMs, 100) },
      proofsThatFailed: bad,
      targetInclusionMs: 10,
    };
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await database.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--leaves');
  const out = await transparencyBench(await load(), { leaves: i > 0 ? Number(process.argv[i + 1]) : 1_000_000 });
  process.stdout.write(JSON.stringify(out) + '\n');
}
