// The custom JSON Schema formats of onestop, for the mobile kit: the same rules as the server's
// `src/form/formats.rs` and `src/form/formats/*.rs`, line for line. The two are held together by
// a shared corpus (`tests/fixtures/formats-corpus.json`) that both must judge alike
// (`tests/api/kit_formats.rs` runs this file under Node beside the Rust checks).
// A change to one side is a change to the other: the corpus test fails until they agree.

const RNOKPP_WEIGHTS = [-1, 5, 7, 9, 4, 6, 10, 5, 7];
const UKRAINIAN = 'АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯабвгґдеєжзиіїйклмнопрстуфхцчшщьюя';
const PASSPORT_LETTERS = 'АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ';
const APOSTROPHES = ["'", '\u02BC', '\u2019'];
const IBAN_SPACES = [' ', '\u00A0', '\u202F'];
const NOT_IN_GROUP_2 = ['68.31', '32.12', '46.48', '47.77'];
const MARKET_RETAIL = ['47.81', '47.82', '47.89'];
const NOT_IN_GROUP_1 = ['46', '56'];

/** The digits of an all-ASCII-digit string, or null. */
function asciiDigits(value) {
  if (!/^[0-9]*$/.test(value)) {
    return null;
  }
  return Array.from(value, (c) => c.charCodeAt(0) - 48);
}

export function rnokppCheckDigit(firstNine) {
  let sum = 0;
  firstNine.forEach((d, i) => { sum += d * RNOKPP_WEIGHTS[i]; });
  return (((sum % 11) + 11) % 11) % 10;
}

export function isRnokpp(value) {
  const digits = asciiDigits(value);
  return digits !== null && digits.length === 10 && rnokppCheckDigit(digits.slice(0, 9)) === digits[9];
}

export function unzrCheckDigit(firstTwelve) {
  const weights = [7, 3, 1];
  let sum = 0;
  firstTwelve.forEach((d, i) => { sum += d * weights[i % 3]; });
  return sum % 10;
}

export function isUnzr(value) {
  const dash = value.indexOf('-');
  if (dash < 0) {
    return false;
  }
  const date = value.slice(0, dash);
  const serial = value.slice(dash + 1);
  const dateDigits = asciiDigits(date);
  const serialDigits = asciiDigits(serial);
  if (dateDigits === null || serialDigits === null) {
    return false;
  }
  if (dateDigits.length !== 8 || serialDigits.length !== 5 || !compactDate(date)) {
    return false;
  }
  const all = dateDigits.concat(serialDigits.slice(0, 4));
  return unzrCheckDigit(all) === serialDigits[4];
}

/** An IBAN as the registries get it: its characters without spaces. */
export function ibanWithoutSpaces(value) {
  return Array.from(value).filter((c) => !IBAN_SPACES.includes(c)).join('');
}

export function isIbanUa(value) {
  const compact = ibanWithoutSpaces(value);
  if (!/^UA[0-9]{27}$/.test(compact)) {
    return false;
  }
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const c of rearranged) {
    const n = parseInt(c, 36);
    remainder = n >= 10 ? (remainder * 100 + n) % 97 : (remainder * 10 + n) % 97;
  }
  return remainder === 1;
}

export function isIdCard(value) {
  return /^[0-9]{9}$/.test(value);
}

export function isOldPassport(value) {
  const chars = Array.from(value);
  return chars.length === 8
    && chars.slice(0, 2).every((c) => PASSPORT_LETTERS.includes(c))
    && chars.slice(2).every((c) => c >= '0' && c <= '9');
}

export function isPhoneUa(value) {
  return /^\+380[0-9]{9}$/.test(value);
}

export function isKved(value) {
  return /^[0-9]{2}\.[0-9]{2}$/.test(value) && value.slice(0, 2) !== '00';
}

export function isAllowedInGroup2(value) {
  return !isKved(value) || !NOT_IN_GROUP_2.includes(value);
}

export function isAllowedInGroup1(value) {
  if (!isKved(value)) {
    return true;
  }
  const division = value.slice(0, 2);
  const otherRetail = division === '47' && !MARKET_RETAIL.includes(value);
  return isAllowedInGroup2(value) && !otherRetail && !NOT_IN_GROUP_1.includes(division);
}

// Names: letters of one alphabet, an apostrophe, hyphen or space only between letters.

function isUkrainianLetter(c) {
  return UKRAINIAN.includes(c);
}

