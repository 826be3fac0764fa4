// The mobile CNAP kit: the shift's screens (sign-in, PIN, queue, form, provisional receipt)
// over the outbox (`outbox.js`), the form (`form.js`), the judge (`validate.js`) and sending
// (`sync.js`). docs/mobile-kit.md tells the whole design.

import * as outbox from './outbox.js';
import { render, read, showErrors } from './form.js';
import { validate } from './validate.js';
import { sendAll, timedFetch } from './sync.js';

const state = {
  pack: null, packFresh: false, key: null, token: null, login: null, device: null, editing: null,
  syncing: false, queueing: false,
};
const $ = (id) => document.getElementById(id);
const SCREENS = ['loading', 'sign-in', 'pin', 'home', 'reauth', 'capture', 'provisional'];
const STATUS = {
  queued: 'Чекає на надсилання',
  sending: 'Надсилається',
  sent: 'Надіслано',
  correct: 'Потрібно виправити',
  duplicate: 'Можливий дублікат',
};

function show(screen) {
  for (const id of SCREENS) {
    $(id).hidden = id !== screen;
  }
  const heading = $(screen).querySelector('h1');
  document.title = `${heading ? heading.textContent : 'Мобільний кейс'} — onestop`;
  $('main').focus();
}

function problem(id, text) {
  $(id).textContent = text || '';
  $(id).hidden = !text;
}

function node(tag, text, attributes = {}) {
  const element = document.createElement(tag);
  if (text !== null && text !== undefined) {
    element.textContent = text;
  }
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, value);
  }
  return element;
}

function button(text, onClick, attributes = {}) {
  const b = node('button', text, { type: 'button', class: 'secondary', ...attributes });
  b.addEventListener('click', onClick);
  return b;
}

function kyivTime(iso) {
  return new Intl.DateTimeFormat('uk-UA', {
    timeZone: 'Europe/Kyiv', dateStyle: 'short', timeStyle: 'short',
  }).format(new Date(iso));
}

function event(bundle) {
  return state.pack && state.pack.events.find((e) => e.bundle === bundle);
}

/** Say whether the server is reachable (the browser's own word is only a first guess). */
function showNetwork(online) {
  $('network').textContent = online ? 'У мережі' : 'Без зв\'язку: заяви чекають у черзі';
  $('network').classList.toggle('offline', !online);
}

async function networkChanged() {
  let online = navigator.onLine;
  if (online) {
    try {
      online = (await timedFetch('/livez', {}, 10000)).ok;
    } catch {
      online = false;
    }
  }
  showNetwork(online);
  if (online && state.key) {
    sync();
  }
}

// Signing in: only with a connection; the pack comes with it.

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (state.token) {
    headers.Authorization = `Bearer ${state.token}`;
  }
  return timedFetch(path, { ...options, headers });
}

async function signIn(login, password) {
  const response = await timedFetch('/api/v1/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ login, password }),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(answer.errors ? answer.errors.map((e) => e.message).join(' ') : `HTTP ${response.status}`);
  }
  if (answer.password_change_required) {
    throw new Error('Спершу замініть одноразовий пароль власним на сторінці «Пароль» (/password), потім увійдіть у кейс.');
  }
  state.token = answer.token;
  state.login = answer.user.login;
}

async function loadPack() {
  const response = await api('/api/v1/kit');
  if (!response.ok) {
    throw new Error(`Не вдалося отримати форми установи (HTTP ${response.status})`);
  }
  state.pack = await response.json();
  state.packFresh = true;
  await outbox.setMeta('pack', state.pack);
}

async function keepSession() {
  await outbox.setMeta('session', await outbox.seal(state.key, { token: state.token, login: state.login }));
}

$('sign-in-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  problem('sign-in-problem', '');
  try {
    await signIn($('login').value.trim(), $('password').value);
    $('password').value = '';
    await loadPack();
  } catch (error) {
    problem('sign-in-problem', navigator.onLine ? error.message : 'Немає зв\'язку: увійти можна лише в мережі.');
    return;
  }
  await askPin();
});

// The shift's PIN: set after signing in, asked after every reload.

async function askPin() {
  const set = !(await outbox.hasPin());
  $('pin-lead').textContent = set
    ? 'Задайте PIN-код на цю зміну. Ним шифруються заяви в черзі: без нього їх не прочитати, тож запам\'ятайте його до кінця зміни.'
    : 'Введіть PIN-код зміни, щоб відкрити чергу. Заяви зберігаються зашифрованими.';
  $('pin-again-row').hidden = !set;
  $('pin-form').dataset.mode = set ? 'set' : 'unlock';
  $('pin-code').value = '';
  $('pin-again').value = '';
  problem('pin-problem', '');
  await lockedQueue();
  show('pin');
}

