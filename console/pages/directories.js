// Directories (Kong Identity v2): the directory list and form, a directory's principals, and a
// principal's credentials (API keys, basic auths with their passwords, identities).
// /v2 lists page with cursors (meta.page.next/previous links), not page numbers, so this module
// has its own small cursor pager with the same test hooks as ui.js pagedList.
import { h, pageHeader, card, button, linkButton, badge, emptyState, table, loading, errorBox, input, textarea, select, checkbox,
  formError, formActions, onSubmit, read, formatLabels, confirmDialog, deleteWithForce, toast, curl, curlCommand, formatDate, details, secretOnce } from '../ui.js';

const PAGE_SIZE = 20;
// Shown instead of calling an endpoint the role cannot use (the server would answer 403).
const noAccess = (ctx, text) => card(null, h('p', { class: 'muted', 'data-test': 'no-access' }, `Your role (${ctx.session.role}) ${text}`));
const dirPath = (id) => `/v2/directories/${encodeURIComponent(id)}`;
const principalPath = (ctx) => `${dirPath(ctx.params.directoryId)}/principals/${encodeURIComponent(ctx.params.principalId)}`;
const ghost = (label, test, onClick, danger) => button(label, { kind: 'ghost', class: `btn btn-ghost btn-small${danger ? ' btn-link-danger' : ''}`, 'data-test': test, onClick });

// A cursor-paginated list: first page from `path`, then the links the API answers with.
function cursorList({ api, path, query = {}, columns, rowId, empty, caption }) {
  const element = h('div', { class: 'paged-list' });
  let current = null;
  let pageNumber = 1;
  async function load(link, step = 0) {
    element.replaceChildren(loading());
    try {
      const result = link ? await api.get(link) : await api.get(path, { ...query, 'page[size]': PAGE_SIZE });
      current = link;
      pageNumber += step;
      const page = (result.meta && result.meta.page) || {};
      const rows = result.data || [];
      element.replaceChildren(rows.length ? table({ columns, rows, rowId, caption }) : empty());
      if (page.next || page.previous) {
        element.append(h('nav', { class: 'pager', 'data-test': 'pager', 'aria-label': 'Pages' },
          button('Previous', { 'data-test': 'prev-page', disabled: !page.previous, onClick: () => load(page.previous, -1) }),
          h('span', { class: 'muted' }, `Page ${pageNumber}`),
          button('Next', { 'data-test': 'next-page', disabled: !page.next, onClick: () => load(page.next, 1) })));
      }
    } catch (error) {
      element.replaceChildren(errorBox(error.detail || error.message));
    }
  }
  load(null);
  return { element, reload: () => load(current) };
}

// An error in the ApiError shape, so onSubmit shows it next to its field.
function fieldProblem(field, reason) {
  return Object.assign(new Error(reason), { detail: 'Check the highlighted field.', invalidParameters: [{ field, reason }] });
}

function isoOrUndefined(text) {
  if (!text) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}

// Deleting asks once; a directory that still holds principals is refused (409) and the console
// asks again with an explicit force checkbox.
async function deleteDirectory(ctx, directory, done) {
  const deleted = await deleteWithForce({
    api: ctx.api,
    path: dirPath(directory.id),
    confirm: {
      title: `Delete ${directory.name}?`,
      message: 'Gateways stop authenticating its principals once their cache expires. This cannot be undone.',
      confirmLabel: 'Delete directory',
    },
    needsForce: (error) => error.status === 409,
    force: {
      title: `${directory.name} still holds principals`,
      message: 'Deleting it deletes every principal in it too, with their API keys, passwords and identities.',
      label: 'Delete the directory and everything in it',
    },
  });
  if (!deleted) return;
  toast(`Deleted ${directory.name}`);
  done();
}

// ---------- directories ----------

