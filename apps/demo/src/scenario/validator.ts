// A validator for the subset of JSON Schema (draft-07) that the scenario schema uses. It exists so that each
// problem comes out as one message with a path, the offending value and what would be accepted; the schema itself
// stays a plain JSON Schema that editors and any other validator read (a test checks it against Ajv).

/** The JSON Schema keywords this validator understands. A schema using any other keyword is refused. */
export const SUPPORTED_KEYWORDS = new Set([
  '$schema',
  '$id',
  '$ref',
  '$comment',
  'title',
  'description',
  'definitions',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'enum',
  'const',
  'pattern',
  'minimum',
  'maximum',
  'minLength',
  'oneOf',
  'examples',
  'default',
]);

/** A JSON Schema node (the subset above). */
export interface JsonSchema {
  $schema?: string;
  $id?: string;
  $ref?: string;
  $comment?: string;
  title?: string;
  description?: string;
  definitions?: Record<string, JsonSchema>;
  type?: JsonType | JsonType[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  oneOf?: JsonSchema[];
  examples?: unknown[];
  default?: unknown;
}

type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

/** One problem: where (a path of keys and indexes), what is wrong, and what would be accepted. */
export interface Issue {
  readonly path: readonly (string | number)[];
  /** The problem is the key itself (an unknown property), not its value. */
  readonly atKey: boolean;
  readonly message: string;
  readonly expected: string;
  /** A string of the right type that does not have an accepted form (a pattern mismatch). */
  readonly form?: true;
}

/** Throws when the schema uses a keyword this validator does not implement (checked by a test). */
export function checkSupported(schema: JsonSchema, where = '#'): void {
  for (const key of Object.keys(schema)) {
    if (!SUPPORTED_KEYWORDS.has(key)) throw new Error(`schema keyword '${key}' at ${where} is not supported`);
  }
  for (const [k, s] of Object.entries(schema.definitions ?? {})) checkSupported(s, `${where}/definitions/${k}`);
  for (const [k, s] of Object.entries(schema.properties ?? {})) checkSupported(s, `${where}/properties/${k}`);
  if (typeof schema.additionalProperties === 'object') {
    checkSupported(schema.additionalProperties, `${where}/additionalProperties`);
  }
  if (schema.items !== undefined) checkSupported(schema.items, `${where}/items`);
  for (const [i, b] of (schema.oneOf ?? []).entries()) checkSupported(b, `${where}/oneOf/${i}`);
}

function typeOf(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isSafeInteger(v) ? 'integer' : 'number';
  return typeof v as JsonType;
}

/** How YAML writes a number that JSON cannot (.nan, .inf, -.inf). */
function yamlNumber(v: number): string {
  return Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf';
}

/** Shows a value in a message, short. */
export function showValue(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return yamlNumber(v);
  const s = typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const described = new WeakMap<JsonSchema, WeakMap<JsonSchema, string>>();

/** A short description of what a schema accepts, for "expected …" (worked out once per schema and root). */
export function describe(schema: JsonSchema, root: JsonSchema): string {
  let byRoot = described.get(root);
  if (byRoot === undefined) {
    byRoot = new WeakMap();
    described.set(root, byRoot);
  }
  let text = byRoot.get(schema);
  if (text === undefined) {
    text = describeOnce(schema, root);
    byRoot.set(schema, text);
  }
  return text;
}

function describeOnce(schema: JsonSchema, root: JsonSchema): string {
  const s = resolve(schema, root);
  if (s.title !== undefined) return s.title;
  if (s.const !== undefined) return showValue(s.const);
  if (s.enum !== undefined) return `one of ${s.enum.map(showValue).join(', ')}`;
  if (s.oneOf !== undefined) return s.oneOf.map((b) => describe(b, root)).join(', or ');
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  const t = types.map((x) =>
    x === 'object' ? 'a mapping' : x === 'array' ? 'a list' : `${x === 'integer' ? 'an' : 'a'} ${x}`,
  );
  let out = t.join(' or ') || 'a value';
  if (s.minimum !== undefined && s.maximum !== undefined) out += ` from ${s.minimum} to ${s.maximum}`;
  else if (s.minimum !== undefined) out += ` >= ${s.minimum}`;
  if (s.pattern !== undefined && s.description !== undefined) out += ` (${s.description})`;
  return out;
}

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let s = schema;
  for (let hops = 0; s.$ref !== undefined; hops++) {
    if (hops > 32) throw new Error(`$ref loop at ${s.$ref}`);
    const m = /^#\/definitions\/(.+)$/.exec(s.$ref);
    const target =
      m === null || root.definitions === undefined || !Object.hasOwn(root.definitions, m[1]!)
        ? undefined
        : root.definitions[m[1]!];
    if (target === undefined) throw new Error(`unresolvable $ref ${s.$ref}`);
    s = target;
  }
  return s;
}

const patternCache = new Map<string, RegExp>();
function regex(p: string): RegExp {
  let r = patternCache.get(p);
  if (r === undefined) {
    r = new RegExp(p, 'u');
    patternCache.set(p, r);
  }
  return r;
}

/** Validates `value` against `schema`; returns every problem found (empty: valid). */
export function validate(value: unknown, schema: JsonSchema, root: JsonSchema = schema): Issue[] {
  const issues: Issue[] = [];
  walk(value, schema, root, [], issues);
  return issues;
}

function walk(v: unknown, schema: JsonSchema, root: JsonSchema, path: (string | number)[], out: Issue[]): void {
  const s = resolve(schema, root);
  if (s.oneOf !== undefined) {
    oneOf(v, s, root, path, out);
    return;
  }
  const fail = (message: string) => failed(out, path, s, root, message);
  if (s.type !== undefined) {
    const types = typesOf(s.type);
    const t = typeOf(v);
    if (typeof v === 'number' && !Number.isFinite(v) && (types.includes('number') || types.includes('integer'))) {
      fail(`${yamlNumber(v)} is not a finite number`);
      return;
    }
    if (typeof v === 'number' && Number.isInteger(v) && types.includes('integer') && !types.includes('number')) {
      if (!Number.isSafeInteger(v)) {
        fail(`${v} is too large for an integer (beyond 2^53)`);
        return;
      }
    }
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) {
      fail(
        `${showValue(v)} is ${t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : `${t === 'integer' ? 'an' : 'a'} ${t}`}`,
      );
      return;
    }
  }
  if (s.const !== undefined && v !== s.const) {
    fail(`${showValue(v)} is not allowed here`);
    return;
  }
  if (s.enum !== undefined && !s.enum.includes(v)) {
    fail(`${showValue(v)} is not allowed here`);
    return;
  }
  if (typeof v === 'string') {
    if (s.minLength !== undefined && v.length < s.minLength) fail('empty text');
    else if (s.pattern !== undefined && !regex(s.pattern).test(v)) {
      // A string, as the schema asks, but not one of the accepted spellings: say that, not "expected a string".
      out.push({
        path,
        atKey: false,
        message: `${showValue(v)} is not an accepted value here`,
        expected: s.description === undefined ? `a string matching /${s.pattern}/` : describe(s, root),
        form: true,
      });
    }
  }
  if (typeof v === 'number') {
    if ((s.minimum !== undefined && v < s.minimum) || (s.maximum !== undefined && v > s.maximum)) {
      fail(`${v} is out of range`);
    }
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems)
      fail(`the list has ${v.length} item${v.length === 1 ? '' : 's'}`);
    if (s.items !== undefined) for (const [i, item] of v.entries()) walk(item, s.items, root, [...path, i], out);
  }
  if (typeOf(v) === 'object') {
    const obj = v as Record<string, unknown>;
    for (const key of s.required ?? []) if (!Object.hasOwn(obj, key)) out.push(missingKey(path, key, s, root));
    for (const [key, val] of Object.entries(obj)) {
      // Own properties only: a key named toString or __proto__ is not a schema's property.
      const prop = s.properties !== undefined && Object.hasOwn(s.properties, key) ? s.properties[key] : undefined;
      if (prop !== undefined) walk(val, prop, root, [...path, key], out);
      else if (s.additionalProperties === false) {
        out.push(unknownKey(path, key, s));
      } else if (typeof s.additionalProperties === 'object') {
        walk(val, s.additionalProperties, root, [...path, key], out);
      }
    }
  }
}

