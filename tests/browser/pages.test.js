// onestop's pages in headless Chromium, used as a maternity-ward clerk and a relocating citizen
// would: start page, services, the form (a wrong RNOKPP and an impossible date first, then
// corrected), the application page following every service to the end, the receipt download.
// Screenshots of each page at desktop and 360 px width go to target/screenshots/, and axe-core
// audits each page shown at both widths: any violation of WCAG 2.1 A or AA fails the test.
//
// Needs a running server: ONESTOP_URL (e.g. http://127.0.0.1:8080) on a new database with the
// in-process sandbox, whose first-run table of demo logins is in the file ONESTOP_FIRST_RUN (the
// server's console output) and whose behaviour file (registries.sandbox_behaviour, refusing one
// IBAN) is ONESTOP_SANDBOX_BEHAVIOUR; Chromium at CHROMIUM (default /usr/bin/chromium). Run by
// `bash scripts/test`.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { BASE, SHOTS, WAIT, shared, audit, shoot, demoPassword, pdfText } = require('./common.js');

/** A day before today, as a person types it (DD.MM.YYYY). */
function daysAgo(n) {
  const d = new Date(Date.now() - n * 86400000);
  const two = (x) => String(x).padStart(2, '0');
  return `${two(d.getDate())}.${two(d.getMonth() + 1)}.${d.getFullYear()}`;
}

/**
 * Sign in on the staff sign-in page, as a person would, with the first run's one-time password:
 * onestop asks for a password of one's own first (the one-time one cannot be kept), then goes on.
 */
async function signInFirstTime(page, login, oneTime) {
  await page.goto(`${BASE}/`);
  await page.getByRole('link', { name: 'Вхід для працівників' }).click();
  await fill(page, { login, password: oneTime });
  await page.getByRole('button', { name: 'Увійти' }).click();
  await page.getByRole('heading', { name: 'Новий пароль' }).waitFor(WAIT);
  // Nothing else opens before the password is one's own.
  assert.equal((await page.request.get(`${BASE}/events/birth/form`, { maxRedirects: 0 })).status(), 303);
  const own = `${login} has a passphrase of her own`;
  await fill(page, { current: oneTime, new: own, again: `${own}!` });
  await page.getByRole('button', { name: 'Зберегти пароль' }).click();
  await page.locator('#password-error').getByText('не збігаються').waitFor(WAIT);
  await shoot(page, '01b-one-time-password');
  await fill(page, { current: oneTime, new: own, again: own });
  await page.getByRole('button', { name: 'Зберегти пароль' }).click();
  await page.locator('#signed-in-as').waitFor(WAIT);
  assert.equal(await page.locator('#signed-in-as').innerText(), login);
  passwords.set(login, own);
}

/** The passwords of their own the logins set in this run (each one-time password goes once). */
const passwords = new Map();

/** Sign in as `login`: with the password they set earlier in this run, else for the first time. */
async function signIn(page, login) {
  if (!passwords.has(login)) return signInFirstTime(page, login, demoPassword(login));
  await page.goto(`${BASE}/sign-in`);
  await fill(page, { login, password: passwords.get(login) });
  await page.getByRole('button', { name: 'Увійти' }).click();
  await page.locator('#signed-in-as').waitFor(WAIT);
  assert.equal(await page.locator('#signed-in-as').innerText(), login);
}

const field = (page, name) => page.locator(`[name="${name}"]`);

async function fill(page, values) {
  for (const [name, value] of Object.entries(values)) {
    await field(page, name).fill(value);
  }
}

async function choose(page, name, value) {
  await page.locator(`input[name="${name}"][value="${value}"]`).check();
}

async function fillAddress(page, prefix, address) {
  await fill(page, {
    [`${prefix}/region`]: address.region,
    [`${prefix}/community`]: address.community,
    [`${prefix}/settlement`]: address.settlement,
    [`${prefix}/street`]: address.street,
    [`${prefix}/building`]: address.building,
  });
}

const KYIV = {
  region: 'м. Київ', community: 'Київська міська територіальна громада',
  settlement: 'Київ', street: 'вул. Хрещатик', building: '22',
};

/** Wait until the application page says the application is settled; its overall status. */
async function waitUntilSettled(page) {
  await page.locator('#live [data-final="true"]').waitFor({ timeout: 60000 });
  return page.locator('[data-overall]').innerText();
}

/** Download the receipt through its link and check it is a PDF; the file it was saved to. */
async function downloadReceipt(page, name) {
  const [download] = await Promise.all([page.waitForEvent('download', WAIT), page.click('#receipt')]);
  const file = path.join(SHOTS, `${name}.pdf`);
  await download.saveAs(file);
  const bytes = fs.readFileSync(file);
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-', 'the receipt is a PDF');
  assert.ok(bytes.length > 2000, 'the receipt is not empty');
  return file;
}