function directoryForm(ctx, directory, onSaved) {
  const editable = directory ? ctx.can('PUT', dirPath(directory.id)) : ctx.can('POST', '/v2/directories');
  const disabled = !editable;
  const form = h('form', { id: 'directory-form', class: 'card form-card', novalidate: true },
    formError(),
    h('div', { class: 'form-grid' },
      input({ label: 'Name', name: 'name', value: directory?.name, required: true, disabled, placeholder: 'staff',
        hint: 'Lowercase letters, digits, - and _; unique.' }),
      input({ label: 'Description', name: 'description', value: directory?.description, disabled })),
    h('div', { class: 'form-grid' },
      input({ label: 'Cache time (s)', name: 'ttl_secs', type: 'number', value: directory?.ttl_secs ?? 600, min: 300, max: 86400, disabled,
        hint: 'How long a gateway caches a principal it authenticated, 300 to 86400.' }),
      input({ label: 'Negative cache time (s)', name: 'negative_ttl_secs', type: 'number', value: directory?.negative_ttl_secs ?? 600, min: 300, max: 86400, disabled,
        hint: 'How long a gateway remembers a failed lookup, 300 to 86400.' })),
    checkbox({ label: 'Allow every control plane', name: 'allow_all_control_planes', checked: directory?.allow_all_control_planes, disabled,
      hint: 'Otherwise only the control planes listed below may authenticate against it.' }),
    textarea({ label: 'Allowed control planes', name: 'allowed_control_planes', value: (directory?.allowed_control_planes || []).join('\n'), rows: 2, disabled,
      hint: 'One control plane id (UUID) per line, at most 32.' }),
    textarea({ label: 'Labels', name: 'labels', value: formatLabels(directory?.labels), rows: 2, disabled, placeholder: 'team=identity', hint: 'One key=value per line.' }),
    editable ? formActions(directory ? 'Save changes' : 'Create directory', linkButton('Cancel', directory ? `#/directories/${directory.id}` : '#/directories')) : null);
  if (!editable) return form;
  return onSubmit(form, async () => {
    const body = {
      name: read.text(form, 'name'),
      description: read.text(form, 'description'),
      ttl_secs: read.int(form, 'ttl_secs'),
      negative_ttl_secs: read.int(form, 'negative_ttl_secs'),
      allow_all_control_planes: read.bool(form, 'allow_all_control_planes'),
      allowed_control_planes: read.lines(form, 'allowed_control_planes'),
      labels: read.labels(form, 'labels'),
    };
    for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
    // PUT replaces the whole directory: keep what this form does not show.
    if (directory) onSaved(await ctx.api.put(dirPath(directory.id), { ...body, managed_by: directory.managed_by || {} }));
    else onSaved(await ctx.api.post('/v2/directories', body));
  });
}

function directoriesPage(ctx) {
  if (!ctx.can('GET', '/v2/directories')) return h('div', {}, pageHeader('Directories'), noAccess(ctx, 'cannot see directories.'));
  const canCreate = ctx.can('POST', '/v2/directories');
  const list = cursorList({
    api: ctx.api,
    path: '/v2/directories',
    query: { sort: 'name' },
    caption: 'Directories',
    rowId: (d) => d.id,
    columns: [
      { label: 'Name', render: (d) => [h('a', { href: `#/directories/${d.id}`, class: 'title', 'data-test': 'open' }, d.name), h('span', { class: 'sub' }, d.description || '')] },
      { label: 'Control planes', render: (d) => (d.allow_all_control_planes ? 'All' : `${d.allowed_control_planes.length} allowed`) },
      { label: 'Cache', render: (d) => `${d.ttl_secs} s / ${d.negative_ttl_secs} s` },
      { label: 'Created', render: (d) => formatDate(d.created_at) },
      {
        label: 'Actions', class: 'actions',
        render: (d) => h('div', { class: 'row-actions' },
          ctx.can('PUT', dirPath(d.id)) ? linkButton('Edit', `#/directories/${d.id}/settings`, { kind: 'ghost', class: 'btn btn-ghost btn-small', 'data-test': 'edit' }) : null,
          ctx.can('DELETE', dirPath(d.id)) ? ghost('Delete', 'delete', () => deleteDirectory(ctx, d, () => list.reload()), true) : null),
      },
    ],
    empty: () => emptyState('No directories yet', 'A directory groups principals (people, services) that gateways authenticate with API keys or passwords.',
      canCreate ? linkButton('Create your first directory', '#/directories/new', { kind: 'primary' }) : null),
  });
  return h('div', { class: 'stack' },
    pageHeader('Directories', 'Principals and their credentials, looked up by gateways (Kong Identity v2).',
      canCreate ? linkButton('New directory', '#/directories/new', { kind: 'primary', 'data-test': 'create' }) : null),
    list.element,
    card('With curl',
      curl(curlCommand('GET', '/v2/directories'), 'List directories'),
      curl(curlCommand('POST', '/v2/directories', { name: 'staff' }), 'Create a directory')));
}

