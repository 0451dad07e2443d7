/** The `config` subcommands. */
import type { Context } from '../../context.js';
import { formatPath, getAt, leaves, parsePath, setAt, deleteAt } from '../../config/keypath.js';
import { displayValue, readConfigFile, validateRaw } from '../../config/resolve.js';
import { redactTree } from '../../core/secrets.js';
import { UsageError } from '../../errors.js';
import type { CommandResult } from '../../output/render.js';
import { settingOverrides } from '../options.js';
import { optionalString } from '../parse.js';
import type { Invocation } from '../spec.js';
import { CONFIG_LIST_OPTIONS } from './index.js';

/** Dispatch on the subcommand name. */
export async function execute(
  invocation: Invocation,
  context: Context,
): Promise<CommandResult | undefined> {
  switch (invocation.command.name()) {
    case 'path':
      return pathCommand(context);
    case 'list':
      return listCommand(invocation, context);
    case 'get':
      return getCommand(invocation.args[0] ?? '', context);
    case 'set':
      return setCommand(invocation.args[0] ?? '', invocation.args[1] ?? '', context);
    case 'unset':
      return unsetCommand(invocation.args[0] ?? '', context);
    case 'validate':
      return validateCommand(context);
    default:
      throw new UsageError(`unknown config subcommand ${invocation.command.name()}`);
  }
}

function pathCommand(context: Context): CommandResult {
  const file = context.configFile();
  return {
    data: { path: file.path, explicit: file.explicit },
    human: () => [{ text: `${file.path}\n` }],
  };
}

async function listCommand(invocation: Invocation, context: Context): Promise<CommandResult> {
  const prometheusUrl = optionalString(invocation.opts, 'prometheusUrl');
  const resolved = await context.settings({
    flags: settingOverrides(invocation.command, CONFIG_LIST_OPTIONS),
    prometheusFlags: prometheusUrl
      ? [{ key: 'url', value: prometheusUrl, name: '--prometheus-url' }]
      : [],
    cluster: optionalString(invocation.opts, 'cluster'),
  });
  const rows = leaves(resolved.settings).map(([segments, value]) => {
    const key = formatPath(segments);
    const source = resolved.sources.get(key) ?? 'default';
    const origin = resolved.origins.get(key);
    return { key, value: displayValue(key, value), source, origin: origin ?? null };
  });
  return {
    data: {
      config_file: resolved.configFile.path,
      config_file_exists: resolved.configFile.exists,
      settings: rows,
    },
    csv: () => ({
      columns: [
        { key: 'key', header: 'key' },
        { key: 'value', header: 'value' },
        { key: 'source', header: 'source' },
      ],
      rows,
    }),
    human: (style) => [
      {
        table: {
          columns: [
            { key: 'key', header: 'Key' },
            { key: 'value', header: 'Value' },
            { key: 'source', header: 'Source' },
          ],
          rows: rows.map((r) => ({
            key: r.key,
            value: r.value,
            source: r.origin ? `${r.source} (${r.origin})` : r.source,
          })),
        },
      },
      {
        text: style.dim(
          `Config file: ${resolved.configFile.path}${resolved.configFile.exists ? '' : ' (not created yet)'}\n`,
        ),
      },
    ],
  };
}

async function getCommand(key: string, context: Context): Promise<CommandResult> {
  const segments = parsePath(key);
  const resolved = await context.settings();
  const value = getAt(resolved.settings, segments);
  if (value === undefined) {
    throw new UsageError(`${key} is not a setting`, {
      hint: 'See `carbonctl config list` for every key.',
    });
  }
  // The redaction rule applies at every depth: `config get clusters` hides the tokens inside.
  const shown = redactTree(value, formatPath(segments));
  return {
    data: { key, value: shown, source: resolved.sources.get(key) ?? 'default' },
    human: () => [
      { text: `${typeof shown === 'string' ? shown : JSON.stringify(shown, null, 2)}\n` },
    ],
  };
}

/** Parse a command-line value: JSON where it parses (numbers, booleans, null, arrays, objects), else a string. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function writeFile(
  context: Context,
  mutate: (raw: Record<string, unknown>) => void,
): Promise<string> {
  const file = context.configFile();
  const { raw } = readConfigFile({ path: file.path, explicit: false });
  const next = structuredClone(raw);
  mutate(next);
  // A change that changes nothing never rewrites the file (its layout and mode stay).
  if (JSON.stringify(next) === JSON.stringify(raw)) return file.path;
  // Validate the whole file before anything is written: a bad value never lands.
  validateRaw(next, `config file ${file.path} after this change`);
  const { writeConfigFile } = await import('../../config/write.js');
  writeConfigFile(file.path, next);
  return file.path;
}

async function setCommand(
  key: string,
  valueText: string,
  context: Context,
): Promise<CommandResult> {
  const segments = parsePath(key);
  const value = parseValue(valueText);
  const path = await writeFile(context, (raw) => setAt(raw, segments, value));
  context.io.info(`Set ${key} in ${path}.`);
  return {
    data: { key, value: redactTree(value, formatPath(segments)), path },
    human: () => [],
  };
}

async function unsetCommand(key: string, context: Context): Promise<CommandResult> {
  const segments = parsePath(key);
  const file = context.configFile();
  const inFile = getAt(readConfigFile({ path: file.path, explicit: false }).raw, segments);
  // Like `config get`: a key that is neither in the file nor a setting is a typo (exit 2).
  if (inFile === undefined && getAt((await context.settings()).settings, segments) === undefined) {
    throw new UsageError(`${key} is not a setting`, {
      hint: 'See `carbonctl config list` for every key.',
    });
  }
  let removed = false;
  const path = await writeFile(context, (raw) => {
    removed = deleteAt(raw, segments);
  });
  context.io.info(
    removed
      ? `Removed ${key} from ${path}; the default applies.`
      : `${key} was not set in ${path}.`,
  );
  return { data: { key, removed, path }, human: () => [] };
}

function validateCommand(context: Context): CommandResult {
  const file = context.configFile();
  const { exists, raw } = readConfigFile(file);
  validateRaw(raw, `config file ${file.path}`);
  const message = exists
    ? `${file.path} is valid.`
    : `${file.path} does not exist; the defaults are valid.`;
  return {
    data: { path: file.path, exists, valid: true },
    human: () => [{ text: `${message}\n` }],
  };
}
