// Attacks on a daemon, each run as its own process so that the load it makes is not measured as the daemon's (nor
// slows the test process that probes the daemon and counts the simulator's calls). `node attack-client.mjs MODE JSON`:
//
// - `edge`: `lanes` requests always in flight for `durationMs`, cycling through the requests of defects 13.1 and 13.5:
//   chunked bodies over the size limit, bodies cut short (the socket destroyed mid-body), NUL in a path and in query
//   filters, a foreign Host with a text/plain body over the limit, huge cursors, an unknown Transfer-Encoding. Lanes
//   alternate between a valid bearer token (the request reaches the body reader and the input checks) and none (it is
//   refused by authentication, its body discarded), each from its own loopback address.
// - `streams`: the floods of defect 13.11c. First `streams` live-event streams (`/api/v1/events`) from `addresses`
//   loopback addresses, held open and read (they carry the engine's attempt events); then `idle` TCP connections that
//   send nothing; then, for `durationMs`, `churn` lanes opening connections and streams again and again. Everything is
//   closed at the end.
//
// - `control`: no attack, a yardstick: measures how late this idle process's own 10 ms timer runs, until SIGTERM, and
//   prints {samples, p50Ms, p99Ms, maxMs}. Next to the daemon's event-loop delay it tells a daemon held up by its own
//   work from a machine too busy to run anyone on time.
//
// - `probe`: the measuring side, in a process of its own so that the test's own pauses (a large heap's collections) are
//   not counted as the daemon's: `/health/live` over one keep-alive connection, one probe at a time every `gapMs`,
//   until SIGTERM; prints `ready` once the first probe is answered, then {n, failed, p50Ms, p99Ms, maxMs}.
//
// Prints one JSON line on stdout (last).
import http from 'node:http';
import net from 'node:net';

const [mode, raw] = process.argv.slice(2);
const opts = JSON.parse(raw ?? '{}');
const url = opts.url ? new URL(opts.url) : null;
const port = Number(url?.port);
const started = Date.now();
const count = (map, key) => {
  map[key] = (map[key] ?? 0) + 1;
};

if (mode === 'control') control();
else if (mode === 'probe') await probe();
else if (mode === 'reads') process.stdout.write(JSON.stringify(await reads()) + '\n');
else if (mode === 'edge') process.stdout.write(JSON.stringify(await edge()) + '\n');
else if (mode === 'streams') process.stdout.write(JSON.stringify(await streams()) + '\n');
else throw new Error(`unknown mode ${mode}`);

