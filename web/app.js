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
import { withCameraExif } from './exif.js';
import { CARD_GUIDE, FACE_GUIDE, precheckFrame } from './prechecks.js';
import { REASONS } from './reasons.js';

const MAX_FILE_BYTES = 10 * 1024 * 1024 - 1; // PRODUCT §2: each file under 10 MB (the server checks again)
const POLL_INTERVAL_MS = 1000;
const POLL_TIMEOUT_MS = 120_000;
/** Consecutive transient failures (network, 5xx, throttling) a status poll rides out. */
const POLL_MAX_TRANSIENT_FAILURES = 5;
const PENDING_STATUSES = ['awaiting_upload', 'processing'];
const ATTEMPT_FAILED = ['rejected', 'failed'];
/**
 * How long a status poll goes on once the current attempt has failed while the verification
 * still says pending. This API writes a refusal at upload to both in one transaction; the wait
 * keeps the page right against a server that writes them one after the other.
 */
const SETTLE_MS = 5000;
const TOKEN_KEY = 'kyc.token';
const LANGUAGE_KEY = 'kyc.language';
const SLOT_ORDER = ['document_front', 'document_back', 'selfie', 'proof_of_address'];
const IMAGE_TYPES = ['image/jpeg', 'image/png'];
const MIN_FILE_BYTES = 100 * 1024; // PRODUCT §2: smaller files are refused as too low resolution
/** The local liveness challenge: what the person is asked to do, in order. */
const LIVENESS_PROMPTS = ['centre', 'turn_left', 'turn_right', 'centre'];
const LIVENESS_FRAMES_PER_PROMPT = 1;
const LIVENESS_SETTLE_MS = 1500; // time to follow a prompt before its frames are taken
const LIVENESS_FRAME_GAP_MS = 350;
const LIVENESS_FRAME_WIDTH = 640;
const PRECHECK_WIDTH = 640;

/** An API or upload failure, already in the `{ code, message }` shape the page shows. */
class PageError extends Error {
  /**
   * @param {string} code machine-readable code (API code, S3 code or a page code)
   * @param {string | undefined} serverMessage message from the server, shown as given
   * @param {{ messageKey?: string, params?: Record<string, string | number>, retryAfterSeconds?: number, status?: number }} [options]
   */
  constructor(code, serverMessage, options = {}) {
    super(serverMessage ?? code);
    this.name = 'PageError';
    this.code = code;
    this.serverMessage = serverMessage;
    this.messageKey = options.messageKey;
    this.params = options.params ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
    /** HTTP status of the answer, when there was one. */
    this.status = options.status;
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
  /** @type {string | undefined} Face Liveness session of the current attempt */
  livenessSessionId: undefined,
  /** @type {MediaStream | undefined} the open camera, stopped whenever it is not on screen */
  stream: undefined,
  /** @type {string | undefined} slot the camera dialog is taking a photo for */
  cameraSlot: undefined,
  /** @type {string[]} pre-check hints of the photo in the camera dialog */
  cameraHints: [],
  /** @type {Promise<boolean> | undefined} */
  localRuntime: undefined,
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
        status: response.status,
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
  renderCameraDialog();
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

/**
 * True for failures that go away by themselves: no connection, a 5xx, or throttling.
 * @param {PageError} error
 */
function isTransient(error) {
  return (
    error.code === 'NETWORK_ERROR' ||
    error.code === 'RATE_LIMITED' ||
    (error.status !== undefined && error.status >= 500) ||
    /^HTTP_5\d\d$/.test(error.code)
  );
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

      const pick = document.createElement('div');
      pick.className = 'pick';
      if (slot !== 'proof_of_address') {
        const camera = document.createElement('button');
        camera.type = 'button';
        camera.id = `camera-button-${slot}`;
        camera.className = 'camera-button';
        camera.setAttribute('aria-describedby', `hint-${slot} error-${slot}`);
        camera.addEventListener('click', () => void openCameraDialog(slot));
        const or = document.createElement('span');
        or.className = 'or-choose';
        or.id = `or-${slot}`;
        pick.append(camera, or);
      }
      pick.append(input);

      const thumb = document.createElement('canvas');
      thumb.id = `thumb-${slot}`;
      thumb.className = 'thumb';
      thumb.setAttribute('role', 'img');
      thumb.hidden = true;
      item.append(label, hint, pick, thumb, meter, error);
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
    const camera = item.querySelector('.camera-button');
    const thumb = item.querySelector('.thumb');
    if (camera) camera.textContent = t(thumb && !thumb.hidden ? 'camera.retake' : 'camera.use');
    const or = item.querySelector('.or-choose');
    if (or) or.textContent = t('camera.orChoose');
    thumb?.setAttribute('aria-label', t('camera.preview', { slot: t(`slot.${slot}`) }));
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
        : state.files.get(slot)?.name === `${slot}.jpg` && !document.getElementById(`thumb-${slot}`)?.hidden
          ? t('camera.taken')
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
  const thumb = document.getElementById(`thumb-${slot}`);
  if (thumb) thumb.hidden = true; // a chosen file replaces a photo taken with the camera
  renderSlotTexts();
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
// Camera: capture per slot, and the local liveness challenge
// ---------------------------------------------------------------------------------------------

/** The camera could not be opened: `denied` (the user or the browser refused) or `unavailable`. */
class CameraError extends Error {
  /** @param {'denied' | 'unavailable'} kind */
  constructor(kind) {
    super(kind);
    this.name = 'CameraError';
    this.kind = kind;
  }
}

/**
 * Opens the camera: the rear one for documents (`environment`), the front one for faces (`user`).
 * @param {'user' | 'environment'} facingMode
 * @returns {Promise<MediaStream>}
 */
async function openCamera(facingMode) {
  stopCamera();
  if (!navigator.mediaDevices?.getUserMedia) throw new CameraError('unavailable');
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: facingMode }, width: { ideal: 1920 }, height: { ideal: 1080 } },
    });
    return state.stream;
  } catch (error) {
    const name = /** @type {{ name?: string }} */ (error)?.name;
    throw new CameraError(name === 'NotAllowedError' || name === 'SecurityError' ? 'denied' : 'unavailable');
  }
}