test('a clerk signs in, registers a birth (errors shown and kept, corrected), gets the receipt, signs out', async () => {
  const page = await shared.browser.newPage();
  await page.goto(`${BASE}/events/birth/form`);
  await page.waitForURL(/\/sign-in/, WAIT);
  await fill(page, { login: 'ward-clerk', password: 'a wrong password' });
  await page.getByRole('button', { name: 'Увійти' }).click();
  await page.locator('#sign-in-error').waitFor(WAIT);
  await shoot(page, '00-sign-in-refused');
  await signInFirstTime(page, 'ward-clerk', demoPassword('ward-clerk'));
  await shoot(page, '01-start');
  await page.getByRole('link', { name: 'Народження дитини' }).click();

  await page.getByRole('heading', { level: 1, name: 'Народження дитини' }).waitFor(WAIT);
  await page.getByLabel('Реєстрація місця проживання дитини').check();
  await page.getByLabel('Допомога при народженні дитини').check();
  await page.getByLabel('Пакунок малюка або компенсація').check();
  await shoot(page, '02-birth-services');
  await page.getByRole('button', { name: 'Продовжити до форми' }).click();

  await field(page, '/children/0/surname').waitFor(WAIT);
  assert.equal(await field(page, '/family/children_count').count(), 0, 'the form shrank to the choice');
  await shoot(page, '03-birth-form-empty');
  await fill(page, {
    '/children/0/surname': 'Коваленко', '/children/0/given_name': "Мар'яна",
    '/children/0/patronymic': 'Андріївна', '/children/0/birth_date': '31.02.2026',
    '/children/0/birth_place': 'м. Київ',
    '/children/0/medical_conclusion/number': '0123/2026',
    '/children/0/medical_conclusion/issued_on': daysAgo(1),
    '/children/0/medical_conclusion/facility': 'Київський міський пологовий будинок № 5',
    '/mother/surname': 'Коваленко', '/mother/given_name': 'Олена', '/mother/patronymic': 'Петрівна',
    '/mother/birth_date': '15.03.1994', '/mother/rnokpp': '3440712341',
    '/mother/identity_document/number': '001234567',
    '/father/surname': 'Коваленко', '/father/given_name': 'Андрій', '/father/patronymic': 'Іванович',
    '/father/birth_date': '02.07.1992', '/father/rnokpp': '3378645672',
    '/father/identity_document/number': 'КВ123456',
    '/benefit/iban': 'UA573220010000026007233566001',
  });
  await choose(page, '/children/0/sex', 'female');
  // Registered at one address (married, one surname): nobody else has to co-sign.
  await field(page, '/parents_address/same').check();
  await choose(page, '/mother/identity_document/kind', 'id-card');
  await choose(page, '/father/identity_document/kind', 'passport');
  await choose(page, '/paternity/basis', 'marriage');
  // The marriage record is asked once the marriage is chosen: the form is drawn again for it.
  assert.equal(await field(page, '/paternity/marriage_act_record').count(), 0);
  await page.getByRole('button', { name: 'Оновити форму за вибраним' }).click();
  await fill(page, { '/paternity/marriage_act_record': '1234', '/paternity/marriage_date': '15.06.2019' });
  await choose(page, '/benefit/recipient', 'mother');
  await choose(page, '/baby_box/choice', 'box');
  await fillAddress(page, '/residence', KYIV);
  // Enter in a field sends the form (not a language switch or a row button before it).
  await field(page, '/residence/building').press('Enter');

  // The summary at the top, the messages next to the fields, every value kept.
  const summary = page.locator('#error-summary');
  await summary.waitFor(WAIT);
  assert.ok(await summary.evaluate((el) => el === document.activeElement), 'the summary has the focus');
  const rnokppLink = summary.getByRole('link', { name: /Мати — РНОКПП.*10 цифр/ });
  await rnokppLink.waitFor(WAIT);
  await summary.getByRole('link', { name: /Такої дати не існує: 31\.02\.2026/ }).waitFor(WAIT);
  assert.match(await page.locator('[id="f.mother.rnokpp-error"]').innerText(), /10 цифр/);
  assert.equal(await field(page, '/mother/rnokpp').getAttribute('aria-invalid'), 'true');
  assert.equal(await field(page, '/children/0/given_name').inputValue(), "Мар'яна");
  assert.ok(await field(page, '/parents_address/same').isChecked());
  assert.equal(await field(page, '/mother/rnokpp').inputValue(), '3440712341');
  assert.ok(await page.locator('input[name="/baby_box/choice"][value="box"]').isChecked());
  await shoot(page, '04-birth-form-errors');
  await rnokppLink.click();
  assert.equal(await page.evaluate(() => document.activeElement.name), '/mother/rnokpp');
  await page.keyboard.press('Tab');
  await shoot(page, '04b-birth-form-keyboard-focus');

  await fill(page, { '/mother/rnokpp': '3440712340', '/children/0/birth_date': daysAgo(2) });
  await page.getByRole('button', { name: 'Подати заяву' }).click();
  await page.waitForURL(/\/applications\/[0-9a-f-]{36}/, WAIT);
  assert.ok(!page.url().includes('%D0'), 'no personal data in the address');
  const overall = await waitUntilSettled(page);
  assert.equal(overall, 'Виконано');
  const badges = await page.locator('.statuses .badge').allInnerTexts();
  assert.ok(badges.length >= 8, `every service is listed (${badges.length})`);
  assert.deepEqual([...new Set(badges)], ['Виконано'], 'every service succeeded');
  await page.locator('.reference', { hasText: /РНОКПП \d{10}/ }).waitFor(WAIT);
  await shoot(page, '05-birth-application-done');
  const receipt = await downloadReceipt(page, 'birth-receipt');
  // The receipt's verification link (its QR code), opened as anyone would: no sign-in.
  const [verifyUrl] = pdfText(receipt).match(/https?:\/\/\S+\/verify\/[0-9a-f]{32}/);
  const verify = await shared.browser.newPage();
  await verify.goto(verifyUrl);
  await verify.getByRole('heading', { name: /Перевірка квитанції/ }).waitFor(WAIT);
  assert.equal(await verify.locator('h1 [lang="en"]').innerText(), 'Receipt verification', 'English is marked as such');
  await shoot(verify, '05b-receipt-verification');
  await verify.close();
  const applicationPage = page.url();
  await page.goto(`${BASE}/`);
  await page.getByRole('button', { name: 'Вийти' }).click();
  await page.locator('#sign-in-link').waitFor(WAIT);
  const after = await page.goto(applicationPage);
  assert.equal(after.status(), 401, 'signed out, the application is closed');
  await page.close();
});

