import { describe, expect, it } from 'vitest';
import { SimError } from '../errors/sim-error.ts';
import { KernelOops } from './bug.ts';
import { KernelLog, type LogHost } from './log.ts';
import { OopsRecorder } from './oops.ts';
import { KERN_ERR, KERN_WARNING } from './printk.ts';
import { Tracer } from './tracer.ts';
import { kernelVersion } from './versions.ts';

/** An oops recorder over a real log, a fixed call path and a count of the chains' refusals. */
function setup() {
  let clock = 0;
  const tracer = new Tracer(
    () => clock,
    () => {},
  );
  const version = kernelVersion('4.12');
  const stack = ['write /sys/bus/pci/drivers/vfio-pci/bind', 'bind_store'];
  let refusals = 0;
  const state: { recorder: OopsRecorder | null } = { recorder: null };
  const logHost: LogHost = {
    dynamicDebug: false,
    version,
    tracer,
    stack,
    get unusable() {
      return state.recorder!.unusable;
    },
    checkUsable: () => state.recorder!.checkUsable(),
    advanceClock: (ns) => {
      clock += ns;
      return clock;
    },
    callPath: () => [...stack],
  };
  const log = new KernelLog(logHost, 64);
  const recorder = new OopsRecorder({
    log,
    tracer,
    version,
    callPath: () => [...stack],
    refuseChains: () => {
      refusals++;
    },
  });
  state.recorder = recorder;
  return { recorder, log, refusals: () => refusals };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('OopsRecorder', () => {
  it('BUG() prints the oops report, keeps the record, makes the chains refuse, and kills the task', () => {
    const { recorder, log, refusals } = setup();
    const e = thrown(() => recorder.bug('drivers/vfio/vfio.c:733'));
    expect(KernelOops.is(e)).toBe(true);
    expect(recorder.record).toEqual({
      where: 'drivers/vfio/vfio.c:733',
      message: 'kernel BUG at drivers/vfio/vfio.c:733!',
      callPath: ['write /sys/bus/pci/drivers/vfio-pci/bind', 'bind_store'],
    });
    expect(log.buffer.records().map((r) => r.text)).toEqual([
      '------------[ cut here ]------------',
      'kernel BUG at drivers/vfio/vfio.c:733!',
      'invalid opcode: 0000 [#1] SMP',
      'CPU: 0 PID: 1 Comm: sim Not tainted 4.12.0 #1',
      'Call Trace:',
      ' bind_store',
      ' write /sys/bus/pci/drivers/vfio-pci/bind',
      '---[ end trace ]---',
    ]);
    expect(recorder.unusable).toBe(true);
    expect(refusals()).toBe(1);
    expect(SimError.isInstance(thrown(() => recorder.checkUsable()))).toBe(true);
    expect((thrown(() => recorder.checkUsable()) as SimError).code).toBe('SIM_ERR_KERNEL_DEAD');
  });

  it('says the kernel is tainted after a WARN()', () => {
    const { recorder, log } = setup();
    log.warn('fs/sysfs/dir.c', 'sysfs: cannot create duplicate filename');
    thrown(() => recorder.bug('x.c:1', 'BUG: x'));
    expect(log.buffer.records().some((r) => r.text.startsWith('CPU: 0 PID: 1 Comm: sim Tainted: G        W'))).toBe(
      true,
    );
  });

  it('prints a splat that is not fatal and goes on; a fatal one kills the kernel', () => {
    const { recorder, log } = setup();
    const splat = {
      kind: 'sleep-in-atomic' as const,
      chain: 'c',
      block: 'b',
      action: 1,
      message: 'BUG: sleeping function called from invalid context',
      detail: 'b sleeps',
      fatal: false,
    };
    recorder.reportSplat(splat);
    expect(log.buffer.records().map((r) => [r.level, r.text])).toEqual([
      [KERN_ERR, splat.message],
      [KERN_ERR, '  b sleeps'],
    ]);
    expect(recorder.unusable).toBe(false);
    recorder.reportSplat({ ...splat, kind: 'recursive-locking', message: 'WARNING: x' });
    expect(log.buffer.records().at(-1)!.level).toBe(KERN_WARNING);
    expect(KernelOops.is(thrown(() => recorder.reportSplat({ ...splat, fatal: true })))).toBe(true);
    expect(recorder.record?.where).toBe('c');
  });

  it('a closed kernel is unusable and says it was closed', () => {
    const { recorder, refusals } = setup();
    recorder.checkUsable();
    recorder.markClosed();
    expect(recorder.unusable).toBe(true);
    expect(recorder.record).toBeNull();
    expect(refusals()).toBe(1);
    expect((thrown(() => recorder.checkUsable()) as SimError).code).toBe('SIM_ERR_KERNEL_CLOSED');
  });

  it('refuses bad arguments to BUG() and records nothing', () => {
    const { recorder, log } = setup();
    expect((thrown(() => recorder.bug(42 as never)) as SimError).code).toBe('SIM_ERR_KERNEL_BAD_ARGUMENT');
    expect((thrown(() => recorder.bug('x.c:1', {} as never)) as SimError).code).toBe('SIM_ERR_KERNEL_BAD_ARGUMENT');
    expect(recorder.record).toBeNull();
    expect(log.buffer.records()).toEqual([]);
  });
});
