// A client's secrets: add (shown once), enable, disable, delete; at most two per client.
import { h, button, badge, emptyState, pagedList, confirmDialog, toast, formatDate, secretOnce, errorBox, curl, curlCommand } from '../ui.js';
import { loadAuthServer } from './common.js';
import { clientFrame, clientPath } from './client-common.js';

async function secretsPage(ctx) {
  const [server, client] = await Promise.all([loadAuthServer(ctx), ctx.api.get(clientPath(ctx))]);
  const canWrite = ctx.can('POST', clientPath(ctx, '/secrets'));
  const notice = h('div', { 'aria-live': 'polite' });
  const secretPath = (secret) => clientPath(ctx, `/secrets/${secret.id}`);

  async function setEnabled(secret, enabled) {
    try {
      await ctx.api.patch(secretPath(secret), { enabled });
      notice.replaceChildren();
      toast(enabled ? 'Secret enabled' : 'Secret disabled');
      list.reload();
    } catch (error) {
      notice.replaceChildren(errorBox(error.detail));
    }
  }

  async function remove(secret) {
    const ok = await confirmDialog({
      title: 'Delete this secret?',
      message: secret.enabled ? 'It is still enabled: anything using it stops getting tokens at once.' : 'It is disabled, so nothing can be using it.',
      confirmLabel: 'Delete secret',
      onConfirm: () => ctx.api.del(secretPath(secret)),
    });
    if (ok) {
      notice.replaceChildren();
      toast('Secret deleted');
      list.reload();
    }
  }

  const list = pagedList({
    api: ctx.api,
    path: clientPath(ctx, '/secrets'),
    caption: 'Secrets',
    rowId: (secret) => secret.id,
    columns: [
      { label: 'Secret ID', render: (secret) => h('code', {}, secret.id) },
      { label: 'State', render: (secret) => secret.enabled ? badge('enabled', 'success') : badge('disabled', 'warning') },
      { label: 'Created', render: (secret) => formatDate(secret.created_at) },
      {
        label: 'Actions', class: 'actions',
        render: (secret) => canWrite ? h('div', { class: 'row-actions' },
          secret.enabled
            ? button('Disable', { kind: 'ghost', class: 'btn btn-ghost btn-small', 'data-test': 'disable', onClick: () => setEnabled(secret, false) })
            : button('Enable', { kind: 'ghost', class: 'btn btn-ghost btn-small', 'data-test': 'enable', onClick: () => setEnabled(secret, true) }),
          button('Delete', { kind: 'ghost', class: 'btn btn-ghost btn-small btn-link-danger', 'data-test': 'delete', onClick: () => remove(secret) })) : '',
      },
    ],
    empty: () => emptyState('No secrets', 'This client has no secret: it cannot authenticate with one until you add one.'),
  });

  const add = canWrite ? button('Add secret', { kind: 'primary', 'data-test': 'add-secret' }) : null;
  if (add) {
    add.addEventListener('click', async () => {
      add.disabled = true;
      notice.replaceChildren();
      try {
        const created = await ctx.api.post(clientPath(ctx, '/secrets'), {});
        const panel = secretOnce({ title: 'New secret', value: created.secret, onDone: () => add.focus() });
        notice.replaceChildren(panel);
        panel.querySelector('[data-test=copy]').focus();
        list.reload();
      } catch (error) {
        notice.replaceChildren(errorBox(error.detail));
      } finally {
        add.disabled = false;
      }
    });
  }

  return clientFrame(ctx, server, client, 'client-secrets', h('div', {},
    h('div', { class: 'alert alert-info', 'data-test': 'two-secret-rule' },
      h('strong', {}, 'At most two secrets. '),
      'To rotate without downtime: add the new secret, move your services over to it, then disable the old one and, once nothing fails, delete it.'),
    h('div', { class: 'card-head' }, h('h2', {}, 'Secrets'), add),
    notice,
    list.element,
    curl(curlCommand('POST', `/v1/auth-servers/${server.id}/clients/${client.id}/secrets`, {}), 'Add a secret with curl')));
}

export const routes = [
  { pattern: '/auth-servers/:authServerId/clients/:clientId/secrets', render: secretsPage },
];
