/** The core's one error type for values people typed; kept apart from luxon so light commands load fast. */

/**
 * Thrown by every parser in the core when a value cannot be used. `expected` completes the
 * sentence "<flag> <value> is not …" so the command layer can name the flag it came from;
 * when the core already knows the flag (periods), `flag` is set and `message` is complete.
 */
export class InvalidInputError extends Error {
  /** What the value should have been, e.g. `a date (expected YYYY-MM-DD or an ISO 8601 timestamp)`. */
  readonly expected: string;
  /** The offending text, when there is one. */
  readonly value: string | undefined;
  /** The flag the value came from, when the core knows it (e.g. `--from`). */
  readonly flag: string | undefined;

  constructor(expected: string, options?: { value?: string; flag?: string; message?: string }) {
    // Quote values that would otherwise vanish or blur into the sentence ('' or 'a b').
    const shownValue =
      options?.value !== undefined && (options.value === '' || /\s/.test(options.value))
        ? JSON.stringify(options.value)
        : options?.value;
    const subject = [options?.flag, shownValue].filter((part) => part !== undefined).join(' ');
    super(options?.message ?? `${subject === '' ? 'value' : subject} is not ${expected}`);
    this.name = 'InvalidInputError';
    this.expected = expected;
    this.value = options?.value;
    this.flag = options?.flag;
  }
}
