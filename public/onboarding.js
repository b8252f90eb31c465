// Onboarding wizard, progressive enhancement only: without this file (or without MediaRecorder) the audio step
// still takes a file upload. With it, the interview can be recorded in the browser: the recording is put into the
// form's file input and the form is submitted as if a file had been chosen.
(() => {
  const supported = () =>
    typeof window.MediaRecorder === 'function' && Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia) && typeof DataTransfer === 'function';

  /** The first container the browser can record to, in the order the transcription APIs like best. */
  const pickType = () =>
    ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/ogg', 'audio/mp4'].find((type) => MediaRecorder.isTypeSupported(type)) || '';

  const extensionOf = (type) => (type.includes('ogg') ? 'ogg' : type.includes('mp4') ? 'm4a' : 'webm');

  /** Recording state per recorder element (only one recording at a time in practice). */
  const states = new WeakMap();

  function enhance(root) {
    if (!supported()) return;
    const scope = root instanceof Element || root instanceof Document ? root : document;
    for (const el of scope.querySelectorAll('[data-recorder]')) el.hidden = false;
  }

  function clock(seconds) {
    const m = Math.floor(seconds / 60);
    const s = Math.floor(seconds % 60);
    return `${m}:${String(s).padStart(2, '0')}`;
  }

  async function start(recorderEl, button) {
    const status = recorderEl.querySelector('[data-record-status]');
    const time = recorderEl.querySelector('[data-record-time]');
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      if (status) status.textContent = recorderEl.dataset.labelDenied || '';
      return;
    }
    const type = pickType();
    const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const chunks = [];
    const startedAt = Date.now();
    const timer = setInterval(() => {
      if (time) time.textContent = clock((Date.now() - startedAt) / 1000);
    }, 500);
    recorder.addEventListener('dataavailable', (event) => {
      if (event.data && event.data.size) chunks.push(event.data);
    });
    recorder.addEventListener('stop', () => {
      clearInterval(timer);
      for (const track of stream.getTracks()) track.stop();
      states.delete(recorderEl);
      const mime = recorder.mimeType || type || 'audio/webm';
      const blob = new Blob(chunks, { type: mime });
      const form = recorderEl.closest('form');
      const input = form && form.querySelector('input[type="file"]');
      if (!form || !input || !blob.size) return;
      const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');
      const file = new File([blob], `${recorderEl.dataset.filename || 'interview'}-${stamp}.${extensionOf(mime)}`, { type: mime.split(';')[0] });
      const transfer = new DataTransfer();
      transfer.items.add(file);
      input.files = transfer.files;
      if (status) status.textContent = recorderEl.dataset.labelSending || '';
      form.requestSubmit();
    });
    recorder.start(1000);
    states.set(recorderEl, recorder);
    button.textContent = recorderEl.dataset.labelStop || 'Stop';
    button.setAttribute('aria-pressed', 'true');
    if (status) status.textContent = recorderEl.dataset.labelRecording || '';
  }

  function stop(recorderEl, button) {
    const recorder = states.get(recorderEl);
    if (recorder && recorder.state !== 'inactive') recorder.stop();
    button.textContent = recorderEl.dataset.labelStart || 'Record';
    button.setAttribute('aria-pressed', 'false');
  }

  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('[data-record-toggle]') : null;
    if (!button) return;
    const recorderEl = button.closest('[data-recorder]');
    if (!recorderEl) return;
    event.preventDefault();
    if (states.has(recorderEl)) stop(recorderEl, button);
    else void start(recorderEl, button);
  });

  document.addEventListener('DOMContentLoaded', () => enhance(document));
  // fragments swapped in by htmx (the audio step after an upload) get the recorder too
  document.addEventListener('htmx:load', (event) => enhance(event.target));
  if (document.readyState !== 'loading') enhance(document);
})();
