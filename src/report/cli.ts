/** `rbench report <results.json> [--out FILE]`: (re)renders the HTML report of a results file, with summary.md and summary.svg beside it. */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { readResultsFile } from './input.js';
import { writeReport, type WrittenReport } from './render.js';

export interface ReportArgs {
  results: string;
  out?: string;
}

/**
 * Where the report goes: `--out FILE`, or `index.html` inside `--out` when it names an existing folder,
 * default `index.html` beside the results file. Never the results file itself.
 */
export function reportTarget(resultsFile: string, out: string | undefined): string {
  let target = out === undefined ? path.join(path.dirname(resultsFile), 'index.html') : out;
  if (out !== undefined && fs.existsSync(out) && fs.statSync(out).isDirectory()) target = path.join(out, 'index.html');
  if (path.resolve(target) === path.resolve(resultsFile)) {
    throw new UsageError('--out names the results file itself; the report would overwrite it.', { file: resultsFile, hint: 'Give another file name, e.g. --out report.html.' });
  }
  return target;
}

export async function reportCommandImpl(args: ReportArgs): Promise<number> {
  const results = readResultsFile(args.results);
  const target = reportTarget(args.results, args.out);
  let written: WrittenReport;
  try {
    written = await writeReport(results, target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR' || code === 'EROFS' || code === 'EISDIR') {
      throw new UsageError(`cannot write the report (${code}).`, { file: target, hint: 'Check that the folder exists and is writable, or pass another --out.', cause: e });
    }
    throw e;
  }
  const rel = (f: string) => path.relative(process.cwd(), f) || f;
  const kb = Math.round(fs.statSync(written.file).size / 1024);
  process.stderr.write(`rbench: report ${rel(written.file)} (${kb} KB, self-contained); summary ${rel(written.summary)}${written.summarySvg ? ` with ${path.basename(written.summarySvg)}` : ''}\n`);
  return 0;
}
