/*
 * deploy.c - deployments: a document is compiled and checked outside the store, then each of its
 * executable processes is stored as a new version (unless it is byte for byte the latest) and its
 * start timers are scheduled, in one transaction; and a stored version is read back as XML.
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"

typedef struct deploy_job {
    const char *name;
    const void *data;
    size_t len;
    char **ids;
    size_t n;
    cJSON *result;
} deploy_job;

static int deploy_txn(bpmn_engine *e, void *ud)
{
    deploy_job *j = ud;
    cJSON_Delete(j->result);
    j->result = cJSON_CreateObject();
    cJSON *arr = j->result ? cJSON_AddArrayToObject(j->result, "deployments") : NULL;
    if (!arr)
        return BPMN_ENOMEM;
    for (size_t i = 0; i < j->n; i++) {
        uint32_t latest = 0;
        int rc = en_def_latest(e, j->ids[i], &latest);
        if (rc != BPMN_OK && rc != BPMN_ENOTFOUND)
            return rc;
        uint32_t version = latest;
        int same = 0;
        if (latest) {
            en_buf k = {e->a, NULL, 0, 0, 0};
            en_def_key(&k, j->ids[i], latest);
            const void *v;
            size_t vl;
            rc = k.oom ? BPMN_ENOMEM : st_get(e->txn, ST_DEFS, k.p, k.n, &v, &vl);
            en_buf_free(&k);
            if (rc != BPMN_OK)
                return rc;
            en_rd r = {v, (const uint8_t *)v + vl, 0};
            uint32_t nl, xl;
            en_rd_str(&r, &nl);
            const char *xml = en_rd_str(&r, &xl);
            same = !r.bad && xl == j->len && memcmp(xml, j->data, xl) == 0;
        }
        if (!same) {
            version = latest + 1;
            en_buf k = {e->a, NULL, 0, 0, 0}, val = {e->a, NULL, 0, 0, 0}, lk = {e->a, NULL, 0, 0, 0},
                   lv = {e->a, NULL, 0, 0, 0};
            en_def_key(&k, j->ids[i], version);
            en_buf_str(&val, j->name);
            en_buf_u32(&val, (uint32_t)j->len);
            /* the XML bytes, as a length-prefixed string */
            if (!val.oom && bm_grow(e->a, (void **)&val.p, &val.cap, val.n + j->len, 1) == 0) {
                memcpy(val.p + val.n, j->data, j->len);
                val.n += j->len;
            } else {
                val.oom = 1;
            }
            en_latest_key(&lk, j->ids[i]);
            en_buf_u32(&lv, version);
            rc = (k.oom || val.oom || lk.oom || lv.oom) ? BPMN_ENOMEM
                 : st_put(e->txn, ST_DEFS, k.p, k.n, val.p, val.n);
            if (rc == BPMN_OK)
                rc = st_put(e->txn, ST_INDEX, lk.p, lk.n, lv.p, lv.n);
            en_def *nd = NULL;
            if (rc == BPMN_OK)
                rc = en_def_get(e, j->ids[i], version, &nd);
            if (rc == BPMN_OK)
                rc = en_schedule_starts(e, nd);
            en_buf_free(&k);
            en_buf_free(&val);
            en_buf_free(&lk);
            en_buf_free(&lv);
            if (rc != BPMN_OK)
                return rc;
        }
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o) || !cJSON_AddStringToObject(o, "process", j->ids[i]) ||
            !cJSON_AddNumberToObject(o, "version", version))
            return BPMN_ENOMEM;
    }
    return BPMN_OK;
}

static char *deploy_answer(bpmn_engine *e, void *ud)
{
    deploy_job *j = ud;
    char *s = en_json_out(e, j->result); /* deletes it */
    j->result = NULL;
    return s;
}

