import { describe, expect, it } from 'vitest';
import {
  annotation,
  escapeCommandData,
  escapeCommandProperty,
  escapeMarkdown,
  stepSummaryMarkdown,
} from '../../src/output/github.js';

describe('GitHub workflow commands', () => {
  it('escapes data and properties as @actions/core does', () => {
    expect(escapeCommandData('50% used\nnext')).toBe('50%25 used%0Anext');
    // A carriage return is a terminal control character: stripped like the others.
    expect(escapeCommandData('a\r\nb')).toBe('a%0Ab');
    expect(escapeCommandProperty('a: b, c%')).toBe('a%3A b%2C c%25');
  });

  it('keeps a value with a newline from starting a second command', () => {
    const line = annotation('error', 'namespace x\n::set-env name=PATH::/tmp', {
      title: 'Carbon: budget',
    });
    expect(line).toBe('::error title=Carbon%3A budget::namespace x%0A::set-env name=PATH::/tmp\n');
    expect(line.split('\n').filter((l) => l !== '')).toHaveLength(1);
  });

  it('strips terminal control characters', () => {
    expect(annotation('notice', 'ok\u001b[31m red')).toBe('::notice::ok red\n');
  });
});

describe('step summary Markdown', () => {
  it('renders a heading, a table and notes, leaving a blank line after', () => {
    const markdown = stepSummaryMarkdown({
      heading: 'Carbon budget check: ✅ pass',
      table: {
        columns: [
          { key: 'metric', header: 'Measure' },
          { key: 'value', header: 'Measured', kind: 'number' },
        ],
        rows: [{ metric: 'CO2e (gCO2e)', value: 412.345 }],
      },
      notes: [escapeMarkdown('selector job="ci|*x*"')],
    });
    expect(markdown).toBe(
      [
        '### Carbon budget check: ✅ pass',
        '',
        '| Measure | Measured |',
        '|---|---:|',
        '| CO2e (gCO2e) | 412 |',
        '',
        '- selector job="ci\\|\\*x\\*"',
        '',
        '',
      ].join('\n'),
    );
  });
});
