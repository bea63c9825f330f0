// Scopes of an auth server: list, create, edit, delete.
import { h, backLink, button, linkButton, badge, emptyState, pagedList, input, textarea, checkbox, formError, formActions, onSubmit, read, confirmDialog, toast, curl, curlCommand } from '../ui.js';
import { authServerFrame, loadAuthServer, apiPath } from './common.js';

const base = (ctx) => `#/auth-servers/${ctx.params.authServerId}/scopes`;

function flags(scope) {
  return h('div', { class: 'chips' },
    scope.enabled ? badge('enabled', 'success') : badge('disabled', 'danger'),
    scope.default ? badge('default', 'accent') : null,
    scope.include_in_metadata ? badge('in discovery') : null);
}

export async function deleteScope(ctx, scope, done) {
  const ok = await confirmDialog({
    title: `Delete the scope ${scope.name}?`,
    message: 'Clients can no longer request it, and claims stop being added for it.',
    confirmLabel: 'Delete scope',
    onConfirm: () => ctx.api.del(apiPath(ctx, `/scopes/${scope.id}`)),
  });
  if (ok) {
    toast(`Deleted ${scope.name}`);
    done();
  }
}

async function listPage(ctx) {
  const server = await loadAuthServer(ctx);
  const canWrite = ctx.can('POST', apiPath(ctx, '/scopes'));
  const list = pagedList({
    api: ctx.api,
    path: apiPath(ctx, '/scopes'),
    query: { sort: 'name' },
    caption: 'Scopes',
    rowId: (scope) => scope.id,
    columns: [
      { label: 'Name', render: (scope) => [h('a', { href: `${base(ctx)}/${scope.id}`, class: 'title mono', 'data-test': 'open' }, scope.name), h('span', { class: 'sub' }, scope.description)] },
      { label: 'Status', render: flags },
      {
        label: 'Actions', class: 'actions',
        render: (scope) => canWrite ? h('div', { class: 'row-actions' },
          linkButton('Edit', `${base(ctx)}/${scope.id}`, { kind: 'ghost', class: 'btn btn-ghost btn-small', 'data-test': 'edit' }),
          button('Delete', { kind: 'ghost', class: 'btn btn-ghost btn-small btn-link-danger', 'data-test': 'delete', onClick: () => deleteScope(ctx, scope, () => list.reload()) })) : '',
      },
    ],
    empty: () => emptyState('No scopes yet', 'Scopes name what a token lets its holder do, such as appointments:read.',
      canWrite ? linkButton('Create a scope', `${base(ctx)}/new`, { kind: 'primary' }) : null),
  });
  return authServerFrame(ctx, server, 'scopes', h('div', {},
    h('div', { class: 'card-head' }, h('h2', {}, 'Scopes'),
      canWrite ? linkButton('New scope', `${base(ctx)}/new`, { kind: 'primary', 'data-test': 'create' }) : null),
    list.element));
}

function scopeForm(ctx, scope) {
  const editable = ctx.can(scope ? 'PATCH' : 'POST', apiPath(ctx, scope ? `/scopes/${scope.id}` : '/scopes'));
  const disabled = !editable;
  const form = h('form', { id: 'scope-form', class: 'card form-card', novalidate: true },
    formError(),
    input({ label: 'Name', name: 'name', value: scope?.name, required: true, disabled, placeholder: 'appointments:read', hint: 'As clients request it: no spaces or quotes.' }),
    textarea({ label: 'Description', name: 'description', value: scope?.description, rows: 2, disabled }),
    checkbox({ label: 'Enabled', name: 'enabled', checked: scope ? scope.enabled : true, disabled, hint: 'A disabled scope cannot be requested or granted.' }),
    checkbox({ label: 'Default', name: 'default', checked: scope?.default, disabled, hint: 'Granted when a client asks for no scope, if the client may have it.' }),
    checkbox({ label: 'List in the discovery document', name: 'include_in_metadata', checked: scope?.include_in_metadata, disabled, hint: 'Shown in scopes_supported.' }),
    editable ? formActions(scope ? 'Save changes' : 'Create scope', linkButton('Cancel', base(ctx))) : null);
  if (!editable) return form;
  return onSubmit(form, async () => {
    const body = {
      name: read.text(form, 'name'),
      description: read.text(form, 'description'),
      enabled: read.bool(form, 'enabled'),
      default: read.bool(form, 'default'),
      include_in_metadata: read.bool(form, 'include_in_metadata'),
    };
    const saved = scope ? await ctx.api.patch(apiPath(ctx, `/scopes/${scope.id}`), body) : await ctx.api.post(apiPath(ctx, '/scopes'), body);
    toast(scope ? `Saved ${saved.name}` : `Created ${saved.name}`);
    ctx.navigate(`/auth-servers/${ctx.params.authServerId}/scopes`);
  });
}

async function editPage(ctx) {
  const isNew = !ctx.params.scopeId;
  const [server, scope] = await Promise.all([loadAuthServer(ctx), isNew ? null : ctx.api.get(apiPath(ctx, `/scopes/${encodeURIComponent(ctx.params.scopeId)}`))]);
  const canDelete = scope && ctx.can('DELETE', apiPath(ctx, `/scopes/${scope.id}`));
  return authServerFrame(ctx, server, 'scopes', h('div', {},
    backLink(base(ctx), 'All scopes'),
    h('div', { class: 'card-head' }, h('h2', {}, isNew ? 'New scope' : scope.name),
      canDelete ? button('Delete', { kind: 'danger', 'data-test': 'delete', onClick: () => deleteScope(ctx, scope, () => ctx.navigate(`/auth-servers/${server.id}/scopes`)) }) : null),
    scopeForm(ctx, scope),
    isNew ? curl(curlCommand('POST', `/v1/auth-servers/${server.id}/scopes`, { name: 'appointments:read', description: 'Read appointments' }), 'The same with curl')
      : curl(curlCommand('GET', `/v1/auth-servers/${server.id}/scopes/${scope.id}`), 'This scope with curl')));
}

export const routes = [
  { pattern: '/auth-servers/:authServerId/scopes', render: listPage },
  { pattern: '/auth-servers/:authServerId/scopes/new', render: editPage },
  { pattern: '/auth-servers/:authServerId/scopes/:scopeId', render: editPage },
];
