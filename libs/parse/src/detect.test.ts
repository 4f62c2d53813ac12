// Dialect detection on the shapes the scoring must tell apart (each case kills a
// mutation of the scoring: see docs/sniffing.md), and the one record-end rule as the
// rejects export calls it.
import { describe, expect, it } from 'vitest';
import { CsvReader, type CsvFields } from './csv-reader.js';
import { CSV_DIALECT } from './dialect.js';
import { confirmDialect, detectDialect } from './detect.js';
import { findRecordEndAt, recordRule, shape } from './record-end.js';

const detect = (text: string, name = 'f.csv') => detectDialect([Buffer.from(text)], name);

describe('detectDialect', () => {
  it('tells a backslash escape from a doubled quote by the text a closing quote would leave', () => {
    const esc = detect('id,quote,n\n1,"say \\"hi\\" now",2\n2,"plain",3\n3,"x \\"y\\" z",4\n');
    expect(esc.dialect).toMatchObject({ delimiter: 0x2c, quote: 0x22, escape: 0x5c });
    const doubled = detect('id,quote,n\n1,"say ""hi"" now",2\n2,"plain",3\n3,"x ""y"" z",4\n');
    expect(doubled.dialect).toMatchObject({ quote: 0x22, escape: 0x22 });
  });

  it('a quote byte inside fields (JSON in a TSV column) is data: no quote', () => {
    const g = detect('a\tb\t{"k": "v, w", "n": 1}\nc\td\t{"k": "x"}\ne\tf\t{"k": "y", "z": [1, 2]}\n');
    expect(g.dialect).toMatchObject({ delimiter: 0x09, quote: null });
    expect(g.fields).toBe(3);
  });

  it("single-quoted fields, and an apostrophe opening a field under a double-quote dialect counts against it", () => {
    const g = detect("id,name\n1,'Smith, John'\n2,'Doe, Jane'\n3,'Roe'\n");
    expect(g.dialect).toMatchObject({ delimiter: 0x2c, quote: 0x27 });
    const tiny = detect("1,0\n2,a\n3,'a\n,a'\n4,a\n");
    expect(tiny.dialect.quote).toBe(0x27);
  });

  it('", " with every comma followed by a space is trimmed; a space after a comma is padding, not a delimiter', () => {
    expect(detect('id, name, city\n1, ann, "Paris, FR"\n2, bob, Rome\n').dialect).toMatchObject({ delimiter: 0x2c, trimSpace: true });
    // A title of two words would make space as consistent as ', ' here.
    expect(detect('Exported 2024\n1, 0\n2, 0\n3, 0\n4, 0\n').dialect).toMatchObject({ delimiter: 0x2c, trimSpace: true });
    expect(detect('id name score\n1 ann 10\n2 bob 20\n3 cy 30\n').dialect.delimiter).toBe(0x20);
  });

  it('a stray quote costs one sampled record, not the dialect', () => {
    const lines = ['id,sku,price,name', ...Array.from({ length: 30 }, (_, i) => (i === 3 ? `${i},"RI-${i},$1,"boots"` : `${i},RI-${i},$1,item ${i}`))];
    const g = detect(`${lines.join('\n')}\n`);
    expect(g.dialect).toMatchObject({ delimiter: 0x2c, quote: 0x22 });
    expect(g.consistent).toBe(30);
    expect(g.lowConfidence).toBeNull();
  });

  it('space loses to a delimiter it nearly ties with (prose in a quoted column)', () => {
    const lines = ['id,code,price,name'];
    for (let i = 0; i < 20; i++) lines.push(i < 3 ? `${i},C-${i},2.00,"a \\"b\nc, d"` : `${i},C-${i},3.00,item ${i}`);
    expect(detect(`${lines.join('\n')}\n`).dialect).toMatchObject({ delimiter: 0x2c, quote: 0x22, escape: 0x5c });
  });

  it('a record is unclean when text follows a closing quote', () => {
    const rule = recordRule(CSV_DIALECT);
    expect(shape(Buffer.from('"ab"cd,e'), 0, 8, rule, false).clean).toBe(false);
    expect(shape(Buffer.from('"ab",cd'), 0, 7, rule, false).clean).toBe(true);
  });

  it('CR-only line ends, and CRLF', () => {
    expect(detect('a,b\r1,"x\ny"\r2,z\r').dialect.lineEnd).toBe('cr');
    expect(detect('a,b\r\n1,2\r\n').dialect.lineEnd).toBe('lf');
  });

  it('says when it is unsure', () => {
    const g = detect('a,b,c\n1,2\n3,4,5,6\n7\n8,9,10\n11,12\n13,14,15,16\n1\n2\n3,4\n');
    expect(g.lowConfidence).toMatch(/sampled records/);
    expect(g.decisions.some((d) => d.what === 'confidence')).toBe(true);
  });
});

