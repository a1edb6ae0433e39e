/*
 * engine.c - the engine handle as an embedder sees it: opening a store with limits and hooks
 * (clock, allocator, ids), closing it, the error message, freeing answers, the clock override,
 * and in-process job handlers with their results.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"

static long long system_clock(void *ud)
{
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void bpmn_engine_set_now(bpmn_engine *e, long long now_ms)
{
    if (e)
        e->now_override = now_ms;
}

/* The limits with every 0 replaced by its default; -1 (and errbuf says which) when one passes
 * its ceiling: those ceilings protect the C stack (nested calls and expressions recurse). */
static int resolve_limits(const bpmn_limits *in, bpmn_limits *out, char *errbuf, size_t errcap)
{
    *out = *in;
    if (!out->max_file_bytes)
        out->max_file_bytes = BPMN_DEFAULT_MAX_BYTES;
    if (!out->expr_depth)
        out->expr_depth = BPMN_LIMIT_EXPR_DEPTH;
    if (!out->expr_steps)
        out->expr_steps = BPMN_LIMIT_EXPR_STEPS;
    if (!out->run_steps)
        out->run_steps = BPMN_LIMIT_RUN_STEPS;
    if (!out->tokens)
        out->tokens = BPMN_LIMIT_TOKENS;
    if (!out->call_depth)
        out->call_depth = BPMN_LIMIT_CALL_DEPTH;
    if (!out->mi_instances)
        out->mi_instances = BPMN_LIMIT_MI_INSTANCES;
    if (!out->xml_attributes)
        out->xml_attributes = BPMN_LIMIT_XML_ATTRIBUTES;
    if (!out->xml_elements)
        out->xml_elements = BPMN_LIMIT_XML_ELEMENTS;
    if (!out->xml_nodes)
        out->xml_nodes = BPMN_LIMIT_XML_NODES;
    const char *bad = NULL;
    unsigned max = 0;
    if (out->expr_depth > BPMN_LIMIT_EXPR_DEPTH_MAX)
        bad = "expr_depth", max = BPMN_LIMIT_EXPR_DEPTH_MAX;
    else if (out->call_depth > BPMN_LIMIT_CALL_DEPTH_MAX)
        bad = "call_depth", max = BPMN_LIMIT_CALL_DEPTH_MAX;
    if (bad && errbuf && errcap)
        snprintf(errbuf, errcap, "limits.%s may be at most %u", bad, max);
    return bad ? -1 : 0;
}

int bpmn_engine_open(const bpmn_engine_options *o, bpmn_engine **out, char *errbuf, size_t errcap)
{
    if (!out)
        return BPMN_EINVAL;
    *out = NULL;
    if (!o || !o->path) {
        if (errbuf && errcap)
            snprintf(errbuf, errcap, "no store path given");
        return BPMN_EINVAL;
    }
    bpmn_limits lim;
    if (resolve_limits(&o->limits, &lim, errbuf, errcap) != 0)
        return BPMN_EINVAL;
    bpmn_engine *e = bm_alloc(o->allocator, NULL, sizeof *e);
    if (!e)
        return BPMN_ENOMEM;
    memset(e, 0, sizeof *e);
    e->a = o->allocator;
    e->clock = o->clock ? o->clock : system_clock;
    e->clock_ud = o->clock_ud;
    e->now_override = -1;
    e->next_id = o->next_id;
    e->ids_ud = o->ids_ud;
    e->history_level = o->history_level;
    e->lim = lim;
    st_options so = {o->path, o->map_size, o->map_max, o->nometasync, o->nosync};
    char tmp[512];
    int rc = st_open(&so, &e->st, tmp, sizeof tmp);
    if (rc != BPMN_OK) {
        if (errbuf && errcap)
            snprintf(errbuf, errcap, "%s", tmp);
        bm_free(e->a, e);
        return rc;
    }
    *out = e;
    return BPMN_OK;
}

void bpmn_engine_close(bpmn_engine *e)
{
    if (!e)
        return;
    if (e->batch)
        st_abort(e->batch);
    for (size_t i = 0; i < e->ndefs; i++)
        en_def_free(e->a, e->defs[i]);
    for (size_t i = 0; i < e->nhandlers; i++)
        bm_free(e->a, e->handlers[i].type);
    bm_free(e->a, e->handlers);
    bm_free(e->a, e->defs);
    en_buf_free(&e->hist);
    st_close(e->st);
    bm_free(e->a, e);
}

const char *bpmn_engine_errmsg(const bpmn_engine *e)
{
    return e ? e->err : "no engine";
}

void bpmn_free(bpmn_engine *e, void *p)
{
    if (p)
        bm_free(e ? e->a : NULL, p);
}

int bpmn_job_handler_set(bpmn_engine *e, const char *type, bpmn_job_handler fn, void *ud)
{
    if (!e || !type)
        return BPMN_EINVAL;
    for (size_t i = 0; i < e->nhandlers; i++) {
        if (strcmp(e->handlers[i].type, type) != 0)
            continue;
        if (fn) {
            e->handlers[i].fn = fn;
            e->handlers[i].ud = ud;
        } else {
            bm_free(e->a, e->handlers[i].type);
            e->handlers[i] = e->handlers[--e->nhandlers];
        }
        return BPMN_OK;
    }
    if (!fn)
        return BPMN_OK;
    if (bm_grow(e->a, (void **)&e->handlers, &e->caphandlers, e->nhandlers + 1,
                sizeof *e->handlers) != 0)
        return en_status(e, BPMN_ENOMEM);
    en_handler *h = &e->handlers[e->nhandlers];
    if (!(h->type = en_strdup(e->a, type)))
        return en_status(e, BPMN_ENOMEM);
    h->fn = fn;
    h->ud = ud;
    e->nhandlers++;
    return BPMN_OK;
}

int bpmn_job_result_vars(bpmn_job_result *r, const char *vars_json)
{
    if (!r || !vars_json)
        return BPMN_EINVAL;
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(vars_json, &end, 1);
    int oom = 0;
    if (!cJSON_IsObject(v) || !en_json_finite(v) || en_json_dupkey(NULL, v, &oom) || oom) {
        cJSON_Delete(v);
        return oom ? BPMN_ENOMEM : BPMN_EINVAL;
    }
    cJSON_Delete(r->vars);
    r->vars = v;
    return BPMN_OK;
}

int bpmn_job_result_error(bpmn_job_result *r, const char *code, const char *message)
{
    if (!r || !code)
        return BPMN_EINVAL;
    free(r->code);
    free(r->message);
    r->code = strdup(code);
    r->message = message ? strdup(message) : NULL;
    return r->code && (!message || r->message) ? BPMN_OK : BPMN_ENOMEM;
}
