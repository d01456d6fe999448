import { describe, expect, it } from 'vitest';
import type { Device } from '../base/device.ts';
import { SimError } from '../errors/sim-error.ts';
import { KernelLog, type LogHost, NS_PER_PRINTK } from './log.ts';
import { KERN_DEBUG, KERN_ERR, KERN_INFO, KERN_WARNING } from './printk.ts';
import type { TraceEvent } from './trace.ts';
import { Tracer } from './tracer.ts';
import { type KernelBase, kernelVersion } from './versions.ts';

/** A kernel as small as the log needs: a clock, a call path, a liveness switch, a trace. */
function host(options: { base?: KernelBase; dynamicDebug?: boolean; stack?: string[] } = {}) {
  let clock = 0;
  const h: LogHost & { unusable: boolean; tracer: Tracer; stack: string[] } = {
    dynamicDebug: options.dynamicDebug ?? false,
    version: kernelVersion(options.base ?? '4.12'),
    tracer: new Tracer(
      () => clock,
      () => {},
    ),
    stack: options.stack ?? ['write', 'bind_store'],
    unusable: false,
    checkUsable() {
      if (h.unusable) throw new SimError('SIM_ERR_KERNEL_DEAD', 'dead');
    },
    advanceClock(ns: number) {
      clock += ns;
      return clock;
    },
    callPath() {
      return [...h.stack];
    },
  };
  return h;
}

const DEV = { name: '0000:01:00.0', bus: { name: 'pci' }, driver: null } as unknown as Device;

describe('KernelLog', () => {
  it('gives each line of a printk its own record and sequence number, all at one time', () => {
    const log = new KernelLog(host(), 16);
    log.printk(KERN_INFO, 'one');
    log.printk(KERN_ERR, 'two\nthree');
    expect(log.buffer.records().map((r) => [r.seq, r.ts, r.level, r.text])).toEqual([
      [0, NS_PER_PRINTK, KERN_INFO, 'one'],
      [1, 2 * NS_PER_PRINTK, KERN_ERR, 'two'],
      [2, 2 * NS_PER_PRINTK, KERN_ERR, 'three'],
    ]);
  });

  it('keeps the newest records when the ring is full, and sequence numbers go on counting', () => {
    const log = new KernelLog(host(), 3);
    for (let i = 0; i < 5; i++) log.printk(KERN_INFO, `line ${i}`);
    expect(log.buffer.records().map((r) => `${r.seq} ${r.text}`)).toEqual(['2 line 2', '3 line 3', '4 line 4']);
  });

  it('dmesg filters by level and prints timestamps as the kernel does', () => {
    const log = new KernelLog(host({ dynamicDebug: true }), 16);
    log.printk(KERN_ERR, 'an error');
    log.prDebug('a debug line');
    expect(log.dmesg.records({ level: KERN_ERR }).map((r) => r.text)).toEqual(['an error']);
    expect(log.dmesg.lines()).toEqual(['[    0.000001] an error', '[    0.000002] a debug line']);
    expect(log.dmesg.lines({ timestamps: false, level: KERN_DEBUG })).toEqual(['an error', 'a debug line']);
    log.dmesg.clear();
    expect(log.dmesg.records()).toEqual([]);
  });

  it('drops pr_debug and dev_dbg lines without dynamic debug, and takes no time for them', () => {
    const h = host();
    const log = new KernelLog(h, 16);
    log.prDebug('bus: dropped');
    log.devDbg(DEV, 'dropped too');
    expect(log.buffer.records()).toEqual([]);
    expect(h.advanceClock(0)).toBe(0);
  });

  it('names the bus in dev_printk for an unbound device', () => {
    const log = new KernelLog(host({ dynamicDebug: true }), 16);
    log.devDbg(DEV, 'Retrying from deferred list');
    expect(log.buffer.records().map((r) => r.text)).toEqual(['pci 0000:01:00.0: Retrying from deferred list']);
  });

  it("prints WARN()'s lines in v4.12's order, then the call trace, and taints the kernel", () => {
    const log = new KernelLog(host(), 32);
    expect(log.tainted).toBe(false);
    log.warn('drivers/vfio/vfio.c:405', 'WARN_ON(x)');
    expect(log.buffer.records().map((r) => r.text)).toEqual([
      '------------[ cut here ]------------',
      'WARNING: CPU: 0 PID: 1 at drivers/vfio/vfio.c:405 bind_store',
      'WARN_ON(x)',
      'Call Trace:',
      ' bind_store',
      ' write',
      '---[ end trace ]---',
    ]);
    expect(log.buffer.records().every((r) => r.level === KERN_WARNING)).toBe(true);
    expect(log.tainted).toBe(true);
  });

  it('prints the message before the WARNING line on 6.12', () => {
    const log = new KernelLog(host({ base: '6.12', stack: [] }), 32);
    log.warn('fs/sysfs/dir.c', 'oops');
    expect(
      log.buffer
        .records()
        .slice(1, 3)
        .map((r) => r.text),
    ).toEqual(['oops', 'WARNING: CPU: 0 PID: 1 at fs/sysfs/dir.c']);
  });

  it('traces each line while the trace is on', () => {
    const h = host();
    const log = new KernelLog(h, 16);
    const events: TraceEvent[] = [];
    const stop = h.tracer.subscribe((e) => events.push(e));
    log.printk(KERN_INFO, 'a\nb');
    stop();
    log.printk(KERN_INFO, 'c');
    expect(events.map((e) => (e.type === 'dmesg' ? e.text : e.type))).toEqual(['a', 'b']);
  });

  it('refuses to print on a dead kernel and rejects a bad level, leaving the log as it was', () => {
    const h = host();
    const log = new KernelLog(h, 16);
    expect(() => log.printk(9 as never, 'x')).toThrow(SimError);
    h.unusable = true;
    expect(() => log.printk(KERN_INFO, 'x')).toThrow(/dead/);
    expect(() => log.dmesg.clear()).toThrow(/dead/);
    expect(log.buffer.records()).toEqual([]);
  });
});
