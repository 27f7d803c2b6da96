import type { Problem } from './problem.js';

/** Thrown when a configuration cannot be used; carries every problem found, not just the first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly problems: Problem[],
    readonly source: string,
  ) {
    super(problems.map((problem) => `${source}: ${problem.path}: ${problem.message}`).join('\n'));
  }
}
