import { describe, expect, it } from 'vitest';
import { run } from '../helpers/context.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON under test
const json = async (args: string[], env: Record<string, string> = {}): Promise<any> => {
  const result = await run([...args, '-o', 'json'], { env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
};

describe('calculate', () => {
  it('counts memory at CCF’s 0.392 W per GB with a cloud profile, and not with ada', async () => {
    const aws = await json([
      'calculate',
      '--busy-cpu-seconds',
      '0',
      '--memory-gib-hours',
      '10',
      '--power-profile',
      'aws',
      '--intensity',
      '100',
    ]);
    // 10 GiB-h × 0.392 W = 3.92 Wh = 0.00392 kWh × PUE 1.135 = 0.0044492 kWh; × 100 g/kWh.
    expect(aws.electricity_kwh.memory).toBeCloseTo(0.0044492, 12);
    expect(aws.carbon_gco2eq.memory).toBeCloseTo(0.44492, 10);
    const ada = await json([
      'calculate',
      '--busy-cpu-seconds',
      '0',
      '--memory-gib-hours',
      '10',
      '--intensity',
      '100',
    ]);
    expect(ada.electricity_kwh.memory).toBe(0);
  });

  it('gives the SPEC §2 conformance example: 1000 busy + 5000 idle s at 185 g/kWh', async () => {
    const data = await json([
      'calculate',
      '--busy-cpu-seconds',
      '1000',
      '--idle-cpu-seconds',
      '5000',
      '--intensity',
      '185',
    ]);
    // busy 1000 s × 12 W / 3.6e6 = 0.0033333 kWh; idle 5000 × 1 / 3.6e6 = 0.0013889 kWh
    expect(data.electricity_kwh.busy).toBeCloseTo(0.0033333, 7);
    expect(data.electricity_kwh.idle).toBeCloseTo(0.0013889, 7);
    expect(data.electricity_kwh.total).toBeCloseTo(0.0047222, 7);
    // × 185 g/kWh: 0.61667 + 0.25694 = 0.87361 g
    expect(data.carbon_gco2eq.busy).toBeCloseTo(0.61667, 5);
    expect(data.carbon_gco2eq.idle).toBeCloseTo(0.25694, 5);
    expect(data.carbon_gco2eq.total).toBeCloseTo(0.87361, 5);
    expect(data.carbon_intensity_g_per_kwh).toBe(185);
    expect(data.power_w).toEqual({ busy: 12, idle: 1 });
    expect(data.pue).toBe(1);
    expect(data.intensity_source).toBe('given (--intensity)');
  });

  it('applies PUE and custom watts: 3600 busy s at 10 W, PUE 1.5 → 0.015 kWh', async () => {
    const data = await json([
      'calculate',
      '--busy-cpu-seconds',
      '3600',
      '--busy-power-w',
      '10',
      '--pue',
      '1.5',
      '--intensity',
      '200',
    ]);
    expect(data.electricity_kwh.total).toBeCloseTo(0.015, 10); // 3600 × 10 / 3.6e6 × 1.5
    expect(data.carbon_gco2eq.total).toBeCloseTo(3, 10); // 0.015 × 200
  });

  it('takes the aws profile watts and its default PUE 1.135 (1 core-hour busy → 0.0039725 kWh)', async () => {
    const data = await json([
      'calculate',
      '--busy-cpu-seconds',
      '3600',
      '--power-profile',
      'aws',
      '--intensity',
      '100',
    ]);
    expect(data.power_w).toEqual({ busy: 3.5, idle: 0.74 });
    expect(data.pue).toBe(1.135);
    expect(data.electricity_kwh.total).toBeCloseTo(0.0035 * 1.135, 10);
  });

  it('--energy-only skips intensity and carbon', async () => {
    const data = await json(['calculate', '--busy-cpu-seconds', '86400', '--energy-only']);
    expect(data.electricity_kwh.total).toBeCloseTo(0.288, 10); // 24 h × 12 W
    expect(data.carbon_gco2eq).toBeNull();
    expect(data.carbon_intensity_g_per_kwh).toBeNull();
  });

  it('uses the fixed provider from the environment when --intensity is not given', async () => {
    const result = await run(['calculate', '--busy-cpu-seconds', '3600', '-o', 'json'], {
      env: { CARBONCTL_INTENSITY_PROVIDER: 'fixed' },
    });
    // provider fixed without a value is a config error naming the setting
    expect(result.code).toBe(2);
  });

  it('prints a plain table without a TTY, numbers rounded for people', async () => {
    const result = await run([
      'calculate',
      '--busy-cpu-seconds',
      '1000',
      '--idle-cpu-seconds',
      '5000',
      '--intensity',
      '185',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/total\s+0\.00472\s+0\.874/);
    expect(result.stdout).not.toMatch(/[┌│]/);
    expect(result.stdout).not.toContain('\u001b[');
  });

  it.each([
    [['--busy-cpu-seconds', '-1'], '--busy-cpu-seconds -1 is not a non-negative number'],
    [['--busy-cpu-seconds', 'abc'], '--busy-cpu-seconds abc is not a non-negative number'],
    [['--busy-cpu-seconds', 'NaN'], '--busy-cpu-seconds NaN'],
    [['--busy-cpu-seconds', 'Infinity'], '--busy-cpu-seconds Infinity'],
    [
      ['--busy-cpu-seconds', '1', '--equivalencies', '16'],
      '--equivalencies 16 is not a whole number from 1 to 15',
    ],
    [['--busy-cpu-seconds', '1', '--pue', '0.9'], '--pue 0.9 is below 1.0'],
    [['--busy-cpu-seconds', '1', '--power-profile', 'ibm'], "argument 'ibm' is invalid"],
    [[], 'calculate needs --busy-cpu-seconds'],
  ])('rejects %j with exit 2', async (args, message) => {
    const result = await run(['calculate', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });
});

describe('equivalencies', () => {
  it('gives the Ada figures for 1000 g', async () => {
    const data = await json(['equivalencies', '1000', '--all']);
    expect(data.total_gco2eq).toBe(1000);
    const values = Object.fromEntries(
      Object.entries(data.top_equivalencies).map(([k, v]) => [k, (v as { value: number }).value]),
    );
    expect(values.miles_driven).toBeCloseTo(2.5, 10); // 1000 / 400
    expect(values.smartphone_charges).toBeCloseTo(121.65, 2); // 1000 / 8.22
    expect(values.trees_day).toBeCloseTo(16.78, 2); // 1000 / 59.6
    expect(values.streaming_hours).toBeCloseTo(18.18, 2); // 1000 / 55
    expect(values.kettles_boiled).toBeCloseTo(14.29, 2); // 1000 / 70
    for (const value of Object.values(data.top_equivalencies)) {
      expect(value).toMatchObject({
        unit: expect.any(String),
        description: expect.any(String),
        source: expect.any(String),
      });
    }
  });

  it('accepts units: 2kg equals 2 --unit kg equals 2000', async () => {
    const a = await json(['equivalencies', '2kg']);
    const b = await json(['equivalencies', '2', '--unit', 'kg']);
    expect(a.total_gco2eq).toBe(2000);
    expect(b).toEqual(a);
  });

  it('returns exactly --count entries', async () => {
    const data = await json(['equivalencies', '0.1t', '--count', '3']);
    expect(Object.keys(data.top_equivalencies)).toHaveLength(3);
  });

  it.each([['-5'], ['5 lb'], ['abc']])('rejects amount %s with exit 2', async (amount) => {
    const result = await run(['equivalencies', amount]);
    expect(result.code).toBe(2);
  });

  it('rejects --count 0 with exit 2', async () => {
    expect((await run(['equivalencies', '100', '--count', '0'])).code).toBe(2);
  });
});
