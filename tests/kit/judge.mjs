// The kit's verdicts on the shared format corpus: reads {"format": [value, …]} on standard
// input, prints {"format": [true, false, …]} in the same order (`tests/kit_formats.rs`
// compares them with the server's).
import { CUSTOM_FORMATS } from '../../assets/kit/formats.js';

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const verdicts = {};
  for (const [format, values] of Object.entries(JSON.parse(input))) {
    const check = CUSTOM_FORMATS[format];
    if (!check) {
      throw new Error(`the kit has no check for the format "${format}"`);
    }
    verdicts[format] = values.map((value) => check(value));
  }
  process.stdout.write(JSON.stringify(verdicts));
});
