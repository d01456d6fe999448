import {
  ACPI_LPSS_DEVICE_IDS_V4_12,
  ACPI_LPSS_DEVICE_IDS_V6_12,
  ACPI_LPSS_NOTIFIER_NAME,
  ACPI_LPSS_PM_DOMAIN,
  acpiCompanion,
  acpiLpssPlugin,
  LPSS_LTR,
  pmDomainOf,
} from '@sim/acpi-lpss';
import {
  createKernel,
  type Device,
  EEXIST,
  ENODEV,
  ENOMEM,
  KERN_ERR,
  KERN_WARNING,
  type Kernel,
  NOTIFY_BAD,
  NOTIFY_DONE,
  type TraceEvent,
} from '@sim/core';
import { describe, expect, it } from 'vitest';

const PROFILES = ['v4.12', 'v4.12+bind-veto', 'v6.12'] as const;

/** An LPSS device as acpi_create_platform_device() names it, with its companion. */
function lpss(hid: string, mmio: number | null = 0x1000, instance = '00') {
  return {
    bus: 'platform' as const,
    name: `${hid}:${instance}`,
    props: { acpi: mmio === null ? { hid } : { hid, mmio } },
  };
}

function boot(profile: string) {
  const events: TraceEvent[] = [];
  const kernel = createKernel({ profile, plugins: [acpiLpssPlugin()], trace: (e) => events.push(e) });
  kernel.sysfs.write('/sys/bus/platform/drivers_autoprobe', '0');
  /** The notifier's answers so far, as [event name, answer]. */
  const answers = () =>
    events.flatMap((e) =>
      e.type === 'chain.block' && e.block === ACPI_LPSS_NOTIFIER_NAME ? [[e.actionName, e.ret] as const] : [],
    );
  return { kernel, events, answers };
}

const dev = (kernel: Kernel, name: string) => kernel.device(name, 'platform') as Device;

/** A WARN() line with this text in the log. */
const warned = (kernel: Kernel, text: string) =>
  kernel.dmesg.lines({ level: KERN_WARNING, timestamps: false }).some((l) => l.includes(text));

