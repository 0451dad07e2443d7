/**
 * Interactive questions (@inquirer/prompts), only ever asked on a terminal. Ctrl-C at a prompt
 * is a cancellation (exit 130), not a crash.
 */
import { CancelledError } from '../errors.js';
import type { IOStreams } from './streams.js';

/** The questions carbonctl asks; tests script the answers. */
export interface Prompter {
  input(
    message: string,
    options?: { default?: string; validate?: (value: string) => true | string },
  ): Promise<string>;
  select<T extends string>(
    message: string,
    choices: ReadonlyArray<{ value: T; name?: string; description?: string }>,
    defaultValue?: T,
  ): Promise<T>;
  confirm(message: string, defaultValue?: boolean): Promise<boolean>;
  password(message: string): Promise<string>;
}

/** The real prompter over @inquirer/prompts, writing to our stderr so stdout stays data. */
export async function createInquirerPrompter(io: IOStreams): Promise<Prompter> {
  const prompts = await import('@inquirer/prompts');
  const context = { input: io.stdin, output: io.stderr };
  const guard = async <T>(ask: () => Promise<T>): Promise<T> => {
    try {
      return await ask();
    } catch (error) {
      if (
        error instanceof Error &&
        (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')
      ) {
        throw new CancelledError();
      }
      throw error;
    }
  };
  return {
    input: (message, options) =>
      guard(() =>
        prompts.input(
          {
            message,
            ...(options?.default !== undefined ? { default: options.default } : {}),
            ...(options?.validate ? { validate: options.validate } : {}),
          },
          context,
        ),
      ),
    select: (message, choices, defaultValue) =>
      guard(() =>
        prompts.select(
          {
            message,
            choices: choices.map((c) => ({
              value: c.value,
              name: c.name ?? c.value,
              ...(c.description ? { description: c.description } : {}),
            })),
            ...(defaultValue !== undefined ? { default: defaultValue } : {}),
          },
          context,
        ),
      ),
    confirm: (message, defaultValue) =>
      guard(() =>
        prompts.confirm(
          { message, ...(defaultValue !== undefined ? { default: defaultValue } : {}) },
          context,
        ),
      ),
    password: (message) => guard(() => prompts.password({ message, mask: '•' }, context)),
  };
}