function createDirectoryPage(ctx) {
  return h('div', { class: 'stack' },
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' }, h('a', { href: '#/directories' }, 'Directories'), ' / '),
    pageHeader('New directory'),
    directoryForm(ctx, null, (directory) => {
      toast(`Created ${directory.name}`);
      ctx.navigate(`/directories/${directory.id}`);
    }),
    curl(curlCommand('POST', '/v2/directories', { name: 'staff', ttl_secs: 600 }), 'The same with curl'));
}

async function directorySettingsPage(ctx) {
  if (!ctx.can('GET', dirPath(ctx.params.directoryId))) return h('div', {}, pageHeader('Directory'), noAccess(ctx, 'cannot see this directory.'));
  const directory = await ctx.api.get(dirPath(ctx.params.directoryId));
  return h('div', { class: 'stack' },
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' }, h('a', { href: '#/directories' }, 'Directories'), ' / ', h('a', { href: `#/directories/${directory.id}` }, directory.name), ' / '),
    pageHeader(`Settings of ${directory.name}`),
    directoryForm(ctx, directory, (saved) => {
      toast('Saved');
      ctx.navigate(`/directories/${saved.id}`);
    }),
    ctx.can('DELETE', dirPath(directory.id)) ? card('Delete this directory',
      h('p', { class: 'muted' }, 'If it still holds principals you will be asked to confirm deleting them too.'),
      button('Delete directory', { kind: 'danger', 'data-test': 'delete', onClick: () => deleteDirectory(ctx, directory, () => ctx.navigate('/directories')) })) : null,
    curl(curlCommand('PATCH', dirPath(directory.id), { ttl_secs: 900 }), 'Change it with curl'));
}

// ---------- principals ----------

// Creates a principal, or edits one (PATCH replaces labels whole, so the form sends them all).
function principalForm(ctx, directoryId, principal, onSaved, onCancel) {
  const form = h('form', { id: 'principal-form', class: 'card form-card', novalidate: true },
    h('h2', {}, principal ? 'Edit principal' : 'New principal'),
    formError(),
    h('div', { class: 'form-grid' },
      input({ label: 'Display name', name: 'display_name', value: principal?.display_name, placeholder: 'payments-service' }),
      input({ label: 'Description', name: 'description', value: principal?.description })),
    textarea({ label: 'Labels', name: 'labels', value: formatLabels(principal?.labels), rows: 2, placeholder: 'team=payments', hint: 'One key=value per line.' }),
    formActions(principal ? 'Save changes' : 'Create principal', onCancel ? button('Cancel', { onClick: onCancel }) : null));
  return onSubmit(form, async () => {
    const body = { display_name: read.text(form, 'display_name'), description: read.text(form, 'description'), labels: read.labels(form, 'labels') };
    const base = `${dirPath(directoryId)}/principals`;
    onSaved(principal ? await ctx.api.patch(`${base}/${principal.id}`, body) : await ctx.api.post(base, body));
  });
}

