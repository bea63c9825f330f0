// Trusted issuers tab: identity providers outside Tessera (Kubernetes, GitHub Actions, another
// auth server) whose signed JWTs the auth server accepts as client assertions (RFC 7523).
import { h, card, button, linkButton, badge, emptyState, pagedList, input, textarea, checkbox, checkboxGroup, formError, formActions,
  onSubmit, read, formatLabels, confirmDialog, toast, curl, curlCommand, formatDate, details } from '../ui.js';
import { authServerFrame, loadAuthServer, apiPath } from './common.js';
import { loadFrameServer } from './registration.js';
// Shown instead of calling an endpoint the role cannot use (the server would answer 403).
const noAccess = (ctx, text) => card(null, h('p', { class: 'muted', 'data-test': 'no-access' }, `Your role (${ctx.session.role}) ${text}`));


const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'EdDSA'];
const tabPath = (ctx, rest = '') => `/auth-servers/${ctx.params.authServerId}/trusted-issuers${rest}`;

// Subjects are edited one per line as "<subject pattern> = <client id>": a client id never holds
// "=", so the line splits at its last one.
const formatSubjects = (subjects) => (subjects || []).map((s) => `${s.subject} = ${s.client_id}`).join('\n');
function parseSubjects(lines) {
  return lines.map((line) => {
    const at = line.lastIndexOf('=');
    return at < 0 ? { subject: line, client_id: '' } : { subject: line.slice(0, at).trim(), client_id: line.slice(at + 1).trim() };
  });
}

// An error in the ApiError shape, so onSubmit shows it next to its field.
function fieldProblem(field, reason) {
  return Object.assign(new Error(reason), { detail: 'Check the highlighted field.', invalidParameters: [{ field, reason }] });
}

// "subjects[2].client_id" → the reason says "Line 3", since those fields are one textarea line each.
function withLineNumbers(error) {
  for (const param of error.invalidParameters || []) {
    const match = /^(subjects|copy_claims)\[(\d+)\]/.exec(param.field || '');
    if (match) param.reason = `Line ${Number(match[2]) + 1}: ${param.reason || param.rule}`;
  }
  return error;
}

function issuerForm(ctx, issuer, clients, onSaved) {
  const base = apiPath(ctx, '/trusted-issuers');
  const editable = issuer ? ctx.can('PATCH', `${base}/${issuer.id}`) : ctx.can('POST', base);
  const disabled = !editable;
  const clientHint = clients.length
    ? `One per line: subject pattern = client id (* matches any run of characters; the first match decides). Clients: ${clients.map((c) => `${c.name} = ${c.id}`).join(', ')}.`
    : 'One per line: subject pattern = client id (* matches any run of characters; the first match decides).';
  const form = h('form', { id: 'trusted-issuer-form', class: 'card form-card', novalidate: true },
    formError(),
    h('div', { class: 'form-grid' },
      input({ label: 'Name', name: 'name', value: issuer?.name, required: true, disabled }),
      input({ label: 'Issuer', name: 'issuer', value: issuer?.issuer, required: true, disabled, placeholder: 'https://token.actions.githubusercontent.com',
        hint: 'The iss its tokens carry, exactly.' })),
    input({ label: 'JWKS URI', name: 'jwks_uri', value: issuer?.jwks_uri, disabled, placeholder: 'https://token.actions.githubusercontent.com/.well-known/jwks',
      hint: 'Where its public keys are fetched from. Give this or the JWKS below, not both.' }),
    textarea({ label: 'JWKS', name: 'jwks', value: issuer?.jwks ? JSON.stringify(issuer.jwks, null, 2) : '', rows: 4, disabled, placeholder: '{"keys": [ … ]}',
      hint: 'Its public keys as a JSON Web Key Set, for an issuer without a reachable JWKS URI.' }),
    textarea({ label: 'Subjects', name: 'subjects', value: formatSubjects(issuer?.subjects), rows: 3, required: true, disabled,
      placeholder: 'repo:acme/payments:* = P4t4doCuMlDqyVl35IvR', hint: clientHint }),
    checkboxGroup({ legend: 'Allowed algorithms', name: 'allowed_algorithms', options: ALGORITHMS.map((a) => ({ value: a, label: a })),
      selected: issuer?.allowed_algorithms || ['RS256', 'ES256'], disabled }),
    h('div', { class: 'form-grid' },
      input({ label: 'Audience', name: 'audience', value: issuer?.audience, disabled, hint: 'The aud its tokens must carry; empty: this auth server\'s issuer URL.' }),
      input({ label: 'Longest token age (s)', name: 'max_token_age_secs', type: 'number', value: issuer?.max_token_age_secs ?? 3600, min: 60, max: 86400, disabled,
        hint: 'By the token\'s iat, 60 to 86400.' })),
    h('div', { class: 'form-grid' },
      textarea({ label: 'Claim conditions', name: 'claim_conditions', value: formatLabels(issuer?.claim_conditions), rows: 3, disabled, placeholder: 'repository_owner=acme',
        hint: 'One claim=value per line the token must carry exactly.' }),
      textarea({ label: 'Claims to copy', name: 'copy_claims', value: (issuer?.copy_claims || []).join('\n'), rows: 3, disabled, placeholder: 'repository',
        hint: 'One claim name per line, copied into the tokens Tessera issues.' })),
    checkbox({ label: 'Enabled', name: 'enabled', checked: issuer ? issuer.enabled : true, disabled, hint: 'Disabled: its tokens are refused.' }),
    editable ? formActions(issuer ? 'Save changes' : 'Create trusted issuer', linkButton('Cancel', `#${tabPath(ctx)}`)) : null);
  if (!editable) return form;
  return onSubmit(form, async () => {
    const body = {
      name: read.text(form, 'name'),
      issuer: read.text(form, 'issuer'),
      subjects: parseSubjects(read.lines(form, 'subjects')),
      allowed_algorithms: read.checked(form, 'allowed_algorithms'),
      max_token_age_secs: read.int(form, 'max_token_age_secs'),
      claim_conditions: read.labels(form, 'claim_conditions'),
      copy_claims: read.lines(form, 'copy_claims'),
      enabled: read.bool(form, 'enabled'),
    };
    const audience = read.text(form, 'audience');
    if (audience) body.audience = audience;
    if (body.max_token_age_secs === undefined) delete body.max_token_age_secs;
    const jwksUri = read.text(form, 'jwks_uri');
    const jwksText = read.text(form, 'jwks');
    if (jwksUri) body.jwks_uri = jwksUri;
    if (jwksText) {
      try {
        body.jwks = JSON.parse(jwksText);
      } catch {
        throw fieldProblem('jwks', 'is not valid JSON');
      }
    }
    // On edit, switching key source leaves the old one in its field: drop whichever is unchanged
    // (sending both is refused).
    if (issuer && body.jwks && body.jwks_uri) {
      if (issuer.jwks && JSON.stringify(issuer.jwks) === JSON.stringify(body.jwks)) delete body.jwks;
      else if (issuer.jwks_uri === body.jwks_uri) delete body.jwks_uri;
    }
    try {
      onSaved(issuer ? await ctx.api.patch(`${base}/${issuer.id}`, body) : await ctx.api.post(base, body));
    } catch (error) {
      throw withLineNumbers(error);
    }
  });
}

