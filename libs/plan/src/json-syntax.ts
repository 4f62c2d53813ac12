/**
 * Where a JSON document stops being JSON: a byte-level checker (RFC 8259 grammar, plus
 * what copyfleet accepts around records: values one after another at the top level,
 * separated by commas or whitespace, and trailing commas) that names the line, column
 * (characters, 1-based) and byte of the first error and what was expected there.
 *
 * Only the planner's error path runs it — when the structural scan (json-edges.ts),
 * which does not parse, finds the document broken — so it favours a clear message over
 * speed. Streaming: state carries across pushed buffers, memory is the nesting depth.
 *
 *   VALUE ──"──▶ STRING ──"──▶ AFTER ──,──▶ VALUE (array) / KEY (object)
 *     │──{──▶ KEY ──"──▶ STRING(key) ──"──▶ COLON ──:──▶ VALUE
 *     │──[──▶ VALUE           AFTER ──}/]──▶ AFTER (one level up)
 *     └─digit/-──▶ NUMBER, t/f/n ──▶ LITERAL ──▶ AFTER
 */

export interface JsonSyntaxError {
  line: number;
  column: number;
  /** Absolute byte offset. */
  byte: number;
  message: string;
}

export function describeJsonSyntaxError(e: JsonSyntaxError): string {
  return `line ${e.line}, column ${e.column} (byte ${e.byte}): ${e.message}`;
}

const enum Mode {
  Value,
  After,
  Key,
  Colon,
  Str,
  Num,
  Literal,
}

const NUMBER_RE = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const QUOTES_LOOKALIKE = /[“”„‟″]/;

export class JsonChecker {
  private line = 1;
  /** Characters before the current byte on its line. */
  private col = 0;
  private pos: number;
  private mode = Mode.Value;
  private readonly stack: number[] = [];
  /** After a ',' : a closing bracket here is a trailing comma (accepted). */
  private afterComma = false;
  private strIsKey = false;
  private strAt = { line: 0, column: 0, byte: 0 };
  private strPrefix: number[] = [];
  private esc = 0; // 0 none, 1 after '\', 2..5 reading \u hex digits
  private token = '';
  private tokenAt = { line: 0, column: 0, byte: 0 };
  private literal = '';
  private error: JsonSyntaxError | null = null;
  private sawValue = false;
  /** The array was just opened (a ']' now makes it empty). */
  private opened = false;

  constructor(startOffset: number) {
    this.pos = startOffset;
  }

  /** The first error so far, or null. */
  get result(): JsonSyntaxError | null {
    return this.error;
  }

  push(buf: Buffer): void {
    for (let i = 0; i < buf.length && this.error === null; i++) {
      this.step(buf, i);
      const c = buf[i]!;
      if (c === 0x0a) {
        this.line++;
        this.col = 0;
      } else if ((c & 0xc0) !== 0x80) this.col++;
      this.pos++;
    }
  }

  end(): JsonSyntaxError | null {
    if (this.error !== null) return this.error;
    const here = { line: this.line, column: this.col + 1, byte: this.pos };
    if (this.mode === Mode.Str) {
      const text = Buffer.from(this.strPrefix).toString('utf8').replace(/\uFFFD+$/, '');
      return this.fail(this.strAt, `the JSON document ends before its records do (truncated file?): it ends inside the string that starts here ("${text}")`);
    }
    if (this.mode === Mode.Num || this.mode === Mode.Literal) this.finishToken();
    if (this.error !== null) return this.error;
    if (this.stack.length > 0) {
      const open = this.stack.at(-1) === 0x7b ? 'an object' : 'an array';
      return this.fail(here, `the JSON document ends before its records do (truncated file?): ${open} is still open`);
    }
    if (!this.sawValue) return this.fail(here, 'the document holds no JSON value');
    return null;
  }

  private fail(at: { line: number; column: number; byte: number }, message: string): JsonSyntaxError {
    this.error ??= { ...at, message };
    return this.error;
  }

  private here(): { line: number; column: number; byte: number } {
    return { line: this.line, column: this.col + 1, byte: this.pos };
  }

  private unexpected(buf: Buffer, i: number, expected: string): void {
    this.fail(this.here(), `expected ${expected}, found ${show(buf, i)}`);
  }

  private unterminated(): string {
    const text = Buffer.from(this.strPrefix).toString('utf8').replace(/\uFFFD+$/, '');
    const hint = QUOTES_LOOKALIKE.test(text) ? `; it holds ${QUOTES_LOOKALIKE.exec(text)![0]}, a typographic quote, which does not end a JSON string` : '';
    return `unterminated string (it starts with "${text}")${hint}`;
  }

