// forms.js - the forms of start events and user tasks, read from the diagram's camunda:formData
// (the same XML GET .../xml gives any client): fields with types, allowed values and
// constraints, checked here before sending (the server checks again and its refusal is shown).
import { h } from "./dom.js";

const CAMUNDA = "http://camunda.org/schema/1.0/bpmn";
const BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL";

// The element's fields and documentation: {fields:[{id,label,type,required,values,min,max}], doc}.
export function elementForm(xml, elementId) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  let el = null;
  for (const e of doc.getElementsByTagNameNS(BPMN, "*"))
    if (e.getAttribute("id") === elementId) { el = e; break; }
  if (!el) return { fields: [], doc: "" };
  return { fields: fieldsOf(el), doc: documentation(el) };
}

// The start form of a process: the none start event's fields.
export function startForm(xml, processKey) {
  const doc = new DOMParser().parseFromString(xml, "application/xml");
  for (const p of doc.getElementsByTagNameNS(BPMN, "process")) {
    if (p.getAttribute("id") !== processKey) continue;
    for (const s of p.children)
      if (s.localName === "startEvent" && s.namespaceURI === BPMN)
        return { fields: fieldsOf(s), doc: documentation(p) };
  }
  return { fields: [], doc: "" };
}

function documentation(el) {
  for (const c of el.children)
    if (c.localName === "documentation" && c.namespaceURI === BPMN) return c.textContent.trim();
  return "";
}

function fieldsOf(el) {
  const out = [];
  for (const f of el.getElementsByTagNameNS(CAMUNDA, "formField")) {
    const field = { id: f.getAttribute("id"), label: f.getAttribute("label") || f.getAttribute("id"),
                    type: f.getAttribute("type") || "string", required: false, values: [],
                    defaultValue: f.getAttribute("defaultValue") };
    for (const v of f.getElementsByTagNameNS(CAMUNDA, "value"))
      field.values.push({ id: v.getAttribute("id"), name: v.getAttribute("name") || v.getAttribute("id") });
    for (const c of f.getElementsByTagNameNS(CAMUNDA, "constraint")) {
      const name = c.getAttribute("name"), config = c.getAttribute("config");
      if (name === "required") field.required = true;
      else if (name === "min" || name === "max" || name === "minlength" || name === "maxlength") field[name] = config;
      else if (name === "readonly") field.readonly = true;
    }
    out.push(field);
  }
  return out;
}

// The inputs of a form: a <form> whose fields carry data-field.
export function renderFields(fields, values = {}) {
  return fields.map((f) => {
    const current = values[f.id] ? values[f.id].value : (f.defaultValue ?? null);
    let input;
    if (f.type === "boolean") {
      input = h("select", { name: f.id, "data-field": f.id },
        h("option", { value: "" }, "—"),
        h("option", { value: "true", selected: current === true ? true : null }, "yes"),
        h("option", { value: "false", selected: current === false ? true : null }, "no"));
    } else if (f.type === "enum") {
      input = h("select", { name: f.id, "data-field": f.id },
        h("option", { value: "" }, "—"),
        f.values.map((v) => h("option", { value: v.id, selected: current === v.id ? true : null }, v.name)));
    } else {
      input = h("input", { name: f.id, "data-field": f.id,
                           type: f.type === "long" || f.type === "double" ? "text" : f.type === "date" ? "date" : "text",
                           inputmode: f.type === "long" || f.type === "double" ? "numeric" : null,
                           value: current === null || current === undefined ? "" : String(current),
                           readonly: f.readonly ? true : null });
    }
    return h("label", null, h("span", null, f.label, f.required ? " *" : ""), input);
  });
}

// Reads and checks the form: {variables} in Camunda's typed form, or {problems: [text]}.
export function readFields(form, fields) {
  const variables = {}, problems = [];
  for (const f of fields) {
    const el = form.querySelector(`[data-field="${CSS.escape(f.id)}"]`);
    const raw = el ? el.value.trim() : "";
    if (raw === "") {
      if (f.required) problems.push(`${f.label} is required.`);
      continue;
    }
    let value = raw, type = "String";
    if (f.type === "long") {
      if (!/^-?\d+$/.test(raw)) { problems.push(`${f.label} must be a whole number.`); continue; }
      value = Number(raw); type = "Long";
    } else if (f.type === "double") {
      if (!Number.isFinite(Number(raw))) { problems.push(`${f.label} must be a number.`); continue; }
      value = Number(raw); type = "Double";
    } else if (f.type === "boolean") {
      value = raw === "true"; type = "Boolean";
    } else if (f.type === "enum") {
      if (!f.values.some((v) => v.id === raw)) { problems.push(`${f.label}: '${raw}' is not allowed.`); continue; }
    } else if (f.type === "date") {
      type = "Date";
    }
    if (f.min !== undefined && typeof value === "number" && value < Number(f.min)) problems.push(`${f.label} must be at least ${f.min}.`);
    if (f.max !== undefined && typeof value === "number" && value > Number(f.max)) problems.push(`${f.label} must be at most ${f.max}.`);
    if (f.minlength !== undefined && String(value).length < Number(f.minlength)) problems.push(`${f.label} needs at least ${f.minlength} characters.`);
    if (f.maxlength !== undefined && String(value).length > Number(f.maxlength)) problems.push(`${f.label} takes at most ${f.maxlength} characters.`);
    variables[f.id] = { value, type };
  }
  return problems.length ? { problems } : { variables };
}
