/**
 * Removes secrets from text the harness keeps (traces, transcripts, launch records). Two layers:
 * the exact values of the environment variables passed into the sandbox (whatever their shape),
 * and the shapes of common provider keys, for a key that reached the output some other way.
 */
export interface Secret {
  name: string;
  value: string;
}

const KEY_SHAPES: RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{8,}/g,
  /sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g,
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /(\bBearer\s+)[A-Za-z0-9._~+/=-]{16,}/gi,
  /(\bx-api-key["']?\s*[:=]\s*["']?)[A-Za-z0-9._-]{16,}/gi,
];

/** Values shorter than this are not treated as secrets: replacing "1" everywhere would wreck the text. */
const MIN_SECRET_LENGTH = 8;

export function redact(text: string, secrets: readonly Secret[]): string {
  let out = text;
  // Longest first, so a secret containing another is replaced whole.
  for (const s of [...secrets].sort((a, b) => b.value.length - a.value.length)) {
    if (s.value.length < MIN_SECRET_LENGTH) continue;
    out = out.split(s.value).join(`[REDACTED:${s.name}]`);
  }
  for (const re of KEY_SHAPES) {
    out = out.replace(re, (_match, prefix?: unknown) => (typeof prefix === 'string' ? `${prefix}[REDACTED]` : '[REDACTED]'));
  }
  return out;
}

/** The secrets behind the names passed into a sandbox, as this host's environment holds them. */
export function secretsFromEnv(names: readonly string[], env: NodeJS.ProcessEnv = process.env): Secret[] {
  const out: Secret[] = [];
  for (const name of names) {
    const value = env[name];
    if (value && isSecretName(name)) out.push({ name, value });
  }
  return out;
}

/**
 * Base URLs, regions and project ids pass by name too, but they are settings the trace should show;
 * anything else passed in is treated as a secret.
 */
function isSecretName(name: string): boolean {
  return !/(_BASE_URL|_REGION|_PROJECT_ID|^CLAUDE_CODE_USE_[A-Z]+)$/.test(name);
}