int bpmn_deploy(bpmn_engine *e, const char *name, const void *data, size_t len, char **json_out)
{
    if (!e || !name || !data || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    e->err[0] = '\0';
    if (len > e->lim.max_file_bytes)
        return en_fail(e, BPMN_ETOOBIG, "%s: file is %zu bytes, over the size limit of %zu bytes",
                       name, len, e->lim.max_file_bytes);
    bm_diags d;
    bm_diags_init(&d, e->a);
    bg_graph **gs = NULL;
    size_t ng = 0;
    bpmn_load_options lo = {0};
    lo.allocator = e->a;
    lo.max_bytes = e->lim.max_file_bytes;
    lo.expr_depth = e->lim.expr_depth;
    int rc = en_pipeline(name, data, len, &lo, &d, &gs, &ng);
    if (rc != BPMN_OK) {
        bm_diags_free(&d);
        return en_fail(e, rc, "%s: %s", name, bpmn_strerror(rc));
    }
    size_t off = 0;
    for (size_t i = 0; i < d.n && off < sizeof e->err; i++) {
        const bpmn_diagnostic *g = &d.items[i];
        if (g->severity != BPMN_SEV_ERROR)
            continue;
        off += (size_t)snprintf(e->err + off, sizeof e->err - off, "%s:%u: error: %s%s%s\n", name,
                                g->line, g->element, g->element[0] ? ": " : "", g->message);
    }
    size_t errors = d.errors;
    bm_diags_free(&d);
    if (errors) {
        bg_graphs_free(gs, ng, e->a);
        return BPMN_EINVALID;
    }
    if (ng == 0)
        return en_fail(e, BPMN_EINVALID, "%s: no executable process (set isExecutable=\"true\" "
                                         "on the process to run)", name);
    /* The pipeline compiled every expression already (a syntax error is a diagnostic above);
     * only the process ids are needed here. */
    deploy_job j = {name, data, len, NULL, 0, NULL};
    j.ids = bm_alloc(e->a, NULL, ng * sizeof *j.ids);
    if (!j.ids) {
        bg_graphs_free(gs, ng, e->a);
        return en_status(e, BPMN_ENOMEM);
    }
    for (size_t i = 0; i < ng; i++) {
        j.ids[i] = en_strdup(e->a, gs[i]->process_id);
        j.n = i + 1;
        if (!j.ids[i])
            rc = BPMN_ENOMEM;
    }
    bg_graphs_free(gs, ng, e->a);
    if (rc == BPMN_OK) {
        rc = en_write_answer(e, deploy_txn, &j, deploy_answer, json_out);
        /* Versions parsed inside an aborted deployment must not stay cached. */
        for (size_t i = 0; rc != BPMN_OK && i < j.n; i++)
            en_def_forget(e, j.ids[i]);
    }
    cJSON_Delete(j.result);
    for (size_t i = 0; i < j.n; i++)
        bm_free(e->a, j.ids[i]);
    bm_free(e->a, j.ids);
    return en_status(e, rc);
}

int bpmn_definition_xml(bpmn_engine *e, const char *process, unsigned version, char **xml_out,
                        size_t *len)
{
    if (!e || !process || !xml_out || !len)
        return BPMN_EINVAL;
    *xml_out = NULL;
    *len = 0;
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return en_status(e, rc);
    e->txn = t;
    uint32_t v = version;
    if (!v)
        rc = en_def_latest(e, process, &v);
    en_buf k = {e->a, NULL, 0, 0, 0};
    const void *val = NULL;
    size_t vl = 0;
    if (rc == BPMN_OK) {
        en_def_key(&k, process, v);
        rc = k.oom ? BPMN_ENOMEM : st_get(t, ST_DEFS, k.p, k.n, &val, &vl);
    }
    en_buf_free(&k);
    if (rc == BPMN_OK) {
        en_rd r = {val, (const uint8_t *)val + vl, 0};
        uint32_t nl, xl;
        en_rd_str(&r, &nl);
        const char *xml = en_rd_str(&r, &xl);
        char *copy = r.bad ? NULL : bm_alloc(e->a, NULL, (size_t)xl + 1);
        if (r.bad)
            rc = en_fail(e, BPMN_EIO, "the stored definition is damaged");
        else if (!copy)
            rc = BPMN_ENOMEM;
        else {
            if (xl)
                memcpy(copy, xml, xl);
            copy[xl] = '\0';
            *xml_out = copy;
            *len = xl;
        }
    } else if (rc == BPMN_ENOTFOUND) {
        en_fail(e, rc, "process '%s'%s is not deployed", process, version ? " in that version" : "");
    }
    e->txn = NULL;
    en_read_end(e, t);
    return en_status(e, rc);
}
