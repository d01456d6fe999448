import { createInterface } from 'node:readline';
import { errdesc, type Kernel } from '@sim/core';
import type { Style } from '../format/style.ts';
import { notifyName } from '../format/style.ts';
import { narrateEvents } from '../format/text.ts';
import type { Io } from '../io.ts';
import { Session } from '../run/session.ts';
import { BUS_NOTIFY_NAMES } from '../scenario/schema.ts';
import { parseStep, VERBS } from '../scenario/steps.ts';
import type { Command, Scenario } from '../scenario/types.ts';
import { neutralise } from '../terminal.ts';

const SHELL_WORDS = ['help', 'history', 'exit', 'trace'];

/** A scenario with nothing in it, for `sim shell` without one. */
export function emptyScenario(profile: string): Scenario {
  return {
    name: 'shell',
    file: '(none)',
    description: '',
    profile,
    profiles: [profile],
    inapplicable: {},
    plugins: [],
    machine: null,
    buses: [],
    devices: [],
    drivers: [],
    notifiers: [],
    inject: [],
    steps: [],
    tasks: [],
    schedule: null,
    explore: null,
    expect: { drivers: new Map(), oops: null, dmesg: [], dmesgAbsent: [] },
    expectByProfile: {},
  };
}

/**
 * Completes the word under the cursor: a command name first, then sysfs paths (directories get a trailing '/',
 * as bash completes them), /dev nodes, or driver names after modprobe/rmmod.
 */
export function completer(kernel: Kernel, drivers: readonly string[]) {
  return (line: string): [string[], string] => {
    const words = line.split(/\s+/);
    const word = words.at(-1) ?? '';
    if (words.length <= 1) {
      const all = [...Object.keys(VERBS), ...SHELL_WORDS].sort();
      const hits = all.filter((w) => w.startsWith(word));
      return [hits.map((h) => `${h} `), word];
    }
    if (words[0] === 'modprobe' || words[0] === 'rmmod') {
      return [drivers.filter((d) => d.startsWith(word)), word];
    }
    if (word.startsWith('/dev')) {
      return [kernel.dev.list().filter((p) => p.startsWith(word)), word];
    }
    if (word.startsWith('/')) {
      if (!'/sys/'.startsWith(word.slice(0, 5)) && !word.startsWith('/sys/')) return [[], word];
      if (!word.startsWith('/sys/')) return [['/sys/'], word];
      const cut = word.lastIndexOf('/');
      const dir = word.slice(0, cut) || '/';
      const prefix = word.slice(cut + 1);
      const names = kernel.sysfs.list(dir);
      if (typeof names === 'number') return [[], word];
      const hits = names
        .filter((n) => n.startsWith(prefix))
        .map((n) => {
          const full = `${dir}/${n}`;
          const st = kernel.sysfs.stat(full);
          const isDir =
            typeof st !== 'number' &&
            (st.type === 'dir' || (st.type === 'link' && Array.isArray(kernel.sysfs.list(full))));
          return isDir ? `${full}/` : full;
        });
      return [hits, word];
    }
    return [[], word];
  };
}

/** What a shell prints for a failed command, as coreutils and bash word it. */
function failure(c: Command, result: number): string {
  const why = errdesc(result) ?? `error ${result}`;
  switch (c.verb) {
    case 'echo':
      return `sh: echo: write error: ${why}`;
    case 'modprobe':
      return `modprobe: ERROR: could not insert '${c.driver}': ${why}`;
    case 'rmmod':
      return `rmmod: ERROR: Module ${c.driver} is not currently loaded`;
    case 'dmesg':
      return `dmesg: ${why}`;
    case 'ioctl':
      return `ioctl: ${c.path} ${c.cmd}: ${why}`;
    case 'notify':
      return `notify: the chain answered ${result} (${why})`;
    case 'inject':
      return `inject: ${c.chain}: ${why}`;
    case 'inject-probe':
      return `inject-probe: ${c.probe}: ${why}`;
    default:
      return `${c.verb}: ${c.path}: ${why}`;
  }
}

/**
 * What the scenario loader checks of a `notify` step, against the live kernel: the bus exists, the event is one of
 * the running kernel's BUS_NOTIFY_* names, and the device (unless NULL) is on that bus. The message, or null.
 */
