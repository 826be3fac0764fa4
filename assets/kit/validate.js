// The kit's judge of a combined form (JSON Schema 2020-12), for the keywords onestop's forms
// use, each error as the server words it: a JSON pointer into the data and the key of its
// message in the pack (`src/http/ui/kit.rs`, `messages`), worded there by the server.
//
// It judges like the server's validator (the `jsonschema` crate) on these keywords; a keyword
// it does not know is left to the server, which judges everything again when the application
// is sent (so the kit may let through what the server refuses, never the other way round; a
// refusal comes back as an item to correct). What a bundle's own rules say across fields
// (`refuse:` and conditions in CEL) is judged at sync too. `tests/kit_formats.rs` holds the
// formats to the server's; `KEYWORDS` is checked against every shipped form.

import { CUSTOM_FORMATS } from './formats.js';

/** The keywords the kit judges or that only name and describe. */
export const KEYWORDS = [
  '$schema', '$id', '$ref', '$defs', '$comment', 'title', 'description', 'default', 'examples',
  'type', 'properties', 'required', 'additionalProperties', 'const', 'enum', 'pattern',
  'minLength', 'maxLength', 'minimum', 'maximum', 'format', 'items', 'minItems', 'maxItems',
  'uniqueItems', 'allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else',
];

const DEPTH = 64;

/** Every error of `data` against `root`: [{pointer, key}], each once. */
export function validate(root, data) {
  const out = [];
  check(root, data, '', root, out, 0);
  const seen = new Set();
  return out.filter((e) => {
    const id = `${e.pointer} ${e.key}`;
    if (seen.has(id)) {
      return false;
    }
    seen.add(id);
    return true;
  });
}

/** Whether `data` satisfies `schema` (for `if`, `anyOf`, `oneOf`, `not`). */
function valid(schema, data, root, depth) {
  const out = [];
  check(schema, data, '', root, out, depth);
  return out.length === 0;
}

function child(pointer, name) {
  return `${pointer}/${String(name).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/**
 * The schema a `$ref` points to: within the bundled document (`#/…`), or in one of the form
 * files it embeds under `$defs`, keyed by their absolute address (`https://…/x.schema.json#/…`),
 * as the server bundles them (`CombinedForm::bundled`).
 */
function resolve(ref, root) {
  const hash = ref.indexOf('#');
  const base = hash < 0 ? ref : ref.slice(0, hash);
  const fragment = hash < 0 ? '' : ref.slice(hash + 1);
  let node = root;
  if (base !== '') {
    const defs = root.$defs || {};
    node = defs[base] || Object.values(defs).find((d) => d && d.$id === base);
    if (node === undefined) {
      return null;
    }
  }
  for (const raw of fragment.split('/').slice(1)) {
    const segment = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) {
      return null;
    }
    node = node[segment];
  }
  return node;
}

function typeOf(value) {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'array';
  }
  return typeof value;
}

function hasType(value, type) {
  switch (type) {
    case 'integer': return typeof value === 'number' && Number.isInteger(value);
    case 'number': return typeof value === 'number';
    case 'object': return typeOf(value) === 'object';
    default: return typeOf(value) === type;
  }
}

function equal(a, b) {
  if (typeOf(a) !== typeOf(b)) {
    return false;
  }
  if (Array.isArray(a)) {
    return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  }
  if (typeOf(a) === 'object') {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && equal(a[k], b[k]));
  }
  return a === b;
}

function check(schema, data, pointer, root, out, depth) {
  if (schema === false) {
    out.push({ pointer, key: 'invalid' });
    return;
  }
  if (schema === true || schema === null || typeof schema !== 'object' || depth > DEPTH) {
    return;
  }
  const say = (key, at = pointer) => out.push({ pointer: at, key });
  if (typeof schema.$ref === 'string') {
    const target = resolve(schema.$ref, root);
    if (target !== null) {
      check(target, data, pointer, root, out, depth + 1);
    }
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => hasType(data, t))) {
      say('wrong-type');
    }
  }
  if ('const' in schema && !equal(schema.const, data)) {
    say(`const:${JSON.stringify(schema.const)}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((v) => equal(v, data))) {
    say(`enum:${JSON.stringify(schema.enum)}`);
  }
  if (typeof data === 'string') {
    strings(schema, data, say);
  }
  if (typeof data === 'number') {
    if (typeof schema.minimum === 'number' && data < schema.minimum) {
      say(`minimum:${JSON.stringify(schema.minimum)}`);
    }
    if (typeof schema.maximum === 'number' && data > schema.maximum) {
      say(`maximum:${JSON.stringify(schema.maximum)}`);
    }
  }
  if (Array.isArray(data)) {
    arrays(schema, data, pointer, root, out, depth, say);
  }
  if (typeOf(data) === 'object') {
    objects(schema, data, pointer, root, out, depth, say);
  }
  for (const part of Array.isArray(schema.allOf) ? schema.allOf : []) {
    check(part, data, pointer, root, out, depth + 1);
  }
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => valid(s, data, root, depth + 1))) {
    say('invalid');
  }
  if (Array.isArray(schema.oneOf) && schema.oneOf.filter((s) => valid(s, data, root, depth + 1)).length !== 1) {
    say('invalid');
  }
  if (schema.not !== undefined && valid(schema.not, data, root, depth + 1)) {
    say('invalid');
  }
  if (schema.if !== undefined) {
    const branch = valid(schema.if, data, root, depth + 1) ? schema.then : schema.else;
    if (branch !== undefined) {
      check(branch, data, pointer, root, out, depth + 1);
    }
  }
}

function strings(schema, data, say) {
  const length = Array.from(data).length;
  if (typeof schema.minLength === 'number' && length < schema.minLength) {
    say(schema.minLength === 1 ? 'empty' : `minLength:${schema.minLength}`);
  }
  if (typeof schema.maxLength === 'number' && length > schema.maxLength) {
    say(`maxLength:${schema.maxLength}`);
  }
  if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(data)) {
    say('pattern');
  }
  const format = CUSTOM_FORMATS[schema.format];
  if (format && !format(data)) {
    say(`format-${schema.format}`);
  }
}

function arrays(schema, data, pointer, root, out, depth, say) {
  if (typeof schema.minItems === 'number' && data.length < schema.minItems) {
    say(`minItems:${schema.minItems}`);
  }
  if (typeof schema.maxItems === 'number' && data.length > schema.maxItems) {
    say(`maxItems:${schema.maxItems}`);
  }
  if (schema.uniqueItems === true && data.some((x, i) => data.findIndex((y) => equal(x, y)) !== i)) {
    say('invalid');
  }
  if (schema.items !== undefined) {
    data.forEach((item, i) => check(schema.items, item, child(pointer, i), root, out, depth + 1));
  }
}

function objects(schema, data, pointer, root, out, depth, say) {
  const properties = schema.properties && typeof schema.properties === 'object' ? schema.properties : {};
  for (const name of Array.isArray(schema.required) ? schema.required : []) {
    if (!Object.hasOwn(data, name)) {
      say('required-field', child(pointer, name));
    }
  }
  for (const [name, value] of Object.entries(data)) {
    if (Object.hasOwn(properties, name)) {
      check(properties[name], value, child(pointer, name), root, out, depth + 1);
    } else if (schema.additionalProperties === false) {
      say('unknown-field', child(pointer, name));
    } else if (schema.additionalProperties !== undefined) {
      check(schema.additionalProperties, value, child(pointer, name), root, out, depth + 1);
    }
  }
}
