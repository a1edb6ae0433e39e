/*
 * forms.c - forms of user tasks and start events: camunda:formData fields (and the
 * flowable:/activiti: formProperty equivalents) with their types, allowed values, defaults and
 * validation constraints, and the check of submitted variables against them. External form
 * references (camunda:formKey, zeebe:formDefinition) are only passed through.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

void en_form_free(const bpmn_allocator *a, en_form *f)
{
    if (!f)
        return;
    for (uint32_t i = 0; i < f->n; i++)
        bm_free(a, (void *)f->fields[i].values);
    bm_free(a, f->fields);
    bm_free(a, f);
}

static en_ftype ftype_of(const char *t)
{
    if (!t || strcmp(t, "string") == 0)
        return EN_F_STRING;
    if (strcmp(t, "long") == 0 || strcmp(t, "integer") == 0 || strcmp(t, "number") == 0)
        return EN_F_LONG;
    if (strcmp(t, "boolean") == 0)
        return EN_F_BOOLEAN;
    if (strcmp(t, "date") == 0)
        return EN_F_DATE;
    if (strcmp(t, "enum") == 0)
        return EN_F_ENUM;
    return EN_F_OTHER;
}

static int count_children(const bm_ext *x, const char *name)
{
    int n = 0;
    for (const bm_ext *c = x ? x->child : NULL; c; c = c->next)
        n += strcmp(c->name, name) == 0;
    return n;
}

/* One field from camunda:formField or activiti:/flowable:formProperty. */
static int parse_field(const bpmn_allocator *a, const bm_ext *x, en_field *f)
{
    memset(f, 0, sizeof *f);
    f->id = bm_ext_attr(x, "id");
    f->label = bm_ext_attr(x, "label");
    if (!f->label)
        f->label = bm_ext_attr(x, "name");
    f->type = ftype_of(bm_ext_attr(x, "type"));
    f->dflt = bm_ext_attr(x, "defaultValue");
    if (!f->dflt)
        f->dflt = bm_ext_attr(x, "default");
    const char *req = bm_ext_attr(x, "required"); /* formProperty */
    f->required = req && strcmp(req, "true") == 0;
    int nv = count_children(x, "value");
    if (nv) {
        f->values = bm_alloc(a, NULL, (size_t)nv * sizeof *f->values);
        if (!f->values)
            return BPMN_ENOMEM;
    }
    for (const bm_ext *c = x->child; c; c = c->next) {
        if (strcmp(c->name, "value") == 0 && bm_ext_attr(c, "id"))
            f->values[f->nvalues++] = bm_ext_attr(c, "id");
        if (strcmp(c->name, "validation") != 0)
            continue;
        for (const bm_ext *k = c->child; k; k = k->next) {
            const char *name = bm_ext_attr(k, "name"), *cfg = bm_ext_attr(k, "config");
            if (!name)
                continue;
            if (strcmp(name, "required") == 0)
                f->required = 1;
            else if (strcmp(name, "readonly") == 0)
                f->readonly = 1;
            else if (cfg && (strcmp(name, "min") == 0 || strcmp(name, "minlength") == 0))
                f->has_min = 1, f->min = strtod(cfg, NULL);
            else if (cfg && (strcmp(name, "max") == 0 || strcmp(name, "maxlength") == 0))
                f->has_max = 1, f->max = strtod(cfg, NULL);
        }
    }
    return BPMN_OK;
}

int en_form_parse(const bpmn_allocator *a, const bg_node *n, en_form **out)
{
    *out = NULL;
    const bm_ext *data = bm_ext_find(n->ext, BM_NS_CAMUNDA, "formData");
    const bm_ext *zf = bm_ext_find(n->ext, BM_NS_ZEEBE, "formDefinition");
    const char *key = bg_attr(n, BM_NS_CAMUNDA, "formKey");
    if (!key)
        key = bg_attr(n, BM_NS_FLOWABLE, "formKey");
    if (!key)
        key = bg_attr(n, BM_NS_ACTIVITI, "formKey");
    if (!key && zf)
        key = bm_ext_attr(zf, "formKey") ? bm_ext_attr(zf, "formKey") : bm_ext_attr(zf, "formId");
    uint32_t nfields = (uint32_t)count_children(data, "formField");
    for (const bm_ext *x = n->ext; x; x = x->next)
        if ((x->ns == BM_NS_FLOWABLE || x->ns == BM_NS_ACTIVITI) && strcmp(x->name, "formProperty") == 0)
            nfields++;
    if (!nfields && !key)
        return BPMN_OK;
    en_form *f = bm_alloc(a, NULL, sizeof *f);
    if (!f)
        return BPMN_ENOMEM;
    memset(f, 0, sizeof *f);
    f->key = key;
    if (nfields && !(f->fields = bm_alloc(a, NULL, nfields * sizeof *f->fields))) {
        bm_free(a, f);
        return BPMN_ENOMEM;
    }
    int rc = BPMN_OK;
    for (const bm_ext *x = data ? data->child : NULL; x && rc == BPMN_OK; x = x->next)
        if (strcmp(x->name, "formField") == 0 && bm_ext_attr(x, "id"))
            if ((rc = parse_field(a, x, &f->fields[f->n])) == BPMN_OK)
                f->n++;
    for (const bm_ext *x = n->ext; x && rc == BPMN_OK; x = x->next)
        if ((x->ns == BM_NS_FLOWABLE || x->ns == BM_NS_ACTIVITI) &&
            strcmp(x->name, "formProperty") == 0 && bm_ext_attr(x, "id"))
            if ((rc = parse_field(a, x, &f->fields[f->n])) == BPMN_OK)
                f->n++;
    if (rc != BPMN_OK) {
        en_form_free(a, f);
        return rc;
    }
    *out = f;
    return BPMN_OK;
}

