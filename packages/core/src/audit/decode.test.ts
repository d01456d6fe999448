import { describe, expect, it } from 'vitest';
import { EBUSY, ENODEV, ENOENT, EPERM } from '../constants/errno.ts';
import {
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_OK,
  NOTIFY_STOP,
  NOTIFY_STOP_MASK,
  notifierFromErrno,
} from '../constants/notifier.ts';
import { decodeNotifierAnswer, isOkAnswer } from './decode.ts';

describe('decodeNotifierAnswer', () => {
  it.each([
    [NOTIFY_DONE, 'NOTIFY_DONE', 'NOTIFY_DONE (0x0)', false, null, 0],
    [NOTIFY_OK, 'NOTIFY_OK', 'NOTIFY_OK (0x1)', false, null, 0],
    [NOTIFY_BAD, 'NOTIFY_BAD', 'NOTIFY_BAD (0x8002)', true, null, -EPERM],
    [NOTIFY_STOP, 'NOTIFY_STOP', 'NOTIFY_STOP (0x8001)', true, null, 0],
    [notifierFromErrno(-ENODEV), 'notifier-errno', 'notifierFromErrno(-ENODEV) (0x8014)', true, -ENODEV, -ENODEV],
    [notifierFromErrno(-ENOENT), 'notifier-errno', 'notifierFromErrno(-ENOENT) (0x8003)', true, -ENOENT, -ENOENT],
    [notifierFromErrno(-600), 'notifier-errno', 'notifierFromErrno(-600) (0x8259)', true, -600, -600],
    [-EBUSY, 'errno', '-16 (EBUSY)', true, -EBUSY, 0],
    [-ENODEV, 'errno', '-19 (ENODEV)', true, -ENODEV, 0],
    [-4095, 'errno', '-4095', true, -4095, 0],
    [-4096, 'other', '0xfffff000 (stop bit set)', true, null, 0],
    [2, 'other', '0x2', false, null, -EPERM],
    [19, 'other', '0x13', false, null, -18],
    [NOTIFY_STOP_MASK, 'other', '0x8000 (stop bit set)', true, null, 0],
    [0x10002, 'other', '0x10002', false, null, -0x10001],
  ])('%i -> %s, %s', (value, kind, text, stops, errno, toErrno) => {
    expect(decodeNotifierAnswer(value)).toEqual({ value, kind, text, stops, errno, toErrno });
  });

  it('isOkAnswer: only 0 and NOTIFY_OK', () => {
    expect([0, 1, 2, -1, NOTIFY_BAD, NOTIFY_STOP].map(isOkAnswer)).toEqual([true, true, false, false, false, false]);
  });
});