describe.each(PROFILES)('acpi_lpss_platform_notify under %s', (profile) => {
  it('ADD_DEVICE of an LPSS device with LTR: the PM domain and the lpss_ltr group (three S_IRUSR files), answer 0', () => {
    const { kernel, answers } = boot(profile);
    expect(kernel.addDevice(lpss('INT33C2'))).toBe(0);
    const d = dev(kernel, 'INT33C2:00');
    expect(pmDomainOf(d)).toBe(ACPI_LPSS_PM_DOMAIN);
    expect(kernel.sysfs.list(`${d.path}/lpss_ltr`)).toEqual(['auto_ltr', 'ltr_mode', 'sw_ltr']);
    expect(kernel.sysfs.stat(`${d.path}/lpss_ltr/auto_ltr`)).toEqual({ type: 'file', mode: 0o400 });
    expect(kernel.sysfs.read(`${d.path}/lpss_ltr/auto_ltr`)).toBe('00000000\n');
    expect(kernel.sysfs.read(`${d.path}/lpss_ltr/sw_ltr`)).toBe('00000000\n');
    expect(kernel.sysfs.read(`${d.path}/lpss_ltr/ltr_mode`)).toBe('auto\n');
    expect(answers()).toEqual([['BUS_NOTIFY_ADD_DEVICE', 0]]);
  });

  it("ADD_DEVICE when the group's directory cannot be made: the raw -ENOMEM, ignored: the device is added", () => {
    const { kernel, answers, events } = boot(profile);
    kernel.inject.sysfs({ name: 'lpss_ltr', errno: -ENOMEM, times: 1 });
    expect(kernel.addDevice(lpss('INT3432'))).toBe(0);
    const d = dev(kernel, 'INT3432:00');
    expect(d.isRegistered).toBe(true);
    expect(kernel.sysfs.exists(`${d.path}/lpss_ltr`)).toBe(false);
    // dev_pm_domain_set() comes first, so the device keeps its PM domain.
    expect(pmDomainOf(d)).toBe(ACPI_LPSS_PM_DOMAIN);
    expect(answers()).toEqual([['BUS_NOTIFY_ADD_DEVICE', -ENOMEM]]);
    const outcome = events.find((e) => e.type === 'chain.outcome' && e.ret === -ENOMEM);
    expect(outcome).toMatchObject({ caller: 'device_add', outcome: 'ignored' });
  });

  it('ADD_DEVICE again for a device that has its group: -EEXIST with the duplicate-filename warning', () => {
    const { kernel, answers } = boot(profile);
    kernel.addDevice(lpss('INT33C3'));
    const d = dev(kernel, 'INT33C3:00');
    const platform = kernel.bus('platform').notifier;
    expect(kernel.callChain(platform, kernel.busEvents.BUS_NOTIFY_ADD_DEVICE, d, 'test')).toBe(-EEXIST);
    expect(answers().at(-1)).toEqual(['BUS_NOTIFY_ADD_DEVICE', -EEXIST]);
    expect(kernel.dmesg.lines({ timestamps: false }).join('\n')).toContain(
      "sysfs: cannot create duplicate filename '/devices/platform/INT33C3:00/lpss_ltr'",
    );
  });

  it('ADD_DEVICE of an LPSS device without LTR (BayTrail UART): the PM domain only', () => {
    const { kernel, answers } = boot(profile);
    kernel.addDevice(lpss('80860F0A'));
    const d = dev(kernel, '80860F0A:00');
    expect(pmDomainOf(d)).toBe(ACPI_LPSS_PM_DOMAIN);
    expect(kernel.sysfs.exists(`${d.path}/lpss_ltr`)).toBe(false);
    expect(answers()).toEqual([['BUS_NOTIFY_ADD_DEVICE', 0]]);
  });

  it.each([
    ['no companion', { bus: 'platform' as const, name: 'serial8250' }],
    ['an id not in the table', lpss('PNP0501')],
    ['no memory resource (acpi_lpss_create_device() kept no private data)', lpss('INT33C2', null)],
    [
      'a companion not present',
      {
        bus: 'platform' as const,
        name: 'INT33C2:01',
        props: { acpi: { hid: 'INT33C2', mmio: 0x1000, present: false } },
      },
    ],
  ])('leaves alone a device with %s: answer 0, nothing done', (_what, spec) => {
    const { kernel, answers } = boot(profile);
    expect(kernel.addDevice(spec)).toBe(0);
    const d = dev(kernel, spec.name);
    expect(pmDomainOf(d)).toBe(null);
    expect(kernel.sysfs.exists(`${d.path}/lpss_ltr`)).toBe(false);
    expect(answers()).toEqual([['BUS_NOTIFY_ADD_DEVICE', 0]]);
  });

  it('matches the _CIDs after the _HID', () => {
    const { kernel } = boot(profile);
    kernel.addDevice({
      bus: 'platform',
      name: 'VEND0001:00',
      props: { acpi: { hid: 'VEND0001', cids: ['INT33C4'], mmio: 0x1000 } },
    });
    expect(kernel.sysfs.exists(`${dev(kernel, 'VEND0001:00').path}/lpss_ltr`)).toBe(true);
  });

  it('an MMIO window too small for the LTR registers: the dev_err on every event, nothing done', () => {
    const { kernel, answers } = boot(profile);
    kernel.addDevice(lpss('INT33C2', 0x800));
    const d = dev(kernel, 'INT33C2:00');
    expect(pmDomainOf(d)).toBe(null);
    expect(kernel.sysfs.exists(`${d.path}/lpss_ltr`)).toBe(false);
    expect(kernel.dmesg.lines({ level: KERN_ERR, timestamps: false })).toEqual([
      'platform INT33C2:00: MMIO size insufficient to access LTR',
    ]);
    expect(answers()).toEqual([['BUS_NOTIFY_ADD_DEVICE', 0]]);
  });

  it('BIND_DRIVER sets the PM domain, DRIVER_NOT_BOUND clears it after a failed probe; answers 0', () => {
    const { kernel, answers } = boot(profile);
    kernel.addDevice(lpss('INT33C2'));
    const d = dev(kernel, 'INT33C2:00');
    kernel.sysfs.write('/sys/bus/platform/drivers_autoprobe', '1');
    let during: string | null = 'unset';
    kernel.registerDriver({
      name: 'i2c_designware',
      bus: 'platform',
      ids: ['INT33C2:00'],
      probe: () => {
        during = pmDomainOf(d);
        return -ENODEV;
      },
    });
    expect(during).toBe(ACPI_LPSS_PM_DOMAIN);
    expect(pmDomainOf(d)).toBe(null);
    expect(answers().map(([e]) => e)).toEqual([
      'BUS_NOTIFY_ADD_DEVICE',
      'BUS_NOTIFY_BIND_DRIVER',
      'BUS_NOTIFY_DRIVER_NOT_BOUND',
    ]);
    expect(answers().every(([, r]) => r === 0)).toBe(true);
  });

  it('a successful bind keeps the PM domain; UNBOUND_DRIVER clears it; DEL_DEVICE removes the group', () => {
    const { kernel, answers } = boot(profile);
    kernel.addDevice(lpss('INT33C6'));
    const d = dev(kernel, 'INT33C6:00');
    kernel.sysfs.write('/sys/bus/platform/drivers_autoprobe', '1');
    kernel.registerDriver({ name: 'sdhci-acpi', bus: 'platform', ids: ['INT33C6:00'], probe: 'ok' });
    expect(d.isBound).toBe(true);
    expect(pmDomainOf(d)).toBe(ACPI_LPSS_PM_DOMAIN);
    kernel.unregisterDriver('sdhci-acpi', 'platform');
    expect(pmDomainOf(d)).toBe(null);
    const path = d.path;
    kernel.removeDevice('INT33C6:00', 'platform');
    expect(kernel.sysfs.exists(`${path}/lpss_ltr`)).toBe(false);
    expect(answers().every(([, r]) => r === 0)).toBe(true);
    expect(answers().map(([e]) => e)).toContain('BUS_NOTIFY_DEL_DEVICE');
  });

  it('DEL_DEVICE after a failed group: v4.12 WARNs that the group is not there, 6.12 only pr_debugs it', () => {
    const { kernel } = boot(profile);
    kernel.inject.sysfs({ name: 'lpss_ltr', errno: -ENOMEM, times: 1 });
    kernel.addDevice(lpss('INT33C2'));
    const d = dev(kernel, 'INT33C2:00');
    kernel.removeDevice('INT33C2:00', 'platform');
    expect(pmDomainOf(d)).toBe(null);
    expect(warned(kernel, "sysfs group 'lpss_ltr' not found for kobject 'INT33C2:00'")).toBe(profile !== 'v6.12');
  });

  it('NULL data is a NULL pointer dereference in acpi_companion_match()', () => {
    const { kernel } = boot(profile);
    const platform = kernel.bus('platform').notifier;
    expect(() => kernel.callChain(platform, kernel.busEvents.BUS_NOTIFY_BOUND_DRIVER, null, 'test')).toThrow();
    expect(kernel.oops?.message).toMatch(/NULL pointer dereference \(ACPI_COMPANION\(dev\)/);
  });
});

describe('a bind vetoed after acpi-lpss acted', () => {
  it.each(PROFILES)(
    '%s: the PM domain is set at BIND_DRIVER; the seed stops the bind and DRIVER_NOT_BOUND clears it',
    (profile) => {
      const { kernel, answers } = boot(profile);
      kernel.addDevice(lpss('INT33C2'));
      const d = dev(kernel, 'INT33C2:00');
      const seen: (string | null)[] = [];
      kernel.bus('platform').registerNotifier({
        name: 'veto',
        notifierCall: (action) => {
          if (action !== kernel.busEvents.BUS_NOTIFY_BIND_DRIVER) return NOTIFY_DONE;
          seen.push(pmDomainOf(d));
          return NOTIFY_BAD;
        },
      });
      kernel.registerDriver({ name: 'i2c_designware', bus: 'platform', ids: ['INT33C2:00'], probe: 'ok' });
      kernel.sysfs.write('/sys/bus/platform/drivers/i2c_designware/bind', 'INT33C2:00\n');
      expect(seen).toEqual([ACPI_LPSS_PM_DOMAIN]);
      const events = answers().map(([e]) => e);
      if (profile === 'v4.12+bind-veto') {
        expect(d.isBound).toBe(false);
        expect(pmDomainOf(d)).toBe(null);
        expect(events).toEqual(['BUS_NOTIFY_ADD_DEVICE', 'BUS_NOTIFY_BIND_DRIVER', 'BUS_NOTIFY_DRIVER_NOT_BOUND']);
      } else {
        // v4.12 ignores the answer and 6.12's bus_notify() returns nothing: the bind goes on, the domain stays.
        expect(d.isBound).toBe(true);
        expect(pmDomainOf(d)).toBe(ACPI_LPSS_PM_DOMAIN);
        expect(events).toEqual(['BUS_NOTIFY_ADD_DEVICE', 'BUS_NOTIFY_BIND_DRIVER', 'BUS_NOTIFY_BOUND_DRIVER']);
      }
    },
  );
});

describe('acpi_lpss_init and the id tables', () => {
  it('registers on a PC (the default machine), not on a device-tree machine, unless told', () => {
    const pc = createKernel({ plugins: [acpiLpssPlugin()] });
    expect(
      pc
        .bus('platform')
        .notifier.blocks()
        .map((b) => b.name),
    ).toEqual([ACPI_LPSS_NOTIFIER_NAME]);
    const arm = createKernel({ machine: { compatible: ['ti,keystone'] }, plugins: [acpiLpssPlugin()] });
    expect(arm.bus('platform').notifier.blocks()).toEqual([]);
    const forced = createKernel({
      machine: { compatible: ['ti,keystone'] },
      plugins: [acpiLpssPlugin({ acpi: true })],
    });
    expect(forced.bus('platform').notifier.blocks()).toHaveLength(1);
    const off = acpiLpssPlugin({ acpi: false });
    const k = createKernel({ plugins: [off] });
    expect(k.bus('platform').notifier.blocks()).toEqual([]);
    expect(off.state(k)?.reason).toMatch(/acpi: false/);
  });

  it('v4.12 has 29 ids (4 without a description); 6.12 has 28 (those 4 gone, 3 Braswell ones new); LTR on the same 15', () => {
    expect(ACPI_LPSS_DEVICE_IDS_V4_12).toHaveLength(29);
    expect(ACPI_LPSS_DEVICE_IDS_V4_12.filter((i) => i.desc === null).map((i) => i.id)).toEqual([
      'INT33C7',
      'INT33B2',
      'INT33FC',
      'INT3437',
    ]);
    expect(ACPI_LPSS_DEVICE_IDS_V6_12).toHaveLength(28);
    const ltr = (t: typeof ACPI_LPSS_DEVICE_IDS_V4_12) =>
      t.filter((i) => ((i.desc?.flags ?? 0) & LPSS_LTR) !== 0).map((i) => i.id);
    expect(ltr(ACPI_LPSS_DEVICE_IDS_V4_12)).toEqual(ltr(ACPI_LPSS_DEVICE_IDS_V6_12));
    expect(ltr(ACPI_LPSS_DEVICE_IDS_V4_12)).toHaveLength(15);
  });

  it('INT33C7 (v4.12, no description) is left alone; on 6.12 it is not in the table at all', () => {
    for (const profile of ['v4.12', 'v6.12']) {
      const { kernel } = boot(profile);
      kernel.addDevice(lpss('INT33C7'));
      expect(pmDomainOf(dev(kernel, 'INT33C7:00'))).toBe(null);
    }
  });

  it('BayTrail PWM: no private offset in v4.12 (fits 0x18 bytes), 0x800 in 6.12 (too small a window is reported)', () => {
    for (const [profile, domain] of [
      ['v4.12', ACPI_LPSS_PM_DOMAIN],
      ['v6.12', null],
    ] as const) {
      const { kernel } = boot(profile);
      kernel.addDevice(lpss('80860F09', 0x100));
      expect(pmDomainOf(dev(kernel, '80860F09:00'))).toBe(domain);
    }
  });
});

describe('bad input', () => {
  it.each([
    [null, /options object/],
    ['yes', /options object/],
    [{ acpi: 'yes' }, /acpi/],
    [{ platform: 'x86' }, /unknown option "platform"/],
  ])('acpiLpssPlugin(%j) throws SIM_ERR_ACPI_LPSS_BAD_OPTION', (options, message) => {
    expect(() => acpiLpssPlugin(options as never)).toThrow(message);
    try {
      acpiLpssPlugin(options as never);
    } catch (e) {
      expect((e as { code: string }).code).toBe('SIM_ERR_ACPI_LPSS_BAD_OPTION');
    }
  });

  it.each([
    [{ hid: 'int33c2' }, /hid/],
    [{ hid: 'INT33C2', mmio: 0 }, /mmio/],
    [{ hid: 'INT33C2', mmio: 2 ** 40 }, /mmio/],
    [{ hid: 'INT33C2', cids: 'INT33C3' }, /cids/],
    [{ hid: 'INT33C2', present: 'yes' }, /present/],
    [{ hid: 'INT33C2', __proto__: 1, extra: 1 }, /unknown field/],
  ])('acpiCompanion(%j) throws SIM_ERR_ACPI_LPSS_BAD_COMPANION', (spec, message) => {
    expect(() => acpiCompanion(spec as never)).toThrow(message);
  });

  it('a device whose props.acpi is not a companion gets a WARN naming it and is left alone', () => {
    const { kernel } = boot('v4.12');
    expect(kernel.addDevice({ bus: 'platform', name: 'odd', props: { acpi: { hid: 42 } } })).toBe(0);
    expect(pmDomainOf(dev(kernel, 'odd'))).toBe(null);
    expect(warned(kernel, 'platform odd: props.acpi is not an ACPI companion')).toBe(true);
  });
});
