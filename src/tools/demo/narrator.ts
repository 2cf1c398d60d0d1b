import { basisPointsToPercent, formatDuration } from '../../core/index.js';
import { bar } from '../../api/index.js';
import type { DeploymentView } from '../../api/index.js';

/** Where the demo's story goes: a terminal (bars redrawn in place) or a log (lines only). */
export interface DemoOutput {
  write(text: string): void;
  readonly isTTY?: boolean;
}

const CLEAR_LINE = '\x1b[2K';
const UP = (n: number): string => `\x1b[${n}A`;

/** One deployment's progress line: bar, weight, step, time left and the gate in words. */
export function progressLine(d: DeploymentView): string {
  const s = d.state;
  const step = s.step >= 0 ? `step ${s.step + 1}/${s.plan.length}` : 'waiting';
  const facts = [s.status === 'created' ? `waiting for ${d.after.join(', ')}` : `${s.status}, ${step}`];
  if (d.holdRemainingMs > 0)
    facts.push(`${formatDuration(d.holdRemainingMs)} ${s.status === 'baking' ? 'of bake' : 'of hold'} left`);
  if (d.gate) facts.push(`gate ${d.gate.result}`);
  return `     ${s.component.padEnd(4)} ${bar(s.weightBp)} ${basisPointsToPercent(s.weightBp).padStart(4)} on v${s.toVersion}  ${facts.join(' · ')}`;
}

/**
 * Tells the demo as it happens. On a terminal the progress bars stay at the bottom and are
 * redrawn in place; elsewhere (a log, a test) a bar is printed when its weight or state changes.
 */
export class Narrator {
  private shown: string[] = [];
  private readonly lastState = new Map<string, string>();

  constructor(private readonly out: DemoOutput) {}

  private clearProgress(): void {
    if (this.out.isTTY && this.shown.length)
      this.out.write(
        `${UP(this.shown.length)}\r${`${CLEAR_LINE}\n`.repeat(this.shown.length)}${UP(this.shown.length)}`,
      );
  }

  private drawProgress(): void {
    if (this.out.isTTY && this.shown.length) this.out.write(this.shown.map((l) => `${CLEAR_LINE}${l}\n`).join(''));
  }

  /** A line of the story (progress bars, if any, stay below it). */
  say(text = ''): void {
    this.clearProgress();
    this.out.write(`${text}\n`);
    this.drawProgress();
  }

  /** The current deployments' bars. */
  progress(rows: readonly { id: string; state: string; line: string }[]): void {
    if (this.out.isTTY) {
      this.clearProgress();
      this.shown = rows.map((r) => r.line);
      this.drawProgress();
      return;
    }
    for (const r of rows) {
      if (this.lastState.get(r.id) === r.state) continue;
      this.lastState.set(r.id, r.state);
      this.out.write(`${r.line}\n`);
    }
  }

  /** Ends a block of progress: the bars stay printed as they last were. */
  settle(): void {
    this.shown = [];
    this.lastState.clear();
  }
}
