/*
 * deploy.c - deployments: documents are compiled and checked before the store is touched, then
 * each of their executable processes is stored as a new version (unless it is byte for byte the
 * latest) and its start timers are scheduled, all in one transaction; and a stored version is
 * read back as XML.
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"

/* One process of a deployment: compiled before the transaction, stored inside it. */
typedef struct deploy_proc {
    const bpmn_document *doc;
    char *id;
    en_def *def; /* NULL once the cache owns it */
} deploy_proc;

typedef struct deploy_job {
    deploy_proc *procs;
    size_t n;
    cJSON *result;
} deploy_job;

/* Whether the latest stored version of process holds exactly these bytes. */
static int same_as_latest(bpmn_engine *e, const char *process, uint32_t latest,
                          const bpmn_document *doc, int *same)
{
    en_buf k = {e->a, NULL, 0, 0, 0};
    en_def_key(&k, process, latest);
    const void *v;
    size_t vl;
    int rc = k.oom ? BPMN_ENOMEM : st_get(e->txn, ST_DEFS, k.p, k.n, &v, &vl);
    en_buf_free(&k);
    if (rc != BPMN_OK)
        return rc;
    en_rd r = {v, (const uint8_t *)v + vl, 0};
    uint32_t nl, xl;
    en_rd_str(&r, &nl);
    const char *xml = en_rd_str(&r, &xl);
    *same = !r.bad && xl == doc->len && memcmp(xml, doc->data, xl) == 0;
    return BPMN_OK;
}

static int store_version(bpmn_engine *e, deploy_proc *p, uint32_t version)
{
    en_buf k = {e->a, NULL, 0, 0, 0}, val = {e->a, NULL, 0, 0, 0}, lk = {e->a, NULL, 0, 0, 0},
           lv = {e->a, NULL, 0, 0, 0};
    en_def_key(&k, p->id, version);
    en_buf_str(&val, p->doc->name);
    en_buf_u32(&val, (uint32_t)p->doc->len);
    /* the XML bytes, as a length-prefixed string */
    if (!val.oom && bm_grow(e->a, (void **)&val.p, &val.cap, val.n + p->doc->len, 1) == 0) {
        memcpy(val.p + val.n, p->doc->data, p->doc->len);
        val.n += p->doc->len;
    } else {
        val.oom = 1;
    }
    en_latest_key(&lk, p->id);
    en_buf_u32(&lv, version);
    int rc = (k.oom || val.oom || lk.oom || lv.oom) ? BPMN_ENOMEM
             : st_put(e->txn, ST_DEFS, k.p, k.n, val.p, val.n);
    if (rc == BPMN_OK)
        rc = st_put(e->txn, ST_INDEX, lk.p, lk.n, lv.p, lv.n);
    en_buf_free(&k);
    en_buf_free(&val);
    en_buf_free(&lk);
    en_buf_free(&lv);
    /* The definition compiled before the transaction joins the cache under its version (a run
     * repeated after the map grew finds it there already). */
    en_def *d = NULL;
    if (rc == BPMN_OK && p->def) {
        rc = en_def_adopt(e, p->def, version);
        if (rc == BPMN_OK)
            p->def = NULL;
    }
    if (rc == BPMN_OK)
        rc = en_def_get(e, p->id, version, &d);
    return rc == BPMN_OK ? en_schedule_starts(e, d) : rc;
}