describe('stray-quote recovery in the reader', () => {
  const read = (text: string, fields: number) => {
    const records: CsvFields[] = [];
    const bad: string[] = [];
    const r = new CsvReader({ ...CSV_DIALECT, fields }, { record: (f) => void records.push(f), bad: (why) => void bad.push(why) }, { startOffset: 0, maxRecordBytes: 1 << 20 });
    r.push(Buffer.from(text));
    r.end();
    return { records, bad };
  };
  it('a quoted line break whose record would not have the field count is a stray quote', () => {
    const got = read('1,"a\n2,b",c,d\n3,e,f\n', 3);
    expect(got.records).toEqual([['3', 'e', 'f']]);
    expect(got.bad).toHaveLength(2);
  });
  it('a genuine quoted line break with the field count stays one record', () => {
    expect(read('1,"a\n2,b",c\n3,e,f\n', 3).records).toEqual([['1', 'a\n2,b', 'c'], ['3', 'e', 'f']]);
  });
});

describe('findRecordEndAt (the rejects export)', () => {
  const at = (text: string, offset: number, dialect = { delimiter: 0x2c, quote: 0x22, escape: 0x5c, encoding: 'utf8' as const }) => {
    const buf = Buffer.from(text);
    return findRecordEndAt(async (pos, len) => buf.subarray(pos, pos + len), offset, dialect);
  };
  it('follows a backslash escape: \\" does not end the quotes', async () => {
    const text = 'id,v\n1,"a \\" b\nc"\n2,x\n';
    expect(await at(text, 5)).toBe(text.indexOf('"\n2') + 1);
  });
  it('cuts a stray quote at its own line when the field count is known', async () => {
    const text = '1,"a,b\n2,c,d\n3,e,f\n';
    expect(await at(text, 0, { delimiter: 0x2c, quote: 0x22, escape: 0x22, encoding: 'utf8', fields: 3 } as never)).toBe(6);
  });
  it('CR-only records', async () => {
    expect(await at('1,2\r3,4\r', 0, { delimiter: 0x2c, quote: 0x22, escape: 0x22, encoding: 'utf8', lineEnd: 'cr' } as never)).toBe(3);
  });
});

describe('the run\'s dialect, tried first for its later files', () => {
  const comma = Buffer.from('id,name,city\n1,ann,Prague\n2,bob,Brno\n3,"c, d",Plzen\n');
  const first = { delimiter: 0x2c, quote: 0x22, escape: 0x22, encoding: 'utf8' as const, lineEnd: 'lf' as const, fields: 3 };

  it('is taken when it reads every sampled record into the same fields', () => {
    const g = confirmDialect([comma], first)!;
    expect(g.dialect).toBe(first);
    expect(g.decisions.at(-1)!.reason).toMatch(/the run's first file's; all 4 sampled records give 3 fields/);
  });

  it('is not taken for a file it does not read cleanly: that file is detected on its own', () => {
    const semi = Buffer.from('id;name;city\n1;ann;Prague\n2;bob;Brno\n');
    expect(confirmDialect([semi], first)).toBeNull();
    // Same delimiter, another field count: not taken either.
    const four = Buffer.from('a,b,c,d\n1,2,3,4\n5,6,7,8\n');
    expect(confirmDialect([four], first)).toBeNull();
    // One record that does not read cleanly is enough.
    expect(confirmDialect([Buffer.concat([comma, Buffer.from('4,"dan,Brno\n')])], first)).toBeNull();
  });
});