  private step(buf: Buffer, i: number): void {
    const c = buf[i]!;
    const opened = this.opened;
    if (this.mode !== Mode.Str && !(c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d)) this.opened = false;
    switch (this.mode) {
      case Mode.Str:
        return this.inString(c);
      case Mode.Num:
      case Mode.Literal:
        if ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x45) {
          this.token += String.fromCharCode(c);
          if (this.token.length > 64) this.fail(this.tokenAt, `not a JSON value: ${this.token.slice(0, 20)}...`);
          return;
        }
        this.finishToken();
        if (this.error !== null) return;
        return this.step(buf, i);
    }
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) return;
    const top = this.stack.at(-1);
    switch (this.mode) {
      case Mode.Value:
        // [] and a trailing comma: the array closes where a value was expected.
        if ((this.afterComma || opened) && c === 0x5d && top === 0x5b) return this.close(buf, i);
        if (this.afterComma && c === 0x7d && top === 0x7b) return this.close(buf, i);
        return this.value(buf, i);
      case Mode.Key:
        if (c === 0x22) return this.openString(true);
        if (c === 0x7d) return this.close(buf, i); // {} or a trailing comma
        return this.unexpected(buf, i, 'a member name in double quotes');
      case Mode.Colon:
        if (c === 0x3a) {
          this.mode = Mode.Value;
          this.afterComma = false;
          return;
        }
        return this.unexpected(buf, i, "':' after the member name");
      case Mode.After:
        if (c === 0x2c) {
          this.mode = top === 0x7b ? Mode.Key : Mode.Value;
          this.afterComma = true;
          return;
        }
        if (c === 0x7d || c === 0x5d) return this.close(buf, i);
        if (top === undefined && (c === 0x7b || c === 0x5b)) return this.value(buf, i); // values one after another
        return this.unexpected(buf, i, top === 0x7b ? "',' or '}' after a member" : top === 0x5b ? "',' or ']' after an element" : "',' or the next value after a value");
    }
  }

  private value(buf: Buffer, i: number): void {
    const c = buf[i]!;
    this.afterComma = false;
    this.sawValue = true;
    if (c === 0x7b || c === 0x5b) {
      this.stack.push(c);
      this.mode = c === 0x7b ? Mode.Key : Mode.Value;
      this.opened = c === 0x5b;
      return;
    }
    if (c === 0x22) return this.openString(false);
    if (c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e) {
      this.mode = c === 0x74 || c === 0x66 || c === 0x6e ? Mode.Literal : Mode.Num;
      this.token = String.fromCharCode(c);
      this.tokenAt = this.here();
      return;
    }
    if (c === 0x5d || c === 0x7d) return this.unexpected(buf, i, 'a value');
    return this.unexpected(buf, i, 'a value (an object, array, string, number, true, false or null)');
  }

  private close(buf: Buffer, i: number): void {
    const c = buf[i]!;
    const top = this.stack.at(-1);
    if (top === undefined) return this.unexpected(buf, i, 'a value');
    if ((c === 0x7d) !== (top === 0x7b)) return this.unexpected(buf, i, top === 0x7b ? "'}' to close the object" : "']' to close the array");
    this.stack.pop();
    this.mode = Mode.After;
    this.afterComma = false;
  }

  private openString(key: boolean): void {
    this.mode = Mode.Str;
    this.strIsKey = key;
    this.strAt = this.here();
    this.strPrefix = [];
    this.esc = 0;
  }

  private inString(c: number): void {
    if (this.strPrefix.length < 24 && c !== 0x0a) this.strPrefix.push(c);
    if (this.esc === 1) {
      if (c === 0x75) this.esc = 2;
      else if ('"\\/bfnrt'.includes(String.fromCharCode(c))) this.esc = 0;
      else this.fail(this.here(), `invalid escape \\${String.fromCharCode(c)} in a string`);
      return;
    }
    if (this.esc >= 2) {
      const hex = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
      if (!hex) return void this.fail(this.here(), 'expected 4 hex digits after \\u in a string');
      this.esc = this.esc === 5 ? 0 : this.esc + 1;
      return;
    }
    if (c === 0x5c) this.esc = 1;
    else if (c === 0x22) {
      this.mode = this.strIsKey ? Mode.Colon : Mode.After;
      this.afterComma = false;
    } else if (c === 0x0a || c === 0x0d) this.fail(this.strAt, this.unterminated());
    else if (c < 0x20) this.fail(this.here(), `a control character (U+${c.toString(16).toUpperCase().padStart(4, '0')}) inside a string; write it as an escape`);
  }

  private finishToken(): void {
    const t = this.token;
    this.mode = Mode.After;
    if (t === 'true' || t === 'false' || t === 'null' || NUMBER_RE.test(t)) return;
    this.fail(this.tokenAt, `not a JSON value: ${t.length > 20 ? `${t.slice(0, 20)}...` : t}`);
  }
}

/** A byte for a message: the character when it decodes, else its hex. */
function show(buf: Buffer, i: number): string {
  const c = buf[i]!;
  if (c >= 0x20 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
  if (c >= 0xc0) {
    const ch = buf.toString('utf8', i, Math.min(buf.length, i + 4)).charAt(0);
    if (ch !== '\uFFFD') return `'${ch}'`;
  }
  return `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/** The first syntax error of the JSON read from `chunks` (starting at byte `from`), or null. */
export async function findJsonSyntaxError(chunks: AsyncIterable<Buffer>, from: number): Promise<JsonSyntaxError | null> {
  const checker = new JsonChecker(from);
  for await (const chunk of chunks) {
    checker.push(chunk);
    if (checker.result !== null) return checker.result;
  }
  return checker.end();
}
