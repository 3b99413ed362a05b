/**
 * When a cached calibration (the anchor's reference runs on this machine) may be reused. The key
 * names hardware and software (driver, CUDA, PyTorch, Python, image): a new driver or PyTorch
 * changes the times as surely as a new GPU does. Age is bounded too: GPUs drift over days.
 */
export interface CalibrationFacts {
  anchor: string;
  anchorHash: string;
  horizonHash: string | null;
  gpus: number;
  runs: number;
  sandbox: string;
  image: string | null;
  cpu: string;
  cpuCount: number;
  gpuNames: string;
  driver: string;
  cuda: string;
  torch: string;
  python: string;
}

/** Canonical text of the facts, keys sorted: what the cache key hashes. */
export function canonicalFacts(facts: CalibrationFacts): string {
  return JSON.stringify(Object.fromEntries(Object.entries(facts).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/** Why a cached calibration cannot serve, or null when it can. */
export function calibrationUnusable(storedAtMs: number | undefined, nowMs: number, maxAgeHours: number, recalibrate: boolean): string | null {
  if (recalibrate) return 'recalibrate asked';
  if (storedAtMs === undefined) return 'cached before calibrations carried their age';
  const ageH = (nowMs - storedAtMs) / 3600_000;
  if (ageH > maxAgeHours) return `cached ${ageH.toFixed(1)} h ago, older than calibrationMaxAgeHours ${maxAgeHours}`;
  return null;
}

/** `torch 2.5.1 cuda 12.4 python 3.11.2` as printed by the probe; unknown parts stay "none". */
export function parseSoftwareProbe(stdout: string): Pick<CalibrationFacts, 'torch' | 'cuda' | 'python'> {
  const field = (name: string) => new RegExp(`${name} (\\S+)`).exec(stdout)?.[1] ?? 'none';
  return { torch: field('torch'), cuda: field('cuda'), python: field('python') };
}
