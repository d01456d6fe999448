import { SimError, showValue as show } from '@sim/core';

/** vfioPlugin() options. */
export interface VfioOptions {
  /**
   * vfio-pci's `ids` module parameter: comma-separated `vendor:device[:subvendor[:subdevice[:class[:class_mask]]]]`
   * in hex, e.g. `'10de:1b80,10de:10f0'`; each is added as a dynamic id at load, as vfio_pci_fill_ids() does.
   */
  readonly ids?: string;
  /**
   * Also register pci-stub (drivers/pci/pci-stub.c), the driver v4.12's vfio whitelist names: `true`, or
   * `{ ids }` for its own `ids` module parameter. Default false.
   */
  readonly pciStub?: boolean | { readonly ids?: string };
  /** Also register vfio-platform on the platform bus (driver_override only). Default false. */
  readonly platform?: boolean;
}

/** Options after checking. */
export interface ResolvedVfioOptions {
  readonly ids: string | null;
  readonly pciStub: false | { readonly ids: string | null };
  readonly platform: boolean;
}

function bad(message: string): never {
  throw new SimError('SIM_ERR_VFIO_BAD_OPTION', `vfioPlugin(): ${message}`);
}

/** Checks the options (SIM_ERR_VFIO_BAD_OPTION with the value and the fix). */
export function resolveVfioOptions(options: unknown): ResolvedVfioOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    bad(`options are an object such as { pciStub: true }, got ${show(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['ids', 'pciStub', 'platform'].includes(key)) {
      bad(`unknown option ${show(key)}; the options are ids, pciStub and platform`);
    }
  }
  if (o.ids !== undefined && typeof o.ids !== 'string') {
    bad(`ids is the vfio-pci module parameter, a string such as '10de:1b80,10de:10f0', got ${show(o.ids)}`);
  }
  let pciStub: ResolvedVfioOptions['pciStub'] = false;
  if (o.pciStub === true) pciStub = { ids: null };
  else if (typeof o.pciStub === 'object' && o.pciStub !== null && !Array.isArray(o.pciStub)) {
    const ids = (o.pciStub as Record<string, unknown>).ids;
    const keys = Object.keys(o.pciStub);
    if (keys.some((k) => k !== 'ids') || (ids !== undefined && typeof ids !== 'string')) {
      bad(`pciStub is true, false or { ids: '10de:10f0' }, got ${show(o.pciStub)}`);
    }
    pciStub = { ids: (ids as string | undefined) ?? null };
  } else if (o.pciStub !== undefined && o.pciStub !== false) {
    bad(`pciStub is true, false or { ids: '10de:10f0' }, got ${show(o.pciStub)}`);
  }
  if (o.platform !== undefined && typeof o.platform !== 'boolean') {
    bad(`platform is true or false, got ${show(o.platform)}`);
  }
  return { ids: (o.ids as string | undefined) ?? null, pciStub, platform: o.platform === true };
}
