/**
 * The model APIs an agent CLI talks to: the only places its sandbox may reach. A setting such as
 * ANTHROPIC_BASE_URL in the worker's environment moves the API (a gateway, or a loopback server in
 * tests), and the allowed endpoint moves with it.
 */
export interface ModelApi {
  /** The worker environment variable that overrides the URL, when the CLI reads one. */
  urlEnv?: string;
  /** The URL the CLI uses when that variable is unset; null when it cannot be known (no region). */
  defaultUrl: (env: NodeJS.ProcessEnv) => string | null;
}

const fixed = (url: string) => () => url;

export const MODEL_APIS = {
  anthropic: [{ urlEnv: 'ANTHROPIC_BASE_URL', defaultUrl: fixed('https://api.anthropic.com') }],
  bedrock: [{ urlEnv: 'ANTHROPIC_BEDROCK_BASE_URL', defaultUrl: (env) => (env.AWS_REGION ? `https://bedrock-runtime.${env.AWS_REGION}.amazonaws.com` : null) }],
  vertex: [
    { urlEnv: 'ANTHROPIC_VERTEX_BASE_URL', defaultUrl: (env) => (env.CLOUD_ML_REGION ? `https://${env.CLOUD_ML_REGION}-aiplatform.googleapis.com` : null) },
    // Service-account credentials are exchanged for an access token here.
    { defaultUrl: fixed('https://oauth2.googleapis.com') },
  ],
  openai: [{ urlEnv: 'OPENAI_BASE_URL', defaultUrl: fixed('https://api.openai.com') }],
} satisfies Record<string, ModelApi[]>;

/**
 * The endpoints (host:port, sorted) an agent sandbox may reach: its CLI's model APIs as the
 * worker's environment places them, and the extra ones a session names.
 */
export function egressAllowList(apis: ModelApi[], env: NodeJS.ProcessEnv, extra: string[] = []): string[] {
  const out = new Set(extra);
  for (const api of apis) {
    const url = (api.urlEnv && env[api.urlEnv]) || api.defaultUrl(env);
    if (url) out.add(endpointOf(url, api.urlEnv ?? 'model API URL'));
  }
  return [...out].sort();
}

/** host:port of a URL, the port filled in from the scheme. */
export function endpointOf(url: string, what: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${what}: expected an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${what}: expected an http(s) URL, got ${JSON.stringify(url)}`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return `${host}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}
