// Admin credentials: named bearer tokens for the management API, each with a role and optionally
// scoped to some auth servers or directories. Tokens are shown once, after create and rotate.
import { h, pageHeader, card, button, badge, emptyState, pagedList, input, select, checkbox, checkboxGroup, formError, formActions,
  onSubmit, read, confirmDialog, toast, curl, curlCommand, formatDate, secretOnce } from '../ui.js';

const PATH = '/v1/admin-credentials';

// Each role with what it may do and which scopes it takes (mirrors Role::check_scope and
// Role::check_directory_scope): 'required', 'optional' or absent (refused).
const ROLES = [
  { value: 'admin', label: 'admin — everything, including credentials' },
  { value: 'auth-server-admin', label: 'auth-server-admin — everything on its auth servers', authServers: 'required' },
  { value: 'read-only', label: 'read-only — reads only', authServers: 'optional', directories: 'optional' },
  { value: 'login-page', label: 'login-page — answers login requests of its auth servers', authServers: 'required' },
  { value: 'registration-admin', label: 'registration-admin — registration policy and initial access tokens', authServers: 'optional' },
  { value: 'directory-admin', label: 'directory-admin — everything in its directories', directories: 'required' },
  { value: 'gateway', label: 'gateway — principal lookups in its directories', directories: 'required' },
];
// Shown instead of calling an endpoint the role cannot use (the server would answer 403).
const noAccess = (ctx, text) => card(null, h('p', { class: 'muted', 'data-test': 'no-access' }, `Your role (${ctx.session.role}) ${text}`));
const roleOf = (value) => ROLES.find((role) => role.value === value) || {};

// Names of the auth servers and directories a credential may be scoped to (first 100 of each).
async function loadTargets(ctx) {
  const [servers, directories] = await Promise.all([
    ctx.api.get('/v1/auth-servers', { 'page[size]': 100, sort: 'name' }).then((r) => r.data || [], () => []),
    ctx.api.get('/v2/directories', { 'page[size]': 100, sort: 'name' }).then((r) => r.data || [], () => []),
  ]);
  return { servers, directories };
}

function scopeText(ids, items) {
  if (ids === null || ids === undefined) return null;
  const names = new Map(items.map((item) => [item.id, item.name]));
  return ids.map((id) => names.get(id) || id).join(', ');
}

function scopeCell(credential, targets) {
  const servers = scopeText(credential.auth_server_ids, targets.servers);
  const directories = scopeText(credential.directory_ids, targets.directories);
  if (servers === null && directories === null) return h('span', { class: 'muted' }, 'Everything its role reaches');
  return h('div', { class: 'small' },
    servers !== null ? h('div', {}, 'Auth servers: ', servers) : null,
    directories !== null ? h('div', {}, 'Directories: ', directories) : null);
}

