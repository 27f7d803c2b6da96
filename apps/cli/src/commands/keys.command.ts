import { generateKeyPairSync } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { rawPublicKeyBase64, SIGNING_KEY_ID_PATTERN } from '@beacon/domain';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';

interface KeysCreateOptions {
  id: string;
  out: string;
  json?: boolean;
}

/** `beacon keys create`: a new Ed25519 signing key pair; the private key goes to a 0600 file, the public key to stdout. */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage Ed25519 keys for signing job specs');
  keys
    .command('create')
    .description(
      'create an Ed25519 key pair: writes the private key (PKCS#8 PEM, mode 0600) to <dir>/<id>.key and prints the signing.keys entry to configure',
    )
    .requiredOption('--id <keyId>', `the key id, sent as Beacon-Key-Id; must match ${SIGNING_KEY_ID_PATTERN.source}`)
    .option('--out <dir>', 'directory for the private key file (created if missing)', '.')
    .option('--json', 'print as JSON')
    .action(async (opts: KeysCreateOptions) => {
      if (!SIGNING_KEY_ID_PATTERN.test(opts.id))
        throw new CliError(`--id: must match ${SIGNING_KEY_ID_PATTERN.source} (got ${JSON.stringify(opts.id)})`, EXIT.usage);
      const file = path.resolve(opts.out, `${opts.id}.key`);
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      await writePrivateKey(opts.out, file, pem);
      const raw = rawPublicKeyBase64(publicKey);
      const entry = `{ id: ${JSON.stringify(opts.id)}, publicKey: "${raw}", status: active }`;
      if (opts.json) {
        return printJson({
          id: opts.id,
          privateKeyFile: file,
          publicKey: raw,
          publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
          configEntry: { id: opts.id, publicKey: raw, status: 'active' },
        });
      }
      process.stdout.write(
        [
          `private key written to ${file} (mode 0600; keep it secret, never put it in the daemon's configuration)`,
          '',
          `public key (Ed25519, 32 bytes base64): ${raw}`,
          '',
          "add to the daemon's beacon.config.yaml under signing.keys (with signing.required: true to refuse unsigned jobs):",
          `  - ${entry}`,
          '',
          'sign submissions with:',
          `  beacon submit FILE --sign-key ${file} --key-id ${opts.id}`,
          `  (or set BEACON_SIGN_KEY=${file} and BEACON_KEY_ID=${opts.id})`,
          '',
        ].join('\n'),
      );
    });
}

/** Creates the key file exclusively (never overwriting one) with mode 0600, whatever the umask. */
async function writePrivateKey(dir: string, file: string, pem: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new CliError(`--out: cannot create directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EXIT.usage);
  }
  let handle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new CliError(
        `${file} already exists; refusing to overwrite a key (choose another --id or --out, or remove the file)`,
        EXIT.conflict,
      );
    throw new CliError(`cannot create ${file}: ${code ?? String(err)}`, EXIT.usage);
  }
  try {
    await handle.chmod(0o600);
    await handle.writeFile(pem, 'utf8');
  } finally {
    await handle.close();
  }
}
