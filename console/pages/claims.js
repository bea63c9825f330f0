// Claims of an auth server: list, create, edit, delete, and a template editor whose value is
// rendered live for a chosen client through the test-claim endpoint.
import { h, backLink, button, linkButton, badge, emptyState, pagedList, input, textarea, checkbox, checkboxGroup, formError, formActions, onSubmit, read, confirmDialog, toast, curl, curlCommand, uid } from '../ui.js';
import { authServerFrame, loadAuthServer, apiPath } from './common.js';

const base = (ctx) => `#/auth-servers/${ctx.params.authServerId}/claims`;
const PREVIEW_DELAY_MS = 300;

// First page of up to 100 items: enough for choosers (scopes to tick, a client to preview with).
const firstPage = (ctx, rest) => ctx.api.get(apiPath(ctx, rest), { 'page[size]': 100, sort: 'name' }).then((r) => r.data);

export async function deleteClaim(ctx, claim, done) {
  const ok = await confirmDialog({
    title: `Delete the claim ${claim.name}?`,
    message: 'Tokens issued from now on no longer carry it.',
    confirmLabel: 'Delete claim',
    onConfirm: () => ctx.api.del(apiPath(ctx, `/claims/${claim.id}`)),
  });
  if (ok) {
    toast(`Deleted ${claim.name}`);
    done();
  }
}

async function listPage(ctx) {
  const [server, scopes] = await Promise.all([loadAuthServer(ctx), firstPage(ctx, '/scopes')]);
  const scopeNames = Object.fromEntries(scopes.map((scope) => [scope.id, scope.name]));
  const canWrite = ctx.can('POST', apiPath(ctx, '/claims'));
  const list = pagedList({
    api: ctx.api,
    path: apiPath(ctx, '/claims'),
    query: { sort: 'name' },
    caption: 'Claims',
    rowId: (claim) => claim.id,
    columns: [
      { label: 'Name', render: (claim) => h('a', { href: `${base(ctx)}/${claim.id}`, class: 'title mono', 'data-test': 'open' }, claim.name) },
      { label: 'Value', render: (claim) => h('code', { class: 'sub' }, claim.value.length > 80 ? `${claim.value.slice(0, 80)}…` : claim.value) },
      {
        label: 'Included', render: (claim) => h('div', { class: 'chips' },
          claim.enabled ? null : badge('disabled', 'danger'),
          badge(claim.include_in_token ? 'in token' : 'userinfo only', claim.include_in_token ? 'accent' : 'neutral'),
          claim.include_in_all_scopes ? badge('all scopes') : claim.include_in_scopes.map((id) => badge(scopeNames[id] || 'scope'))),
      },
      {
        label: 'Actions', class: 'actions',
        render: (claim) => canWrite ? h('div', { class: 'row-actions' },
          linkButton('Edit', `${base(ctx)}/${claim.id}`, { kind: 'ghost', class: 'btn btn-ghost btn-small', 'data-test': 'edit' }),
          button('Delete', { kind: 'ghost', class: 'btn btn-ghost btn-small btn-link-danger', 'data-test': 'delete', onClick: () => deleteClaim(ctx, claim, () => list.reload()) })) : '',
      },
    ],
    empty: () => emptyState('No claims yet', 'Claims add fields to tokens: a fixed value, or a template such as ${ .Client.Name }.',
      canWrite ? linkButton('Create a claim', `${base(ctx)}/new`, { kind: 'primary' }) : null),
  });
  return authServerFrame(ctx, server, 'claims', h('div', {},
    h('div', { class: 'card-head' }, h('h2', {}, 'Claims'),
      canWrite ? linkButton('New claim', `${base(ctx)}/new`, { kind: 'primary', 'data-test': 'create' }) : null),
    list.element));
}

// The live preview: renders the template for the chosen client, debounced as it is typed.
function claimPreview(ctx, form, clients) {
  const status = h('p', { class: 'preview-status', 'aria-live': 'polite' });
  const value = h('pre', { class: 'code', 'data-test': 'claim-preview-value', hidden: true });
  const error = h('p', { class: 'preview-error', 'data-test': 'claim-preview-error', hidden: true });
  const chooserId = uid('preview-client');
  const chooser = h('select', { id: chooserId, 'data-test': 'preview-client', disabled: !clients.length },
    clients.length ? clients.map((client) => h('option', { value: client.id }, client.name)) : h('option', { value: '' }, 'No clients yet'));
  const box = h('div', { class: 'preview', 'data-test': 'claim-preview', 'data-state': 'idle' },
    h('div', { class: 'field' }, h('label', { for: chooserId }, 'Preview for client'), chooser),
    status, value, error);
  let timer;
  let sequence = 0;

  function show(state, text) {
    box.dataset.state = state;
    status.textContent = text;
  }

  async function run() {
    const template = form.elements.value.value;
    value.hidden = true;
    error.hidden = true;
    if (!clients.length) return show('idle', 'Create a client to preview the value a token would carry.');
    if (!template.trim()) return show('idle', 'Type a value to see it rendered.');
    const mine = ++sequence;
    show('checking', 'Rendering…');
    const name = read.text(form, 'name') || 'claim';
    try {
      const result = await ctx.api.post(apiPath(ctx, `/clients/${encodeURIComponent(chooser.value)}/test-claim`), { [name]: template });
      if (mine !== sequence) return undefined;
      value.textContent = JSON.stringify(result[name], null, 2);
      value.hidden = false;
      return show('ok', `Rendered value (${Array.isArray(result[name]) ? 'array' : result[name] === null ? 'null' : typeof result[name]})`);
    } catch (err) {
      if (mine !== sequence) return undefined;
      const reasons = err.invalidParameters.map((p) => p.reason).filter(Boolean);
      error.textContent = reasons.length ? reasons.join('; ') : err.detail;
      error.hidden = false;
      return show('error', 'The template does not render');
    }
  }
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(run, PREVIEW_DELAY_MS);
  };
  form.elements.value.addEventListener('input', schedule);
  form.elements.name.addEventListener('input', schedule);
  chooser.addEventListener('change', run);
  run();
  return box;
}