async function remove(ctx, issuer, done) {
  const ok = await confirmDialog({
    title: `Delete ${issuer.name}?`,
    message: 'Its tokens are trusted no more: clients that sign in with them get invalid_client. This cannot be undone.',
    confirmLabel: 'Delete trusted issuer',
    onConfirm: () => ctx.api.del(apiPath(ctx, `/trusted-issuers/${issuer.id}`)),
  });
  if (ok) {
    toast(`Deleted ${issuer.name}`);
    done();
  }
}

async function listPage(ctx) {
  const base = apiPath(ctx, '/trusted-issuers');
  if (!ctx.can('GET', base)) return authServerFrame(ctx, await loadFrameServer(ctx), 'trusted-issuers', noAccess(ctx, 'cannot see this auth server\'s trusted issuers.'));
  const authServer = await loadAuthServer(ctx);
  const canCreate = ctx.can('POST', base);
  const list = pagedList({
    api: ctx.api,
    path: base,
    query: { sort: 'name' },
    caption: 'Trusted issuers',
    rowId: (issuer) => issuer.id,
    columns: [
      { label: 'Name', render: (issuer) => [h('a', { href: `#${tabPath(ctx, `/${issuer.id}`)}`, class: 'title', 'data-test': 'open' }, issuer.name), h('code', { class: 'sub' }, issuer.issuer)] },
      { label: 'Keys', render: (issuer) => (issuer.jwks_uri ? h('span', { class: 'small' }, 'JWKS URI') : h('span', { class: 'small' }, `${(issuer.jwks?.keys || []).length} key(s) given`)) },
      { label: 'Subjects', render: (issuer) => h('span', { class: 'small' }, issuer.subjects.map((s) => s.subject).join(', ')) },
      { label: 'State', render: (issuer) => (issuer.enabled ? badge('enabled', 'success') : badge('disabled', 'neutral')) },
      {
        label: 'Actions', class: 'actions',
        render: (issuer) => h('div', { class: 'row-actions' },
          ctx.can('PATCH', `${base}/${issuer.id}`) ? linkButton('Edit', `#${tabPath(ctx, `/${issuer.id}`)}`, { kind: 'ghost', class: 'btn btn-ghost btn-small', 'data-test': 'edit' }) : null,
          ctx.can('DELETE', `${base}/${issuer.id}`) ? button('Delete', { kind: 'ghost', class: 'btn btn-ghost btn-small btn-link-danger', 'data-test': 'delete', onClick: () => remove(ctx, issuer, () => list.reload()) }) : null),
      },
    ],
    empty: () => emptyState('No trusted issuers',
      'Trust an identity provider (a Kubernetes cluster, GitHub Actions, another auth server) so workloads it signs tokens for can get tokens here without a client secret.',
      canCreate ? linkButton('Add a trusted issuer', `#${tabPath(ctx, '/new')}`, { kind: 'primary' }) : null),
  });
  return authServerFrame(ctx, authServer, 'trusted-issuers', h('div', { class: 'stack' },
    card(null,
      h('div', { class: 'card-head' }, h('h2', {}, 'Trusted issuers'),
        canCreate ? linkButton('New trusted issuer', `#${tabPath(ctx, '/new')}`, { kind: 'primary', 'data-test': 'create' }) : null),
      h('p', { class: 'muted' }, 'A client presents a JWT from a trusted issuer as its assertion (RFC 7523); its subject decides which client it stands for.'),
      list.element),
    card('With curl',
      curl(curlCommand('GET', base), 'List trusted issuers'),
      curl(curlCommand('POST', base, { name: 'github-actions', issuer: 'https://token.actions.githubusercontent.com',
        jwks_uri: 'https://token.actions.githubusercontent.com/.well-known/jwks', subjects: [{ subject: 'repo:acme/payments:*', client_id: '<client id>' }] }), 'Trust GitHub Actions'))));
}

