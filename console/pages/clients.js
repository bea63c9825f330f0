// Clients of an auth server: list, create (secret shown once), edit, and the client overview.
import { h, backLink, nameSearch, card, button, linkButton, badge, emptyState, pagedList, input, textarea, select, checkbox, checkboxGroup, formError,
  formActions, onSubmit, read, formatLabels, toast, curl, curlCommand, details, formatDate, secretOnce } from '../ui.js';
import { authServerFrame, loadAuthServer, apiPath } from './common.js';
import { clientFrame, clientPath, clientsHash, clientHash, deleteClient } from './client-common.js';
import { testTokenCard } from './test-token.js';

const GRANT_TYPES = [
  { value: 'client_credentials', label: 'Client credentials (machine to machine)' },
  { value: 'authorization_code', label: 'Authorization code (users, with PKCE)' },
  { value: 'refresh_token', label: 'Refresh token' },
  { value: 'implicit', label: 'Implicit (legacy)' },
];
const RESPONSE_TYPES = ['token', 'code', 'id_token', 'none'].map((value) => ({ value, label: value }));
const AUTH_METHODS = [
  { value: 'client_secret_post', label: 'client_secret_post (form or HTTP Basic)' },
  { value: 'client_secret_basic', label: 'client_secret_basic (HTTP Basic only)' },
  { value: 'none', label: 'none (public client, no secret)' },
];

const allScopes = (ctx) => ctx.api.get(apiPath(ctx, '/scopes'), { 'page[size]': 100, sort: 'name' }).then((r) => r.data);

