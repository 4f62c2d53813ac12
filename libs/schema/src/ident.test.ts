// Identifiers: untrusted header and file names become plain snake_case of at most
// 63 bytes, and are quoted safely whenever they are written into SQL.
import { describe, expect, it } from 'vitest';
import { fitIdentifier, qualified, quoteIdent, tableNameFor, toIdentifier, uniqueNames } from './ident.js';

const bytes = (s: string) => Buffer.byteLength(s);

describe('quoteIdent', () => {
  it('wraps in double quotes and doubles quotes inside', () => {
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteIdent('x"; DROP TABLE t; --')).toBe('"x""; DROP TABLE t; --"');
    expect(qualified('my schema', 't"1')).toBe('"my schema"."t""1"');
  });

  it('refuses a NUL character', () => {
    expect(() => quoteIdent('a\u0000b')).toThrow(/NUL/);
  });
});

describe('toIdentifier', () => {
  it('turns hostile headers into plain snake_case', () => {
    expect(toIdentifier('a"; DROP TABLE x; --', 'f')).toBe('a_drop_table_x');
    expect(toIdentifier('  Order ID  ', 'f')).toBe('order_id');
    expect(toIdentifier('Price ($)/Unit', 'f')).toBe('price_unit');
    expect(toIdentifier('__keep_inner__under__', 'f')).toBe('keep_inner_under');
  });

  it('prefixes a leading digit with an underscore', () => {
    expect(toIdentifier('2024 Sales', 'f')).toBe('_2024_sales');
  });

  it('drops accents and uses the fallback when nothing is left', () => {
    expect(toIdentifier('Crème Brûlée', 'f')).toBe('creme_brulee');
    expect(toIdentifier('', 'col_3')).toBe('col_3');
    expect(toIdentifier('日本語', 'col_1')).toBe('col_1');
    expect(toIdentifier('"; --', 'col_2')).toBe('col_2');
  });

  it('keeps names within 63 bytes, distinct when they differ only past the limit', () => {
    const a = toIdentifier(`${'é'.repeat(70)}_a`, 'f');
    const b = toIdentifier(`${'é'.repeat(70)}_b`, 'f');
    expect(bytes(a)).toBeLessThanOrEqual(63);
    expect(a).toMatch(/^e+_[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(toIdentifier('x'.repeat(63), 'f')).toBe('x'.repeat(63));
  });
});

describe('fitIdentifier', () => {
  it('cuts multibyte names on character boundaries to at most 63 bytes', () => {
    for (const s of ['é'.repeat(40), '日'.repeat(30), `a${'ß'.repeat(40)}`]) {
      const fit = fitIdentifier(s);
      expect(bytes(fit)).toBeLessThanOrEqual(63);
      expect(fit).not.toContain('\ufffd');
      expect(s.startsWith(fit.slice(0, -9))).toBe(true);
    }
  });
});

describe('uniqueNames', () => {
  it('suffixes repeats with _2, _3 in order of appearance', () => {
    expect(uniqueNames(['id', 'name', 'id', 'id', 'name'])).toEqual(['id', 'name', 'id_2', 'id_3', 'name_2']);
  });

  it('does not collide with a name that already has the suffix', () => {
    const names = uniqueNames(['a', 'a_2', 'a']);
    expect(new Set(names).size).toBe(3);
  });

  it('stays within 63 bytes for long repeated names', () => {
    const long = 'x'.repeat(63);
    const names = uniqueNames([long, long]);
    expect(names[1]).not.toBe(long);
    expect(bytes(names[1]!)).toBeLessThanOrEqual(63);
  });
});

describe('tableNameFor', () => {
  it('strips extensions, compression suffixes included', () => {
    expect(tableNameFor('orders.csv')).toBe('orders');
    expect(tableNameFor('Orders 2024.CSV.GZ')).toBe('orders_2024');
    expect(tableNameFor('events.jsonl.zst')).toBe('events');
    expect(tableNameFor('my.data.tsv')).toBe('my_data');
    expect(tableNameFor('2024.csv')).toBe('_2024');
    expect(tableNameFor('.csv')).toBe('data');
  });
});
