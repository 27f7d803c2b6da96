import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { examples } from '../output.js';

/** Shells `beacon completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof COMPLETION_SHELLS)[number];

/** A command's words as completion needs them: its name, subcommands and long options. */
export interface Words {
  name: string;
  description: string;
  options: { flag: string; description: string }[];
  subcommands: Words[];
}

/** The completion words of a command and everything under it. */
export function wordsOf(cmd: Command): Words {
  return {
    name: cmd.name(),
    description: cmd.description(),
    options: cmd.options.filter((o) => o.long).map((o) => ({ flag: o.long!, description: o.description })),
    subcommands: cmd.commands.map(wordsOf),
  };
}

/**
 * `beacon completion bash|zsh|fish`: a completion script for the shell, made from the program's own commands and
 * options (so it never falls behind them): commands, their subcommands (`schedule add`, `notify test`) and long options.
 */
export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script for beacon (bash, zsh or fish)')
    .argument('<shell>', COMPLETION_SHELLS.join(', '))
    .addHelpText(
      'after',
      examples([
        'beacon completion bash > ~/.local/share/bash-completion/completions/beacon',
        'beacon completion zsh > "${fpath[1]}/_beacon"',
        'beacon completion fish > ~/.config/fish/completions/beacon.fish',
      ]),
    )
    .action((shell: string) => {
      if (!(COMPLETION_SHELLS as readonly string[]).includes(shell))
        throw new CliError(`<shell>: must be one of ${COMPLETION_SHELLS.join(', ')} (got ${JSON.stringify(shell)})`, EXIT.usage);
      process.stdout.write(completionScript(wordsOf(program), shell as Shell));
    });
}

/** The completion script of a program for one shell. */
export function completionScript(root: Words, shell: Shell): string {
  if (shell === 'fish') return fishScript(root);
  const bash = bashScript(root);
  // zsh runs the bash function through its bash compatibility layer.
  return shell === 'zsh' ? `#compdef beacon\nautoload -U +X bashcompinit && bashcompinit\n${bash}` : bash;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function bashScript(root: Words): string {
  const cases = root.subcommands
    .map((c) => {
      const words = [...c.subcommands.map((s) => s.name), ...c.options.map((o) => o.flag)].join(' ');
      const nested = c.subcommands
        .map((s) => `        ${s.name}) words=${q([...s.options.map((o) => o.flag), '--help'].join(' '))} ;;`)
        .join('\n');
      const inner = nested ? `\n      case "\${COMP_WORDS[2]}" in\n${nested}\n      esac` : '';
      return `    ${c.name})\n      words=${q(`${words} --help`)}${c.subcommands.length ? `\n      if [ "$COMP_CWORD" -gt 2 ]; then${inner}\n      fi` : ''}\n      ;;`;
    })
    .join('\n');
  const top = [...root.subcommands.map((c) => c.name), ...root.options.map((o) => o.flag), '--help', '--version'].join(' ');
  return `# beacon completion for bash: source <(beacon completion bash)
_beacon_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" words
  if [ "$COMP_CWORD" -le 1 ]; then
    words=${q(top)}
  else
    case "\${COMP_WORDS[1]}" in
${cases}
    *) words='' ;;
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _beacon_complete beacon
`;
}

function fishScript(root: Words): string {
  const lines = ['# beacon completion for fish', 'complete -c beacon -f'];
  const names = root.subcommands.map((c) => c.name).join(' ');
  for (const c of root.subcommands) {
    lines.push(`complete -c beacon -n '__fish_use_subcommand' -a ${q(c.name)} -d ${q(c.description)}`);
    for (const s of c.subcommands) {
      lines.push(`complete -c beacon -n '__fish_seen_subcommand_from ${c.name}' -a ${q(s.name)} -d ${q(s.description)}`);
    }
    for (const o of c.options) {
      lines.push(`complete -c beacon -n '__fish_seen_subcommand_from ${c.name}' -l ${q(o.flag.slice(2))} -d ${q(o.description)}`);
    }
  }
  for (const o of root.options)
    lines.push(`complete -c beacon -n 'not __fish_seen_subcommand_from ${names}' -l ${q(o.flag.slice(2))} -d ${q(o.description)}`);
  return lines.join('\n') + '\n';
}
