// DOM helpers for the console pages. Everything is built with createElement and textContent:
// API data never goes through innerHTML, and nothing sets a style attribute (the CSP forbids it).

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Properties set as DOM properties rather than attributes (they reflect live state).
const PROPERTIES = new Set(['value', 'checked', 'selected', 'disabled', 'multiple', 'hidden', 'open', 'required', 'readOnly']);

function applyAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (PROPERTIES.has(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

// h('button', {class: 'btn', onClick: fn, 'data-test': 'create'}, 'New scope')
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

// The same for SVG elements (charts).
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, String(value));
  append(el, children);
  return el;
}

let idCounter = 0;
export const uid = (prefix = 'f') => `${prefix}-${++idCounter}`;

// ---------- layout pieces ----------

export function pageHeader(title, subtitle, ...actions) {
  return h('div', { class: 'page-header' },
    h('div', {}, h('h1', {}, title), subtitle ? h('p', { class: 'muted' }, subtitle) : null),
    actions.length ? h('div', { class: 'actions' }, actions) : null);
}

// A link back up one level ("← All clients").
export function backLink(href, label) {
  return h('nav', { class: 'breadcrumbs', 'aria-label': 'Back' }, h('a', { href }, h('span', { 'aria-hidden': 'true' }, '← '), label));
}

export function card(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, children);
}

export function button(label, attrs = {}) {
  const { kind = 'secondary', ...rest } = attrs;
  return h('button', { type: 'button', class: `btn btn-${kind}`, ...rest }, label);
}

export function linkButton(label, href, attrs = {}) {
  const { kind = 'secondary', ...rest } = attrs;
  return h('a', { class: `btn btn-${kind}`, href, ...rest }, label);
}

export function badge(text, kind = 'neutral') {
  return h('span', { class: `badge badge-${kind}` }, text);
}

export function loading(text = 'Loading…') {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

export function errorBox(message) {
  return h('div', { class: 'alert alert-error', role: 'alert' }, message);
}

export function emptyState(title, text, action) {
  return h('div', { class: 'empty', 'data-test': 'empty' }, h('p', { class: 'empty-title' }, title), text ? h('p', { class: 'muted' }, text) : null, action || null);
}

// A definition list of label → value pairs.
export function details(pairs) {
  return h('dl', { class: 'details' }, pairs.filter(Boolean).map(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]));
}

export function formatDate(text) {
  if (!text) return '—';
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toLocaleString();
}

export function tabs(items, active) {
  return h('nav', { class: 'tabs', 'aria-label': 'Sections' },
    items.map((item) => h('a', {
      href: item.href,
      class: item.key === active ? 'tab active' : 'tab',
      'aria-current': item.key === active ? 'page' : null,
      'data-test': `tab-${item.key}`,
    }, item.label)));
}

// ---------- copy, JSON, curl, secrets ----------

export function copyButton(text, label = 'Copy') {
  const btn = button(label, { kind: 'ghost', class: 'btn btn-ghost btn-small', 'data-test': 'copy' });
  btn.addEventListener('click', async () => {
    const value = typeof text === 'function' ? text() : text;
    try {
      await navigator.clipboard.writeText(value);
      btn.textContent = 'Copied';
    } catch {
      btn.textContent = 'Select and copy';
    }
    setTimeout(() => { btn.textContent = label; }, 1500);
  });
  return btn;
}

export function jsonView(value, testId) {
  return h('pre', { class: 'code json', 'data-test': testId, tabindex: '0' }, JSON.stringify(value, null, 2));
}

// A copyable curl command; $TESSERA is the base URL and $PAT the admin token, as in the README.
export function curl(command, title) {
  return h('div', { class: 'curl', 'data-test': 'curl' },
    h('div', { class: 'curl-head' }, h('span', {}, title || 'curl'), copyButton(command)),
    h('pre', { class: 'code', tabindex: '0' }, command));
}

// Builds `curl -sX METHOD "$TESSERA/path" -H "Authorization: Bearer $PAT" [--json '...']`.
export function curlCommand(method, path, body) {
  const lines = [`curl -sX ${method} "$TESSERA${path}"`, '  -H "Authorization: Bearer $PAT"'];
  if (body !== undefined) lines.push(`  --json '${JSON.stringify(body).replaceAll("'", "'\\''")}'`);
  return lines.join(' \\\n');
}

