// Progress for the report's parts: a cli-progress bar with ETA on a terminal; otherwise (CI, a
// pipe, or cli-progress not installed) one plain line per finished part. Everything goes to
// stderr when stdout is reserved for --json.
import { createRequire } from 'node:module';

function cliProgress() {
  try {
    return createRequire(import.meta.url)('cli-progress');
  } catch {
    return null;
  }
}

/**
 * @param {{ stream: NodeJS.WriteStream }} options where progress and lines go
 * @returns {{ part(name: string, total: number, unit: string): { update(value: number, note?: string): void, done(summary: string): void }, line(text: string): void }}
 */
export function createProgress({ stream }) {
  const library = stream.isTTY ? cliProgress() : null;
  const line = (text) => stream.write(`${text}\n`);
  const part = (name, total, unit) => {
    const started = performance.now();
    let bar = null;
    if (library) {
      bar = new library.SingleBar(
        {
          stream,
          format: `${name.padEnd(34)} {bar} {percentage}% | ETA {eta_formatted} | {value}/{total} ${unit} {note}`,
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        },
        library.Presets.shades_classic,
      );
      bar.start(total, 0, { note: '' });
    }
    return {
      update(value, note = '') {
        bar?.update(value, { note });
      },
      done(summary) {
        bar?.stop();
        const seconds = ((performance.now() - started) / 1e3).toFixed(1);
        line(`✓ ${name}: ${summary} (${seconds} s)`);
      },
    };
  };
  return { part, line };
}
