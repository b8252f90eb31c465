// The studio's enhancements (every form also works without them): live counters, the channel's limits beside
// its picker, and the generation streamed into the page (Server-Sent Events read from a fetch of the form's POST).

// ---- counters and hints ----

function formatCount(el, count) {
  const lang = document.documentElement.lang || 'fr';
  const n = new Intl.NumberFormat(lang).format(count);
  const plural = el.dataset.templateOne ? new Intl.PluralRules(lang).select(count) : 'other';
  const template = (plural === 'one' ? el.dataset.templateOne : el.dataset.template) || el.dataset.template;
  return template.replace('__COUNT__', n);
}

function updateCounter(field) {
  const counter = document.querySelector(`[data-counter-for="${field.id}"], [data-count-for="${field.id}"]`);
  if (!counter || !counter.dataset.template) return;
  const count = [...field.value].length;
  counter.textContent = formatCount(counter, count);
  const max = Number(field.dataset.counter);
  if (max) counter.classList.toggle('over', count > max);
}

document.addEventListener('input', (event) => {
  const el = event.target;
  if (el instanceof HTMLTextAreaElement && (el.hasAttribute('data-counter') || el.hasAttribute('data-count'))) updateCounter(el);
});

document.addEventListener('change', (event) => {
  const el = event.target;
  if (!(el instanceof HTMLSelectElement) || !el.hasAttribute('data-channel-limits')) return;
  const hint = document.querySelector(`[data-limits-for="${el.id}"]`);
  const option = el.selectedOptions[0];
  if (hint && option) hint.textContent = option.dataset.limits || '';
});

// ---- focus ----

// A form answered with errors: the summary takes the focus, so the keyboard and screen reader land on it.
function focusErrorSummary() {
  const summary = document.querySelector('[data-autofocus]');
  if (!summary) return;
  summary.removeAttribute('data-autofocus');
  summary.focus();
}
document.addEventListener('htmx:afterSettle', focusErrorSummary);

// ---- optional panels ----

// Panels another module serves (analysis, approvals) may not exist on this server: their 404 is not an error to show.
document.addEventListener(
  'htmx:responseError',
  (event) => {
    const elt = event.detail && event.detail.elt;
    if (event.detail.xhr && event.detail.xhr.status === 404 && elt instanceof Element && elt.closest('[data-quiet-404]')) event.stopImmediatePropagation();
  },
  true,
);

// ---- streamed generation ----

function announce(message) {
  const region = document.getElementById('studio-announcer');
  if (region) region.textContent = message;
}

function parseEvent(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (!data.length) return null;
  try {
    return { event, data: JSON.parse(data.join('\n')) };
  } catch {
    return null;
  }
}

function replaceEditor(html) {
  const editor = document.getElementById('editor');
  const template = document.createElement('template');
  template.innerHTML = html;
  const next = template.content.firstElementChild;
  if (!editor || !next) return;
  editor.replaceWith(next);
  if (window.htmx) window.htmx.process(next);
  const notice = next.querySelector('.alert');
  announce(notice ? notice.textContent.trim() : '');
}

async function generate(form) {
  const live = document.getElementById('generation-live');
  const preview = document.getElementById('generation-preview');
  const errorBox = document.getElementById('generation-error');
  const button = form.querySelector('button[type="submit"]');
  const fail = (message) => {
    if (live) live.hidden = true;
    if (preview) preview.setAttribute('aria-busy', 'false');
    if (errorBox) {
      errorBox.textContent = message;
      errorBox.hidden = false;
    }
    if (button) button.disabled = false;
    announce(message);
  };
  if (button) button.disabled = true;
  if (errorBox) errorBox.hidden = true;
  if (preview) {
    preview.textContent = '';
    preview.setAttribute('aria-busy', 'true');
  }
  if (live) live.hidden = false;
  announce(form.dataset.writing || '');

  const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') || '';
  let response;
  try {
    response = await fetch(form.action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'text/event-stream', 'X-CSRF-Token': token, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(new FormData(form)),
    });
  } catch {
    fail(form.dataset.unreachable || '');
    return;
  }
  if (!response.body || !(response.headers.get('content-type') || '').includes('text/event-stream')) {
    fail(form.dataset.failed || '');
    return;
  }

  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let settled = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (!message) continue;
        if (message.event === 'delta' && preview) preview.append(message.data.text);
        else if (message.event === 'done') {
          settled = true;
          replaceEditor(message.data.html);
        } else if (message.event === 'error') {
          settled = true;
          fail(message.data.message);
        }
      }
    }
  } catch {
    // the connection dropped: the server still finishes and saves the version; a reload shows it
  }
  if (!settled) fail(form.dataset.failed || '');
}

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-generate') || !window.fetch || !window.TextDecoderStream) return;
  event.preventDefault();
  generate(form);
});

function start() {
  focusErrorSummary();
  // "Create and generate" lands on the editor with ?generate=1: start once, and drop the flag so a reload does not.
  const form = document.querySelector('form[data-generate][data-autostart]');
  if (!form || !window.fetch || !window.TextDecoderStream) return;
  form.removeAttribute('data-autostart');
  history.replaceState(history.state, '', location.pathname);
  generate(form);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
