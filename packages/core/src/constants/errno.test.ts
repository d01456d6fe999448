import { EINVAL, ENODEV, EPROBE_DEFER, EWOULDBLOCK, errdesc, errname, errnoNames, errnoValue } from '@sim/core';
import { describe, expect, it } from 'vitest';

describe('errno table', () => {
  it('names a negative kernel return', () => {
    expect(errname(-22)).toBe('EINVAL');
    expect(errname(-EPROBE_DEFER)).toBe('EPROBE_DEFER');
  });

  it('names a positive value too, and nothing for a non-errno', () => {
    expect(errname(ENODEV)).toBe('ENODEV');
    expect(errname(0)).toBeUndefined();
    expect(errname(-9999)).toBeUndefined();
  });

  it('keeps the Linux values and the header descriptions', () => {
    expect(EINVAL).toBe(22);
    expect(errnoValue('EBUSY')).toBe(16);
    expect(errnoValue('EWOULDBLOCK')).toBe(EWOULDBLOCK);
    expect(errname(EWOULDBLOCK)).toBe('EAGAIN');
    expect(errdesc(-ENODEV)).toBe('No such device');
    expect(errnoValue('ENOPE')).toBeUndefined();
  });

  it('lists every name once, in value order', () => {
    const names = errnoNames();
    expect(new Set(names).size).toBe(names.length);
    expect(names[0]).toBe('EPERM');
    expect(names).toContain('EHWPOISON');
    expect(names.map((n) => errnoValue(n))).toEqual([...names.map((n) => errnoValue(n))].sort((a, b) => a! - b!));
  });
});
