// The loader hooks of module-trace.mjs: every resolved module under node_modules appends its package name to the file.
import { appendFileSync } from 'node:fs';

let file;

export function initialize(data) {
  file = data.file;
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(result.url)?.[1];
  if (pkg && file) appendFileSync(file, `${pkg}\n`);
  return result;
}
