import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ApiRequestError, type BeaconApiClient } from '@beacon/api-client';
import { apiClient } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import {
  formatQuestionsFileProblem,
  loadQuestionsFile,
  QUESTIONS_FILE_FORMATS,
  questionsFileFormatOf,
  renderJobReport,
  signBeaconRequest,
  SIGNING_KEY_ID_PATTERN,
  type QuestionsFileFormat,
} from '@beacon/domain';
import { jobReport, waitForJob } from '../job-progress.js';
import { printJson } from '../output.js';

/**
 * `beacon submit FILE [--questions QFILE]`: send a job spec (Beacon's or the Go runner's) to the daemon, optionally
 * with its questions read from a CSV, JSON Lines or JSON file.
 */
export function registerSubmit(program: Command): void {
  program
    .command('submit')
    .description('submit a job spec file (use - for stdin); prints the job id and its number of cells')
    .argument('<file>', 'job spec JSON file')
    .option('--json', 'print the API answer as JSON')
    .option('--wait', 'wait for the job to finish, with a progress bar, then print its result table')
    .option(
      '--sign-key <pemFile>',
      'sign the submission with this Ed25519 private key (PKCS#8 PEM, from `beacon keys create`); default BEACON_SIGN_KEY',
    )
    .option('--key-id <id>', 'the id the daemon knows that key by (signing.keys[].id); default BEACON_KEY_ID')
    .option(
      '--questions <file>',
      'ask the questions of this file, sent inline in the spec (which must then list none): CSV with a header row ' +
        '(columns id,text,category,language; category and language optional), JSON Lines (.jsonl/.ndjson, one ' +
        '{"id","text","category","language"} per line) or the JSON bank (.json); every problem is listed and nothing is submitted',
    )
    .option('--questions-format <format>', `read --questions as ${QUESTIONS_FILE_FORMATS.join(', ')} whatever its extension`)
    .action(async (file: string, opts: SubmitOptions) => {
      const signer = await readSigner(opts);
      const spec = await readSpec(file);
      // The questions go in before signing: the signature covers exactly the bytes sent.
      const bytes = opts.questions === undefined ? spec : withQuestions(spec, file, opts.questions, opts.questionsFormat);
      const api = apiClient();
      // Signed over exactly the bytes sent, with a fresh nonce and the current time.
      const headers = signer
        ? signBeaconRequest(bytes, { keyId: signer.keyId, privateKey: signer.key, nonce: randomBytes(24).toString('base64url') })
        : {};
      const { status, body } = await submit(api, bytes, headers, signer !== null);
      if (!opts.wait) {
        if (opts.json) return printJson({ ...body, httpStatus: status });
        const verb = body.created ? 'submitted' : 'already submitted';
        process.stdout.write(`${verb} job ${body.id}: ${body.cells} cells, status ${body.status}\n`);
        return;
      }
      if (!opts.json) process.stderr.write(`${body.created ? 'submitted' : 'already submitted'} job ${body.id}: ${body.cells} cells\n`);
      const job = await waitForJob(api, body.id, { quiet: opts.json });
      const report = await jobReport(api, job);
      if (opts.json) printJson(report);
      else process.stdout.write(renderJobReport(report, { width: process.stdout.columns || 160 }));
      if (job.status !== 'completed') throw new CliError(`job ${job.id} ended ${job.status}`, EXIT.jobNotCompleted);
    });
}

interface SubmitOptions {
  json?: boolean;
  wait?: boolean;
  signKey?: string;
  keyId?: string;
  questions?: string;
  questionsFormat?: string;
}

/** The format to read `--questions` in: `--questions-format`, else the file's extension. */
function questionsFormat(questionsFile: string, given: string | undefined): QuestionsFileFormat {
  if (given !== undefined) {
    const known = (QUESTIONS_FILE_FORMATS as readonly string[]).includes(given);
    if (!known)
      throw new CliError(
        `--questions-format: must be one of ${QUESTIONS_FILE_FORMATS.join(', ')} (got ${JSON.stringify(given)})`,
        EXIT.usage,
      );
    return given as QuestionsFileFormat;
  }
  const format = questionsFileFormatOf(questionsFile);
  if (format === null) {
    throw new CliError(
      `--questions ${questionsFile}: cannot tell its format from the extension (.csv, .jsonl, .ndjson, .json); give --questions-format`,
      EXIT.usage,
    );
  }
  return format;
}

/**
 * The spec with the questions of `questionsFile` as its inline `questions` (inside `jobspec` for the Go portal's
 * wrapper). Refused, with every problem of the file, before anything is sent: a bad file submits nothing.
 */