function stopCamera() {
  for (const track of state.stream?.getTracks() ?? []) track.stop();
  state.stream = undefined;
}

/**
 * Shows a stream in a video element and waits for its first frame.
 * @param {HTMLVideoElement} video
 * @param {MediaStream} stream
 */
async function playStream(video, stream) {
  video.srcObject = stream;
  await video.play();
  if (video.videoWidth === 0)
    await new Promise((resolve) => video.addEventListener('loadeddata', resolve, { once: true }));
}

/**
 * Draws the current video frame into a canvas, scaled to `width` pixels wide (native size when omitted).
 * @param {HTMLVideoElement} video
 * @param {HTMLCanvasElement} canvas
 * @param {number} [width]
 */
function drawFrame(video, canvas, width) {
  const scale = width ? Math.min(1, width / video.videoWidth) : 1;
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
  context.drawImage(video, 0, 0, canvas.width, canvas.height);
  return context;
}

/** @param {string} slot */
const kindOf = (slot) => (slot === 'selfie' ? 'selfie' : 'document');

/** A reason of the shared catalog in the page's language. @param {string} code */
function reasonText(code) {
  return REASONS[state.language]?.[code] ?? REASONS.en[code] ?? { code, message: code, tip: '' };
}

/** @param {string} slot */
async function openCameraDialog(slot) {
  const dialog = /** @type {HTMLDialogElement} */ ($('camera'));
  const video = /** @type {HTMLVideoElement} */ ($('camera-video'));
  setSlotError(slot, '');
  try {
    const stream = await openCamera(slot === 'selfie' ? 'user' : 'environment');
    state.cameraSlot = slot;
    state.cameraHints = [];
    renderCameraDialog();
    dialog.showModal();
    await playStream(video, stream);
    setCameraMode('live');
    $('camera-status').textContent = t('camera.ready');
    $('camera-shutter').focus();
  } catch (error) {
    stopCamera();
    if (dialog.open) dialog.close();
    if (!(error instanceof CameraError)) throw error;
    // The camera is refused or missing: explain why, and hand over to the file picker.
    setSlotError(slot, t(error.kind === 'denied' ? 'camera.denied' : 'camera.unavailable'));
    const item = document.querySelector(`#slots .slot[data-slot="${slot}"]`);
    item?.classList.add('no-camera');
    /** @type {HTMLElement | null} */ (document.getElementById(`file-${slot}`))?.focus();
  }
}

