// Auth servers: the list, the create form, the overview tab (activity, issuer documents, curl)
// and the settings tab (edit, delete).
import { h, backLink, nameSearch, pageHeader, card, button, linkButton, badge, emptyState, pagedList, input, textarea, select, formError, formActions,
  onSubmit, read, formatLabels, deleteWithForce, toast, jsonView, curl, curlCommand, details, formatDate, errorBox, copyButton, checkbox } from '../ui.js';
import { issuerUrl, issuerFetch } from '../api.js';
import { authServerFrame, loadAuthServer, apiPath } from './common.js';
import { activityChart } from './activity-chart.js';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'EdDSA'];

function list(ctx) {
  const canCreate = ctx.can('POST', '/v1/auth-servers');
  const create = canCreate ? linkButton('New auth server', '#/auth-servers/new', { kind: 'primary', 'data-test': 'create' }) : null;
  const table = pagedList({
    api: ctx.api,
    path: '/v1/auth-servers',
    query: { sort: 'name' },
    caption: 'Auth servers',
    rowId: (server) => server.id,
    columns: [
      { label: 'Name', render: (server) => [h('a', { href: `#/auth-servers/${server.id}/overview`, class: 'title', 'data-test': 'open' }, server.name), h('span', { class: 'sub' }, server.description || '')] },
      { label: 'Audience', render: (server) => h('code', {}, server.audience) },
      { label: 'Algorithm', render: (server) => badge(server.signing_algorithm) },
      { label: 'Created', render: (server) => formatDate(server.created_at) },
      {
        label: 'Actions', class: 'actions',
        render: (server) => h('div', { class: 'row-actions' },
          ctx.can('PATCH', `/v1/auth-servers/${server.id}`) ? linkButton('Edit', `#/auth-servers/${server.id}/settings`, { kind: 'ghost', class: 'btn btn-ghost btn-small', 'data-test': 'edit' }) : null,
          ctx.can('DELETE', `/v1/auth-servers/${server.id}`) ? button('Delete', { kind: 'ghost', class: 'btn btn-ghost btn-small btn-link-danger', 'data-test': 'delete', onClick: () => deleteAuthServer(ctx, server, () => table.reload()) }) : null),
      },
    ],
    empty: () => emptyState('No auth servers yet',
      'An auth server issues tokens for one audience, with its own issuer URL, scopes, claims and clients.',
      canCreate ? linkButton('Create your first auth server', '#/auth-servers/new', { kind: 'primary' }) : null),
  });
  return h('div', {},
    pageHeader('Auth servers', 'Each auth server has its own issuer URL, signing keys, scopes, claims and clients.', create),
    nameSearch(table, 'Search auth servers'),
    table.element);
}

// Deleting asks once; if the server still holds scopes, claims or clients the API refuses
// (400 on `force`) and the console asks again with an explicit force checkbox.
export async function deleteAuthServer(ctx, server, done) {
  const deleted = await deleteWithForce({
    api: ctx.api,
    path: `/v1/auth-servers/${encodeURIComponent(server.id)}`,
    confirm: {
      title: `Delete ${server.name}?`,
      message: 'Its issuer URL stops working and tokens it issued can no longer be verified. This cannot be undone.',
      confirmLabel: 'Delete auth server',
    },
    needsForce: (error) => error.status === 400 && error.invalidParameters.some((p) => p.field === 'force'),
    force: {
      title: `${server.name} is not empty`,
      message: 'It still has scopes, claims or clients. Deleting it deletes them too, with every client secret.',
      label: 'Delete the auth server and everything in it',
    },
  });
  if (!deleted) return;
  toast(`Deleted ${server.name}`);
  done();
}

function authServerForm(ctx, server, onSaved) {
  const editable = server ? ctx.can('PATCH', `/v1/auth-servers/${server.id}`) : true;
  const disabled = !editable;
  const form = h('form', { id: 'auth-server-form', class: 'card form-card', novalidate: true },
    formError(),
    h('div', { class: 'form-grid' },
      input({ label: 'Name', name: 'name', value: server?.name, required: true, disabled, hint: 'Unique across auth servers.' }),
      input({ label: 'Audience', name: 'audience', value: server?.audience, required: true, disabled, placeholder: 'https://api.example.com', hint: 'The aud claim of its access tokens.' })),
    textarea({ label: 'Description', name: 'description', value: server?.description, rows: 2, disabled }),
    select({ label: 'Signing algorithm', name: 'signing_algorithm', value: server?.signing_algorithm || 'RS256', options: ALGORITHMS, disabled,
      hint: server ? 'Changing it puts a new key in place at once; the old key stays in the JWKS for 30 days.' : 'RS256 is the most widely supported; ES256 and EdDSA sign much faster.' }),
    textarea({ label: 'Trusted origins', name: 'trusted_origins', value: (server?.trusted_origins || []).join('\n'), rows: 3, disabled, placeholder: 'https://app.example.com',
      hint: 'One origin per line: web apps allowed to call the issuer endpoints from a browser (CORS).' }),
    textarea({ label: 'Labels', name: 'labels', value: formatLabels(server?.labels), rows: 3, disabled, placeholder: 'env=prod', hint: 'One key=value per line.' }),
    editable ? formActions(server ? 'Save changes' : 'Create auth server', server ? null : linkButton('Cancel', '#/auth-servers')) : null);
  if (!editable) return form;
  return onSubmit(form, async () => {
    const body = {
      name: read.text(form, 'name'),
      audience: read.text(form, 'audience'),
      description: read.text(form, 'description'),
      signing_algorithm: read.text(form, 'signing_algorithm'),
      trusted_origins: read.lines(form, 'trusted_origins'),
      labels: read.labels(form, 'labels'),
    };
    if (server) {
      // Labels merge as a JSON merge patch: removed keys must be sent as null.
      for (const key of Object.keys(server.labels || {})) if (!(key in body.labels)) body.labels[key] = null;
      onSaved(await ctx.api.patch(`/v1/auth-servers/${server.id}`, body));
    } else {
      onSaved(await ctx.api.post('/v1/auth-servers', body));
    }
  });
}

