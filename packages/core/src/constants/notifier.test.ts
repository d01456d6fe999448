import {
  EBUSY,
  EINVAL,
  ENODEV,
  EPERM,
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_OK,
  NOTIFY_STOP,
  NOTIFY_STOP_MASK,
  notifierFromErrno,
  notifierToErrno,
  notifyStops,
} from '@sim/core';
import { describe, expect, it } from 'vitest';

describe('notifier return codes', () => {
  it('have the values of include/linux/notifier.h', () => {
    expect([NOTIFY_DONE, NOTIFY_OK, NOTIFY_STOP_MASK, NOTIFY_BAD, NOTIFY_STOP]).toEqual([0, 1, 0x8000, 0x8002, 0x8001]);
  });

  it('notifierFromErrno encodes an errno under the stop bit, and 0 as NOTIFY_OK (not NOTIFY_DONE)', () => {
    expect(notifierFromErrno(-EINVAL)).toBe(0x8017);
    expect(notifierFromErrno(-ENODEV)).toBe(0x8014);
    expect(notifierFromErrno(-EBUSY)).toBe(0x8011);
    expect(notifierFromErrno(-EPERM)).toBe(NOTIFY_BAD);
    expect(notifierFromErrno(0)).toBe(NOTIFY_OK);
  });

  it('notifierToErrno decodes, and maps NOTIFY_BAD to -EPERM', () => {
    expect(notifierToErrno(0x8017)).toBe(-EINVAL);
    expect(notifierToErrno(NOTIFY_BAD)).toBe(-EPERM);
    expect(notifierToErrno(NOTIFY_STOP)).toBe(0);
    expect(notifierToErrno(NOTIFY_OK)).toBe(0);
    expect(notifierToErrno(NOTIFY_DONE)).toBe(0);
    expect(notifierToErrno(NOTIFY_STOP_MASK)).toBe(0);
  });

  it('notifierToErrno misreads a plain positive value as an errno, as the kernel does', () => {
    expect(notifierToErrno(5)).toBe(-4);
  });

  it('loses a raw negative errno: notifierToErrno(-19) is 0', () => {
    expect(notifierToErrno(-ENODEV)).toBe(0);
  });

  it('a raw negative errno carries the stop bit, -32769 does not', () => {
    expect(notifyStops(-ENODEV)).toBe(true);
    expect(notifyStops(-1)).toBe(true);
    expect(notifyStops(-32768)).toBe(true);
    expect(notifyStops(-32769)).toBe(false);
    expect(notifyStops(0x18000)).toBe(true);
    expect(notifyStops(NOTIFY_OK)).toBe(false);
  });
});
