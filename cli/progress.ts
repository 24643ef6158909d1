import { wallNowMs } from '../sim/kernel/wall-clock.ts';

/** A one-line progress bar on stderr, shown only on a terminal and only after one second. */
export class ProgressBar {
  readonly #start = wallNowMs();
  readonly #label: string;
  #lastDraw = 0;
  #shown = false;

  constructor(label: string) {
    this.#label = label;
  }

  /**
   * Redraws the bar for `fraction` (0..1) done, at most every 100 ms of wall time; `detail` is
   * written after it (`12 failing, 8.1 seeds/s`).
   */
  update(fraction: number, detail?: string): void {
    if (!process.stderr.isTTY) return;
    const now = wallNowMs();
    if (now - this.#start < 1000 || now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    this.#shown = true;
    const width = 30;
    const done = Math.round(Math.min(1, fraction) * width);
    const elapsed = (now - this.#start) / 1000;
    const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : 0;
    process.stderr.write(
      `\r  ${this.#label} [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${elapsed.toFixed(1)} s, ~${eta.toFixed(0)} s left ${detail === undefined ? '' : ` ${detail} `}`,
    );
  }

  /** Erases the bar, if it was ever drawn. */
  clear(): void {
    if (this.#shown) process.stderr.write('\r\x1b[2K');
  }
}
