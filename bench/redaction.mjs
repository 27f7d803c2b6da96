// Secret redaction cost: the redactor runs on every upstream answer, log line, span attribute, API answer and live
// event, so it must cost about what reading the text does. Measures a 4 MiB answer (the default response cap), a 2 KB
// error body that echoes a key, a log line, and a 1 MiB JSON answer holding one key, with 12 registered secrets; and
// 1 MiB of adversarial text per credential shape (token runs where every position is a rejected candidate, starts
// without an end), whose cost must stay that of prose: every scanner is a single linear pass.
// Run alone: `node bench/redaction.mjs [--json]`; `npm run bench` runs it as scenario (i).
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { load } from './lib.mjs';

function time(fn, runs) {
  fn();
  const t = performance.now();
  for (let i = 0; i < runs; i++) fn();
  return (performance.now() - t) / runs;
}

/** 1 MiB texts built to make one scanner work hard, by pattern family. */
const ADVERSARIAL = {
  a_a_: 'a_',
  'ask-': 'ask-',
  aAIza: 'aAIza',
  eyJ: 'eyJ',
  'PEM BEGIN': '-----BEGIN RSA PRIVATE KEY-----\nMIIB',
  xbearer: 'xbearer ',
  'key:': 'key:',
  '=': '=',
  'a=': 'a=',
  '://u:': '://u:',
};

/** Returns `{msPerMiB, fourMiBAnswerMs, errorBodyUs, logLineUs, jsonAnswerMs, adversarialMsPerMiB, worstAdversarial}`. */
export async function redactionBench({ domain }) {
  const keys = Array.from({ length: 12 }, () => `sk-bench-${randomUUID()}`);
  const r = new domain.SecretRedactor(keys);
  const words =
    'the model answered that regional policies differ and it cannot provide legal advice about this topic; ' +
    'however https://example.com/a?b=c well-known sources say 42 % (see id 4bf92f3577b34da6a3ce929d0e0e4736) _x_ '.split(' ');
  let answer = '';
  for (let i = 0; answer.length < 4 * 1024 * 1024; i++) answer += `${words[(i * 7919) % words.length]} `;
  const body = JSON.stringify({ choices: [{ message: { content: answer } }] });
  const errorBody =
    JSON.stringify({ error: { message: `Incorrect API key provided: Bearer ${keys[3]}`, type: 'invalid_request_error' } }) +
    ' ' +
    answer.slice(0, 1800);
  const line =
    '{"level":"info","time":"2026-12-03T17:00:00.000Z","service":"beacon","runner":"r1","execution_id":"123","job_id":"job-1","region":"us-east","outcome":"succeeded","latency_ms":123,"msg":"attempt succeeded"}';
  const json = JSON.stringify({
    items: Array.from({ length: 1000 }, (_, i) => ({
      id: String(i),
      response: answer.slice(i * 900, i * 900 + 900),
      error: i === 500 ? keys[0] : null,
    })),
  });
  const msPerMiB = time(() => r.redact(body), 5) / (body.length / 1048576);
  return {
    msPerMiB: Math.round(msPerMiB * 100) / 100,
    fourMiBAnswerMs: Math.round(time(() => r.redact(body), 5) * 10) / 10,
    errorBodyUs: Math.round(time(() => r.redact(errorBody), 2000) * 1000 * 10) / 10,
    logLineUs: Math.round(time(() => r.redact(line), 50_000) * 1000 * 100) / 100,
    jsonAnswerMs: Math.round(time(() => r.redact(json), 10) * 10) / 10,
    jsonAnswerMiB: Math.round((json.length / 1048576) * 10) / 10,
    ...adversarial(r),
  };
}

/** ms per MiB of each adversarial text, the worst of them, and each family's time growth from 64 KiB to 1 MiB (16× the text). */
function adversarial(r) {
  const perFamily = {};
  const growth = {};
  for (const [name, unit] of Object.entries(ADVERSARIAL)) {
    const text = unit.repeat(Math.ceil(1048576 / unit.length)).slice(0, 1048576);
    perFamily[name] = Math.round(time(() => r.redact(text), 5) * 100) / 100;
    // Linear means 16 times the text costs about 16 times the time; a restarting scan costs 256 times.
    const small = text.slice(0, 65536);
    growth[name] =
      Math.round(
        (time(() => r.redact(text), 5) /
          Math.max(
            time(() => r.redact(small), 20),
            0.05,
          )) *
          10,
      ) / 10;
  }
  const [worst, ms] = Object.entries(perFamily).sort((a, b) => b[1] - a[1])[0];
  const maxGrowth = Math.max(...Object.values(growth));
  return { adversarialMsPerMiB: perFamily, worstAdversarial: { family: worst, msPerMiB: ms }, growth64KiBTo1MiB: growth, maxGrowth };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await redactionBench(await load());
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else {
    process.stdout.write(
      `secret redaction: ${result.msPerMiB} ms/MiB; 4 MiB answer ${result.fourMiBAnswerMs} ms; 2 KB error body ${result.errorBodyUs} µs; ` +
        `log line ${result.logLineUs} µs; ${result.jsonAnswerMiB} MiB JSON answer ${result.jsonAnswerMs} ms; adversarial text: worst ` +
        `${result.worstAdversarial.msPerMiB} ms/MiB (${result.worstAdversarial.family}), ` +
        `${Object.entries(result.adversarialMsPerMiB)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}\n`,
    );
  }
}
