// Audit log: every change made through the management API, the console and the command line,
// filtered by the API's own query parameters, newest first; a row expands to its field changes.
import { h, pageHeader, card, badge, emptyState, pagedList, input, select, formActions, button, onSubmit, read, curl, curlCommand, formatDate } from '../ui.js';

const PATH = '/v1/audit-events';
// Shown instead of calling an endpoint the role cannot use (the server would answer 403).
const noAccess = (ctx, text) => card(null, h('p', { class: 'muted', 'data-test': 'no-access' }, `Your role (${ctx.session.role}) ${text}`));
const ACTOR_TYPES = ['admin_credential', 'client', 'initial_access_token', 'anonymous', 'command_line'];
// Filters that may come in the link (#/audit?filter[resource_id]=…), so other rows can link here.
const TEXT_FILTERS = ['filter[action]', 'filter[actor_type]', 'filter[actor_id]', 'filter[resource_type]', 'filter[resource_id]', 'filter[auth_server_id]'];
const DATE_FILTERS = ['filter[occurred_at][gte]', 'filter[occurred_at][lte]'];
const historyLink = (name, value, text) => h('a', { href: `#/audit?${new URLSearchParams({ [name]: value })}`, title: 'Only the events of this' }, text);

// datetime-local (the browser's local time) → RFC 3339 in UTC, as the API wants.
function toInstant(text) {
  if (!text) return '';
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}

