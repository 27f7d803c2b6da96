// A token flood, run as its own process so that the load it makes is not measured as the daemon's: `concurrency`
// requests always in flight, each with a fresh random bearer token no daemon knows, for `durationMs`, alternating a
// read (GET /api/v1/jobs) and a mutation (POST /api/v1/jobs/:id/cancel, which the audit log records), sent from
// `localAddress` (any 127.x.y.z works on loopback, so a test can tell the attacker's address from its own).
// Prints {sent, byStatus: {"GET 401": n, …}, errors: {code: n}, seconds} as JSON on stdout.
import { randomBytes } from 'node:crypto';
import http from 'node:http';

const opts = JSON.parse(process.argv[2] ?? '{}');
const url = new URL(opts.url);
const concurrency = opts.concurrency ?? 800;
const durationMs = opts.durationMs ?? 3000;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
const byStatus = {};
const errors = {};
let sent = 0;
const started = Date.now();
const end = started + durationMs;

function once(i) {
  const post = i % 2 === 1;
  const body = post ? '{}' : undefined;
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        agent,
        localAddress: opts.localAddress,
        method: post ? 'POST' : 'GET',
        path: post ? '/api/v1/jobs/flood-target/cancel' : '/api/v1/jobs',
        headers: {
          authorization: `Bearer bct_${randomBytes(32).toString('base64url')}`,
          ...(post ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
        },
        timeout: 120_000,
      },
      (res) => {
        const key = `${post ? 'POST' : 'GET'} ${res.statusCode}`;
        res.resume();
        res.on('end', () => {
          byStatus[key] = (byStatus[key] ?? 0) + 1;
          resolve();
        });
        res.on('error', () => resolve());
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => {
      const code = err.code ?? err.message;
      errors[code] = (errors[code] ?? 0) + 1;
      resolve();
    });
    req.end(body);
  });
}

async function lane() {
  while (Date.now() < end) await once(sent++);
}

await Promise.all(Array.from({ length: concurrency }, lane));
agent.destroy();
process.stdout.write(JSON.stringify({ sent, byStatus, errors, seconds: (Date.now() - started) / 1000 }) + '\n');