test("a birth is asked for the family's children count only once the large-family service is chosen", async () => {
  const page = await shared.browser.newPage();
  await signIn(page, 'ward-clerk');
  const count = '/family/children_count';
  const largeFamily = "Посвідчення багатодітної сім'ї";

  // Not chosen on the start page: the form has no such field, not even drawn again with errors.
  await page.goto(`${BASE}/events/birth`);
  await page.getByRole('heading', { level: 1, name: 'Народження дитини' }).waitFor(WAIT);
  assert.equal(await page.getByLabel(largeFamily).isChecked(), false, 'not chosen unless ticked');
  await page.getByLabel('Допомога при народженні дитини').check();
  await page.getByRole('button', { name: 'Продовжити до форми' }).click();
  await field(page, '/children/0/surname').waitFor(WAIT);
  assert.equal(await field(page, count).count(), 0, 'no children count without the large-family service');
  assert.equal(await page.getByText("Кількість дітей у сім'ї").count(), 0);
  await page.screenshot({ path: '/tmp/birth-form-without-large-family.png', fullPage: true });
  await shoot(page, '03c-birth-form-without-large-family');
  await page.getByRole('button', { name: 'Подати заяву' }).click();
  await page.locator('#error-summary').waitFor(WAIT);
  assert.equal(await field(page, count).count(), 0, 'nor among the errors of an empty form');

  // Ticked on the start page: the form asks for it.
  await page.goto(`${BASE}/events/birth`);
  await page.getByLabel(largeFamily).check();
  await page.getByRole('button', { name: 'Продовжити до форми' }).click();
  await field(page, '/children/0/surname').waitFor(WAIT);
  await field(page, count).waitFor(WAIT);
  assert.ok(await field(page, count).isVisible(), 'the children count is on the form');
  await page.getByText("Кількість дітей у сім'ї").first().waitFor(WAIT);
  await field(page, count).scrollIntoViewIfNeeded();
  await page.screenshot({ path: '/tmp/birth-form-with-large-family.png', fullPage: true });
  await shoot(page, '03d-birth-form-with-large-family');
  await page.close();
});

