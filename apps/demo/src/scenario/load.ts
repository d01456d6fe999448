import { createKernel, errnoValue, type Kernel, type Plugin, SimError } from '@sim/core';
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
  visit,
  type YAMLError,
} from 'yaml';
import { moduleTeardownFailures } from '../plugins/modules.ts';
import { knownProfiles, PLUGINS, type PluginEntry, pluginEntry, type Registry } from '../plugins/registry.ts';
import { driverSpec } from '../run/session.ts';
import { checkOnKernel, type InjectContext, kernelContext, resolveInject } from './inject.ts';
import {
  leadingYamlErrors,
  linePos,
  plainData,
  plainDuplicates,
  plainOffset,
  QUICK_MIN_BYTES,
  scanPlain,
} from './quick.ts';
import { BUS_NOTIFY_NAMES, scenarioSchema } from './schema.ts';
import { parseStep, tokenize, VERBS } from './steps.ts';
import { checkStructure, duplicateKey, MAX_DEPTH } from './structure.ts';
import type {
  Command,
  DeviceDecl,
  DriverDecl,
  EndExpect,
  ExploreDecl,
  InjectDecl,
  NotifierDecl,
  PciIdDecl,
  PluginUse,
  ProbeDecl,
  RawNotifierInject,
  RawProbeInject,
  RawSysfsInject,
  ResultSpec,
  Scenario,
  Step,
  StepExpect,
  TaskDecl,
  Verb,
} from './types.ts';
import { TASK_VERBS } from './types.ts';
import { type JsonSchema, showValue, validate, validateMapping } from './validator.ts';

/** One problem in a scenario file: where, what, and what would be accepted. */
export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Where in the document, e.g. `steps[2]` (empty for the document itself). */
  readonly where: string;
  /** What is wrong, quoting the offending text. */
  readonly message: string;
  /** What would be accepted. */
  readonly expected: string;
}

/** `file:line:column: where: message; expected …`, on one line whatever the file's text held. */
export function formatProblem(p: Problem): string {
  return oneLine(
    `${p.file}:${p.line}:${p.column}: ${p.where === '' ? '' : `${p.where}: `}${p.message}; expected ${p.expected}`,
  );
}

/** A message on one line: control characters (a newline in a quoted step ...) written as escapes. */
export function oneLine(text: string): string {
  let out = '';
  for (const c of text) {
    const n = c.charCodeAt(0);
    out += n < 0x20 || n === 0x7f || n === 0x2028 || n === 0x2029 ? `\\u${n.toString(16).padStart(4, '0')}` : c;
  }
  return out;
}

export type LoadResult =
  | { readonly ok: true; readonly scenario: Scenario }
  | {
      readonly ok: false;
      readonly problems: Problem[];
      readonly omitted: number;
      /** `omitted` is a lower bound: the report was settled without reading the file to its end. */
      readonly atLeast?: true;
    };

type Path = readonly (string | number)[];

const CORE_BUSES = ['platform', 'pci', 'i2c'];

