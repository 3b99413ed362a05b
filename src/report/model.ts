import { z } from 'zod';
import type { AgentUsageSummary } from '../agents/usage';
import type { SessionSummary } from '../domain/session';
import type { SubmissionRecord } from '../domain/submission';
import type { LaunchTranscript } from './transcript';

/**
 * The end-of-session confirmation (best candidates re-timed interleaved with the anchor), when
 * summary.json carries one. Read with a schema: the summary may come from another version.
 */
const Ci = z.tuple([z.number(), z.number()]);
export const ConfirmationSchema = z.object({
  // null when nothing could be confirmed (no accepted candidate, or its runs failed): `note` says why.
  headline: z.object({ submissionId: z.string(), speedupSeconds: z.number(), ci95: Ci, humanProgressPercent: z.number() }).nullable(),
  note: z.string().optional(),
  candidates: z.array(
    z.object({
      submissionId: z.string(),
      candidateRunsS: z.array(z.number()),
      anchorRunsS: z.array(z.number()),
      speedupSeconds: z.number(),
      ci95: Ci,
      humanProgressPercent: z.number(),
    }),
  ),
  // The horizon record timed in the same rounds: the 100% mark (absent in older summaries).
  horizon: z.object({ speedupSeconds: z.number(), ci95: Ci, runsS: z.array(z.number()) }).optional(),
  progressBasis: z.enum(['same-window', 'calibration']).optional(),
});
export type Confirmation = z.infer<typeof ConfirmationSchema>;

/** What the report is made from: the files a session leaves in runs/<id>/ (see load.ts). */
export interface ReportInput {
  summary: SessionSummary & { confirmation?: Confirmation };
  agentModel: string | null;
  submissions: SubmissionRecord[];
  /** The anchor's timed reference runs on this hardware. */
  reference: { trainTimesMs: number[]; valLosses: number[] } | null;
  targetValLoss: number | null;
  usage: AgentUsageSummary | null;
  launches: LaunchTranscript[];
  /** When the agent sandbox held GPUs: one interval per launch (end null while running). */
  agentIntervals: { startMs: number; endMs: number | null }[];
  /** The human record history as % of human progress (0: the anchor, 100: the horizon). */
  human: HumanLevel[];
  generatedAt: string;
}

export interface HumanLevel {
  name: string;
  date: string | null;
  percent: number;
}

export interface ReportRun {
  index: number;
  trainTimeS: number | null;
  valLoss: number | null;
  invalidReason: string | null;
}

export interface ReportSubmission {
  id: string;
  path: string;
  state: string;
  submittedAt: string;
  accepted: boolean;
  reasons: string[];
  runs: ReportRun[];
  meanTimeS: number | null;
  timeCi95: [number, number] | null;
  meanValLoss: number | null;
  valLossCi95: [number, number] | null;
  speedupSeconds: number | null;
  speedupCi95: [number, number] | null;
  humanProgressPercent: number | null;
  /** Budget spent (all categories) when the verdict came, as reconstructed in timeline.ts. */
  gpuHoursAtVerdict: number;
}

export interface Headline {
  source: 'confirmation' | 'validation' | 'none';
  submissionId: string | null;
  speedupSeconds: number | null;
  ci95: [number, number] | null;
  humanProgressPercent: number | null;
}

/** report.json: everything the page shows, as data (the plots are made from it). */
export interface ReportJson {
  version: 1;
  generatedAt: string;
  session: { id: string; agent: string; model: string | null; anchor: string; phase: string; startedAt: string; deadline: string; endReason: string | null };
  headline: Headline;
  budget: { grantedGpuHours: number; usedGpuHours: number; remainingGpuHours: number; byCategory: Record<string, number> };
  agentUsage: AgentUsageSummary | null;
  reference: { trainTimesS: number[]; valLosses: number[]; meanS: number; ci95: [number, number] | null } | null;
  targetValLoss: number | null;
  submissions: ReportSubmission[];
  confirmation: Confirmation | null;
  /** The best accepted speedup so far, after each verdict, against GPU-hours spent. */
  progress: { gpuHours: number; percent: number; submissionId: string }[];
  /** Cumulative GPU-hours by category over wall time (reconstructed: see timeline.ts). */
  burn: { at: string; category: string; gpuHours: number }[];
  human: HumanLevel[];
  transcript: LaunchTranscript[];
}
