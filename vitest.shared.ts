import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Tests import sibling packages by their names (`@sim/core`); this maps each name to its sources so the suite
 * runs against the code under edit. The built files are checked separately (publint, the dist smoke tests).
 */
export function workspaceAliases(): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const dir of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, dir))) {
      try {
        const pkg = JSON.parse(readFileSync(join(root, dir, name, 'package.json'), 'utf8')) as { name: string };
        aliases[pkg.name] = join(root, dir, name, 'src', 'index.ts');
      } catch {
        // not a package directory
      }
    }
  }
  return aliases;
}
