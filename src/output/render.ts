/**
 * From a command's plain result to the bytes on stdout, for each `-o` format. A command returns
 * its JSON contract (`data`) plus, for people, tables and extra lines; it never prints.
 */
import type { Paint } from './charts.js';
import { renderBoxTable, renderMarkdownTable, renderPlainTable, type TableData } from './table.js';

/** The output formats of SPEC §1.1. */
export const OUTPUT_FORMATS = ['table', 'json', 'csv', 'markdown'] as const;
/** One of the output formats. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** How human output may look: colour functions and whether to draw borders. */
export interface RenderStyle extends Paint {
  bold: (s: string) => string;
  borders: boolean;
}

/** Human output as a sequence of blocks: tables and pre-rendered text. */
export type HumanBlock = { table: TableData } | { text: string };

/** What a command returns. */
export interface CommandResult {
  /** The JSON contract (`-o json`). */
  data: unknown;
  /** Blocks for table/markdown output; built lazily so JSON runs never pay for them. */
  human?: (style: RenderStyle) => HumanBlock[];
  /** The list for `-o csv`; absent when the result is not a list. */
  csv?: () => TableData;
  /**
   * An error to raise after the result is printed: the data still reaches stdout, and the
   * exit code still says what went wrong (`doctor` with a failed check, `--strict`).
   */
  failure?: Error;
}

/** Thrown when a format is not available for a command (e.g. csv of a single value). */
export class FormatUnavailableError extends Error {}

/** Render a result in the chosen format. */
export async function renderResult(
  result: CommandResult,
  format: OutputFormat,
  style: RenderStyle,
): Promise<string> {
  switch (format) {
    case 'json':
      return JSON.stringify(result.data, null, 2) + '\n';
    case 'csv': {
      if (!result.csv) throw new FormatUnavailableError('csv');
      const { renderCsv } = await import('./csv.js');
      return renderCsv(result.csv());
    }
    case 'markdown': {
      const blocks = result.human?.({ ...style, borders: false }) ?? [];
      return blocks
        .map((block) => ('table' in block ? renderMarkdownTable(block.table) : block.text))
        .join('\n');
    }
    case 'table': {
      const blocks = result.human?.(style) ?? [
        { text: JSON.stringify(result.data, null, 2) + '\n' },
      ];
      const parts: string[] = [];
      for (const block of blocks) {
        if ('text' in block) parts.push(block.text);
        else
          parts.push(
            style.borders
              ? await renderBoxTable(block.table, style)
              : renderPlainTable(block.table),
          );
      }
      return parts.join('\n');
    }
  }
}
