import { BUS_NOTIFY_EVENTS, busNotifyName } from '@sim/core';
import { knownProfiles, PLUGINS, type Registry } from '../plugins/registry.ts';
import { VERBS } from './steps.ts';
import type { JsonSchema } from './validator.ts';

/** The $id editors see; the file lives at apps/demo/scenario.schema.json. */
export const SCHEMA_ID = 'https://sim.invalid/scenario.schema.json';

/** The bus events by name, in value order (BUS_NOTIFY_ADD_DEVICE = 1 ...), from core's table. */
export const BUS_NOTIFY_NAMES: string[] = BUS_NOTIFY_EVENTS.map((e) => busNotifyName(e)!);

const u16: JsonSchema = { type: 'integer', minimum: 0, maximum: 0xffff };
const PCI_ADDRESS = '^[0-9a-f]{4}:[0-9a-f]{2}:[01][0-9a-f]\\.[0-7]$';
const NAME = '^[^/\\s]+$';
const ERRNO = '^-E[A-Z0-9_]+$';

const resultSpec: JsonSchema = {
  title:
    "a result: an integer, a negative errno such as '-ENODEV', a NOTIFY_* answer, 'ok' (>= 0), 'error' (< 0), 'oops' or 'skipped'",
  oneOf: [
    { type: 'integer' },
    { type: 'string', pattern: '^(ok|error|oops|skipped|-E[A-Z0-9_]+|NOTIFY_(DONE|OK|BAD|STOP))$' },
  ],
};

const stepExpect: JsonSchema = {
  title: 'a result (-ENODEV, 13, ok, error, oops, skipped) or { result, output }',
  oneOf: [
    { $ref: '#/definitions/result' },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        result: { $ref: '#/definitions/result' },
        output: { type: 'string', description: 'What cat, ls (one name a line) or readlink printed.' },
      },
    },
  ],
};

const endExpectProps: Record<string, JsonSchema> = {
  drivers: {
    type: 'object',
    description: 'Device name -> the driver it is bound to at the end, or null for none.',
    additionalProperties: {
      title: 'a driver name, or null for an unbound device',
      oneOf: [{ type: 'string', pattern: NAME }, { type: 'null' }],
    },
  },
  oops: {
    type: 'string',
    minLength: 1,
    description: "'none', 'any', or a text the oops message contains (e.g. 'kernel BUG at drivers/vfio/vfio.c:733!').",
  },
  dmesg: {
    type: 'array',
    description: 'Texts that some dmesg line contains.',
    items: { type: 'string', minLength: 1 },
  },
  dmesgAbsent: {
    type: 'array',
    description: 'Texts that no dmesg line contains.',
    items: { type: 'string', minLength: 1 },
  },
};

