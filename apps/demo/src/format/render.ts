import type { RunResult } from '../run/run.ts';
import { formatJson } from './json.ts';
import { formatJsonl } from './jsonl.ts';
import { formatKtap } from './ktap.ts';
import { formatMermaid } from './mermaid.ts';
import { formatPerfetto } from './perfetto.ts';
import type { Style } from './style.ts';
import { formatText } from './text.ts';

/** How a run is written in one output format. */
export interface RenderOptions {
  readonly style: Style;
  readonly verbose: boolean;
  /** Columns to fit text into; undefined: no limit (stdout is not a terminal and COLUMNS is not set). */
  readonly width?: number;
}

/**
 * The output formats of `sim run`, by name, in the order `sim help run` lists them (text, the default, first). A new
 * format is a renderer here; the run command's `formats` come from this table.
 */
export const RUN_RENDERERS: Readonly<Record<string, (run: RunResult, o: RenderOptions) => string>> = {
  text: (run, o) => formatText(run, { style: o.style, verbose: o.verbose, width: o.width }),
  json: (run) => `${JSON.stringify(formatJson(run), null, 2)}\n`,
  jsonl: (run) => formatJsonl(run),
  mermaid: (run) => formatMermaid(run),
  perfetto: (run) => `${JSON.stringify(formatPerfetto(run))}\n`,
  ktap: (run) => formatKtap(run),
};

export const FORMATS = Object.keys(RUN_RENDERERS);

/** A run in one of the output formats. */
export function render(run: RunResult, format: string, o: RenderOptions): string {
  const r = RUN_RENDERERS[format];
  if (r === undefined) throw new Error(`no renderer for format '${format}'`);
  return r(run, o);
}
