/** The `init` wizard: every question has a flag; without a TTY it never waits for input. */
import { existsSync } from 'node:fs';
import type { Context } from '../../context.js';
import type { INTENSITY_PROVIDERS, POWER_PROFILE_NAMES } from '../../config/enums.js';
import { isValidTimeZone } from '../../config/schema.js';
import { validateRaw } from '../../config/resolve.js';
import { redactUrl } from '../../core/secrets.js';
import { UsageError } from '../../errors.js';
import type { CommandResult } from '../../output/render.js';
import { nonNegativeNumber } from '../options.js';
import { optionalString } from '../parse.js';
import type { Invocation } from '../spec.js';

/** The answers, whether from flags or prompts. */
export interface InitAnswers {
  prometheusUrl: string;
  clusterName: string;
  provider: (typeof INTENSITY_PROVIDERS)[number];
  region: string | null;
  zone: string;
  fixed: number | null;
  powerProfile: (typeof POWER_PROFILE_NAMES)[number];
  pue: number;
  timezone: string;
}

const DEFAULTS: InitAnswers = {
  prometheusUrl: 'http://localhost:9090',
  clusterName: 'default',
  provider: 'uk',
  region: null,
  zone: 'GB',
  fixed: null,
  powerProfile: 'ada',
  pue: 1.0,
  timezone: 'UTC',
};

/** The config object init writes. */
export function configFromAnswers(answers: InitAnswers): Record<string, unknown> {
  return {
    timezone: answers.timezone,
    intensity: {
      provider: answers.provider,
      region: answers.region,
      zone: answers.zone,
      fixed: answers.fixed,
    },
    power: { profile: answers.powerProfile },
    pue: answers.pue,
    clusters: [{ name: answers.clusterName, prometheus: { url: answers.prometheusUrl } }],
  };
}

