// Login requests tab. The API keeps no list of pending login requests: each one lives only in its
// login challenge, which the authorization endpoint hands to the client's login page
// (`<login_uri>?login_challenge=…`). So the console looks one up by its challenge and, for
// support or testing, accepts or rejects it as a login page would.
import { h, card, button, badge, input, textarea, select, formError, formActions, onSubmit, read, toast, curl, curlCommand,
  formatDate, details, copyButton } from '../ui.js';
import { authServerFrame, apiPath } from './common.js';
import { loadFrameServer } from './registration.js';

// Shown instead of calling an endpoint the role cannot use (the server would answer 403).
const noAccess = (ctx, text) => card(null, h('p', { class: 'muted', 'data-test': 'no-access' }, `Your role (${ctx.session.role}) ${text}`));
const REJECTION_CODES = ['access_denied', 'login_required', 'consent_required', 'interaction_required', 'account_selection_required'];

// An error in the ApiError shape, so onSubmit shows it next to its field.
function fieldProblem(field, reason) {
  return Object.assign(new Error(reason), { detail: 'Check the highlighted field.', invalidParameters: [{ field, reason }] });
}

function requestDetails(request) {
  const expired = new Date(request.expires_at) <= new Date();
  return card('Login request', details([
    ['Client', h('span', {}, request.client_name, ' ', h('code', {}, request.client_id))],
    ['Redirect URI', h('code', {}, request.redirect_uri)],
    ['Response type', h('code', {}, request.response_type)],
    ['Scopes', request.scope.length ? h('span', { class: 'chips' }, request.scope.map((s) => badge(s))) : h('span', { class: 'muted' }, 'None')],
    request.prompt ? ['Prompt', h('code', {}, request.prompt)] : null,
    request.max_age !== undefined ? ['Max age', `${request.max_age} s`] : null,
    request.acr_values ? ['ACR values', h('code', {}, request.acr_values)] : null,
    request.login_hint ? ['Login hint', request.login_hint] : null,
    request.ui_locales ? ['UI locales', request.ui_locales] : null,
    ['Expires', h('span', {}, formatDate(request.expires_at), ' ', expired ? badge('expired', 'warning') : null)],
  ]));
}

// Where the answer sends the browser: the user's browser must go there within 120 s, once.
function redirectResult(result, accepted) {
  return h('section', { class: 'card', 'data-test': 'login-redirect', role: 'status' },
    h('h2', {}, accepted ? 'Accepted' : 'Rejected'),
    h('p', {}, 'Send the user\'s browser to this address within 120 seconds; it works once and then answers the client at its redirect URI.'),
    h('div', { class: 'secret-row' }, h('code', { class: 'secret-value', 'data-test': 'redirect-to' }, result.redirect_to), copyButton(result.redirect_to)),
    h('p', { class: 'muted small' }, 'A login request is answered once: answering it again is refused.'));
}

function acceptForm(ctx, challenge, onDone) {
  const path = apiPath(ctx, `/login-requests/${encodeURIComponent(challenge)}/accept`);
  const form = h('form', { id: 'accept-form', class: 'card form-card', novalidate: true },
    h('h2', {}, 'Accept (the user signed in)'),
    formError(),
    input({ label: 'Subject', name: 'subject', required: true, hint: 'The user\'s stable identifier: it becomes sub. Never reassign it.' }),
    textarea({ label: 'Claims (JSON object)', name: 'claims', rows: 3, placeholder: '{"email": "ada@example.com", "email_verified": true}',
      hint: 'Optional; go into the ID token and userinfo.' }),
    h('div', { class: 'form-grid' },
      input({ label: 'ACR', name: 'acr', placeholder: 'urn:example:loa:2', hint: 'Optional authentication context class.' }),
      input({ label: 'AMR', name: 'amr', placeholder: 'pwd otp', hint: 'Optional methods, separated by spaces.' }),
      input({ label: 'Auth time (Unix seconds)', name: 'auth_time', type: 'number', hint: 'Optional; defaults to now.' })),
    formActions('Accept login'));
  return onSubmit(form, async () => {
    const body = { subject: read.text(form, 'subject') };
    const claims = read.text(form, 'claims');
    if (claims) {
      try {
        body.claims = JSON.parse(claims);
      } catch {
        throw fieldProblem('claims', 'is not valid JSON');
      }
    }
    const acr = read.text(form, 'acr');
    if (acr) body.acr = acr;
    const amr = read.text(form, 'amr').split(/[\s,]+/).filter(Boolean);
    if (amr.length) body.amr = amr;
    const authTime = read.int(form, 'auth_time');
    if (authTime !== undefined) body.auth_time = authTime;
    onDone(await ctx.api.post(path, body), true);
  });
}

