// The kit's judgments of data against combined forms: reads {"cases": [{"schema", "data"}]}
// on standard input, prints [[{"pointer", "key"}], …] in the same order
// (`tests/kit_formats.rs` compares them with the server's).
import { validate } from '../../assets/kit/validate.js';

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const { cases } = JSON.parse(input);
  process.stdout.write(JSON.stringify(cases.map((c) => validate(c.schema, c.data))));
});