async function lockedQueue() {
  const items = await outbox.items();
  const box = $('locked-queue');
  box.replaceChildren();
  if (items.length === 0) {
    return;
  }
  box.append(node('h2', `У черзі: ${items.length}`), queueTable(items, false));
  const waiting = items.some((i) => i.status !== 'sent');
  if (!waiting) {
    box.append(button('Почати нову зміну', newShift, { id: 'new-shift' }));
  }
}

async function newShift() {
  if (!(await outbox.clearIfNothingWaits())) {
    await askPin();
    return;
  }
  await outbox.forgetPin();
  state.pack = null;
  show('sign-in');
}

$('pin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const pin = $('pin-code').value;
  if ($('pin-form').dataset.mode === 'set') {
    if (Array.from(pin).length < 8) {
      problem('pin-problem', 'PIN-код — щонайменше 8 символів (цифри або літери; довший — надійніший).');
      return;
    }
    if (pin !== $('pin-again').value) {
      problem('pin-problem', 'PIN-коди не збігаються.');
      return;
    }
    state.key = await outbox.setPin(pin);
    await keepSession();
  } else {
    const key = await outbox.unlock(pin);
    if (!key) {
      problem('pin-problem', 'Неправильний PIN-код.');
      return;
    }
    state.key = key;
    const sealed = await outbox.meta('session');
    if (sealed) {
      ({ token: state.token, login: state.login } = await outbox.unseal(key, sealed));
    }
  }
  state.pack = state.pack || await outbox.meta('pack');
  await home();
  if (navigator.onLine) {
    sync();
  }
});

$('end-shift').addEventListener('click', () => {
  state.key = null;
  state.token = null;
  state.editing = null;
  $('fields').replaceChildren();
  askPin();
});

// The queue.

function queueTable(items, actions) {
  const table = node('table', null, { id: actions ? 'queue-table' : 'locked-table' });
  const head = node('tr');
  for (const title of ['Ключ заяви', 'Життєва подія', 'Прийнято', 'Стан'].concat(actions ? ['Дії'] : [])) {
    head.append(node('th', title, { scope: 'col' }));
  }
  table.append(node('thead'), node('tbody'));
  table.tHead.append(head);
  for (const item of items) {
    const row = node('tr', null, { 'data-key': item.key, 'data-status': item.status });
    row.append(node('td', item.key, { class: 'mono', id: `key-${item.key}` }), node('td', item.title),
      node('td', kyivTime(item.capturedAt)));
    const status = node('td');
    status.append(node('span', STATUS[item.status], { class: `badge ${item.status}` }));
    if (item.applicationId) {
      status.append(node('br'), node('span', `№ ${item.applicationId}`, { class: 'mono' }));
    }
    row.append(status);
    if (actions) {
      const cell = node('td');
      itemActions(item).forEach((b) => cell.append(b));
      row.append(cell);
    }
    table.tBodies[0].append(row);
  }
  return table;
}

function itemActions(item) {
  const of = (action) => ({ 'data-action': action, 'aria-describedby': `key-${item.key}` });
  const out = [button('Попередня квитанція', () => provisional(item), of('provisional'))];
  if (item.status === 'correct' || item.status === 'duplicate') {
    out.push(button(item.status === 'correct' ? 'Виправити' : 'Переглянути', () => edit(item), of('edit')));
    out.push(button('Вилучити з черги', () => discard(item), of('discard')));
  }
  if (item.status === 'sent' && item.applicationId) {
    out.push(button('Квитанція (PDF)', () => receipt(item), of('receipt')));
  }
  return out;
}

async function home() {
  $('who').textContent = state.pack ? `${state.pack.user.login} · ${state.pack.user.institution || ''}` : '';
  const events = $('events');
  events.replaceChildren();
  for (const e of state.pack ? state.pack.events : []) {
    const li = node('li');
    li.append(button(e.title.uk, () => capture(e), { 'data-bundle': e.bundle, class: '' }));
    events.append(li);
  }
  await refreshQueue();
  show('home');
}

async function refreshQueue() {
  const items = await outbox.items();
  $('queue').replaceChildren(items.length ? queueTable(items, true) : node('p', 'Черга порожня.'));
}

async function discard(item) {
  if (window.confirm(`Вилучити заяву ${item.key} з черги? Її дані буде стерто з пристрою.`)) {
    await outbox.remove(item.key);
    await home();
  }
}

