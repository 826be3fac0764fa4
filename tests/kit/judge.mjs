// The kit's verdicts on the shared format corpus: `node judge.mjs CORPUS` prints
// {"format": [true, false, …]} in the corpus's order (`tests/kit_formats.rs` compares them with
// the server's). The first argument after the corpus, if any, fixes today (`YYYY-MM-DD`).
import { readFileSync } from 'node:fs';
import { CUSTOM_FORMATS, setToday } from '../../assets/kit/formats.js';

const [corpusPath, today] = process.argv.slice(2);
if (today) {
  setToday(today);
}
const corpus = JSON.parse(readFileSync(corpusPath, 'utf8'));
const verdicts = {};
for (const [format, values] of Object.entries(corpus)) {
  const check = CUSTOM_FORMATS[format];
  if (!check) {
    throw new Error(`the kit has no check for the format "${format}"`);
  }
  verdicts[format] = values.map((value) => check(value));
}
process.stdout.write(JSON.stringify(verdicts));
