// Registration tab: the auth server's Dynamic Client Registration policy (RFC 7591/7592) and its
// initial access tokens, whose values are shown once.
import { h, card, button, badge, emptyState, pagedList, input, textarea, checkbox, checkboxGroup, formError, formActions,
  onSubmit, read, formatLabels, confirmDialog, toast, curl, curlCommand, formatDate, details, secretOnce, loading, errorBox } from '../ui.js';
import { authServerFrame, loadAuthServer, apiPath } from './common.js';

const GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token', 'implicit'];
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];
// Shown instead of calling an endpoint the role cannot use (the server would answer 403).
const noAccess = (ctx, text) => card(null, h('p', { class: 'muted', 'data-test': 'no-access' }, `Your role (${ctx.session.role}) ${text}`));
const options = (values) => values.map((value) => ({ value, label: value }));

// A registration-admin may read the policy but not the auth server itself: frame the tab with
// what is known instead of failing.
export async function loadFrameServer(ctx) {
  if (ctx.can('GET', apiPath(ctx))) return loadAuthServer(ctx);
  return { id: ctx.params.authServerId, name: 'Auth server', signing_algorithm: '—', issuer: ctx.params.authServerId };
}

async function loadScopes(ctx) {
  if (!ctx.can('GET', apiPath(ctx, '/scopes'))) return null;
  const result = await ctx.api.get(apiPath(ctx, '/scopes'), { 'page[size]': 100, sort: 'name' });
  return result.data || [];
}

// Scope choices: the auth server's scopes, plus ids the policy names that are not among them
// (a caller that cannot list scopes still sees and keeps them).
function scopeOptions(scopes, policy) {
  const known = (scopes || []).map((scope) => ({ value: scope.id, label: scope.name }));
  const ids = new Set(known.map((o) => o.value));
  const extra = [...policy.allowed_scopes, ...policy.default_scopes].filter((id) => !ids.has(id));
  return [...known, ...[...new Set(extra)].map((id) => ({ value: id, label: id }))];
}

function policyForm(ctx, policy, scopes, onSaved) {
  const editable = ctx.can('PUT', apiPath(ctx, '/client-registration'));
  const disabled = !editable;
  const scopeChoices = scopeOptions(scopes, policy);
  const form = h('form', { id: 'registration-form', class: 'card form-card', novalidate: true },
    h('h2', {}, 'Registration policy'),
    h('p', { class: 'muted' }, 'Whether apps may register themselves as clients at the registration endpoint, and what they may ask for. ',
      'Clients already registered keep what they have when the policy changes.'),
    formError(),
    checkbox({ label: 'Registration enabled', name: 'enabled', checked: policy.enabled, disabled,
      hint: 'Off: the registration endpoint answers 403 and discovery does not advertise it.' }),
    checkbox({ label: 'Open registration (no initial access token needed)', name: 'open_registration', checked: policy.open_registration, disabled,
      hint: 'Anyone who can reach the endpoint may register; the limit below keeps the database from filling up.' }),
    h('div', { class: 'form-grid' },
      checkboxGroup({ legend: 'Allowed grant types', name: 'allowed_grant_types', options: options(GRANT_TYPES), selected: policy.allowed_grant_types, disabled }),
      checkboxGroup({ legend: 'Default grant types', name: 'default_grant_types', options: options(GRANT_TYPES), selected: policy.default_grant_types, disabled,
        hint: 'For registrations that name none; each must be allowed.' })),
    checkboxGroup({ legend: 'Allowed token endpoint auth methods', name: 'allowed_token_endpoint_auth_methods', options: options(AUTH_METHODS),
      selected: policy.allowed_token_endpoint_auth_methods, disabled, hint: 'none allows public clients; registrations that name none get client_secret_basic.' }),
    checkbox({ label: 'Allow every enabled scope', name: 'allow_all_scopes', checked: policy.allow_all_scopes, disabled,
      hint: 'Otherwise only the allowed scopes below (openid is always accepted).' }),
    h('div', { class: 'form-grid' },
      checkboxGroup({ legend: 'Allowed scopes', name: 'allowed_scopes', options: scopeChoices, selected: policy.allowed_scopes, disabled }),
      checkboxGroup({ legend: 'Default scopes', name: 'default_scopes', options: scopeChoices, selected: policy.default_scopes, disabled,
        hint: 'For registrations that name no scope; each must be allowed.' })),
    h('div', { class: 'form-grid' },
      input({ label: 'Default access token duration (s)', name: 'default_access_token_duration', type: 'number', value: policy.default_access_token_duration, disabled, min: 60 }),
      input({ label: 'Longest access token duration (s)', name: 'max_access_token_duration', type: 'number', value: policy.max_access_token_duration, disabled, min: 60 }),
      input({ label: 'Default ID token duration (s)', name: 'default_id_token_duration', type: 'number', value: policy.default_id_token_duration, disabled, min: 60 }),
      input({ label: 'Longest ID token duration (s)', name: 'max_id_token_duration', type: 'number', value: policy.max_id_token_duration, disabled, min: 60 }),
      input({ label: 'Login URI', name: 'login_uri', value: policy.login_uri || '', disabled, placeholder: 'https://login.example.com/signin',
        hint: 'Your sign-in page for registered clients; empty: they cannot sign users in.' }),
      input({ label: 'Most registered clients', name: 'max_registered_clients', type: 'number', value: policy.max_registered_clients, disabled, min: 1, max: 1000000 })),
    textarea({ label: 'Labels for registered clients', name: 'labels', value: formatLabels(policy.labels), rows: 3, disabled, placeholder: 'team=partners',
      hint: 'One key=value per line, at most 49; Tessera adds registration=dynamic itself.' }),
    editable ? formActions('Save policy') : null);
  if (!editable) return form;
  return onSubmit(form, async () => {
    // PUT writes the whole policy, so the form always sends every field.
    const body = {
      enabled: read.bool(form, 'enabled'),
      open_registration: read.bool(form, 'open_registration'),
      allowed_grant_types: read.checked(form, 'allowed_grant_types'),
      default_grant_types: read.checked(form, 'default_grant_types'),
      allowed_token_endpoint_auth_methods: read.checked(form, 'allowed_token_endpoint_auth_methods'),
      allow_all_scopes: read.bool(form, 'allow_all_scopes'),
      allowed_scopes: read.checked(form, 'allowed_scopes'),
      default_scopes: read.checked(form, 'default_scopes'),
      default_access_token_duration: read.int(form, 'default_access_token_duration'),
      max_access_token_duration: read.int(form, 'max_access_token_duration'),
      default_id_token_duration: read.int(form, 'default_id_token_duration'),
      max_id_token_duration: read.int(form, 'max_id_token_duration'),
      login_uri: read.text(form, 'login_uri') || null,
      labels: read.labels(form, 'labels'),
      max_registered_clients: read.int(form, 'max_registered_clients'),
    };
    for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
    onSaved(await ctx.api.put(apiPath(ctx, '/client-registration'), body));
  });
}

