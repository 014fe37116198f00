// Reference upload page for serverless-kyc (PRODUCT §7, "the frontend's path").
//
//   details form -> POST /v1/verifications -> POST /v1/verifications/{id}/attempts
//   -> one S3 POST per slot (every field of `fields`, then `file`) with a progress bar
//   -> GET /v1/verifications/{id} every second until the attempt leaves awaiting_upload/processing
//   -> status, and when rejected each reason's message and tip (in the Accept-Language asked for)
//
// No framework, no build step, no third-party code. Files are held in memory only until their
// upload ends: never written to localStorage, IndexedDB, Cache Storage or object URLs.
import { LANGUAGES, countryOptions, detectLanguage, formatDuration, isLanguage, translate } from './i18n.js';

const MAX_FILE_BYTES = 10 * 1024 * 1024; // PRODUCT §2: each file under 10 MB (the server checks again)
const POLL_INTERVAL_MS = 1000;
const POLL_TIMEOUT_MS = 120_000;
const PENDING_STATUSES = ['awaiting_upload', 'processing'];
const ATTEMPT_FAILED = ['rejected', 'failed'];
const TOKEN_KEY = 'kyc.token';
const LANGUAGE_KEY = 'kyc.language';
const SLOT_ORDER = ['document_front', 'document_back', 'selfie', 'proof_of_address'];
const IMAGE_TYPES = ['image/jpeg', 'image/png'];

