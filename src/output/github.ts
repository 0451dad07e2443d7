/**
 * GitHub Actions output: workflow-command annotations (`::error::…`) and Markdown for the job's
 * step summary (`$GITHUB_STEP_SUMMARY`).
 *
 * Annotations are written to **stderr**. The runner parses workflow commands on both stdout and
 * stderr (actions/runner `src/Runner.Worker/Handlers/ScriptHandler.cs` attaches an
 * OutputManager to each stream), and stdout stays what SPEC §1.1 says it is: the data, so
 * `-o json` still prints exactly one JSON document. A command must start its line (leading
 * blanks allowed), so annotation lines carry no timestamp prefix.
 *
 * Escaping follows @actions/core (`toCommandValue`/`escapeData`/`escapeProperty`, the same
 * table as the runner's ActionCommand): data `%`→`%25`, CR→`%0D`, LF→`%0A`; properties also
 * `:`→`%3A` and `,`→`%2C`. A label value with a newline can therefore not start a second
 * workflow command.
 */
import { renderMarkdownTable, type TableData } from './table.js';
import { stripControlCharacters } from './sanitize.js';

/** The annotation levels GitHub shows. */
export type AnnotationLevel = 'error' | 'warning' | 'notice';

/** Optional annotation properties. */
export interface AnnotationProperties {
  title?: string;
  file?: string;
  line?: number;
}

/** Escapes the message part of a workflow command. */
export function escapeCommandData(text: string): string {
  return stripControlCharacters(text)
    .replace(/%/g, '%25')
    .replace(/\r/g, '%0D')
    .replace(/\n/g, '%0A');
}

/** Escapes a property value of a workflow command. */
export function escapeCommandProperty(text: string): string {
  return escapeCommandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One annotation line, e.g. `::error title=Carbon budget::612 gCO2e is over 500 gCO2e`, with a newline. */
export function annotation(
  level: AnnotationLevel,
  message: string,
  properties: AnnotationProperties = {},
): string {
  const props: string[] = [];
  if (properties.title !== undefined)
    props.push(`title=${escapeCommandProperty(properties.title)}`);
  if (properties.file !== undefined) props.push(`file=${escapeCommandProperty(properties.file)}`);
  if (properties.line !== undefined) props.push(`line=${properties.line}`);
  return `::${level}${props.length > 0 ? ` ${props.join(',')}` : ''}::${escapeCommandData(message)}\n`;
}

/** Escapes text for a Markdown paragraph (no HTML, no accidental emphasis or tables). */
export function escapeMarkdown(text: string): string {
  return stripControlCharacters(text).replace(/[\\`*_{}[\]<>|#]/g, (char) => `\\${char}`);
}

/** A step-summary section: a heading, a table, and notes underneath. */
export interface StepSummary {
  heading: string;
  table: TableData;
  /** Lines after the table (already Markdown: escape outside text with escapeMarkdown). */
  notes?: string[];
}

/** Markdown for `$GITHUB_STEP_SUMMARY`, ending with a blank line so appended sections stay apart. */
export function stepSummaryMarkdown(summary: StepSummary): string {
  const parts = [`### ${summary.heading}`, '', renderMarkdownTable(summary.table).trimEnd()];
  if (summary.notes !== undefined && summary.notes.length > 0) {
    parts.push('', ...summary.notes.map((note) => `- ${note}`));
  }
  return parts.join('\n') + '\n\n';
}
