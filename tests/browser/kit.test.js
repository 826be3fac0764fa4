// The mobile CNAP kit in headless Chromium, used as a registrar with a mobile case would: signs
// in at the centre, sets the shift's PIN, loses the connection, takes three births down (one
// with an error the device catches, in Ukrainian, before queuing), reloads offline and still
// has the queue (IndexedDB holds no readable names), prints a provisional receipt offline, gets
// the connection back with the first sending cut off after the server stored it, sends again
// (exactly three applications on the server, each completing on the sandbox), sees a birth
// that repeats one already on the server flagged, not stored twice (and sends it with a reason),
// and, its session ended while offline, is asked for the password before anything is sent.
// Same server and set-up as pages.test.js (`bash scripts/test` starts them).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { BASE, SHOTS, WAIT, shared, shoot, demoPassword, pdfText } = require('./common.js');

const LOGIN = 'cnap-registrar';
const PIN = '48291637';
const EXAMPLE = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'bundles', 'examples', 'birth.json'), 'utf8')).data;

/** A birth of the example's family with its own child and conclusion number. */
function birth(givenName, conclusion) {
  const data = JSON.parse(JSON.stringify(EXAMPLE));
  data.children[0].given_name = givenName;
  data.children[0].medical_conclusion.number = conclusion;
  return data;
}