async function receipt(item) {
  const response = await api(`/api/v1/applications/${encodeURIComponent(item.applicationId)}/receipt.pdf`);
  if (!response.ok) {
    $('report').textContent = `Квитанцію зараз не отримати (HTTP ${response.status}).`;
    return;
  }
  const address = URL.createObjectURL(await response.blob());
  const link = node('a', null, { href: address, download: `receipt-${item.applicationId}.pdf` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(address), 60000);
}

// Taking an application down: judged on the device, sealed, stored, and only then "taken".

function capture(e, item = null, content = null, problems = []) {
  state.editing = { event: e, item };
  $('capture-title').textContent = e.title.uk;
  $('capture-lead').textContent = item
    ? `Заява ${item.key}: виправте позначене й поставте її в чергу знову (ключ той самий).`
    : 'Заповніть заяву. Її буде перевірено тут і поставлено в чергу; надішлеться, щойно буде зв\'язок.';
  // A queued application is drawn as it was taken down: no default comes back in a field the
  // registrar emptied.
  render(e.fields, $('fields'), content ? content.data : {}, { defaults: !content });
  const duplicate = item && item.status === 'duplicate';
  $('duplicate-row').hidden = !duplicate;
  $('duplicate-reason').value = (content && content.duplicateReason) || '';
  show('capture');
  summary(problems);
}

async function edit(item) {
  const ev = event(item.bundle);
  if (!ev) {
    // Drawn with no form, the correction would lose the data: it waits, as it is.
    $('report').textContent = `Установа більше не подає «${item.title}» з цього кейсу: заяву ${item.key} не виправити тут. Вилучіть її з черги або подайте в центрі.`;
    return;
  }
  const content = await outbox.unseal(state.key, item.sealed);
  const problems = item.problem ? await outbox.unseal(state.key, item.problem) : [];
  capture(ev, item, content, problems);
}

function summary(errors) {
  const box = $('capture-summary');
  const { links, rest } = showErrors($('fields'), errors);
  box.replaceChildren();
  box.hidden = errors.length === 0;
  if (errors.length === 0) {
    return;
  }
  box.append(node('h2', 'Виправте, будь ласка:'));
  const list = node('ul');
  for (const { error, target } of links) {
    const li = node('li');
    li.append(node('a', error.message, { href: `#${target}` }));
    list.append(li);
  }
  for (const error of rest) {
    list.append(node('li', error.message));
  }
  box.append(list);
  box.focus();
}

$('capture-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  // Pressed twice (or Enter twice) while the first is being sealed and written: one item.
  if (state.queueing || !state.editing) {
    return;
  }
  state.queueing = true;
  $('queue-it').disabled = true;
  try {
    await queueIt();
  } finally {
    state.queueing = false;
    $('queue-it').disabled = false;
  }
});

async function queueIt() {
  const { event: ev, item } = state.editing;
  const { data, errors } = read(ev.fields, $('fields'));
  const messages = state.pack.messages.uk;
  const judged = errors.concat(validate(ev.form, data))
    .map((x) => ({ pointer: x.pointer, message: messages[x.key] || messages.invalid }));
  if (judged.length > 0) {
    summary(judged);
    return;
  }
  const content = { data };
  const reason = $('duplicate-reason').value.trim();
  if (item && item.status === 'duplicate') {
    if (!reason) {
      summary([{ pointer: '', message: 'Вкажіть причину, з якої заяву треба подати попри можливий дублікат.' }]);
      return;
    }
    content.duplicateReason = reason;
  }
  const entry = item || {
    key: outbox.uuidv7(),
    bundle: ev.bundle,
    version: ev.version,
    title: ev.title.uk,
    services: ev.services.map((s) => (s.title ? s.title.uk : s.id)),
    capturedAt: new Date().toISOString(),
    capturedBy: state.login || state.pack.user.login,
  };
  entry.sealed = await outbox.seal(state.key, content);
  entry.status = 'queued';
  entry.problem = null;
  await outbox.put(entry);
  state.editing = null;
  if (item) {
    await home();
  } else {
    provisional(entry);
  }
  if (navigator.onLine) {
    sync();
  }
}

$('capture-cancel').addEventListener('click', home);

// The provisional receipt: what was taken, under which key, and that the real one follows.

