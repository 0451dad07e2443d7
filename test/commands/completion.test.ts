import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/context.js';

const files = {
  bash: 'completions/carbonctl.bash',
  zsh: 'completions/_carbonctl',
  fish: 'completions/carbonctl.fish',
} as const;

describe('completion', () => {
  for (const [shell, file] of Object.entries(files)) {
    it(`the committed ${shell} script matches the command tree (run \`npm run build && npm run completions\` after changing flags)`, async () => {
      const result = await run(['completion', shell]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('completes commands, subcommands, flags and enum values', async () => {
    const { stdout } = await run(['completion', 'bash']);
    expect(stdout).toContain('"|config") path="config"');
    expect(stdout).toContain('"config|set") path="config set"');
    expect(stdout).toMatch(
      /"intensity\|--provider"\) COMPREPLY=\(\$\(compgen -W "uk electricitymaps static fixed"/,
    );
    expect(stdout).toContain('--busy-cpu-seconds');
    expect(stdout).not.toContain('__complete"');
  });

  it('completes cluster names from the config', async () => {
    const { dir } = await run([
      'config',
      'set',
      'clusters',
      '[{"name":"hpc"},{"name":"k8s-prod"}]',
    ]);
    const result = await run(['__complete', 'clusters'], { dir });
    expect(result.stdout).toBe('hpc\nk8s-prod\n');
  });

  it('rejects an unknown shell with exit 2', async () => {
    const result = await run(['completion', 'powershell']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/powershell/);
  });
});