function duration(seconds) {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

async function listPage(ctx) {
  const server = await loadAuthServer(ctx);
  const canWrite = ctx.can('POST', apiPath(ctx, '/clients'));
  const list = pagedList({
    api: ctx.api,
    path: apiPath(ctx, '/clients'),
    query: { sort: 'name' },
    caption: 'Clients',
    rowId: (client) => client.id,
    columns: [
      { label: 'Name', render: (client) => [h('a', { href: clientHash(ctx, client.id), class: 'title', 'data-test': 'open' }, client.name), h('code', { class: 'sub' }, client.id)] },
      { label: 'Grant types', render: (client) => h('div', { class: 'chips' }, client.grant_types.map((grant) => badge(grant))) },
      { label: 'Auth method', render: (client) => h('code', {}, client.token_endpoint_auth_method) },
      { label: 'Access token', render: (client) => duration(client.access_token_duration) },
      {
        label: 'Actions', class: 'actions',
        render: (client) => canWrite ? h('div', { class: 'row-actions' },
          linkButton('Edit', clientHash(ctx, client.id, 'edit'), { kind: 'ghost', class: 'btn btn-ghost btn-small', 'data-test': 'edit' }),
          button('Delete', { kind: 'ghost', class: 'btn btn-ghost btn-small btn-link-danger', 'data-test': 'delete', onClick: () => deleteClient(ctx, client, () => list.reload()) })) : '',
      },
    ],
    empty: () => emptyState('No clients yet', 'A client is an application or service that gets tokens from this auth server.',
      canWrite ? linkButton('Create a client', `${clientsHash(ctx)}/new`, { kind: 'primary' }) : null),
  });
  return authServerFrame(ctx, server, 'clients', h('div', {},
    h('div', { class: 'card-head' }, h('h2', {}, 'Clients'),
      canWrite ? linkButton('New client', `${clientsHash(ctx)}/new`, { kind: 'primary', 'data-test': 'create' }) : null),
    nameSearch(list, 'Search clients'),
    list.element));
}

function clientForm(ctx, client, scopes, onSaved) {
  const methods = client && !AUTH_METHODS.some((m) => m.value === client.token_endpoint_auth_method)
    ? [...AUTH_METHODS, { value: client.token_endpoint_auth_method, label: client.token_endpoint_auth_method }] : AUTH_METHODS;
  const form = h('form', { id: 'client-form', class: 'card form-card', novalidate: true },
    formError(),
    input({ label: 'Name', name: 'name', value: client?.name, required: true, placeholder: 'billing-service', hint: 'Unique within this auth server.' }),
    checkboxGroup({ legend: 'Grant types', name: 'grant_types', options: GRANT_TYPES, selected: client?.grant_types || ['client_credentials'] }),
    checkboxGroup({ legend: 'Response types', name: 'response_types', options: RESPONSE_TYPES, selected: client?.response_types || ['token'],
      hint: 'What the authorize endpoint may return; token for client credentials and implicit, code for the authorization code flow.' }),
    select({ label: 'Token endpoint authentication', name: 'token_endpoint_auth_method', value: client?.token_endpoint_auth_method || 'client_secret_post', options: methods }),
    textarea({ label: 'Redirect URIs', name: 'redirect_uris', value: (client?.redirect_uris || []).join('\n'), rows: 2, placeholder: 'https://app.example.com/callback',
      hint: 'One per line; only for interactive flows. https, or http on localhost.' }),
    input({ label: 'Login page URL', name: 'login_uri', value: client?.login_uri || '', placeholder: 'https://app.example.com/login', hint: 'Where users sign in during interactive flows; leave empty for none.' }));
  const allScopes = checkbox({ label: 'May request every scope of this auth server', name: 'allow_all_scopes', checked: client?.allow_all_scopes });
  const scopeGroup = checkboxGroup({ legend: 'Scopes it may request', name: 'allow_scopes', options: scopes.map((s) => ({ value: s.id, label: s.name })), selected: client?.allow_scopes || [] });
  for (const box of scopeGroup.querySelectorAll('input')) box.dataset.name = scopes.find((s) => s.id === box.value)?.name || '';
  form.append(allScopes, scopeGroup,
    h('div', { class: 'form-grid' },
      input({ label: 'Access token lifetime (seconds)', name: 'access_token_duration', type: 'number', min: 60, max: 2592000, value: client?.access_token_duration ?? 300 }),
      input({ label: 'ID token lifetime (seconds)', name: 'id_token_duration', type: 'number', min: 60, max: 2592000, value: client?.id_token_duration ?? 300 })),
    textarea({ label: 'Labels', name: 'labels', value: formatLabels(client?.labels), rows: 2, placeholder: 'environment=staging', hint: 'One key=value per line; templates read them as .Client.Labels.<key>.' }),
    checkbox({ label: 'May introspect tokens of other clients', name: 'introspection_allowed', checked: client?.introspection_allowed, hint: 'For the client an API gateway introspects tokens with.' }),
    formActions(client ? 'Save changes' : 'Create client', linkButton('Cancel', client ? clientHash(ctx, client.id) : clientsHash(ctx))));
  const sync = () => { scopeGroup.hidden = form.elements.allow_all_scopes.checked; };
  form.elements.allow_all_scopes.addEventListener('change', sync);
  sync();
  return onSubmit(form, async () => {
    const body = {
      name: read.text(form, 'name'),
      grant_types: read.checked(form, 'grant_types'),
      response_types: read.checked(form, 'response_types'),
      token_endpoint_auth_method: read.text(form, 'token_endpoint_auth_method'),
      redirect_uris: read.lines(form, 'redirect_uris'),
      login_uri: read.text(form, 'login_uri') || null,
      allow_all_scopes: read.bool(form, 'allow_all_scopes'),
      allow_scopes: read.checked(form, 'allow_scopes'),
      access_token_duration: read.int(form, 'access_token_duration'),
      id_token_duration: read.int(form, 'id_token_duration'),
      labels: read.labels(form, 'labels'),
      introspection_allowed: read.bool(form, 'introspection_allowed'),
    };
    if (client) {
      for (const key of Object.keys(client.labels || {})) if (!(key in body.labels)) body.labels[key] = null;
      onSaved(await ctx.api.patch(apiPath(ctx, `/clients/${encodeURIComponent(client.id)}`), body));
    } else {
      onSaved(await ctx.api.post(apiPath(ctx, '/clients'), body));
    }
  });
}

async function createPage(ctx) {
  const [server, scopes] = await Promise.all([loadAuthServer(ctx), allScopes(ctx)]);
  const body = h('div', {},
    backLink(clientsHash(ctx), 'All clients'),
    h('h2', {}, 'New client'));
  body.append(clientForm(ctx, null, scopes, (created) => {
    toast(`Created ${created.name}`);
    if (!created.client_secret) {
      ctx.navigate(clientHash(ctx, created.id).slice(1));
      return;
    }
    body.replaceChildren(
      h('h2', {}, created.name),
      secretOnce({
        title: 'The client’s secret',
        value: created.client_secret,
        note: `Client ID ${created.id}. Copy the secret now and store it with the client: you will not see it again.`,
        onDone: () => ctx.navigate(clientHash(ctx, created.id).slice(1)),
      }));
    body.querySelector('[data-test=copy]').focus();
  }), curl(curlCommand('POST', `/v1/auth-servers/${server.id}/clients`, { name: 'billing-service', grant_types: ['client_credentials'], response_types: ['token'], allow_all_scopes: true }), 'The same with curl'));
  return authServerFrame(ctx, server, 'clients', body);
}

async function editPage(ctx) {
  const [server, client, scopes] = await Promise.all([loadAuthServer(ctx), ctx.api.get(clientPath(ctx)), allScopes(ctx)]);
  if (!ctx.can('PATCH', clientPath(ctx))) return overviewPage(ctx);
  return clientFrame(ctx, server, client, 'client-overview', clientForm(ctx, client, scopes, (saved) => {
    toast(`Saved ${saved.name}`);
    ctx.navigate(clientHash(ctx, saved.id).slice(1));
  }));
}

async function overviewPage(ctx) {
  const [server, client, scopes] = await Promise.all([loadAuthServer(ctx), ctx.api.get(clientPath(ctx)), allScopes(ctx)]);
  const scopeName = Object.fromEntries(scopes.map((s) => [s.id, s.name]));
  const allowed = client.allow_all_scopes ? scopes.filter((s) => s.enabled).map((s) => s.name) : client.allow_scopes.map((id) => scopeName[id]).filter(Boolean);
  const chips = (items) => items.length ? h('div', { class: 'chips' }, items.map((item) => badge(item))) : h('span', { class: 'muted' }, 'none');
  const tokenCommand = [
    `curl -s -X POST "${server.issuer}/oauth/token"`,
    `  -u "${client.id}:$CLIENT_SECRET"`,
    '  -d grant_type=client_credentials',
  ].join(' \\\n');
  return clientFrame(ctx, server, client, 'client-overview', h('div', { class: 'stack' },
    h('div', { class: 'grid-2' },
      card('Settings', details([
        ['Grant types', chips(client.grant_types)],
        ['Response types', chips(client.response_types)],
        ['Authentication', h('code', {}, client.token_endpoint_auth_method)],
        ['Scopes', client.allow_all_scopes ? h('span', {}, 'every scope ', chips(allowed)) : chips(allowed)],
        ['Redirect URIs', client.redirect_uris.length ? h('div', {}, client.redirect_uris.map((uri) => h('div', {}, h('code', {}, uri)))) : h('span', { class: 'muted' }, 'none')],
        client.login_uri ? ['Login page', h('code', {}, client.login_uri)] : null,
        ['Access token', duration(client.access_token_duration)],
        ['ID token', duration(client.id_token_duration)],
        ['Labels', chips(Object.entries(client.labels).map(([k, v]) => `${k}=${v}`))],
        ['Introspection', client.introspection_allowed ? 'may introspect other clients’ tokens' : 'own tokens only'],
        ['Created', formatDate(client.created_at)],
      ])),
      card('Use it',
        h('p', { class: 'muted' }, 'Your service asks the token endpoint for a token with its client ID and secret:'),
        curl(tokenCommand, 'Client credentials token'),
        curl(curlCommand('GET', `/v1/auth-servers/${server.id}/clients/${client.id}`), 'This client with the management API'))),
    testTokenCard(server, client, allowed)));
}

export const routes = [
  { pattern: '/auth-servers/:authServerId/clients', render: listPage },
  { pattern: '/auth-servers/:authServerId/clients/new', render: createPage },
  { pattern: '/auth-servers/:authServerId/clients/:clientId', render: overviewPage },
  { pattern: '/auth-servers/:authServerId/clients/:clientId/edit', render: editPage },
];
