// Copy buttons of the reviewer links (progressive enhancement: the link is also in a selectable field).
document.addEventListener('click', async (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-copy-target]') : null;
  if (!button) return;
  const field = document.getElementById(button.getAttribute('data-copy-target') || '');
  if (!(field instanceof HTMLInputElement)) return;
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    document.execCommand('copy');
  }
  const done = button.getAttribute('data-copied');
  if (done) {
    const label = button.textContent;
    button.textContent = done;
    setTimeout(() => { button.textContent = label; }, 2000);
  }
});
