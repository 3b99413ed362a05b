import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { layout } from '../files/layout';
import { writeFileAtomic } from '../files/atomicWrite';
import { buildReport } from './build';
import { burnSpec, progressSpec, runsSpec } from './charts';
import { reportHtml } from './html';
import { loadReportInput, type LiveSession } from './load';
import type { ReportInput, ReportJson } from './model';
import { renderSvg } from './svg';

/** The page for a report's data: its three figures rendered to SVG, inlined. */
export async function renderReportHtml(report: ReportJson): Promise<string> {
  const [progress, runs, burn] = await Promise.all([renderSvg(progressSpec(report)), renderSvg(runsSpec(report)), renderSvg(burnSpec(report))]);
  return reportHtml(report, { progress, runs, burn });
}

/** report.json and report.html for a report input, into `outDir`. */
export async function writeReportFiles(input: ReportInput, outDir: string): Promise<{ json: string; html: string; report: ReportJson }> {
  const report = buildReport(input);
  const html = await renderReportHtml(report);
  await mkdir(outDir, { recursive: true });
  const paths = { json: join(outDir, 'report.json'), html: join(outDir, 'report.html') };
  await writeFileAtomic(paths.json, JSON.stringify(report, null, 2) + '\n');
  await writeFileAtomic(paths.html, html);
  return { ...paths, report };
}

/** `nanogpt-bench report <id>`: the session's files (and its live queries, when given) → runs/<id>/report.{json,html}. */
export async function writeSessionReport(sessionId: string, outDir = layout.session(sessionId), live: LiveSession | null = null) {
  return writeReportFiles(loadReportInput(sessionId, live), outDir);
}
