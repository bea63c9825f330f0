// A client's live access tokens: find one by id, revoke one, revoke all.
import { h, button, badge, emptyState, pagedList, confirmDialog, toast, formatDate, input, curl, curlCommand } from '../ui.js';
import { loadAuthServer } from './common.js';
import { clientFrame, clientPath } from './client-common.js';

async function tokensPage(ctx) {
  const [server, client] = await Promise.all([loadAuthServer(ctx), ctx.api.get(clientPath(ctx))]);
  const canRevoke = ctx.can('DELETE', clientPath(ctx, '/tokens'));

  async function revoke(token) {
    const ok = await confirmDialog({
      title: 'Revoke this token?',
      message: 'Introspection answers inactive for it within about a second on every node.',
      confirmLabel: 'Revoke token',
      onConfirm: () => ctx.api.del(clientPath(ctx, `/tokens/${token.id}`)),
    });
    if (ok) {
      toast('Token revoked');
      list.reload();
    }
  }

  const list = pagedList({
    api: ctx.api,
    path: clientPath(ctx, '/tokens'),
    query: { sort: 'created_at desc' },
    caption: 'Tokens',
    rowId: (token) => token.id,
    columns: [
      { label: 'Token ID (jti)', render: (token) => h('code', {}, token.id) },
      { label: 'Scopes', render: (token) => token.granted_scope_names.length ? h('div', { class: 'chips' }, token.granted_scope_names.map((name) => badge(name))) : h('span', { class: 'muted' }, 'none') },
      { label: 'Issued', render: (token) => formatDate(token.created_at) },
      { label: 'Expires', render: (token) => formatDate(token.expires_at) },
      {
        label: 'Actions', class: 'actions',
        render: (token) => canRevoke ? button('Revoke', { kind: 'ghost', class: 'btn btn-ghost btn-small btn-link-danger', 'data-test': 'revoke', onClick: () => revoke(token) }) : '',
      },
    ],
    empty: () => emptyState('No live tokens', 'Tokens issued to this client appear here until they expire or are revoked.'),
  });

  const filter = h('form', { id: 'token-filter', class: 'inline-form', role: 'search' },
    input({ label: 'Find a token by its ID (jti)', name: 'id', placeholder: '3f1c…', spellcheck: 'false' }),
    h('button', { type: 'submit', class: 'btn', 'data-test': 'submit' }, 'Filter'),
    button('Clear', { kind: 'ghost', onClick: () => { filter.elements.id.value = ''; list.filter({}); } }));
  filter.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = filter.elements.id.value.trim();
    list.filter(id ? { 'filter[id]': id } : {});
  });

  const revokeAll = canRevoke ? button('Revoke all', { kind: 'danger', 'data-test': 'revoke-all' }) : null;
  if (revokeAll) {
    revokeAll.addEventListener('click', async () => {
      const ok = await confirmDialog({
        title: `Revoke every token of ${client.name}?`,
        message: 'All its unexpired tokens stop being accepted by introspection. Tokens it gets afterwards are not affected.',
        confirmLabel: 'Revoke all',
        onConfirm: () => ctx.api.del(clientPath(ctx, '/tokens')),
      });
      if (ok) {
        toast('All tokens revoked');
        list.reload();
      }
    });
  }

  return clientFrame(ctx, server, client, 'client-tokens', h('div', {},
    h('div', { class: 'card-head' }, h('h2', {}, 'Live tokens'), revokeAll),
    filter,
    list.element,
    curl(curlCommand('GET', `/v1/auth-servers/${server.id}/clients/${client.id}/tokens`), 'List them with curl')));
}

export const routes = [
  { pattern: '/auth-servers/:authServerId/clients/:clientId/tokens', render: tokensPage },
];