/**
 * Puts a guide overlay where the pre-checks look (same fractions of the frame).
 * @param {HTMLElement} guide
 * @param {{ left: number, top: number, width: number, height: number }} box
 */
function placeGuide(guide, box) {
  guide.style.left = `${box.left * 100}%`;
  guide.style.top = `${box.top * 100}%`;
  guide.style.width = `${box.width * 100}%`;
  guide.style.height = `${box.height * 100}%`;
}

/** @param {'live' | 'still'} mode */
function setCameraMode(mode) {
  const still = mode === 'still';
  $('camera-video').hidden = still;
  $('camera-still').hidden = !still;
  $('camera-shutter').hidden = still;
  $('camera-retake').hidden = !still;
  $('camera-use').hidden = !still;
}

function renderCameraDialog() {
  const slot = state.cameraSlot;
  if (!slot) return;
  const kind = kindOf(slot);
  $('camera-heading').textContent = t('camera.heading', { slot: t(`slot.${slot}`) });
  $('camera-instructions').textContent = t(`camera.instructions.${kind}`);
  const guide = $('camera-guide');
  guide.className = `guide ${kind === 'selfie' ? 'guide-oval' : 'guide-card'}`;
  placeGuide(guide, kind === 'selfie' ? FACE_GUIDE : CARD_GUIDE);
  $('camera-viewfinder').className = `viewfinder ${kind}`;
  $('camera-hints').replaceChildren(
    ...state.cameraHints.map((code) => {
      const { message, tip } = reasonText(code);
      const item = document.createElement('li');
      item.dataset.code = code;
      const strong = document.createElement('strong');
      strong.className = 'reason-message';
      strong.textContent = message;
      const text = document.createElement('p');
      text.className = 'reason-tip';
      text.textContent = tip;
      item.append(strong, text);
      return item;
    }),
  );
}

/** Counts faces with the browser's FaceDetector where it has one (Shape Detection API). */
async function detectFaces(canvas) {
  const Detector = /** @type {any} */ (window).FaceDetector;
  if (typeof Detector !== 'function') return undefined;
  try {
    const faces = await new Detector({ fastMode: true, maxDetectedFaces: 5 }).detect(canvas);
    const largest = Math.max(0, ...faces.map((face) => face.boundingBox.width / canvas.width));
    return { faces: faces.length, largestFaceShare: largest };
  } catch {
    return undefined;
  }
}

async function takePhoto() {
  const slot = state.cameraSlot;
  if (!slot) return;
  const video = /** @type {HTMLVideoElement} */ ($('camera-video'));
  const still = /** @type {HTMLCanvasElement} */ ($('camera-still'));
  drawFrame(video, still);
  video.pause();
  setCameraMode('still');
  const small = document.createElement('canvas');
  const context = drawFrame(video, small, PRECHECK_WIDTH);
  const pixels = context.getImageData(0, 0, small.width, small.height);
  const faces = kindOf(slot) === 'selfie' ? await detectFaces(small) : undefined;
  state.cameraHints = precheckFrame(pixels, kindOf(slot), faces);
  renderCameraDialog();
  const hints = state.cameraHints.map((code) => reasonText(code).message).join('. ');
  $('camera-status').textContent = hints ? `${t('camera.hints')} ${hints}.` : t('camera.looksGood');
  $('camera-use').focus();
}

async function retakePhoto() {
  state.cameraHints = [];
  renderCameraDialog();
  setCameraMode('live');
  await /** @type {HTMLVideoElement} */ ($('camera-video')).play();
  $('camera-status').textContent = t('camera.ready');
  $('camera-shutter').focus();
}

/** JPEG bytes of a canvas, at a quality that keeps the file above the server's minimum size. */
async function canvasJpeg(canvas) {
  let blob;
  for (const quality of [0.92, 0.97, 1]) {
    blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
    if (blob && blob.size >= MIN_FILE_BYTES) break;
  }
  return /** @type {Blob} */ (blob);
}

