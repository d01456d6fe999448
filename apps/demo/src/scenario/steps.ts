import type { Command, Verb } from './types.ts';

/** The forms an injection takes, for messages. */
export const INJECT_FORMS = {
  step: 'inject CHAIN ACTION ANSWER [priority N] [times N]',
  probeStep: 'inject-probe DRIVER ERRNO [nth N] [bus BUS]',
  option: 'CHAIN:ACTION=ANSWER[,priority=N][,times=N] (e.g. pci:BUS_NOTIFY_BIND_DRIVER=NOTIFY_BAD)',
  probeOption: 'probe:[BUS/]DRIVER=ERRNO[@N] (e.g. probe:snd_hda_intel=-ENOMEM@1)',
  sysfsOption: 'sysfs:NAME=ERRNO[,times=N] (e.g. sysfs:lpss_ltr=-ENOMEM,times=1)',
} as const;

/** An integer as a step or an option writes it (`-16`, `0x8002`), or null. */
export function intText(text: string): number | null {
  if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(text)) return null;
  const neg = text.startsWith('-');
  const n = Number(neg ? text.slice(1) : text);
  const v = neg ? -n : n;
  return Number.isSafeInteger(v) ? v : null;
}

/** The verbs a step may use, with the form each takes (shown when a step does not parse). */
export const VERBS: Readonly<Record<Verb, string>> = {
  echo: 'echo [-n] TEXT > /sys/PATH',
  cat: 'cat /sys/PATH',
  ls: 'ls /sys/PATH',
  readlink: 'readlink [-f] /sys/PATH',
  modprobe: 'modprobe DRIVER',
  rmmod: 'rmmod DRIVER',
  open: 'open /dev/PATH',
  ioctl: 'ioctl /dev/PATH COMMAND [ARG]',
  close: 'close /dev/PATH',
  dmesg: 'dmesg [-C]',
  notify: 'notify BUS BUS_NOTIFY_EVENT DEVICE|NULL',
  inject: INJECT_FORMS.step,
  'inject-probe': INJECT_FORMS.probeStep,
};

/** A step that does not parse: what is wrong, where in the line, and what would be accepted. */
export interface StepError {
  readonly message: string;
  /** 0-based offset in the step text. */
  readonly offset: number;
  readonly expected: string;
}

interface Token {
  readonly text: string;
  readonly offset: number;
  /** Written with quotes (so `>` inside quotes is text). */
  readonly quoted: boolean;
}

