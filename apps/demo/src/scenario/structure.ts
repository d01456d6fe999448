import { type Document, isAlias, isCollection, isMap, isPair, isScalar, type Node } from 'yaml';

/** How deep mappings and lists may nest in a scenario file (the deepest real one is about 6). */
export const MAX_DEPTH = 64;

/** The tags of YAML's core schema, which a scenario may spell out (`!!str 123`); any other tag is refused. */
const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'seq', 'map'].map((t) => `tag:yaml.org,2002:${t}`));

/** A problem of the document's structure, at a byte offset of the text. */
export interface StructureProblem {
  readonly offset: number;
  readonly message: string;
  readonly expected: string;
}

/** A key given twice in a mapping (the second or later time, at `offset`). */
export function duplicateKey(key: string, offset: number): StructureProblem {
  return {
    offset,
    message: `YAML duplicate key: '${key}' is given twice in this mapping`,
    expected: 'each key once per mapping',
  };
}

/**
 * Checks what the YAML parser accepts but a scenario file must not hold, in one pass over the nodes (no recursion,
 * so no depth overflows it): `%TAG` directives and custom tags, keys that are mappings or lists, a key given twice
 * in a mapping (a Set per mapping: the parser's own check is quadratic), and nesting deeper than MAX_DEPTH. Calls
 * `report` for each; returns whether anything was reported.
 */
export function checkStructure(doc: Document, text: string, report: (p: StructureProblem) => void): boolean {
  let found = false;
  const say = (p: StructureProblem) => {
    found = true;
    report(p);
  };
  for (const [handle, prefix] of Object.entries(doc.directives?.tags ?? {})) {
    if (handle === '!!' && prefix === 'tag:yaml.org,2002:') continue;
    if (handle === '!' && prefix === '!') continue;
    const at = text.search(/^%TAG\b/m);
    say({
      offset: Math.max(0, at),
      message: `a %TAG directive ('${handle}' for '${prefix}')`,
      expected: 'plain YAML: a scenario file has no custom tags',
    });
  }
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 1 }];
  let tooDeep = false;
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || node === undefined || isAlias(node)) continue;
    const n = node as Node;
    const tag = (n as { tag?: string }).tag;
    if (tag !== undefined && !CORE_TAGS.has(tag)) {
      say({
        offset: n.range?.[0] ?? 0,
        message: `custom tag '${tag}'`,
        expected: 'plain YAML: a scenario file has no custom tags (remove the tag)',
      });
    }
    if (!isCollection(n)) continue;
    if (depth > MAX_DEPTH) {
      if (!tooDeep) {
        say({
          offset: n.range?.[0] ?? 0,
          message: `mappings and lists nest more than ${MAX_DEPTH} deep`,
          expected: `at most ${MAX_DEPTH} levels of nesting`,
        });
      }
      tooDeep = true;
      continue;
    }
    const seen = isMap(n) ? new Set<string>() : null;
    const children: { node: unknown; depth: number }[] = [];
    for (const item of n.items) {
      if (isPair(item)) {
        const key = item.key as Node | null;
        if (isCollection(key)) {
          say({
            offset: key.range?.[0] ?? 0,
            message: 'a key that is a mapping or a list',
            expected: 'a plain key such as name: or steps:',
          });
        } else if (isScalar(key) && seen !== null) {
          const k = String(key.value);
          if (seen.has(k)) say(duplicateKey(k, key.range?.[0] ?? 0));
          seen.add(k);
          if (key.tag !== undefined && !CORE_TAGS.has(key.tag)) children.push({ node: key, depth });
        }
        children.push({ node: item.value, depth: depth + 1 });
      } else children.push({ node: item, depth: depth + 1 });
    }
    // Last child first onto the stack, so that problems come out in the document's order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return found;
}
