// The frame of one client's pages (overview, secrets, tokens) inside its auth server's frame.
import { h, backLink, button, linkButton, tabs, badge, confirmDialog, toast, copyButton } from '../ui.js';
import { authServerFrame, apiPath } from './common.js';

export const clientPath = (ctx, rest = '') => apiPath(ctx, `/clients/${encodeURIComponent(ctx.params.clientId)}${rest}`);
export const clientsHash = (ctx) => `#/auth-servers/${ctx.params.authServerId}/clients`;
export const clientHash = (ctx, clientId, tab = '') => `${clientsHash(ctx)}/${encodeURIComponent(clientId)}${tab ? `/${tab}` : ''}`;

export async function deleteClient(ctx, client, done) {
  const ok = await confirmDialog({
    title: `Delete the client ${client.name}?`,
    message: 'Its secrets stop working at once and it can no longer get tokens. Tokens already issued stay valid until they expire.',
    confirmLabel: 'Delete client',
    onConfirm: () => ctx.api.del(apiPath(ctx, `/clients/${encodeURIComponent(client.id)}`)),
  });
  if (ok) {
    toast(`Deleted ${client.name}`);
    done();
  }
}

export function clientFrame(ctx, server, client, activeTab, content) {
  const canWrite = ctx.can('PATCH', clientPath(ctx));
  const canDelete = ctx.can('DELETE', clientPath(ctx));
  return authServerFrame(ctx, server, 'clients', h('div', {},
    backLink(clientsHash(ctx), 'All clients'),
    h('div', { class: 'page-header' },
      h('div', {},
        h('h2', {}, client.name),
        h('p', { class: 'muted issuer-line' }, 'Client ID ', h('code', {}, client.id), copyButton(client.id), badge(client.token_endpoint_auth_method))),
      h('div', { class: 'actions' },
        canWrite ? linkButton('Edit', clientHash(ctx, client.id, 'edit'), { 'data-test': 'edit' }) : null,
        canDelete ? button('Delete', { kind: 'danger', 'data-test': 'delete', onClick: () => deleteClient(ctx, client, () => ctx.navigate(clientsHash(ctx).slice(1))) }) : null)),
    tabs([
      { key: 'client-overview', label: 'Overview', href: clientHash(ctx, client.id) },
      { key: 'client-secrets', label: 'Secrets', href: clientHash(ctx, client.id, 'secrets') },
      { key: 'client-tokens', label: 'Tokens', href: clientHash(ctx, client.id, 'tokens') },
    ], activeTab),
    content));
}