function pathText(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

const schemaCache = new WeakMap<Registry, JsonSchema>();
function schema(registry: Registry): JsonSchema {
  let s = schemaCache.get(registry);
  if (s === undefined) {
    s = scenarioSchema(registry);
    schemaCache.set(registry, s);
  }
  return s;
}

/** Options of loadScenario(). */
export interface LoadOptions {
  /** The scenario's name when the file gives none (default: the file name without .yaml). */
  readonly name?: string;
  /** The plugins the file may name (default: the built-in ones; `--plugin` adds modules). */
  readonly plugins?: Registry;
}

/** A file refused for one problem that stops the check (nothing after it can be read). */
function onlyProblem(problem: Problem): LoadResult {
  return { ok: false, omitted: 0, problems: [problem] };
}

/** The YAML parser recursed past the stack at `at` (thousands of nested mappings). */
function tooDeep(file: string, at: { line: number; col: number }): Problem {
  return {
    file,
    line: at.line,
    column: at.col,
    where: '',
    message: 'mappings and lists nest too deep for the YAML parser',
    expected: `at most ${MAX_DEPTH} levels of nesting`,
  };
}

/** How many problems a file's report lists; the rest are counted ("and N more"). */
export const MAX_PROBLEMS = 100;

/**
 * How many schema problems the quick pass counts in a big file's values before it stops and says "at least" (past
 * the report, unknown top-level keys cost nothing to count: a file of them is counted exactly).
 */
export const QUICK_CAP = 10 * MAX_PROBLEMS;

/**
 * Parses and validates a scenario file's text. Nothing runs: the result is a scenario or the problems found (at most
 * MAX_PROBLEMS of them, `omitted` counting the rest). The cost is linear in the text, however many problems it has.
 */
export function loadScenario(text: string, file: string, options: LoadOptions = {}): LoadResult {
  if (text.length >= QUICK_MIN_BYTES) {
    const quick = quickLoad(text, file, options.plugins ?? PLUGINS);
    if (quick !== null) return quick;
  }
  return loadScenarioInFull(text, file, options);
}

/** loadScenario() without the quick pass: every file through the `yaml` package's document (for tests). */
export function loadScenarioInFull(text: string, file: string, options: LoadOptions = {}): LoadResult {
  const registry = options.plugins ?? PLUGINS;
  const lineCounter = new LineCounter();
  // uniqueKeys off: the parser's own duplicate-key check is quadratic; checkStructure() does it with a Set.
  let doc: Document;
  // Each parse error is an Error: without stack traces a file of a million errors is not a million stack walks.
  const traces = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  } catch (e) {
    // The parser recursed past the stack (thousands of nested mappings); it may also report this as an error.
    if (!(e instanceof RangeError)) throw e;
    return onlyProblem(tooDeep(file, lineCounter.linePos(deepestOffset(text))));
  } finally {
    Error.stackTraceLimit = traces;
  }
  const ctx = new Ctx(doc, lineCounter, file, []);
  const fail = (): LoadResult => ({ ok: false, problems: ctx.problems, omitted: ctx.omitted });
  let deepReported = false;
  for (const e of doc.errors) {
    if (ctx.full()) {
      ctx.omitted++;
      continue;
    }
    const { line, col } = lineCounter.linePos(e.pos[0]);
    if (isTooDeep(e)) {
      // The parser itself recursed too deep (thousands of nested mappings): say so once.
      if (!deepReported) {
        ctx.problems.push(tooDeep(file, { line, col }));
      }
      deepReported = true;
      continue;
    }
    ctx.problems.push(syntaxProblem(e, text, file, { line, col }));
  }
  if (ctx.problems.length > 0 || ctx.omitted > 0) return fail();
  checkStructure(doc, text, (p) => {
    if (ctx.full()) {
      ctx.omitted++;
      return;
    }
    const { line, col } = lineCounter.linePos(p.offset);
    ctx.problems.push({ file, line, column: col, where: '', message: p.message, expected: p.expected });
  });
  if (ctx.problems.length > 0 || ctx.omitted > 0) return fail();
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // yaml refuses an alias that expands too far (a "billion laughs" file): point at the first alias.
    let at: number | undefined;
    visit(doc, {
      Alias(_, node) {
        at = node.range?.[0];
        return visit.BREAK;
      },
    });
    const { line, col } = at === undefined ? { line: 1, col: 1 } : lineCounter.linePos(at);
    return onlyProblem({
      file,
      line,
      column: col,
      where: '',
      message: `YAML aliases expand too far: ${(e as Error).message}`,
      expected: 'at most 100 alias expansions in the document',
    });
  }
  if (data === null || data === undefined) {
    return {
      ok: false,
      omitted: 0,
      problems: [
        { file, line: 1, column: 1, where: '', message: 'the file is empty', expected: 'a mapping with steps' },
      ],
    };
  }
  const issues = validate(data, schema(registry));
  for (const issue of issues) ctx.problem(issue.path, issue.message, issue.expected, issue.atKey);
  // A full report: the names would only add to the count of those left out.
  if (ctx.full()) return fail();
  // The names (devices, drivers, paths in steps ...) are checked even when the schema found problems, as long as
  // what they are checked against (plugins, topology) is sound; entries with a schema problem are left out.
  const skip = skipped(issues);
  if (skip === null) return fail();
  const raw = prune(data as Raw, skip);
  const scenario = check(ctx, raw, options.name ?? file.replace(/^.*\//, '').replace(/\.ya?ml$/, ''), registry, skip);
  if (ctx.problems.length > 0 || ctx.omitted > 0 || scenario === null) return fail();
  return { ok: true, scenario };
}

/** The parser's error `e` as a problem at `at`, quoting the text from there to the end of its line. */
function syntaxProblem(e: YAMLError, text: string, file: string, at: { line: number; col: number }): Problem {
  const eol = text.indexOf('\n', e.pos[0]);
  const rest = text.slice(e.pos[0], eol === -1 ? text.length : eol);
  const snippet = rest.trim().slice(0, 40);
  return {
    file,
    line: at.line,
    column: at.col,
    where: '',
    message: `YAML syntax error: ${e.message.split('\n')[0]} at ${showValue(snippet)}`,
    expected: 'valid YAML 1.2',
  };
}

/** Whether a parse error is the parser's recursion overflowing the stack. */
function isTooDeep(e: YAMLError): boolean {
  return e.message.includes('Maximum call stack size exceeded') || e.message.includes('too much recursion');
}

/**
 * The report of a big file settled by the quick pass (quick.ts), or null when the full validation must make it.
 * The same problems, in the same order, at the same positions as loadScenarioInFull(): a file in the scanner's
 * plain subset has no syntax error, so its report is its duplicate keys, or its schema problems when there are
 * more than the report shows (then no name is checked); any other file's report is its first YAML errors, when
 * the streaming parse finds more than the report shows (then the count of the rest is "at least").
 */
export function quickLoad(text: string, file: string, registry: Registry): LoadResult | null {
  const plain = scanPlain(text);
  if (plain !== null) {
    const problems: Problem[] = [];
    const at = (offset: number) => linePos(plain.lineStarts, offset);
    const dups = plainDuplicates(plain.root);
    if (dups.length > 0) {
      for (const d of dups.slice(0, MAX_PROBLEMS)) {
        const p = duplicateKey(d.key, d.offset);
        const { line, col } = at(p.offset);
        problems.push({ file, line, column: col, where: '', message: p.message, expected: p.expected });
      }
      return { ok: false, problems, omitted: dups.length - problems.length };
    }
    const root = plain.root;
    const s = schema(registry);
    // The top-level mapping's entries one by one (no object of 100,000 keys, no issue made past the report), the
    // walk through their values stopped at QUICK_CAP problems.
    let counted = validateMapping(root.keys, (i) => plainData(root.values[i]!), s, MAX_PROBLEMS, QUICK_CAP);
    if (counted === null) {
      const all = validate(plainData(root), s);
      counted = { issues: all, count: all.length, atLeast: false };
    }
    const { count } = counted;
    if (count < MAX_PROBLEMS) return null;
    for (const issue of counted.issues.slice(0, MAX_PROBLEMS)) {
      const { line, col } = at(plainOffset(plain.root, issue.path, issue.atKey));
      problems.push({
        file,
        line,
        column: col,
        where: pathText(issue.path),
        message: issue.message,
        expected: issue.expected,
      });
    }
    const omitted = count - problems.length;
    return counted.atLeast ? { ok: false, problems, omitted, atLeast: true } : { ok: false, problems, omitted };
  }
  const traces = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let lead: ReturnType<typeof leadingYamlErrors>;
  try {
    lead = leadingYamlErrors(text, MAX_PROBLEMS, { uniqueKeys: false });
  } catch (e) {
    // The parser recursed past the stack: the full validation says so.
    if (e instanceof RangeError) return null;
    throw e;
  } finally {
    Error.stackTraceLimit = traces;
  }
  if (lead === null || lead.errors.some(isTooDeep)) return null;
  const problems = lead.errors
    .slice(0, MAX_PROBLEMS)
    .map((e) => syntaxProblem(e, text, file, lead.lineCounter.linePos(e.pos[0])));
  return { ok: false, problems, omitted: lead.errors.length - problems.length, atLeast: true };
}

/**
 * Where a document nests past MAX_DEPTH, found without parsing it: the first line indented more than two columns a
 * level, or the first bracket past MAX_DEPTH open ones (0 when neither).
 */
function deepestOffset(text: string): number {
  let open = 0;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart && c === 32) {
      if (++indent > 2 * MAX_DEPTH) return i;
      continue;
    }
    lineStart = false;
    if (c === 91 || c === 123) {
      if (++open > MAX_DEPTH) return i;
    } else if (c === 93 || c === 125) open = Math.max(0, open - 1);
  }
  return 0;
}

/** The entries of a file that the schema refused, which check() leaves out: whole keys, or items of a list. */
interface Skip {
  readonly keys: ReadonlySet<string>;
  readonly steps: ReadonlySet<number>;
  readonly notifiers: ReadonlySet<number>;
  readonly inject: ReadonlySet<number>;
}

/** What to leave out after schema issues; null when an issue is in what names are checked against. */
function skipped(issues: readonly { path: readonly (string | number)[] }[]): Skip | null {
  const keys = new Set<string>();
  const lists = { steps: new Set<number>(), notifiers: new Set<number>(), inject: new Set<number>() };
  for (const { path } of issues) {
    const top = path[0];
    if (top === undefined || top === 'plugins' || top === 'topology') return null;
    if ((top === 'steps' || top === 'notifiers' || top === 'inject') && typeof path[1] === 'number') {
      lists[top].add(path[1]);
    } else keys.add(String(top));
  }
  return { keys, ...lists };
}

