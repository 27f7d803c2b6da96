import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { run } from './program.js';

const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };
process.exitCode = await run(process.argv, pkg.version);