// A secret shown once (client secret, admin token), with a copy button and a Done button.
export function secretOnce({ title, value, note, onDone }) {
  const done = button('Done', { kind: 'primary', 'data-test': 'done' });
  const box = h('section', { class: 'card secret-once', 'data-test': 'secret-once', role: 'region', 'aria-label': title },
    h('h2', {}, title),
    h('p', {}, note || 'Copy it now and store it safely: you will not see it again.'),
    h('div', { class: 'secret-row' }, h('code', { class: 'secret-value', 'data-test': 'secret-value' }, value), copyButton(value)),
    h('p', { class: 'muted small' }, 'Tessera keeps only a digest of it, so it cannot show it later.'),
    h('div', { class: 'form-actions' }, done));
  done.addEventListener('click', () => {
    box.remove();
    if (onDone) onDone();
  });
  return box;
}

// ---------- toasts ----------

let toastRegion;
export function toast(message, kind = 'success') {
  if (!toastRegion || !toastRegion.isConnected) {
    toastRegion = h('div', { class: 'toasts', 'aria-live': 'polite', role: 'status' });
    document.body.append(toastRegion);
  }
  const item = h('div', { class: `toast toast-${kind}` }, message);
  toastRegion.append(item);
  setTimeout(() => item.remove(), 4000);
}

// ---------- forms ----------

function fieldError(name) {
  return h('p', { class: 'field-error', 'data-test': 'field-error', 'data-field': name, 'aria-live': 'polite' });
}

function wrap(id, label, control, hint, name) {
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    fieldError(name));
}

// input({label, name, value, type, hint, required, placeholder, readonly})
export function input({ label, name, value = '', type = 'text', hint, ...rest }) {
  const id = uid(name);
  const control = h('input', { id, name, type, value: value ?? '', 'aria-describedby': hint ? `${id}-hint` : null, ...rest });
  return wrap(id, label, control, hint, name);
}

export function textarea({ label, name, value = '', hint, rows = 4, ...rest }) {
  const id = uid(name);
  const control = h('textarea', { id, name, rows, 'aria-describedby': hint ? `${id}-hint` : null, ...rest });
  control.value = value ?? '';
  return wrap(id, label, control, hint, name);
}

// options: [{value, label}] or strings
export function select({ label, name, value, options, hint, ...rest }) {
  const id = uid(name);
  const control = h('select', { id, name, ...rest },
    options.map((option) => {
      const { value: v, label: l } = typeof option === 'string' ? { value: option, label: option } : option;
      return h('option', { value: v, selected: v === value }, l);
    }));
  return wrap(id, label, control, hint, name);
}

export function checkbox({ label, name, checked = false, hint, ...rest }) {
  const id = uid(name);
  return h('div', { class: 'field field-check' },
    h('div', { class: 'check' },
      h('input', { id, name, type: 'checkbox', checked, value: 'true', ...rest }),
      h('label', { for: id }, label)),
    hint ? h('p', { class: 'hint' }, hint) : null,
    fieldError(name));
}

// A group of checkboxes sharing one name (grant_types, allow_scopes…); options [{value,label}].
export function checkboxGroup({ legend, name, options, selected = [], hint, disabled }) {
  return h('fieldset', { class: 'field checks' },
    h('legend', {}, legend),
    options.length ? h('div', { class: 'check-grid' }, options.map((option) => {
      const id = uid(name);
      return h('div', { class: 'check' },
        h('input', { id, name, type: 'checkbox', value: option.value, checked: selected.includes(option.value), disabled }),
        h('label', { for: id }, option.label));
    })) : h('p', { class: 'muted small' }, 'None to choose from yet.'),
    hint ? h('p', { class: 'hint' }, hint) : null,
    fieldError(name));
}

export function formError() {
  return h('div', { class: 'alert alert-error form-error', 'data-test': 'form-error', role: 'alert', 'aria-live': 'assertive', hidden: true });
}