/** A value that the schema `s` refuses, for `message`. */
function failed(out: Issue[], path: (string | number)[], s: JsonSchema, root: JsonSchema, message: string): void {
  out.push({ path, atKey: false, message, expected: describe(s, root) });
}

const singleTypes = new Map<JsonType, readonly JsonType[]>();
/** A schema's `type` as a list (one list per type name, not one per value checked). */
function typesOf(type: JsonType | JsonType[]): readonly JsonType[] {
  if (Array.isArray(type)) return type;
  let list = singleTypes.get(type);
  if (list === undefined) {
    list = [type];
    singleTypes.set(type, list);
  }
  return list;
}

/** A required key that a mapping lacks. */
function missingKey(path: (string | number)[], key: string, s: JsonSchema, root: JsonSchema): Issue {
  return {
    path,
    atKey: false,
    message: `'${key}' is missing`,
    expected: `'${key}': ${describe(s.properties?.[key] ?? {}, root)}`,
  };
}

/** A key that a mapping schema without additional properties does not know. */
function unknownKey(path: (string | number)[], key: string, s: JsonSchema): Issue {
  return { path: [...path, key], atKey: true, message: `unknown key '${key}'`, expected: knownKeys(s) };
}

/**
 * validate() of a mapping given as its keys (each once) and a way to get each value, keeping the first `limit`
 * issues and counting the rest: the same issues in the same order, without the mapping built as one object and
 * without an issue made for each unknown key past the limit (a file of 100,000 unknown keys). The walk through the
 * values stops once `cap` issues are counted (a list of 10,000 wrong devices): `count` is then a lower bound and
 * `atLeast` is true. Null when the schema is not a plain mapping schema (a choice, a constant ...): then
 * validate() is the way.
 */