async function usePhoto() {
  const slot = state.cameraSlot;
  if (!slot) return;
  const still = /** @type {HTMLCanvasElement} */ ($('camera-still'));
  const blob = await canvasJpeg(still);
  const label = state.stream?.getVideoTracks()[0]?.label ?? '';
  const bytes = withCameraExif(new Uint8Array(await blob.arrayBuffer()), {
    make: 'Web camera',
    model: label || 'Web camera',
    software: 'serverless-kyc reference page',
  });
  const file = new window.File([bytes], `${slot}.jpg`, { type: 'image/jpeg' });
  const input = /** @type {HTMLInputElement | null} */ (document.getElementById(`file-${slot}`));
  if (input) input.value = '';
  state.files.set(slot, file);
  const thumb = /** @type {HTMLCanvasElement | null} */ (document.getElementById(`thumb-${slot}`));
  if (thumb) {
    const scale = 160 / still.width;
    thumb.width = 160;
    thumb.height = Math.round(still.height * scale);
    thumb.getContext('2d')?.drawImage(still, 0, 0, thumb.width, thumb.height);
    thumb.hidden = false;
  }
  setSlotError(slot, file.size < MIN_FILE_BYTES ? reasonText('FILE_TOO_SMALL').message : '');
  closeCameraDialog();
  renderSlotTexts();
  document.getElementById(`camera-button-${slot}`)?.focus();
}

function closeCameraDialog() {
  stopCamera();
  const dialog = /** @type {HTMLDialogElement} */ ($('camera'));
  if (dialog.open) dialog.close();
  /** @type {HTMLVideoElement} */ ($('camera-video')).srcObject = null;
  $('camera-status').textContent = '';
}

// ==== LOCAL MODE ONLY =========================================================================
// The liveness challenge below runs against the local runtime's stand-in for Rekognition Face
// Liveness: it takes camera frames while the person follows the prompts and posts them to
// POST /_local/liveness-sessions/{sessionId}/complete with the user's token. AWS has no such
// route: there the app runs the AWS Amplify FaceLivenessDetector with the same session id
// (README, "Reference page"), and this page says so instead of running the challenge.

/** True when the page is served by the local runtime (`kyc local`). */
function isLocalRuntime() {
  state.localRuntime ??= fetch('/_local/token?user=liveness-probe&role=user', { cache: 'no-store' })
    .then((response) => response.ok)
    .catch(() => false);
  return state.localRuntime;
}

/** @param {string} text */
function setLivenessStatus(text) {
  $('liveness-status').textContent = text;
}

async function runLiveness() {
  const sessionId = state.livenessSessionId;
  if (!sessionId) return;
  const start = /** @type {HTMLButtonElement} */ ($('liveness-start'));
  const video = /** @type {HTMLVideoElement} */ ($('liveness-video'));
  start.disabled = true;
  $('liveness-error').textContent = '';
  $('liveness-skip').hidden = true;
  setLivenessStatus(t('liveness.starting'));
  try {
    let stream;
    try {
      stream = await openCamera('user');
    } catch (error) {
      if (!(error instanceof CameraError)) throw error;
      setLivenessStatus('');
      $('liveness-error').textContent =
        `${t(error.kind === 'denied' ? 'liveness.denied' : 'camera.unavailable')} ${t('liveness.skipWarning')}`;
      $('liveness-skip').hidden = false;
      return;
    }
    $('liveness-viewfinder').hidden = false;
    await playStream(video, stream);
    const canvas = document.createElement('canvas');
    const frames = [];
    for (const [index, prompt] of LIVENESS_PROMPTS.entries()) {
      const text = t(`liveness.prompt.${prompt}`);
      $('liveness-prompt').textContent = text;
      setLivenessStatus(t('liveness.step', { step: index + 1, steps: LIVENESS_PROMPTS.length, prompt: text }));
      await sleep(LIVENESS_SETTLE_MS);
      for (let k = 0; k < LIVENESS_FRAMES_PER_PROMPT; k++) {
        drawFrame(video, canvas, LIVENESS_FRAME_WIDTH);
        // A data URL lives in memory only, like every image on this page.
        frames.push({ prompt, imageBase64: canvas.toDataURL('image/jpeg', 0.9).split(',')[1] });
        await sleep(LIVENESS_FRAME_GAP_MS);
      }
    }
    stopCamera();
    video.srcObject = null;
    $('liveness-viewfinder').hidden = true;
    setLivenessStatus(t('liveness.sending'));
    await completeLiveness(sessionId, frames);
    setLivenessStatus(t('liveness.done'));
    showUploadStep();
  } catch (error) {
    stopCamera();
    $('liveness-viewfinder').hidden = true;
    setLivenessStatus('');
    // A failed or expired session cannot be completed again: "Try again" starts a new attempt.
    showError(toPageError(error), startAttempt);
  } finally {
    start.disabled = false;
  }
}