// Reading form values in API shapes.
export const read = {
  text: (form, name) => (form.elements[name] ? form.elements[name].value.trim() : ''),
  bool: (form, name) => Boolean(form.elements[name] && form.elements[name].checked),
  checked: (form, name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((el) => el.value),
  lines: (form, name) => read.text(form, name).split('\n').map((line) => line.trim()).filter(Boolean),
  int: (form, name) => {
    const text = read.text(form, name);
    return text === '' ? undefined : (/^-?\d+$/.test(text) ? Number(text) : text);
  },
  // "key=value" per line → {key: value}
  labels: (form, name) => Object.fromEntries(read.lines(form, name).map((line) => {
    const at = line.indexOf('=');
    return at < 0 ? [line, ''] : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
  })),
};

export const formatLabels = (labels) => Object.entries(labels || {}).map(([k, v]) => `${k}=${v}`).join('\n');

export function clearErrors(form) {
  for (const el of form.querySelectorAll('[data-test=field-error]')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const box = form.querySelector('[data-test=form-error]');
  if (box) {
    box.textContent = '';
    box.hidden = true;
  }
}

// Puts each invalid parameter next to its field ("labels.env" goes to "labels") and the detail on top.
export function showErrors(form, error) {
  clearErrors(form);
  let placedAll = true;
  for (const param of error.invalidParameters || []) {
    const field = String(param.field || '');
    const base = field.split(/[.[]/)[0];
    const slot = form.querySelector(`[data-test=field-error][data-field="${CSS.escape(field)}"]`)
      || form.querySelector(`[data-test=field-error][data-field="${CSS.escape(base)}"]`);
    if (!slot) {
      placedAll = false;
      continue;
    }
    slot.textContent = [slot.textContent, param.reason || param.rule].filter(Boolean).join(' ');
    const control = form.elements[slot.dataset.field];
    if (control && control.setAttribute) control.setAttribute('aria-invalid', 'true');
  }
  const box = form.querySelector('[data-test=form-error]');
  if (box) {
    const unplaced = (error.invalidParameters || []).filter((p) => !form.querySelector(`[data-test=field-error][data-field="${CSS.escape(String(p.field).split(/[.[]/)[0])}"]`));
    box.textContent = error.detail || error.message;
    if (!placedAll) box.append(h('ul', {}, unplaced.map((p) => h('li', {}, `${p.field}: ${p.reason || p.rule}`))));
    box.hidden = false;
  }
}

// Wires a form's submit: disables the submit button while `action(form)` runs and shows its errors.
export function onSubmit(form, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const submit = form.querySelector('[data-test=submit]');
    clearErrors(form);
    if (submit) submit.disabled = true;
    try {
      await action(form);
    } catch (error) {
      showErrors(form, error);
    } finally {
      if (submit && submit.isConnected) submit.disabled = false;
    }
  });
  return form;
}

export function formActions(submitLabel, ...extra) {
  return h('div', { class: 'form-actions' },
    h('button', { type: 'submit', class: 'btn btn-primary', 'data-test': 'submit' }, submitLabel), extra);
}

// A search box for a pagedList: filters by `filter[name][contains]` as it is submitted.
export function nameSearch(list, label = 'Search by name') {
  const id = uid('search');
  const form = h('form', { class: 'search', role: 'search' },
    h('label', { for: id, class: 'sr-only' }, label),
    h('input', { id, type: 'search', name: 'q', placeholder: label, autocomplete: 'off' }));
  let timer;
  const apply = () => {
    const text = form.elements.q.value.trim();
    list.filter(text ? { 'filter[name][contains]': text } : {});
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply();
  });
  // Filters as the user types, once they pause.
  form.elements.q.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(apply, 300);
  });
  return form;
}

// ---------- dialogs ----------

