// The quick pass over a big scenario file: what the full validation (load.ts) would report, found without building
// the `yaml` package's document for the whole file, when that can be shown to be the same report. Two ways:
//
// - A line scanner for a plain subset of YAML (block mappings and lists, one-line scalars and flow collections;
//   see scanPlain()). A file wholly in the subset has no YAML syntax error, so its report is that of the structure
//   check (keys given twice) or, failing that, of the schema, both worked out on the scanner's tree.
// - For a file that is not: the `yaml` package's own parser and composer on a prefix of the file, in their
//   streaming mode (`incomplete`), when the document is closed in it and its error list is longer than the report
//   (leadingYamlErrors()). An error list only grows after its document is closed (later errors are appended), so
//   the first errors are the full parse's first errors; how many more there are is known only as "at least".
//
// docs/decisions/2026-12-02-quick-validation.md says why each is the full validation's report.
//
// Anything else is left to the full validation: the quick pass answers null.
import { Composer, type Document, LineCounter, Parser, type YAMLError } from 'yaml';

/** Files shorter than this are always validated in full: the quick pass is for big files full of problems. */
export const QUICK_MIN_BYTES = 64 * 1024;

/** A node of the scanner's tree; `start` is the offset where the `yaml` package's node would start (its range). */
export type PlainNode = PlainScalar | PlainMap | PlainList;
export interface PlainScalar {
  readonly kind: 'scalar';
  readonly start: number;
  readonly value: string | number | boolean | null;
}
export interface PlainMap {
  readonly kind: 'map';
  readonly start: number;
  readonly keys: string[];
  readonly keyStarts: number[];
  readonly values: PlainNode[];
}
export interface PlainList {
  readonly kind: 'list';
  readonly start: number;
  readonly items: PlainNode[];
}

/** A file read by scanPlain(): its tree and where its lines start (for line:column). */
export interface PlainDoc {
  readonly root: PlainMap;
  readonly lineStarts: readonly number[];
}

/** How deep the scanner follows nesting (below the structure check's MAX_DEPTH: deeper files go to the full check). */
const MAX_PLAIN_DEPTH = 32;
/** The longest key the scanner takes (yaml limits an implicit key to 1024 characters). */
const MAX_KEY = 128;

// YAML 1.2 core schema, as the `yaml` package resolves plain scalars (its schema/core tests).
const CORE_NULL = /^(?:~|[Nn]ull|NULL)?$/;
const CORE_BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const CORE_INT = /^[-+]?[0-9]+$/;
const CORE_OTHER_NUMBER =
  /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$/;
/** Decimal integers the scanner resolves itself (exact as a double; no sign or leading zero to argue about). */
const SAFE_INT = /^(?:0|-?[1-9][0-9]{0,14})$/;
/** Hexadecimal integers (0x8086): parseInt() of the digits, as the `yaml` package does. */
const SAFE_HEX = /^0x[0-9a-fA-F]{1,12}$/;
/** Keys the core schema does not read as a string (null, booleans): left to the full check. */
const NOT_STRING_KEYS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE']);
/** Characters that may not start a plain scalar (YAML indicators), or that the scanner leaves to the full check. */
const PLAIN_FIRST = new Set('-?:,[]{}#&*!|>\'"%@`');

type Value = string | number | boolean | null;

/** The core schema's value of a plain scalar, or undefined when the scanner does not take it. */
function plainValue(s: string): Value | undefined {
  if (s === '') return undefined;
  const c = s.charCodeAt(0);
  // Every number of the core schema starts with a digit, a sign or a dot; every null or boolean with one of ~nNtTfF.
  if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) {
    if (CORE_INT.test(s)) return SAFE_INT.test(s) ? Number(s) : undefined;
    if (SAFE_HEX.test(s)) return Number.parseInt(s.slice(2), 16);
    if (CORE_OTHER_NUMBER.test(s)) return undefined;
  } else if (s.length <= 5) {
    if (CORE_NULL.test(s)) return null;
    if (CORE_BOOL.test(s)) return c === 116 || c === 84;
  }
  if (PLAIN_FIRST.has(s[0]!)) return undefined;
  if (s.includes(': ') || s.endsWith(':') || s.includes(' #')) return undefined;
  return s;
}

