import { describe, expect, it } from 'vitest';
import {
  PackedSamples,
  PromJsonError,
  parsePromJson,
  parseSampleValue,
} from '../../../src/providers/prometheus/json.js';

describe('parsePromJson', () => {
  it('unpacks matrix samples into typed arrays', () => {
    const parsed = parsePromJson(
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"instance":"a:9100"},"values":[[1736121600,"123.45"], [1736121615.5 , "1e3"],[1736121630,"NaN"],[1736121645,"+Inf"],[1736121660,"-Inf"],[1736121675,"-0.5"]]}]}}',
    ) as { data: { result: Array<{ metric: Record<string, string>; values: PackedSamples }> } };
    const [series] = parsed.data.result;
    expect(series?.metric).toEqual({ instance: 'a:9100' });
    expect(series?.values).toBeInstanceOf(PackedSamples);
    expect([...(series?.values.times ?? [])]).toEqual([
      1736121600, 1736121615.5, 1736121630, 1736121645, 1736121660, 1736121675,
    ]);
    expect([...(series?.values.values ?? [])]).toEqual([
      123.45,
      1000,
      Number.NaN,
      Infinity,
      -Infinity,
      -0.5,
    ]);
  });

  it('reads an empty sample array and grows past the initial capacity', () => {
    const many = Array.from({ length: 1000 }, (_, index) => `[${index},"${index * 2}"]`).join(',');
    const parsed = parsePromJson(`{"a":{"values":[]},"b":{"values":[${many}]}}`) as Record<
      string,
      { values: PackedSamples }
    >;
    expect(parsed['a']?.values.length).toBe(0);
    expect(parsed['b']?.values.length).toBe(1000);
    expect(parsed['b']?.values.values[999]).toBe(1998);
  });

  it('decodes everything else exactly like JSON.parse', () => {
    const text =
      '{"status":"success","warnings":["partial \\"response\\"","é \\u00e9 \\\\"],"n":-1.5e-3,"t":true,"f":false,"z":null,"arr":[1,[2,{}],[]],"metric":{"quote":"a\\"b","values":"not an array"}}';
    expect(parsePromJson(text)).toEqual(JSON.parse(text));
  });

  it('keeps a label called __proto__ as a plain key', () => {
    const parsed = parsePromJson('{"__proto__":"x","constructor":"y"}') as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['__proto__', 'constructor']);
    expect(parsed['__proto__']).toBe('x');
  });

  it('rejects malformed JSON and malformed samples with a position', () => {
    const invalid = [
      '{"status":"success"',
      '{"status":"success"} trailing',
      '{"values":[[1,"abc"]]}',
      '{"values":[[1,"0x1f"]]}',
      '{"values":[[1,""]]}',
      '{"values":[[1," 1"]]}',
      '{"values":[["1","2"]]}',
      '{"values":[[1,2]]}',
      '{"values":[[1,"2"],]}',
      '{"values":[[1,"2"]',
      '{"a":tru}',
      '{"a":"unterminated}',
      '{"a":"bad \\x escape"}',
      '<html><body>502 Bad Gateway</body></html>',
      '',
      '['.repeat(100) + ']'.repeat(100),
    ];
    for (const text of invalid) expect(() => parsePromJson(text), text).toThrow(PromJsonError);
    expect(() => parsePromJson('{"values":[[1,"abc"]]}')).toThrow(
      /sample value "abc" is not a number at position/,
    );
  });
});

describe('parseSampleValue', () => {
  it('reads Prometheus float strings and refuses anything else', () => {
    expect(parseSampleValue('1.5')).toBe(1.5);
    expect(parseSampleValue('-2e+06')).toBe(-2e6);
    expect(parseSampleValue('.5')).toBe(0.5);
    expect(parseSampleValue('+Inf')).toBe(Infinity);
    expect(parseSampleValue('NaN')).toBeNaN();
    expect(parseSampleValue('Infinity')).toBeNull();
    expect(parseSampleValue('0x10')).toBeNull();
    expect(parseSampleValue('')).toBeNull();
  });
});