/**
 * @param {string} sessionId
 * @param {{ prompt: string, imageBase64: string }[]} frames
 */
async function completeLiveness(sessionId, frames) {
  let response;
  try {
    response = await fetch(`/_local/liveness-sessions/${encodeURIComponent(sessionId)}/complete`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await getToken()}` },
      body: JSON.stringify({ frames }),
      cache: 'no-store',
    });
  } catch {
    throw new PageError('NETWORK_ERROR', undefined, { messageKey: 'error.network' });
  }
  if (response.ok) return;
  const body = await response.json().catch(() => undefined);
  const code = typeof body?.code === 'string' ? body.code : (body?.__type ?? `HTTP_${response.status}`);
  throw new PageError(String(code), undefined, { messageKey: 'liveness.failed' });
}
// ==== END LOCAL MODE ONLY =====================================================================

function showUploadStep() {
  $('liveness-step').hidden = true;
  $('upload-step').hidden = false;
  $('upload-heading').focus();
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
  let failures = 0;
  /** @type {number | undefined} when the attempt was first seen failed with the verification still pending */
  let settling;
  while (generation === state.pollGeneration) {
    let verification;
    try {
      verification = await fetchStatus();
      failures = 0;
    } catch (error) {
      const pageError = toPageError(error);
      // A dropped connection, a busy server or a throttled poll is not the user's problem: keep
      // polling with a growing pause, and show the error only when it persists.
      failures += 1;
      if (!isTransient(pageError) || failures > POLL_MAX_TRANSIENT_FAILURES) {
        showError(pageError, pollStatus);
        return;
      }
      const backoff = Math.min(POLL_INTERVAL_MS * 2 ** (failures - 1), 10_000);
      await sleep(Math.max(backoff, (pageError.retryAfterSeconds ?? 0) * 1000));
      continue;
    }
    if (!isPending(verification)) {
      // Read between an attempt's failure and its verification's (a server that writes them one
      // after the other): read again until the verification follows (or SETTLE_MS passed).
      if (!PENDING_STATUSES.includes(verification?.status)) return;
      settling ??= Date.now();
      if (Date.now() - settling >= SETTLE_MS) return;
    }
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
    state.livenessSessionId = attempt.livenessSessionId;
    setUploadFormEnabled(true);
    $('upload-form').querySelector('button[type=submit]')?.removeAttribute('hidden');
    renderSlots();
    $('status-step').hidden = true;
    // Liveness first: the workflow starts as soon as the last photo is in and reads the
    // session's result at once, and a session expires 3 minutes after the attempt is created.
    const local = attempt.livenessSessionId ? await isLocalRuntime() : false;
    $('liveness-note').hidden = !attempt.livenessSessionId || local;
    if (attempt.livenessSessionId && local) {
      $('upload-step').hidden = true;
      $('liveness-step').hidden = false;
      $('liveness-error').textContent = '';
      $('liveness-skip').hidden = true;
      setLivenessStatus('');
      $('liveness-heading').focus();
    } else {
      showUploadStep();
    }
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
  placeGuide(/** @type {HTMLElement} */ (document.querySelector('#liveness-viewfinder .guide')), FACE_GUIDE);
  $('liveness-start').addEventListener('click', () => void runLiveness());
  $('liveness-skip').addEventListener('click', () => showUploadStep());
  $('camera-shutter').addEventListener('click', () => void takePhoto());
  $('camera-retake').addEventListener('click', () => void retakePhoto());
  $('camera-use').addEventListener('click', () => void usePhoto());
  $('camera-cancel').addEventListener('click', () => closeCameraDialog());
  // Escape closes the dialog natively: release the camera then too.
  $('camera').addEventListener('close', () => stopCamera());
  applyTranslations();
  document.body.dataset.ready = 'true';
}

init();
