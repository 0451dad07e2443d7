/**
 * The one redaction rule of carbonctl (SPEC §1.3: secrets never appear in output). It is pure so
 * the config, providers, output and io layers all apply the same rule:
 *
 * - a setting whose key names a credential (`token`, `password`, `secret`, `apiKey`,
 *   `credentials`, `privateKey`, case-insensitive, at any depth) is shown as `••••••`;
 * - every value inside a `headers` object is shown as `••••••` (headers are where credentials
 *   travel: `Authorization`, `Cookie`, `X-Auth-Token`, `X-Api-Key`, …); the names stay visible;
 * - every URL loses its userinfo (`http://user:pass@host` → `http://host`) and the values of
 *   credential-like query parameters (`?token=…`, `?api_key=…`).
 */

/** What a redacted value is replaced with. */
export const REDACTED = '••••••';

/** Key names whose values are credentials. */
const SECRET_KEY =
  /^(?:token|access_?token|bearer_?token|password|passwd|pass|secret|client_?secret|api_?key|apikey|credentials?|private_?key)$/i;

/** Query parameters whose values look like credentials and are hidden in traces and errors. */
const SECRET_QUERY_PARAM =
  /^(?:token|access_token|id_token|auth|auth[-_]?token|api[-_]?key|apikey|key|password|passwd|pass|secret|client_secret|signature|sig|x-amz-signature|x-goog-signature)$/i;

/** A string that starts like an absolute URL with a scheme (`http://`, `https://`, …). */
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** True when a key (the last name of a settings path) holds a credential. */
export function isSecretKey(name: string): boolean {
  return SECRET_KEY.test(name);
}

/**
 * True when a settings path (`clusters[0].prometheus.token`, `intensity.token`,
 * `clusters[0].prometheus.headers.X-Scope-OrgID`) holds a secret under the rule above.
 */
export function isSecretPath(path: string): boolean {
  const names = path.split(/[.[\]]+/).filter((name) => name !== '' && !/^\d+$/.test(name));
  const last = names[names.length - 1];
  if (last === undefined) return false;
  if (isSecretKey(last)) return true;
  // A value inside a headers object (but not the headers object itself).
  return names.slice(0, -1).includes('headers');
}

/** Removes `user:password@` and hides credential-like query values, so a URL is safe to print. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL we can parse: remove anything that looks like userinfo and secret params by hand.
    return url
      .replace(/\/\/[^/@\s]*@/, '//')
      .replace(/([?&][^=&#\s]+)=([^&#\s]*)/g, (match, name: string) =>
        SECRET_QUERY_PARAM.test(name.slice(1)) ? `${name}=REDACTED` : match,
      );
  }
  parsed.username = '';
  parsed.password = '';
  const names = [...new Set(parsed.searchParams.keys())];
  for (const name of names) {
    if (SECRET_QUERY_PARAM.test(name)) parsed.searchParams.set(name, 'REDACTED');
  }
  return parsed.toString();
}

/** True when a query parameter name looks like it carries a credential. */
export function isSecretQueryParam(name: string): boolean {
  return SECRET_QUERY_PARAM.test(name);
}

/** A string value as it may be shown: URLs lose their credentials, everything else is kept. */
export function redactString(value: string): string {
  if (!URL_LIKE.test(value)) return value;
  // Keep the text as given (no added trailing slash) when there was nothing to hide.
  return hasCredentials(value) ? redactUrl(value) : value;
}

/** True when a URL carries userinfo or a credential-like query parameter. */
function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (
      parsed.username !== '' ||
      parsed.password !== '' ||
      [...parsed.searchParams.keys()].some((name) => SECRET_QUERY_PARAM.test(name))
    );
  } catch {
    return /\/\/[^/@\s]*@/.test(url);
  }
}

/**
 * A deep copy of a settings value (or any part of it) with the rule applied at every depth.
 * `path` is where `value` sits in the settings (`clusters[0].prometheus`), so a subtree keeps
 * the rule of its position. `null` stays `null` (an unset secret is not a secret).
 */
export function redactTree(value: unknown, path = ''): unknown {
  if (value === null || value === undefined) return value;
  if (path !== '' && isSecretPath(path)) return REDACTED;
  if (typeof value === 'string') return redactString(value);
  if (typeof value !== 'object') return value;
  if (Array.isArray(value))
    return value.map((item, index) => redactTree(item, `${path}[${index}]`));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, child]) => [
      key,
      redactTree(child, path === '' ? key : `${path}.${key}`),
    ]),
  );
}

/**
 * Every secret value held in a settings tree (credentials, header values, URL passwords), for the
 * io layer's last-line scrubber: if one ever reaches a message by another route, it is masked.
 */
export function collectSecrets(value: unknown, path = ''): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') {
    if (path !== '' && isSecretPath(path)) return [value];
    return urlSecrets(value);
  }
  if (typeof value !== 'object') return [];
  if (Array.isArray(value))
    return value.flatMap((item, index) => collectSecrets(item, `${path}[${index}]`));
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) =>
    collectSecrets(child, path === '' ? key : `${path}.${key}`),
  );
}

/** The password (raw and decoded) of a URL with userinfo. */
export function urlSecrets(value: string): string[] {
  if (!URL_LIKE.test(value)) return [];
  try {
    const parsed = new URL(value);
    if (parsed.password === '') return [];
    return [...new Set([parsed.password, decodeURIComponent(parsed.password)])];
  } catch {
    return [];
  }
}

/**
 * Masks every occurrence of the given secrets in `text`. Secrets shorter than 4 characters are
 * not masked by value (they would mangle ordinary words); key-based redaction still hides them.
 */
export function maskSecrets(text: string, secrets: Iterable<string>): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    if (result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  return result;
}
