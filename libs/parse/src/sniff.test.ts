// sniffFormat: format and delimiter from the first bytes and the file name.
import { describe, expect, it } from 'vitest';
import { hasBom, sniffFormat } from './sniff.js';

const sniff = (text: string | Buffer, name = 'data.csv') => sniffFormat(typeof text === 'string' ? Buffer.from(text) : text, name);
const delimiterOf = (text: string, name?: string) => String.fromCharCode(sniff(text, name).dialect.delimiter);

describe('sniffFormat', () => {
  it('detects the delimiter of the header line', () => {
    expect(delimiterOf('a,b,c\n1,2,3\n')).toBe(',');
    expect(delimiterOf('a\tb\tc\n1\t2\t3\n')).toBe('\t');
    expect(delimiterOf('a;b;c\n1;2;3\n')).toBe(';');
    expect(delimiterOf('a|b|c\n')).toBe('|');
    expect(sniff('a;b\n').format).toBe('csv');
  });

  it('does not count delimiters inside quotes', () => {
    expect(delimiterOf('"x,y,z";"w"\n')).toBe(';');
    expect(delimiterOf('"a;b;c;d",e,f\n')).toBe(',');
  });

  it('looks only at the header line', () => {
    expect(delimiterOf('a,b\n1;2;3;4;5\n')).toBe(',');
  });

  it('defaults to a comma when the header has no delimiter', () => {
    expect(delimiterOf('single\n1\n')).toBe(',');
  });

  it('uses tab for .tsv files whatever the header holds', () => {
    expect(delimiterOf('a,b,c\n', 'DATA.TSV')).toBe('\t');
  });

  it('tells JSON Lines from a JSON document', () => {
    expect(sniff('{"a":1}\n{"a":2}\n').format).toBe('jsonl');
    expect(sniff('  {"a":1}\r\n').format).toBe('jsonl');
    expect(sniff('{\n  "a": 1\n}\n').format).toBe('json');
    expect(sniff('[{"a":1},\n{"a":2}]').format).toBe('json');
    expect(sniff('\n  [1, 2]').format).toBe('json');
  });

  it('trusts a .jsonl or .ndjson name over the content', () => {
    expect(sniff('[1]\n[2]\n', 'x.jsonl').format).toBe('jsonl');
    expect(sniff('a,b\n', 'x.NDJSON').format).toBe('jsonl');
  });

  it('reports and skips a UTF-8 byte order mark', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    expect(sniff(Buffer.concat([bom, Buffer.from('{"a":1}\n')]))).toMatchObject({ format: 'jsonl', bomBytes: 3 });
    expect(sniff(Buffer.concat([bom, Buffer.from('a;b\n')]))).toMatchObject({ format: 'csv', bomBytes: 3, dialect: { delimiter: 0x3b } });
    expect(sniff('a,b\n').bomBytes).toBe(0);
    expect(hasBom(bom.subarray(0, 2))).toBe(false);
  });
});
