/*
 * query.c - read-only views: an instance, lists of instances, open tasks and jobs, and history,
 * as the JSON shapes of the command-line contract.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "reports/reports.h"

/* The ids of an instance's child instances, from the 'C' index. */
static int add_children(bpmn_engine *e, uint64_t id, cJSON *arr)
{
    uint8_t p[9];
    p[0] = 'C';
    st_be64(p + 1, id);
    st_cursor *c = NULL;
    const void *k = NULL, *v;
    size_t kl = 0, vl;
    int rc = st_cursor_open(e->txn, ST_INDEX, &c);
    if (rc == BPMN_OK)
        rc = st_cursor_seek(c, p, 9, &k, &kl, &v, &vl);
    int ok = 1;
    while (ok && rc == BPMN_OK && kl == 17 && memcmp(k, p, 9) == 0) {
        char buf[24];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)st_rd64((const uint8_t *)k + 9));
        cJSON *s = cJSON_CreateString(buf);
        ok = s && cJSON_AddItemToArray(arr, s);
        rc = st_cursor_next(c, &k, &kl, &v, &vl);
    }
    st_cursor_close(c);
    return ok;
}

/* The show object of an instance; children are found by scanning for parent links. */
static cJSON *inst_json(bpmn_engine *e, en_inst *in)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int ok = en_json_id(o, "instance", in->id) && cJSON_AddStringToObject(o, "process", in->process) &&
             cJSON_AddNumberToObject(o, "version", in->version) &&
             cJSON_AddStringToObject(o, "state", en_state_name(in->state));
    ok = ok && en_json_str(o, "key", in->key);
    cJSON *waiting = cJSON_AddArrayToObject(o, "waiting");
    ok = ok && waiting;
    const bg_graph *g = in->def->g;
    for (uint32_t i = 0; ok && i < in->ntokens; i++) {
        const char *id = g->nodes[in->tokens[i].node].id;
        cJSON *s = cJSON_CreateString(id ? id : "");
        ok = s && cJSON_AddItemToArray(waiting, s);
    }
    cJSON *vars = in->nscopes && in->scopes[0].vars ? cJSON_Duplicate(in->scopes[0].vars, 1)
                                                     : cJSON_CreateObject();
    ok = ok && vars && cJSON_AddItemToObject(o, "variables", vars);
    if (ok && in->parent)
        ok = en_json_id(o, "parent", in->parent);
    else if (ok)
        ok = cJSON_AddNullToObject(o, "parent") != NULL;
    cJSON *children = ok ? cJSON_AddArrayToObject(o, "children") : NULL;
    ok = ok && children && add_children(e, in->id, children) &&
         en_json_time(o, "started", in->started) &&
         (!in->suspended || cJSON_AddTrueToObject(o, "suspended"));
    if (ok && in->ended)
        ok = en_json_time(o, "ended", in->ended);
    if (ok && in->state == EN_INCIDENT) {
        cJSON *inc = cJSON_AddObjectToObject(o, "incident");
        ok = inc && cJSON_AddStringToObject(inc, "element", in->incident_element ? in->incident_element : "") &&
             cJSON_AddStringToObject(inc, "message", in->incident_msg ? in->incident_msg : "");
    }
    (void)e;
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int done(bpmn_engine *e, st_txn *t, cJSON *j, int rc, char **json_out)
{
    e->txn = NULL;
    en_read_end(e, t);
    if (rc == BPMN_OK && !(*json_out = en_json_out(e, j)))
        return en_status(e, BPMN_ENOMEM);
    if (rc != BPMN_OK)
        cJSON_Delete(j);
    return en_status(e, rc);
}

/* Where the items of a list go: into a JSON array (the functions that return one), or one by
 * one as JSON text to a callback, so that a list of any length is printed in bounded memory.
 * The first offset items are skipped before they are built; at most limit (0: all) pass. */
typedef struct list_sink {
    cJSON *arr;
    int (*fn)(void *ud, const char *json);
    void *ud;
    size_t offset, limit, seen, taken;
} list_sink;