function withQuestions(spec: Buffer, specFile: string, questionsFile: string, given: string | undefined): Buffer {
  const format = questionsFormat(questionsFile, given);
  let body: unknown;
  try {
    body = JSON.parse(spec.toString('utf8'));
  } catch (err) {
    throw new CliError(`${specFile}: not valid JSON (${(err as Error).message}), so --questions cannot be added to it`, EXIT.usage);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new CliError(`${specFile}: must be a JSON object (a job spec) to take --questions`, EXIT.usage);
  }
  const root = body as Record<string, unknown>;
  const wrapped = root.jobspec;
  const target = wrapped !== null && typeof wrapped === 'object' && !Array.isArray(wrapped) ? (wrapped as Record<string, unknown>) : root;
  if (target.questions !== undefined && target.questions !== null) {
    throw new CliError(`${specFile} already lists questions: give them there or with --questions, not both`, EXIT.usage);
  }
  // The spec's languages, so that a row without a text in one of them is named at its row and column.
  const languages = Array.isArray(target.languages) ? target.languages.filter((l): l is string => typeof l === 'string') : [];
  const loaded = loadQuestionsFile(questionsFile, { format, languages });
  if (!loaded.ok) {
    const count = loaded.problems.length;
    const lines = loaded.problems.map((problem) => `  ${formatQuestionsFileProblem(questionsFile, problem)}`);
    throw new CliError(
      `--questions ${questionsFile}: ${count} problem${count === 1 ? '' : 's'}, nothing submitted\n${lines.join('\n')}`,
      EXIT.usage,
    );
  }
  target.questions = loaded.questions.map(({ id, text, category, language, translations }) => ({
    id,
    text,
    ...(category === null ? {} : { category }),
    ...(language === null || language === undefined ? {} : { language }),
    ...(translations ? { translations } : {}),
  }));
  return Buffer.from(JSON.stringify(body));
}

/** A signature refusal (see the `signing:` section): its code is shown, since scripts and people act on it. */
const SIGNATURE_REFUSAL = /^(?:signature|key|timestamp|nonce)_[a-z]+$|^unsigned_override$/;

async function submit(
  api: BeaconApiClient,
  bytes: Uint8Array,
  headers: Record<string, string>,
  signed: boolean,
): ReturnType<BeaconApiClient['submitJob']> {
  try {
    return await api.submitJob(bytes, headers);
  } catch (err) {
    if (err instanceof ApiRequestError && SIGNATURE_REFUSAL.test(err.body.error)) {
      const hint = signed ? '' : ' (sign it with --sign-key and --key-id, or BEACON_SIGN_KEY and BEACON_KEY_ID)';
      throw new ApiRequestError(err.status, { ...err.body, message: `${err.body.error}: ${err.body.message}${hint}` });
    }
    throw err;
  }
}

/** The signing key and id from --sign-key / --key-id, else BEACON_SIGN_KEY / BEACON_KEY_ID; both or neither. */
async function readSigner(opts: { signKey?: string; keyId?: string }): Promise<{ key: KeyObject; keyId: string } | null> {
  const keyFile = opts.signKey ?? (process.env.BEACON_SIGN_KEY || undefined);
  const keyId = opts.keyId ?? (process.env.BEACON_KEY_ID || undefined);
  if (keyFile === undefined && keyId === undefined) return null;
  if (keyFile === undefined) throw new CliError('--key-id needs --sign-key (or BEACON_SIGN_KEY): the private key to sign with', EXIT.usage);
  if (keyId === undefined)
    throw new CliError('--sign-key needs --key-id (or BEACON_KEY_ID): the id the daemon knows the key by', EXIT.usage);
  if (!SIGNING_KEY_ID_PATTERN.test(keyId))
    throw new CliError(`--key-id: must match ${SIGNING_KEY_ID_PATTERN.source} (got ${JSON.stringify(keyId)})`, EXIT.usage);
  let pem: string;
  try {
    pem = await readFile(keyFile, 'utf8');
  } catch (err) {
    throw new CliError(`--sign-key: cannot read ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EXIT.usage);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new CliError(`--sign-key: ${keyFile} is not a PEM private key`, EXIT.usage);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new CliError(`--sign-key: ${keyFile} is a ${key.asymmetricKeyType ?? 'non-Ed25519'} key; an Ed25519 key is needed`, EXIT.usage);
  return { key, keyId };
}

async function readSpec(file: string): Promise<Buffer> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    }
    return await readFile(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EXIT.usage);
  }
}