test('a citizen moves with two children: language switch keeps the data, consent awaited, receipt', async () => {
  const page = await shared.browser.newPage();
  await page.goto(`${BASE}/`);
  await page.getByRole('link', { name: 'Зміна місця проживання' }).click();
  await page.getByRole('button', { name: 'Продовжити до форми' }).waitFor(WAIT);
  // The notice to the recruitment centre is no choice: it follows a person on the register.
  assert.equal(await page.getByLabel('Повідомлення ТЦК та СП про зміну адреси').count(), 0);
  await page.getByRole('button', { name: 'Продовжити до форми' }).click();

  // The applicant is the first person of the list, asked once.
  await field(page, '/people/0/surname').waitFor(WAIT);
  await fill(page, {
    '/people/0/surname': 'Шевчук', '/people/0/given_name': 'Ірина', '/people/0/patronymic': 'Олегівна',
    '/people/0/birth_date': '12.04.1988', '/people/0/rnokpp': '3224412340',
  });
  const children = [['Марко', '01.09.2015'], ['Зоряна', '20.02.2019']];
  for (const [i, [name, born]] of children.entries()) {
    await page.getByRole('button', { name: /Додати: Особа/ }).click();
    const row = `/people/${i + 1}`;
    await field(page, `${row}/surname`).waitFor(WAIT);
    assert.equal(await page.evaluate(() => document.activeElement.name), `${row}/surname`, 'the new row has the focus');
    await fill(page, { [`${row}/surname`]: 'Шевчук', [`${row}/given_name`]: name, [`${row}/birth_date`]: born });
  }
  assert.equal(await field(page, '/people/2/citizenship').inputValue(), 'UKR', 'a new row starts with the defaults');
  await page.getByRole('button', { name: /Додати: Особа/ }).click();
  await page.getByRole('button', { name: 'Видалити: Особа 4' }).click();
  await page.getByRole('button', { name: /Додати: Особа/ }).waitFor(WAIT);
  assert.equal(await field(page, '/people/3/surname').count(), 0, 'the row is gone');
  assert.equal(await field(page, '/people/2/given_name').inputValue(), 'Зоряна', 'the other rows stay');
  assert.match(await page.evaluate(() => document.activeElement.textContent), /Додати: Особа/, 'the keyboard is on the add button');
  await fillAddress(page, '/previous_address', { ...KYIV, region: 'Львівська область', settlement: 'Львів', community: 'Львівська міська територіальна громада', street: 'вул. Городоцька', building: '15' });
  await fillAddress(page, '/new_address', KYIV);
  await fill(page, {
    '/homeowner/surname': 'Бондаренко', '/homeowner/given_name': 'Олег', '/homeowner/rnokpp': '2870905575',
    '/homeowner/phone': '+380501112233',
  });
  await page.locator('input[name="/people/0/military/liable"]').check();

  // The language switch posts the form: the page comes back in English with the data.
  await page.getByRole('button', { name: /ENG/ }).click();
  await page.getByRole('button', { name: 'Submit the application' }).waitFor(WAIT);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal(await field(page, '/people/2/given_name').inputValue(), 'Зоряна');
  assert.ok(await page.locator('input[name="/people/0/military/liable"]').isChecked());
  await shoot(page, '06-relocation-form-english');
  await page.getByRole('button', { name: /УКР/ }).click();
  await page.getByRole('button', { name: 'Подати заяву' }).waitFor(WAIT);
  await shoot(page, '07-relocation-form-filled');
  await page.getByRole('button', { name: 'Подати заяву' }).click();

  await page.waitForURL(/\/applications\/[0-9a-f-]{36}/, WAIT);
  const todo = page.locator('.todo');
  await todo.getByText('Згода власника житла').waitFor(WAIT);
  const confirmUrl = (await todo.locator('.confirm-url').innerText()).trim();
  await shoot(page, '08-relocation-awaiting-consent');
  // The homeowner opens the link in their own browser and confirms.
  const homeowner = await page.context().browser().newPage();
  await homeowner.goto(confirmUrl);
  await homeowner.getByRole('heading', { name: 'Згода власника житла' }).waitFor(WAIT);
  await shoot(homeowner, '08b-homeowner-consent-page');
  // The homeowner proves who they are: a code by SMS (the demo's gateway shows its messages).
  await homeowner.getByRole('button', { name: 'Надіслати код у SMS' }).click();
  await homeowner.locator('#code-notice').getByText('+380•••••2233').waitFor(WAIT);
  const outbox = await homeowner.locator('#demo-messages a').getAttribute('href');
  const { messages } = await (await fetch(outbox)).json();
  const sms = messages.filter((m) => m.to === '+380501112233').map((m) => m.text);
  assert.match(sms[0], /Олег Бондаренко, Ірина Шевчук просить вас підтвердити/, 'the invitation came first');
  const code = sms[sms.length - 1].match(/код підтвердження (\d{6})/)[1];
  await homeowner.getByLabel('Код із SMS (6 цифр)').fill(code);
  await shoot(homeowner, '08c-homeowner-code');
  await homeowner.getByRole('button', { name: 'Підтверджую' }).click();
  await homeowner.getByText('підтвердження отримано').waitFor(WAIT);
  await audit(homeowner, '08d-homeowner-confirmed');
  await homeowner.close();
  assert.equal(await waitUntilSettled(page), 'Виконано');
  assert.equal(await page.locator('.todo').count(), 0, 'nothing is left to do');
  const people = await page.locator('.service-title', { hasText: 'Реєстрація за новою адресою' }).allInnerTexts();
  assert.equal(people.length, 3, 'one registration for each of the three people');
  await shoot(page, '09-relocation-done');
  await downloadReceipt(page, 'relocation-receipt');
  // The private link, kept by the citizen; a new browser (all cookies gone) comes back by it.
  const link = (await page.locator('#private-link').innerText()).trim();
  const applicationPage = page.url();
  await page.context().close();
  const fresh = await shared.browser.newPage();
  const closed = await fresh.goto(applicationPage);
  assert.equal(closed.status(), 401, 'without the link the application is closed');
  await fresh.goto(link);
  await fresh.waitForURL(/\/applications\/[0-9a-f-]{36}/, WAIT);
  assert.equal(await waitUntilSettled(fresh), 'Виконано');
  await shoot(fresh, '09b-relocation-back-by-private-link');
  await fresh.close();
});