export function validateMapping(
  keys: readonly string[],
  valueAt: (index: number) => unknown,
  schema: JsonSchema,
  limit: number,
  cap = Number.POSITIVE_INFINITY,
): { issues: Issue[]; count: number; atLeast: boolean } | null {
  const s = resolve(schema, schema);
  if (s.oneOf !== undefined || s.const !== undefined || s.enum !== undefined) return null;
  if (s.type !== 'object' || s.additionalProperties !== false) return null;
  const issues: Issue[] = [];
  let count = 0;
  const add = (i: Issue) => {
    if (issues.length < limit) issues.push(i);
    count++;
  };
  // What walk() finds goes straight to add(), and stops the walk at the cap (walk() only pushes to its output).
  const enough = new Error('enough issues');
  const sink = {
    push(...found: Issue[]): number {
      for (const i of found) add(i);
      if (count >= cap) throw enough;
      return count;
    },
  } as unknown as Issue[];
  const given = new Set(keys);
  for (const key of s.required ?? []) if (!given.has(key)) add(missingKey([], key, s, schema));
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const prop = s.properties !== undefined && Object.hasOwn(s.properties, key) ? s.properties[key] : undefined;
    if (prop !== undefined) {
      try {
        walk(valueAt(i), prop, schema, [key], sink);
      } catch (e) {
        if (e !== enough) throw e;
        return { issues, count, atLeast: true };
      }
    } else if (issues.length < limit) add(unknownKey([], key, s));
    else count++;
  }
  return { issues, count, atLeast: false };
}

const knownKeysCache = new WeakMap<JsonSchema, string>();
/** What an unknown key of a mapping schema is told: its properties (worked out once per schema, not per key). */
function knownKeys(s: JsonSchema): string {
  let text = knownKeysCache.get(s);
  if (text === undefined) {
    const known = Object.keys(s.properties ?? {});
    text = known.length === 0 ? 'no keys' : `one of ${known.join(', ')}`;
    knownKeysCache.set(s, text);
  }
  return text;
}