async function loadClients(ctx) {
  if (!ctx.can('GET', apiPath(ctx, '/clients'))) return [];
  return ctx.api.get(apiPath(ctx, '/clients'), { 'page[size]': 20, sort: 'name' }).then((r) => r.data || [], () => []);
}

async function createPage(ctx) {
  if (!ctx.can('POST', apiPath(ctx, '/trusted-issuers'))) return authServerFrame(ctx, await loadFrameServer(ctx), 'trusted-issuers', noAccess(ctx, 'cannot create trusted issuers.'));
  const [authServer, clients] = await Promise.all([loadAuthServer(ctx), loadClients(ctx)]);
  return authServerFrame(ctx, authServer, 'trusted-issuers', h('div', { class: 'stack' },
    h('h2', {}, 'New trusted issuer'),
    issuerForm(ctx, null, clients, (issuer) => {
      toast(`Created ${issuer.name}`);
      ctx.navigate(tabPath(ctx));
    }),
    curl(curlCommand('POST', apiPath(ctx, '/trusted-issuers'), { name: 'k8s-prod', issuer: 'https://k8s.example.com',
      jwks_uri: 'https://k8s.example.com/openid/v1/jwks', subjects: [{ subject: 'system:serviceaccount:payments:*', client_id: '<client id>' }] }), 'The same with curl')));
}

async function editPage(ctx) {
  const base = apiPath(ctx, `/trusted-issuers/${encodeURIComponent(ctx.params.trustedIssuerId)}`);
  if (!ctx.can('GET', base)) return authServerFrame(ctx, await loadFrameServer(ctx), 'trusted-issuers', noAccess(ctx, 'cannot see this auth server\'s trusted issuers.'));
  const [authServer, issuer, clients] = await Promise.all([loadAuthServer(ctx), ctx.api.get(base), loadClients(ctx)]);
  return authServerFrame(ctx, authServer, 'trusted-issuers', h('div', { class: 'stack' },
    h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' }, h('a', { href: `#${tabPath(ctx)}` }, 'Trusted issuers'), ' / ', issuer.name),
    issuerForm(ctx, issuer, clients, (saved) => {
      toast(`Saved ${saved.name}`);
      ctx.navigate(tabPath(ctx));
    }),
    card('Details', details([
      ['ID', h('code', {}, issuer.id)],
      ['Created', formatDate(issuer.created_at)],
      ['Updated', formatDate(issuer.updated_at)],
    ]),
    ctx.can('DELETE', base) ? button('Delete trusted issuer', { kind: 'danger', 'data-test': 'delete', onClick: () => remove(ctx, issuer, () => ctx.navigate(tabPath(ctx))) }) : null),
    curl(curlCommand('PATCH', base, { enabled: false }), 'Disable it with curl')));
}

export const routes = [
  { pattern: '/auth-servers/:authServerId/trusted-issuers', render: listPage },
  { pattern: '/auth-servers/:authServerId/trusted-issuers/new', render: createPage },
  { pattern: '/auth-servers/:authServerId/trusted-issuers/:trustedIssuerId', render: editPage },
];