async function directoryPage(ctx) {
  if (!ctx.can('GET', dirPath(ctx.params.directoryId))) return h('div', {}, pageHeader('Directory'), noAccess(ctx, 'cannot see this directory.'));
  const directory = await ctx.api.get(dirPath(ctx.params.directoryId));
  const base = `${dirPath(directory.id)}/principals`;
  const canWrite = ctx.can('POST', base);
  const formSlot = h('div', {});
  const list = cursorList({
    api: ctx.api,
    path: base,
    query: { sort: 'display_name' },
    caption: 'Principals',
    rowId: (p) => p.id,
    columns: [
      { label: 'Principal', render: (p) => [h('a', { href: `#/directories/${directory.id}/principals/${p.id}`, class: 'title', 'data-test': 'open' }, p.display_name || p.id),
        h('span', { class: 'sub' }, p.description || '')] },
      { label: 'Labels', render: (p) => h('span', { class: 'small' }, formatLabels(p.labels).replaceAll('\n', ', ') || '—') },
      { label: 'Created', render: (p) => formatDate(p.created_at) },
      {
        label: 'Actions', class: 'actions',
        render: (p) => (ctx.can('DELETE', `${base}/${p.id}`) ? h('div', { class: 'row-actions' }, ghost('Delete', 'delete', () => deletePrincipal(ctx, directory.id, p, () => list.reload()), true)) : null),
      },
    ],
    empty: () => emptyState('No principals yet', 'A principal is a person or service that authenticates at a gateway with its API keys or passwords.'),
  });
  function openForm() {
    const form = principalForm(ctx, directory.id, null, (principal) => {
      toast(`Created ${principal.display_name || 'the principal'}`);
      ctx.navigate(`/directories/${directory.id}/principals/${principal.id}`);
    }, () => formSlot.replaceChildren());
    formSlot.replaceChildren(form);
    form.querySelector('input[name=display_name]').focus();
  }
  return h('div', { class: 'stack' },
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' }, h('a', { href: '#/directories' }, 'Directories'), ' / '),
    pageHeader(directory.name, directory.description || 'Principals of this directory.',
      ctx.can('PUT', dirPath(directory.id)) ? linkButton('Settings', `#/directories/${directory.id}/settings`, { 'data-test': 'edit' }) : null,
      canWrite ? button('New principal', { kind: 'primary', 'data-test': 'create', onClick: openForm }) : null),
    card('Directory', details([
      ['ID', h('code', {}, directory.id)],
      ['Control planes', directory.allow_all_control_planes ? 'All' : (directory.allowed_control_planes.join(', ') || 'None yet')],
      ['Cache', `${directory.ttl_secs} s (failed lookups ${directory.negative_ttl_secs} s)`],
      ['Labels', formatLabels(directory.labels).replaceAll('\n', ', ') || '—'],
    ])),
    formSlot,
    card('Principals', list.element),
    card('With curl',
      curl(curlCommand('GET', base), 'List principals'),
      curl(curlCommand('POST', base, { display_name: 'payments-service' }), 'Create a principal')));
}

async function deletePrincipal(ctx, directoryId, principal, done) {
  const ok = await confirmDialog({
    title: `Delete ${principal.display_name || 'this principal'}?`,
    message: 'Its API keys, passwords and identities stop working. This cannot be undone.',
    confirmLabel: 'Delete principal',
    onConfirm: () => ctx.api.del(`${dirPath(directoryId)}/principals/${principal.id}`),
  });
  if (ok) {
    toast('Deleted the principal');
    done();
  }
}

// ---------- a principal's credentials ----------

// A section with a create form toggled by a button, a secret slot and a cursor list.
function section({ key, title, intro, createLabel, canCreate, makeForm, list, secretSlot }) {
  const formSlot = h('div', {});
  const open = () => {
    const form = makeForm(() => formSlot.replaceChildren());
    formSlot.replaceChildren(form);
    const first = form.querySelector('input, select, textarea');
    if (first) first.focus();
  };
  // data-section / data-kind tell the three lists and their create buttons apart.
  const box = card(null,
    h('div', { class: 'card-head' }, h('h2', {}, title), canCreate ? button(createLabel, { kind: 'secondary', 'data-test': 'create', 'data-kind': key, onClick: open }) : null),
    intro ? h('p', { class: 'muted' }, intro) : null,
    secretSlot || null,
    formSlot,
    list.element);
  box.dataset.section = key;
  return box;
}