function provisional(item) {
  const facts = $('provisional-facts');
  facts.replaceChildren();
  const user = state.pack ? state.pack.user : {};
  for (const [term, value] of [
    ['Ключ заяви', item.key],
    ['Життєва подія', item.title],
    ['Послуги', (item.services || []).join('; ')],
    ['Прийнято', kyivTime(item.capturedAt)],
    ['Реєстратор', `${item.capturedBy}${user.institution ? ` (${user.institution})` : ''}`],
    ['Пристрій', state.device],
  ]) {
    facts.append(node('dt', term), node('dd', value, term === 'Ключ заяви' ? { class: 'mono', id: 'provisional-key' } : {}));
  }
  $('provisional-note').textContent = item.applicationId
    ? `Заяву надіслано: № ${item.applicationId}. Справжня квитанція — у черзі, кнопка «Квитанція (PDF)».`
    : 'Заяву ще не надіслано до реєстрів. Це не квитанція про реєстрацію: вона лише засвідчує, що заяву прийнято для надсилання. Справжню квитанцію з номером заяви буде видано, щойно заяву буде надіслано.';
  show('provisional');
}

$('print').addEventListener('click', () => window.print());
$('provisional-back').addEventListener('click', home);

// Sending: when the connection returns, every half minute while something waits, and on demand.

/** Whether the session still stands: `live`, `ended` (401: ask for the password), or
 * `unknown` (the server did not say: try again later, ask nothing). */
async function session() {
  if (!state.token) {
    return 'ended';
  }
  const response = await api('/api/v1/session');
  if (response.ok) {
    return 'live';
  }
  return response.status === 401 ? 'ended' : 'unknown';
}

/** Send what waits. Asked by the registrar (`asked`), a session that ended asks for the
 * password at once; otherwise only when the queue is on screen (the registrar may be typing). */
async function sync(asked = false) {
  if (state.syncing || !state.key) {
    if (state.syncing && asked === true) {
      $('report').textContent = 'Надсилання вже триває.';
    }
    return;
  }
  state.syncing = true;
  const reauth = () => {
    state.token = null;
    if (asked === true || !$('home').hidden) {
      $('reauth-login').textContent = state.login || '';
      problem('reauth-problem', '');
      show('reauth');
    } else {
      $('report').textContent = 'Сеанс завершився: натисніть «Надіслати зараз» і введіть пароль.';
    }
  };
  try {
    const standing = await session();
    if (standing === 'ended') {
      reauth();
      return;
    }
    if (standing === 'unknown') {
      $('report').textContent = 'Сервер зараз не відповідає: заяви чекають і підуть у наступному колі.';
      return;
    }
    if (!state.packFresh) {
      // Once a shift, while the connection is there: the forms as the server has them now.
      await loadPack().catch(() => {});
    }
    const round = () => sendAll({ key: state.key, token: state.token, device: state.device, changed: () => {} });
    // One round at a time on this device, even with the kit open in two windows.
    const report = navigator.locks ? await navigator.locks.request('onestop-kit-sync', round) : await round();
    showNetwork(report.stopped !== 'offline');
    await refreshQueue();
    showReport(report);
    if (report.stopped === 'signin') {
      reauth();
    }
  } catch {
    showNetwork(false);
    $('report').textContent = 'Зв\'язку немає: заяви чекають у черзі й підуть, щойно він з\'явиться.';
  } finally {
    state.syncing = false;
  }
}

function showReport(report) {
  const box = $('report');
  box.replaceChildren(node('h2', 'Звіт про надсилання'));
  const list = node('ul', null, { id: 'report-counts' });
  for (const [name, label] of [['sent', 'Надіслано'], ['waiting', 'Чекають'], ['correct', 'Потрібно виправити'], ['duplicate', 'Можливі дублікати']]) {
    list.append(node('li', `${label}: ${report[name].length}`, { 'data-count': name }));
  }
  box.append(list);
  if (report.stopped === 'offline') {
    box.append(node('p', 'Зв\'язок зник під час надсилання: решта чекає й піде з тим самим ключем.'));
  }
}

$('sync').addEventListener('click', () => sync(true));

$('reauth-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await signIn(state.login, $('reauth-password').value);
    $('reauth-password').value = '';
    await keepSession();
  } catch (error) {
    problem('reauth-problem', error.message);
    return;
  }
  await home();
  sync();
});
$('reauth-later').addEventListener('click', home);

async function boot() {
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/kit/sw.js', { scope: '/kit/' }).catch(() => {});
  }
  window.addEventListener('online', networkChanged);
  window.addEventListener('offline', networkChanged);
  state.device = await outbox.deviceKey();
  await networkChanged();
  state.pack = await outbox.meta('pack');
  if (await outbox.hasPin()) {
    await askPin();
  } else {
    show('sign-in');
  }
  setInterval(async () => {
    const waiting = state.key && (await outbox.items()).some((i) => i.status === 'queued' || i.status === 'sending');
    if (waiting && navigator.onLine) {
      sync();
    }
  }, 30000);
}

boot();