function templateHelp() {
  const examples = [
    ['${ .Client.Name }', 'the client’s name'],
    ['${ .Client.Labels.env | default "prod" }', 'a client label, with a fallback'],
    ['${ .AuthServer.Audience }', 'the auth server’s audience'],
    ['${ uuidv4 }', 'a fresh UUID for every token'],
    ['["a", "b"]', 'valid JSON goes in typed (array, number, object…)'],
  ];
  return h('details', { class: 'hint' }, h('summary', {}, 'Template examples'),
    h('ul', {}, examples.map(([code, text]) => h('li', {}, h('code', {}, code), ' — ', text))));
}

function claimForm(ctx, claim, scopes, clients) {
  const editable = ctx.can(claim ? 'PATCH' : 'POST', apiPath(ctx, claim ? `/claims/${claim.id}` : '/claims'));
  const disabled = !editable;
  const valueField = textarea({ label: 'Value', name: 'value', value: claim?.value, rows: 4, disabled, required: true, spellcheck: 'false',
    placeholder: '${ .Client.Labels.env | default "prod" }', hint: 'A fixed value or a template with ${ … } actions; valid JSON goes in typed.' });
  const editor = h('div', { class: 'editor-grid' }, h('div', {}, valueField, templateHelp()));
  const form = h('form', { id: 'claim-form', class: 'card form-card form-wide', novalidate: true },
    formError(),
    input({ label: 'Name', name: 'name', value: claim?.name, required: true, disabled, placeholder: 'env', hint: 'The claim’s name in tokens.' }),
    editor);
  const allScopes = checkbox({ label: 'Include whatever scopes are granted', name: 'include_in_all_scopes', checked: claim?.include_in_all_scopes, disabled });
  const scopeGroup = checkboxGroup({ legend: 'Only when one of these scopes is granted', name: 'include_in_scopes',
    options: scopes.map((scope) => ({ value: scope.id, label: scope.name })), selected: claim?.include_in_scopes || [], disabled });
  for (const box of scopeGroup.querySelectorAll('input')) box.dataset.name = scopes.find((s) => s.id === box.value)?.name || '';
  const syncScopes = () => { scopeGroup.hidden = form.elements.include_in_all_scopes.checked; };
  editor.append(claimPreview(ctx, form, clients));
  form.append(
    checkbox({ label: 'Enabled', name: 'enabled', checked: claim ? claim.enabled : true, disabled }),
    checkbox({ label: 'Put it in the access token', name: 'include_in_token', checked: claim ? claim.include_in_token : true, disabled, hint: 'Otherwise it is only returned by /userinfo.' }),
    allScopes, scopeGroup,
    editable ? formActions(claim ? 'Save changes' : 'Create claim', linkButton('Cancel', base(ctx))) : null);
  form.elements.include_in_all_scopes.addEventListener('change', syncScopes);
  syncScopes();
  if (!editable) return form;
  return onSubmit(form, async () => {
    const body = {
      name: read.text(form, 'name'),
      value: form.elements.value.value,
      enabled: read.bool(form, 'enabled'),
      include_in_token: read.bool(form, 'include_in_token'),
      include_in_all_scopes: read.bool(form, 'include_in_all_scopes'),
      include_in_scopes: read.checked(form, 'include_in_scopes'),
    };
    const saved = claim ? await ctx.api.patch(apiPath(ctx, `/claims/${claim.id}`), body) : await ctx.api.post(apiPath(ctx, '/claims'), body);
    toast(claim ? `Saved ${saved.name}` : `Created ${saved.name}`);
    ctx.navigate(`/auth-servers/${ctx.params.authServerId}/claims`);
  });
}

async function editPage(ctx) {
  const isNew = !ctx.params.claimId;
  const [server, claim, scopes, clients] = await Promise.all([
    loadAuthServer(ctx),
    isNew ? null : ctx.api.get(apiPath(ctx, `/claims/${encodeURIComponent(ctx.params.claimId)}`)),
    firstPage(ctx, '/scopes'),
    firstPage(ctx, '/clients'),
  ]);
  const canDelete = claim && ctx.can('DELETE', apiPath(ctx, `/claims/${claim.id}`));
  return authServerFrame(ctx, server, 'claims', h('div', {},
    backLink(base(ctx), 'All claims'),
    h('div', { class: 'card-head' }, h('h2', {}, isNew ? 'New claim' : claim.name),
      canDelete ? button('Delete', { kind: 'danger', 'data-test': 'delete', onClick: () => deleteClaim(ctx, claim, () => ctx.navigate(`/auth-servers/${server.id}/claims`)) }) : null),
    claimForm(ctx, claim, scopes, clients),
    curl(isNew
      ? curlCommand('POST', `/v1/auth-servers/${server.id}/claims`, { name: 'env', value: '${ .Client.Labels.env | default "prod" }', include_in_token: true, include_in_all_scopes: true })
      : curlCommand('GET', `/v1/auth-servers/${server.id}/claims/${claim.id}`), isNew ? 'The same with curl' : 'This claim with curl')));
}

export const routes = [
  { pattern: '/auth-servers/:authServerId/claims', render: listPage },
  { pattern: '/auth-servers/:authServerId/claims/new', render: editPage },
  { pattern: '/auth-servers/:authServerId/claims/:claimId', render: editPage },
];
