import type { Command, Option } from 'commander';

/* Shell completion: the scripts call `infrakt __complete CURRENT WORD…` and offer what it prints, one per line. */

export interface ResourceNames {
  readonly apps: readonly string[];
  readonly servers: readonly string[];
  readonly databases: readonly string[];
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const visible = (c: Command) => !(c as unknown as { _hidden?: boolean })._hidden;
const takesValue = (o: Option) => o.required || o.optional;

function findOption(cmd: Command, flag: string): Option | undefined {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const o = c.options.find((x) => x.long === flag || x.short === flag);
    if (o) return o;
  }
  return undefined;
}

/** Names for an option value or a positional argument, chosen by its name. */
function namesFor(what: string, group: string, names: ResourceNames): readonly string[] {
  if (/server/.test(what)) return names.servers;
  if (/^(app|apps)$/.test(what)) return names.apps;
  if (what === 'name' && group === 'app') return names.apps;
  if (what === 'name' && group === 'db') return names.databases;
  if (what === 'name' && group === 'server') return names.servers;
  return [];
}

/**
 * The candidates for the word being typed (`current`) after `words` (what precedes it, without `infrakt`):
 * subcommands, then options (when the word starts with `-`), then app, server and database names where an
 * argument or an option value names one.
 */
export function complete(program: Command, words: readonly string[], current: string, names: ResourceNames): string[] {
  let cmd = program;
  let positional = 0;
  let pendingValue: Option | undefined;
  for (const w of words) {
    if (w === '--') return [];
    if (pendingValue) {
      pendingValue = undefined;
      continue;
    }
    if (w.startsWith('-')) {
      const o = findOption(cmd, w.split('=')[0] ?? w);
      if (o && takesValue(o) && !w.includes('=')) pendingValue = o;
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub && positional === 0) cmd = sub;
    else positional++;
  }
  const group = cmd.parent?.name() ?? '';
  const starts = (list: readonly string[]) => [...new Set(list)].filter((x) => x.startsWith(current)).sort();
  if (pendingValue) return starts(namesFor(pendingValue.attributeName(), group, names));
  if (current.startsWith('-')) {
    const flags: string[] = ['--help'];
    for (let c: Command | null = cmd; c; c = c.parent) {
      for (const o of c.options) if (o.long && !o.hidden) flags.push(o.long);
      if (c === program) break;
    }
    return starts(flags);
  }
  const subs = cmd.commands.filter(visible).map((c) => c.name());
  if (subs.length && positional === 0) return starts(subs);
  const arg = cmd.registeredArguments[positional];
  return arg ? starts(namesFor(arg.name(), group, names)) : [];
}

/** The script a shell sources; it asks `infrakt __complete` for candidates at each TAB. */
export function completionScript(shell: Shell): string {
  if (shell === 'bash') {
    return `# infrakt completion for bash: add to ~/.bashrc
#   source <(infrakt completion bash)
_infrakt_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local IFS=$'\\n'
  COMPREPLY=($(infrakt __complete "$cur" "\${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null))
}
complete -o default -F _infrakt_complete infrakt
`;
  }
  if (shell === 'zsh') {
    return `#compdef infrakt
# infrakt completion for zsh: add to ~/.zshrc (after compinit)
#   source <(infrakt completion zsh)
_infrakt() {
  local -a candidates
  candidates=("\${(@f)$(infrakt __complete "\${words[CURRENT]}" "\${(@)words[2,CURRENT-1]}" 2>/dev/null)}")
  compadd -a candidates
}
compdef _infrakt infrakt
`;
  }
  return `# infrakt completion for fish: save as ~/.config/fish/completions/infrakt.fish
#   infrakt completion fish > ~/.config/fish/completions/infrakt.fish
function __infrakt_complete
  set -l words (commandline -opc)
  set -e words[1]
  infrakt __complete (commandline -ct) $words 2>/dev/null
end
complete -c infrakt -f -a '(__infrakt_complete)'
`;
}