/** Whether a character may be in a key the scanner takes (A-Z a-z 0-9 _ . + / -; not first: 0-9 . + / -). */
function keyChar(c: number, first: boolean): boolean {
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) return true;
  return !first && ((c >= 48 && c <= 57) || c === 46 || c === 43 || c === 47 || c === 45);
}

/** Where `s` occurs in `t` wholly within [from, end), or -1 (a search that does not run past the line). */
function find(t: string, s: string, from: number, end: number): number {
  const last = end - s.length;
  const c = s.charCodeAt(0);
  for (let i = from; i <= last; i++) if (t.charCodeAt(i) === c && t.startsWith(s, i)) return i;
  return -1;
}

class Fail extends Error {}
const fail = (): never => {
  throw new Fail();
};

/**
 * Reads `text` if it is a mapping in the scanner's subset of YAML, else returns null. The subset: printable ASCII
 * and newlines only; comment lines and blank lines; block mappings of plain keys (`name:`), block lists (`- `), a
 * list as a key's value at the key's indentation; values on one line: plain scalars that the core schema reads as
 * a string, a decimal or hexadecimal integer, a boolean or null (`~`, or no value), one-line quoted strings without
 * escapes, and one-line flow collections (`[a, "b"]`, `{ k: v, l: [w] }`) of those; a comment after a value.
 * Each piece is one the `yaml` package parses without an error, so a file in the subset has no YAML syntax error.
 */
export function scanPlain(text: string): PlainDoc | null {
  if (/[^\n\x20-\x7e]/.test(text)) return null;
  const scan = new Scan(text);
  if (!scan.has || scan.indent !== 0) return null;
  try {
    const root = scan.node(scan.start, 0, 1);
    if (root.kind !== 'map' || scan.has) return null;
    return { root, lineStarts: lineStarts(text) };
  } catch (e) {
    if (e instanceof Fail) return null;
    throw e;
  }
}

/** Where each line of `text` starts. */
function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

/**
 * The recursive reading of scanPlain(). The current content line (not blank, not only a comment) is `start`,
 * `indent` (its spaces) and `end` (its newline or the text's end); `has` is false past the last. Throws Fail
 * outside the subset.
 */
class Scan {
  has = false;
  start = 0;
  indent = 0;
  end = 0;
  /** Where the line after the current one starts. */
  private from = 0;
  /** Where the last key read by key() ends (after its colon). */
  private after = 0;
  constructor(private readonly text: string) {
    this.next();
  }

  /** Moves to the next content line. */
  next(): void {
    const t = this.text;
    while (this.from < t.length) {
      const start = this.from;
      let end = t.indexOf('\n', start);
      if (end === -1) end = t.length;
      this.from = end + 1;
      let c = start;
      while (c < end && t.charCodeAt(c) === 32) c++;
      if (c < end && t.charCodeAt(c) !== 35) {
        this.has = true;
        this.start = start;
        this.indent = c - start;
        this.end = end;
        return;
      }
    }
    this.has = false;
  }

  /** Whether the current line has a dash and a space at column `col`. */
  dashAt(col: number): boolean {
    const at = this.start + col;
    return this.text.charCodeAt(at) === 45 && this.text.charCodeAt(at + 1) === 32;
  }

  /** The node starting at offset `at` (column `col`) of the current line. */
  node(at: number, col: number, depth: number): PlainNode {
    if (depth > MAX_PLAIN_DEPTH) fail();
    const t = this.text;
    if (t.charCodeAt(at) === 45 && (at + 1 === this.end || t.charCodeAt(at + 1) === 32)) {
      // A list starts only at a line's content (a `- - x` or `key: - x` is left to the full check).
      if (at !== this.start + this.indent) fail();
      return this.list(col, depth);
    }
    if (this.key(at) !== null) return this.map(at, col, depth);
    const v = this.value(at, this.end);
    this.next();
    return v;
  }

  /**
   * A key at `at` of the current line (a plain word then a colon and a space or the line's end): its text (and
   * `after` set to where it ends), or null.
   */
  key(at: number): string | null {
    const t = this.text;
    const end = this.end;
    const limit = Math.min(end, at + MAX_KEY + 1);
    let i = at;
    while (i < limit && keyChar(t.charCodeAt(i), i === at)) i++;
    if (i === at || i >= limit || t.charCodeAt(i) !== 58) return null;
    if (i + 1 < end && t.charCodeAt(i + 1) !== 32) return null;
    const key = t.slice(at, i);
    if (key === '__proto__' || NOT_STRING_KEYS.has(key)) return null;
    this.after = i + 1;
    return key;
  }