function showSecret(slot, title, value) {
  slot.replaceChildren(secretOnce({ title, value, onDone: () => slot.replaceChildren() }));
}

async function removeThing(ctx, { title, message, path, label, done }) {
  const ok = await confirmDialog({ title, message, confirmLabel: label, onConfirm: () => ctx.api.del(path) });
  if (ok) {
    toast('Deleted');
    done();
  }
}

function apiKeysSection(ctx) {
  const base = `${principalPath(ctx)}/api-keys`;
  const canWrite = ctx.can('POST', base);
  const secretSlot = h('div', {});
  const list = cursorList({
    api: ctx.api, path: base, caption: 'API keys', rowId: (k) => k.id,
    columns: [
      { label: 'Key', render: (k) => h('code', {}, k.id) },
      { label: 'Expires', render: (k) => (k.expires_at ? formatDate(k.expires_at) : 'Never') },
      { label: 'Created', render: (k) => formatDate(k.created_at) },
      { label: 'Actions', class: 'actions', render: (k) => (canWrite ? h('div', { class: 'row-actions' }, ghost('Delete', 'delete', () => removeThing(ctx, {
        title: 'Delete this API key?', message: 'Gateways refuse it once their cache expires. This cannot be undone.', path: `${base}/${k.id}`, label: 'Delete key', done: () => list.reload(),
      }), true)) : null) },
    ],
    empty: () => emptyState('No API keys', 'Create one for the principal to send to gateways.'),
  });
  const makeForm = (close) => {
    const form = h('form', { id: 'api-key-form', class: 'form-card', novalidate: true },
      formError(),
      input({ label: 'Expires at (optional)', name: 'expires_at', type: 'datetime-local', hint: 'Your local time; empty: never.' }),
      formActions('Create API key', button('Cancel', { onClick: close })));
    return onSubmit(form, async () => {
      const body = { type: 'v1' };
      const expires = isoOrUndefined(read.text(form, 'expires_at'));
      if (expires) body.expires_at = expires;
      const created = await ctx.api.post(base, body);
      close();
      showSecret(secretSlot, 'New API key', created.secret);
      list.reload();
    });
  };
  return section({ key: 'api-keys', title: 'API keys', intro: 'Keys are generated by Tessera and shown once.', createLabel: 'New API key', canCreate: canWrite, makeForm, list, secretSlot });
}

// A basic auth row's passwords, loaded when its "Passwords" disclosure is opened.
function passwordsCell(ctx, basicAuth, base, secretSlot) {
  const path = `${base}/${basicAuth.id}/passwords`;
  const canWrite = ctx.can('POST', path);
  const body = h('div', {});
  let loaded = false;
  async function load() {
    loaded = true;
    body.replaceChildren(loading());
    try {
      const result = await ctx.api.get(path, { 'page[size]': 100 });
      const passwords = result.data || [];
      body.replaceChildren(
        passwords.length ? h('ul', { class: 'plain-list' }, passwords.map((p) => h('li', { 'data-test': 'password', 'data-id': p.id },
          h('span', { class: 'small' }, `Created ${formatDate(p.created_at)}; expires ${p.expires_at ? formatDate(p.expires_at) : 'never'} `),
          canWrite ? ghost('Delete', 'delete-password', () => removeThing(ctx, {
            title: 'Delete this password?', message: 'It stops working once gateway caches expire.', path: `${path}/${p.id}`, label: 'Delete password', done: load,
          }), true) : null))) : h('p', { class: 'muted small' }, 'No passwords.'),
        canWrite ? ghost('Add password', 'add-password', async () => {
          try {
            const created = await ctx.api.post(path, {});
            showSecret(secretSlot, `New password for ${basicAuth.username}`, created.secret);
            load();
          } catch (error) {
            toast(error.detail || error.message, 'error');
          }
        }) : null);
    } catch (error) {
      body.replaceChildren(errorBox(error.detail || error.message));
    }
  }
  const disclosure = h('details', {}, h('summary', { 'data-test': 'expand' }, 'Passwords'), body);
  disclosure.addEventListener('toggle', () => { if (disclosure.open && !loaded) load(); });
  return disclosure;
}