/** An API or upload failure, already in the `{ code, message }` shape the page shows. */
class PageError extends Error {
  /**
   * @param {string} code machine-readable code (API code, S3 code or a page code)
   * @param {string | undefined} serverMessage message from the server, shown as given
   * @param {{ messageKey?: string, params?: Record<string, string | number>, retryAfterSeconds?: number }} [options]
   */
  constructor(code, serverMessage, options = {}) {
    super(serverMessage ?? code);
    this.name = 'PageError';
    this.code = code;
    this.serverMessage = serverMessage;
    this.messageKey = options.messageKey;
    this.params = options.params ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

const state = {
  /** @type {import('./i18n.js').Language} */
  language: 'en',
  /** @type {string | undefined} */
  verificationId: undefined,
  /** @type {string | undefined} */
  attemptId: undefined,
  /** @type {Record<string, { url: string, fields: Record<string, string> }>} */
  uploads: {},
  /** @type {Map<string, File>} files chosen and not yet uploaded (memory only) */
  files: new Map(),
  /** @type {Set<string>} slots of the current attempt already uploaded */
  uploaded: new Set(),
  /** @type {any} last GET /v1/verifications/{id} answer */
  verification: undefined,
  /** @type {PageError | undefined} */
  error: undefined,
  /** @type {(() => Promise<void>) | undefined} what the error box's "Try again" repeats */
  retry: undefined,
  pollGeneration: 0,
  timedOut: false,
};

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const t = (/** @type {string} */ key, /** @type {Record<string, string | number>} */ params) =>
  translate(state.language, key, params);
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => window.setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------------

/**
 * The bearer token. A host application stores its user's token (Cognito in AWS) under
 * localStorage['kyc.token'] before opening this page.
 */
async function getToken() {
  const stored = localStorage.getItem(TOKEN_KEY);
  if (stored) return stored;
  const token = await fetchLocalToken();
  localStorage.setItem(TOKEN_KEY, token);
  return token;
}

// ==== LOCAL MODE ONLY =========================================================================
// `kyc local` mints test tokens at GET /_local/token. That route exists only in the embedded
// local runtime; an AWS deployment does not serve it, so there this fallback fails and the host
// application must provide the token as described above. `?user=<id>` picks the local user.
async function fetchLocalToken() {
  const params = new window.URLSearchParams(window.location.search);
  const user = params.get('user') || `web-${window.crypto.randomUUID().slice(0, 8)}`;
  let response;
  try {
    response = await fetch(`/_local/token?user=${encodeURIComponent(user)}&role=user`, { cache: 'no-store' });
  } catch {
    throw new PageError('NETWORK_ERROR', undefined, { messageKey: 'error.network' });
  }
  const text = (await response.text()).trim();
  if (!response.ok) throw new PageError('LOCAL_TOKEN_UNAVAILABLE', undefined, { messageKey: 'error.token' });
  if (text.startsWith('{')) {
    const body = JSON.parse(text);
    const token = body.token ?? body.accessToken ?? body.idToken;
    if (typeof token === 'string' && token) return token;
    throw new PageError('LOCAL_TOKEN_UNAVAILABLE', undefined, { messageKey: 'error.token' });
  }
  if (!text) throw new PageError('LOCAL_TOKEN_UNAVAILABLE', undefined, { messageKey: 'error.token' });
  return text;
}
// ==== END LOCAL MODE ONLY =====================================================================

// ---------------------------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------------------------

/**
 * Calls the KYC API on this origin and returns the parsed JSON body.
 * @param {'GET' | 'POST'} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {boolean} [retried]
 * @returns {Promise<any>}
 */
async function api(method, path, body, retried = false) {
  const headers = {
    Accept: 'application/json',
    'Accept-Language': state.language,
    Authorization: `Bearer ${await getToken()}`,
  };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new PageError('NETWORK_ERROR', undefined, { messageKey: 'error.network' });
  }
  if (response.status === 401 && !retried) {
    // The stored token expired or belongs to another runtime: forget it and ask again once.
    localStorage.removeItem(TOKEN_KEY);
    return api(method, path, body, true);
  }
  let json;
  try {
    json = await response.json();
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    if (json && typeof json.code === 'string' && typeof json.message === 'string') {
      const retryAfter = Number(json.retryAfterSeconds ?? response.headers.get('Retry-After'));
      throw new PageError(json.code, json.message, {
        retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      });
    }
    throw new PageError(`HTTP_${response.status}`, undefined, {
      messageKey: 'error.unexpected',
      params: { status: response.status },
    });
  }
  if (json === undefined) {
    throw new PageError(`HTTP_${response.status}`, undefined, {
      messageKey: 'error.unexpected',
      params: { status: response.status },
    });
  }
  return json;
}

// ---------------------------------------------------------------------------------------------
// Upload to S3 (presigned POST)
// ---------------------------------------------------------------------------------------------

/**
 * A standard S3 POST upload: every field of `fields` in order, then `file` last (S3 ignores
 * fields after the file). XMLHttpRequest, because fetch cannot report upload progress.
 * @param {{ url: string, fields: Record<string, string> }} target
 * @param {File} file
 * @param {(percent: number) => void} onProgress
 * @returns {Promise<void>}
 */
function postToS3(target, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(target.fields ?? {})) form.append(name, value);
    form.append('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', target.url);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(Math.floor((event.loaded / event.total) * 100));
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(100);
        resolve();
      } else {
        reject(s3Error(xhr.status, xhr.responseText));
      }
    };
    xhr.onerror = () => reject(new PageError('NETWORK_ERROR', undefined, { messageKey: 'error.network' }));
    xhr.ontimeout = xhr.onerror;
    xhr.send(form);
  });
}

