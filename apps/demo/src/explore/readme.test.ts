import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSystem } from '../../examples/explore-system.mjs';
import { exploreSystematic } from './explore.ts';
import { formatReport } from './format.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const example = readFileSync(new URL('../../examples/explore-system.mjs', import.meta.url), 'utf8');

describe("the README's explorer section", () => {
  it('shows examples/explore-system.mjs verbatim', () => {
    expect(readme).toContain(`\`\`\`js\n${example}\`\`\``);
  });

  it('shows the report the example really gives', () => {
    const text = formatReport(exploreSystematic(createSystem()));
    expect(readme).toContain(`\`\`\`text\n${text}\`\`\``);
  });
});
