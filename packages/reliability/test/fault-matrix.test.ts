import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ANSWERS,
  BUS_DEVICES,
  expectedBusOutcome,
  expectedGroupOutcome,
  expectedLpssOwnAnswer,
  families,
  LPSS_OWN_ANSWER,
  profileFlags,
  renderMatrix,
  runFamily,
  withLpssPmDomain,
} from '../src/index.ts';

const DOC = new URL('../../../docs/fault-matrix.md', import.meta.url);
const all = families();
const cells = all.flatMap((f) => runFamily(f));

describe('the fault matrix', () => {
  it('has every chain x action x answer x profile', () => {
    const expected = all.reduce(
      (n, f) => n + (f.actions.length * ANSWERS.length + (f.extra?.length ?? 0)) * f.profiles.length,
      0,
    );
    expect(cells.length).toBe(expected);
  });

  it('covers the group chain and all four profiles (the group chain without v6.12, which has none)', () => {
    expect(all.map((f) => f.chain)).toEqual(['pci', 'platform', 'i2c', 'iommu_group:1']);
    expect(new Set(cells.map((c) => c.profile))).toEqual(new Set(['v4.12', 'v4.12+bind-veto', 'rfc-2017', 'v6.12']));
    expect(all.find((f) => f.chain === 'iommu_group:1')!.profiles).not.toContain('v6.12');
  });

  it('matches the expectations written from the kernel source, cell by cell', () => {
    for (const cell of cells) {
      const family = all.find((f) => f.chain === cell.chain)!;
      if (cell.answer === LPSS_OWN_ANSWER) {
        expect(cell.outcome, `${cell.chain} ${cell.action} ${cell.answer} ${cell.profile}`).toEqual(
          expectedLpssOwnAnswer(),
        );
        continue;
      }
      const action = family.actions.find((a) => a.name === cell.action)!;
      const answer = ANSWERS.find((a) => a.label === cell.answer)!;
      const flags = profileFlags(cell.profile);
      const expected =
        cell.chain in BUS_DEVICES
          ? expectedBusOutcome(
              action.value,
              answer.answer,
              flags,
              BUS_DEVICES[cell.chain as keyof typeof BUS_DEVICES],
              cell.profile === 'v6.12' ? '6.12' : '4.12',
            )
          : expectedGroupOutcome(action.value, answer.answer, flags);
      expect(cell.outcome, `${cell.chain} ${cell.action} ${cell.answer} ${cell.profile}`).toEqual(
        cell.chain === 'platform' ? withLpssPmDomain(expected) : expected,
      );
    }
  });

  it('the platform rows gain acpi-lpss: its own -ENOMEM row, and under the seed a vetoed bind clears its PM domain', () => {
    const own = cells.filter((c) => c.answer === LPSS_OWN_ANSWER);
    expect(own.map((c) => c.profile)).toEqual(['v4.12', 'v4.12+bind-veto', 'rfc-2017', 'v6.12']);
    const vetoed = cells.find(
      (c) =>
        c.chain === 'platform' &&
        c.action === 'BUS_NOTIFY_BIND_DRIVER' &&
        c.answer === 'NOTIFY_BAD' &&
        c.profile === 'v4.12+bind-veto',
    )!;
    expect(vetoed.outcome).toMatchObject({ result: 'bind -> -ENODEV', driver: null, pmDomain: null });
  });

  it('docs/fault-matrix.md is the matrix as it is (regenerate with pnpm --filter @sim/reliability fault-matrix)', () => {
    const text = renderMatrix(all, cells);
    if (process.env.UPDATE_FAULT_MATRIX === '1') writeFileSync(DOC, text);
    expect(readFileSync(DOC, 'utf8')).toBe(text);
  });
});
