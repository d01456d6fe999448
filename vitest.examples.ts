import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The README-examples suite every package runs: each file of `<package>/examples/*.ts` appears in the package's
 * README verbatim (and in the other READMEs named for it), and runs.
 */
export function readmeExamples(pkg: URL, alsoIn: Record<string, URL> = {}): void {
  const dir = new URL('examples/', pkg);
  const readme = readFileSync(new URL('README.md', pkg), 'utf8');
  const examples = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  const code = (file: string) => readFileSync(new URL(file, dir), 'utf8').trim();
  const block = (file: string) => `\`\`\`ts\n${code(file)}\n\`\`\``;

  describe('README examples', () => {
    it.each(examples)('%s appears in the README verbatim', (file) => {
      expect(readme).toContain(block(file));
    });

    for (const [file, other] of Object.entries(alsoIn)) {
      it(`${file} appears in ${other.pathname.split('/').slice(-2).join('/')} verbatim too`, () => {
        expect(readFileSync(other, 'utf8')).toContain(block(file));
      });
    }

    it.each(examples)('%s runs', async (file) => {
      await expect(import(new URL(file, dir).href)).resolves.toBeDefined();
    });
  });
}