  map(first: number, col: number, depth: number): PlainMap {
    const map: PlainMap = { kind: 'map', start: first, keys: [], keyStarts: [], values: [] };
    const t = this.text;
    let at = first;
    for (;;) {
      const key = this.key(at) ?? fail();
      const end = this.end;
      let rest = this.after;
      while (rest < end && t.charCodeAt(rest) === 32) rest++;
      let value: PlainNode;
      if (rest < end && t.charCodeAt(rest) !== 35) {
        value = this.value(rest, end);
        this.next();
      } else {
        // The value is on the next lines: a deeper node, or a list at the key's own indentation; else it is
        // empty (null), placed where the yaml package places it: after the colon and the spaces that follow.
        this.next();
        if (this.has && this.indent > col) value = this.node(this.start + this.indent, this.indent, depth + 1);
        else if (this.has && this.indent === col && this.dashAt(col)) value = this.list(col, depth + 1);
        else value = { kind: 'scalar', start: rest, value: null };
      }
      map.keys.push(key);
      map.keyStarts.push(at);
      map.values.push(value);
      if (!this.has || this.indent < col) return map;
      if (this.indent > col) fail();
      at = this.start + col;
    }
  }

  list(col: number, depth: number): PlainList {
    const list: PlainList = { kind: 'list', start: this.start + col, items: [] };
    const t = this.text;
    for (;;) {
      if (!this.dashAt(col)) fail();
      const end = this.end;
      let c = this.start + col + 1;
      while (c < end && t.charCodeAt(c) === 32) c++;
      if (c === end || t.charCodeAt(c) === 35) fail();
      list.items.push(this.node(c, c - this.start, depth + 1));
      if (!this.has || this.indent < col) return list;
      if (this.indent > col) fail();
      // At the list's indentation without a dash: the next key of the mapping the list is a value of.
      if (!this.dashAt(col)) return list;
    }
  }

  /** A value on one line from `at` to the line's end: a flow list, a quoted string or a plain scalar. */
  value(at: number, end: number): PlainNode {
    const t = this.text;
    const c = t[at];
    if (c === '[' || c === '{') {
      const node = this.flow(at, end, 1);
      this.tail(this.pos, end);
      return node;
    }
    if (c === "'" || c === '"') {
      const close = find(t, c, at + 1, end);
      if (close === -1) fail();
      const s = t.slice(at + 1, close);
      if (c === '"' && s.includes('\\')) fail();
      // '' inside single quotes is an escaped quote: left to the full check.
      if (t[close + 1] === c) fail();
      this.tail(close + 1, end);
      return { kind: 'scalar', start: at, value: s };
    }
    let stop = find(t, ' #', at, end);
    if (stop === -1) stop = end;
    let e = stop;
    while (e > at && t[e - 1] === ' ') e--;
    const v = plainValue(t.slice(at, e));
    if (v === undefined) fail();
    return { kind: 'scalar', start: at, value: v as Value };
  }

  /** Where the last flow item read by flow() or flowItem() ends. */
  private pos = 0;

  /**
   * A flow collection (`[a, b]`, `{ k: v }`, nested, on one line) at `at`: its node, with `pos` set after its
   * closing bracket. Items are plain words (no `:` or `#`), quoted strings without escapes, or flow collections;
   * a flow mapping's keys are plain keys followed by `: `. No empty item, no trailing comma.
   */
  flow(at: number, end: number, depth: number): PlainNode {
    if (depth > MAX_PLAIN_DEPTH) fail();
    const t = this.text;
    const isMap = t.charCodeAt(at) === 123;
    const close = isMap ? 125 : 93;
    const node: PlainMap | PlainList = isMap
      ? { kind: 'map', start: at, keys: [], keyStarts: [], values: [] }
      : { kind: 'list', start: at, items: [] };
    let i = this.spaces(at + 1, end);
    if (t.charCodeAt(i) === close) {
      this.pos = i + 1;
      return node;
    }
    for (;;) {
      const key = this.key(i);
      if (node.kind === 'map') {
        if (key === null) fail();
        node.keys.push(key as string);
        node.keyStarts.push(i);
        node.values.push(this.flowItem(this.spaces(this.after, end), end, depth + 1));
      } else {
        // A `k: v` pair as a list item is a mapping of its own: left to the full check.
        if (key !== null) fail();
        node.items.push(this.flowItem(i, end, depth + 1));
      }
      i = this.spaces(this.pos, end);
      const c = t.charCodeAt(i);
      if (c === close) {
        this.pos = i + 1;
        return node;
      }
      if (c !== 44) fail();
      i = this.spaces(i + 1, end);
    }
  }

