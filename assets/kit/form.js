// The kit's form: drawn from the pack's fields (the server's reading of the combined form,
// `src/http/ui/schema.rs`) and read back into the application's data the way the server's
// pages read a posted form (`src/http/ui/parse.rs`): text trimmed, an empty field left out, a
// group kept when anything in it is filled in or it is required, a box as true or false.

let counter = 0;
let withDefaults = true;

function element(tag, attributes = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined && value !== false) {
      node.setAttribute(name, value === true ? '' : value);
    }
  }
  if (text !== null) {
    node.textContent = text;
  }
  return node;
}

function segment(name) {
  return String(name).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The value at `pointer` of `data`, if any. */
export function at(data, pointer) {
  let node = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) {
      return undefined;
    }
    node = node[key];
  }
  return node;
}

/**
 * Draw `fields` into `container`, filled in with `data` (a queued application's). `defaults`:
 * whether a field the data leaves out shows its schema's default (a new application's do).
 */
export function render(fields, container, data = {}, { defaults = true } = {}) {
  withDefaults = defaults;
  container.replaceChildren(...fields.map((f) => draw(f, `/${segment(f.name)}`, data)));
  container.addEventListener('change', () => disclose(container));
  disclose(container);
}

function wrap(field, pointer, data, control) {
  const box = element('div', { class: 'field', 'data-field': pointer });
  if (field.shownWhen) {
    const parent = pointer.slice(0, pointer.lastIndexOf('/'));
    box.dataset.when = `${parent}/${segment(field.shownWhen.field)}`;
    box.dataset.values = JSON.stringify(field.shownWhen.values);
  }
  box.append(...control);
  return box;
}

function labelled(field, pointer, input) {
  const id = `f${counter += 1}`;
  input.id = id;
  input.dataset.pointer = pointer;
  const label = element('label', { for: id }, field.title.uk + (field.required ? '' : ' (необов\'язково)'));
  const parts = [label];
  if (field.hint) {
    const hint = element('p', { class: 'hint', id: `${id}-hint` }, field.hint.uk);
    input.setAttribute('aria-describedby', hint.id);
    parts.push(hint);
  }
  parts.push(input);
  return parts;
}

function draw(field, pointer, data) {
  const value = at(data, pointer);
  switch (field.kind) {
    case 'group': {
      const set = element('fieldset', { 'data-group': pointer });
      if (field.name) {
        set.append(element('legend', {}, field.title.uk));
      }
      set.append(...field.fields.map((f) => draw(f, `${pointer}/${segment(f.name)}`, data)));
      return wrap(field, pointer, data, [set]);
    }
    case 'list':
      return wrap(field, pointer, data, [list(field, pointer, data, value)]);
    case 'choice':
    case 'multichoice':
      return wrap(field, pointer, data, [choices(field, pointer, value)]);
    case 'boolean': {
      const id = `f${counter += 1}`;
      const box = element('input', { type: 'checkbox', id, value: 'true', 'data-pointer': pointer });
      box.checked = value === true;
      const label = element('label', { for: id, class: 'option' });
      label.append(box, document.createTextNode(field.title.uk));
      return wrap(field, pointer, data, [label]);
    }
    default: {
      const input = element('input', {
        type: field.kind === 'date' ? 'date' : 'text',
        class: field.short || field.kind !== 'text' ? 'short' : null,
        inputmode: field.kind === 'number' ? 'decimal' : null,
        autocomplete: 'off',
        spellcheck: 'false',
      });
      const initial = value === undefined && withDefaults ? field.default : value;
      input.value = initial === undefined || initial === null ? '' : String(initial);
      return wrap(field, pointer, data, labelled(field, pointer, input));
    }
  }
}

