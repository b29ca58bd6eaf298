// kadai's pages: the little that needs a script. The submission form, the live grading progress
// (the API's Server-Sent Events), regrade buttons, and sorting/filtering the class matrix. Every
// call goes to this origin with the session cookie and the page's CSRF token; no token is kept in
// the browser's storage.
'use strict';

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? '';

async function callApi(url, init) {
  const response = await fetch(url, { credentials: 'same-origin', ...init, headers: { 'x-csrf-token': csrf(), ...(init.headers ?? {}) } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const lines = (body.errors ?? []).map((e) => e.text ?? e.message);
    throw new Error([body.detail ?? `HTTP ${response.status}`, ...lines].join('\n'));
  }
  return body;
}

const readText = (file) => file.text();

/** The files of the chosen input as {path: text}; a folder's top directory is dropped from the paths. */
async function filesOf(input, isFolder) {
  const files = {};
  for (const file of input.files) {
    const path = isFolder ? file.webkitRelativePath.split('/').slice(1).join('/') : file.name;
    files[path] = await readText(file);
  }
  return files;
}

function setupSubmitForm(form) {
  const status = form.querySelector('#submit-status');
  const modes = form.querySelectorAll('input[name="mode"]');
  const showMode = () => {
    const mode = form.querySelector('input[name="mode"]:checked')?.value;
    form.querySelectorAll('.mode').forEach((p) => (p.hidden = !p.classList.contains(`mode-${mode}`)));
  };
  modes.forEach((m) => m.addEventListener('change', showMode));
  showMode();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const lab = form.dataset.lab;
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    status.textContent = '…';
    try {
      let init;
      if (form.dataset.kind === 'quiz') {
        const answers = {};
        form.querySelectorAll('fieldset.question').forEach((q) => {
          answers[q.dataset.question] = [...q.querySelectorAll('input:checked')].map((i) => i.value);
        });
        init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lab, answers }) };
      } else {
        const mode = form.querySelector('input[name="mode"]:checked').value;
        const input = form.querySelector(`#input-${mode}`);
        if (!input.files.length) throw new Error(input.labels[0].textContent + ': —');
        if (mode === 'archive') {
          const data = new FormData();
          data.append('lab', lab);
          data.append('archive', input.files[0]);
          init = { method: 'POST', body: data };
        } else {
          init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lab, files: await filesOf(input, mode === 'folder') }) };
        }
      }
      const accepted = await callApi('/v1/submissions', init);
      location.assign(`/submissions/${accepted.id}`);
    } catch (error) {
      status.textContent = error.message;
      status.classList.add('error');
      button.disabled = false;
    }
  });
}

/** Follows a submission's event stream; the page is drawn again once the grading ends. */
function followProgress(element) {
  const progress = document.getElementById('live-progress');
  const events = new EventSource(element.dataset.events);
  const onState = (event) => {
    const view = JSON.parse(event.data);
    element.querySelector('.state').textContent = view.state;
    progress.textContent = `${view.state}…`;
    if (['graded', 'error', 'rejected'].includes(view.state)) {
      events.close();
      location.reload();
    }
  };
  ['queued', 'running', 'graded', 'error', 'rejected'].forEach((name) => events.addEventListener(name, onState));
}

function setupRegrade(form) {
  const status = form.querySelector('[role="status"]');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const body = await callApi(form.dataset.action, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reason: form.querySelector('input[name="reason"]').value }),
      });
      status.textContent = body.regrading !== undefined ? `✓ ${body.regrading}` : `✓ ${body.state}`;
    } catch (error) {
      status.textContent = error.message;
    }
  });
}

/**
 * The administration forms: each is one API call (data-method, data-path with {field} filled from
 * the form), so the API's own validation decides and nothing is checked twice. Empty fields are left
 * out (the API's defaults apply); numbers are sent as numbers, times as Japan time (+09:00), boxes
 * of one name as a list; data-body="csv" sends the chosen file as text/csv. On success the page is
 * drawn again, or, with data-show, the answer's fields shown there once (a new token or secret).
 * A refusal names each bad field (marked aria-invalid) or CSV line; nothing was saved.
 */