/** Call the API as `token`; the status and the JSON answer. */
async function api(method, route, token, body) {
  const response = await fetch(`${BASE}${route}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** The registrar replaces the first run's one-time password with their own; it and a token. */
async function ownPassword(login) {
  const oneTime = demoPassword(login);
  const first = await api('POST', '/api/v1/session', null, { login, password: oneTime });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const own = `${login} keeps the mobile case`;
  const set = await api('POST', '/api/v1/session/password', first.body.token, { current: oneTime, new: own });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  return { password: own, token: set.body.token };
}

/** Fill the kit's form with `data` as a person would: rows added, choices picked, text typed. */
async function fillKit(page, data, pointer = '') {
  if (Array.isArray(data)) {
    const rows = page.locator(`[data-list="${pointer}"] > .rows > .row`);
    while ((await rows.count()) < data.length) {
      await page.locator(`[data-list="${pointer}"] > button`).click();
    }
    for (const [i, item] of data.entries()) await fillKit(page, item, `${pointer}/${i}`);
    return;
  }
  if (data !== null && typeof data === 'object') {
    for (const [name, value] of Object.entries(data)) await fillKit(page, value, `${pointer}/${name}`);
    return;
  }
  const inputs = page.locator(`[data-pointer="${pointer}"]`);
  assert.ok(await inputs.count() > 0, `the kit's form has ${pointer}`);
  const type = await inputs.first().getAttribute('type');
  if (type === 'radio') {
    await page.locator(`[data-pointer="${pointer}"][value="${data}"]`).check();
  } else if (type === 'checkbox') {
    await inputs.first().setChecked(data === true);
  } else {
    await inputs.first().fill(String(data));
  }
}

/** Take a birth down in the kit and queue it (the fields `cleared` emptied); the provisional
 * receipt's key. */
async function takeDown(page, data, cleared = [], { twice = false } = {}) {
  await page.locator('[data-bundle="birth"]').click();
  await page.locator('#capture').waitFor(WAIT);
  await fillKit(page, data);
  for (const pointer of cleared) await page.locator(`[data-pointer="${pointer}"]`).fill('');
  const queue = page.getByRole('button', { name: 'Прийняти до черги' });
  // A double click is one application, not two.
  await (twice ? queue.dblclick() : queue.click());
  await page.locator('#provisional').waitFor(WAIT);
  const key = await page.locator('#provisional-key').innerText();
  assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUIDv7 made on the device');
  await page.getByRole('button', { name: 'До черги' }).click();
  await page.locator('#home').waitFor(WAIT);
  return key;
}

/** Everything the kit's IndexedDB holds, bytes read as text (to look for names in it). */
async function everythingStored(page) {
  return page.evaluate(async () => {
    const db = await new Promise((resolve, reject) => {
      const r = indexedDB.open('onestop-kit');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const dump = [];
    for (const name of db.objectStoreNames) {
      const all = await new Promise((resolve) => {
        const r = db.transaction(name).objectStore(name).getAll();
        r.onsuccess = () => resolve(r.result);
      });
      dump.push(JSON.stringify(all, (k, v) => (v instanceof Uint8Array || v instanceof ArrayBuffer
        ? new TextDecoder('utf-8', { fatal: false }).decode(v) : v)));
    }
    db.close();
    return dump.join('\n');
  });
}

async function rowStatuses(page) {
  return page.locator('#queue-table tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.status));
}

test('a registrar takes births down offline in the kit and each reaches the server exactly once', async () => {
  const { password, token } = await ownPassword(LOGIN);
  // A birth already on the server, that the fourth birth taken down will repeat.
  const earlier = await api('POST', '/api/v1/bundles/birth/applications', token, { data: birth('Ярема', 'KIT-0777/2026') });
  assert.equal(earlier.status, 201, JSON.stringify(earlier.body));

  const context = await shared.browser.newContext();
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => {
    pageErrors.push(error.message);
    process.stderr.write(`the kit's page threw: ${error.stack}\n`);
  });
  await page.goto(`${BASE}/kit`);
  await page.locator('#sign-in').waitFor(WAIT);
  await shoot(page, 'kit-01-sign-in');
  await page.fill('#login', LOGIN);
  await page.fill('#password', password);
  await page.getByRole('button', { name: 'Увійти' }).click();
  await page.locator('#pin-again').waitFor(WAIT);
  await page.fill('#pin-code', PIN);
  await page.fill('#pin-again', PIN);
  await page.getByRole('button', { name: 'Продовжити' }).click();
  await page.locator('#home').waitFor(WAIT);
  // Installed by the page itself: the worker holds the app, and Chromium finds it installable.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  // A test's browser context is an incognito one, where nothing installs; nothing else stands
  // in the way (manifest, icons, worker, scope).
  const errors = installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito');
  assert.deepEqual(errors, [], 'Chromium finds the kit installable');
  const { errors: manifestErrors } = await cdp.send('Page.getAppManifest');
  assert.deepEqual(manifestErrors, [], 'the manifest is read without errors');
  await shoot(page, 'kit-02-home');

  await context.setOffline(true);
  await page.locator('#network.offline').waitFor(WAIT);
  const births = [birth('Мирослава', 'KIT-0101/2026'), birth('Данило', 'KIT-0102/2026'), birth('Зоряна', 'KIT-0103/2026')];

  // The first with a wrong check digit in the mother's RNOKPP: caught on the device, in Ukrainian.
  const wrong = JSON.parse(JSON.stringify(births[0]));
  wrong.mother.rnokpp = '3440712341';
  await page.locator('[data-bundle="birth"]').click();
  await fillKit(page, wrong);
  await page.getByRole('button', { name: 'Прийняти до черги' }).click();
  const summary = page.locator('#capture-summary');
  await summary.waitFor(WAIT);
  const message = 'РНОКПП має складатися з 10 цифр із правильною контрольною цифрою';
  assert.match(await summary.innerText(), new RegExp(message));
  assert.equal(await page.locator('[data-field="/mother/rnokpp"] .field-error').innerText(), message);
  await shoot(page, 'kit-03-error-on-the-device');
  await page.locator('[data-pointer="/mother/rnokpp"]').fill(births[0].mother.rnokpp);
  await page.getByRole('button', { name: 'Прийняти до черги' }).click();
  await page.locator('#provisional').waitFor(WAIT);
  const firstKey = await page.locator('#provisional-key').innerText();
  // The provisional receipt, printed offline: as the printer gets it, and as a PDF.
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: path.join(SHOTS, 'kit-04-provisional-receipt-print.png'), fullPage: true });
  const pdf = path.join(SHOTS, 'kit-provisional-receipt.pdf');
  await page.pdf({ path: pdf, format: 'A4' });
  await page.emulateMedia({ media: 'screen' });
  const printed = pdfText(pdf);
  for (const words of ['Прийнято для надсилання', firstKey, 'Народження дитини', 'буде видано']) {
    assert.ok(printed.includes(words), `the provisional receipt says "${words}": ${printed}`);
  }
  await shoot(page, 'kit-04-provisional-receipt');
  await page.getByRole('button', { name: 'До черги' }).click();
  const keys = [firstKey, await takeDown(page, births[1], [], { twice: true }), await takeDown(page, births[2])];
  assert.equal(new Set(keys).size, 3);
  assert.equal(await page.locator('#queue-table tbody tr').count(), 3, 'three taken down, three queued');

  // Reloaded offline: the app comes from the worker, the queue from IndexedDB, sealed.
  await page.reload();
  await page.locator('#pin').waitFor(WAIT);
  await page.locator('#network.offline').waitFor(WAIT);
  assert.equal(await page.locator('#locked-table tbody tr').count(), 3, 'the queue is there before the PIN');
  const stored = await everythingStored(page);
  for (const b of births) {
    for (const secret of [b.children[0].given_name, b.mother.surname, b.mother.given_name, b.mother.rnokpp, b.benefit.iban]) {
      assert.ok(!stored.includes(secret), `IndexedDB holds "${secret}" readable`);
    }
  }
  await shoot(page, 'kit-05-reloaded-offline');
  await page.fill('#pin-code', '00000000');
  await page.getByRole('button', { name: 'Продовжити' }).click();
  await page.locator('#pin-problem').getByText('Неправильний PIN-код').waitFor(WAIT);
  await page.fill('#pin-code', PIN);
  await page.getByRole('button', { name: 'Продовжити' }).click();
  await page.locator('#home').waitFor(WAIT);
  assert.deepEqual(await rowStatuses(page), ['queued', 'queued', 'queued']);

  // Online again, and the first sending is cut off after the server stored the application.
  let cut = 0;
  await page.route('**/api/v1/bundles/*/applications', async (route) => {
    if (cut === 0) {
      cut += 1;
      const stored = await route.fetch();
      assert.equal(stored.status(), 201, 'the server stored it');
      await route.abort('connectionreset');
      return;
    }
    await route.continue();
  });
  await context.setOffline(false);
  await page.locator('#report').getByText('Зв\'язок зник під час надсилання').waitFor(WAIT);
  assert.equal(cut, 1, 'the first sending was cut off');
  await page.getByRole('button', { name: 'Надіслати зараз' }).click();
  await page.waitForFunction(() => Array.from(document.querySelectorAll('#queue-table tbody tr'))
    .every((r) => r.dataset.status === 'sent'), null, WAIT);
  assert.equal(await page.locator('[data-count="sent"]').innerText(), 'Надіслано: 3');
  await shoot(page, 'kit-06-sent');

  // The server holds exactly three of them, each once, each completing on the sandbox.
  const list = await api('GET', '/api/v1/applications?limit=100', token);
  const mine = list.body.applications.filter((a) => a.submitted_by === LOGIN);
  for (const b of births) {
    const name = b.children[0].given_name;
    assert.equal(mine.filter((a) => a.name.includes(name)).length, 1, `one application for ${name}`);
  }
  assert.equal(mine.length, 4, 'three from the kit and the earlier one');
  for (const a of mine) {
    const until = Date.now() + 60000;
    let status;
    do {
      await new Promise((r) => setTimeout(r, 500));
      status = (await api('GET', `/api/v1/applications/${a.id}`, token)).body.status;
    } while (status === 'in_progress' && Date.now() < until);
    assert.equal(status, 'completed', `${a.id} completes`);
  }

  // The real receipt, one click away.
  const [download] = await Promise.all([page.waitForEvent('download', WAIT),
    page.locator(`tr[data-key="${keys[0]}"] [data-action="receipt"]`).click()]);
  const receipt = path.join(SHOTS, 'kit-receipt.pdf');
  await download.saveAs(receipt);
  assert.equal(fs.readFileSync(receipt).subarray(0, 5).toString(), '%PDF-');

  // A birth that repeats the earlier one (the same medical conclusion) is flagged, not stored;
  // one that a rule of the bundle refuses (the device does not judge those) comes back to
  // correct, with the server's words at its field.
  await context.setOffline(true);
  const repeat = await takeDown(page, birth('Ярема', 'KIT-0777/2026'));
  const fatherless = birth('Остап', 'KIT-0105/2026');
  delete fatherless.father;
  // (The father's citizenship is filled in beforehand: emptied, nothing of the father is given.)
  const refused = await takeDown(page, fatherless, ['/father/citizenship']);
  await context.setOffline(false);
  await page.getByRole('button', { name: 'Надіслати зараз' }).click();
  const statusOf = (key) => page.locator(`#queue-table tr[data-key="${key}"]`).getAttribute('data-status');
  await page.waitForFunction(([a, b]) => {
    const status = (key) => (document.querySelector(`#queue-table tr[data-key="${key}"]`) || { dataset: {} }).dataset.status;
    return status(a) === 'duplicate' && status(b) === 'correct';
  }, [repeat, refused], WAIT);
  assert.equal(await page.locator('[data-count="correct"]').innerText(), 'Потрібно виправити: 1');
  assert.equal(await page.locator('[data-count="duplicate"]').innerText(), 'Можливі дублікати: 1');
  await shoot(page, 'kit-07-report');
  await page.locator(`tr[data-key="${refused}"] [data-action="edit"]`).click();
  const fatherNeeded = 'Для шлюбу чи спільної заяви батьків потрібні відомості про батька';
  await page.locator('[data-field="/father"] > .field-error').getByText(fatherNeeded).waitFor(WAIT);
  await shoot(page, 'kit-08-refused-by-the-server');
  await fillKit(page, EXAMPLE.father, '/father');
  await page.getByRole('button', { name: 'Прийняти до черги' }).click();
  await page.waitForFunction((key) => {
    const row = document.querySelector(`#queue-table tr[data-key="${key}"]`);
    return row && row.dataset.status === 'sent';
  }, refused, WAIT);
  assert.equal(await statusOf(repeat), 'duplicate');
  const row = page.locator(`tr[data-key="${repeat}"]`);
  assert.match(await row.innerText(), /Можливий дублікат/);
  await row.locator('[data-action="edit"]').click();
  await page.locator('#capture-summary').getByText('Можливе повторне подання').waitFor(WAIT);
  await shoot(page, 'kit-09-duplicate');
  const after = await api('GET', '/api/v1/applications?limit=100', token);
  assert.equal(after.body.applications.filter((a) => a.submitted_by === LOGIN).length, 5, 'the duplicate not stored twice');
  // The registrar knows why it is no mistake: it goes with the reason (and its key).
  await page.getByRole('button', { name: 'Прийняти до черги' }).click();
  await page.locator('#capture-summary').getByText('Вкажіть причину').waitFor(WAIT);
  await page.fill('#duplicate-reason', 'Перша заява подана з помилкою в медичному висновку');
  await page.getByRole('button', { name: 'Прийняти до черги' }).click();
  await page.waitForFunction((key) => {
    const sent = document.querySelector(`#queue-table tr[data-key="${key}"]`);
    return sent && sent.dataset.status === 'sent';
  }, repeat, WAIT);
  const confirmed = await api('GET', '/api/v1/applications?limit=100', token);
  assert.equal(confirmed.body.applications.filter((a) => a.submitted_by === LOGIN).length, 6, 'sent with its reason');

  // The session ends while the kit is offline (here: the password is changed at the centre,
  // which ends every session): the kit asks for the password before sending; the queue waits.
  await context.setOffline(true);
  const late = await takeDown(page, birth('Богдана', 'KIT-0104/2026'));
  const changed = `${password}, changed`;
  const change = await api('POST', '/api/v1/session/password', token, { current: password, new: changed });
  assert.equal(change.status, 200, JSON.stringify(change.body));
  await context.setOffline(false);
  await page.locator('#reauth').waitFor(WAIT);
  assert.equal(await page.locator(`#queue-table tr[data-key="${late}"]`).getAttribute('data-status'), 'queued', 'it waits');
  await shoot(page, 'kit-10-session-ended');
  const stillOne = await api('GET', '/api/v1/applications?limit=100', change.body.token);
  assert.equal(stillOne.body.applications.filter((a) => a.submitted_by === LOGIN).length, 6, 'nothing sent meanwhile');
  await page.fill('#reauth-password', changed);
  await page.getByRole('button', { name: 'Увійти й надіслати' }).click();
  await page.waitForFunction((key) => {
    const row = document.querySelector(`tr[data-key="${key}"]`);
    return row && row.dataset.status === 'sent';
  }, late, WAIT);
  const last = await api('GET', '/api/v1/applications?limit=100', change.body.token);
  assert.equal(last.body.applications.filter((a) => a.submitted_by === LOGIN).length, 7);
  assert.deepEqual(pageErrors, [], 'the kit threw nothing');
  await context.close();
});
