/**
 * Progress reporting: bars with ETA on a terminal (cli-progress), plain coarse lines elsewhere (CI logs),
 * nothing but the final summary with --quiet. Everything goes to stderr; stdout stays for results.
 */
import cliProgress from 'cli-progress';

export interface ProgressTask {
  tick(n?: number): void;
  done(): void;
}

export class Progress {
  private readonly tty: boolean;
  private multi: cliProgress.MultiBar | undefined;

  constructor(private readonly quiet: boolean, stream: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(stream.isTTY) && !process.env.CI;
  }

  /** A one-off message (a stage starting, a note). */
  log(message: string): void {
    if (this.quiet) return;
    if (this.multi) this.multi.log(`${message}\n`);
    else process.stderr.write(`${message}\n`);
  }

  /** Always printed, even with --quiet (warnings that affect the numbers, the final summary). */
  notice(message: string): void {
    if (this.multi) this.multi.log(`${message}\n`);
    else process.stderr.write(`${message}\n`);
  }

  task(label: string, total: number): ProgressTask {
    if (this.quiet || total <= 0) return { tick: () => {}, done: () => {} };
    if (this.tty) {
      this.multi ??= new cliProgress.MultiBar(
        { format: ' {bar} {percentage}% | {value}/{total} | ETA {eta_formatted} | {label}', hideCursor: true, clearOnComplete: false, etaBuffer: 50 },
        cliProgress.Presets.shades_classic,
      );
      const bar = this.multi.create(total, 0, { label });
      return {
        tick: (n = 1) => bar.increment(n),
        done: () => {
          bar.update(total);
          bar.stop();
        },
      };
    }
    // Plain lines: start, every ~25 %, end.
    const started = Date.now();
    let value = 0;
    let nextReport = total / 4;
    process.stderr.write(`${label}: 0/${total}\n`);
    return {
      tick: (n = 1) => {
        value += n;
        if (value >= nextReport && value < total) {
          const eta = ((Date.now() - started) / value) * (total - value);
          process.stderr.write(`${label}: ${value}/${total} (ETA ${Math.ceil(eta / 1000)} s)\n`);
          nextReport += total / 4;
        }
      },
      done: () => process.stderr.write(`${label}: ${total}/${total} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`),
    };
  }

  stop(): void {
    this.multi?.stop();
    this.multi = undefined;
  }
}
