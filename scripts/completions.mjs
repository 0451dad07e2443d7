// Regenerate completions/ from the built program (`npm run build` first). A test fails when
// the committed scripts drift from the command tree.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const files = {
  bash: 'completions/carbonctl.bash',
  zsh: 'completions/_carbonctl',
  fish: 'completions/carbonctl.fish',
};
for (const [shell, file] of Object.entries(files)) {
  const result = spawnSync(process.execPath, ['bin/carbonctl.js', 'completion', shell], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(result.stderr);
  writeFileSync(file, result.stdout);
  console.log(`wrote ${file}`);
}