static int sink_full(const list_sink *s)
{
    return s->limit && s->taken >= s->limit;
}

/* Counts one matching item: 1 when it is to be built and passed on, 0 when the offset skips it. */
static int sink_take(list_sink *s)
{
    return s->seen++ >= s->offset;
}

/* Passes on an item that sink_take() let through, taking it over. */
static int sink_put(bpmn_engine *e, list_sink *s, cJSON *o)
{
    s->taken++;
    if (!o)
        return en_fail(e, BPMN_ENOMEM, "out of memory");
    if (s->arr) {
        if (cJSON_AddItemToArray(s->arr, o))
            return BPMN_OK;
        cJSON_Delete(o);
        return en_fail(e, BPMN_ENOMEM, "out of memory");
    }
    char *line = en_json_out(e, o);
    if (!line)
        return en_fail(e, BPMN_ENOMEM, "out of memory");
    int stop = s->fn(s->ud, line);
    bm_free(e->a, line);
    return stop ? en_fail(e, BPMN_EINVAL, "the list consumer stopped after %zu items", s->taken)
                : BPMN_OK;
}

/* Calls row() for every entry of a table, in key order, inside one read transaction (or the open
 * batch), until the sink is full. */
typedef int (*row_fn)(bpmn_engine *e, const uint8_t *k, size_t kl, const void *v, size_t vl,
                      void *ud, list_sink *out);

static int scan(bpmn_engine *e, st_table tb, row_fn row, void *ud, list_sink *out)
{
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return rc;
    e->txn = t;
    st_cursor *c = NULL;
    rc = st_cursor_open(t, tb, &c);
    const void *k, *v;
    size_t kl, vl;
    int step = rc == BPMN_OK ? st_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl) : rc;
    while (rc == BPMN_OK && step == BPMN_OK && !sink_full(out)) {
        rc = row(e, k, kl, v, vl, ud, out);
        if (rc == BPMN_OK)
            step = st_cursor_next(c, &k, &kl, &v, &vl);
    }
    if (rc == BPMN_OK && step != BPMN_ENOTFOUND && step != BPMN_OK)
        rc = step;
    st_cursor_close(c);
    e->txn = NULL;
    en_read_end(e, t);
    return rc;
}

/* A whole table scan as one JSON array in *json_out. */
static int scan_json(bpmn_engine *e, st_table tb, row_fn row, void *ud, char **json_out)
{
    list_sink s = {cJSON_CreateArray(), NULL, NULL, 0, 0, 0, 0};
    if (!s.arr)
        return en_status(e, BPMN_ENOMEM);
    int rc = scan(e, tb, row, ud, &s);
    if (rc == BPMN_OK && !(*json_out = en_json_out(e, s.arr)))
        return en_status(e, BPMN_ENOMEM);
    if (rc != BPMN_OK)
        cJSON_Delete(s.arr);
    return en_status(e, rc);
}

/* A table scan streamed to fn, one page of it. */
static int scan_each(bpmn_engine *e, st_table tb, row_fn row, void *ud, size_t offset,
                     size_t limit, int (*fn)(void *ud, const char *json), void *fn_ud)
{
    list_sink s = {NULL, fn, fn_ud, offset, limit, 0, 0};
    return en_status(e, scan(e, tb, row, ud, &s));
}

char *en_show_text(bpmn_engine *e, uint64_t id)
{
    en_inst in;
    if (en_inst_load(e, id, &in) != BPMN_OK)
        return NULL;
    cJSON *j = inst_json(e, &in);
    en_inst_free(e, &in);
    return en_json_out(e, j);
}