function usesText(token) {
  return token.max_uses === null ? `${token.uses} (no limit)` : `${token.uses} of ${token.max_uses}`;
}

// Expired or used-up tokens stay listed until deleted; say so next to them.
function tokenState(token) {
  if (token.expires_at && new Date(token.expires_at) <= new Date()) return badge('expired', 'warning');
  if (token.max_uses !== null && token.uses >= token.max_uses) return badge('used up', 'warning');
  return badge('usable', 'success');
}

function tokensSection(ctx, policy) {
  const path = apiPath(ctx, '/client-registration/initial-access-tokens');
  const canWrite = ctx.can('POST', path);
  const secretSlot = h('div', {});
  const formSlot = h('div', {});

  async function remove(token) {
    const ok = await confirmDialog({
      title: 'Delete this initial access token?',
      message: 'Registrations that present it are refused from now on. Clients already registered with it keep working. This cannot be undone.',
      confirmLabel: 'Delete token',
      onConfirm: () => ctx.api.del(`${path}/${token.id}`),
    });
    if (ok) {
      toast('Deleted the initial access token');
      list.reload();
    }
  }

  const list = pagedList({
    api: ctx.api,
    path,
    query: { sort: 'created_at desc' },
    caption: 'Initial access tokens',
    rowId: (token) => token.id,
    columns: [
      { label: 'Description', render: (token) => [h('span', { class: 'title' }, token.description || 'No description'), h('code', { class: 'sub' }, token.id)] },
      { label: 'State', render: tokenState },
      { label: 'Uses', render: usesText },
      { label: 'Expires', render: (token) => (token.expires_at ? formatDate(token.expires_at) : 'Never') },
      { label: 'Last used', render: (token) => (token.last_used_at ? formatDate(token.last_used_at) : 'Never') },
      { label: 'Created', render: (token) => formatDate(token.created_at) },
      {
        label: 'Actions', class: 'actions',
        render: (token) => (ctx.can('DELETE', `${path}/${token.id}`)
          ? h('div', { class: 'row-actions' }, button('Delete', { kind: 'ghost', class: 'btn btn-ghost btn-small btn-link-danger', 'data-test': 'delete', onClick: () => remove(token) }))
          : null),
      },
    ],
    empty: () => emptyState('No initial access tokens',
      policy.open_registration ? 'Registration is open, so none is needed; a token sent anyway is still checked.' : 'Create one for each app that should be able to register itself.'),
  });

  function openForm() {
    const form = h('form', { id: 'iat-form', class: 'card form-card', novalidate: true },
      h('h3', {}, 'New initial access token'),
      formError(),
      input({ label: 'Description', name: 'description', hint: 'What or who it is for.' }),
      h('div', { class: 'form-grid' },
        input({ label: 'Expires in (seconds)', name: 'expires_in', type: 'number', min: 60, max: 31536000, hint: '60 to 31536000 (a year); empty: never.' }),
        input({ label: 'Most uses', name: 'max_uses', type: 'number', min: 1, hint: 'Registrations it may authorise; empty: no limit.' })),
      formActions('Create token', button('Cancel', { onClick: () => formSlot.replaceChildren() })));
    onSubmit(form, async () => {
      const body = { description: read.text(form, 'description') };
      const expiresIn = read.int(form, 'expires_in');
      const maxUses = read.int(form, 'max_uses');
      if (expiresIn !== undefined) body.expires_in = expiresIn;
      if (maxUses !== undefined) body.max_uses = maxUses;
      const created = await ctx.api.post(path, body);
      formSlot.replaceChildren();
      secretSlot.replaceChildren(secretOnce({
        title: 'Initial access token',
        value: created.token,
        note: 'Give it to the app that registers, as Authorization: Bearer <token> at the registration endpoint. Copy it now: you will not see it again.',
        onDone: () => secretSlot.replaceChildren(),
      }));
      toast('Created an initial access token');
      list.reload();
    });
    formSlot.replaceChildren(form);
    form.querySelector('input[name=description]').focus();
  }

  const create = canWrite ? button('New token', { kind: 'primary', 'data-test': 'create', onClick: openForm }) : null;
  return card(null,
    h('div', { class: 'card-head' }, h('h2', {}, 'Initial access tokens'), create),
    h('p', { class: 'muted' }, 'Each token authorises registrations (RFC 7591 §3) until it expires, is used up or is deleted. Its value is shown once; Tessera keeps only a digest.'),
    secretSlot,
    formSlot,
    list.element);
}

