// `node --import ./module-trace.mjs program.js`: records the name of every package the program loads (one a line, in
// the file MODULE_TRACE_FILE names), so a test can tell which libraries a command brought in.
import { register } from 'node:module';

register('./module-trace.hooks.mjs', import.meta.url, { data: { file: process.env.MODULE_TRACE_FILE } });
