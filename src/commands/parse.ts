/** Turning flag text into typed values, with usage errors that name the flag. */
import { InvalidInputError } from '../core/input-error.js';
import { UsageError } from '../errors.js';

/** Run a core parser on a flag's value; an InvalidInputError becomes a UsageError naming the flag. */
export function parseFlag<T>(flag: string, value: string, parser: (text: string) => T): T {
  try {
    return parser(value);
  } catch (error) {
    if (error instanceof InvalidInputError) {
      // Some core parsers (periods) already name the flag and build the whole sentence.
      if (error.flag !== undefined) throw new UsageError(error.message);
      throw new UsageError(`${flag} ${value} is not ${error.expected}`);
    }
    throw error;
  }
}

/** Read an optional string option. */
export function optionalString(opts: Record<string, unknown>, key: string): string | undefined {
  const value = opts[key];
  return typeof value === 'string' ? value : undefined;
}
