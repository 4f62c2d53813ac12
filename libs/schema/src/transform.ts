/**
 * The built-in transforms a dataset spec can apply to a value before it is typed:
 * trim, a WKT POINT's x or y, and a date written in a given format. Each returns the
 * new value or FAILED (the row is rejected, naming the column and the transform).
 */
import type { Transform } from './types.js';

export const FAILED = Symbol('transform failed');

const WKT_POINT = /^\s*POINT\s*\(\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s+([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*\)\s*$/i;

export function applyTransform(t: Transform, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  switch (t.kind) {
    case 'trim':
      return typeof v === 'string' ? v.trim() : v;
    case 'wkt_point': {
      const m = typeof v === 'string' ? WKT_POINT.exec(v) : null;
      return m ? (t.axis === 'x' ? m[1] : m[2]) : FAILED;
    }
    case 'date_format':
      return typeof v === 'string' ? parseWithFormat(v.trim(), t.format) ?? FAILED : FAILED;
  }
}

export function describeTransform(t: Transform): string {
  return t.kind === 'wkt_point' ? `wkt_point ${t.axis}` : t.kind === 'date_format' ? `date_format "${t.format}"` : t.kind;
}

const TOKENS = ['YYYY', 'MM', 'DD', 'HH', 'mm', 'ss'] as const;
const cache = new Map<string, { re: RegExp; order: string[] }>();

/** `31/12/2023 08:15` with format `DD/MM/YYYY HH:mm` → `2023-12-31 08:15:00`. */
export function parseWithFormat(value: string, format: string): string | null {
  let compiled = cache.get(format);
  if (!compiled) {
    const order: string[] = [];
    let re = '';
    for (let i = 0; i < format.length; ) {
      const tok = TOKENS.find((t) => format.startsWith(t, i));
      if (tok) {
        order.push(tok);
        re += tok === 'YYYY' ? '(\\d{4})' : '(\\d{1,2})';
        i += tok.length;
      } else {
        re += format[i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        i++;
      }
    }
    compiled = { re: new RegExp(`^${re}$`), order };
    cache.set(format, compiled);
  }
  const m = compiled.re.exec(value);
  if (!m) return null;
  const part = (tok: string, dflt: number): number => {
    const k = compiled!.order.indexOf(tok);
    return k < 0 ? dflt : Number(m[k + 1]);
  };
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const date = `${String(part('YYYY', 1970)).padStart(4, '0')}-${p2(part('MM', 1))}-${p2(part('DD', 1))}`;
  if (!compiled.order.includes('HH')) return date;
  return `${date} ${p2(part('HH', 0))}:${p2(part('mm', 0))}:${p2(part('ss', 0))}`;
}
