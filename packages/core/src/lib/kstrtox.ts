import { EINVAL, ERANGE } from '../constants/errno.ts';

const ULLONG_MAX = (1n << 64n) - 1n;

function digitValue(c: string): number {
  const code = c.toLowerCase().charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return 99;
}

/** Models _parse_integer_fixup_radix() + _parse_integer(), lib/kstrtox.c: digits read and the value (mod 2^64). */
function parseInteger(
  s: string,
  base: number,
): { base: number; start: number; digits: number; value: bigint; overflow: boolean } {
  let start = 0;
  if (base === 0) {
    if (s[0] === '0') base = s[1]?.toLowerCase() === 'x' && digitValue(s[2] ?? '') < 16 ? 16 : 8;
    else base = 10;
  }
  if (base === 16 && s[0] === '0' && s[1]?.toLowerCase() === 'x') start = 2;
  let value = 0n;
  let digits = 0;
  let overflow = false;
  for (let i = start; i < s.length; i++) {
    const v = digitValue(s[i]!);
    if (v >= base) break;
    value = value * BigInt(base) + BigInt(v);
    if (value > ULLONG_MAX) {
      overflow = true;
      value &= ULLONG_MAX;
    }
    digits++;
  }
  return { base, start, digits, value, overflow };
}

/**
 * Models kstrtoul(s, base, &res), lib/kstrtox.c: an optional '+', the number (base 0: 0x hex, 0 octal, else
 * decimal), at most one trailing newline, nothing else. Returns the value or -EINVAL / -ERANGE.
 */
export function kstrtoul(s: string, base = 0): bigint | number {
  if (s[0] === '+') s = s.slice(1);
  const r = parseInteger(s, base);
  if (r.overflow) return -ERANGE;
  if (r.digits === 0) return -EINVAL;
  let rest = s.slice(r.start + r.digits);
  if (rest[0] === '\n') rest = rest.slice(1);
  if (rest.length > 0) return -EINVAL;
  return r.value;
}

const SPACE = /^[ \t\n\v\f\r]*/;

/**
 * Models vsscanf() of lib/vsprintf.c for a format made only of `%x` conversions (the last may be `%lx`) separated
 * by spaces: skips white space, reads one hex number (optional 0x) per conversion, stops at the first that does
 * not parse. Returns the values read (u32 for %x, u64 for %lx); their count is sscanf's return.
 */
export function sscanfHex(buf: string, conversions: number, lastIsLong = false): bigint[] {
  const out: bigint[] = [];
  let s = buf;
  for (let i = 0; i < conversions; i++) {
    s = s.replace(SPACE, '');
    if (s.length === 0 || digitValue(s[0]!) >= 16) break;
    // As simple_strtoull(): a "0x" prefix is skipped even when no digit follows it (the value is then 0).
    const r = parseInteger(s, 16);
    const long = lastIsLong && i === conversions - 1;
    out.push(long ? r.value : r.value & 0xffffffffn);
    s = s.slice(r.start + r.digits);
  }
  return out;
}
