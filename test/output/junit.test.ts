import { describe, expect, it } from 'vitest';
import { escapeXmlAttribute, escapeXmlText, renderJUnit } from '../../src/output/junit.js';
import { findAll, parseXml } from '../commands/budget-xml.js';

describe('JUnit XML', () => {
  it('escapes markup and drops characters XML cannot carry', () => {
    expect(escapeXmlText('a < b && c > d')).toBe('a &lt; b &amp;&amp; c &gt; d');
    expect(escapeXmlAttribute('say "hi"\n\'there\'\t')).toBe(
      'say &quot;hi&quot;&#10;&apos;there&apos;&#9;',
    );
    // A bell and a lone surrogate are not XML characters at all.
    expect(escapeXmlText('x\u0007y\ud800z')).toBe('xyz');
  });

  it('renders counts, properties, and each kind of outcome', () => {
    const xml = renderJUnit('carbonctl budget check', [
      {
        name: 'carbon budget',
        timestamp: new Date('2026-11-21T12:00:00.123Z'),
        timeSeconds: 1.5,
        properties: [['window.from', '2026-11-21T11:00:00.000Z']],
        cases: [
          { name: 'co2e <= 500 gCO2e', classname: 'carbonctl.budget', outcome: { kind: 'passed' } },
          {
            name: 'energy <= 1 kWh',
            classname: 'carbonctl.budget',
            outcome: {
              kind: 'failure',
              type: 'BudgetExceeded',
              message: '2 kWh > 1 kWh',
              details: 'line 1\nline <2>',
            },
          },
          {
            name: 'baseline',
            classname: 'carbonctl.budget',
            outcome: { kind: 'skipped', message: 'no data' },
          },
          {
            name: 'measurement',
            classname: 'carbonctl.budget',
            outcome: { kind: 'error', type: 'DataSourceError', message: 'down' },
          },
        ],
      },
    ]);
    const root = parseXml(xml);
    expect(root.attributes).toEqual({
      name: 'carbonctl budget check',
      tests: '4',
      failures: '1',
      errors: '1',
      skipped: '1',
      time: '1.500',
    });
    const suite = findAll(root, 'testsuite')[0]!;
    expect(suite.attributes.timestamp).toBe('2026-11-21T12:00:00Z');
    expect(findAll(root, 'property')[0]!.attributes).toEqual({
      name: 'window.from',
      value: '2026-11-21T11:00:00.000Z',
    });
    const failure = findAll(root, 'failure')[0]!;
    expect(failure.attributes).toEqual({ message: '2 kWh > 1 kWh', type: 'BudgetExceeded' });
    expect(failure.text).toBe('line 1\nline <2>');
    expect(findAll(root, 'skipped')[0]!.attributes.message).toBe('no data');
    expect(findAll(root, 'error')[0]!.attributes.type).toBe('DataSourceError');
  });
});

describe('the strict XML checker the JUnit tests rely on', () => {
  it('rejects what XML parsers reject', () => {
    for (const bad of [
      '<a><b></a></b>',
      '<a x=1/>',
      '<a x="1" x="2"/>',
      '<a>AT&T</a>',
      '<a>&nbsp;</a>',
      '<a x="<"/>',
      '<a/><b/>',
      '<a>\u0001</a>',
      '<a>',
    ]) {
      expect(() => parseXml(bad), bad).toThrow(/not well-formed/);
    }
    expect(
      parseXml('<?xml version="1.0" encoding="UTF-8"?>\n<a x="&lt;&#10;">t&amp;</a>\n'),
    ).toMatchObject({
      name: 'a',
      attributes: { x: '<\n' },
      text: 't&',
    });
  });
});
