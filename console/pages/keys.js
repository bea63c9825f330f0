// Keys tab: the signing keys published in the auth server's JWKS (next, current, retired) and
// rotation. The API lists every published key at once (never more than a handful), so this list
// has no pager.
import { h, card, button, badge, table, emptyState, loading, errorBox, confirmDialog, toast, curl, curlCommand, formatDate, uid } from '../ui.js';
import { authServerFrame, apiPath } from './common.js';
import { loadFrameServer } from './registration.js';
// Shown instead of calling an endpoint the role cannot use (the server would answer 403).
const noAccess = (ctx, text) => card(null, h('p', { class: 'muted', 'data-test': 'no-access' }, `Your role (${ctx.session.role}) ${text}`));


const STATE_BADGE = { current: 'success', next: 'accent', retired: 'neutral' };

// What each rotation mode does, in the words an operator needs before choosing it.
const MODES = [
  { value: 'publish', label: 'Publish a next key',
    text: 'Adds a new key to the JWKS without signing with it yet, so gateways can fetch it first. Scheduled rotation (or a promote) makes it sign later.' },
  { value: 'promote', label: 'Promote the next key',
    text: 'The published next key signs from now on and the current key retires. Allowed once the next key has been published for 5 minutes.' },
  { value: 'emergency', label: 'Emergency rotation',
    text: 'A brand-new key signs at once, for a key that must stop signing now. Gateways with a cached JWKS must refetch it when they meet the unknown kid.' },
];

function stateCell(key) {
  return badge(key.state, STATE_BADGE[key.state] || 'neutral');
}

// The date that matters for each state: when a next key will sign, when a retired key leaves.
function whenCell(key) {
  if (key.state === 'next') return key.activates_at ? `Signs from ${formatDate(key.activates_at)}` : 'Waiting to be promoted';
  if (key.state === 'retired') return h('span', {}, `Retired ${formatDate(key.retired_at)}`, h('br'), h('span', { class: 'muted small' }, `In the JWKS until ${formatDate(key.published_until)}`));
  return `Signing since ${formatDate(key.activated_at)}`;
}

function keyTable(keys) {
  return table({
    caption: 'Signing keys',
    rows: keys,
    rowId: (key) => key.kid,
    columns: [
      { label: 'Key ID', render: (key) => h('code', { 'data-test': 'kid' }, key.kid) },
      { label: 'State', render: (key) => h('span', { 'data-test': 'state' }, stateCell(key)) },
      { label: 'Algorithm', render: (key) => key.algorithm },
      { label: 'Created', render: (key) => formatDate(key.created_at) },
      { label: 'Lifecycle', render: whenCell },
    ],
  });
}

// The mode chooser shown in the rotate dialog; it starts on what the API would do without a mode.
function modeChooser(keys) {
  const hasNext = keys.some((key) => key.state === 'next');
  const initial = hasNext ? 'promote' : 'publish';
  const name = uid('rotate-mode');
  const fieldset = h('fieldset', { class: 'field checks' },
    h('legend', {}, 'How to rotate'),
    MODES.map((mode) => {
      const id = uid('mode');
      const disabled = (mode.value === 'promote' && !hasNext) || (mode.value === 'publish' && hasNext);
      return h('div', { class: 'check' },
        h('input', { type: 'radio', id, name, value: mode.value, checked: mode.value === initial, disabled, 'data-test': `mode-${mode.value}` }),
        h('label', { for: id }, h('strong', {}, mode.label), h('br'), h('span', { class: 'muted small' }, mode.text,
          disabled ? (hasNext ? ' (a next key is already published)' : ' (no next key is published)') : '')));
    }));
  return { element: fieldset, value: () => fieldset.querySelector('input:checked').value };
}

async function rotate(ctx, keys, done) {
  const chooser = modeChooser(keys);
  let result;
  const rotated = await confirmDialog({
    title: 'Rotate the signing key?',
    message: 'Retired keys stay in the JWKS for 30 days, so tokens they signed keep verifying.',
    body: chooser.element,
    confirmLabel: 'Rotate',
    danger: false,
    onConfirm: async () => {
      result = await ctx.api.post(apiPath(ctx, '/keys/rotate'), { mode: chooser.value() });
    },
  });
  if (!rotated) return;
  const said = { publish: 'Published a next key', promote: 'The next key now signs', emergency: 'A new key signs from now on' };
  toast(`${said[result.mode] || 'Rotated'} (${result.kid})`);
  done();
}

async function keysPage(ctx) {
  const authServer = await loadFrameServer(ctx);
  if (!ctx.can('GET', apiPath(ctx, '/keys'))) return authServerFrame(ctx, authServer, 'keys', noAccess(ctx, 'cannot see this auth server\'s signing keys.'));
  const listBox = h('div', {}, loading());
  const canRotate = ctx.can('POST', apiPath(ctx, '/keys/rotate'));
  let keys = [];
  const rotateButton = canRotate ? button('Rotate key…', { kind: 'primary', 'data-test': 'rotate', onClick: () => rotate(ctx, keys, load) }) : null;

  async function load() {
    listBox.replaceChildren(loading());
    try {
      keys = (await ctx.api.get(apiPath(ctx, '/keys'))).data || [];
      listBox.replaceChildren(keys.length ? keyTable(keys)
        : emptyState('No signing keys', 'A key is created with the auth server; rotate to put one in place.'));
    } catch (error) {
      listBox.replaceChildren(errorBox(error.detail || error.message));
    }
  }
  load();

  return authServerFrame(ctx, authServer, 'keys', h('div', { class: 'stack' },
    card(null,
      h('div', { class: 'card-head' }, h('h2', {}, 'Signing keys'), rotateButton),
      h('p', { class: 'muted' },
        'The current key signs new tokens. A next key is published in the JWKS ahead of signing, so gateways know it before it is used. ',
        'Retired keys sign no more but stay published for 30 days, the longest token lifetime. Keys also rotate on a schedule.'),
      listBox),
    card('With curl',
      curl(curlCommand('GET', apiPath(ctx, '/keys')), 'List the keys'),
      curl(curlCommand('POST', apiPath(ctx, '/keys/rotate'), { mode: 'publish' }), 'Publish a next key (then promote it with "mode": "promote")'))));
}

export const routes = [
  { pattern: '/auth-servers/:authServerId/keys', render: keysPage },
];
