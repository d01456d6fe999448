import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('../examples/', import.meta.url);
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const examples = readdirSync(dir).filter((f) => f.endsWith('.ts'));

describe('README examples', () => {
  it.each(examples)('%s appears in the README verbatim', (file) => {
    const code = readFileSync(new URL(file, dir), 'utf8').trim();
    expect(readme).toContain(`\`\`\`ts\n${code}\n\`\`\``);
  });

  it.each(examples)('%s runs', async (file) => {
    await expect(import(new URL(file, dir).href)).resolves.toBeDefined();
  });
});