test('the entrepreneur form draws lists of codes and a choice of regime', async () => {
  const page = await shared.browser.newPage();
  await page.goto(`${BASE}/events/business-start?lang=en`);
  await shoot(page, '10-business-services-english');
  await page.getByRole('button', { name: 'Continue to the form' }).click();
  await field(page, '/kved/0').waitFor(WAIT);
  await shoot(page, '11-business-form-english');
  await page.close();
});

test('a registrar signs in through the OpenID provider and lands on the staff page of the CNAP', async () => {
  const page = await shared.browser.newPage();
  await page.goto(`${BASE}/sign-in`);
  await page.locator('#sign-in-oidc').click();
  // The provider's own sign-in page (oidc-provider's development pages take any login).
  await page.locator('input[name="login"]').waitFor(WAIT);
  await page.screenshot({ path: path.join(SHOTS, '12-provider-sign-in.png') });
  await page.locator('input[name="login"]').fill('oksana.registrar');
  await page.locator('input[name="password"]').fill('anything');
  await page.locator('button[type="submit"]').click();
  const consent = page.getByRole('button', { name: /Continue/ });
  await consent.waitFor(WAIT);
  await consent.click();
  await page.locator('#signed-in-as').waitFor(WAIT);
  assert.equal(await page.locator('#signed-in-as').innerText(), 'oksana.registrar');
  assert.match(await page.locator('.signed-in').innerText(), /demo-cnap · registrar/);
  await shoot(page, '13-signed-in-through-provider');
  // The CNAP offers the birth form; signing out closes it again.
  const form = await page.goto(`${BASE}/events/birth/form`);
  assert.equal(form.status(), 200);
  await page.goto(`${BASE}/`);
  await page.getByRole('button', { name: 'Вийти' }).click();
  await page.locator('#sign-in-link').waitFor(WAIT);
  await page.close();
});

/** Sign in on the OpenID provider's own pages (they take any login) and consent. */
async function providerSignIn(page, login) {
  await page.locator('input[name="login"]').waitFor(WAIT);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('anything');
  await page.locator('button[type="submit"]').click();
  const consent = page.getByRole('button', { name: /Continue/ });
  await consent.waitFor(WAIT);
  await consent.click();
}

test('a homeowner proves who they are by signing in through the OpenID provider; another person cannot', async () => {
  // A citizen's relocation, submitted online (the API answers with their access secret).
  const example = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'bundles', 'examples', 'relocation.json'), 'utf8'));
  const submitted = await fetch(`${BASE}/api/v1/bundles/relocation/applications`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(example),
  });
  assert.equal(submitted.status, 201);
  const { id, access } = await submitted.json();
  const own = async () => (await fetch(`${BASE}/api/v1/applications/${id}`, {
    headers: { Authorization: `Bearer ${access}` },
  })).json();
  const consent = (await own()).services.find((s) => s.service === 'homeowner-consent');
  const link = consent.confirm_url.replace('/api/v1', '');

  // The applicant signs in as themselves: not the homeowner, refused, and nothing is decided.
  const applicant = await shared.browser.newPage();
  await applicant.goto(link);
  await applicant.locator('#identify-oidc').click();
  await providerSignIn(applicant, `person-${example.data.people[0].rnokpp}`);
  await applicant.locator('#code-notice').getByText('РНОКПП не збігається').waitFor(WAIT);
  assert.equal(await applicant.locator('#identified').count(), 0);
  await shoot(applicant, '14-confirmation-another-person');
  await applicant.close();

  // The homeowner signs in with their own RNOKPP and confirms, with no code.
  const homeowner = await shared.browser.newPage();
  await homeowner.goto(link);
  await homeowner.locator('#identify-oidc').click();
  await providerSignIn(homeowner, `person-${example.data.homeowner.rnokpp}`);
  await homeowner.locator('#identified').waitFor(WAIT);
  assert.equal(await homeowner.locator('#code').count(), 0, 'no code is asked once identified');
  await shoot(homeowner, '15-confirmation-identified');
  await homeowner.getByRole('button', { name: 'Підтверджую' }).click();
  await homeowner.getByText('підтвердження отримано').waitFor(WAIT);
  await homeowner.close();
  const step = (await own()).services.find((s) => s.service === 'homeowner-consent');
  assert.equal(step.status, 'succeeded');
  assert.equal(step.identified_by, 'signed in through the identity provider, RNOKPP matched');
});

