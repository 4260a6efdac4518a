/** fetch wrapper speaking the one error envelope `{ error: { code, message, details } }`. */
export interface ApiError {
  code: string;
  message: string;
  details?: unknown;
}

export type ApiResult<T> =
  | { ok: true; status: number; body: T; headers: Headers }
  | { ok: false; status: number; error: ApiError; retryAfterSeconds: number | null; headers: Headers };

export async function api<T>(url: string, init: RequestInit & { json?: unknown } = {}): Promise<ApiResult<T>> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(init.json);
  }
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers, body, referrerPolicy: 'no-referrer', cache: 'no-store' });
  } catch (err) {
    return { ok: false, status: 0, error: { code: 'NETWORK', message: String(err) }, retryAfterSeconds: 1, headers: new Headers() };
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (res.ok) return { ok: true, status: res.status, body: parsed as T, headers: res.headers };
  const env = (parsed as { error?: ApiError } | null)?.error;
  const ra = Number(res.headers.get('Retry-After'));
  return {
    ok: false,
    status: res.status,
    error: env && typeof env.code === 'string' ? env : { code: `HTTP_${res.status}`, message: text.slice(0, 200) },
    retryAfterSeconds: Number.isFinite(ra) && ra > 0 ? ra : null,
    headers: res.headers,
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