function rejectForm(ctx, challenge, onDone) {
  const path = apiPath(ctx, `/login-requests/${encodeURIComponent(challenge)}/reject`);
  const form = h('form', { id: 'reject-form', class: 'card form-card', novalidate: true },
    h('h2', {}, 'Reject (no one signed in)'),
    formError(),
    select({ label: 'Error for the client', name: 'error', value: 'access_denied', options: REJECTION_CODES }),
    input({ label: 'Error description', name: 'error_description', placeholder: 'The user was not signed in', hint: 'Optional text for the client\'s developers.' }),
    formActions('Reject login'));
  return onSubmit(form, async () => {
    const body = { error: read.text(form, 'error') };
    const description = read.text(form, 'error_description');
    if (description) body.error_description = description;
    onDone(await ctx.api.post(path, body), false);
  });
}

async function loginRequestsPage(ctx) {
  const authServer = await loadFrameServer(ctx);
  const result = h('div', { class: 'stack' });
  const lookupPath = (challenge) => apiPath(ctx, `/login-requests/${encodeURIComponent(challenge)}`);
  const curlPath = apiPath(ctx, '/login-requests/$LOGIN_CHALLENGE');
  const canAnswer = ctx.can('POST', apiPath(ctx, '/login-requests/x/accept'));
  if (!ctx.can('GET', apiPath(ctx, '/login-requests/x'))) return authServerFrame(ctx, authServer, 'login-requests', noAccess(ctx, 'cannot look up this auth server\'s login requests.'));

  const lookup = h('form', { id: 'login-request-form', class: 'card form-card', novalidate: true, role: 'search' },
    h('h2', {}, 'Look up a login request'),
    formError(),
    textarea({ label: 'Login challenge', name: 'login_challenge', rows: 3, value: ctx.query.login_challenge || '', required: true,
      hint: 'The login_challenge query parameter the login page received.' }),
    formActions('Look up'));

  onSubmit(lookup, async () => {
    const challenge = read.text(lookup, 'login_challenge');
    if (!challenge) throw fieldProblem('login_challenge', 'Paste a login challenge.');
    result.replaceChildren();
    const request = await ctx.api.get(lookupPath(challenge));
    const answered = h('div', {});
    const onDone = (answer, accepted) => {
      answered.replaceChildren(redirectResult(answer, accepted));
      forms.remove();
      toast(accepted ? 'Accepted the login request' : 'Rejected the login request');
    };
    const forms = canAnswer
      ? h('div', { class: 'grid-2' }, acceptForm(ctx, challenge, onDone), rejectForm(ctx, challenge, onDone))
      : h('p', { class: 'muted' }, 'Your role may look login requests up but not answer them.');
    result.replaceChildren(requestDetails(request), answered, forms);
  });
  // A challenge in the link (#…/login-requests?login_challenge=…) is looked up at once.
  // A form only submits once it is in the document, which happens after render returns.
  const submitWhenShown = (tries) => {
    if (lookup.isConnected) lookup.requestSubmit();
    else if (tries > 0) setTimeout(() => submitWhenShown(tries - 1), 50);
  };
  if (ctx.query.login_challenge) submitWhenShown(40);

  return authServerFrame(ctx, authServer, 'login-requests', h('div', { class: 'stack' },
    card('How login requests work',
      h('p', {}, 'When a user signs in through an authorization-code or implicit flow, the authorization endpoint sends the browser to the client\'s login page with a ',
        h('code', {}, 'login_challenge'), '. The login page signs the user in, then accepts (or rejects) the login request and sends the browser to the address it gets back.'),
      h('p', { class: 'muted' }, 'Pending login requests are not stored anywhere you could list: each lives in its challenge and expires after 10 minutes. ',
        'Paste a challenge here to see what it asks for, and answer it by hand to test or unblock a login page.')),
    lookup,
    result,
    card('With curl',
      curl(curlCommand('GET', curlPath), 'Look up a login request'),
      curl(curlCommand('POST', `${curlPath}/accept`, { subject: 'user-8c1f2a' }), 'Accept it (as a login page would)'),
      curl(curlCommand('POST', `${curlPath}/reject`, { error: 'access_denied' }), 'Reject it'))));
}

export const routes = [
  { pattern: '/auth-servers/:authServerId/login-requests', render: loginRequestsPage },
];