function setupApiForm(form) {
  const status = form.querySelector('.form-status');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const used = new Set();
    const values = {};
    for (const element of form.elements) {
      if (!element.name || element.name === '_csrf' || element.disabled) continue;
      element.removeAttribute('aria-invalid');
      if (element.type === 'file') continue;
      if (element.type === 'checkbox') {
        values[element.name] = values[element.name] ?? [];
        if (element.checked) values[element.name].push(element.value);
      } else if (element.value.trim() !== '') {
        values[element.name] = element.type === 'number' ? Number(element.value) : element.type === 'datetime-local' ? `${element.value}:00+09:00` : element.value;
      }
    }
    const path = form.dataset.path.replace(/\{(\w+)\}/g, (_, name) => {
      used.add(name);
      return encodeURIComponent(values[name] ?? '');
    });
    const init = { method: form.dataset.method };
    if (form.dataset.body === 'csv') {
      const file = form.querySelector('input[type="file"]').files[0];
      init.headers = { 'content-type': 'text/csv' };
      init.body = file ? await file.text() : '';
    } else if (form.dataset.body !== 'none') {
      init.headers = { 'content-type': 'application/json' };
      init.body = JSON.stringify(Object.fromEntries(Object.entries(values).filter(([name]) => !used.has(name))));
    }
    status.classList.remove('error');
    status.textContent = '…';
    try {
      const response = await fetch(path, { credentials: 'same-origin', ...init, headers: { 'x-csrf-token': csrf(), ...(init.headers ?? {}) } });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        for (const issue of body.errors ?? []) form.querySelector(`[name="${CSS.escape(issue.field ?? '')}"]`)?.setAttribute('aria-invalid', 'true');
        status.classList.add('error');
        status.textContent = '';
        const list = document.createElement('ul');
        for (const line of [body.detail ?? `HTTP ${response.status}`, ...(body.errors ?? []).map((e) => e.text ?? e.message)]) {
          const item = document.createElement('li');
          item.textContent = line;
          list.append(item);
        }
        status.append(list);
        return;
      }
      if (!form.dataset.show) return location.reload();
      status.textContent = '';
      const shown = document.createElement('p');
      shown.append(form.dataset.shownOnce ?? '');
      for (const name of form.dataset.show.split(',')) {
        const code = document.createElement('code');
        code.className = `shown-${name}`;
        code.textContent = body[name];
        shown.append(' ', code);
      }
      status.append(shown);
    } catch (error) {
      status.classList.add('error');
      status.textContent = error.message;
    }
  });
}

/** Sorting by any column (click or Enter on its header button) and filtering by name and state. */
function setupMatrix(table) {
  const body = table.tBodies[0];
  const rows = [...body.rows];
  const headers = [...table.tHead.rows[0].cells];
  const count = document.getElementById('matrix-count');
  let sorted = { col: 0, dir: 1 };
  const key = (row, col) => {
    const value = row.cells[col].dataset.v;
    return col === 0 ? value : Number(value);
  };
  table.tHead.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-col]');
    if (!button) return;
    const col = Number(button.dataset.col);
    sorted = { col, dir: sorted.col === col ? -sorted.dir : col === 0 ? 1 : -1 };
    rows.sort((a, b) => {
      const x = key(a, col);
      const y = key(b, col);
      return (x < y ? -1 : x > y ? 1 : 0) * sorted.dir;
    });
    body.append(...rows);
    headers.forEach((h, i) => (i === col ? h.setAttribute('aria-sort', sorted.dir === 1 ? 'ascending' : 'descending') : h.removeAttribute('aria-sort')));
  });
  const filter = document.getElementById('matrix-filter');
  const stateFilter = document.getElementById('matrix-state');
  const apply = () => {
    const text = filter.value.trim().toLowerCase();
    const state = stateFilter.value;
    let shown = 0;
    for (const row of rows) {
      const nameOk = !text || row.cells[0].textContent.toLowerCase().includes(text);
      const stateOk = !state || [...row.cells].some((c) => c.dataset.s === state);
      row.hidden = !(nameOk && stateOk);
      if (!row.hidden) shown++;
    }
    count.textContent = `${shown} / ${rows.length}`;
  };
  filter.addEventListener('input', apply);
  stateFilter.addEventListener('change', apply);
}

document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('submit-form');
  if (form) setupSubmitForm(form);
  const live = document.querySelector('[data-events]');
  if (live) followProgress(live);
  document.querySelectorAll('form.regrade').forEach(setupRegrade);
  document.querySelectorAll('form.api-form').forEach(setupApiForm);
  const matrix = document.getElementById('matrix');
  if (matrix) setupMatrix(matrix);
  document.body.dataset.ready = 'true';
});