const discriminatorCache = new WeakMap<JsonSchema, WeakMap<JsonSchema, [string, unknown][]>>();
/** The `const` discriminators of a branch (properties whose schema is a const), worked out once per branch. */
function discriminators(branch: JsonSchema, root: JsonSchema): [string, unknown][] {
  let byRoot = discriminatorCache.get(root);
  if (byRoot === undefined) {
    byRoot = new WeakMap();
    discriminatorCache.set(root, byRoot);
  }
  let d = byRoot.get(branch);
  if (d === undefined) {
    const s = resolve(branch, root);
    d = Object.entries(s.properties ?? {})
      .map(([k, p]) => [k, resolve(p, root).const] as [string, unknown])
      .filter(([, c]) => c !== undefined);
    byRoot.set(branch, d);
  }
  return d;
}

function oneOf(v: unknown, s: JsonSchema, root: JsonSchema, path: (string | number)[], out: Issue[]): void {
  const branches = s.oneOf!;
  const results = branches.map((b) => {
    const issues: Issue[] = [];
    walk(v, b, root, path, issues);
    return { branch: b, issues };
  });
  const passing = results.filter((r) => r.issues.length === 0);
  if (passing.length === 1) return;
  if (passing.length > 1) {
    out.push({
      path,
      atKey: false,
      message: `${showValue(v)} matches more than one form`,
      expected: describe(s, root),
    });
    return;
  }
  // No branch fits: report the errors of the branch the value was meant to be. A branch is meant when its type
  // fits and its discriminators (const properties) all match; failing that, the branch whose type fits with the
  // fewest problems, if only one branch of that type exists.
  const t = typeOf(v);
  const typed = results.filter((r) => {
    const b = resolve(r.branch, root);
    const types = b.type === undefined ? [t] : Array.isArray(b.type) ? b.type : [b.type];
    return types.includes(t) || (t === 'integer' && types.includes('number'));
  });
  const meant = typed.filter((r) => {
    const d = discriminators(r.branch, root);
    return d.length > 0 && t === 'object' && d.every(([k, c]) => (v as Record<string, unknown>)[k] === c);
  });
  const candidates = meant.length > 0 ? meant : typed;
  const fewest = Math.min(...candidates.map((r) => r.issues.length));
  const best = candidates.filter((r) => r.issues.length === fewest);
  const pick = best.length === 1 ? best[0] : undefined;
  // The best branch fails only on its discriminator (e.g. bus: pcie): say the value is unknown and list every
  // accepted one, rather than pretending the closest branch was meant.
  const onlyDiscriminator =
    pick !== undefined &&
    t === 'object' &&
    meant.length === 0 &&
    pick.issues.every(
      (i) =>
        i.path.length === path.length + 1 && discriminators(pick.branch, root).some(([k]) => k === i.path[path.length]),
    );
  if (onlyDiscriminator) {
    const key = pick.issues[0]!.path[path.length] as string;
    const accepted = typed.map((r) => {
      const prop = resolve(r.branch, root).properties?.[key];
      return prop === undefined ? undefined : describe(prop, root);
    });
    out.push({
      path: [...path, key],
      atKey: false,
      message: `${showValue((v as Record<string, unknown>)[key])} is not a known ${key}`,
      expected: [...new Set(accepted.filter((a) => a !== undefined))].join(', '),
    });
    return;
  }
  if (pick !== undefined) {
    // A string without an accepted form is best explained by what the whole choice accepts.
    const title = s.title;
    out.push(
      ...pick.issues.map((i) =>
        title !== undefined && i.form === true && i.path.length === path.length
          ? { ...i, expected: describe(s, root) }
          : i,
      ),
    );
    return;
  }
  const discriminated = typed.filter((r) => discriminators(r.branch, root).length > 0);
  if (t === 'object' && discriminated.length === typed.length && discriminated.length > 0) {
    // Say which discriminator value is wrong, listing the accepted ones.
    const key = discriminators(discriminated[0]!.branch, root)[0]![0];
    const given = (v as Record<string, unknown>)[key];
    out.push({
      path: given === undefined ? path : [...path, key],
      atKey: false,
      message: given === undefined ? `'${key}' is missing` : `${showValue(given)} is not a known ${key}`,
      expected: typed.map((r) => describe(r.branch, root)).join('; or '),
    });
    return;
  }
  out.push({
    path,
    atKey: false,
    message: `${showValue(v)} does not fit here`,
    expected: describe(s, root),
  });
}