static int deploy_txn(bpmn_engine *e, void *ud)
{
    deploy_job *j = ud;
    cJSON_Delete(j->result);
    j->result = cJSON_CreateObject();
    cJSON *arr = j->result ? cJSON_AddArrayToObject(j->result, "deployments") : NULL;
    if (!arr)
        return BPMN_ENOMEM;
    for (size_t i = 0; i < j->n; i++) {
        deploy_proc *p = &j->procs[i];
        uint32_t latest = 0;
        int rc = en_def_latest(e, p->id, &latest);
        if (rc != BPMN_OK && rc != BPMN_ENOTFOUND)
            return rc;
        /* Two documents of one deployment defining the same process: the later one wins. */
        for (size_t k = i + 1; k < j->n; k++)
            if (strcmp(j->procs[k].id, p->id) == 0)
                latest = UINT32_MAX;
        if (latest == UINT32_MAX)
            continue;
        int same = 0;
        if (latest && (rc = same_as_latest(e, p->id, latest, p->doc, &same)) != BPMN_OK)
            return rc;
        uint32_t version = same ? latest : latest + 1;
        if (!same && (rc = store_version(e, p, version)) != BPMN_OK)
            return rc;
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o) || !cJSON_AddStringToObject(o, "process", p->id) ||
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

/* Compiles one document outside any transaction and appends its processes to j. Errors are
 * the document's diagnostics, one per line, as FILE:LINE: error: ID: text. */
static int compile_doc(bpmn_engine *e, const bpmn_document *doc, deploy_job *j, size_t *cap)
{
    const char *name = doc->name;
    if (doc->len > e->lim.max_file_bytes)
        return en_fail(e, BPMN_ETOOBIG, "%s: file is %zu bytes, over the size limit of %zu bytes",
                       name, doc->len, e->lim.max_file_bytes);
    bm_diags d;
    bm_diags_init(&d, e->a);
    bg_graph **gs = NULL;
    size_t ng = 0;
    bpmn_load_options lo = {0};
    lo.allocator = e->a;
    lo.max_bytes = e->lim.max_file_bytes;
    lo.expr_depth = e->lim.expr_depth;
    lo.xml_attributes = e->lim.xml_attributes;
    lo.xml_elements = e->lim.xml_elements;
    lo.xml_nodes = e->lim.xml_nodes;
    lo.assume_executable = (doc->flags & BPMN_DOC_ASSUME_EXECUTABLE) != 0;
    int rc = en_pipeline(name, doc->data, doc->len, &lo, &d, &gs, &ng);
    if (rc != BPMN_OK) {
        bm_diags_free(&d);
        return en_fail(e, rc, "%s: %s", name, bpmn_strerror(rc));
    }
    size_t off = 0;
    e->err[0] = '\0';
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
                                         "on the process to run; a process without the "
                                         "attribute deploys with --assume-executable)", name);
    if (bm_grow(e->a, (void **)&j->procs, cap, j->n + ng, sizeof *j->procs) != 0) {
        bg_graphs_free(gs, ng, e->a);
        return BPMN_ENOMEM;
    }
    for (size_t i = 0; i < ng; i++) {
        deploy_proc *p = &j->procs[j->n];
        memset(p, 0, sizeof *p);
        p->doc = doc;
        p->id = en_strdup(e->a, gs[i]->process_id);
        if (!p->id) {
            rc = BPMN_ENOMEM;
            bg_graph_free(gs[i]);
        } else {
            j->n++;
            rc = en_def_prepare(e, gs[i], &p->def);
        }
        gs[i] = NULL;
        if (rc != BPMN_OK)
            break;
    }
    bg_graphs_free(gs, ng, e->a);
    return rc;
}

int bpmn_deploy_many(bpmn_engine *e, const bpmn_document *docs, size_t n, char **json_out)
{
    if (!e || (!docs && n) || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    e->err[0] = '\0';
    if (!n)
        return en_fail(e, BPMN_EINVAL, "no document to deploy");
    for (size_t i = 0; i < n; i++)
        if (!docs[i].name || !docs[i].data)
            return BPMN_EINVAL;
    deploy_job j = {NULL, 0, NULL};
    size_t cap = 0;
    int rc = BPMN_OK;
    /* Every document is read, compiled and checked before the write transaction begins: a
     * large or hostile one delays no other writer. */
    for (size_t i = 0; rc == BPMN_OK && i < n; i++)
        rc = compile_doc(e, &docs[i], &j, &cap);
    if (rc == BPMN_OK) {
        rc = en_write_answer(e, deploy_txn, &j, deploy_answer, json_out);
        /* Versions cached inside an aborted deployment must not stay cached. */
        for (size_t i = 0; rc != BPMN_OK && i < j.n; i++)
            en_def_forget(e, j.procs[i].id);
    }
    cJSON_Delete(j.result);
    for (size_t i = 0; i < j.n; i++) {
        if (j.procs[i].def)
            en_def_free(e->a, j.procs[i].def);
        bm_free(e->a, j.procs[i].id);
    }
    bm_free(e->a, j.procs);
    return en_status(e, rc);
}

int bpmn_deploy(bpmn_engine *e, const char *name, const void *data, size_t len, char **json_out)
{
    if (!e || !name || !data || !json_out)
        return BPMN_EINVAL;
    bpmn_document doc = {name, data, len, 0};
    return bpmn_deploy_many(e, &doc, 1, json_out);
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
