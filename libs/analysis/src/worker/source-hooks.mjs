// Module hooks for a worker thread started from the TypeScript sources (the test suite runs them untranspiled on
// disk): `.ts` files are compiled with swc as the tests' own transform does, `./x.js` imports find `./x.ts`, and the
// `@beacon/*` aliases point into the source tree. The built daemon never loads this file: it runs the compiled worker.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = new URL('../../../../', import.meta.url);
const aliases = { runner: 'apps/runner/src/index.ts', migrations: 'migrations/index.ts' };
let swc;

export async function resolve(specifier, context, next) {
  const alias = /^@beacon\/([a-z-]+)$/.exec(specifier);
  if (alias) return { url: new URL(aliases[alias[1]] ?? `libs/${alias[1]}/src/index.ts`, root).href, shortCircuit: true };
  if (context.parentURL?.endsWith('.ts') && /^\.{1,2}\//.test(specifier) && specifier.endsWith('.js')) {
    try {
      return await next(specifier, context);
    } catch {
      return next(specifier.replace(/\.js$/, '.ts'), context);
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !/\.tsx?$/.test(url)) return next(url, context);
  swc ??= await import('@swc/core');
  const source = await readFile(fileURLToPath(url), 'utf8');
  const out = await swc.transform(source, {
    filename: fileURLToPath(url),
    sourceMaps: 'inline',
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', tsx: url.endsWith('.tsx'), decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, react: { runtime: 'automatic' } },
    },
    module: { type: 'es6' },
  });
  return { format: 'module', source: out.code, shortCircuit: true };
}
