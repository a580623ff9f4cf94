import type { OptionSpec } from './CommandLineParser.js';

const WIDTH = 80;
const LEFT_PAD = 5;
const DESC_PAD = 3;

/** Renders option tables as Commons CLI's HelpFormatter does for Flink's `--help` (left padding 5, width 80). */
export function renderOptions(specs: readonly OptionSpec[]): string[] {
  const heads = specs.map((spec) => {
    let head = spec.short ? `-${spec.short}` : '';
    if (spec.long) head += `${head ? ',' : ''}--${spec.long}`;
    if (spec.arg !== 'none') head += spec.arg === 'optional' ? ` <${spec.argName ?? 'arg'}>` : ` <${spec.argName ?? 'arg'}>`;
    return head;
  });
  const headWidth = Math.max(...heads.map((h) => h.length));
  const descWidth = WIDTH - LEFT_PAD - headWidth - DESC_PAD;
  const lines: string[] = [];
  specs.forEach((spec, i) => {
    const wrapped = wrap(spec.description, Math.max(descWidth, 20));
    lines.push(`${' '.repeat(LEFT_PAD)}${heads[i]!.padEnd(headWidth)}${' '.repeat(DESC_PAD)}${wrapped[0] ?? ''}`.trimEnd());
    for (const more of wrapped.slice(1)) lines.push(`${' '.repeat(LEFT_PAD + headWidth + DESC_PAD)}${more}`);
  });
  return lines;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  }
  return lines;
}