// RFC 3339 → the value a datetime-local input shows (local time, to the minute).
function toLocalInput(text) {
  const date = new Date(text);
  if (!text || Number.isNaN(date.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

// Creates a credential, or edits one (`credential` given): name, role, scope, expiry, state.
function credentialForm(ctx, targets, credential, onSaved, onCancel) {
  const serverGroup = checkboxGroup({ legend: 'Auth servers', name: 'auth_server_ids', options: targets.servers.map((s) => ({ value: s.id, label: s.name })),
    selected: credential?.auth_server_ids || [], hint: 'The auth servers this credential reaches.' });
  const directoryGroup = checkboxGroup({ legend: 'Directories', name: 'directory_ids', options: targets.directories.map((d) => ({ value: d.id, label: d.name })),
    selected: credential?.directory_ids || [], hint: 'The directories this credential reaches.' });
  const roleField = select({ label: 'Role', name: 'role', value: credential?.role || 'read-only', options: ROLES });
  const form = h('form', { id: 'admin-credential-form', class: 'card form-card', novalidate: true },
    h('h2', {}, credential ? `Edit ${credential.name}` : 'New admin credential'),
    formError(),
    h('div', { class: 'form-grid' },
      input({ label: 'Name', name: 'name', value: credential?.name, required: true, hint: 'Unique; says who or what uses it, e.g. ci-deploy.' }),
      roleField),
    serverGroup,
    directoryGroup,
    h('div', { class: 'form-grid' },
      input({ label: 'Expires at (optional)', name: 'expires_at', type: 'datetime-local', value: toLocalInput(credential?.expires_at),
        hint: 'Your local time. Leave empty for a credential that never expires.' }),
      checkbox({ label: 'Enabled', name: 'enabled', checked: credential ? credential.enabled : true })),
    formActions(credential ? 'Save changes' : 'Create credential', button('Cancel', { onClick: onCancel })));

  // Show only the scopes the chosen role accepts, and say whether they are required.
  const roleSelect = roleField.querySelector('select');
  function syncScopes() {
    const role = roleOf(roleSelect.value);
    serverGroup.hidden = !role.authServers;
    directoryGroup.hidden = !role.directories;
    serverGroup.querySelector('legend').textContent = role.authServers === 'required' ? 'Auth servers (at least one)' : 'Auth servers (none ticked: all of them)';
    directoryGroup.querySelector('legend').textContent = role.directories === 'required' ? 'Directories (at least one)' : 'Directories (none ticked: all of them)';
  }
  roleSelect.addEventListener('change', syncScopes);
  syncScopes();

  return onSubmit(form, async () => {
    const role = roleOf(read.text(form, 'role'));
    const servers = read.checked(form, 'auth_server_ids');
    const directories = read.checked(form, 'directory_ids');
    const expires = read.text(form, 'expires_at');
    const date = new Date(expires);
    const body = {
      name: read.text(form, 'name'),
      role: role.value,
      enabled: read.bool(form, 'enabled'),
      // A scope the role does not take is sent as null, so changing role drops the old scope.
      auth_server_ids: role.authServers && servers.length ? servers : null,
      directory_ids: role.directories && directories.length ? directories : null,
      expires_at: expires ? (Number.isNaN(date.getTime()) ? expires : date.toISOString()) : null,
    };
    onSaved(credential ? await ctx.api.patch(`${PATH}/${credential.id}`, body) : await ctx.api.post(PATH, body));
  });
}

async function adminCredentialsPage(ctx) {
  if (!ctx.can('GET', PATH)) return h('div', {}, pageHeader('Admin credentials'), noAccess(ctx, 'cannot manage admin credentials: only admin can.'));
  const canWrite = ctx.can('POST', PATH);
  const targets = await loadTargets(ctx);
  const secretSlot = h('div', {});
  const formSlot = h('div', {});
  const ownId = ctx.session.credential && ctx.session.credential.id;

  let shownId = null;
  function showToken(credential, title) {
    shownId = credential.id;
    secretSlot.replaceChildren(secretOnce({
      title,
      value: credential.token,
      note: `The token of ${credential.name}. Copy it now and store it safely: you will not see it again.`,
      onDone: () => secretSlot.replaceChildren(),
    }));
    secretSlot.scrollIntoView({ block: 'nearest' });
  }

  async function rotate(credential) {
    let issued;
    const mine = credential.id === ownId;
    const ok = await confirmDialog({
      title: `Rotate the token of ${credential.name}?`,
      message: mine
        ? 'This is the credential you are signed in with: its current token stops working at once and this console session ends. Sign in again with the new token.'
        : 'Its current token stops working at once, on every node. Role, scope and expiry are kept.',
      confirmLabel: 'Rotate token',
      onConfirm: async () => { issued = await ctx.api.post(`${PATH}/${credential.id}/rotate`, {}); },
    });
    if (ok) {
      showToken(issued, `New token for ${issued.name}`);
      list.reload();
    }
  }

  async function setEnabled(credential, enabled) {
    const ok = await confirmDialog({
      title: `${enabled ? 'Enable' : 'Disable'} ${credential.name}?`,
      message: enabled ? 'Its token works again.' : 'Its token stops working at once, on every node, until it is enabled again.',
      confirmLabel: enabled ? 'Enable' : 'Disable',
      danger: !enabled,
      onConfirm: () => ctx.api.patch(`${PATH}/${credential.id}`, { enabled }),
    });
    if (ok) {
      toast(`${enabled ? 'Enabled' : 'Disabled'} ${credential.name}`);
      list.reload();
    }
  }

  async function remove(credential) {
    const ok = await confirmDialog({
      title: `Delete ${credential.name}?`,
      message: 'Its token stops working at once. This cannot be undone.',
      confirmLabel: 'Delete credential',
      onConfirm: () => ctx.api.del(`${PATH}/${credential.id}`),
    });
    if (ok) {
      // The token of a deleted credential is worthless: stop showing it.
      if (shownId === credential.id) secretSlot.replaceChildren();
      toast(`Deleted ${credential.name}`);
      list.reload();
    }
  }

  const list = pagedList({
    api: ctx.api,
    path: PATH,
    query: { sort: 'name' },
    caption: 'Admin credentials',
    rowId: (c) => c.id,
    columns: [
      { label: 'Name', render: (c) => [h('span', { class: 'title' }, c.name), c.id === ownId ? h('span', { class: 'sub' }, 'You are signed in with it') : null] },
      { label: 'Role', render: (c) => badge(c.role, c.role === 'admin' ? 'accent' : 'neutral') },
      { label: 'Scope', render: (c) => scopeCell(c, targets) },
      { label: 'State', render: (c) => (c.enabled ? badge('enabled', 'success') : badge('disabled', 'danger')) },
      { label: 'Expires', render: (c) => (c.expires_at ? formatDate(c.expires_at) : 'Never') },
      { label: 'Last used', render: (c) => (c.last_used_at ? formatDate(c.last_used_at) : 'Never') },
      {
        label: 'Actions', class: 'actions',
        render: (c) => (canWrite ? h('div', { class: 'row-actions' },
          button('Edit', { kind: 'ghost', class: 'btn btn-ghost btn-small', 'data-test': 'edit', onClick: () => openEdit(c) }),
          button('Rotate', { kind: 'ghost', class: 'btn btn-ghost btn-small', 'data-test': 'rotate', onClick: () => rotate(c) }),
          c.enabled
            ? button('Disable', { kind: 'ghost', class: 'btn btn-ghost btn-small', 'data-test': 'disable', onClick: () => setEnabled(c, false) })
            : button('Enable', { kind: 'ghost', class: 'btn btn-ghost btn-small', 'data-test': 'enable', onClick: () => setEnabled(c, true) }),
          button('Delete', { kind: 'ghost', class: 'btn btn-ghost btn-small btn-link-danger', 'data-test': 'delete', onClick: () => remove(c) })) : null),
      },
    ],
    empty: () => emptyState('No admin credentials', 'Create one per person or automation, with the narrowest role that does the job.'),
  });

  function openEdit(credential) {
    const form = credentialForm(ctx, targets, credential, (saved) => {
      formSlot.replaceChildren();
      toast(`Saved ${saved.name}`);
      list.reload();
    }, () => formSlot.replaceChildren());
    formSlot.replaceChildren(form);
    form.scrollIntoView({ block: 'nearest' });
    form.querySelector('input[name=name]').focus();
  }

  function openForm() {
    const form = credentialForm(ctx, targets, null, (credential) => {
      formSlot.replaceChildren();
      showToken(credential, `Token for ${credential.name}`);
      toast(`Created ${credential.name}`);
      list.reload();
    }, () => formSlot.replaceChildren());
    formSlot.replaceChildren(form);
    form.querySelector('input[name=name]').focus();
  }

  const create = canWrite ? button('New credential', { kind: 'primary', 'data-test': 'create', onClick: openForm }) : null;
  return h('div', { class: 'stack' },
    pageHeader('Admin credentials', 'Bearer tokens for the management API (/v1, /v2) and this console. Each has a role; most roles can be limited to some auth servers or directories.', create),
    secretSlot,
    formSlot,
    list.element,
    card('With curl',
      curl(curlCommand('GET', PATH), 'List credentials'),
      curl(curlCommand('POST', PATH, { name: 'ci-deploy', role: 'auth-server-admin', auth_server_ids: ['<auth server id>'] }), 'Create a scoped credential'),
      curl(curlCommand('POST', `${PATH}/<credential id>/rotate`, {}), 'Rotate a token')));
}

export const routes = [
  { pattern: '/admin-credentials', render: adminCredentialsPage },
];
