#!/usr/bin/env node
// The `beacon` command. Runs the compiled CLI; builds it first when a checkout has not been built yet.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('beacon: first run, building (npm run build)…\n');
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.status !== 0 || !existsSync(entry)) {
    process.stderr.write('beacon: build failed; run `npm ci` in the Beacon checkout\n');
    process.exit(1);
  }
}
await import(pathToFileURL(entry).href);