// RFC 3339 → the value a datetime-local input shows (local time, to the minute).
function toLocalInput(text) {
  const date = new Date(text);
  if (!text || Number.isNaN(date.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function actorCell(actor) {
  const who = actor.name || actor.id || '';
  return h('div', {}, h('span', { class: 'title' }, who || actor.type), who ? h('span', { class: 'sub' }, actor.type) : null);
}

function changeValue(value) {
  if (value === null || value === undefined) return h('span', { class: 'muted' }, '—');
  return h('code', {}, typeof value === 'string' ? value : JSON.stringify(value));
}

// The expandable part of a row: the changed fields (secrets only as "changed") and the request.
function changesCell(event) {
  const changes = event.changes || [];
  const summary = changes.length ? `${changes.length} field${changes.length === 1 ? '' : 's'}` : 'Details';
  return h('details', { class: 'audit-changes' },
    h('summary', { 'data-test': 'expand' }, summary),
    changes.length
      ? h('div', { class: 'table-wrap' }, h('table', { 'data-test': 'changes' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Before'), h('th', { scope: 'col' }, 'After'))),
        h('tbody', {}, changes.map((change) => h('tr', {},
          h('td', { 'data-label': 'Field' }, h('code', {}, change.field)),
          change.redacted
            ? h('td', { 'data-label': 'Change', colspan: '2' }, h('span', { class: 'muted' }, 'Changed (the value is not recorded)'))
            : [h('td', { 'data-label': 'Before' }, changeValue(change.old)), h('td', { 'data-label': 'After' }, changeValue(change.new))])))))
      : h('p', { class: 'muted small' }, 'No field changes (a deletion, or an event without fields).'),
    h('p', { class: 'muted small' }, 'Request ', h('code', {}, event.request_id), ' from ', h('code', {}, event.source)));
}

async function auditPage(ctx) {
  if (!ctx.can('GET', PATH)) return h('div', {}, pageHeader('Audit log'), noAccess(ctx, 'cannot read the audit log.'));
  const servers = ctx.can('GET', '/v1/auth-servers')
    ? await ctx.api.get('/v1/auth-servers', { 'page[size]': 100, sort: 'name' }).then((r) => r.data || [], () => [])
    : [];
  const serverNames = new Map(servers.map((s) => [s.id, s.name]));
  // The filters live in the link, so a filtered view can be shared and reloaded.
  const fromLink = Object.fromEntries([...TEXT_FILTERS, ...DATE_FILTERS, 'sort'].filter((name) => ctx.query[name]).map((name) => [name, ctx.query[name]]));
  const initial = { sort: 'occurred_at desc', ...fromLink };

  const list = pagedList({
    api: ctx.api,
    path: PATH,
    query: initial,
    caption: 'Audit events',
    rowId: (event) => event.id,
    columns: [
      { label: 'When', render: (event) => formatDate(event.occurred_at) },
      { label: 'Action', render: (event) => badge(event.action, event.action.endsWith('.deleted') || event.action.endsWith('.failed') ? 'danger' : 'neutral') },
      { label: 'Actor', render: (event) => actorCell(event.actor) },
      { label: 'Resource', render: (event) => h('div', {}, h('span', { class: 'title' }, event.resource_type),
        event.resource_id ? h('code', { class: 'sub' }, historyLink('filter[resource_id]', event.resource_id, event.resource_id)) : null) },
      { label: 'Auth server', render: (event) => (event.auth_server_id
        ? h('a', { href: `#/auth-servers/${event.auth_server_id}/overview` }, serverNames.get(event.auth_server_id) || event.auth_server_id)
        : h('span', { class: 'muted' }, '—')) },
      { label: 'Changes', render: changesCell },
    ],
    empty: () => emptyState('No audit events match', 'Changes show up here as they are made. Widen the filters to see more.'),
  });

  const curlBox = h('div', {}, curl(curlCommand('GET', `${PATH}?${new URLSearchParams(initial)}`), 'The same with curl'));
  const form = h('form', { id: 'audit-filter', class: 'card form-card', novalidate: true, role: 'search' },
    h('div', { class: 'form-grid' },
      input({ label: 'From', name: 'filter[occurred_at][gte]', type: 'datetime-local', value: toLocalInput(fromLink['filter[occurred_at][gte]']), hint: 'Local time; events at or after it.' }),
      input({ label: 'Until', name: 'filter[occurred_at][lte]', type: 'datetime-local', value: toLocalInput(fromLink['filter[occurred_at][lte]']), hint: 'Local time; events at or before it.' }),
      input({ label: 'Action', name: 'filter[action]', value: fromLink['filter[action]'], placeholder: 'client_secret.disabled' }),
      select({ label: 'Actor type', name: 'filter[actor_type]', value: fromLink['filter[actor_type]'] || '', options: [{ value: '', label: 'Any' }, ...ACTOR_TYPES] }),
      input({ label: 'Actor ID', name: 'filter[actor_id]', value: fromLink['filter[actor_id]'], hint: 'An admin credential id, a client id or an initial access token id.' }),
      input({ label: 'Resource type', name: 'filter[resource_type]', value: fromLink['filter[resource_type]'], placeholder: 'client' }),
      input({ label: 'Resource ID', name: 'filter[resource_id]', value: fromLink['filter[resource_id]'] }),
      servers.length
        ? select({ label: 'Auth server', name: 'filter[auth_server_id]', value: fromLink['filter[auth_server_id]'] || '', options: [{ value: '', label: 'Any' }, ...servers.map((s) => ({ value: s.id, label: s.name }))] })
        : input({ label: 'Auth server ID', name: 'filter[auth_server_id]', value: fromLink['filter[auth_server_id]'] }),
      select({ label: 'Order', name: 'sort', value: initial.sort, options: [{ value: 'occurred_at desc', label: 'Newest first' }, { value: 'occurred_at', label: 'Oldest first' }] })),
    formActions('Apply filters', button('Clear', { 'data-test': 'clear', onClick: () => { form.reset(); form.requestSubmit(); } })));

  onSubmit(form, async () => {
    const query = {};
    for (const name of [...TEXT_FILTERS, 'sort']) query[name] = read.text(form, name);
    for (const name of DATE_FILTERS) query[name] = toInstant(read.text(form, name));
    // Empty values override filters that came in the link (the API client drops them); the
    // link is updated without re-rendering, so the form keeps focus.
    const shown = Object.fromEntries(Object.entries(query).filter(([, value]) => value));
    history.replaceState(null, '', `#/audit?${new URLSearchParams(shown)}`);
    curlBox.replaceChildren(curl(curlCommand('GET', `${PATH}?${new URLSearchParams(shown)}`), 'The same with curl'));
    await list.filter(query);
  });

  // The events come first; the filters open when the link carries one, or on request.
  const filtering = Object.keys(fromLink).some((name) => name.startsWith('filter['));
  const filters = h('details', { class: 'filters', open: filtering, 'data-test': 'filters' },
    h('summary', {}, 'Filters'), form);
  return h('div', { class: 'stack' },
    pageHeader('Audit log', 'Who changed what, when and from where. Secret values are never recorded, only that they changed. Reading the log is not itself recorded.'),
    filters,
    list.element,
    card(null, curlBox));
}

export const routes = [
  { pattern: '/audit', render: auditPage },
];
