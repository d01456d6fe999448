import { ACPI_LPSS_NOTIFIER_NAME, ACPI_LPSS_PM_DOMAIN, acpiLpssPlugin, pmDomainOf } from '@sim/acpi-lpss';
import { createKernel, type Device, EEXIST, ENOMEM } from '@sim/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// Any sequence of bus events sent to acpi_lpss_platform_notify for one LPSS device, with sysfs faults in between:
// the answers and the device's state follow the v4.12 / 6.12 source (drivers/acpi/acpi_lpss.c) step by step.

const EVENTS = [
  'BUS_NOTIFY_ADD_DEVICE',
  'BUS_NOTIFY_DEL_DEVICE',
  'BUS_NOTIFY_REMOVED_DEVICE',
  'BUS_NOTIFY_BIND_DRIVER',
  'BUS_NOTIFY_BOUND_DRIVER',
  'BUS_NOTIFY_UNBIND_DRIVER',
  'BUS_NOTIFY_UNBOUND_DRIVER',
  'BUS_NOTIFY_DRIVER_NOT_BOUND',
] as const;

type Step = { readonly event: (typeof EVENTS)[number] } | { readonly fault: true };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constantFrom(...EVENTS).map((event) => ({ event })),
  fc.constant({ fault: true as const }),
);

describe('acpi_lpss_platform_notify, any event sequence', () => {
  it.each(['v4.12', 'v6.12'])(
    '%s: answers 0 except ADD_DEVICE, the PM domain follows the last set/clear',
    (profile) => {
      fc.assert(
        fc.property(fc.boolean(), fc.array(step, { maxLength: 24 }), (ltr, steps) => {
          const kernel = createKernel({ profile, plugins: [acpiLpssPlugin()], dynamicDebug: false });
          // A Lynxpoint I2C controller (LPSS_LTR) or a BayTrail UART (no LTR), added while a fault holds its group
          // back, so that the sequence starts from a device without one.
          const hid = ltr ? 'INT33C2' : '80860F0A';
          const fault = kernel.inject.sysfs({ name: 'lpss_ltr', errno: -ENOMEM, times: 1 });
          kernel.addDevice({ bus: 'platform', name: `${hid}:00`, props: { acpi: { hid, mmio: 0x1000 } } });
          fault.remove();
          const dev = kernel.device(`${hid}:00`) as Device;
          const group = `${dev.path}/lpss_ltr`;
          const block = kernel
            .bus('platform')
            .notifier.blocks()
            .find((b) => b.name === ACPI_LPSS_NOTIFIER_NAME)!;
          let domain: string | null = ACPI_LPSS_PM_DOMAIN;
          let faults = 0;
          for (const s of steps) {
            if ('fault' in s) {
              faults++;
              kernel.inject.sysfs({ name: 'lpss_ltr', errno: -ENOMEM, times: 1 });
              continue;
            }
            const had = kernel.sysfs.exists(group);
            const ret = block.notifierCall(kernel.busEvents.value(s.event)!, dev, block);
            switch (s.event) {
              case 'BUS_NOTIFY_ADD_DEVICE':
                domain = ACPI_LPSS_PM_DOMAIN;
                // kernfs_new_node() allocates before kernfs_add_one() looks for a duplicate: a fault comes first.
                if (!ltr) expect(ret).toBe(0);
                else if (faults > 0) {
                  expect(ret).toBe(-ENOMEM);
                  faults--;
                } else expect(ret).toBe(had ? -EEXIST : 0);
                break;
              case 'BUS_NOTIFY_BIND_DRIVER':
                domain = ACPI_LPSS_PM_DOMAIN;
                expect(ret).toBe(0);
                break;
              case 'BUS_NOTIFY_DEL_DEVICE':
              case 'BUS_NOTIFY_UNBOUND_DRIVER':
              case 'BUS_NOTIFY_DRIVER_NOT_BOUND':
                domain = null;
                expect(ret).toBe(0);
                break;
              default:
                expect(ret).toBe(0);
            }
            expect(pmDomainOf(dev)).toBe(domain);
            // Only ADD_DEVICE makes the group and only DEL_DEVICE takes it away.
            if (s.event === 'BUS_NOTIFY_DEL_DEVICE') expect(kernel.sysfs.exists(group)).toBe(false);
            else if (s.event !== 'BUS_NOTIFY_ADD_DEVICE') expect(kernel.sysfs.exists(group)).toBe(had);
            else expect(kernel.sysfs.exists(group)).toBe(ltr && (had || ret === 0));
          }
          expect(kernel.oops).toBe(null);
        }),
        {
          numRuns: 200,
          // A fault before a second ADD_DEVICE of a device that has its group: -ENOMEM, not -EEXIST.
          examples: [[true, [{ event: 'BUS_NOTIFY_ADD_DEVICE' }, { fault: true }, { event: 'BUS_NOTIFY_ADD_DEVICE' }]]],
        },
      );
    },
  );
});