async function registrationPage(ctx) {
  const [authServer, scopes] = await Promise.all([loadFrameServer(ctx), loadScopes(ctx).catch(() => null)]);
  const body = h('div', { class: 'stack' }, loading());
  const policyPath = apiPath(ctx, '/client-registration');
  if (!ctx.can('GET', policyPath)) return authServerFrame(ctx, authServer, 'registration', noAccess(ctx, 'cannot see this auth server\'s registration policy.'));

  async function show(policy) {
    const written = policy.updated_at
      ? h('p', { class: 'muted small' }, `Last saved ${formatDate(policy.updated_at)}.`)
      : h('p', { class: 'muted small' }, 'Never saved: these are the defaults.');
    body.replaceChildren(
      card('Status', details([
        ['Registration', policy.enabled ? badge('enabled', 'success') : badge('disabled', 'neutral')],
        ['Needs a token', policy.open_registration ? 'No (open registration)' : 'Yes, an initial access token'],
        ['Endpoint', h('code', {}, policy.registration_endpoint)],
      ]), written),
      policyForm(ctx, policy, scopes, (saved) => {
        toast('Saved the registration policy');
        show(saved);
      }),
      tokensSection(ctx, policy),
      card('With curl',
        curl(curlCommand('PATCH', policyPath, { enabled: true }), 'Turn registration on'),
        curl(curlCommand('POST', `${policyPath}/initial-access-tokens`, { description: 'partner onboarding', expires_in: 86400, max_uses: 1 }), 'Create an initial access token'),
        curl([`curl -sX POST "${policy.registration_endpoint}"`, '  -H "Authorization: Bearer $INITIAL_ACCESS_TOKEN"',
          `  --json '${JSON.stringify({ client_name: 'partner-app', grant_types: ['client_credentials'] })}'`].join(' \\\n'), 'Register a client (what the app sends)')));
  }

  ctx.api.get(policyPath).then(show, (error) => body.replaceChildren(errorBox(error.detail || error.message)));
  return authServerFrame(ctx, authServer, 'registration', body);
}

export const routes = [
  { pattern: '/auth-servers/:authServerId/registration', render: registrationPage },
];
