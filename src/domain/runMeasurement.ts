import { z } from 'zod';

/** One timed run as the `verdict` command reads it: the run log's final val loss and official time. */
export const RunMeasurementSchema = z.object({
  val_loss: z.number(),
  train_time_ms: z.number().nonnegative(),
});
export type RunMeasurement = z.infer<typeof RunMeasurementSchema>;

export const RunMeasurementsSchema = z.array(RunMeasurementSchema);

/**
 * Validates a runs file's parsed JSON; the error names the field, e.g.
 * `runs[3].val_loss: Invalid input: expected number, received string`.
 */
export function parseRunMeasurements(input: unknown, label = 'runs'): RunMeasurement[] {
  const r = RunMeasurementsSchema.safeParse(input);
  if (r.success) return r.data;
  const message = r.error.issues
    .map((issue) => `${label}${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${issue.message}`)
    .join('; ');
  throw new Error(`invalid ${label} file: ${message}`);
}
