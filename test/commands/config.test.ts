import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import type { Prompter } from '../../src/io/prompter.js';
import { run, tempDir } from '../helpers/context.js';

function withConfig(config: unknown): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'config'), { recursive: true });
  writeFileSync(join(dir, 'config', 'config.json'), JSON.stringify(config));
  return dir;
}

type Row = { key: string; value: string; source: string; origin: string | null };
async function list(
  dir: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<Map<string, Row>> {
  const result = await run(['config', 'list', ...args, '-o', 'json'], { dir, env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const rows = (JSON.parse(result.stdout) as { settings: Row[] }).settings;
  return new Map(rows.map((row) => [row.key, row]));
}

describe('config precedence: flag > env > file > default', () => {
  it('reports each value and where it came from', async () => {
    const dir = withConfig({
      timezone: 'Europe/London',
      pue: 1.3,
      intensity: { provider: 'static', zone: 'DE' },
    });
    const rows = await list(dir, ['--pue', '1.5'], {
      CARBONCTL_TZ: 'America/New_York',
      CARBONCTL_INTENSITY_PROVIDER: 'fixed',
    });
    expect(rows.get('pue')).toMatchObject({ value: '1.5', source: 'flag', origin: '--pue' });
    expect(rows.get('timezone')).toMatchObject({
      value: 'America/New_York',
      source: 'env',
      origin: 'CARBONCTL_TZ',
    });
    expect(rows.get('intensity.provider')).toMatchObject({ value: 'fixed', source: 'env' });
    expect(rows.get('intensity.zone')).toMatchObject({ value: 'DE', source: 'file' });
    expect(rows.get('power.busyWattsPerCore')).toMatchObject({ value: '12', source: 'default' });
  });

  it('a flag beats env beats file for the same key', async () => {
    const dir = withConfig({ timezone: 'Europe/London' });
    expect((await list(dir)).get('timezone')?.source).toBe('file');
    expect((await list(dir, [], { CARBONCTL_TZ: 'Asia/Tokyo' })).get('timezone')).toMatchObject({
      value: 'Asia/Tokyo',
      source: 'env',
    });
    expect(
      (await list(dir, ['--tz', 'UTC'], { CARBONCTL_TZ: 'Asia/Tokyo' })).get('timezone'),
    ).toMatchObject({ value: 'UTC', source: 'flag' });
  });

  it('--prometheus-url defines a default cluster when none is configured', async () => {
    const rows = await list(tempDir(), ['--prometheus-url', 'http://prom.example:9090']);
    expect(rows.get('clusters[0].name')).toMatchObject({ value: 'default' });
    expect(rows.get('clusters[0].prometheus.url')).toMatchObject({
      value: 'http://prom.example:9090',
      source: 'flag',
    });
  });

  it('redacts secrets from env and file', async () => {
    const dir = withConfig({
      clusters: [{ name: 'a', prometheus: { url: 'http://p:9090', password: 'hunter2' } }],
    });
    const result = await run(['config', 'list'], {
      dir,
      env: { CARBONCTL_PROMETHEUS_TOKEN: 's3cr3t-token' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('s3cr3t-token');
    expect(result.stdout).not.toContain('hunter2');
    expect(result.stdout).toMatch(/clusters\[0\]\.prometheus\.token\s+••••••\s+env/);
  });

  it('a bad env value is exit 2 naming the variable', async () => {
    const result = await run(['config', 'list'], { env: { CARBONCTL_TZ: 'Mars/Olympus' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('timezone');
    expect(result.stderr).toContain('CARBONCTL_TZ');
  });
});

describe('config file validation', () => {
  it('reports every problem at once with its path', async () => {
    const dir = withConfig({
      pue: 0.5,
      clusters: [{ name: 'ok' }, { name: 'b', prometheus: { url: 'ftp://x' } }],
      colour: 'red',
    });
    const result = await run(['config', 'validate'], { dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pue: must be at least 1.0');
    expect(result.stderr).toContain('clusters[1].prometheus.url: must be an http(s) URL');
    expect(result.stderr).toContain('unknown key "colour"');
  });

  it('invalid JSON is a config error (exit 2)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config', 'config.json'), '{ "pue": ');
    const result = await run(['config', 'validate'], { dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not valid JSON/);
  });

  it('--config pointing at a missing file is exit 2', async () => {
    const result = await run(['--config', '/nonexistent/carbonctl.json', 'config', 'list']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('/nonexistent/carbonctl.json');
  });
});

describe('config set / get / unset', () => {
  it('writes validated values with mode 0600 and reads them back', async () => {
    const dir = tempDir();
    expect((await run(['config', 'set', 'pue', '1.25'], { dir })).code).toBe(0);
    expect((await run(['config', 'set', 'intensity.token', 'em-secret'], { dir })).code).toBe(0);
    const file = join(dir, 'config', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      pue: 1.25,
      intensity: { token: 'em-secret' },
    });
    const got = await run(['config', 'get', 'pue', '-o', 'json'], { dir });
    expect(JSON.parse(got.stdout)).toEqual({ key: 'pue', value: 1.25, source: 'file' });
    const secret = await run(['config', 'get', 'intensity.token'], { dir });
    expect(secret.stdout).not.toContain('em-secret');
    expect((await run(['config', 'unset', 'pue'], { dir })).code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ intensity: { token: 'em-secret' } });
  });

  it('refuses an invalid value and leaves the file untouched', async () => {
    const dir = tempDir();
    await run(['config', 'set', 'pue', '1.2'], { dir });
    const result = await run(['config', 'set', 'pue', '0.3'], { dir });
    expect(result.code).toBe(2);
    expect(JSON.parse(readFileSync(join(dir, 'config', 'config.json'), 'utf8'))).toEqual({
      pue: 1.2,
    });
  });

  it('config path prints the file', async () => {
    const dir = tempDir();
    const result = await run(['config', 'path'], { dir });
    expect(result.stdout.trim()).toBe(join(dir, 'config', 'config.json'));
    const env = await run(['config', 'path'], {
      dir,
      env: { CARBONCTL_CONFIG: '/etc/carbonctl.json' },
    });
    expect(env.stdout.trim()).toBe('/etc/carbonctl.json');
  });
});

function scripted(answers: Array<string | boolean>): Prompter {
  const next = () => {
    const answer = answers.shift();
    if (answer === undefined) throw new Error('prompter ran out of answers');
    return answer;
  };
  return {
    input: () => Promise.resolve(String(next())),
    select: <T extends string>() => Promise.resolve(next() as T),
    confirm: () => Promise.resolve(Boolean(next())),
    password: () => Promise.resolve(String(next())),
  };
}

describe('init', () => {
  it('without a TTY and without --yes, fails naming the missing flag instead of waiting', async () => {
    const result = await run(['init']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--prometheus-url');
  });

  it('runs fully from flags', async () => {
    const dir = tempDir();
    const result = await run(
      [
        'init',
        '--yes',
        '--skip-check',
        '--prometheus-url',
        'http://prom:9090',
        '--provider',
        'uk',
        '--region',
        '13',
        '--power-profile',
        'gcp',
        '--tz',
        'Europe/London',
      ],
      { dir },
    );
    expect(result.code).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'config', 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      timezone: 'Europe/London',
      intensity: { provider: 'uk', region: '13' },
      power: { profile: 'gcp' },
      pue: 1.1,
      clusters: [{ name: 'default', prometheus: { url: 'http://prom:9090' } }],
    });
    const again = await run(['init', '--yes', '--skip-check'], { dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
  });

  it('asks the questions on a terminal', async () => {
    const dir = tempDir();
    const prompter = scripted(['http://prom:9090', 'hpc', 'static', 'FR', 'ada', '1.4', 'UTC']);
    const result = await run(['init', '--skip-check'], { dir, tty: true, prompter });
    expect(result.code).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'config', 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      intensity: { provider: 'static', zone: 'FR' },
      pue: 1.4,
      clusters: [{ name: 'hpc' }],
    });
  });

  it('Ctrl-C at a prompt is exit 130', async () => {
    const prompter: Prompter = {
      ...scripted([]),
      input: () => Promise.reject(new CancelledError()),
    };
    const result = await run(['init', '--skip-check'], { tty: true, prompter });
    expect(result.code).toBe(130);
  });
});