// confirmDialog({title, message, body, confirmLabel, danger, onConfirm}): resolves true once
// onConfirm (async) succeeds, false when cancelled. An error thrown by onConfirm is shown in the
// dialog, which stays open; onConfirm may return false to close without resolving true.
export function confirmDialog({ title, message, body, confirmLabel = 'Confirm', danger = true, onConfirm }) {
  return new Promise((resolve) => {
    const error = h('div', { class: 'alert alert-error', 'data-test': 'dialog-error', role: 'alert', hidden: true });
    const confirm = button(confirmLabel, { kind: danger ? 'danger' : 'primary', 'data-test': 'confirm' });
    const cancel = button('Cancel', { 'data-test': 'cancel' });
    const titleId = uid('dialog-title');
    const dialog = h('dialog', { class: 'dialog', 'data-test': 'confirm-dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title),
      message ? h('p', {}, message) : null,
      body || null,
      error,
      h('div', { class: 'form-actions' }, cancel, confirm));
    let result = false;
    const close = () => dialog.close();
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    cancel.addEventListener('click', close);
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      error.hidden = true;
      try {
        const outcome = onConfirm ? await onConfirm(dialog) : true;
        result = outcome !== false;
        close();
      } catch (err) {
        error.textContent = err.detail || err.message;
        error.hidden = false;
        confirm.disabled = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

// ---------- lists ----------

// table({columns: [{label, render(row) → node|string, class}], rows, rowId(row)})
export function table({ columns, rows, rowId, caption }) {
  return h('div', { class: 'table-wrap' },
    h('table', {},
      caption ? h('caption', { class: 'sr-only' }, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((column) => h('th', { scope: 'col', class: column.class }, column.label)))),
      h('tbody', {}, rows.map((row) => h('tr', { 'data-test': 'row', 'data-id': rowId(row) },
        columns.map((column) => h('td', { class: column.class, 'data-label': column.label }, column.render(row))))))));
}

// A paginated list from a /v1 list endpoint: fetches `path` with `query`, page[size] 20, renders
// a table (or the empty state) and a pager. Returns {element, reload()}.
export function pagedList({ api, path, query = {}, columns, rowId, empty, caption, pageSize = 20 }) {
  const element = h('div', { class: 'paged-list' });
  let page = 1;
  let currentQuery = query;
  async function load() {
    element.replaceChildren(loading());
    try {
      const result = await api.get(path, { ...currentQuery, 'page[size]': pageSize, 'page[number]': page });
      const rows = result.data || [];
      const meta = (result.meta && result.meta.page) || { number: page, size: pageSize, total: rows.length };
      if (!rows.length && page > 1) {
        page -= 1;
        return load();
      }
      const pages = Math.max(1, Math.ceil(meta.total / meta.size));
      const filtered = currentQuery !== query;
      element.replaceChildren(rows.length ? table({ columns, rows, rowId, caption })
        : filtered ? emptyState('Nothing matches', 'Try another search, or clear the filter.') : empty());
      if (meta.total > meta.size || page > 1) {
        element.append(h('nav', { class: 'pager', 'data-test': 'pager', 'aria-label': 'Pages' },
          button('Previous', { 'data-test': 'prev-page', disabled: page <= 1, onClick: () => { page -= 1; load(); } }),
          h('span', { class: 'muted' }, `Page ${page} of ${pages} · ${meta.total} in all`),
          button('Next', { 'data-test': 'next-page', disabled: page >= pages, onClick: () => { page += 1; load(); } })));
      }
    } catch (error) {
      element.replaceChildren(errorBox(error.detail || error.message));
    }
    return undefined;
  }
  load();
  return {
    element,
    reload: load,
    filter(newQuery) {
      currentQuery = Object.keys(newQuery).length ? { ...query, ...newQuery } : query;
      page = 1;
      return load();
    },
  };
}

// Deletes `path` after a confirmation. When the API refuses because the thing is not empty
// (`needsForce(error)`), asks again with an explicit checkbox and deletes with `?force=true`.
// Resolves to whether it was deleted.
export async function deleteWithForce({ api, path, confirm, needsForce, force }) {
  let refusedAsNotEmpty = false;
  const deleted = await confirmDialog({
    ...confirm,
    onConfirm: async () => {
      try {
        await api.del(path);
        return true;
      } catch (error) {
        if (needsForce(error)) {
          refusedAsNotEmpty = true;
          return false;
        }
        throw error;
      }
    },
  });
  if (!refusedAsNotEmpty) return deleted;
  const id = uid('force-delete');
  const box = h('input', { type: 'checkbox', id, 'data-test': 'force' });
  return confirmDialog({
    title: force.title,
    message: force.message,
    body: h('div', { class: 'check' }, box, h('label', { for: id }, force.label)),
    confirmLabel: 'Delete everything',
    onConfirm: async () => {
      if (!box.checked) throw new Error('Tick the box to confirm deleting everything in it.');
      await api.del(`${path}?force=true`);
    },
  });
}
