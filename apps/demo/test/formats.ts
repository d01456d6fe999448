// Checkers for the machine-readable outputs, shared by the in-process and the CLI tests.

/** Structural check of a Mermaid sequence diagram: every line is a statement sim emits, every participant declared. */
export function checkMermaid(text: string): string[] {
  const problems: string[] = [];
  const lines = text.replace(/\n$/, '').split('\n');
  if (lines[0] !== 'sequenceDiagram') problems.push(`first line is ${JSON.stringify(lines[0])}`);
  const declared = new Set<string>();
  const used = new Set<string>();
  lines.slice(1).forEach((raw, i) => {
    const line = raw.trim();
    const decl = /^participant (\w+) as ([^;#\n]+)$/.exec(line);
    const message = /^(\w+)(->>|-->>)(\w+): ([^;#\n]+)$/.exec(line);
    const noteOver = /^Note over (\w+)(?:,(\w+))?: ([^;#\n]+)$/.exec(line);
    if (decl !== null) {
      if (declared.has(decl[1]!)) problems.push(`line ${i + 2}: participant ${decl[1]} declared twice`);
      if (used.has(decl[1]!)) problems.push(`line ${i + 2}: ${decl[1]} declared after use`);
      declared.add(decl[1]!);
    } else if (message !== null) {
      used.add(message[1]!);
      used.add(message[3]!);
    } else if (noteOver !== null) {
      used.add(noteOver[1]!);
      if (noteOver[2] !== undefined) used.add(noteOver[2]);
    } else {
      problems.push(`line ${i + 2}: not a statement: ${JSON.stringify(raw)}`);
    }
    if (/[<]/.test(line)) problems.push(`line ${i + 2}: '<' may open an HTML tag`);
  });
  for (const u of used) if (!declared.has(u)) problems.push(`participant ${u} used but not declared`);
  return problems;
}

interface TraceEvt {
  name?: unknown;
  ph?: unknown;
  pid?: unknown;
  tid?: unknown;
  ts?: unknown;
  s?: unknown;
  args?: Record<string, unknown>;
}

/**
 * Checks Chrome trace-event JSON (the "JSON Object Format" of the Trace Event Format document that Perfetto reads):
 * required fields per phase, B/E balanced and nested per thread, time never going back on a thread, thread names.
 */
export function checkTraceEvents(doc: unknown): string[] {
  const problems: string[] = [];
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { traceEvents?: unknown }).traceEvents)) {
    return ['not an object with a traceEvents array'];
  }
  const events = (doc as { traceEvents: TraceEvt[] }).traceEvents;
  const stacks = new Map<string, string[]>();
  const lastTs = new Map<string, number>();
  const named = new Set<string>();
  events.forEach((e, i) => {
    const at = `event ${i}`;
    if (typeof e.name !== 'string') problems.push(`${at}: name is not a string`);
    if (!['B', 'E', 'X', 'i', 'I', 'M', 'C'].includes(e.ph as string)) problems.push(`${at}: phase ${String(e.ph)}`);
    if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid)) problems.push(`${at}: pid/tid not integers`);
    const key = `${String(e.pid)}/${String(e.tid)}`;
    if (e.ph === 'M') {
      if (typeof e.args?.name !== 'string' && typeof e.args?.sort_index !== 'number')
        problems.push(`${at}: metadata without args`);
      if (e.name === 'thread_name') named.add(key);
      return;
    }
    if (typeof e.ts !== 'number' || e.ts < 0) problems.push(`${at}: ts missing`);
    if ((lastTs.get(key) ?? -1) > (e.ts as number)) problems.push(`${at}: time goes back on ${key}`);
    lastTs.set(key, e.ts as number);
    const stack = stacks.get(key) ?? [];
    stacks.set(key, stack);
    if (e.ph === 'B') stack.push(e.name as string);
    if (e.ph === 'E' && stack.pop() === undefined) problems.push(`${at}: E without B on ${key}`);
    if (e.ph === 'i' && !['g', 'p', 't'].includes(e.s as string)) problems.push(`${at}: instant scope ${String(e.s)}`);
  });
  for (const [key, stack] of stacks) {
    if (stack.length > 0) problems.push(`${key}: ${stack.length} B without E`);
    if (!named.has(key)) problems.push(`${key}: track has no thread_name`);
  }
  return problems;
}

/** Checks KTAP v1: version line, plan, numbered results matching the plan. */
export function checkKtap(text: string): string[] {
  const problems: string[] = [];
  const lines = text.replace(/\n$/, '').split('\n');
  if (lines[0] !== 'KTAP version 1') problems.push('no "KTAP version 1" line');
  const plan = lines.find((l) => /^1\.\.\d+$/.test(l));
  if (plan === undefined) problems.push('no plan line');
  const results = lines.filter((l) => /^(not )?ok \d+/.test(l));
  results.forEach((l, i) => {
    const n = Number(/^(?:not )?ok (\d+)/.exec(l)![1]);
    if (n !== i + 1) problems.push(`result ${i + 1} is numbered ${n}`);
  });
  if (plan !== undefined && Number(plan.slice(3)) !== results.length) problems.push('plan and results disagree');
  for (const l of lines.slice(1)) {
    if (!/^(#|1\.\.\d+$|(not )?ok \d+( |$))/.test(l)) problems.push(`not a KTAP line: ${l}`);
  }
  return problems;
}