function basicAuthsSection(ctx) {
  const base = `${principalPath(ctx)}/basic-auths`;
  const canWrite = ctx.can('POST', base);
  const secretSlot = h('div', {});
  const list = cursorList({
    api: ctx.api, path: base, caption: 'Basic auths', rowId: (b) => b.id,
    columns: [
      { label: 'Username', render: (b) => h('span', { class: 'title' }, b.username) },
      { label: 'Passwords', render: (b) => passwordsCell(ctx, b, base, secretSlot) },
      { label: 'Created', render: (b) => formatDate(b.created_at) },
      { label: 'Actions', class: 'actions', render: (b) => (canWrite ? h('div', { class: 'row-actions' }, ghost('Delete', 'delete', () => removeThing(ctx, {
        title: `Delete ${b.username}?`, message: 'The username and all its passwords stop working. This cannot be undone.', path: `${base}/${b.id}`, label: 'Delete', done: () => list.reload(),
      }), true)) : null) },
    ],
    empty: () => emptyState('No basic auths', 'A username whose passwords the principal can sign in with.'),
  });
  const makeForm = (close) => {
    const form = h('form', { id: 'basic-auth-form', class: 'form-card', novalidate: true },
      formError(),
      input({ label: 'Username', name: 'username', required: true }),
      formActions('Create basic auth', button('Cancel', { onClick: close })));
    return onSubmit(form, async () => {
      await ctx.api.post(base, { username: read.text(form, 'username') });
      close();
      toast('Created; open its passwords to add one');
      list.reload();
    });
  };
  return section({ key: 'basic-auths', title: 'Basic auths and passwords', intro: 'Passwords are generated by Tessera and shown once.', createLabel: 'New basic auth', canCreate: canWrite, makeForm, list, secretSlot });
}

// Which fields each identity type has (Kong's KongPrincipalIdentity* schemas).
const IDENTITY_FIELDS = {
  oidc: [['issuer', 'Issuer'], ['claim.name', 'Claim name'], ['claim.value', 'Claim value']],
  auth_server_client: [['auth_server_id', 'Auth server ID'], ['client_id', 'Client ID']],
  control_plane_consumer: [['control_plane_id', 'Control plane ID'], ['workspace_id', 'Workspace ID (optional)'], ['consumer_id', 'Consumer ID']],
  custom: [['key', 'Key'], ['value', 'Value']],
};

function identityText(identity) {
  switch (identity.type) {
    case 'oidc': return `${identity.issuer} · ${identity.claim?.name}=${identity.claim?.value}`;
    case 'auth_server_client': return `${identity.auth_server_id} · client ${identity.client_id}`;
    case 'control_plane_consumer': return `${identity.control_plane_id} · consumer ${identity.consumer_id}`;
    default: return `${identity.key}=${identity.value}`;
  }
}

