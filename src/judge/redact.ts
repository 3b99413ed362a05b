/** Values shorter than this are not treated as secrets: replacing "1" everywhere would wreck the text. */
const MIN_SECRET_LENGTH = 8;
/** Provider key shapes, for a key that reached the text some other way than its exact value. */
const KEY_SHAPES = [/sk-ant-[A-Za-z0-9_-]{8,}/g, /sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g];

/** Removes the judge's API key (and anything shaped like a provider key) from text it keeps or logs. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length >= MIN_SECRET_LENGTH) out = out.split(s).join('[REDACTED]');
  }
  for (const re of KEY_SHAPES) out = out.replace(re, '[REDACTED]');
  return out;
}