function choices(field, pointer, value) {
  const set = element('fieldset', { 'data-choices': pointer });
  set.append(element('legend', {}, field.title.uk + (field.required ? '' : ' (необов\'язково)')));
  const many = field.kind === 'multichoice';
  for (const choice of field.choices) {
    const id = `f${counter += 1}`;
    const input = element('input', {
      type: many ? 'checkbox' : 'radio', id, name: `c-${pointer}`, value: choice.value, 'data-pointer': pointer,
    });
    input.checked = many ? Array.isArray(value) && value.includes(choice.value) : value === choice.value;
    const label = element('label', { for: id, class: 'option' });
    label.append(input, document.createTextNode(choice.label.uk));
    set.append(label);
  }
  return set;
}

function list(field, pointer, data, value) {
  const set = element('fieldset', { 'data-list': pointer });
  set.append(element('legend', {}, field.title.uk));
  const rows = element('div', { class: 'rows' });
  const add = element('button', { type: 'button', class: 'secondary' }, `Додати: ${field.item.title.uk || field.title.uk}`);
  const row = () => {
    const i = rows.children.length;
    const box = element('div', { class: 'row', 'data-row': `${pointer}/${i}` });
    const remove = element('button', { type: 'button', class: 'link' }, 'Вилучити');
    remove.addEventListener('click', () => {
      box.remove();
      renumber(rows, pointer);
    });
    box.append(draw(field.item, `${pointer}/${i}`, data), remove);
    rows.append(box);
  };
  const count = Math.max(field.minItems || 0, Array.isArray(value) ? value.length : 0);
  for (let i = 0; i < count; i += 1) {
    row();
  }
  add.addEventListener('click', row);
  set.append(rows, add);
  return set;
}

/** After a row is removed, the rows after it move up (their pointers with them). */
function renumber(rows, pointer) {
  Array.from(rows.children).forEach((box, i) => {
    const from = box.dataset.row;
    const to = `${pointer}/${i}`;
    for (const node of [box, ...box.querySelectorAll('[data-pointer], [data-row], [data-field], [data-when]')]) {
      for (const name of ['pointer', 'row', 'field', 'when']) {
        if (node.dataset[name] && node.dataset[name].startsWith(from)) {
          node.dataset[name] = to + node.dataset[name].slice(from.length);
        }
      }
    }
  });
}

function typed(container, pointer) {
  const inputs = Array.from(container.querySelectorAll(`[data-pointer="${CSS.escape(pointer)}"]`));
  if (inputs.length === 0) {
    return '';
  }
  if (inputs[0].type === 'radio') {
    const picked = inputs.find((i) => i.checked);
    return picked ? picked.value : '';
  }
  if (inputs[0].type === 'checkbox' && inputs.length === 1 && inputs[0].value === 'true') {
    return inputs[0].checked ? 'true' : '';
  }
  return trim(inputs[0].value);
}

/** Without white space at either end, as Rust's `str::trim` (Unicode White_Space). */
function trim(text) {
  return text.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '');
}

/** Show each field only when the choice it depends on has one of its values. */
function disclose(container) {
  for (const box of container.querySelectorAll('[data-when]')) {
    const values = JSON.parse(box.dataset.values);
    box.hidden = !values.includes(typed(container, box.dataset.when));
  }
}

/** The data the form holds, and what could not be read (a number that is not one). */
export function read(fields, container) {
  const errors = [];
  const [data] = object(fields, '', container, errors);
  return { data, errors };
}

function shown(field, prefix, container) {
  if (!field.shownWhen) {
    return true;
  }
  return field.shownWhen.values.includes(typed(container, `${prefix}/${segment(field.shownWhen.field)}`));
}

function object(fields, prefix, container, errors) {
  const map = {};
  let filled = false;
  for (const field of fields.filter((f) => shown(f, prefix, container))) {
    const pointer = `${prefix}/${segment(field.name)}`;
    const got = value(field, pointer, container, errors);
    if (got) {
      filled = filled || got[1];
      map[field.name] = got[0];
    }
  }
  return [map, filled];
}

