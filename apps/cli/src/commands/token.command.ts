import type { Command } from 'commander';
import { createToken, hashToken, isRole, ROLE_GRANTS, ROLES, TOKEN_NAME_PATTERN } from '@beacon/domain';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';

interface TokenCreateOptions {
  name: string;
  role: string;
  hash: string;
  json?: boolean;
}

/** `beacon token create`: a new random API token, printed once, with the configuration line holding its public id and hash. */
export function registerToken(program: Command): void {
  const token = program.command('token').description('manage API bearer tokens');
  token
    .command('create')
    .description(
      `create a token and print it once, with the config entry that stores only its hash; roles: ${ROLES.map((r) => `${r} (${ROLE_GRANTS[r]})`).join('; ')}`,
    )
    .requiredOption('--name <name>', 'who the token is for; shown in the audit log and as the submitter of its jobs')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--hash <scheme>', 'sha256 (for generated tokens) or scrypt', 'sha256')
    .option('--json', 'print as JSON')
    .action((opts: TokenCreateOptions) => {
      if (!TOKEN_NAME_PATTERN.test(opts.name)) throw new CliError(`--name: must match ${TOKEN_NAME_PATTERN.source}`, EXIT.usage);
      if (!isRole(opts.role))
        throw new CliError(`--role: must be one of ${ROLES.join(', ')} (got ${JSON.stringify(opts.role)})`, EXIT.usage);
      if (opts.hash !== 'sha256' && opts.hash !== 'scrypt')
        throw new CliError(`--hash: must be sha256 or scrypt (got ${JSON.stringify(opts.hash)})`, EXIT.usage);
      const { token: secret, id } = createToken();
      const hash = hashToken(secret, opts.hash);
      // The id is public: it lets a daemon find this entry before any slow hash (see Security in the README).
      const entry = `{ name: ${opts.name}, role: ${opts.role}, id: "${id}", hash: "${hash}" }`;
      const env = `${opts.name}:${opts.role}:${id}:${hash}`;
      if (opts.json) return printJson({ name: opts.name, role: opts.role, id, token: secret, hash, env });
      process.stdout.write(
        [
          `token (shown once; give it to the client as BEACON_TOKEN, keep it secret):`,
          `  ${secret}`,
          '',
          'add to beacon.config.yaml under auth.tokens:',
          `  - ${entry}`,
          '',
          "or to the daemon's BEACON_AUTH_TOKENS (space-separated name:role:id:hash entries):",
          `  ${env}`,
          '',
        ].join('\n'),
      );
    });
}