/** Turns an S3 XML error (`<Error><Code>…</Code><Message>…</Message></Error>`) into a PageError. */
function s3Error(status, text) {
  let code = `HTTP_${status}`;
  let message = '';
  try {
    const xml = new window.DOMParser().parseFromString(text || '<Error/>', 'application/xml');
    code = xml.querySelector('Error > Code')?.textContent?.trim() || code;
    message = xml.querySelector('Error > Message')?.textContent?.trim() || '';
  } catch {
    // not XML: keep the HTTP status as the code
  }
  if (code === 'EntityTooLarge') return new PageError(code, undefined, { messageKey: 'file.tooLarge' });
  if (/expired/i.test(`${code} ${message}`))
    return new PageError(code, undefined, { messageKey: 'error.uploadExpired' });
  return new PageError(code, undefined, { messageKey: 'error.uploadRejected', params: { code } });
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

function applyTranslations() {
  document.documentElement.lang = state.language;
  for (const element of document.querySelectorAll('[data-i18n]')) {
    element.textContent = t(/** @type {HTMLElement} */ (element).dataset.i18n ?? '');
  }
  for (const button of document.querySelectorAll('[data-language]')) {
    button.setAttribute(
      'aria-pressed',
      String(/** @type {HTMLElement} */ (button).dataset.language === state.language),
    );
  }
  renderCountries();
  renderSlotTexts();
  renderStatus();
  renderError();
}

function renderCountries() {
  const select = /** @type {HTMLSelectElement} */ ($('nationality'));
  const selected = select.value;
  const placeholder = new window.Option(t('form.choose'), '');
  placeholder.disabled = true;
  select.replaceChildren(
    placeholder,
    ...countryOptions(state.language).map(({ code, name }) => new window.Option(name, code)),
  );
  select.value = selected;
}

/**
 * @param {PageError | undefined} error
 * @param {() => Promise<void>} [retry] offered as "Try again" in the error box
 */
function showError(error, retry) {
  state.error = error;
  state.retry = error ? retry : undefined;
  renderError();
}

function renderError() {
  const box = $('error');
  const error = state.error;
  box.hidden = !error;
  if (!error) return;
  $('error-message').textContent = error.serverMessage ?? t(error.messageKey ?? 'error.unexpected', error.params);
  const wait = $('error-wait');
  wait.hidden = !error.retryAfterSeconds;
  wait.textContent = error.retryAfterSeconds
    ? t('error.retryAfter', { duration: formatDuration(error.retryAfterSeconds, state.language) })
    : '';
  $('error-detail').textContent = t('error.code', { code: error.code });
  $('error-retry').hidden = !state.retry;
}

/** @param {unknown} error */
function toPageError(error) {
  return error instanceof PageError ? error : new PageError('PAGE_ERROR', undefined, { messageKey: 'error.page' });
}

function acceptFor(slot) {
  return slot === 'proof_of_address' ? [...IMAGE_TYPES, 'application/pdf'] : IMAGE_TYPES;
}

function renderSlots() {
  const list = $('slots');
  const slots = Object.keys(state.uploads).sort((a, b) => SLOT_ORDER.indexOf(a) - SLOT_ORDER.indexOf(b));
  list.replaceChildren(
    ...slots.map((slot) => {
      const item = document.createElement('li');
      item.className = 'slot';
      item.dataset.slot = slot;

      const label = document.createElement('label');
      label.htmlFor = `file-${slot}`;
      label.className = 'slot-label';

      const hint = document.createElement('p');
      hint.id = `hint-${slot}`;
      hint.className = 'hint slot-hint';

      const input = document.createElement('input');
      input.type = 'file';
      input.id = `file-${slot}`;
      input.name = slot;
      input.accept = acceptFor(slot).join(',');
      // Opens the camera directly on phones: rear camera for documents, front for the selfie.
      if (slot === 'selfie') input.setAttribute('capture', 'user');
      else if (slot !== 'proof_of_address') input.setAttribute('capture', 'environment');
      input.setAttribute('aria-describedby', `hint-${slot} state-${slot} error-${slot}`);
      input.addEventListener('change', () => onFileChosen(slot, input));

      const progress = document.createElement('progress');
      progress.id = `progress-${slot}`;
      progress.max = 100;
      progress.value = 0;

      const status = document.createElement('span');
      status.id = `state-${slot}`;
      status.className = 'slot-state';

      const error = document.createElement('p');
      error.id = `error-${slot}`;
      error.className = 'slot-error';
      error.setAttribute('role', 'alert');

      const meter = document.createElement('div');
      meter.className = 'meter';
      meter.append(progress, status);
      item.append(label, hint, input, meter, error);
      return item;
    }),
  );
  renderSlotTexts();
}

function renderSlotTexts() {
  for (const item of document.querySelectorAll('#slots .slot')) {
    const slot = /** @type {HTMLElement} */ (item).dataset.slot ?? '';
    item.querySelector('.slot-label').textContent = t(`slot.${slot}`);
    item.querySelector('.slot-hint').textContent = t(`slot.hint.${slot}`);
    const progress = /** @type {HTMLProgressElement} */ (item.querySelector('progress'));
    progress.setAttribute('aria-label', t('upload.progress', { slot: t(`slot.${slot}`) }));
    setSlotState(slot, Number(progress.value));
  }
}

/** @param {string} slot @param {number} percent */
function setSlotState(slot, percent, failed = false) {
  const progress = /** @type {HTMLProgressElement | null} */ (document.getElementById(`progress-${slot}`));
  const label = document.getElementById(`state-${slot}`);
  if (!progress || !label) return;
  progress.value = percent;
  const item = progress.closest('.slot');
  item?.classList.toggle('done', state.uploaded.has(slot));
  item?.classList.toggle('failed', failed);
  label.textContent = state.uploaded.has(slot)
    ? `${t('upload.done')} (100%)`
    : failed
      ? t('upload.failed')
      : percent > 0
        ? t('upload.uploading', { percent })
        : t('upload.waiting');
}

/** @param {string} slot @param {string} message */
function setSlotError(slot, message) {
  const element = document.getElementById(`error-${slot}`);
  if (element) element.textContent = message;
}

/** @param {string} slot @param {HTMLInputElement} input */
function onFileChosen(slot, input) {
  const file = input.files?.[0];
  setSlotError(slot, '');
  state.files.delete(slot);
  if (!file) return;
  const accepted = acceptFor(slot);
  // A hint only: the server decides the type from the bytes and checks the size again.
  if (file.type && !accepted.includes(file.type)) {
    setSlotError(slot, t(slot === 'proof_of_address' ? 'file.badTypePdf' : 'file.badType'));
  } else if (file.size > MAX_FILE_BYTES) {
    setSlotError(slot, t('file.tooLarge'));
  } else if (file.size === 0) {
    setSlotError(slot, t('file.empty'));
  } else {
    state.files.set(slot, file);
    return;
  }
  input.value = '';
}

/** The current attempt as listed in a status answer, if the API lists it. */
function currentAttempt(verification) {
  return Array.isArray(verification?.attempts)
    ? verification.attempts.find((candidate) => candidate?.attemptId === state.attemptId)
    : undefined;
}

/**
 * True while the current attempt is still being uploaded or checked. The attempt's own status
 * wins when the API lists it: right after "Try again" the verification may still say
 * `rejected` from the previous attempt, and a file refused at intake ends the attempt
 * (`rejected`/`failed`) before the verification moves on.
 */
function isPending(verification) {
  const attempt = currentAttempt(verification);
  const verificationPending = PENDING_STATUSES.includes(verification?.status);
  if (!attempt?.status) return verificationPending;
  if (PENDING_STATUSES.includes(attempt.status)) return true;
  return verificationPending && !ATTEMPT_FAILED.includes(attempt.status);
}

function renderStatus() {
  const verification = state.verification;
  if (!verification) return;
  const status = String(verification.status);
  const badge = $('status-value');
  badge.textContent = t(`status.${status}`);
  badge.dataset.status = status;
  badge.className = `badge badge-${status}`;
  $('status-detail').textContent =
    state.timedOut && isPending(verification) ? t('status.timeout') : t(`status.detail.${status}`);

  const reasons = Array.isArray(verification.reasons) ? verification.reasons : [];
  $('reasons-block').hidden = reasons.length === 0;
  $('reasons').replaceChildren(
    ...reasons.map((reason) => {
      const item = document.createElement('li');
      item.dataset.code = String(reason.code);
      const message = document.createElement('strong');
      message.className = 'reason-message';
      message.textContent = String(reason.message ?? reason.code);
      const tip = document.createElement('p');
      tip.className = 'reason-tip';
      const tipLabel = document.createElement('span');
      tipLabel.className = 'tip-label';
      tipLabel.textContent = `${t('status.tip')} `;
      tip.append(tipLabel, String(reason.tip ?? ''));
      item.append(message, tip);
      return item;
    }),
  );
  $('try-again').hidden = !(
    ['rejected', 'cooldown'].includes(status) || ATTEMPT_FAILED.includes(currentAttempt(verification)?.status)
  );
  $('check-again').hidden = !(state.timedOut && isPending(verification));
}

// ---------------------------------------------------------------------------------------------
// Flow
// ---------------------------------------------------------------------------------------------

async function fetchStatus() {
  state.verification = await api('GET', `/v1/verifications/${encodeURIComponent(state.verificationId ?? '')}`);
  renderStatus();
  return state.verification;
}

/** Polls every second until the current attempt is decided, or the timeout passes. */
async function pollStatus() {
  const generation = ++state.pollGeneration;
  const started = Date.now();
  showError(undefined);
  state.timedOut = false;
  $('status-step').hidden = false;
  while (generation === state.pollGeneration) {
    let verification;
    try {
      verification = await fetchStatus();
    } catch (error) {
      showError(toPageError(error), pollStatus);
      return;
    }
    if (!isPending(verification)) return;
    if (Date.now() - started >= POLL_TIMEOUT_MS) {
      state.timedOut = true;
      renderStatus();
      return;
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

async function startAttempt() {
  showError(undefined);
  const tryAgain = /** @type {HTMLButtonElement} */ ($('try-again'));
  tryAgain.disabled = true;
  try {
    const attempt = await api(
      'POST',
      `/v1/verifications/${encodeURIComponent(state.verificationId ?? '')}/attempts`,
      {},
    );
    state.attemptId = attempt.attemptId;
    // The previous attempt's decision no longer applies: the new attempt awaits its uploads.
    const badge = $('status-value');
    badge.dataset.status = 'awaiting_upload';
    badge.textContent = t('status.awaiting_upload');
    badge.className = 'badge badge-awaiting_upload';
    state.uploads = attempt.uploads ?? {};
    state.files.clear();
    state.uploaded.clear();
    $('liveness-note').hidden = !attempt.livenessSessionId;
    setUploadFormEnabled(true);
    $('upload-form').querySelector('button[type=submit]')?.removeAttribute('hidden');
    renderSlots();
    $('upload-step').hidden = false;
    $('status-step').hidden = true;
    $('upload-heading').focus();
  } catch (error) {
    showError(toPageError(error), startAttempt);
  } finally {
    tryAgain.disabled = false;
  }
}

function setUploadFormEnabled(enabled) {
  for (const control of $('upload-form').querySelectorAll('input, button')) {
    /** @type {HTMLInputElement} */ (control).disabled = !enabled;
  }
}

/** @param {SubmitEvent} event */
async function onDetailsSubmit(event) {
  event.preventDefault();
  showError(undefined);
  const form = /** @type {HTMLFormElement} */ (event.target);
  const data = new FormData(form);
  const value = (/** @type {string} */ name) => String(data.get(name) ?? '').trim();
  const request = {
    level: value('level'),
    nationality: value('nationality'),
    documentType: value('documentType'),
    personalData: { fullName: value('fullName'), dateOfBirth: value('dateOfBirth'), address: value('address') },
  };
  if (
    !request.level ||
    !request.nationality ||
    !request.documentType ||
    Object.values(request.personalData).some((v) => !v)
  ) {
    showError(new PageError('VALIDATION_ERROR', undefined, { messageKey: 'form.invalid.required' }));
    return;
  }
  const birth = new Date(`${request.personalData.dateOfBirth}T00:00:00Z`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(request.personalData.dateOfBirth) ||
    Number.isNaN(birth.getTime()) ||
    birth > new Date()
  ) {
    showError(new PageError('VALIDATION_ERROR', undefined, { messageKey: 'form.invalid.dateOfBirth' }));
    return;
  }
  const controls = form.querySelectorAll('input, select, textarea, button');
  const setDisabled = (/** @type {boolean} */ disabled) => {
    for (const control of controls) /** @type {HTMLInputElement} */ (control).disabled = disabled;
  };
  setDisabled(true);
  try {
    const created = await api('POST', '/v1/verifications', request);
    state.verificationId = created.verificationId;
    // The details are submitted and cannot change in this verification: fold the step away.
    $('details-step').hidden = true;
    await startAttempt();
  } catch (error) {
    setDisabled(false);
    showError(toPageError(error));
  }
}

/** @param {SubmitEvent} event */
async function onUploadSubmit(event) {
  event.preventDefault();
  showError(undefined);
  const pending = Object.keys(state.uploads).filter((slot) => !state.uploaded.has(slot));
  if (pending.some((slot) => !state.files.has(slot))) {
    showError(new PageError('VALIDATION_ERROR', undefined, { messageKey: 'upload.choose' }));
    return;
  }
  setUploadFormEnabled(false);
  const results = await Promise.allSettled(
    pending.map(async (slot) => {
      const file = /** @type {File} */ (state.files.get(slot));
      setSlotError(slot, '');
      setSlotState(slot, 0);
      try {
        await postToS3(state.uploads[slot], file, (percent) => setSlotState(slot, percent));
        state.uploaded.add(slot);
        state.files.delete(slot); // drop the only reference to the file's bytes
        setSlotState(slot, 100);
      } catch (error) {
        const pageError = toPageError(error);
        setSlotState(slot, 0, true);
        setSlotError(slot, pageError.serverMessage ?? t(pageError.messageKey ?? 'error.unexpected', pageError.params));
        throw pageError;
      }
    }),
  );
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    // Let the user choose the failed files again; uploaded slots stay done.
    for (const input of $('upload-form').querySelectorAll('input[type=file]')) {
      const slot = /** @type {HTMLInputElement} */ (input).name;
      /** @type {HTMLInputElement} */ (input).disabled = state.uploaded.has(slot);
      if (!state.uploaded.has(slot)) /** @type {HTMLInputElement} */ (input).value = '';
    }
    /** @type {HTMLButtonElement} */ ($('upload-form').querySelector('button')).disabled = false;
    for (const slot of pending) if (!state.uploaded.has(slot)) state.files.delete(slot);
    showError(failure.reason);
    return;
  }
  for (const input of $('upload-form').querySelectorAll('input[type=file]')) {
    /** @type {HTMLInputElement} */ (input).value = '';
  }
  $('upload-form').querySelector('button[type=submit]')?.setAttribute('hidden', '');
  state.verification = undefined;
  $('status-step').hidden = false;
  $('status-heading').focus();
  await pollStatus();
}

async function onLanguageChosen(language) {
  if (!isLanguage(language) || language === state.language) return;
  state.language = language;
  localStorage.setItem(LANGUAGE_KEY, language); // a preference, not personal data
  applyTranslations();
  // Reasons come from the API: ask again in the new language.
  if (state.verificationId && state.verification) {
    try {
      await fetchStatus();
    } catch (error) {
      showError(toPageError(error));
    }
  }
}

function init() {
  const saved = localStorage.getItem(LANGUAGE_KEY);
  state.language = isLanguage(saved) ? saved : detectLanguage(navigator.languages ?? [navigator.language]);
  for (const button of document.querySelectorAll('[data-language]')) {
    const language = /** @type {HTMLElement} */ (button).dataset.language;
    if (!LANGUAGES.includes(/** @type {any} */ (language))) continue;
    button.addEventListener('click', () => void onLanguageChosen(language));
  }
  $('details-form').addEventListener('submit', (event) => void onDetailsSubmit(/** @type {SubmitEvent} */ (event)));
  $('upload-form').addEventListener('submit', (event) => void onUploadSubmit(/** @type {SubmitEvent} */ (event)));
  $('try-again').addEventListener('click', () => void startAttempt());
  $('check-again').addEventListener('click', () => void pollStatus());
  $('error-retry').addEventListener('click', () => void state.retry?.());
  applyTranslations();
  document.body.dataset.ready = 'true';
}

init();