/** Splits a line as a POSIX shell would for these simple commands: blanks, '…' and "…" quoting, backslash escapes. */
export function tokenize(line: string): Token[] | StepError {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    const start = i;
    let text = '';
    let quoted = false;
    if (c === '>') {
      tokens.push({ text: '>', offset: i, quoted: false });
      i++;
      continue;
    }
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t' && line[i] !== '>') {
      const d = line[i]!;
      if (d === "'" || d === '"') {
        const end = line.indexOf(d, i + 1);
        if (end === -1) {
          return { message: `unterminated ${d} quote`, offset: i, expected: `a closing ${d}` };
        }
        let inner = line.slice(i + 1, end);
        if (d === '"') inner = inner.replace(/\\(["\\$`])/g, '$1');
        text += inner;
        quoted = true;
        i = end + 1;
      } else if (d === '\\' && i + 1 < line.length) {
        text += line[i + 1];
        i += 2;
      } else {
        text += d;
        i++;
      }
    }
    tokens.push({ text, offset: start, quoted });
  }
  return tokens;
}

/** Kernel-style escapes `echo -e` would not need: sim's echo writes its text plus "\n" (without -n), as bash's does. */
function echoText(words: readonly Token[], newline: boolean): string {
  return words.map((w) => w.text).join(' ') + (newline ? '\n' : '');
}

function isVerb(word: string): word is Verb {
  return Object.hasOwn(VERBS, word);
}

/** Parses one step line. */
export function parseStep(line: string): Command | StepError {
  const tokens = tokenize(line);
  if (!Array.isArray(tokens)) return tokens;
  const [first, ...rest] = tokens;
  if (first === undefined) {
    return { message: 'empty step', offset: 0, expected: `a command: ${Object.keys(VERBS).join(', ')}` };
  }
  if (!isVerb(first.text)) {
    return {
      message: `unknown step verb '${first.text}'`,
      offset: first.offset,
      expected: `one of ${Object.keys(VERBS).join(', ')}`,
    };
  }
  const verb = first.text;
  const form = VERBS[verb];
  const end = line.replace(/\s+$/, '').length;
  const pathArg = (tok: Token | undefined, root: '/sys' | '/dev'): string | StepError => {
    if (tok === undefined) return { message: `'${verb}' needs a path`, offset: end, expected: form };
    if (tok.text !== root && !tok.text.startsWith(`${root}/`)) {
      return { message: `'${verb}' works on ${root} paths, got '${tok.text}'`, offset: tok.offset, expected: form };
    }
    return tok.text;
  };
  switch (verb) {
    case 'echo': {
      const gt = rest.findIndex((t) => t.text === '>' && !t.quoted);
      if (gt === -1) return { message: "'echo' without '> /sys/…'", offset: end, expected: form };
      let words = rest.slice(0, gt);
      let newline = true;
      if (words[0]?.text === '-n' && !words[0].quoted) {
        newline = false;
        words = words.slice(1);
      }
      const after = rest.slice(gt + 1);
      if (after.length > 1) return { message: 'text after the path', offset: after[1]!.offset, expected: form };
      const path = pathArg(after[0], '/sys');
      if (typeof path !== 'string') return path;
      return { verb, text: echoText(words, newline), path };
    }
    case 'cat':
    case 'ls':
    case 'open':
    case 'close': {
      if (rest.length > 1) return { message: `'${verb}' takes one path`, offset: rest[1]!.offset, expected: form };
      const path = pathArg(rest[0], verb === 'open' || verb === 'close' ? '/dev' : '/sys');
      if (typeof path !== 'string') return path;
      return { verb, path };
    }
    case 'readlink': {
      let args = rest;
      let canonical = false;
      if (args[0]?.text === '-f') {
        canonical = true;
        args = args.slice(1);
      }
      if (args.length > 1) return { message: "'readlink' takes one path", offset: args[1]!.offset, expected: form };
      const path = pathArg(args[0], '/sys');
      if (typeof path !== 'string') return path;
      return { verb, path, canonical };
    }
    case 'modprobe':
    case 'rmmod': {
      if (rest.length !== 1) {
        return {
          message: `'${verb}' takes one driver name`,
          offset: rest[1]?.offset ?? end,
          expected: form,
        };
      }
      return { verb, driver: rest[0]!.text };
    }
    case 'ioctl': {
      if (rest.length < 2 || rest.length > 3) {
        return {
          message: "'ioctl' takes a path, a command and an optional argument",
          offset: rest[3]?.offset ?? end,
          expected: form,
        };
      }
      const path = pathArg(rest[0], '/dev');
      if (typeof path !== 'string') return path;
      return { verb, path, cmd: rest[1]!.text, arg: rest[2]?.text ?? null };
    }
    case 'notify': {
      if (rest.length !== 3) {
        return {
          message: "'notify' takes a bus, an event and a device (or NULL)",
          offset: rest[3]?.offset ?? end,
          expected: form,
        };
      }
      return {
        verb,
        bus: rest[0]!.text,
        event: rest[1]!.text,
        device: rest[2]!.text === 'NULL' ? null : rest[2]!.text,
      };
    }
    case 'inject':
    case 'inject-probe': {
      const fixed = verb === 'inject' ? 3 : 2;
      if (rest.length < fixed) {
        return {
          message: `'${verb}' takes ${verb === 'inject' ? 'a chain, an action and an answer' : 'a driver and an errno'}`,
          offset: end,
          expected: form,
        };
      }
      const keys = verb === 'inject' ? ['priority', 'times'] : ['nth', 'bus'];
      const opts: Record<string, string | number> = {};
      for (let i = fixed; i < rest.length; i += 2) {
        const key = rest[i]!;
        const value = rest[i + 1];
        if (!keys.includes(key.text) || Object.hasOwn(opts, key.text)) {
          return {
            message: `${Object.hasOwn(opts, key.text) ? `'${key.text}' given twice` : `unknown word '${key.text}'`}`,
            offset: key.offset,
            expected: form,
          };
        }
        if (value === undefined) return { message: `'${key.text}' needs a value`, offset: end, expected: form };
        if (key.text === 'bus') {
          opts.bus = value.text;
          continue;
        }
        const n = intText(value.text);
        if (n === null) {
          return { message: `${key.text} '${value.text}' is not an integer`, offset: value.offset, expected: form };
        }
        opts[key.text] = n;
      }
      const a = rest[0]!.text;
      const b = rest[1]!.text;
      if (verb === 'inject-probe') return { verb, probe: a, errno: intText(b) ?? b, ...opts };
      const c = rest[2]!.text;
      return { verb, chain: a, action: intText(b) ?? b, answer: intText(c) ?? c, ...opts };
    }
    case 'dmesg': {
      if (rest.length === 0) return { verb, clear: false };
      if (rest.length === 1 && rest[0]!.text === '-C') return { verb, clear: true };
      return { message: "'dmesg' takes only -C", offset: rest[0]!.offset, expected: form };
    }
  }
}

/** The step as a person would type it again (used by the shell's history and the traces). */
export function formatCommand(c: Command): string {
  const q = (s: string) => (/^[\w/.:,@+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  switch (c.verb) {
    case 'echo': {
      const nl = c.text.endsWith('\n');
      const body = nl ? c.text.slice(0, -1) : c.text;
      return `echo ${nl ? '' : '-n '}${body === '' ? "''" : q(body)} > ${c.path}`;
    }
    case 'readlink':
      return `readlink ${c.canonical ? '-f ' : ''}${c.path}`;
    case 'modprobe':
    case 'rmmod':
      return `${c.verb} ${c.driver}`;
    case 'ioctl':
      return `ioctl ${c.path} ${c.cmd}${c.arg === null ? '' : ` ${c.arg}`}`;
    case 'dmesg':
      return c.clear ? 'dmesg -C' : 'dmesg';
    case 'notify':
      return `notify ${c.bus} ${c.event} ${c.device ?? 'NULL'}`;
    case 'inject':
      return `inject ${c.chain} ${c.action} ${q(String(c.answer))}${c.priority === undefined ? '' : ` priority ${c.priority}`}${c.times === undefined ? '' : ` times ${c.times}`}`;
    case 'inject-probe':
      return `inject-probe ${c.probe} ${c.errno}${c.nth === undefined ? '' : ` nth ${c.nth}`}${c.bus === undefined ? '' : ` bus ${c.bus}`}`;
    default:
      return `${c.verb} ${c.path}`;
  }
}
