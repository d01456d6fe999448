import {
  BUS_NOTIFY_ADD_DEVICE,
  createKernel,
  EBUSY,
  EIO,
  ENODEV,
  isOkAnswer,
  NOTIFY_BAD,
  NOTIFY_STOP,
  notifierFromErrno,
  notifyStops,
  recordAudit,
} from '@sim/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const ANSWERS = [0, 1, NOTIFY_BAD, NOTIFY_STOP, -EBUSY, -ENODEV, 2, notifierFromErrno(-EIO), 0x8000, 0x7fff];

describe('audit properties', () => {
  it('for any chain of answers, each non-OK answer is overwritten by the next block or reaches device_add(), with the blocks after a stop as collateral', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ANSWERS), { minLength: 1, maxLength: 7 }), fc.nat(3), (answers, adds) => {
        const kernel = createKernel();
        kernel.busRegister({ name: 'prop' });
        answers.forEach((ret, i) => {
          kernel
            .bus('prop')
            .registerNotifier({ name: `b${i}`, notifierCall: (a) => (a === BUS_NOTIFY_ADD_DEVICE ? ret : 0) });
        });
        const audit = recordAudit(kernel);
        for (let n = 0; n <= adds; n++) kernel.addDevice({ bus: 'prop', name: `d${n}` });
        const report = audit.stop();

        // The model: notifier_call_chain() walks until an answer carries the stop bit.
        const stop = answers.findIndex(notifyStops);
        const called = stop === -1 ? answers.length : stop + 1;
        const expected = answers.slice(0, called).flatMap((ret, i) => {
          if (isOkAnswer(ret)) return [];
          const last = i === called - 1;
          return [
            {
              block: `b${i}`,
              value: ret,
              outcome: last ? 'ignored' : 'overwritten',
              handledBy: last ? 'device_add' : null,
              overwrittenBy: last ? null : { block: `b${i + 1}`, value: answers[i + 1] },
              collateral: last && notifyStops(ret) ? answers.slice(i + 1).map((_r, j) => `b${i + 1 + j}`) : [],
              count: adds + 1,
            },
          ];
        });
        const got = report.findings.map((f) => {
          expect(f.answers).toHaveLength(1);
          const a = f.answers[0]!;
          return {
            block: f.block,
            value: a.value,
            outcome: a.outcome,
            handledBy: a.handledBy,
            overwrittenBy: a.overwrittenBy,
            collateral: a.collateral,
            count: a.count,
          };
        });
        expect(got).toEqual(expected);
        expect(report.totals.ineffective).toBe(expected.length);
        expect(report.coverage.filter((c) => c.calls === 0).map((c) => c.block)).toEqual(
          answers.slice(called).map((_r, j) => `b${called + j}`),
        );
      }),
      { numRuns: 300 },
    );
  });
});