/** Builds the scenario schema (with the registry's plugins and the known profiles). `sim schema` prints it. */
export function scenarioSchema(registry: Registry = PLUGINS): JsonSchema {
  const profiles = knownProfiles(registry).map((p) => p.name);
  const pluginNames = registry.map((p) => p.name);
  const pluginItem: JsonSchema =
    registry.length === 0
      ? { type: 'string', title: 'a plugin name (none is available in this build)' }
      : {
          title: `a plugin name (${pluginNames.join(', ')}) or { name, options }`,
          oneOf: [
            { type: 'string', enum: pluginNames },
            ...registry.map(
              (p): JsonSchema => ({
                type: 'object',
                title: `{ name: ${p.name}, options }`,
                description: `${p.package}: ${p.description}`,
                additionalProperties: false,
                required: ['name'],
                properties: { name: { const: p.name }, options: p.options },
              }),
            ),
          ],
        };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'sim scenario',
    description:
      'A scenario for the sim command (apps/demo): a machine, the steps a person types, and what should come out.',
    type: 'object',
    additionalProperties: false,
    required: ['steps'],
    properties: {
      name: { type: 'string', pattern: NAME, description: 'Defaults to the file name.' },
      description: { type: 'string', description: 'One line, shown by sim list and at the top of a run.' },
      profile: { type: 'string', enum: profiles, description: 'The kernel behaviour to run under by default.' },
      profiles: {
        type: 'array',
        minItems: 1,
        description: 'The profiles the scenario is written for: what sim compare uses by default.',
        items: { type: 'string', enum: profiles },
      },
      inapplicable: {
        type: 'object',
        description:
          'Profiles the scenario does not apply to, each with the reason (what that kernel changed, and in which release): e.g. { v6.12: "tce_iommu_bus_notifier is gone (v6.4)" }.',
        additionalProperties: { type: 'string', minLength: 1 },
      },
      plugins: { type: 'array', items: pluginItem },
      topology: { $ref: '#/definitions/topology' },
      notifiers: { type: 'array', items: { $ref: '#/definitions/notifier' } },
      inject: {
        type: 'array',
        description:
          'Fault injection once the topology is up (notifier-error-inject, probe faults): injecting notifier blocks and failing probes.',
        items: { $ref: '#/definitions/inject' },
      },
      steps: { type: 'array', minItems: 1, items: { $ref: '#/definitions/step' } },
      tasks: {
        type: 'object',
        description:
          'Tasks (userspace processes) that run concurrently after the steps, each a list of steps using the system calls echo, cat, open, ioctl and close: { qemu: [...], admin: [...] }.',
        additionalProperties: { type: 'array', minItems: 1, items: { $ref: '#/definitions/step' } },
      },
      schedule: {
        type: 'array',
        description:
          'The task that runs at each switch point of the task run (as sim explore reports it); past its end, nobody is preempted.',
        items: { type: 'string', minLength: 1 },
      },
      explore: {
        type: 'object',
        additionalProperties: false,
        description: "sim explore's defaults for this scenario.",
        properties: {
          mode: { type: 'string', enum: ['dfs', 'pct'] },
          bound: { type: 'integer', minimum: 0, maximum: 64, description: 'The preemption bound (dfs).' },
          limit: { type: 'integer', minimum: 1, maximum: 1000000, description: 'Executions at most.' },
          seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
          depth: { type: 'integer', minimum: 1, maximum: 16, description: "PCT's bug depth." },
        },
      },
      expect: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ...endExpectProps,
          byProfile: {
            type: 'object',
            description: 'Per-profile expectations, merged over the ones above (dmesg lists are added).',
            additionalProperties: { type: 'object', additionalProperties: false, properties: endExpectProps },
          },
        },
      },
    },
    definitions: {
      result: resultSpec,
      stepExpect,
      step: {
        title: `a step line (${Object.keys(VERBS).join(', ')}) or { run, expect, byProfile }`,
        oneOf: [
          { type: 'string', minLength: 1 },
          {
            type: 'object',
            additionalProperties: false,
            required: ['run'],
            properties: {
              run: { type: 'string', minLength: 1 },
              expect: { $ref: '#/definitions/stepExpect' },
              byProfile: {
                type: 'object',
                description: 'Expectations for named profiles (they replace expect under that profile).',
                additionalProperties: { $ref: '#/definitions/stepExpect' },
              },
            },
          },
        ],
      },
      topology: {
        type: 'object',
        additionalProperties: false,
        properties: {
          machine: {
            type: 'object',
            additionalProperties: false,
            properties: {
              model: { type: 'string' },
              compatible: { type: 'array', items: { type: 'string', minLength: 1 } },
            },
          },
          buses: {
            type: 'array',
            description: 'Buses of your own (registered with everything matching).',
            items: { type: 'string', pattern: '^[\\w.-]+$' },
          },
          devices: { type: 'array', items: { $ref: '#/definitions/device' } },
          drivers: { type: 'array', items: { $ref: '#/definitions/driver' } },
        },
      },
      device: {
        title:
          'a device: { bus: pci, address, vendor, device }, { bus: platform, name }, { bus: i2c, kind: adapter, nr }, { bus: i2c, kind: client, name, adapter, addr } or { bus: <your bus>, name }',
        oneOf: [
          {
            type: 'object',
            title:
              '{ bus: pci, address, vendor, device, class?, hdrType?, revision?, irq?, pcie?, parent?, iommuGroup? }',
            additionalProperties: false,
            required: ['bus', 'address', 'vendor', 'device'],
            properties: {
              bus: { const: 'pci' },
              address: {
                type: 'string',
                pattern: PCI_ADDRESS,
                description: 'domain:bus:slot.function in lower-case hex, e.g. 0000:01:00.1',
              },
              vendor: u16,
              device: u16,
              subsystemVendor: u16,
              subsystemDevice: u16,
              class: { type: 'integer', minimum: 0, maximum: 0xffffff },
              hdrType: { type: 'integer', minimum: 0, maximum: 0x7f },
              revision: { type: 'integer', minimum: 0, maximum: 0xff, description: 'revision id (default 0)' },
              irq: { type: 'integer', minimum: 0, maximum: 0xffffffff, description: 'the Linux irq (default 0: none)' },
              pcie: { type: 'boolean', description: 'a PCI Express function: 4096 bytes of config space' },
              parent: {
                type: 'string',
                pattern: PCI_ADDRESS,
                description: 'the address of the bridge it sits behind, e.g. 0000:00:01.0',
              },
              iommuGroup: { type: 'integer', minimum: 0 },
              ...Object.fromEntries(registry.flatMap((p) => Object.entries(p.deviceFields ?? {}))),
            },
          },
          {
            type: 'object',
            title: '{ bus: platform, name, id?, compatible?, parent?, iommuGroup? }',
            additionalProperties: false,
            required: ['bus', 'name'],
            properties: {
              bus: { const: 'platform' },
              name: { type: 'string', pattern: NAME },
              id: {
                title: "-1, a number >= 0, or 'auto'",
                oneOf: [{ type: 'integer', minimum: -1 }, { const: 'auto' }],
              },
              compatible: { type: 'array', items: { type: 'string', minLength: 1 } },
              parent: { type: 'string', pattern: NAME },
              iommuGroup: { type: 'integer', minimum: 0 },
              ...Object.fromEntries(registry.flatMap((p) => Object.entries(p.platformDeviceFields ?? {}))),
            },
          },
          {
            type: 'object',
            title: '{ bus: i2c, kind: adapter, nr, name? }',
            additionalProperties: false,
            required: ['bus', 'kind', 'nr'],
            properties: {
              bus: { const: 'i2c' },
              kind: { const: 'adapter' },
              nr: { type: 'integer', minimum: 0, maximum: 0x7ffffffe },
              name: { type: 'string', minLength: 1 },
            },
          },
          {
            type: 'object',
            title: '{ bus: i2c, kind: client, name, adapter, addr, compatible? }',
            additionalProperties: false,
            required: ['bus', 'kind', 'name', 'adapter', 'addr'],
            properties: {
              bus: { const: 'i2c' },
              kind: { const: 'client' },
              name: { type: 'string', pattern: NAME },
              adapter: { type: 'integer', minimum: 0 },
              addr: { type: 'integer', minimum: 0, maximum: 0x3ff },
              compatible: { type: 'array', items: { type: 'string', minLength: 1 } },
            },
          },
          {
            type: 'object',
            title: '{ bus: <a bus of topology.buses>, name, parent? }',
            additionalProperties: false,
            required: ['bus', 'name'],
            properties: {
              bus: { type: 'string', title: 'a bus of topology.buses', pattern: '^(?!(pci|platform|i2c)$)[\\w.-]+$' },
              name: { type: 'string', pattern: NAME },
              parent: { type: 'string', pattern: NAME },
            },
          },
        ],
      },
      driver: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'bus'],
        properties: {
          name: { type: 'string', pattern: NAME },
          bus: { type: 'string', pattern: '^[\\w.-]+$' },
          ids: {
            type: 'array',
            description: "PCI: 'vvvv:dddd' or { vendor, device, ... }; platform and i2c: device names.",
            items: {
              title: "an id: 'vvvv:dddd' or { vendor, device } on PCI, a device name elsewhere",
              oneOf: [
                { type: 'string', pattern: NAME },
                {
                  type: 'object',
                  additionalProperties: false,
                  required: ['vendor', 'device'],
                  properties: {
                    vendor: { type: 'integer', minimum: 0, maximum: 0xffffffff },
                    device: { type: 'integer', minimum: 0, maximum: 0xffffffff },
                    subvendor: { type: 'integer', minimum: 0, maximum: 0xffffffff },
                    subdevice: { type: 'integer', minimum: 0, maximum: 0xffffffff },
                    class: { type: 'integer', minimum: 0, maximum: 0xffffffff },
                    classMask: { type: 'integer', minimum: 0, maximum: 0xffffffff },
                  },
                },
              ],
            },
          },
          ofMatch: { type: 'array', items: { type: 'string', minLength: 1 } },
          probe: {
            title:
              'what the probe does: ok, defer, a negative errno such as -ENOMEM, { deferUntil: <driver> }, or { sleep: <ms>, errno?: -EIO } (it sleeps, letting other tasks run)',
            oneOf: [
              { type: 'string', enum: ['ok', 'defer'] },
              { type: 'string', pattern: ERRNO },
              {
                type: 'object',
                additionalProperties: false,
                required: ['deferUntil'],
                properties: { deferUntil: { type: 'string', pattern: NAME } },
              },
              {
                type: 'object',
                additionalProperties: false,
                required: ['sleep'],
                properties: {
                  sleep: {
                    type: 'integer',
                    minimum: 0,
                    maximum: 86400000,
                    description: 'milliseconds of simulated time',
                  },
                  errno: { type: 'string', pattern: ERRNO },
                },
              },
            ],
          },
          loaded: { type: 'boolean', description: 'false: registered only by a modprobe step. Default true.' },
          driverManagedDma: {
            type: 'boolean',
            description:
              'driver_managed_dma: the driver does not use the DMA API (pcieport, pci-stub); on 6.12 its binds leave IOMMU group ownership alone. Default false.',
          },
        },
      },
      inject: {
        title:
          'an injection: { chain, action, answer, priority?, times? }, { probe, bus?, errno, nth? } or { sysfs, under?, errno, times? }',
        oneOf: [
          {
            type: 'object',
            title: '{ chain, action, answer, priority?, times?, name? }',
            description:
              'An injecting notifier block (lib/notifier-error-inject.c): on `chain` it answers `answer` to `action` and NOTIFY_DONE to the rest.',
            additionalProperties: false,
            required: ['chain', 'action', 'answer'],
            properties: {
              chain: {
                type: 'string',
                pattern: '^\\S+$',
                description: "A chain of the booted machine: a bus ('pci'), or a plugin's ('iommu_group:1').",
              },
              action: {
                title: 'an action name (BUS_NOTIFY_BIND_DRIVER, IOMMU_GROUP_NOTIFY_BIND_DRIVER ...), a number, or any',
                oneOf: [
                  { type: 'string', pattern: '^(any|[A-Z][A-Z0-9_]*)$' },
                  { type: 'integer', minimum: 0, maximum: 2147483647 },
                ],
              },
              answer: { $ref: '#/definitions/answer' },
              priority: {
                type: 'integer',
                minimum: -2147483648,
                maximum: 2147483647,
                description: 'Higher runs first. Default 0 (after the blocks already registered at 0).',
              },
              times: {
                type: 'integer',
                minimum: 1,
                maximum: 2147483647,
                description: 'Answer only this many times, then NOTIFY_DONE. Default: every time.',
              },
              name: { type: 'string', minLength: 1, description: "The block's name. Default notifier-error-inject." },
            },
          },
          {
            type: 'object',
            title: '{ probe, bus?, errno, nth? }',
            description: "A probe fault: the driver's probe returns `errno` without running, on call `nth` from now.",
            additionalProperties: false,
            required: ['probe', 'errno'],
            properties: {
              probe: { type: 'string', pattern: NAME, description: 'A driver registered at boot.' },
              bus: {
                type: 'string',
                pattern: '^[\\w.-]+$',
                description: 'Its bus, when drivers of that name are on two.',
              },
              errno: {
                title: 'a negative errno such as -ENOMEM, or an integer from -4095 to -1',
                oneOf: [
                  { type: 'string', pattern: ERRNO },
                  { type: 'integer', minimum: -4095, maximum: -1 },
                ],
              },
              nth: {
                type: 'integer',
                minimum: 1,
                maximum: 2147483647,
                description:
                  'The call that fails, counting from when the fault is put in (1: the next). Default: every call.',
              },
            },
          },
          {
            type: 'object',
            title: '{ sysfs, under?, errno, times? }',
            description:
              'A sysfs creation fault, in place from boot (as failslab= on the command line): creating an entry named `sysfs` (below `under`) fails with `errno`, as kernfs_new_node() failing its allocation makes sysfs_create_group() fail.',
            additionalProperties: false,
            required: ['sysfs', 'errno'],
            properties: {
              sysfs: { type: 'string', pattern: '^[^/\\s]+$', description: "The entry's name, e.g. lpss_ltr." },
              under: {
                type: 'string',
                pattern: '^/sys(/\\S*)?$',
                description: 'Only below this sysfs directory, e.g. /sys/devices/platform. Default anywhere.',
              },
              errno: {
                title: 'a negative errno such as -ENOMEM, or an integer from -4095 to -1',
                oneOf: [
                  { type: 'string', pattern: ERRNO },
                  { type: 'integer', minimum: -4095, maximum: -1 },
                ],
              },
              times: {
                type: 'integer',
                minimum: 1,
                maximum: 2147483647,
                description: 'Fail only this many creations, then create as usual. Default: every time.',
              },
            },
          },
        ],
      },
      answer: {
        title:
          'NOTIFY_DONE, NOTIFY_OK, NOTIFY_BAD, NOTIFY_STOP, a raw errno such as -EBUSY, notifier_from_errno(-EBUSY) or an integer',
        oneOf: [
          {
            type: 'string',
            description: 'NOTIFY_DONE, NOTIFY_OK, NOTIFY_BAD, NOTIFY_STOP, -EBUSY or notifier_from_errno(-EBUSY)',
            pattern: '^(NOTIFY_(DONE|OK|BAD|STOP)|-E[A-Z0-9_]+|notifier_from_errno\\(-E[A-Z0-9_]+\\))$',
          },
          { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
        ],
      },
      notifier: {
        type: 'object',
        description:
          'A bus notifier block declared as data: it answers `answer` to the events in `on` and NOTIFY_DONE to the rest.',
        additionalProperties: false,
        required: ['bus', 'name', 'answer'],
        properties: {
          bus: { type: 'string', pattern: '^[\\w.-]+$' },
          name: { type: 'string', minLength: 1 },
          priority: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
          answer: { $ref: '#/definitions/answer' },
          on: { type: 'array', items: { type: 'string', enum: BUS_NOTIFY_NAMES } },
          devices: { type: 'array', items: { type: 'string', pattern: NAME } },
          drivers: { type: 'array', items: { type: 'string', pattern: NAME } },
        },
      },
    },
  };
}