/** The raw file without the keys the schema refused (items of lists are skipped by index in check()). */
function prune(raw: Raw, skip: Skip): Raw {
  if (skip.keys.size === 0) return raw;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!skip.keys.has(k)) out[k] = v;
  return out as unknown as Raw;
}

/** Positions and problem collection over one document. */
class Ctx {
  /** Problems found past MAX_PROBLEMS: counted, not located (locating each would cost a search of its mapping). */
  omitted = 0;

  constructor(
    readonly doc: Document,
    readonly lines: LineCounter,
    readonly file: string,
    readonly problems: Problem[],
  ) {}

  /** Whether the report is full. */
  full(): boolean {
    return this.problems.length >= MAX_PROBLEMS;
  }

  node(path: Path): Node | undefined {
    return (path.length === 0 ? this.doc.contents : this.doc.getIn(path, true)) as Node | undefined;
  }

  /** The position of a path's value (or its key), falling back to the nearest ancestor that exists. */
  pos(path: Path, atKey = false): { line: number; col: number } {
    if (atKey && path.length > 0) {
      const parent = this.node(path.slice(0, -1));
      if (isMap(parent)) {
        const pair = parent.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(path.at(-1)),
        );
        const range = (pair?.key as Node | undefined)?.range;
        if (range) return this.lines.linePos(range[0]);
      }
    }
    for (let n = path.length; n >= 0; n--) {
      const node = this.node(path.slice(0, n));
      if (node?.range) return this.lines.linePos(node.range[0]);
    }
    return { line: 1, col: 1 };
  }

  line(path: Path): number {
    return this.pos(path).line;
  }

  /** Records a problem at `path` (its position: `posPath`'s when given, `columnOffset` columns into it). */
  problem(path: Path, message: string, expected: string, atKey = false, columnOffset = 0, posPath?: Path): void {
    if (this.full()) {
      this.omitted++;
      return;
    }
    const { line, col } = this.pos(posPath ?? path, atKey);
    this.problems.push({ file: this.file, line, column: col + columnOffset, where: pathText(path), message, expected });
  }

  /** Column offset of character `offset` of a scalar's value (plain scalars exactly; quoted ones after the quote). */
  scalarOffset(path: Path, offset: number): number {
    const node = this.node(path);
    if (!isScalar(node)) return 0;
    const s = node as Scalar;
    if (s.type === 'PLAIN') return offset;
    if (s.type === 'QUOTE_DOUBLE' || s.type === 'QUOTE_SINGLE') return offset + 1;
    return 0;
  }
}

// Raw shapes as the schema guarantees them.
interface Raw {
  name?: string;
  description?: string;
  profile?: string;
  profiles?: string[];
  inapplicable?: Record<string, string>;
  plugins?: (string | { name: string; options?: Record<string, unknown> })[];
  topology?: {
    machine?: { model?: string; compatible?: string[] };
    buses?: string[];
    devices?: Record<string, unknown>[];
    drivers?: RawDriver[];
  };
  notifiers?: RawNotifier[];
  inject?: (RawNotifierInject | RawProbeInject | RawSysfsInject)[];
  steps: RawStep[];
  tasks?: Record<string, RawStep[]>;
  schedule?: string[];
  explore?: { mode?: 'dfs' | 'pct'; bound?: number; limit?: number; seed?: number; depth?: number };
  expect?: RawEnd & { byProfile?: Record<string, RawEnd> };
}
type RawStep = string | { run: string; expect?: RawStepExpect; byProfile?: Record<string, RawStepExpect> };

/** Tasks a scenario may declare: each one multiplies the schedules `sim explore` has to cover. */
export const MAX_TASKS = 8;
/** The kernel worker's task name (deferred probing runs there in a task run). */
export const KWORKER = 'kworker/0:1';
interface RawDriver {
  name: string;
  bus: string;
  ids?: (string | PciIdDecl)[];
  ofMatch?: string[];
  probe?: string | { deferUntil: string } | { sleep: number; errno?: string };
  loaded?: boolean;
  driverManagedDma?: boolean;
}
interface RawNotifier {
  bus: string;
  name: string;
  priority?: number;
  answer: string | number;
  on?: string[];
  devices?: string[];
  drivers?: string[];
}
type RawResult = number | string;
type RawStepExpect = RawResult | { result?: RawResult; output?: string };
interface RawEnd {
  drivers?: Record<string, string | null>;
  oops?: string;
  dmesg?: string[];
  dmesgAbsent?: string[];
}

/** Decodes a notifier answer as written: NOTIFY_*, a raw errno, notifier_from_errno(-E…) or an int. */
export function decodeAnswer(answer: string | number): number | null {
  if (typeof answer === 'number') return answer;
  const names: Record<string, number> = { NOTIFY_DONE: 0, NOTIFY_OK: 1, NOTIFY_BAD: 0x8002, NOTIFY_STOP: 0x8001 };
  if (Object.hasOwn(names, answer)) return names[answer]!;
  const m = /^(?:notifier_from_errno\((-E[A-Z0-9_]+)\)|(-E[A-Z0-9_]+))$/.exec(answer);
  if (m === null) return null;
  const e = errnoValue((m[1] ?? m[2]!).slice(1));
  if (e === undefined) return null;
  // notifier_from_errno(-e) = NOTIFY_STOP_MASK | (NOTIFY_OK - (-e))
  return m[1] !== undefined ? 0x8000 | (1 + e) | 0 : -e;
}

/** The dev_name() a device spec gets. */
function deviceName(d: Record<string, unknown>): string {
  switch (d.bus) {
    case 'pci':
      return d.address as string;
    case 'platform': {
      const id = d.id ?? -1;
      if (id === 'auto') return `${d.name as string}.0.auto`;
      return id === -1 ? (d.name as string) : `${d.name as string}.${id as number}`;
    }
    case 'i2c':
      return d.kind === 'adapter'
        ? `i2c-${d.nr as number}`
        : `${d.adapter as number}-${(d.addr as number).toString(16).padStart(4, '0')}`;
    default:
      return d.name as string;
  }
}