async function edge() {
  const end = started + (opts.durationMs ?? 5000);
  const byStatus = {};
  const errors = {};
  let sent = 0;
  const over = (size) => Array.from({ length: Math.ceil(size / 16384) }, (_, i) => Buffer.alloc(Math.min(16384, size - i * 16384), 'a'));
  const plans = [
    { method: 'POST', path: '/api/v1/jobs', type: 'application/json', chunks: over(1_100_000), framing: 'chunked' },
    { method: 'POST', path: '/api/v1/jobs', type: 'application/json', chunks: over(4096), framing: 'chunked', cut: true },
    { method: 'POST', path: '/api/v1/jobs/%00/cancel', type: 'application/json', chunks: [Buffer.from('{}')], framing: 'length' },
    {
      method: 'POST',
      path: '/api/v1/jobs/adv-target/cancel',
      host: 'attacker.example',
      type: 'text/plain',
      chunks: over(64 * 1024),
      framing: 'length',
    },
    { method: 'GET', path: `/api/v1/executions?job=%00&job[]=x&cursor=${'9'.repeat(40)}`, origin: 'http://attacker.example' },
    { method: 'GET', path: '/api/v1/findings?rule=a%00b&state=%00' },
    { method: 'GET', path: `/api/v1/jobs/%00/timeline?cursor=${'9'.repeat(30)}` },
    { method: 'POST', path: '/api/v1/jobs', type: 'application/json', chunks: [Buffer.from('{}')], framing: 'gzip' },
    { method: 'POST', path: '/api/v1/jobs', type: 'application/json', chunks: over(2048), framing: 'length', cut: true },
  ];
  const agents = opts.addresses.map(() => new http.Agent({ keepAlive: true, maxSockets: opts.lanes }));
  const once = (plan, lane) =>
    new Promise((resolve) => {
      const withToken = lane % 2 === 0;
      const headers = {};
      if (withToken) headers.authorization = `Bearer ${opts.token}`;
      if (plan.host) headers.host = plan.host;
      if (plan.origin) headers.origin = plan.origin;
      if (plan.type) headers['content-type'] = plan.type;
      const size = (plan.chunks ?? []).reduce((n, c) => n + c.length, 0);
      if (plan.chunks && plan.framing === 'length') headers['content-length'] = String(plan.cut ? size * 2 : size);
      if (plan.chunks && plan.framing !== 'length') headers['transfer-encoding'] = plan.framing;
      // A request the parser cannot frame, or one abandoned half-way, leaves its connection unusable: its own connection.
      const own = plan.cut || (plan.chunks && plan.framing !== 'length' && plan.framing !== 'chunked');
      const req = http.request({
        host: url.hostname,
        port,
        method: plan.method,
        path: plan.path,
        headers,
        setHost: !plan.host,
        localAddress: opts.addresses[lane % opts.addresses.length],
        agent: own ? false : agents[lane % agents.length],
      });
      let settled = false;
      const done = (key) => {
        if (settled) return;
        settled = true;
        count(byStatus, key);
        resolve();
      };
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => done(`${plan.method} ${res.statusCode}`));
        res.on('error', () => done(`${plan.method} ${res.statusCode}`));
      });
      req.on('error', (err) => {
        if (!plan.cut) count(errors, err.code ?? err.message);
        done(plan.cut ? 'cut' : 'error');
      });
      req.on('close', () => done(plan.cut ? 'cut' : 'closed'));
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
      void (async () => {
        for (const c of plan.chunks ?? []) {
          if (req.destroyed || settled) return;
          if (!req.write(c)) await new Promise((r) => req.once('drain', r).once('close', r));
        }
        if (plan.cut) {
          // Vanish mid-body once the request is surely in the daemon's hands.
          await new Promise((r) => setTimeout(r, 20));
          req.destroy();
          return;
        }
        req.end();
      })();
    });
  await Promise.all(
    Array.from({ length: opts.lanes }, async (_, lane) => {
      for (let i = lane; Date.now() < end; i++) {
        sent++;
        await once(plans[i % plans.length], lane);
      }
    }),
  );
  for (const a of agents) a.destroy();
  return { sent, byStatus, errors, seconds: (Date.now() - started) / 1000 };
}