/* The default value of a field as JSON of its type. */
static cJSON *default_value(const en_field *f)
{
    switch (f->type) {
    case EN_F_LONG: return cJSON_CreateNumber(strtod(f->dflt, NULL));
    case EN_F_BOOLEAN: return cJSON_CreateBool(strcmp(f->dflt, "true") == 0);
    default: return cJSON_CreateString(f->dflt);
    }
}

typedef struct problems {
    char buf[2048];
    size_t off;
    int n;
} problems;

static void problem(problems *p, const en_field *f, const char *fmt, const char *detail)
{
    if (p->off >= sizeof p->buf - 1) {
        p->n++;
        return;
    }
    char what[512];
    snprintf(what, sizeof what, fmt, detail ? detail : "");
    p->off += (size_t)snprintf(p->buf + p->off, sizeof p->buf - p->off, "%sfield '%s'%s%s%s %s",
                               p->n ? "; " : "", f->id, f->label ? " (" : "",
                               f->label ? f->label : "", f->label ? ")" : "", what);
    p->n++;
}

static void check_field(const en_field *f, const cJSON *v, problems *p)
{
    char list[512];
    switch (f->type) {
    case EN_F_STRING:
    case EN_F_OTHER:
        if (!cJSON_IsString(v)) {
            problem(p, f, "must be a string", NULL);
            return;
        }
        break;
    case EN_F_LONG:
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble)) {
            problem(p, f, "must be a whole number", NULL);
            return;
        }
        break;
    case EN_F_BOOLEAN:
        if (!cJSON_IsBool(v))
            problem(p, f, "must be true or false", NULL);
        return;
    case EN_F_DATE: {
        int64_t ms;
        if (!cJSON_IsString(v) || ex_parse_date_time(v->valuestring, strlen(v->valuestring), &ms) != 0)
            problem(p, f, "must be an ISO 8601 date like 2026-03-01 or 2026-03-01T09:00:00Z",
                    NULL);
        return;
    }
    case EN_F_ENUM: {
        size_t off = 0;
        list[0] = '\0';
        for (uint32_t i = 0; i < f->nvalues; i++) {
            if (cJSON_IsString(v) && strcmp(v->valuestring, f->values[i]) == 0)
                return;
            if (off < sizeof list)
                off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", i ? ", " : "",
                                        f->values[i]);
        }
        problem(p, f, "must be one of: %s", list);
        return;
    }
    }
    double x = cJSON_IsNumber(v) ? v->valuedouble : (double)strlen(v->valuestring);
    const char *unit = cJSON_IsNumber(v) ? "" : " characters";
    if (f->has_min && x < f->min) {
        snprintf(list, sizeof list, "%g%s", f->min, unit);
        problem(p, f, "must be at least %s", list);
    }
    if (f->has_max && x > f->max) {
        snprintf(list, sizeof list, "%g%s", f->max, unit);
        problem(p, f, "must be at most %s", list);
    }
}

int en_form_check(bpmn_engine *e, const en_form *f, cJSON *vars, const char *what)
{
    if (!f || !f->n)
        return BPMN_OK;
    problems p;
    p.off = 0;
    p.n = 0;
    p.buf[0] = '\0';
    for (uint32_t i = 0; i < f->n; i++) {
        const en_field *fd = &f->fields[i];
        const cJSON *v = vars ? cJSON_GetObjectItemCaseSensitive(vars, fd->id) : NULL;
        if (!v || cJSON_IsNull(v)) {
            if (fd->dflt && vars) {
                cJSON *d = default_value(fd);
                if (!d || !cJSON_AddItemToObject(vars, fd->id, d)) {
                    cJSON_Delete(d);
                    return BPMN_ENOMEM;
                }
                continue;
            }
            if (fd->required)
                problem(&p, fd, "is required", NULL);
            continue;
        }
        check_field(fd, v, &p);
    }
    if (!p.n)
        return BPMN_OK;
    return en_fail(e, BPMN_EINVAL, "%s: %d problem%s with the submitted data: %s", what, p.n,
                   p.n == 1 ? "" : "s", p.buf);
}