function check(ctx: Ctx, raw: Raw, defaultName: string, registry: Registry, skip: Skip): Scenario | null {
  const profiles = knownProfiles(registry);
  // Plugins first: the profiles a scenario may use depend on them.
  const plugins: PluginUse[] = [];
  const topo = raw.topology ?? {};
  const buses = topo.buses ?? [];
  buses.forEach((b, i) => {
    if (CORE_BUSES.includes(b) || buses.indexOf(b) !== i) {
      ctx.problem(
        ['topology', 'buses', i],
        `bus '${b}' is ${CORE_BUSES.includes(b) ? "one of core's buses" : 'listed twice'}`,
        'a new bus name (pci, platform and i2c always exist)',
      );
    }
  });
  const allBuses = [...CORE_BUSES, ...buses];
  const busKnown = (bus: string, path: Path) => {
    if (allBuses.includes(bus)) return true;
    ctx.problem(path, `unknown bus '${bus}'`, `one of ${allBuses.join(', ')} (declare your own in topology.buses)`);
    return false;
  };

  // Plugins (their factories check their options; the devices are handed over after the topology is read).
  const listed: string[] = [];
  const pending: { entry: PluginEntry; options: Record<string, unknown>; path: Path; optionsPath: Path }[] = [];
  (raw.plugins ?? []).forEach((p, i) => {
    const name = typeof p === 'string' ? p : p.name;
    const path = typeof p === 'string' ? ['plugins', i] : ['plugins', i, 'name'];
    const entry = pluginEntry(name, registry);
    if (entry === undefined) {
      ctx.problem(
        path,
        `unknown plugin '${name}'`,
        registry.length === 0
          ? 'no plugin: none is available in this build'
          : `one of ${registry.map((e) => e.name).join(', ')}`,
      );
      return;
    }
    if (listed.includes(name)) {
      ctx.problem(path, `plugin '${name}' is listed twice`, 'each plugin once');
      return;
    }
    listed.push(name);
    for (const dep of entry.dependencies) {
      if (!listed.includes(dep)) {
        ctx.problem(
          path,
          `plugin '${name}' needs plugin '${dep}' listed before it`,
          `plugins: [${[...listed.slice(0, -1), dep, name].join(', ')}]`,
        );
      }
    }
    const options = typeof p === 'string' ? {} : (p.options ?? {});
    pending.push({ entry, options, path, optionsPath: typeof p === 'string' ? path : ['plugins', i, 'options'] });
  });

  // Devices.
  const devices: DeviceDecl[] = [];
  (topo.devices ?? []).forEach((d, i) => {
    const path = ['topology', 'devices', i];
    if (!busKnown(d.bus as string, [...path, 'bus'])) return;
    const name = deviceName(d);
    if (devices.some((x) => x.name === name && x.bus === d.bus)) {
      ctx.problem(path, `device '${name}' is declared twice`, 'each device once');
      return;
    }
    const spec: Record<string, unknown> = { ...d };
    delete spec.iommuGroup;
    const props: Record<string, unknown> = {};
    for (const entry of registry) {
      for (const field of Object.keys({ ...entry.deviceFields, ...entry.platformDeviceFields })) {
        if (d[field] === undefined) continue;
        if (!listed.includes(entry.name)) {
          ctx.problem(
            [...path, field],
            `'${field}' needs plugin '${entry.name}'`,
            `plugins: [..., ${entry.name}] (or no ${field})`,
          );
        }
        props[field] = d[field];
        delete spec[field];
      }
    }
    if (Object.keys(props).length > 0) spec.props = props;
    if (d.compatible !== undefined) {
      spec.ofNode = { compatible: d.compatible };
      delete spec.compatible;
    }
    if (d.bus === 'i2c' && d.kind === 'adapter' && d.name === undefined) spec.name = `adapter ${d.nr as number}`;
    if (d.parent !== undefined && !devices.some((x) => x.name === d.parent)) {
      ctx.problem(
        [...path, 'parent'],
        `parent '${d.parent as string}' is not declared before this device`,
        `a device declared above: ${devices.map((x) => x.name).join(', ') || 'none yet'}`,
      );
    }
    if (d.bus === 'i2c' && d.kind === 'client' && !devices.some((x) => x.name === `i2c-${d.adapter as number}`)) {
      ctx.problem(
        [...path, 'adapter'],
        `adapter ${d.adapter as number} is not declared before this client`,
        'an i2c adapter { bus: i2c, kind: adapter, nr } above it',
      );
    }
    devices.push({
      line: ctx.line(path),
      name,
      bus: d.bus as string,
      spec,
      iommuGroup: (d.iommuGroup as number | undefined) ?? null,
    });
  });
  for (const { entry, options, path, optionsPath } of pending) {
    try {
      entry.create(options, { devices });
    } catch (e) {
      if (!SimError.isInstance(e)) throw e;
      ctx.problem(
        optionsPath,
        `plugin '${entry.name}' refuses its options: ${(e as Error).message}`,
        `options that ${entry.package} accepts`,
      );
      continue;
    }
    plugins.push({ line: ctx.line(path), name: entry.name, options, entry });
  }
  const deviceNames = devices.map((d) => d.name);

  const pluginNames = plugins.map((p) => p.name);
  const entries: PluginEntry[] = plugins.map((p) => p.entry);
  const usable = profiles.filter((p) => p.plugin === null || pluginNames.includes(p.plugin));
  const profileOk = (name: string, path: Path, atKey = false): boolean => {
    if (usable.some((p) => p.name === name)) return true;
    const owner = profiles.find((p) => p.name === name)?.plugin;
    ctx.problem(
      path,
      owner
        ? `profile '${name}' comes with plugin '${owner}', which this scenario does not use`
        : `unknown profile '${name}'`,
      `one of ${usable.map((p) => p.name).join(', ')}${owner ? ` (or add '${owner}' to plugins)` : ''}`,
      atKey,
    );
    return false;
  };
  const profile = raw.profile ?? 'v4.12';
  const profileValid = raw.profile === undefined || profileOk(raw.profile, ['profile']);
  const scenarioProfiles = raw.profiles ?? [profile];
  // A plugin that does not model a profile's base kernel (tce-iommu on 6.12) rules the profile out, with its reason.
  const refusedBy = (name: string): string | null => {
    const base = profiles.find((p) => p.name === name)?.base ?? '4.12';
    for (const e of entries) {
      let reason: string | undefined;
      try {
        reason = e.create({}, { devices: [] }).unsupported?.[base];
      } catch {
        reason = undefined;
      }
      if (reason !== undefined) return `plugin '${e.name}' does not run on Linux ${base}: ${reason}`;
    }
    return null;
  };
  (raw.profiles ?? []).forEach((p, i) => {
    if (!profileOk(p, ['profiles', i])) return;
    const refused = refusedBy(p);
    if (refused !== null) ctx.problem(['profiles', i], refused, `another profile, or '${p}' under inapplicable:`);
  });
  const inapplicable: Record<string, string> = {};
  for (const [p, why] of Object.entries(raw.inapplicable ?? {})) {
    if (!profileOk(p, ['inapplicable', p], true)) continue;
    if (scenarioProfiles.includes(p)) {
      ctx.problem(['inapplicable', p], `profile '${p}' is both in profiles and inapplicable`, 'one of the two', true);
    }
    inapplicable[p] = why;
  }

  if (devices.some((d) => d.iommuGroup !== null) && !entries.some((e) => e.usesIommuGroups)) {
    const i = (topo.devices ?? []).findIndex((d) => d.iommuGroup !== undefined);
    const users = registry.filter((e) => e.usesIommuGroups).map((e) => e.name);
    ctx.problem(
      ['topology', 'devices', i, 'iommuGroup'],
      'iommuGroup needs a plugin that makes IOMMU groups',
      users.length > 0
        ? `plugins: [${users[0]}] (or no iommuGroup)`
        : 'no iommuGroup: no plugin in this build makes IOMMU groups',
    );
  }

  // Drivers.
  const drivers: DriverDecl[] = [];
  (topo.drivers ?? []).forEach((d, i) => {
    const path = ['topology', 'drivers', i];
    if (!busKnown(d.bus, [...path, 'bus'])) return;
    if (drivers.some((x) => x.name === d.name && x.bus === d.bus)) {
      ctx.problem(
        [...path, 'name'],
        `driver '${d.name}' is declared twice on bus '${d.bus}'`,
        'each driver once per bus',
      );
      return;
    }
    const ids: (PciIdDecl | string)[] = [];
    (d.ids ?? []).forEach((id, j) => {
      if (d.bus === 'pci') {
        if (typeof id === 'string') {
          const m = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$/.exec(id);
          if (m === null) {
            ctx.problem(
              [...path, 'ids', j],
              `PCI id '${id}' is not vendor:device`,
              "'vvvv:dddd' in hex, such as '10de:10f0', or { vendor, device }",
            );
            return;
          }
          ids.push({ vendor: Number.parseInt(m[1]!, 16), device: Number.parseInt(m[2]!, 16) });
        } else ids.push(id);
      } else if (typeof id !== 'string') {
        ctx.problem(
          [...path, 'ids', j],
          `a ${d.bus} id is a device name, got ${showValue(id)}`,
          "a name such as 'serial8250'",
        );
      } else ids.push(id);
    });
    let probe: ProbeDecl = 'ok';
    if (d.probe !== undefined) {
      if (typeof d.probe === 'object' && 'sleep' in d.probe) {
        const text = d.probe.errno;
        const e = text === undefined ? 0 : errnoValue(text.slice(1));
        if (e === undefined)
          ctx.problem([...path, 'probe', 'errno'], `unknown errno '${text}'`, 'a negative errno name such as -EIO');
        else probe = e === 0 ? { sleepMs: d.probe.sleep } : { sleepMs: d.probe.sleep, errno: -e };
      } else if (typeof d.probe === 'object') probe = { deferUntil: d.probe.deferUntil };
      else if (d.probe === 'ok' || d.probe === 'defer') probe = d.probe;
      else {
        const e = errnoValue(d.probe.slice(1));
        if (e === undefined)
          ctx.problem(
            [...path, 'probe'],
            `unknown errno '${d.probe}'`,
            'a negative errno name such as -ENOMEM or -ENODEV',
          );
        else probe = { errno: -e };
      }
    }
    drivers.push({
      line: ctx.line(path),
      name: d.name,
      bus: d.bus,
      ids: d.ids === undefined ? null : ids,
      ofMatch: d.ofMatch ?? [],
      probe,
      loaded: d.loaded ?? true,
      driverManagedDma: d.driverManagedDma === true,
    });
  });
  // A plugin module declares nothing: what it registers at setup is learned from a kernel with the plugins set up.
  const learned = plugins.some((p) => p.entry.module !== undefined) ? learnPlugins(plugins, devices) : null;
  const pluginDrivers = [...plugins.flatMap((p) => p.entry.drivers?.(p.options) ?? []), ...(learned?.drivers ?? [])];
  const allDrivers = [...drivers.map((d) => ({ bus: d.bus, name: d.name })), ...pluginDrivers];
  const driverNamesText = (bus?: string) => {
    const names = [...new Set(allDrivers.filter((d) => bus === undefined || d.bus === bus).map((d) => d.name))];
    return names.length === 0 ? 'none is declared' : names.join(', ');
  };
  (topo.drivers ?? []).forEach((d, i) => {
    const until = typeof d.probe === 'object' && 'deferUntil' in d.probe ? d.probe.deferUntil : null;
    if (until !== null && !allDrivers.some((x) => x.name === until)) {
      ctx.problem(
        ['topology', 'drivers', i, 'probe', 'deferUntil'],
        `unknown driver '${until}'`,
        `a driver of the topology: ${driverNamesText()}`,
      );
    }
  });
  const deviceKnown = (name: string, path: Path, atKey = false): boolean => {
    if (deviceNames.includes(name)) return true;
    ctx.problem(
      path,
      `unknown device '${name}'`,
      `a device of the topology: ${deviceNames.join(', ') || 'none is declared'}`,
      atKey,
    );
    return false;
  };
  const driverKnown = (name: string, path: Path, bus?: string): boolean => {
    if (allDrivers.some((d) => d.name === name && (bus === undefined || d.bus === bus))) return true;
    ctx.problem(
      path,
      `unknown driver '${name}'${bus === undefined ? '' : ` on bus '${bus}'`}`,
      `a driver of the topology or a plugin: ${driverNamesText(bus)}`,
    );
    return false;
  };

  // Notifiers.
  const notifiers: NotifierDecl[] = [];
  (raw.notifiers ?? []).forEach((n, i) => {
    if (skip.notifiers.has(i)) return;
    const path = ['notifiers', i];
    busKnown(n.bus, [...path, 'bus']);
    const answer = decodeAnswer(n.answer);
    if (answer === null)
      ctx.problem(
        [...path, 'answer'],
        `unknown errno in '${String(n.answer)}'`,
        'an errno name such as -EBUSY or -ENODEV',
      );
    for (const [j, d] of (n.devices ?? []).entries()) deviceKnown(d, [...path, 'devices', j]);
    for (const [j, d] of (n.drivers ?? []).entries()) driverKnown(d, [...path, 'drivers', j]);
    if (notifiers.some((x) => x.name === n.name && x.bus === n.bus)) {
      ctx.problem([...path, 'name'], `notifier '${n.name}' is declared twice on bus '${n.bus}'`, 'a name of its own');
    }
    notifiers.push({
      line: ctx.line(path),
      bus: n.bus,
      name: n.name,
      priority: n.priority ?? 0,
      answer: answer ?? 0,
      answerText: String(n.answer),
      on: [...(n.on ?? [])],
      devices: n.devices ?? [],
      drivers: n.drivers ?? [],
    });
  });

  // Injections, applied once the topology is up. Chains are checked on the trial boot (a plugin's chains, such as
  // iommu_group:N, exist only once the devices are in).
  const injectContext = (atBoot: boolean): InjectContext => ({
    buses: allBuses,
    drivers: [
      ...drivers.map((d) => ({ bus: d.bus, name: d.name, loaded: d.loaded })),
      ...pluginDrivers.map((d) => ({ ...d, loaded: true })),
    ],
    plugins: entries,
    atBoot,
  });
  const inject: InjectDecl[] = [];
  (raw.inject ?? []).forEach((x, i) => {
    if (skip.inject.has(i)) return;
    const r = resolveInject(x, injectContext(true), ctx.line(['inject', i]));
    if ('problems' in r) {
      for (const p of r.problems) ctx.problem(['inject', i, p.field], p.message, p.expected, !(p.field in x));
    } else inject.push(r.decl);
  });

  // Steps.
  const paths = new PathChecker(allBuses, devices, allDrivers, [
    ...entries,
    ...(learned === null ? [] : [{ name: 'plugin modules', devNodes: learned.devNodes, anyIoctl: true }]),
  ]);
  const resultSpec = (r: RawResult, path: Path): ResultSpec | null => {
    if (typeof r === 'number') return { kind: 'exact', value: r };
    if (r === 'ok' || r === 'error' || r === 'oops' || r === 'skipped') return { kind: r };
    if (r.startsWith('NOTIFY_')) return { kind: 'exact', value: decodeAnswer(r)!, name: r };
    const e = errnoValue(r.slice(1));
    if (e === undefined) {
      ctx.problem(path, `unknown errno '${r}'`, 'a negative errno name such as -ENODEV, -EINVAL or -EBUSY');
      return null;
    }
    return { kind: 'errno', name: r.slice(1), value: -e };
  };
  const stepExpect = (x: RawStepExpect, path: Path): StepExpect => {
    if (typeof x === 'object') {
      return {
        result: x.result === undefined ? null : resultSpec(x.result, [...path, 'result']),
        output: x.output ?? null,
        line: ctx.line(path),
      };
    }
    return { result: resultSpec(x, path), output: null, line: ctx.line(path) };
  };
  /** A step of `steps:` or of a task, at `at` (its path); null when it has a problem (reported). */
  const parseStepAt = (s: RawStep, at: Path, verbs: readonly Verb[] | null): Step | null => {
    const textPath: Path = typeof s === 'string' ? at : [...at, 'run'];
    const text = typeof s === 'string' ? s : s.run;
    const parsed = parseStep(text);
    if ('message' in parsed) {
      ctx.problem(
        at,
        `${parsed.message} in ${showValue(text)}`,
        parsed.expected,
        false,
        ctx.scalarOffset(textPath, parsed.offset),
        textPath,
      );
      return null;
    }
    if (verbs !== null && !verbs.includes(parsed.verb)) {
      ctx.problem(
        at,
        `a task's step makes a system call; '${parsed.verb}' is not one, in ${showValue(text)}`,
        `one of ${verbs.join(', ')} (do the rest in steps:, before the tasks run)`,
        false,
        ctx.scalarOffset(textPath, 0),
        textPath,
      );
      return null;
    }
    const bad = checkCommand(parsed, paths, drivers, text, injectContext(false));
    if (bad !== null) {
      ctx.problem(at, bad.message, bad.expected, false, ctx.scalarOffset(textPath, Math.max(0, bad.offset)), textPath);
      return null;
    }
    const byProfile: Record<string, StepExpect> = {};
    if (typeof s === 'object') {
      for (const [p, x] of Object.entries(s.byProfile ?? {})) {
        if (profileOk(p, [...at, 'byProfile', p], true)) byProfile[p] = stepExpect(x, [...at, 'byProfile', p]);
      }
    }
    return {
      line: ctx.line(at),
      text,
      command: parsed,
      expect: typeof s === 'object' && s.expect !== undefined ? stepExpect(s.expect, [...at, 'expect']) : null,
      byProfile,
    };
  };
  const steps: Step[] = [];
  (raw.steps ?? []).forEach((s, i) => {
    if (skip.steps.has(i)) return;
    const step = parseStepAt(s, ['steps', i], null);
    if (step !== null) steps.push(step);
  });
  const tasks: TaskDecl[] = [];
  for (const [name, list] of Object.entries(raw.tasks ?? {})) {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) {
      ctx.problem(
        ['tasks', name],
        `task name ${showValue(name)} is not usable`,
        'a name of 1 to 15 letters, digits, _ . or - (a process name: TASK_COMM_LEN is 16)',
      );
      continue;
    }
    const laneSteps: Step[] = [];
    list.forEach((s, i) => {
      const step = parseStepAt(s, ['tasks', name, i], TASK_VERBS);
      if (step !== null) laneSteps.push(step);
    });
    tasks.push({ name, line: ctx.line(['tasks', name]), steps: laneSteps });
  }
  if (tasks.length > MAX_TASKS) {
    ctx.problem(['tasks'], `${tasks.length} tasks`, `at most ${MAX_TASKS} tasks (each one multiplies the schedules)`);
  }
  let schedule: string[] | null = null;
  if (raw.schedule !== undefined) {
    schedule = [];
    const known = [...tasks.map((t) => t.name), KWORKER];
    raw.schedule.forEach((name, i) => {
      if (!known.includes(name)) {
        ctx.problem(['schedule', i], `${showValue(name)} is not a task of this scenario`, `one of ${known.join(', ')}`);
      } else schedule!.push(name);
    });
    if (tasks.length === 0) ctx.problem(['schedule'], 'a schedule without tasks', 'tasks: with two or more lanes');
  }
  const explore: ExploreDecl | null =
    raw.explore === undefined
      ? null
      : {
          line: ctx.line(['explore']),
          mode: raw.explore.mode ?? null,
          bound: raw.explore.bound ?? null,
          limit: raw.explore.limit ?? null,
          seed: raw.explore.seed ?? null,
          depth: raw.explore.depth ?? null,
        };

  // End expectations.
  const endExpect = (e: RawEnd, path: Path): EndExpect => {
    const drv = new Map<string, { driver: string | null; line: number }>();
    for (const [dev, d] of Object.entries(e.drivers ?? {})) {
      const p = [...path, 'drivers', dev];
      if (!deviceKnown(dev, p, true)) continue;
      if (d !== null) driverKnown(d, p);
      drv.set(dev, { driver: d, line: ctx.line(p) });
    }
    return {
      drivers: drv,
      oops: e.oops === undefined ? null : { want: e.oops, line: ctx.line([...path, 'oops']) },
      dmesg: (e.dmesg ?? []).map((text, i) => ({ text, line: ctx.line([...path, 'dmesg', i]) })),
      dmesgAbsent: (e.dmesgAbsent ?? []).map((text, i) => ({ text, line: ctx.line([...path, 'dmesgAbsent', i]) })),
    };
  };
  const rawExpect = raw.expect ?? {};
  const expect = endExpect(rawExpect, ['expect']);
  const expectByProfile: Record<string, EndExpect> = {};
  for (const [p, e] of Object.entries(rawExpect.byProfile ?? {})) {
    if (profileOk(p, ['expect', 'byProfile', p], true)) expectByProfile[p] = endExpect(e, ['expect', 'byProfile', p]);
  }

  const scenario: Scenario = {
    name: raw.name ?? defaultName,
    file: ctx.file,
    description: raw.description ?? '',
    profile,
    profiles: scenarioProfiles,
    inapplicable,
    plugins,
    machine:
      topo.machine === undefined
        ? null
        : { compatible: topo.machine.compatible ?? [], model: topo.machine.model ?? 'Generic PC' },
    buses,
    devices,
    drivers,
    notifiers,
    inject,
    steps,
    tasks,
    schedule,
    explore,
    expect,
    expectByProfile,
  };
  if (ctx.problems.length === 0) trialBoot(ctx, scenario, raw, profileValid ? profile : 'v4.12');
  return scenario;
}