int bpmn_instance_show(bpmn_engine *e, const char *instance, char **json_out)
{
    if (!e || !instance || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    uint64_t id;
    if (en_parse_id(instance, &id) != BPMN_OK)
        return en_fail(e, BPMN_ENOTFOUND, "'%s' is not an instance id", instance);
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return en_status(e, rc);
    e->txn = t;
    en_inst in;
    rc = en_inst_load(e, id, &in);
    if (rc == BPMN_ENOTFOUND)
        rc = en_fail(e, rc, "instance %s does not exist", instance);
    cJSON *j = NULL;
    if (rc == BPMN_OK) {
        j = inst_json(e, &in);
        en_inst_free(e, &in);
        if (!j)
            rc = BPMN_ENOMEM;
    }
    return done(e, t, j, rc, json_out);
}

typedef struct inst_filter {
    const char *process, *state;
} inst_filter;

static int inst_row(bpmn_engine *e, const uint8_t *k, size_t kl, const void *v, size_t vl,
                    void *ud, list_sink *out)
{
    (void)v, (void)vl;
    inst_filter *f = ud;
    if (kl != 8)
        return en_fail(e, BPMN_EIO, "a stored instance key is damaged");
    en_inst in;
    int rc = en_inst_load(e, st_rd64(k), &in);
    if (rc != BPMN_OK)
        return rc;
    if ((!f->process || strcmp(f->process, in.process) == 0) &&
        (!f->state || strcmp(f->state, en_state_name(in.state)) == 0) && sink_take(out))
        rc = sink_put(e, out, inst_json(e, &in));
    en_inst_free(e, &in);
    return rc;
}

int bpmn_instance_list(bpmn_engine *e, const char *process, const char *state, char **json_out)
{
    if (!e || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    inst_filter f = {process, state};
    return scan_json(e, ST_INSTANCES, inst_row, &f, json_out);
}

int bpmn_instance_each(bpmn_engine *e, const char *process, const char *state, size_t offset,
                       size_t limit, bpmn_each_fn fn, void *ud)
{
    if (!e || !fn)
        return BPMN_EINVAL;
    inst_filter f = {process, state};
    return scan_each(e, ST_INSTANCES, inst_row, &f, offset, limit, fn, ud);
}

static int job_row(bpmn_engine *e, const uint8_t *k, size_t kl, const void *v, size_t vl,
                   void *ud, list_sink *out)
{
    const char *type = ud;
    en_job j;
    int rc = kl == 8 ? en_job_decode(e->a, v, vl, &j) : BPMN_EIO;
    if (rc == BPMN_ENOMEM)
        return en_fail(e, BPMN_ENOMEM, "out of memory");
    if (rc != BPMN_OK)
        return en_fail(e, BPMN_EIO, "a stored job record is damaged");
    en_def *d = NULL;
    if ((!type || strcmp(type, j.type) == 0) && sink_take(out)) {
        rc = en_def_get(e, j.process, j.version, &d);
        if (rc == BPMN_OK && j.node >= d->g->nnodes)
            rc = en_fail(e, BPMN_EIO, "a stored job record is damaged");
        if (rc == BPMN_OK) {
            const bg_node *n = &d->g->nodes[j.node];
            cJSON *o = cJSON_CreateObject();
            int ok = o && en_json_id(o, "id", st_rd64(k)) &&
                     en_json_id(o, "instance", j.instance) &&
                     cJSON_AddStringToObject(o, "element", n->id ? n->id : "") &&
                     cJSON_AddStringToObject(o, "type", j.type) &&
                     cJSON_AddNumberToObject(o, "retries", j.retries) &&
                     (!j.failure || cJSON_AddStringToObject(o, "error", j.failure));
            if (!ok) {
                cJSON_Delete(o);
                o = NULL;
            }
            rc = sink_put(e, out, o);
        }
    }
    en_job_free(e->a, &j);
    return rc;
}

int bpmn_job_list(bpmn_engine *e, const char *type, char **json_out)
{
    if (!e || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    return scan_json(e, ST_JOBS, job_row, (void *)type, json_out);
}

int bpmn_job_each(bpmn_engine *e, const char *type, size_t offset, size_t limit,
                  bpmn_each_fn fn, void *ud)
{
    if (!e || !fn)
        return BPMN_EINVAL;
    return scan_each(e, ST_JOBS, job_row, (void *)type, offset, limit, fn, ud);
}

/* Extra members of an event (due dates, durations, lateness): times stored in ms ("...Ms")
 * are written as ISO 8601 under the name without the suffix. */
static int add_extra(cJSON *o, const char *json, uint32_t len)
{
    cJSON *x = cJSON_ParseWithLength(json, len);
    if (!x)
        return 0;
    int ok = 1;
    for (cJSON *m = x->child; ok && m; m = m->next) {
        size_t n = strlen(m->string);
        if (n > 2 && strcmp(m->string + n - 2, "Ms") == 0 && cJSON_IsNumber(m)) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(n - 2), m->string);
            ok = en_json_time(o, name, (int64_t)m->valuedouble);
        } else {
            cJSON *c = cJSON_Duplicate(m, 1);
            ok = c && cJSON_AddItemToObject(o, m->string, c);
            if (!ok)
                cJSON_Delete(c);
        }
    }
    cJSON_Delete(x);
    return ok;
}

/* Which events are wanted (of one instance when want is not 0; seq after since) and where
 * they go. */
typedef struct hist_sink {
    list_sink *out;
    uint64_t want, since;
} hist_sink;

/* Unpacks one history block (keyed by its last seq) into events. */
static int history_block(bpmn_engine *e, uint64_t last, const void *v, size_t vl, hist_sink *sink)
{
    en_rd r = {v, (const uint8_t *)v + vl, 0};
    uint64_t inst = en_rd_u64(&r);
    char *proc = en_rd_strdup(&r, e->a);
    uint32_t version = en_rd_u32(&r);
    char *bkey = en_rd_strdup(&r, e->a);
    uint32_t count = en_rd_u32(&r);
    int rc = r.bad == EN_RD_OOM ? en_fail(e, BPMN_ENOMEM, "out of memory")
             : r.bad || !proc || count == 0 || count > last
                 ? en_fail(e, BPMN_EIO, "history block %llu is damaged", (unsigned long long)last)
                 : BPMN_OK;
    if (rc != BPMN_OK || (sink->want && inst != sink->want)) {
        bm_free(e->a, proc);
        bm_free(e->a, bkey);
        return rc;
    }
    uint64_t first = last - count + 1;
    en_def *d = NULL;
    rc = en_def_get(e, proc, version, &d);
    for (uint32_t i = 0; rc == BPMN_OK && i < count && !sink_full(sink->out); i++) {
        uint8_t type = en_rd_u8(&r);
        int64_t time = (int64_t)en_rd_u64(&r);
        uint32_t node = en_rd_u32(&r);
        uint64_t task = en_rd_u64(&r);
        uint32_t ul, jl;
        const char *user = en_rd_str(&r, &ul);
        const char *vars = en_rd_str(&r, &jl);
        uint32_t xl;
        const char *extra = en_rd_str(&r, &xl);
        if (r.bad || (node != EN_NONE && node >= d->g->nnodes)) {
            rc = en_fail(e, BPMN_EIO, "history block %llu is damaged", (unsigned long long)last);
            break;
        }
        if (first + i <= sink->since || !sink_take(sink->out))
            continue;
        const bg_node *n = node != EN_NONE ? &d->g->nodes[node] : NULL;
        cJSON *o = cJSON_CreateObject();
        int ok = o && cJSON_AddNumberToObject(o, "seq", (double)(first + i)) &&
                 en_json_time(o, "time", time) && en_json_id(o, "instance", inst) &&
                 cJSON_AddStringToObject(o, "process", proc) &&
                 cJSON_AddNumberToObject(o, "version", version) && en_json_str(o, "key", bkey) &&
                 cJSON_AddStringToObject(o, "type", en_event_name(type));
        if (ok && n)
            ok = cJSON_AddStringToObject(o, "element", n->id ? n->id : "") &&
                 cJSON_AddStringToObject(o, "elementType", bm_kind_name(n->kind)) &&
                 en_json_str(o, "name", n->name);
        else if (ok)
            ok = cJSON_AddNullToObject(o, "element") && cJSON_AddNullToObject(o, "elementType") &&
                 cJSON_AddNullToObject(o, "name");
        if (ok) {
            char ubuf[256];
            snprintf(ubuf, sizeof ubuf, "%.*s", (int)(ul < 255 ? ul : 255), user ? user : "");
            ok = en_json_str(o, "user", user ? ubuf : NULL) &&
                 (task ? en_json_id(o, "task", task) : cJSON_AddNullToObject(o, "task") != NULL);
        }
        if (ok) {
            cJSON *vj = vars ? cJSON_ParseWithLength(vars, jl) : NULL;
            ok = vj ? cJSON_AddItemToObject(o, "variables", vj)
                    : cJSON_AddNullToObject(o, "variables") != NULL;
        }
        if (ok && extra)
            ok = add_extra(o, extra, xl);
        if (!ok) {
            cJSON_Delete(o);
            o = NULL;
        }
        rc = sink_put(e, sink->out, o);
        if (rc == BPMN_EINVAL)
            en_fail(e, rc, "the history consumer stopped at seq %llu",
                    (unsigned long long)(first + i));
    }
    bm_free(e->a, proc);
    bm_free(e->a, bkey);
    return rc;
}

/* Reads the history blocks after sink->since with a cursor, until the sink is full: memory
 * stays flat however long the history is. */
static int history_scan(bpmn_engine *e, hist_sink *sink)
{
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return rc;
    e->txn = t;
    st_cursor *c = NULL;
    uint8_t from[8];
    st_be64(from, sink->since + 1);
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    rc = st_cursor_open(t, ST_HISTORY, &c);
    int step = rc == BPMN_OK ? st_cursor_seek(c, from, 8, &k, &kl, &v, &vl) : rc;
    while (rc == BPMN_OK && step == BPMN_OK && !sink_full(sink->out)) {
        rc = kl == 8 ? history_block(e, st_rd64(k), v, vl, sink)
                     : en_fail(e, BPMN_EIO, "a stored history key is damaged");
        if (rc == BPMN_OK)
            step = st_cursor_next(c, &k, &kl, &v, &vl);
    }
    if (rc == BPMN_OK && step != BPMN_ENOTFOUND && step != BPMN_OK)
        rc = step;
    st_cursor_close(c);
    e->txn = NULL;
    en_read_end(e, t);
    return rc;
}

int bpmn_history_page(bpmn_engine *e, const char *instance, unsigned long long since,
                      size_t offset, size_t limit, bpmn_each_fn fn, void *ud)
{
    if (!e || !fn)
        return BPMN_EINVAL;
    list_sink out = {NULL, fn, ud, offset, limit, 0, 0};
    hist_sink sink = {&out, 0, since};
    if (instance && en_parse_id(instance, &sink.want) != BPMN_OK)
        return en_fail(e, BPMN_ENOTFOUND, "'%s' is not an instance id", instance);
    return en_status(e, history_scan(e, &sink));
}

int bpmn_history_each(bpmn_engine *e, const char *instance, unsigned long long since,
                      int (*fn)(void *ud, const char *json), void *ud)
{
    return bpmn_history_page(e, instance, since, 0, 0, fn, ud);
}

int bpmn_history(bpmn_engine *e, const char *instance, char **json_out)
{
    if (!e || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    list_sink out = {cJSON_CreateArray(), NULL, NULL, 0, 0, 0, 0};
    hist_sink sink = {&out, 0, 0};
    int rc = !out.arr ? BPMN_ENOMEM
             : instance && en_parse_id(instance, &sink.want) != BPMN_OK
                 ? en_fail(e, BPMN_ENOTFOUND, "'%s' is not an instance id", instance)
                 : history_scan(e, &sink);
    if (rc == BPMN_OK && !(*json_out = en_json_out(e, out.arr)))
        return en_status(e, BPMN_ENOMEM);
    if (rc != BPMN_OK)
        cJSON_Delete(out.arr);
    return en_status(e, rc);
}

/* ---- definitions -------------------------------------------------------------------------- */

typedef struct def_count {
    char process[201];
    uint32_t version;
    unsigned active;
} def_count;

typedef struct def_scan {
    def_count *items;
    size_t n, cap;
} def_scan;

static int def_row(bpmn_engine *e, const uint8_t *k, size_t kl, const void *v, size_t vl, void *ud,
                   list_sink *out)
{
    (void)v, (void)vl, (void)out;
    def_scan *ds = ud;
    const uint8_t *z = memchr(k, 0, kl);
    if (!z || (size_t)(z - k) > 200 || kl != (size_t)(z - k) + 5)
        return en_fail(e, BPMN_EIO, "a stored definition key is damaged");
    if (bm_grow(e->a, (void **)&ds->items, &ds->cap, ds->n + 1, sizeof *ds->items) != 0)
        return BPMN_ENOMEM;
    def_count *d = &ds->items[ds->n++];
    memcpy(d->process, k, (size_t)(z - k));
    d->process[z - k] = '\0';
    d->version = (uint32_t)z[1] << 24 | (uint32_t)z[2] << 16 | (uint32_t)z[3] << 8 | z[4];
    d->active = 0;
    return BPMN_OK;
}

static int count_row(bpmn_engine *e, const uint8_t *k, size_t kl, const void *v, size_t vl,
                     void *ud, list_sink *out)
{
    (void)e, (void)k, (void)kl, (void)out;
    def_scan *ds = ud;
    /* Only the header of the record: format, state, process, version. */
    en_rd r = {v, (const uint8_t *)v + vl, 0};
    en_rd_u8(&r);
    uint8_t state = en_rd_u8(&r);
    uint32_t pl;
    const char *p = en_rd_str(&r, &pl);
    uint32_t version = en_rd_u32(&r);
    if (r.bad || (state != EN_ACTIVE && state != EN_INCIDENT))
        return BPMN_OK;
    for (size_t i = 0; i < ds->n; i++)
        if (ds->items[i].version == version && strlen(ds->items[i].process) == pl &&
            memcmp(ds->items[i].process, p, pl) == 0)
            ds->items[i].active++;
    return BPMN_OK;
}

/* The stored versions; with counts, each with its running instances (a scan of them all). */
static int definitions(bpmn_engine *e, int counts, char **json_out)
{
    if (!e || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    def_scan ds = {NULL, 0, 0};
    list_sink none = {NULL, NULL, NULL, 0, 0, 0, 0}; /* the rows collect into ds */
    int rc = scan(e, ST_DEFS, def_row, &ds, &none);
    if (rc == BPMN_OK && counts)
        rc = scan(e, ST_INSTANCES, count_row, &ds, &none);
    cJSON *arr = rc == BPMN_OK ? cJSON_CreateArray() : NULL;
    st_txn *t = NULL;
    if (arr && (rc = en_read_begin(e, &t)) == BPMN_OK) {
        e->txn = t;
        for (size_t i = 0; rc == BPMN_OK && i < ds.n; i++) {
            en_def *d = NULL;
            rc = en_def_get(e, ds.items[i].process, ds.items[i].version, &d);
            cJSON *o = rc == BPMN_OK ? cJSON_CreateObject() : NULL;
            if (rc == BPMN_OK &&
                (!o || !cJSON_AddItemToArray(arr, o) ||
                 !cJSON_AddStringToObject(o, "process", ds.items[i].process) ||
                 !cJSON_AddNumberToObject(o, "version", ds.items[i].version) ||
                 !en_json_str(o, "name", d->g->name) ||
                 (counts && !cJSON_AddNumberToObject(o, "active", ds.items[i].active))))
                rc = BPMN_ENOMEM;
        }
        e->txn = NULL;
        en_read_end(e, t);
    } else if (rc == BPMN_OK) {
        rc = BPMN_ENOMEM;
    }
    bm_free(e->a, ds.items);
    if (rc == BPMN_OK && !(*json_out = en_json_out(e, arr)))
        return en_status(e, BPMN_ENOMEM);
    if (rc != BPMN_OK)
        cJSON_Delete(arr);
    return en_status(e, rc);
}

int bpmn_definitions(bpmn_engine *e, char **json_out)
{
    return definitions(e, 1, json_out);
}

int bpmn_definition_list(bpmn_engine *e, char **json_out)
{
    return definitions(e, 0, json_out);
}
