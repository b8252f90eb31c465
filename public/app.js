// Progressive enhancement only: every form works without it.
document.addEventListener('htmx:configRequest', (event) => {
  const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content');
  if (token) event.detail.headers['X-CSRF-Token'] = token;
});

document.addEventListener('change', (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute('data-autosubmit')) el.form?.requestSubmit();
});

document.addEventListener('focusin', (event) => {
  const el = event.target;
  if (el instanceof HTMLInputElement && el.classList.contains('copyable')) el.select();
});

// Errors answered to HTMX requests (403, 404, 409, 5xx…) are not swapped into the page: show them in the
// live region so the user knows what happened. Their body is a server-rendered, escaped alert.
document.addEventListener('htmx:responseError', (event) => {
  const region = document.getElementById('toasts');
  const xhr = event.detail.xhr;
  if (!region || !xhr) return;
  const template = document.createElement('template');
  template.innerHTML = xhr.responseText && xhr.responseText.trim().startsWith('<div class="alert') ? xhr.responseText : '';
  const alert = template.content.firstElementChild ?? Object.assign(document.createElement('div'), { className: 'alert alert-error', textContent: region.dataset.error });
  region.replaceChildren(alert);
  setTimeout(() => alert.remove(), 8000);
});
document.addEventListener('htmx:sendError', () => {
  const region = document.getElementById('toasts');
  if (region) region.replaceChildren(Object.assign(document.createElement('div'), { className: 'alert alert-error', textContent: region.dataset.unreachable }));
});
