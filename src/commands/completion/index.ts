/** `carbonctl completion bash|zsh|fish` and the hidden `__complete` helper. */
import type { CommandSpec } from '../spec.js';

export const completionCommand: CommandSpec = {
  name: 'completion',
  description: 'Print a shell completion script (bash, zsh or fish)',
  // The script is the output: there is no JSON, CSV or Markdown form of it.
  formats: ['table'],
  arguments: [
    {
      name: 'shell',
      description: 'bash, zsh or fish',
      required: true,
      choices: ['bash', 'zsh', 'fish'],
    },
  ],
  examples: [
    'carbonctl completion bash > ~/.local/share/bash-completion/completions/carbonctl',
    'carbonctl completion zsh > "${fpath[1]}/_carbonctl"',
    'carbonctl completion fish > ~/.config/fish/completions/carbonctl.fish',
  ],
  load: () => import('./completion.js'),
};

export const completeHelperCommand: CommandSpec = {
  name: '__complete',
  hidden: true,
  description: 'values for completion scripts',
  arguments: [
    { name: 'kind', description: 'clusters | budgets | recommendations', required: true },
  ],
  load: () => import('./completion.js'),
};
