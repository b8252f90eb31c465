// Editorial calendar: drag and drop of items onto another day (or hour, in the week view), the detail panel's
// close button and focus, and the copy button of a new feed address. Progressive enhancement only: the move form in
// the detail panel is the keyboard way, and every link and form works without this script.
(() => {
  let dragged = null;

  const dropCellOf = (event) => (event.target instanceof Element ? event.target.closest('[data-drop]') : null);
  const clearTargets = () => document.querySelectorAll('.is-drop-target').forEach((el) => el.classList.remove('is-drop-target'));

  document.addEventListener('dragstart', (event) => {
    const chip = event.target instanceof Element ? event.target.closest('.cal-chip[data-move-url]') : null;
    if (!chip || !event.dataTransfer) return;
    dragged = chip;
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', chip.id);
    chip.classList.add('is-dragging');
  });

  document.addEventListener('dragend', () => {
    dragged?.classList.remove('is-dragging');
    dragged = null;
    clearTargets();
  });

  document.addEventListener('dragover', (event) => {
    const cell = dropCellOf(event);
    if (!cell || !dragged) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'move';
    if (!cell.classList.contains('is-drop-target')) {
      clearTargets();
      cell.classList.add('is-drop-target');
    }
  });

  document.addEventListener('dragleave', (event) => {
    const cell = dropCellOf(event);
    if (cell && !(event.relatedTarget instanceof Node && cell.contains(event.relatedTarget))) cell.classList.remove('is-drop-target');
  });

  document.addEventListener('drop', (event) => {
    const cell = dropCellOf(event);
    const chip = dragged;
    if (!cell || !chip) return;
    event.preventDefault();
    clearTargets();
    const time = chip.dataset.time || '';
    // a day cell keeps the item's local time; an hour cell of the week view keeps its minutes
    const values = { date: cell.dataset.date };
    if (cell.dataset.hour) values.time = `${cell.dataset.hour.padStart(2, '0')}:${time.slice(3, 5) || '00'}`;
    if (values.date === chip.dataset.date && (!values.time || values.time === time)) return;
    const view = document.getElementById('calendar')?.dataset.view;
    if (view) values.view = view;
    // htmx sends the CSRF header (public/app.js) and swaps the answer (the item, or its form with the error) in place
    window.htmx?.ajax('POST', chip.dataset.moveUrl, { target: '#calendar-detail', swap: 'outerHTML', values });
  });

  // Close the detail panel beside the grid (on the item's own page, the link goes back to the calendar).
  document.addEventListener('click', (event) => {
    const close = event.target instanceof Element ? event.target.closest('[data-close-detail]') : null;
    const panel = close?.closest('#calendar-detail');
    if (!close || !panel || !panel.closest('.cal-layout')) return;
    event.preventDefault();
    const chip = document.getElementById(`chip-${panel.dataset.contentId}`);
    const empty = document.createElement('section');
    empty.id = 'calendar-detail';
    empty.className = 'cal-detail';
    empty.setAttribute('aria-live', 'polite');
    panel.replaceWith(empty);
    chip?.focus();
  });

  // Filter dropdowns (<details>) close like menus: a click elsewhere, or Escape (focus back on their summary).
  document.addEventListener('click', (event) => {
    for (const open of document.querySelectorAll('.cal-dropdown[open]')) {
      if (!(event.target instanceof Node && open.contains(event.target))) open.removeAttribute('open');
    }
  });

  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    const dropdown = event.target instanceof Element ? event.target.closest('.cal-dropdown[open]') : null;
    if (dropdown) {
      dropdown.removeAttribute('open');
      dropdown.querySelector('summary')?.focus();
      return;
    }
    const panel = document.getElementById('calendar-detail');
    if (panel && panel.contains(document.activeElement)) panel.querySelector('[data-close-detail]')?.click();
  });

  // Copy a feed address shown once.
  document.addEventListener('click', async (event) => {
    const button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
    if (!button) return;
    const input = document.getElementById(button.dataset.copy);
    if (!(input instanceof HTMLInputElement)) return;
    try {
      await navigator.clipboard.writeText(input.value);
    } catch {
      input.select(); // the user can still copy by hand
      return;
    }
    const status = button.parentElement?.querySelector('.cal-copy-status');
    if (status) status.textContent = button.dataset.copied || '';
  });
})();