async function streams() {
  const out = { streams: {}, streamBytes: 0, idle: { held: 0, refused: 0, errors: 0 }, churn: {}, seconds: 0 };
  const open = [];
  /** Opens a live-event stream; resolves with its status (200 streams stay open, read to the end). */
  const stream = (from) =>
    new Promise((resolve) => {
      const req = http.get(
        {
          host: url.hostname,
          port,
          path: '/api/v1/events',
          localAddress: from,
          agent: false,
          headers: { accept: 'text/event-stream', authorization: `Bearer ${opts.token}` },
        },
        (res) => {
          res.on('data', (c) => {
            out.streamBytes += c.length;
          });
          res.on('error', () => undefined);
          if (res.statusCode === 200) open.push(req);
          resolve(res.statusCode);
        },
      );
      req.on('error', (err) => resolve(err.code ?? 'error'));
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    });
  const addresses = Array.from({ length: opts.addresses }, (_, i) => `127.0.${opts.subnet}.${i + 1}`);
  const statuses = await Promise.all(Array.from({ length: opts.streams }, (_, i) => stream(addresses[i % addresses.length])));
  for (const s of statuses) count(out.streams, String(s));

  const sockets = [];
  const connect = (from) =>
    new Promise((resolve) => {
      const s = net.connect({ port, host: url.hostname, localAddress: from });
      s.on('error', () => resolve({ s, ok: false }));
      s.on('connect', () => resolve({ s, ok: true }));
    });
  // Idle connections: each one the daemon keeps costs it a descriptor; past its cap it answers 503 and closes them.
  for (let i = 0; i < opts.idle; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, opts.idle - i) }, (_, j) => connect(addresses[(i + j) % addresses.length])),
    );
    for (const c of batch) {
      if (!c.ok) out.idle.errors++;
      sockets.push(c.s);
      c.s.on('data', () => undefined);
    }
  }
  // The attack holds for `durationMs` from here, with churn: new connections (refused at once past the cap) sending a
  // job, and new stream requests.
  const end = Date.now() + (opts.durationMs ?? 5000);
  await Promise.all(
    Array.from({ length: opts.churn }, async (_, lane) => {
      while (Date.now() < end) {
        if (lane % 2 === 0) {
          const c = await connect(addresses[lane % addresses.length]);
          const answer = !c.ok
            ? 'error'
            : await new Promise((resolve) => {
                let text = '';
                c.s.setEncoding('latin1');
                c.s.on('data', (d) => {
                  text += d;
                });
                c.s.on('close', () => resolve(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 'closed'));
                c.s.write('POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
                setTimeout(() => c.s.destroy(), 2000);
              });
          count(out.churn, `conn ${answer}`);
        } else {
          count(out.churn, `stream ${await stream(addresses[lane % addresses.length])}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    }),
  );
  for (const s of sockets) {
    if (s.destroyed || s.readyState !== 'open') out.idle.refused++;
    else out.idle.held++;
  }
  out.streamsHeldAtEnd = open.filter((r) => !r.destroyed && !r.socket?.destroyed).length;
  for (const r of open) r.destroy();
  for (const s of sockets) s.destroy();
  out.seconds = (Date.now() - started) / 1000;
  return out;
}

function control() {
  const late = [];
  let previous = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    late.push(Math.max(0, now - previous - 10));
    previous = now;
  }, 10);
  process.once('SIGTERM', () => {
    clearInterval(timer);
    late.sort((a, b) => a - b);
    const at = (p) => +(late[Math.min(late.length - 1, Math.max(0, Math.ceil((p / 100) * late.length) - 1))] ?? 0).toFixed(1);
    process.stdout.write(JSON.stringify({ samples: late.length, p50Ms: at(50), p99Ms: at(99), maxMs: at(100) }) + '\n');
  });
}

async function reads() {
  const end = started + (opts.durationMs ?? 5000);
  const byStatus = {};
  const errors = {};
  let sent = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.lanes });
  const once = (route, token) =>
    new Promise((resolve) => {
      const req = http.get(
        { host: url.hostname, port, path: route, agent, localAddress: opts.address, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          res.resume();
          res.on('end', () => {
            count(byStatus, `${route.split('?')[0]} ${res.statusCode}`);
            resolve();
          });
        },
      );
      req.on('error', (err) => {
        count(errors, err.code ?? err.message);
        resolve();
      });
      req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
    });
  await Promise.all(
    Array.from({ length: opts.lanes }, async (_, lane) => {
      for (let i = lane; Date.now() < end; i++) {
        sent++;
        await once(opts.paths[i % opts.paths.length], opts.tokens[lane % opts.tokens.length]);
      }
    }),
  );
  agent.destroy();
  return { sent, byStatus, errors, seconds: (Date.now() - started) / 1000 };
}

async function probe() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = http.get({ host: url.hostname, port, path: '/health/live', agent, localAddress: '127.0.0.1' }, (res) => {
        res.resume();
        res.on('end', () => resolve({ ok: res.statusCode === 200, ms: performance.now() - t0 }));
      });
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve({ ok: false, ms: performance.now() - t0 }));
    });
  let stop = false;
  process.once('SIGTERM', () => {
    stop = true;
  });
  await once();
  process.stdout.write('ready\n');
  const samples = [];
  while (!stop) {
    samples.push(await once());
    await new Promise((r) => setTimeout(r, opts.gapMs ?? 10));
  }
  agent.destroy();
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (p) => +(ms[Math.min(ms.length - 1, Math.max(0, Math.ceil((p / 100) * ms.length) - 1))] ?? 0).toFixed(1);
  process.stdout.write(
    JSON.stringify({ n: ms.length, failed: samples.filter((s) => !s.ok).length, p50Ms: at(50), p99Ms: at(99), maxMs: at(100) }) + '\n',
  );
}
