// Boot, sign-in, layout and router of the Tessera console.
// Routes come from the page modules listed in pages/index.js; the hash holds the path
// (#/auth-servers/<id>/clients?x=1), so reloads and links work without server routing.

import { api, session as sessionApi } from './api.js';
import { can } from './permissions.js';
import { h, loading, errorBox, formError, showErrors, clearErrors } from './ui.js';
import pages from './pages/index.js';

const app = document.getElementById('app');
let currentSession = null;
let renderCount = 0;

// ---------- routing ----------

const routes = pages.flatMap((page) => page.routes).map((route) => ({
  ...route,
  parts: route.pattern.split('/').filter(Boolean),
}));

// A route value is an id: a UUID, a client id or a key id. Anything else (an encoded '/', '?',
// '#' or '..') would let a crafted link aim the page's API calls, and so its buttons, at
// another resource: such a link matches no page.
const ID = /^[A-Za-z0-9_-]{1,128}$/;

function decode(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

function match(path) {
  const parts = path.split('/').filter(Boolean).map(decode);
  if (parts.includes(null)) return null;
  let best = null;
  for (const route of routes) {
    if (route.parts.length !== parts.length) continue;
    const params = {};
    let literals = 0;
    const ok = route.parts.every((part, i) => {
      if (part.startsWith(':')) {
        params[part.slice(1)] = parts[i];
        return ID.test(parts[i]);
      }
      literals += 1;
      return part === parts[i];
    });
    // The most literal pattern wins: /clients/new before /clients/:clientId.
    if (ok && (!best || literals > best.literals)) best = { route, params, literals };
  }
  return best;
}

function parseHash() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = hash.split('?');
  return { path, query: Object.fromEntries(new URLSearchParams(search)) };
}

function navigate(path) {
  if (location.hash === `#${path}`) render();
  else location.hash = path;
}

function homePath() {
  if (can(currentSession, 'GET', '/v1/auth-servers')) return '/auth-servers';
  if (can(currentSession, 'GET', '/v2/directories')) return '/directories';
  if (can(currentSession, 'GET', '/v1/audit-events')) return '/audit';
  return '/auth-servers';
}

// ---------- layout ----------

const NAV = [
  { key: 'auth-servers', label: 'Auth servers', href: '#/auth-servers', check: ['GET', '/v1/auth-servers'] },
  { key: 'directories', label: 'Directories', href: '#/directories', check: ['GET', '/v2/directories'] },
  { key: 'admin-credentials', label: 'Admin credentials', href: '#/admin-credentials', check: ['GET', '/v1/admin-credentials'] },
  { key: 'audit', label: 'Audit log', href: '#/audit', check: ['GET', '/v1/audit-events'] },
];

function layout() {
  const signOut = h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-test': 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', async () => {
    signOut.disabled = true;
    await sessionApi.signOut();
    currentSession = null;
    api.setCsrf('');
    location.hash = '';
    showSignIn();
  });
  const nav = h('nav', { class: 'main-nav', 'aria-label': 'Main' },
    NAV.filter((item) => can(currentSession, ...item.check)).map((item) =>
      h('a', { href: item.href, 'data-test': `nav-${item.key}`, 'data-key': item.key }, item.label)));
  const header = h('header', { class: 'topbar' },
    h('a', { class: 'brand', href: '#/' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'T'), 'Tessera'),
    nav,
    h('div', { class: 'who' },
      h('span', { class: 'who-name', 'data-test': 'credential-name' }, currentSession.credential.name),
      h('span', { class: 'badge badge-role', 'data-test': 'role' }, currentSession.role),
      signOut));
  const view = h('div', { class: 'view', id: 'view', tabindex: '-1' });
  app.replaceChildren(header, view);
}

function highlightNav(path) {
  const section = path.split('/').filter(Boolean)[0] || '';
  for (const link of app.querySelectorAll('.main-nav a')) {
    if (link.dataset.key === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

async function render() {
  if (!currentSession) return;
  const { path, query } = parseHash();
  if (path === '/' || path === '') {
    navigate(homePath());
    return;
  }
  const view = document.getElementById('view');
  if (!view) return;
  highlightNav(path);
  const found = match(path);
  const mine = ++renderCount;
  if (!found) {
    view.replaceChildren(h('div', { class: 'card' }, h('h1', {}, 'Page not found'), h('p', {}, 'Nothing lives at this address. '), h('a', { href: '#/' }, 'Go to the start page')));
    return;
  }
  view.replaceChildren(loading());
  const ctx = {
    params: found.params,
    query,
    session: currentSession,
    api,
    navigate,
    can: (method, apiPath) => can(currentSession, method, apiPath),
  };
  let content;
  try {
    content = await found.route.render(ctx);
  } catch (error) {
    if (error.status === 401) return;
    content = error.status === 404
      ? h('div', { class: 'card' }, h('h1', {}, 'Not found'), h('p', {}, error.detail), h('a', { href: '#/' }, 'Go to the start page'))
      : errorBox(error.detail || error.message || 'Something went wrong.');
  }
  // A newer navigation started while this page loaded: drop this one.
  if (mine !== renderCount) return;
  view.replaceChildren(content);
  const heading = view.querySelector('h1');
  if (heading) document.title = `${heading.firstChild.textContent} · Tessera console`;
}

// ---------- sign-in ----------

function showSignIn(ended) {
  const form = h('form', { id: 'sign-in', class: 'sign-in-form', novalidate: true },
    ended ? h('div', { class: 'alert alert-warning', 'data-test': 'session-ended', role: 'alert' }, 'Your session has ended. Sign in again.') : null,
    formError(),
    h('div', { class: 'field' },
      h('label', { for: 'sign-in-token' }, 'Admin token'),
      h('input', { id: 'sign-in-token', name: 'token', type: 'password', autocomplete: 'current-password', required: true, spellcheck: 'false' }),
      h('p', { class: 'hint' }, 'An admin credential token (or TESSERA_ADMIN_TOKEN). It is sent once to start a session and never stored in the browser.')),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary btn-block', 'data-test': 'submit' }, 'Sign in')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const token = form.elements.token.value.trim();
    if (!token) {
      showErrors(form, { detail: 'Enter your admin token.' });
      return;
    }
    const submit = form.querySelector('[data-test=submit]');
    submit.disabled = true;
    try {
      start(await sessionApi.signIn(token));
    } catch (error) {
      showErrors(form, { detail: error.status === 401 ? 'That token was not accepted. Check it and try again.' : error.detail });
      submit.disabled = false;
    }
  });
  app.replaceChildren(h('div', { class: 'sign-in' },
    h('div', { class: 'sign-in-card' },
      h('div', { class: 'brand brand-large' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, 'T'), 'Tessera'),
      h('h1', {}, 'Sign in to the console'),
      form)));
  document.title = 'Sign in · Tessera console';
  form.elements.token.focus();
}

function sessionEnded() {
  if (!currentSession) return;
  currentSession = null;
  api.setCsrf('');
  for (const dialog of document.querySelectorAll('dialog')) dialog.remove();
  showSignIn(true);
}

function start(session) {
  currentSession = session;
  api.setCsrf(session.csrf_token);
  layout();
  render();
}

api.onSessionEnded(sessionEnded);
window.addEventListener('hashchange', render);

sessionApi.current().then((session) => (session ? start(session) : showSignIn(false)), () => showSignIn(false));