  /** One item of a flow collection at `at`, with `pos` set after it. */
  flowItem(at: number, end: number, depth: number): PlainNode {
    const t = this.text;
    const c = t.charCodeAt(at);
    if (c === 91 || c === 123) return this.flow(at, end, depth);
    if (c === 34 || c === 39) {
      const q = t[at]!;
      const close = find(t, q, at + 1, end);
      if (close === -1) fail();
      const s = t.slice(at + 1, close);
      if (q === '"' && s.includes('\\')) fail();
      if (t[close + 1] === q) fail();
      this.pos = close + 1;
      return { kind: 'scalar', start: at, value: s };
    }
    let stop = at;
    while (stop < end) {
      const d = t.charCodeAt(stop);
      if (d === 44 || d === 93 || d === 125) break;
      stop++;
    }
    let e = stop;
    while (e > at && t.charCodeAt(e - 1) === 32) e--;
    const word = t.slice(at, e);
    if (word === '' || /[[\]{}:#'"]/.test(word)) fail();
    const v = plainValue(word);
    if (v === undefined) fail();
    this.pos = e;
    return { kind: 'scalar', start: at, value: v as Value };
  }

  /** The first offset from `i` on that is not a space (at most `end`). */
  spaces(i: number, end: number): number {
    while (i < end && this.text.charCodeAt(i) === 32) i++;
    return i;
  }

  /** After a closed value: only spaces, or spaces and a comment. */
  tail(from: number, end: number): void {
    let i = from;
    while (i < end && this.text[i] === ' ') i++;
    if (i < end && (this.text[i] !== '#' || i === from)) fail();
  }
}

/** The JavaScript value of a scanned node, as the `yaml` package's toJS() gives it. */
export function plainData(node: PlainNode): unknown {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'list') return node.items.map(plainData);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < node.keys.length; i++) out[node.keys[i]!] = plainData(node.values[i]!);
  return out;
}

/**
 * The keys given twice in a scanned document, in the order checkStructure() reports them (each mapping's own keys,
 * then its children, depth first): the offsets of the second and later occurrences, with the key.
 */
export function plainDuplicates(root: PlainMap): { offset: number; key: string }[] {
  const out: { offset: number; key: string }[] = [];
  const stack: PlainNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.kind === 'scalar') continue;
    const children = n.kind === 'map' ? n.values : n.items;
    if (n.kind === 'map') {
      const seen = new Set<string>();
      n.keys.forEach((k, i) => {
        if (seen.has(k)) out.push({ offset: n.keyStarts[i]!, key: k });
        seen.add(k);
      });
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return out;
}

const keyIndexes = new WeakMap<PlainMap, Map<string, number>>();
/** Where a key first occurs in a mapping, or -1 (an index made on first use: a mapping may have 100,000 keys). */
function keyIndex(map: PlainMap, key: string): number {
  let index = keyIndexes.get(map);
  if (index === undefined) {
    index = new Map();
    for (let i = map.keys.length - 1; i >= 0; i--) index.set(map.keys[i]!, i);
    keyIndexes.set(map, index);
  }
  return index.get(key) ?? -1;
}

/** The node at a path, as Document.getIn(path, true) finds it (a key's first pair; a list's index). */
function plainAt(root: PlainMap, path: readonly (string | number)[]): PlainNode | undefined {
  let n: PlainNode | undefined = root;
  for (const p of path) {
    if (n === undefined || n.kind === 'scalar') return undefined;
    if (n.kind === 'map') {
      const i = keyIndex(n, p as string);
      n = i === -1 ? undefined : n.values[i];
    } else {
      const idx = typeof p === 'string' ? Number(p) : p;
      n = Number.isInteger(idx) && idx >= 0 ? n.items[idx] : undefined;
    }
  }
  return n;
}