/**
 * Boots the topology once on a throwaway kernel, so that whatever the packages refuse (a plugin's options that
 * only its setup checks, a device or driver core rejects) is reported with its position before anything runs.
 * No step runs here.
 */
function trialBoot(ctx: Ctx, sc: Scenario, raw: Raw, trialProfile: string): void {
  const fail = (path: Path, what: string, e: unknown): boolean => {
    if (!SimError.isInstance(e)) throw e;
    ctx.problem(path, `${what}: ${(e as Error).message}`, 'what the package accepts (see the message)');
    return false;
  };
  let kernel: Kernel;
  try {
    kernel = createKernel({
      // The scenario's own profile: its kernel decides which chains exist (6.12 has no IOMMU group chains).
      profile: trialProfile,
      plugins: sc.plugins.map((p) => p.entry.create(p.options, { devices: sc.devices })),
      ...(sc.machine === null ? {} : { machine: sc.machine }),
    });
  } catch (e) {
    fail(['plugins'], 'the plugins do not start', e);
    return;
  }
  const step = (path: Path, what: string, fn: () => void): boolean => {
    if (kernel.oops !== null) return false;
    try {
      fn();
      return true;
    } catch (e) {
      return fail(path, what, e);
    }
  };
  let _ok = true;
  sc.buses.forEach((b, i) => {
    _ok &&= step(['topology', 'buses', i], `bus '${b}' is refused`, () => kernel.busRegister({ name: b }));
  });
  sc.notifiers.forEach((n, i) => {
    _ok &&= step(['notifiers', i], `notifier '${n.name}' is refused`, () => {
      kernel.bus(n.bus).registerNotifier({ name: n.name, priority: n.priority, notifierCall: () => 0 });
    });
  });
  sc.devices.forEach((d, i) => {
    _ok &&= step(
      ['topology', 'devices', i],
      `device '${d.name}' is refused`,
      () => void kernel.addDevice(d.spec as never),
    );
  });
  sc.drivers.forEach((d, i) => {
    _ok &&= step(
      ['topology', 'drivers', i],
      `driver '${d.name}' is refused`,
      () => void kernel.registerDriver(driverSpec(d)),
    );
  });
  // The injections go in once the machine is up, as in the run; then the chains the steps inject into must exist.
  const entries = sc.plugins.map((p) => p.entry);
  sc.inject.forEach((x, i) => {
    if (!_ok || kernel.oops !== null) return;
    const bad = checkOnKernel(x, kernel, entries);
    if (bad !== null) ctx.problem(['inject', i, bad.field], bad.message, bad.expected);
  });
  sc.steps.forEach((st, i) => {
    const c = st.command;
    if (!_ok || kernel.oops !== null || c.verb !== 'inject') return;
    const r = resolveInject(c, kernelContext(kernel, entries), st.line);
    if (!('decl' in r)) return;
    const bad = checkOnKernel(r.decl, kernel, entries);
    if (bad === null) return;
    const textPath: Path = typeof raw.steps[i] === 'string' ? ['steps', i] : ['steps', i, 'run'];
    ctx.problem(
      ['steps', i],
      `${bad.message} in ${showValue(st.text)}`,
      bad.expected,
      false,
      ctx.scalarOffset(textPath, fieldOffset(st.text, c, bad.field)),
      textPath,
    );
  });
  kernel.close();
  // A plugin module whose teardown threw: refused here, naming the module, rather than after a run.
  for (const what of moduleTeardownFailures(kernel)) {
    ctx.problem(['plugins'], what, 'a plugin whose teardown returns normally');
  }
}

