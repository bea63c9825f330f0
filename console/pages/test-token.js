// The client overview's "get a test token": a client_credentials request to the issuer's token
// endpoint from the browser, and the decoded JWT header and payload.
import { h, card, input, select, formError, jsonView, showErrors, clearErrors, copyButton } from '../ui.js';
import { issuerUrl, issuerFetch } from '../api.js';

function decodePart(part) {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

export function decodeJwt(token) {
  const [header, payload] = token.split('.');
  return { header: decodePart(header), payload: decodePart(payload) };
}

// scopes: the scope names the client may request.
export function testTokenCard(server, client, scopes) {
  const tokenUrl = issuerUrl(server.issuer, '/oauth/token');
  if (!['client_secret_post', 'client_secret_basic'].includes(client.token_endpoint_auth_method)) {
    return card('Get a test token', h('p', { class: 'muted' }, `A ${client.token_endpoint_auth_method} client does not authenticate with a secret; use the curl command below.`));
  }
  if (!tokenUrl) {
    return card('Get a test token', h('p', { class: 'muted' }, 'This issuer is on another origin, which the console cannot call; use the curl command below.'));
  }
  const result = h('div', { 'aria-live': 'polite' });
  const form = h('form', { id: 'test-token', novalidate: true },
    client.grant_types.includes('client_credentials') ? null
      : h('div', { class: 'alert alert-warning' }, 'This client does not have the client_credentials grant: the token endpoint will refuse it.'),
    formError(),
    h('div', { class: 'form-grid' },
      input({ label: 'Client secret', name: 'client_secret', type: 'password', autocomplete: 'off', spellcheck: 'false', hint: 'The secret shown when the client or secret was created.' }),
      select({ label: 'Scope', name: 'scope', value: '', options: [{ value: '', label: 'Default scopes' }, ...scopes.map((name) => ({ value: name, label: name }))] })),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-test': 'get-token' }, 'Get token')));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    result.replaceChildren();
    const secret = form.elements.client_secret.value;
    if (!secret) {
      showErrors(form, { detail: 'Enter the client secret.' });
      return;
    }
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    const scope = form.elements.scope.value;
    if (scope) body.set('scope', scope);
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
    if (client.token_endpoint_auth_method === 'client_secret_basic') {
      headers.Authorization = `Basic ${btoa(`${client.id}:${secret}`)}`;
    } else {
      body.set('client_id', client.id);
      body.set('client_secret', secret);
    }
    const button = form.querySelector('[data-test=get-token]');
    button.disabled = true;
    try {
      const response = await issuerFetch(tokenUrl, { method: 'POST', headers, body });
      const data = response.data || {};
      if (!response.ok || !data.access_token) {
        showErrors(form, { detail: [data.error, data.error_description].filter(Boolean).join(': ') || `The token endpoint answered ${response.status}.` });
        return;
      }
      const decoded = decodeJwt(data.access_token);
      result.replaceChildren(h('div', { 'data-test': 'token-claims', class: 'stack' },
        h('p', { class: 'muted' }, `Expires in ${data.expires_in} s · scope: ${data.scope || '(none)'}`),
        h('div', { class: 'grid-2' },
          h('div', {}, h('h3', {}, 'Header'), jsonView(decoded.header, 'token-header')),
          h('div', {}, h('h3', {}, 'Payload'), jsonView(decoded.payload, 'token-payload'))),
        h('div', {}, h('div', { class: 'curl-head' }, h('span', {}, 'Access token'), copyButton(data.access_token)),
          h('pre', { class: 'code token-raw', 'data-test': 'raw-token', tabindex: '0' }, data.access_token))));
    } catch {
      showErrors(form, { detail: 'The token endpoint could not be reached, or did not answer with a JWT.' });
    } finally {
      button.disabled = false;
    }
  });
  return card('Get a test token', h('p', { class: 'muted' }, 'Asks the issuer’s token endpoint for a client_credentials token, as your service would, and decodes it.'), form, result);
}
