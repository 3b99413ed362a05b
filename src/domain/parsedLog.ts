import { z } from 'zod';

/**
 * One loss-bearing line of a speedrun log: `step:N/T val_loss:X train_time:Tms step_avg:Ams`
 * (kind `val`) or, in records that print it, `step:N/T train_loss:X …` (kind `train`).
 * `loss` is null when the run printed a non-finite value (nan, inf): JSON cannot carry those.
 */
export const LossStepSchema = z.object({
  kind: z.enum(['val', 'train']),
  step: z.number().int().nonnegative(),
  totalSteps: z.number().int().positive(),
  loss: z.number().nullable(),
  trainTimeMs: z.number().int().nonnegative(),
  stepAvgMs: z.number().nonnegative().nullable(),
});
export type LossStep = z.infer<typeof LossStepSchema>;

/** What a speedrun run's output says, as far as it can be trusted. */
export const ParsedLogSchema = z.object({
  /** Loss lines in step order, one per (kind, step): ranks that print the same line count once. */
  steps: z.array(LossStepSchema),
  /** Step of the official final line, or, without one, the highest step any line reached. */
  finalStep: z.number().int().nonnegative().nullable(),
  /** The run's step count: the `T` most step lines agree on. */
  totalSteps: z.number().int().positive().nullable(),
  /** Val loss of the official final line; null without one or when it was non-finite. */
  valLoss: z.number().nullable(),
  /** The official time: train_time of the last `step:N/N val_loss:…` line. */
  trainTimeMs: z.number().int().nonnegative().nullable(),
  stepAvgMs: z.number().nonnegative().nullable(),
  peakMemoryAllocatedMib: z.number().int().nonnegative().nullable(),
  peakMemoryReservedMib: z.number().int().nonnegative().nullable(),
  torchVersion: z.string().nullable(),
  cudaVersion: z.string().nullable(),
  /** A final line exists, ends the run, and carries a finite loss and a consistent time. */
  complete: z.boolean(),
  /** Why the run is not complete (truncated, NaN, forged final line…); null when complete. */
  invalidReason: z.string().nullable(),
});
export type ParsedLog = z.infer<typeof ParsedLogSchema>;