/** The offset load.ts's Ctx.pos() gives a path (its key's, with atKey; else its value's or nearest ancestor's). */
export function plainOffset(root: PlainMap, path: readonly (string | number)[], atKey: boolean): number {
  if (atKey && path.length > 0) {
    const parent = plainAt(root, path.slice(0, -1));
    if (parent?.kind === 'map') {
      const i = keyIndex(parent, String(path.at(-1)));
      if (i !== -1) return parent.keyStarts[i]!;
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const node = plainAt(root, path.slice(0, n));
    if (node !== undefined) return node.start;
  }
  return 0;
}

/** LineCounter.linePos() over line starts: 1-based line and column of an offset. */
export function linePos(lineStarts: readonly number[], offset: number): { line: number; col: number } {
  let low = 0;
  let high = lineStarts.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (lineStarts[mid]! < offset) low = mid + 1;
    else high = mid;
  }
  if (lineStarts[low] === offset) return { line: low + 1, col: 1 };
  const start = lineStarts[low - 1]!;
  return { line: low, col: offset - start + 1 };
}

/** How much text the first prefix parse reads (each next one reads twice as much), and the most it reads. */
const FIRST = 8 * 1024;
const BUDGET = 256 * 1024;

/**
 * The first YAML errors of `text` as parseDocument() with `options` lists them, read from a prefix of the text:
 * `errors` (more than `min` of them) are the first of the full list, in its order; the full list has at least as
 * many. The prefix ends at a line's end and is parsed as incomplete (the parser keeps back what more text could
 * change); its errors count once its document is closed (later errors are appended to the list) and only before
 * its last line. Null when that gives no more than `min` errors within the budget, when the document is still
 * open at the end of the first prefix, or when something else could come into the list before them (a second
 * document, a directive or a `...` after the first).
 */
export function leadingYamlErrors(
  text: string,
  min: number,
  options: { readonly uniqueKeys: false },
  first = FIRST,
  budget = BUDGET,
): { errors: YAMLError[]; lineCounter: LineCounter } | null {
  for (let size = first; size <= budget; size *= 2) {
    const nl = text.indexOf('\n', size);
    if (nl === -1) return null;
    const prefix = text.slice(0, nl + 1);
    const lead = prefixErrors(prefix, options);
    // A document still open after the first piece is, as a rule, open to the file's end: reading more would cost
    // as much again for nothing.
    if (lead === undefined || lead === null) return null;
    const lastLine = text.lastIndexOf('\n', nl - 1) + 1;
    const cut = lead.errors.findIndex((e) => e.pos[0] >= lastLine);
    const errors = cut === -1 ? lead.errors : lead.errors.slice(0, cut);
    if (errors.length > min) return { errors, lineCounter: lead.lineCounter };
  }
  return null;
}

/**
 * The errors of a closed document of `prefix`, and those after it; null when its document is not closed in it,
 * undefined when the prefix holds more than the one document's errors can tell.
 */
function prefixErrors(
  prefix: string,
  options: { readonly uniqueKeys: false },
): { errors: YAMLError[]; lineCounter: LineCounter } | null | undefined {
  const lineCounter = new LineCounter();
  const parser = new Parser(lineCounter.addNewLine);
  const composer = new Composer({ ...options, prettyErrors: false });
  // The document, once the parser has closed it: its errors so far are final, and the stream's later errors are
  // appended to them. Once handed over by end(), the composer collects those in streamInfo().errors instead.
  let doc: Document.Parsed | undefined;
  for (const token of parser.parse(prefix, true)) {
    if (doc === undefined) {
      for (const _ of composer.next(token)) return undefined;
      if (token.type === 'document') for (const d of composer.end()) doc = d as Document.Parsed;
    } else if (['error', 'space', 'comment', 'newline'].includes(token.type)) {
      for (const _ of composer.next(token)) return undefined;
    } else return undefined;
  }
  if (doc === undefined) return null;
  return { errors: [...doc.errors, ...composer.streamInfo().errors], lineCounter };
}
