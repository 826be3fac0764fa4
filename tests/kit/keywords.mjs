// The keywords the kit's judge knows, as JSON (`tests/kit_formats.rs` checks every shipped form
// uses no other).
import { KEYWORDS } from '../../assets/kit/validate.js';

process.stdout.write(JSON.stringify(KEYWORDS));
