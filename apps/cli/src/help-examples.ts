import type { Command } from 'commander';
import { examples } from './output.js';

/**
 * The `Examples:` of each command that does not write its own (by command path). A command added without examples
 * fails `help-examples.spec.ts`.
 */
export const HELP_EXAMPLES: Record<string, string[]> = {
  serve: ['beacon serve', 'beacon serve --port 9000 --regions us-east,eu-west --concurrency 16'],
  migrate: ['beacon migrate', 'beacon migrate --json'],
  reconcile: ['beacon reconcile --since 1h', 'beacon reconcile --job nightly-42 --wide', 'beacon reconcile --fix --dry-run --json'],
  report: ['beacon report nightly-42', 'beacon report nightly-42 --format html --out report.html'],
  compare: ['beacon compare nightly-41 nightly-42', 'beacon compare nightly-41 nightly-42 --json'],
  trend: ['beacon trend nightly --last 10', 'beacon trend nightly-41 nightly-42 --question tiananmen --json'],
  prune: ['beacon prune --older-than 30d --dry-run nightly-1 nightly-2', 'beacon prune nightly-1 --json'],
  import: ['beacon import exports/*.json', 'beacon import runs.jsonl --json'],
  submit: ['beacon submit spec.json --wait', 'beacon submit spec.json --questions questions.csv --json', 'cat spec.json | beacon submit -'],
  job: ['beacon job nightly-42', 'beacon job nightly-42 --json'],
  cancel: ['beacon cancel nightly-42', 'beacon cancel nightly-42 --yes --json'],
  schedule: ['beacon schedule add spec.json --every 6h --name nightly', 'beacon schedule list'],
  'schedule add': [
    'beacon schedule add spec.json --every 6h --name nightly',
    'beacon schedule add spec.json --cron "0 */6 * * *" --keep-runs 30',
  ],
  'schedule list': ['beacon schedule list', 'beacon schedule list --json'],
  'schedule show': ['beacon schedule show nightly', 'beacon schedule show nightly --json'],
  'schedule update': ['beacon schedule update nightly --overlap skip', 'beacon schedule update nightly --keep-days none'],
  'schedule pause': ['beacon schedule pause nightly'],
  'schedule resume': ['beacon schedule resume nightly'],
  'schedule remove': ['beacon schedule remove nightly'],
  'schedule run-now': ['beacon schedule run-now nightly --json'],
  demo: ['beacon demo', 'beacon demo --seed 7 --json'],
  export: ['beacon export nightly-42 --bundle nightly-42.bundle.json', 'beacon export nightly-42 --bundle out.json --json'],
  verify: ['beacon verify nightly-42.bundle.json', 'beacon verify nightly-42.bundle.json --key log-key.pub --json'],
  witness: ['beacon witness https://beacon.example.org --key log-key.pub', 'beacon witness http://127.0.0.1:8787 --state witness.json'],
  simulate: ['beacon simulate', 'beacon simulate --error-rate 0.2 --hang-rate 0.05 --latency-ms 50-400'],
  tui: ['beacon tui', 'beacon --api http://runner:8787 tui --job nightly-42'],
  timeline: ['beacon timeline nightly-42', 'beacon timeline nightly-42 --json'],
  diff: ['beacon diff 1812 1815', 'beacon diff a:3301 a:3302 --json'],
  classify: ['beacon classify --input answers.csv --labels human', 'beacon classify --job nightly-42 --json'],
  token: ['beacon token create --name ci --role submitter'],
  'token create': ['beacon token create --name ci --role submitter', 'beacon token create --name ops --role operator --hash scrypt'],
  keys: ['beacon keys create --id ci'],
  'keys create': ['beacon keys create --id ci --out ~/.beacon', 'beacon keys create --id ci --json'],
  notify: ['beacon notify test', 'beacon notify log --sink ops --limit 20'],
  'notify test': ['beacon notify test', 'beacon notify test --sink ops --json'],
  'notify list': ['beacon notify list', 'beacon notify list --json'],
  'notify log': ['beacon notify log --sink ops --limit 20', 'beacon notify log --json'],
  'notify retry': ['beacon notify retry 42'],
};

/** The path of a command below the program: `schedule add`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Adds {@link HELP_EXAMPLES} to the help of every command below `program` that has an entry. */
export function addHelpExamples(program: Command): void {
  const visit = (cmd: Command) => {
    const lines = HELP_EXAMPLES[commandPath(cmd)];
    if (lines) cmd.addHelpText('after', examples(lines));
    cmd.commands.forEach(visit);
  };
  program.commands.forEach(visit);
}