export function checkNotify(k: Kernel, c: Command): string | null {
  if (c.verb !== 'notify') return null;
  const buses = k.buses().map((b) => b.name);
  if (!buses.includes(c.bus)) return `notify: unknown bus '${c.bus}'; expected one of ${buses.join(', ')}`;
  if (k.busEvents.value(c.event) === undefined) {
    return `notify: unknown event '${c.event}'; expected one of ${BUS_NOTIFY_NAMES.filter((n) => k.busEvents.value(n) !== undefined).join(', ')}`;
  }
  if (c.device !== null && k.device(c.device, c.bus) === undefined) {
    const names = k
      .bus(c.bus)
      .devices()
      .map((d) => d.name);
    return `notify: unknown device '${c.device}' on bus '${c.bus}'; expected one of ${[...names, 'NULL'].join(', ')}`;
  }
  return null;
}

/** `sim shell`: a prompt over a live kernel. Reads commands until end of input or `exit`. */
export async function runShell(scenario: Scenario | null, profile: string, io: Io, style: Style): Promise<number> {
  const sc = scenario ?? emptyScenario(profile);
  const session = new Session(sc, profile);
  const k = session.kernel;
  const history: string[] = [];
  let trace = true;
  const interactive = io.stdin.isTTY === true;
  const rl = createInterface({
    input: io.stdin,
    output: io.stdout,
    terminal: interactive,
    completer: completer(
      k,
      sc.drivers.map((d) => d.name),
    ),
    historySize: 1000,
    prompt: style.bold(`root@sim:~# `),
  });
  // On a terminal, control characters from scenario text are shown, not obeyed (the prompt's own codes are
  // readline's, written past this).
  const show = io.stdout.isTTY === true ? neutralise : (t: string) => t;
  const say = (text: string) => io.stdout.write(show(text.endsWith('\n') ? text : `${text}\n`));
  say(
    style.dim(
      `sim shell: ${sc.name === 'shell' ? 'an empty machine' : `scenario ${sc.name}`}, profile ${profile}. Type help.`,
    ),
  );
  const prompt = () => {
    if (interactive) rl.prompt();
    else io.stdout.write('root@sim:~# ');
  };
  prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line !== '' && !line.startsWith('#')) history.push(line);
    if (line === '' || line.startsWith('#')) {
      prompt();
      continue;
    }
    if (line === 'exit' || line === 'logout') break;
    if (line === 'help') {
      say(`commands: ${Object.values(VERBS).join(', ')}; history; trace on|off; exit. Tab completes /sys paths.`);
    } else if (line === 'history') {
      say(history.map((h, i) => `${String(i + 1).padStart(5)}  ${h}`).join('\n'));
    } else if (line === 'trace on' || line === 'trace off') {
      trace = line === 'trace on';
    } else if (k.oops !== null) {
      say(style.red(`the kernel died (${k.oops.message}); nothing runs any more. exit, and start again`));
    } else {
      const c = parseStep(line);
      if ('message' in c) {
        say(`sh: ${c.message}; expected ${c.expected}`);
      } else if ((c.verb === 'modprobe' || c.verb === 'rmmod') && !sc.drivers.some((d) => d.name === c.driver)) {
        say(
          `modprobe: FATAL: Module ${c.driver} not found (the scenario's drivers: ${sc.drivers.map((d) => d.name).join(', ') || 'none'})`,
        );
      } else if (checkNotify(k, c) !== null) {
        say(`sh: ${checkNotify(k, c)}`);
      } else if ((c.verb === 'open' || c.verb === 'ioctl' || c.verb === 'close') && !k.dev.exists(c.path)) {
        say(`${c.verb}: ${c.path}: No such file or directory`);
      } else {
        const from = session.events.length;
        const { result, output } = session.exec(c);
        if (trace) {
          const lines = narrateEvents(session.events.slice(from), { style, width: 80 }, '  ');
          if (lines.length > 0) say(style.dim(lines.join('\n')));
        }
        if (output !== null && output !== '') io.stdout.write(show(output));
        if (result === null)
          say(style.red(`${(k as Kernel).oops?.message ?? 'oops'}\nSegmentation fault (the task died in the oops)`));
        else if (result < 0) say(failure(c, result));
        else if (c.verb === 'open') say(`fd ${result}`);
        else if (c.verb === 'notify') say(notifyName(result));
      }
    }
    prompt();
  }
  rl.close();
  if (!interactive) io.stdout.write('\n');
  session.recording.stop();
  k.close();
  return 0;
}
