import { readFileSync, writeFileSync } from 'node:fs';
import { createKernel } from '@sim/core';
import { describe, expect, it } from 'vitest';
import { ANSWERS, BUS_DEVICES, expectedBusOutcome, families, renderMatrix, runFamily } from '../src/index.ts';

const DOC = new URL('../../../docs/fault-matrix.md', import.meta.url);
const all = families();
const cells = all.flatMap((f) => runFamily(f));

describe('the fault matrix', () => {
  it('has every chain x action x answer x profile', () => {
    const expected = all.reduce((n, f) => n + f.actions.length * ANSWERS.length * f.profiles.length, 0);
    expect(cells.length).toBe(expected);
  });

  it('matches the expectations written from the kernel source, cell by cell', () => {
    for (const cell of cells) {
      const family = all.find((f) => f.chain === cell.chain)!;
      if (!(cell.chain in BUS_DEVICES)) continue;
      const action = family.actions.find((a) => a.name === cell.action)!;
      const answer = ANSWERS.find((a) => a.label === cell.answer)!;
      const flags = createKernel({ profile: cell.profile }).profile.flags;
      const device = BUS_DEVICES[cell.chain as keyof typeof BUS_DEVICES];
      expect(cell.outcome, `${cell.chain} ${cell.action} ${cell.answer} ${cell.profile}`).toEqual(
        expectedBusOutcome(action.value, answer.answer, flags, device),
      );
    }
  });

  it('docs/fault-matrix.md is the matrix as it is (regenerate with pnpm --filter @sim/reliability fault-matrix)', () => {
    const text = renderMatrix(all, cells);
    if (process.env.UPDATE_FAULT_MATRIX === '1') writeFileSync(DOC, text);
    expect(readFileSync(DOC, 'utf8')).toBe(text);
  });
});
