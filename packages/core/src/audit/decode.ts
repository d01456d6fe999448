import { errname, MAX_ERRNO } from '../constants/errno.ts';
import {
  NOTIFY_BAD,
  NOTIFY_DONE,
  NOTIFY_OK,
  NOTIFY_STOP,
  NOTIFY_STOP_MASK,
  notifierToErrno,
  notifyStops,
} from '../constants/notifier.ts';

/** What kind of int a notifier answered. */
export type AnswerKind =
  | 'NOTIFY_DONE'
  | 'NOTIFY_OK'
  | 'NOTIFY_BAD'
  | 'NOTIFY_STOP'
  /** notifier_from_errno(-e): the stop bit with an errno encoded above NOTIFY_OK. */
  | 'notifier-errno'
  /** A raw negative errno (-1 .. -4095), returned where a notifier value was due. */
  | 'errno'
  | 'other';

/** A notifier answer, decoded. */
export interface DecodedAnswer {
  readonly value: number;
  readonly kind: AnswerKind;
  /** As the audit prints it: `NOTIFY_BAD (0x8002)`, `notifierFromErrno(-ENODEV) (0x8014)`, `-16 (EBUSY)`, `0x2`. */
  readonly text: string;
  /** The answer carries NOTIFY_STOP_MASK: a chain stops at it (a raw errno does too, being 0xffffxxxx). */
  readonly stops: boolean;
  /** The errno the answer means: a raw errno itself, an encoded one decoded; null when it means none. */
  readonly errno: number | null;
  /** What notifier_to_errno() makes of it (0 for a raw errno: the error is lost). */
  readonly toErrno: number;
}

/** True for the answers the seed calls harmless: 0 (NOTIFY_DONE) and NOTIFY_OK. */
export function isOkAnswer(ret: number): boolean {
  return ret === NOTIFY_DONE || ret === NOTIFY_OK;
}

function hex(value: number): string {
  return `0x${(value >>> 0).toString(16)}`;
}

function errnoText(e: number): string {
  const name = errname(e);
  return name === undefined ? `${e}` : `-${name}`;
}

/** Decodes a notifier answer into the names of include/linux/notifier.h and the errno table. */
export function decodeNotifierAnswer(value: number): DecodedAnswer {
  const stops = notifyStops(value);
  const toErrno = notifierToErrno(value);
  const base = { value, stops, toErrno };
  if (value === NOTIFY_DONE) return { ...base, kind: 'NOTIFY_DONE', text: 'NOTIFY_DONE (0x0)', errno: null };
  if (value === NOTIFY_OK) return { ...base, kind: 'NOTIFY_OK', text: 'NOTIFY_OK (0x1)', errno: null };
  if (value === NOTIFY_BAD) return { ...base, kind: 'NOTIFY_BAD', text: 'NOTIFY_BAD (0x8002)', errno: null };
  if (value === NOTIFY_STOP) return { ...base, kind: 'NOTIFY_STOP', text: 'NOTIFY_STOP (0x8001)', errno: null };
  if (value < 0 && value >= -MAX_ERRNO) {
    const name = errname(value);
    return { ...base, kind: 'errno', text: name === undefined ? `${value}` : `${value} (${name})`, errno: value };
  }
  // notifier_from_errno(-e) = NOTIFY_STOP_MASK | (NOTIFY_OK + e) for e in 1..32766: 0x8002 .. 0xffff.
  if (value > NOTIFY_STOP_MASK + NOTIFY_OK && value <= 0xffff && toErrno !== 0) {
    return {
      ...base,
      kind: 'notifier-errno',
      text: `notifierFromErrno(${errnoText(toErrno)}) (${hex(value)})`,
      errno: toErrno,
    };
  }
  return { ...base, kind: 'other', text: stops ? `${hex(value)} (stop bit set)` : hex(value), errno: null };
}