function identitiesSection(ctx) {
  const base = `${principalPath(ctx)}/identities`;
  const canWrite = ctx.can('POST', base);
  const list = cursorList({
    api: ctx.api, path: base, caption: 'Identities', rowId: (i) => i.id,
    columns: [
      { label: 'Type', render: (i) => badge(i.type) },
      { label: 'Identity', render: (i) => h('code', {}, identityText(i)) },
      { label: 'Created', render: (i) => formatDate(i.created_at) },
      { label: 'Actions', class: 'actions', render: (i) => (canWrite ? h('div', { class: 'row-actions' }, ghost('Delete', 'delete', () => removeThing(ctx, {
        title: 'Delete this identity?', message: 'The principal is no longer found by it.', path: `${base}/${i.id}`, label: 'Delete identity', done: () => list.reload(),
      }), true)) : null) },
    ],
    empty: () => emptyState('No identities', 'Identities link the principal to who it is elsewhere: an OIDC subject, an auth server client, a consumer.'),
  });
  const makeForm = (close) => {
    const typeField = select({ label: 'Type', name: 'type', value: 'custom', options: Object.keys(IDENTITY_FIELDS) });
    const groups = Object.fromEntries(Object.entries(IDENTITY_FIELDS).map(([type, fields]) =>
      [type, h('div', { class: 'form-grid' }, fields.map(([name, label]) => input({ label, name })))]));
    const form = h('form', { id: 'identity-form', class: 'form-card', novalidate: true },
      formError(), typeField, Object.values(groups),
      formActions('Create identity', button('Cancel', { onClick: close })));
    const typeSelect = typeField.querySelector('select');
    // Only the chosen type's fields are shown (and sent).
    const sync = () => { for (const [type, group] of Object.entries(groups)) group.hidden = type !== typeSelect.value; };
    typeSelect.addEventListener('change', sync);
    sync();
    return onSubmit(form, async () => {
      const type = read.text(form, 'type');
      const body = { type };
      for (const [name] of IDENTITY_FIELDS[type]) {
        const text = groups[type].querySelector(`[name="${name}"]`).value.trim();
        if (!text) continue;
        if (name.startsWith('claim.')) body.claim = { ...body.claim, [name.slice(6)]: text };
        else body[name] = text;
      }
      if (type === 'oidc' && !body.claim) throw fieldProblem('claim.name', 'is required');
      await ctx.api.post(base, body);
      close();
      toast('Created the identity');
      list.reload();
    });
  };
  return section({ key: 'identities', title: 'Identities', createLabel: 'New identity', canCreate: canWrite, makeForm, list });
}

async function principalPage(ctx) {
  if (!ctx.can('GET', principalPath(ctx))) return h('div', {}, pageHeader('Principal'), noAccess(ctx, 'cannot see this directory.'));
  const [directory, principal] = await Promise.all([ctx.api.get(dirPath(ctx.params.directoryId)), ctx.api.get(principalPath(ctx))]);
  const canDelete = ctx.can('DELETE', principalPath(ctx));
  const canEdit = ctx.can('PATCH', principalPath(ctx));
  const editSlot = h('div', {});
  const openEdit = () => {
    const form = principalForm(ctx, directory.id, principal, () => {
      toast('Saved');
      ctx.navigate(`/directories/${directory.id}/principals/${principal.id}`);
    }, () => editSlot.replaceChildren());
    editSlot.replaceChildren(form);
    form.querySelector('input[name=display_name]').focus();
  };
  return h('div', { class: 'stack' },
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' }, h('a', { href: '#/directories' }, 'Directories'), ' / ', h('a', { href: `#/directories/${directory.id}` }, directory.name), ' / '),
    pageHeader(principal.display_name || 'Principal', principal.description || null,
      canDelete ? button('Delete principal', { kind: 'danger', 'data-test': 'delete', onClick: () => deletePrincipal(ctx, directory.id, principal, () => ctx.navigate(`/directories/${directory.id}`)) }) : null),
    card('Principal', details([
      ['ID', h('code', {}, principal.id)],
      ['Labels', formatLabels(principal.labels).replaceAll('\n', ', ') || '—'],
      ['Provisioned by', principal.provisioned_by || '—'],
      ['Created', formatDate(principal.created_at)],
    ]), canEdit ? button('Edit', { 'data-test': 'edit', onClick: openEdit }) : null),
    editSlot,
    apiKeysSection(ctx),
    basicAuthsSection(ctx),
    identitiesSection(ctx),
    card('With curl',
      curl(curlCommand('POST', `${principalPath(ctx)}/api-keys`, { type: 'v1' }), 'Create an API key'),
      curl(curlCommand('POST', `${dirPath(directory.id)}/authenticate`, { api_key: '<api key>' }), 'Check a key as a gateway would')));
}

export const routes = [
  { pattern: '/directories', render: async (ctx) => directoriesPage(ctx) },
  { pattern: '/directories/new', render: async (ctx) => createDirectoryPage(ctx) },
  { pattern: '/directories/:directoryId', render: directoryPage },
  { pattern: '/directories/:directoryId/settings', render: directorySettingsPage },
  { pattern: '/directories/:directoryId/principals/:principalId', render: principalPage },
];