function createPage(ctx) {
  return h('div', {},
    backLink('#/auth-servers', 'All auth servers'),
    pageHeader('New auth server', 'It gets its own issuer URL and a signing key right away.'),
    authServerForm(ctx, null, (server) => {
      toast(`Created ${server.name}`);
      ctx.navigate(`/auth-servers/${server.id}/overview`);
    }),
    curl(curlCommand('POST', '/v1/auth-servers', { name: 'Appointments', audience: 'https://api.example.com/appointments' }), 'The same with curl'));
}

async function settingsPage(ctx) {
  const server = await loadAuthServer(ctx);
  const canDelete = ctx.can('DELETE', apiPath(ctx));
  return authServerFrame(ctx, server, 'settings', h('div', {},
    authServerForm(ctx, server, (saved) => {
      toast('Saved');
      ctx.navigate(`/auth-servers/${saved.id}/settings`);
    }),
    card('Details', details([
      ['ID', h('code', {}, server.id)],
      ['Issuer', h('code', {}, server.issuer)],
      ['Created', formatDate(server.created_at)],
      ['Updated', formatDate(server.updated_at)],
    ])),
    canDelete ? card('Delete this auth server',
      h('p', { class: 'muted' }, 'Deleting it stops its issuer URL; if it still has scopes, claims or clients you will be asked to confirm deleting them too.'),
      button('Delete auth server', { kind: 'danger', 'data-test': 'delete', onClick: () => deleteAuthServer(ctx, server, () => ctx.navigate('/auth-servers')) })) : null));
}

// A JSON document of the issuer (discovery, JWKS), fetched from this origin.
function issuerDocument(server, suffix, testId, title) {
  const body = h('div', {}, h('p', { class: 'muted small' }, 'Loading…'));
  const url = issuerUrl(server.issuer, suffix);
  if (!url) {
    body.replaceChildren(h('p', { class: 'muted' }, 'This issuer is on another origin; open it directly: ', h('code', {}, server.issuer + suffix)));
  } else {
    issuerFetch(url).then(
      (result) => body.replaceChildren(result.ok ? jsonView(result.data, testId) : errorBox(`The issuer answered ${result.status}.`)),
      () => body.replaceChildren(errorBox('The issuer could not be reached.')));
  }
  return card(null, h('div', { class: 'card-head' }, h('h2', {}, title), h('a', { href: server.issuer + suffix, target: '_blank', rel: 'noopener' }, 'Open')), body);
}

async function overviewPage(ctx) {
  const server = await loadAuthServer(ctx);
  const activity = h('div', {}, h('p', { class: 'muted small' }, 'Loading activity…'));
  ctx.api.get(`/console/api/auth-servers/${server.id}/activity`).then(
    (data) => activity.replaceChildren(activityChart(data)),
    (error) => activity.replaceChildren(errorBox(error.detail)));
  const tokenCommand = [
    `curl -s -X POST "${server.issuer}/oauth/token"`,
    '  -u "$CLIENT_ID:$CLIENT_SECRET"',
    '  -d grant_type=client_credentials',
  ].join(' \\\n');
  return authServerFrame(ctx, server, 'overview', h('div', { class: 'stack' },
    card('Token activity (last hour)', activity),
    h('div', { class: 'grid-2' },
      card('Endpoints', details([
        ['Issuer', h('span', {}, h('code', {}, server.issuer), ' ', copyButton(server.issuer))],
        ['Discovery', h('code', {}, server.metadata_uri)],
        ['JWKS', h('code', {}, server.jwks_uri)],
        ['Token', h('code', {}, `${server.issuer}/oauth/token`)],
        ['Audience', h('code', {}, server.audience)],
      ])),
      card('Try it',
        h('p', { class: 'muted' }, 'Get a token with a client’s credentials (open a client to try it here), or list this auth server with the management API.'),
        curl(tokenCommand, 'Client credentials token'),
        curl(curlCommand('GET', `/v1/auth-servers/${server.id}`), 'This auth server'))),
    h('div', { class: 'grid-2' },
      issuerDocument(server, '/.well-known/openid-configuration', 'discovery', 'Discovery document'),
      issuerDocument(server, '/.well-known/jwks', 'jwks', 'JWKS'))));
}

export const routes = [
  { pattern: '/auth-servers', render: async (ctx) => list(ctx) },
  { pattern: '/auth-servers/new', render: async (ctx) => createPage(ctx) },
  { pattern: '/auth-servers/:authServerId', render: overviewPage },
  { pattern: '/auth-servers/:authServerId/overview', render: overviewPage },
  { pattern: '/auth-servers/:authServerId/settings', render: settingsPage },
];
