/**
 * The Prometheus text exposition format (version 0.0.4), as node_exporter's textfile collector
 * reads it: `# HELP`, `# TYPE`, then one line per sample, with label values escaped
 * (prometheus.io/docs/instrumenting/exposition_formats; reference/prometheus.md).
 */

/** One sample of a family: its labels and value. */
export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

/** A metric family: name, help text, type and samples. */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'untyped';
  samples: MetricSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values escape backslash, double quote and newline (the format's only escapes). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and newline. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the format spells it: Go float syntax, `NaN`, `+Inf`, `-Inf`. */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function seriesText(name: string, labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  for (const label of names) {
    if (!LABEL_NAME.test(label) || label.startsWith('__'))
      throw new RangeError(`invalid Prometheus label name "${label}" on ${name}`);
  }
  const text = names
    .map((label) => `${label}="${escapeLabelValue(labels[label] ?? '')}"`)
    .join(',');
  return text === '' ? name : `${name}{${text}}`;
}

/**
 * Renders families in the given order, samples sorted by their label text so the file is
 * deterministic. Families without samples still get HELP/TYPE, so dashboards see the metric
 * exists. Throws on an invalid name or a duplicate label set (a programming error).
 */
export function renderPrometheusText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  const seenNames = new Set<string>();
  for (const family of families) {
    if (!METRIC_NAME.test(family.name))
      throw new RangeError(`invalid Prometheus metric name "${family.name}"`);
    if (seenNames.has(family.name))
      throw new RangeError(`metric family ${family.name} is declared twice`);
    seenNames.add(family.name);
    lines.push(
      `# HELP ${family.name} ${escapeHelp(family.help)}`,
      `# TYPE ${family.name} ${family.type}`,
    );
    const series = family.samples
      .map((sample) => ({ series: seriesText(family.name, sample.labels), value: sample.value }))
      .sort((a, b) => (a.series < b.series ? -1 : a.series > b.series ? 1 : 0));
    series.forEach((entry, index) => {
      if (series[index - 1]?.series === entry.series)
        throw new RangeError(`duplicate series ${entry.series}`);
    });
    const samples = series.map((entry) => `${entry.series} ${formatSampleValue(entry.value)}`);
    lines.push(...samples);
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
