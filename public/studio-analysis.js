// The studio editor's live analysis panel: copy the JSON-LD, use a GSM-friendly SMS text. Progressive
// enhancement: the panel is readable without it. Listeners are delegated, so swapping the panel needs nothing.
(() => {
  if (window.cadenceAnalysis) return;
  window.cadenceAnalysis = true;

  async function copy(button) {
    const source = document.getElementById(button.dataset.analysisCopy);
    const status = button.parentElement?.querySelector('.analysis-copy-status');
    if (!source) return;
    try {
      await navigator.clipboard.writeText(source.textContent ?? '');
      if (status) status.textContent = button.dataset.copied ?? '';
    } catch {
      const range = document.createRange();
      range.selectNodeContents(source);
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
      if (status) status.textContent = button.dataset.copyFailed ?? '';
    }
  }

  // Puts a suggested text in the editor's body field and lets the editor re-run the analysis.
  function use(button) {
    const source = document.getElementById(button.dataset.analysisUse);
    const field = button.closest('form')?.querySelector('textarea[name="body"]') ?? document.querySelector('textarea[name="body"]');
    if (!source || !field) return;
    field.value = source.textContent ?? '';
    field.dispatchEvent(new Event('input', { bubbles: true }));
    field.dispatchEvent(new Event('change', { bubbles: true }));
    field.focus();
  }

  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target.closest('[data-analysis-copy], [data-analysis-use]') : null;
    if (!target) return;
    event.preventDefault();
    if (target.hasAttribute('data-analysis-copy')) void copy(target);
    else use(target);
  });
})();
