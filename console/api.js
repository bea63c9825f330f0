// The management API client: same-origin fetch with the session cookie and the CSRF header.
// Every non-2xx answer becomes an ApiError; a 401 also ends the console session (the cookie is
// gone or the credential was disabled), which app.js handles through onSessionEnded.

export class ApiError extends Error {
  constructor(status, problem) {
    const detail = (problem && (problem.detail || problem.title)) || `Request failed (${status})`;
    super(detail);
    this.status = status;
    this.detail = detail;
    this.invalidParameters = (problem && problem.invalid_parameters) || [];
  }
}

let csrfToken = '';
let sessionEndedHandler = () => {};

async function parse(response) {
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text };
  }
}

// Builds "path?a=1&b=2" from an object, skipping empty values.
export function withQuery(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

async function request(method, path, body) {
  const headers = { 'X-CSRF-Token': csrfToken, Accept: 'application/json' };
  const init = { method, credentials: 'same-origin', headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, { detail: 'The server could not be reached. Check your connection and try again.' });
  }
  const data = await parse(response);
  if (response.status === 401) {
    sessionEndedHandler();
    throw new ApiError(401, data);
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const api = {
  get: (path, query) => request('GET', withQuery(path, query)),
  post: (path, body) => request('POST', path, body === undefined ? {} : body),
  put: (path, body) => request('PUT', path, body),
  patch: (path, body) => request('PATCH', path, body),
  del: (path) => request('DELETE', path),
  setCsrf(token) {
    csrfToken = token || '';
  },
  onSessionEnded(handler) {
    sessionEndedHandler = handler;
  },
};

// The console session itself: these never trigger the session-ended handler.
export const session = {
  async current() {
    const response = await fetch('/console/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    return response.ok ? response.json() : null;
  },
  async signIn(token) {
    const response = await fetch('/console/session', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ token }),
    });
    const data = await parse(response);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  },
  async signOut() {
    await fetch('/console/session', { method: 'DELETE', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrfToken } });
  },
};

// Issuer endpoints (discovery, JWKS, token) are public OAuth endpoints: no cookie, no CSRF, and a
// 401 there (invalid_client) says nothing about the console session. The CSP only allows this
// origin, so an issuer on another origin is reached through its path here when it has one.
export function issuerUrl(issuer, suffix) {
  const url = new URL(issuer + suffix);
  if (url.origin === location.origin) return url.href;
  if (url.pathname.replace(suffix, '') !== '/auth') return location.origin + url.pathname;
  return null;
}

export async function issuerFetch(url, init = {}) {
  const response = await fetch(url, { credentials: 'omit', ...init });
  return { status: response.status, ok: response.ok, data: await parse(response) };
}
