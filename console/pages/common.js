// Pieces shared by the pages below one auth server.
import { h, tabs, badge, copyButton, backLink } from '../ui.js';

export const TABS = [
  { key: 'overview', label: 'Overview' },
  { key: 'scopes', label: 'Scopes' },
  { key: 'claims', label: 'Claims' },
  { key: 'clients', label: 'Clients' },
  { key: 'keys', label: 'Keys' },
  { key: 'registration', label: 'Registration' },
  { key: 'login-requests', label: 'Login requests' },
  { key: 'trusted-issuers', label: 'Trusted issuers' },
  { key: 'settings', label: 'Settings' },
];

export const authServerPath = (authServer, tab = 'overview') => `#/auth-servers/${authServer.id}/${tab}`;
export const apiPath = (ctx, rest = '') => `/v1/auth-servers/${encodeURIComponent(ctx.params.authServerId)}${rest}`;

// The auth server header (name, audience, issuer) and tab bar around a tab's content.
export function authServerFrame(ctx, authServer, activeTab, content) {
  return h('div', { class: 'auth-server' },
    backLink('#/auth-servers', 'All auth servers'),
    h('div', { class: 'page-header' },
      h('div', {},
        h('h1', {}, authServer.name, ' ', badge(authServer.signing_algorithm)),
        h('p', { class: 'muted issuer-line' },
          h('span', {}, 'Issuer '), h('code', {}, authServer.issuer), copyButton(authServer.issuer, 'Copy')))),
    tabs(TABS.map((tab) => ({ ...tab, href: authServerPath(authServer, tab.key) })), activeTab),
    h('div', { class: 'tab-body' }, content));
}

// Loads the auth server a page lives under.
export const loadAuthServer = (ctx) => ctx.api.get(apiPath(ctx));