test("an administrator watches the registries' health; an address that does not exist says so", async () => {
  const page = await shared.browser.newPage();
  await signInFirstTime(page, 'admin', demoPassword('admin'));
  await page.goto(`${BASE}/staff/registries`);
  await page.getByRole('heading', { level: 1, name: 'Стан реєстрів' }).waitFor(WAIT);
  await page.locator('#registries tbody tr').first().waitFor(WAIT);
  await shoot(page, '17-registries');
  const missing = await page.goto(`${BASE}/events/no-such-event`);
  assert.equal(missing.status(), 404);
  await shoot(page, '18-not-found');
  await page.close();
});

test('an integrator reads the API contract in Swagger UI, served by onestop alone with no network', async () => {
  const page = await shared.browser.newPage();
  const elsewhere = [];
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(BASE) && !url.startsWith('data:') && !url.startsWith('blob:')) elsewhere.push(url);
  });
  await page.goto(`${BASE}/api/docs/`);
  await page.locator('.swagger-ui .info .title').waitFor(WAIT);
  await page.locator('.opblock').first().waitFor(WAIT);
  const operations = await page.locator('.opblock').count();
  assert.ok(operations >= 20, `the operations of /api/v1 are listed (${operations})`);
  assert.deepEqual(elsewhere, [], 'Swagger UI asks nothing of another host');
  await page.screenshot({ path: path.join(SHOTS, '19-api-docs-desktop.png'), fullPage: false });
  await page.close();
});

test('the accessibility audit fails a page with a violation, naming the rule and the element', async () => {
  const page = await shared.browser.newPage();
  await page.setContent('<!doctype html><html lang="uk"><head><title>Зразок</title></head>' +
    '<body><main><h1>Зразок</h1><p>Текст</p><img src="data:,"></main></body></html>');
  await assert.rejects(audit(page, 'a sample'), (e) =>
    /a sample: 1 accessibility violation/.test(e.message) &&
    /image-alt \(critical\): Images must have alternative text\n {4}at img$/m.test(e.message));
  await page.close();
});

test('a ward auditor signs in, sets a password of their own and searches the audit trail', async () => {
  const page = await shared.browser.newPage();
  await signInFirstTime(page, 'ward-auditor', demoPassword('ward-auditor'));
  await page.goto(`${BASE}/staff/audit`);
  await page.getByRole('heading', { name: 'Журнал аудиту' }).waitFor(WAIT);
  // The ward's clerk registered a birth in the first test: its submission is in the trail.
  await page.locator('#audit-entries').getByText('application.submit').first().waitFor(WAIT);
  await shoot(page, '16-audit-trail');
  await page.getByLabel('Від дати').fill('yesterday');
  await page.getByRole('button', { name: 'Шукати' }).click();
  await page.locator('#audit-error').waitFor(WAIT);
  await audit(page, '16b-audit-trail-error');
  await page.close();
});

/** Reload the page until `done` says yes (the staff pages do not follow the registries live). */
async function reloadUntil(page, done, what) {
  const until = Date.now() + 60000;
  while (!(await done())) {
    assert.ok(Date.now() < until, `${what} within a minute`);
    await page.waitForTimeout(500);
    await page.reload();
  }
}