/** Where a field of an inject step's line starts (the token that gives it), for positions. */
function fieldOffset(text: string, c: Command, field: string): number {
  const tokens = tokenize(text);
  if (!Array.isArray(tokens) || (c.verb !== 'inject' && c.verb !== 'inject-probe')) return 0;
  const fixed = c.verb === 'inject' ? ['verb', 'chain', 'action', 'answer'] : ['verb', 'probe', 'errno'];
  let at = fixed.indexOf(field);
  if (at === -1) {
    const key = tokens.findIndex((t, i) => i >= fixed.length && t.text === field);
    at = key === -1 ? 0 : key + 1;
  }
  return tokens[at]?.offset ?? 0;
}

interface CommandProblem {
  readonly message: string;
  readonly expected: string;
  readonly offset: number;
}

/** Checks what a command names (paths, drivers, /dev nodes) against the topology and the plugins in use. */
function checkCommand(
  c: Command,
  paths: PathChecker,
  drivers: readonly DriverDecl[],
  text: string,
  inject: InjectContext,
): CommandProblem | null {
  const offsetOf = (s: string) => text.indexOf(s);
  switch (c.verb) {
    case 'echo':
    case 'cat':
    case 'ls':
    case 'readlink': {
      const bad = paths.sys(c.path);
      return bad === null ? null : { ...bad, offset: offsetOf(c.path) + bad.offset };
    }
    case 'modprobe':
    case 'rmmod': {
      if (drivers.some((d) => d.name === c.driver)) return null;
      return {
        message: `unknown driver '${c.driver}' in ${showValue(text)}`,
        expected: `a driver of topology.drivers: ${drivers.map((d) => d.name).join(', ') || 'none is declared'}`,
        offset: offsetOf(c.driver),
      };
    }
    case 'open':
    case 'close':
    case 'ioctl': {
      const bad = paths.dev(c.path);
      if (bad !== null) return { ...bad, offset: offsetOf(c.path) };
      if (c.verb === 'ioctl' && !paths.anyIoctl(c.path)) {
        const known = paths.ioctls();
        if (!known.includes(c.cmd)) {
          return {
            message: `unknown ioctl command '${c.cmd}' in ${showValue(text)}`,
            expected: `one of ${known.join(', ')}`,
            offset: offsetOf(` ${c.cmd}`) + 1,
          };
        }
        if (c.arg?.startsWith('/dev/')) {
          const badArg = paths.dev(c.arg);
          if (badArg !== null) return { ...badArg, offset: text.lastIndexOf(c.arg) };
        }
      }
      return null;
    }
    case 'dmesg':
      return null;
    case 'inject':
    case 'inject-probe': {
      const r = resolveInject(c, inject, null);
      if ('decl' in r) return null;
      const p = r.problems[0]!;
      return {
        message: `${p.message} in ${showValue(text)}`,
        expected: p.expected,
        offset: fieldOffset(text, c, p.field),
      };
    }
    case 'notify': {
      if (!paths.busKnown(c.bus)) {
        return {
          message: `unknown bus '${c.bus}' in ${showValue(text)}`,
          expected: `one of ${paths.busNames().join(', ')}`,
          offset: offsetOf(` ${c.bus}`) + 1,
        };
      }
      if (!BUS_NOTIFY_NAMES.includes(c.event)) {
        return {
          message: `unknown event '${c.event}' in ${showValue(text)}`,
          expected: `one of ${BUS_NOTIFY_NAMES.join(', ')}`,
          offset: offsetOf(` ${c.event}`) + 1,
        };
      }
      if (c.device !== null && !paths.deviceKnown(c.bus, c.device)) {
        return {
          message: `unknown device '${c.device}' in ${showValue(text)}`,
          expected: `a ${c.bus} device of the topology, or NULL`,
          offset: text.lastIndexOf(c.device),
        };
      }
      return null;
    }
  }
}