function value(field, pointer, container, errors) {
  switch (field.kind) {
    case 'group': {
      const [map, filled] = object(field.fields, pointer, container, errors);
      return filled || field.required ? [map, filled] : null;
    }
    case 'list': {
      const rows = container.querySelectorAll(`[data-list="${CSS.escape(pointer)}"] > .rows > .row`).length;
      const items = [];
      for (let i = 0; i < rows; i += 1) {
        const got = value(field.item, `${pointer}/${i}`, container, errors);
        items.push(got ? got[0] : '');
      }
      return rows > 0 || field.required ? [items, rows > 0] : null;
    }
    case 'multichoice': {
      const ticked = Array.from(container.querySelectorAll(`[data-pointer="${CSS.escape(pointer)}"]`))
        .filter((i) => i.checked).map((i) => i.value);
      const values = field.choices.map((c) => c.value).filter((v) => ticked.includes(v));
      return values.length > 0 || field.required ? [values, values.length > 0] : null;
    }
    case 'boolean': {
      const yes = typed(container, pointer) === 'true';
      return [yes, yes];
    }
    default:
      break;
  }
  const text = typed(container, pointer);
  const input = container.querySelector(`[data-pointer="${CSS.escape(pointer)}"]`);
  if (text === '' && field.kind === 'date' && input && input.validity.badInput) {
    // A date begun but not whole: the browser gives no value, the registrar gets a word.
    errors.push({ pointer, key: 'date-shape' });
    return null;
  }
  if (text === '') {
    return null;
  }
  if (field.kind === 'number') {
    const n = number(text, field.integer);
    if (n === null) {
      errors.push({ pointer, key: field.integer ? 'not-a-whole-number' : 'not-a-number' });
      return null;
    }
    return [n, true];
  }
  return [text, true];
}

/** A number as people write it: `2 500 000`, `1500,50` (as the server's pages read it). */
function number(text, integer) {
  const plain = text.replace(/\p{White_Space}/gu, '').replace(/,/g, '.');
  if (/^[+-]?[0-9]+$/.test(plain) && Number.isSafeInteger(Number(plain))) {
    return Number(plain);
  }
  if (integer || !/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(plain)) {
    return null;
  }
  const n = Number(plain);
  return Number.isFinite(n) ? n : null;
}

/** Show `errors` ([{pointer, message}]) next to their fields; those with no field, in `rest`. */
export function showErrors(container, errors) {
  for (const old of container.querySelectorAll('.field-error')) {
    old.remove();
  }
  for (const box of container.querySelectorAll('.invalid')) {
    box.classList.remove('invalid');
  }
  for (const input of container.querySelectorAll('[aria-invalid]')) {
    input.removeAttribute('aria-invalid');
    const kept = (input.getAttribute('aria-describedby') || '').split(' ').filter((id) => id && !id.startsWith('err-'));
    if (kept.length) {
      input.setAttribute('aria-describedby', kept.join(' '));
    } else {
      input.removeAttribute('aria-describedby');
    }
  }
  const rest = [];
  const links = [];
  for (const error of errors) {
    const box = closest(container, error.pointer);
    if (!box) {
      rest.push(error);
      continue;
    }
    const id = `err-${counter += 1}`;
    const note = element('p', { class: 'field-error', id }, error.message);
    box.classList.add('invalid');
    const controls = 'input, select, textarea';
    const holder = Array.from(box.children).find((c) => c.matches(controls) || c.querySelector(controls));
    box.insertBefore(note, holder || null);
    const input = box.querySelector('input, select, textarea');
    if (input) {
      const described = input.getAttribute('aria-describedby');
      input.setAttribute('aria-describedby', described ? `${described} ${id}` : id);
      input.setAttribute('aria-invalid', 'true');
    }
    links.push({ error, target: input ? input.id : id });
  }
  return { links, rest };
}

/** The field box of `pointer`, or of the nearest enclosing field that is drawn. */
function closest(container, pointer) {
  let at = pointer;
  while (at) {
    const box = container.querySelector(`[data-field="${CSS.escape(at)}"]`);
    if (box && !box.hidden) {
      return box;
    }
    at = at.slice(0, at.lastIndexOf('/'));
  }
  return null;
}