test('a ward registrar corrects an IBAN the bank refused and retries; a clerk of the ward may not, a clerk of the CNAP sees nothing', async () => {
  // The sandbox's Pension Fund refuses one account (a valid IBAN that no bank knows): scripts/test
  // starts the server with this rule.
  assert.ok(process.env.ONESTOP_SANDBOX_BEHAVIOUR, "ONESTOP_SANDBOX_BEHAVIOUR names the sandbox's behaviour file");
  const behaviour = JSON.parse(fs.readFileSync(process.env.ONESTOP_SANDBOX_BEHAVIOUR, 'utf8'));
  const [rule] = behaviour.services['social.birth-assistance'].refuse;
  assert.equal(rule.pointer, '/benefit/iban');
  const refusedIban = rule.equals;
  const goodIban = 'UA363510050000026009876543210';
  const service = 'social.birth-assistance';
  const block = (page) => page.locator(`[id="service-${service}"]`);

  // The registrar registers a birth with the birth assistance paid to the refused account.
  const registrar = await shared.browser.newPage();
  await signIn(registrar, 'ward-registrar');
  await registrar.getByRole('link', { name: 'Народження дитини' }).click();
  await registrar.getByRole('heading', { level: 1, name: 'Народження дитини' }).waitFor(WAIT);
  await registrar.getByLabel('Допомога при народженні дитини').check();
  await registrar.getByRole('button', { name: 'Продовжити до форми' }).click();
  await field(registrar, '/children/0/surname').waitFor(WAIT);
  await fill(registrar, {
    '/children/0/surname': 'Мельник', '/children/0/given_name': 'Тарас',
    '/children/0/patronymic': 'Богданович', '/children/0/birth_date': daysAgo(1),
    '/children/0/birth_place': 'м. Київ',
    '/children/0/medical_conclusion/number': '0456/2026',
    '/children/0/medical_conclusion/issued_on': daysAgo(1),
    '/children/0/medical_conclusion/facility': 'Київський міський пологовий будинок № 5',
    '/mother/surname': 'Мельник', '/mother/given_name': 'Наталія', '/mother/patronymic': 'Сергіївна',
    '/mother/birth_date': '15.03.1994', '/mother/rnokpp': '3440712340',
    '/mother/identity_document/number': '007654321',
    '/father/surname': 'Мельник', '/father/given_name': 'Богдан', '/father/patronymic': 'Олегович',
    '/father/birth_date': '02.07.1992', '/father/rnokpp': '3378645672',
    '/father/identity_document/number': 'КВ654321',
    '/benefit/iban': refusedIban,
  });
  await choose(registrar, '/children/0/sex', 'male');
  await choose(registrar, '/mother/identity_document/kind', 'id-card');
  await choose(registrar, '/father/identity_document/kind', 'passport');
  await choose(registrar, '/paternity/basis', 'marriage');
  await registrar.getByRole('button', { name: 'Оновити форму за вибраним' }).click();
  await fill(registrar, { '/paternity/marriage_act_record': '4321', '/paternity/marriage_date': '20.08.2020' });
  await choose(registrar, '/benefit/recipient', 'mother');
  await fillAddress(registrar, '/residence', KYIV);
  await registrar.getByRole('button', { name: 'Подати заяву' }).click();
  await registrar.waitForURL(/\/applications\/[0-9a-f-]{36}/, WAIT);
  const id = registrar.url().match(/\/applications\/([0-9a-f-]{36})/)[1];
  assert.equal(await waitUntilSettled(registrar), 'Виконано частково', 'all but the assistance is done');
  const before = pdfText(await downloadReceipt(registrar, 'staff-receipt-before'));
  const staffPage = `${BASE}/staff/applications/${id}`;

  // A clerk of the same ward sees the failure and its reason, the data masked, and no way to
  // correct or retry it.
  const clerk = await shared.browser.newPage();
  await signIn(clerk, 'ward-clerk');
  await clerk.goto(staffPage);
  await block(clerk).locator('.badge', { hasText: 'Помилка' }).waitFor(WAIT);
  assert.match(await clerk.locator(`[id="reason-${service}"]`).innerText(), new RegExp(rule.message));
  assert.equal(await clerk.locator('[id^="correct-"]').count(), 0, 'no correct button for a clerk');
  assert.equal(await clerk.locator('[id^="retry-"]').count(), 0, 'no retry button for a clerk');
  await clerk.locator('#masked-note').waitFor(WAIT);
  const maskedIban = await clerk.locator('#data [data-pointer="/benefit/iban"]').innerText();
  assert.ok(!maskedIban.includes(refusedIban.slice(0, 10)), `the IBAN is masked for a clerk (${maskedIban})`);
  assert.ok(maskedIban.endsWith(refusedIban.slice(-4)), 'a clerk sees the end of the IBAN');
  await shoot(clerk, 'staff-application-clerk');
  const clerkCorrects = await clerk.request.get(`${staffPage}/services/${service}/correct`, { maxRedirects: 0 });
  assert.equal(clerkCorrects.status(), 403, 'a clerk may not open the correction form');
  await clerk.close();

  // The registrar's work list: the application is among those needing attention.
  await registrar.goto(`${BASE}/staff/applications`);
  const attention = Number(await registrar.locator('#count-attention').innerText());
  assert.ok(attention >= 1, `the needs-attention count (${attention}) counts the failure`);
  await registrar.locator('#tab-attention').click();
  await registrar.waitForURL(/stage=attention/, WAIT);
  assert.equal(await registrar.locator('#tab-attention').getAttribute('aria-current'), 'page');
  const row = registrar.locator(`#work-list a.work-name[href^="/staff/applications/${id}"]`);
  await row.waitFor(WAIT);
  assert.equal((await row.innerText()).trim(), 'Мельник Тарас Богданович');
  assert.equal(await registrar.locator('#work-list tbody tr').count(), attention, 'the tab lists as many as it counts');
  await shoot(registrar, 'staff-list');
  await row.click();

  // The application as staff see it: the reason, the whole IBAN, correct and retry.
  await registrar.locator('#application-id').waitFor(WAIT);
  assert.equal(await registrar.locator('#application-id').innerText(), id);
  assert.equal(await registrar.locator('#application-status').innerText(), 'Виконано частково');
  assert.equal(await block(registrar).locator('.badge').innerText(), 'Помилка');
  assert.match(await registrar.locator(`[id="reason-${service}"]`).innerText(), new RegExp(rule.message));
  assert.equal(await registrar.locator('#data [data-pointer="/benefit/iban"]').innerText(), refusedIban);
  assert.equal(await registrar.locator('#masked-note').count(), 0, 'a registrar sees the data whole');
  await registrar.locator(`[id="retry-${service}"]`).waitFor(WAIT);
  await shoot(registrar, 'staff-application');

  // The correction form: the service's fields, filled in; the changes shown before confirming.
  await registrar.locator(`[id="correct-${service}"]`).click();
  await registrar.locator('#correct-form').waitFor(WAIT);
  assert.equal(await field(registrar, '/benefit/iban').inputValue(), refusedIban);
  assert.ok(await registrar.locator('input[name="/benefit/recipient"][value="mother"]').isChecked());
  assert.equal(await field(registrar, '/residence/region').count(), 0, 'only what the service takes');
  await shoot(registrar, 'staff-correct');
  await fill(registrar, { '/benefit/iban': goodIban });
  await registrar.locator('#preview').click();
  const changes = registrar.locator('#changes');
  await changes.waitFor(WAIT);
  const changed = async () => changes.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [tr.dataset.pointer, ...[...tr.cells].slice(1).map((td) => td.innerText.trim())]));
  assert.deepEqual(await changed(), [['/benefit/iban', refusedIban, goodIban]], 'one change: the IBAN');
  const title = await changes.locator('tbody tr td').first().innerText();
  assert.ok(title.includes('IBAN') && !title.startsWith('/'), `the field is named by its title: ${title}`);
  assert.equal(await field(registrar, '/benefit/iban').inputValue(), goodIban, 'the new value is kept');
  await shoot(registrar, 'staff-correct-changes');
  // A value edited after the check is not applied unseen: the changes are shown again.
  const unseenIban = 'UA573220010000026007233566001';
  await fill(registrar, { '/benefit/iban': unseenIban });
  await registrar.locator('#confirm').click();
  await registrar.locator('#changes').waitFor(WAIT);
  assert.match(registrar.url(), /\/correct/, 'still on the correction page');
  assert.deepEqual(await changed(), [['/benefit/iban', refusedIban, unseenIban]], 'the new change shown');
  await fill(registrar, { '/benefit/iban': goodIban });
  await registrar.locator('#preview').click();
  await registrar.locator('#changes').waitFor(WAIT);
  assert.deepEqual(await changed(), [['/benefit/iban', refusedIban, goodIban]]);
  await registrar.locator('#confirm').click();

  // Back on the staff page: the assistance retried with the new account, and done.
  await registrar.waitForURL(new RegExp(`/staff/applications/${id}\\?`), WAIT);
  await reloadUntil(registrar, async () =>
    (await block(registrar).locator('.badge').innerText()) === 'Виконано', 'the assistance succeeds');
  assert.equal(await registrar.locator('#application-status').innerText(), 'Виконано');
  assert.equal(await registrar.locator(`[id="reason-${service}"]`).count(), 0, 'no reason is left');
  assert.equal(await registrar.locator('[id^="correct-"], [id^="retry-"]').count(), 0, 'nothing left to correct');
  assert.equal(await registrar.locator('#data [data-pointer="/benefit/iban"]').innerText(), goodIban);
  // The message log of the assistance: the refused attempt and the one after the correction,
  // each with its message id and the hashes of both ways.
  const log = registrar.locator(`[id="messages-${service}"]`);
  await log.locator('summary').click();
  const exchanges = log.locator('tbody tr');
  assert.equal(await exchanges.count(), 2, 'one exchange per attempt');
  assert.match(await exchanges.nth(0).innerText(), /onestop-rest[\s\S]*HTTP 400/);
  assert.match(await exchanges.nth(1).innerText(), /HTTP 200/);
  await shoot(registrar, 'staff-application-corrected');
  const after = pdfText(await downloadReceipt(registrar, 'staff-receipt-after'));
  assert.notEqual(after, before, 'the receipt changed');
  assert.ok(before.includes(rule.message), 'the receipt before names the refusal');
  assert.ok(!after.includes(rule.message), 'the receipt after does not');
  assert.match(after, /Рішення № \S+/, "the receipt gives the assistance's decision");
  await registrar.goto(`${BASE}/staff/applications?stage=attention&q=${id}`);
  await registrar.locator('#work-none').waitFor(WAIT);
  await registrar.close();

  // A clerk of the CNAP: not in their list, not found by its number, and not there at all.
  const other = await shared.browser.newPage();
  await signIn(other, 'cnap-clerk');
  await other.goto(`${BASE}/staff/applications`);
  await other.locator('#count-all').waitFor(WAIT);
  assert.equal(await other.locator(`a.work-name[href^="/staff/applications/${id}"]`).count(), 0);
  await other.goto(`${BASE}/staff/applications?q=${id}`);
  await other.locator('#work-none').waitFor(WAIT);
  assert.equal((await other.goto(staffPage)).status(), 404, "another institution's application is not found");
  const otherCorrects = await other.request.get(`${staffPage}/services/${service}/correct`, { maxRedirects: 0 });
  assert.equal(otherCorrects.status(), 404);
  await other.close();
});