/** Static checks of /sys and /dev paths: buses, devices and drivers must be ones the scenario declares. */
class PathChecker {
  constructor(
    private readonly buses: readonly string[],
    private readonly devices: readonly DeviceDecl[],
    private readonly drivers: readonly { bus: string; name: string }[],
    private readonly plugins: readonly {
      iommuGroups?: boolean;
      devNodes?: readonly RegExp[];
      name: string;
      ioctls?: Readonly<Record<string, unknown>>;
      /** Its /dev nodes take any command (a plugin module's: the app knows none of its commands). */
      anyIoctl?: boolean;
    }[],
  ) {}

  /** Whether the node at `path` belongs to a plugin whose commands are not known (any command is let through). */
  anyIoctl(path: string): boolean {
    const node = path.slice('/dev/'.length);
    return this.plugins.some((p) => p.anyIoctl === true && (p.devNodes ?? []).some((re) => re.test(node)));
  }

  busKnown(bus: string): boolean {
    return this.buses.includes(bus);
  }

  busNames(): readonly string[] {
    return this.buses;
  }

  deviceKnown(bus: string, name: string): boolean {
    return this.devices.some((d) => d.bus === bus && d.name === name);
  }

  /** The ioctl commands of the plugins in use. */
  ioctls(): string[] {
    return this.plugins.flatMap((p) => Object.keys(p.ioctls ?? {}));
  }