function isLatinLetter(c) {
  const code = c.codePointAt(0);
  const latin = /^[A-Za-z]$/.test(c)
    || (code >= 0xC0 && code <= 0x24F)
    || (code >= 0x1E00 && code <= 0x1EFF);
  return latin && /^\p{Alphabetic}$/u.test(c);
}

function isJoiner(c) {
  return c === '-' || c === ' ' || APOSTROPHES.includes(c);
}

function wellFormed(value, letter) {
  let previousWasLetter = false;
  for (const c of value) {
    if (letter(c)) {
      previousWasLetter = true;
    } else if (isJoiner(c) && previousWasLetter) {
      previousWasLetter = false;
    } else {
      return false;
    }
  }
  return previousWasLetter || value === '';
}

export function isNameUa(value) {
  return wellFormed(value, isUkrainianLetter);
}

export function isNameLatinOrUa(value) {
  return isNameUa(value) || wellFormed(value, isLatinLetter);
}

// Dates: ISO `YYYY-MM-DD`, judged against today in Kyiv (the server's clock and zone).

/** A civil date {y, m, d} of `YYYY-MM-DD`, or null when it is not one or does not exist. */
function isoDate(value) {
  const match = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(value);
  if (!match) {
    return null;
  }
  return civil(Number(match[1]), Number(match[2]), Number(match[3]));
}

function compactDate(digits) {
  if (!/^[0-9]{8}/.test(digits)) {
    return null;
  }
  return civil(Number(digits.slice(0, 4)), Number(digits.slice(4, 6)), Number(digits.slice(6, 8)));
}

function civil(y, m, d) {
  if (m < 1 || m > 12 || d < 1 || d > daysIn(y, m)) {
    return null;
  }
  return { y, m, d };
}

function daysIn(y, m) {
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

function compare(a, b) {
  return (a.y - b.y) || (a.m - b.m) || (a.d - b.d);
}

/**
 * `date` plus whole years and months, the day clamped to the month's last (as jiff adds), or
 * null past 9999-12-31, the last date jiff knows (where the server's addition fails).
 */
function plus(date, years, months) {
  const total = date.y * 12 + (date.m - 1) + years * 12 + months;
  const y = Math.floor(total / 12);
  const m = (total % 12) + 1;
  return y > 9999 ? null : { y, m, d: Math.min(date.d, daysIn(y, m)) };
}

/** Today's date in Kyiv. */
export function todayInKyiv() {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Kyiv', year: 'numeric', month: '2-digit', day: '2-digit',
  }).formatToParts(new Date());
  const part = (type) => Number(parts.find((p) => p.type === type).value);
  return { y: part('year'), m: part('month'), d: part('day') };
}

function birthDate(value) {
  const date = isoDate(value);
  return date && compare(date, todayInKyiv()) <= 0 ? date : null;
}

function isAtLeast(value, years) {
  const birth = birthDate(value);
  const birthday = birth && plus(birth, years, 0);
  return birthday !== null && compare(birthday, todayInKyiv()) <= 0;
}

export function isPastDate(value) {
  return birthDate(value) !== null;
}

export function isMinorBirthDate(value) {
  return birthDate(value) !== null && !isAtLeast(value, 18);
}

export function isBirthWithin12Months(value) {
  const birth = isoDate(value);
  if (!birth) {
    return true;
  }
  const deadline = plus(birth, 0, 12);
  return deadline !== null && compare(todayInKyiv(), deadline) <= 0;
}

/** The custom formats by name, as the server registers them (`CUSTOM_FORMATS`). */
export const CUSTOM_FORMATS = {
  rnokpp: isRnokpp,
  unzr: isUnzr,
  'past-date': isPastDate,
  'adult-birth-date': (v) => isAtLeast(v, 18),
  'age-14-birth-date': (v) => isAtLeast(v, 14),
  'age-16-birth-date': (v) => isAtLeast(v, 16),
  'minor-birth-date': isMinorBirthDate,
  'birth-within-12-months': isBirthWithin12Months,
  'iban-ua': isIbanUa,
  'id-card': isIdCard,
  'passport-ua-old': isOldPassport,
  'phone-ua': isPhoneUa,
  kved: isKved,
  'kved-single-tax-group-1': isAllowedInGroup1,
  'kved-single-tax-group-2': isAllowedInGroup2,
  'name-ua': isNameUa,
  'name-latin-or-ua': isNameLatinOrUa,
};