/** Command entry. */
export async function execute(invocation: Invocation, context: Context): Promise<CommandResult> {
  const opts = invocation.opts;
  const file = context.configFile();
  if (existsSync(file.path) && opts.force !== true) {
    throw new UsageError(`config file ${file.path} already exists`, {
      hint: 'Use --force to replace it, `carbonctl config set` to change one value, or --config for another file.',
    });
  }
  const interactive = context.io.canPrompt && opts.yes !== true;
  if (!interactive && opts.yes !== true) {
    // Not a terminal and no --yes: never wait for input; name what is missing.
    for (const [flag, key] of [
      ['--prometheus-url', 'prometheusUrl'],
      ['--provider', 'provider'],
    ] as const) {
      if (opts[key] === undefined) {
        throw new UsageError(`init needs ${flag} when not run on a terminal`, {
          hint: `Give ${flag}, or --yes to accept the defaults for everything not given.`,
        });
      }
    }
  }

  const given = {
    prometheusUrl: optionalString(opts, 'prometheusUrl'),
    clusterName: optionalString(opts, 'clusterName'),
    provider: optionalString(opts, 'provider') as InitAnswers['provider'] | undefined,
    region: optionalString(opts, 'region'),
    zone: optionalString(opts, 'zone'),
    fixed:
      opts.intensity === undefined
        ? undefined
        : nonNegativeNumber(optionalString(opts, 'intensity') ?? '', '--intensity'),
    powerProfile: optionalString(opts, 'powerProfile') as InitAnswers['powerProfile'] | undefined,
    pue: opts.pue as number | undefined,
    timezone: optionalString(opts, 'tz'),
  };
  if (given.timezone !== undefined && !isValidTimeZone(given.timezone)) {
    throw new UsageError(`--tz ${given.timezone} is not an IANA time zone`, {
      hint: 'e.g. --tz Europe/London',
    });
  }

  const answers: InitAnswers = { ...DEFAULTS };
  const prompter = interactive ? await context.prompter() : null;
  const validUrl = (value: string): true | string =>
    /^https?:\/\/\S+$/.test(value) ? true : 'must be an http(s) URL';

  answers.prometheusUrl =
    given.prometheusUrl ??
    (prompter
      ? await prompter.input('Prometheus (or Thanos/Mimir/VictoriaMetrics) URL', {
          default: DEFAULTS.prometheusUrl,
          validate: validUrl,
        })
      : DEFAULTS.prometheusUrl);
  if (validUrl(answers.prometheusUrl) !== true) {
    throw new UsageError(
      `--prometheus-url ${redactUrl(answers.prometheusUrl)} must be an http(s) URL`,
    );
  }
  if (opts.skipCheck !== true) {
    const problem = await checkPrometheus(context, answers.prometheusUrl);
    if (problem) {
      context.io.warn(
        `${redactUrl(answers.prometheusUrl)} did not answer as Prometheus: ${problem}`,
      );
      if (prompter && !(await prompter.confirm('Keep this URL anyway?', false))) {
        answers.prometheusUrl = await prompter.input('Prometheus URL', {
          default: answers.prometheusUrl,
          validate: validUrl,
        });
      }
    } else {
      context.io.info(`Prometheus at ${redactUrl(answers.prometheusUrl)} answered.`);
    }
  }
  answers.clusterName =
    given.clusterName ??
    (prompter
      ? await prompter.input('Cluster name', { default: DEFAULTS.clusterName })
      : DEFAULTS.clusterName);
  answers.provider =
    given.provider ??
    (prompter
      ? await prompter.select(
          'Carbon intensity provider',
          [
            {
              value: 'uk',
              name: 'uk — GB Carbon Intensity API (free, half-hourly, national or regional)',
            },
            {
              value: 'electricitymaps',
              name: 'electricitymaps — Electricity Maps v3 (token, hourly, worldwide)',
            },
            { value: 'static', name: 'static — annual average per country (offline)' },
            { value: 'fixed', name: 'fixed — one value you give' },
          ] as const,
          'uk',
        )
      : DEFAULTS.provider);
  if (answers.provider === 'uk') {
    answers.region =
      given.region ??
      (prompter
        ? (await prompter.input('GB region id 1-17 or outward postcode (empty for national)', {
            default: '',
          })) || null
        : null);
  } else if (answers.provider === 'fixed') {
    answers.fixed =
      given.fixed ??
      (prompter
        ? nonNegativeNumber(
            await prompter.input('Intensity (g/kWh)', {
              validate: (v) =>
                Number.isFinite(Number(v)) && Number(v) >= 0 ? true : 'a number ≥ 0',
            }),
            'intensity',
          )
        : null);
    if (answers.fixed === null)
      throw new UsageError('the fixed provider needs --intensity <g/kWh>');
  } else {
    answers.zone =
      given.zone ??
      (prompter
        ? await prompter.input('Zone or country code (e.g. DE, FR, US-CAL-CISO)', { default: 'GB' })
        : DEFAULTS.zone);
  }
  answers.powerProfile =
    given.powerProfile ??
    (prompter
      ? await prompter.select(
          'Power profile',
          [
            { value: 'ada', name: 'ada — 12 W busy / 1 W idle per core (research computing)' },
            { value: 'aws', name: 'aws — CCF 3.5 / 0.74 W per vCPU, PUE 1.135' },
            { value: 'gcp', name: 'gcp — CCF 4.26 / 0.71 W per vCPU, PUE 1.1' },
            { value: 'azure', name: 'azure — CCF 3.76 / 0.78 W per vCPU, PUE 1.185' },
          ] as const,
          'ada',
        )
      : DEFAULTS.powerProfile);
  const cloudPue = { aws: 1.135, gcp: 1.1, azure: 1.185 } as Record<string, number>;
  const defaultPue = cloudPue[answers.powerProfile] ?? DEFAULTS.pue;
  answers.pue =
    given.pue ??
    (prompter
      ? Number(
          await prompter.input('PUE of the data centre', {
            default: String(defaultPue),
            validate: (v) => (Number(v) >= 1 ? true : 'at least 1.0'),
          }),
        )
      : defaultPue);
  answers.timezone =
    given.timezone ??
    (prompter
      ? await prompter.input('Reporting time zone', {
          default: DEFAULTS.timezone,
          validate: (v) => (isValidTimeZone(v) ? true : 'an IANA zone, e.g. Europe/London'),
        })
      : DEFAULTS.timezone);

  const config = configFromAnswers(answers);
  validateRaw(config, 'the new config');
  const { writeConfigFile } = await import('../../config/write.js');
  writeConfigFile(file.path, config);
  context.io.info(`Wrote ${file.path}. Next: carbonctl doctor, then carbonctl track.`);
  return { data: { path: file.path, config }, human: () => [] };
}

async function checkPrometheus(context: Context, url: string): Promise<string | null> {
  try {
    const http = await context.http();
    const response = await http.request({
      method: 'GET',
      url: `${url.replace(/\/+$/, '')}/api/v1/status/buildinfo`,
      timeoutMs: 5000,
      maxRetries: 0,
      sourceName: `Prometheus at ${url}`,
    });
    if (response.status !== 200) return `HTTP ${response.status}`;
    return /"status"\s*:\s*"success"/.test(response.text) ? null : 'unexpected answer';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