  sys(path: string): { message: string; expected: string; offset: number } | null {
    const parts = path.split('/').filter((p) => p !== '');
    const bad = (i: number, message: string, expected: string) => ({
      message: `${message} in '${path}'`,
      expected,
      offset: path.indexOf(`/${parts[i]}`) + 1,
    });
    // parts[0] === 'sys' (the step parser checked the prefix)
    const top = parts[1];
    if (top === undefined) return null;
    if (!['bus', 'devices', 'class', 'kernel', 'module'].includes(top)) {
      return bad(
        1,
        `unknown /sys directory '${top}'`,
        '/sys/bus, /sys/devices, /sys/class, /sys/kernel or /sys/module',
      );
    }
    if (top === 'kernel' && parts[2] === 'iommu_groups' && !this.plugins.some((p) => p.iommuGroups)) {
      return bad(
        2,
        '/sys/kernel/iommu_groups exists only with a plugin that makes IOMMU groups',
        'a path that exists with the plugins in use',
      );
    }
    if (top !== 'bus') return null;
    const bus = parts[2];
    if (bus === undefined) return null;
    if (!this.buses.includes(bus)) return bad(2, `unknown bus '${bus}'`, `one of ${this.buses.join(', ')}`);
    const dir = parts[3];
    if (dir === undefined) return null;
    const busFiles = [
      'devices',
      'drivers',
      'drivers_probe',
      'drivers_autoprobe',
      'uevent',
      ...(bus === 'pci' ? ['rescan'] : []),
    ];
    if (!busFiles.includes(dir))
      return bad(3, `unknown entry '${dir}' of /sys/bus/${bus}`, `one of ${busFiles.join(', ')}`);
    const name = parts[4];
    if (name === undefined) return null;
    if (dir === 'devices') {
      const names = this.devices.filter((d) => d.bus === bus).map((d) => d.name);
      if (!names.includes(name))
        return bad(
          4,
          `unknown device '${name}'`,
          `a ${bus} device of the topology: ${names.join(', ') || 'none is declared'}`,
        );
    }
    if (dir === 'drivers') {
      const names = [...new Set(this.drivers.filter((d) => d.bus === bus).map((d) => d.name))];
      if (!names.includes(name))
        return bad(
          4,
          `unknown driver '${name}'`,
          `a ${bus} driver of the topology or a plugin: ${names.join(', ') || 'none is declared'}`,
        );
    }
    return null;
  }

  dev(path: string): { message: string; expected: string; offset: number } | null {
    const node = path.slice('/dev/'.length);
    const patterns = this.plugins.flatMap((p) => p.devNodes ?? []);
    if (patterns.some((re) => re.test(node))) return null;
    return {
      message: `unknown device node '${path}'`,
      expected:
        patterns.length === 0
          ? 'no /dev node: the plugins in use make none'
          : `a node the plugins in use make (${this.plugins
              .filter((p) => (p.devNodes ?? []).length > 0)
              .map((p) => p.name)
              .join(', ')})`,
      offset: 0,
    };
  }
}

/** What plugin modules register at setup (drivers, /dev nodes), learned from a kernel with the plugins set up. */
function learnPlugins(
  plugins: readonly PluginUse[],
  devices: readonly DeviceDecl[],
): { drivers: { bus: string; name: string }[]; devNodes: RegExp[] } {
  let kernel: Kernel;
  try {
    kernel = createKernel({ plugins: plugins.map((p): Plugin => p.entry.create(p.options, { devices })) });
  } catch {
    // The plugins do not start: the trial boot reports why, at the plugins.
    return { drivers: [], devNodes: [] };
  }
  const drivers = kernel.buses().flatMap((b) => b.drivers().map((d) => ({ bus: b.name, name: d.name })));
  const devNodes = kernel.dev
    .list()
    .map((n) => new RegExp(`^${n.slice('/dev/'.length).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  try {
    kernel.close();
  } catch {
    // A teardown that throws: the trial boot's kernel reports it the same way.
  }
  return { drivers, devNodes };
}

/** For `sim list` and errors: the verbs. */
export const STEP_FORMS = Object.values(VERBS);
