/*
 * core.c - the engine handle: opening the store, the clock, ids, errors, the record codec and
 * the transaction discipline (one write transaction per operation, or the open batch).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"

const char *en_event_name(unsigned ev)
{
    static const char *const names[] = {
#define EN_EVENT_NAME_(e, s) s,
        EN_EVENT_MAP(EN_EVENT_NAME_)
#undef EN_EVENT_NAME_
    };
    return ev < EN_EV_COUNT ? names[ev] : "unknown";
}

/* A failure that came without a detailed message (out of memory, mostly) gets its status's
 * message: bpmn_engine_errmsg() is never empty after an error. */
int en_status(bpmn_engine *e, int rc)
{
    if (!e || rc == BPMN_OK || e->err[0])
        return rc;
    /* An I/O error comes from the store, which says which file and what failed. */
    const char *why = rc == BPMN_EIO && e->st ? st_errmsg(e->st) : "";
    return en_fail(e, rc, "%s", why[0] ? why : bpmn_strerror(rc));
}

int en_fail(bpmn_engine *e, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err, sizeof e->err, fmt, ap);
    va_end(ap);
    return rc;
}

static long long system_clock(void *ud)
{
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t en_now(bpmn_engine *e)
{
    return e->now_override >= 0 ? e->now_override : e->clock(e->clock_ud);
}

void bpmn_engine_set_now(bpmn_engine *e, long long now_ms)
{
    if (e)
        e->now_override = now_ms;
}

char *en_strdup(const bpmn_allocator *a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = bm_alloc(a, NULL, n);
    if (d)
        memcpy(d, s, n);
    return d;
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

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
                 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || len > n)
        return 0;
    uint32_t cp = len == 1 ? s[0] : len == 2 ? s[0] & 0x1Fu : len == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    return cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ? 0 : len;
}

char *en_json_text(bpmn_engine *e, const char *s)
{
    /* cJSON copies string bytes as they are; variables may hold bytes that are not UTF-8. Such
     * a byte can only sit inside a JSON string (the syntax itself is ASCII), so it is replaced
     * by the escape \ufffd and every output is valid UTF-8 and valid JSON. */
    size_t n = strlen(s), bad = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len((const unsigned char *)s + i, n - i);
        bad += !l;
        i += l ? l : 1;
    }
    char *d = bm_alloc(e->a, NULL, n + bad * 5 + 1);
    if (!d)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len((const unsigned char *)s + i, n - i);
        if (l) {
            memcpy(d + o, s + i, l);
            o += l;
            i += l;
        } else {
            memcpy(d + o, "\\ufffd", 6);
            o += 6;
            i++;
        }
    }
    d[o] = '\0';
    return d;
}

char *en_json_out(bpmn_engine *e, cJSON *j)
{
    char *s = j ? en_json_print(j) : NULL;
    cJSON_Delete(j);
    if (!s)
        return NULL;
    char *d = en_json_text(e, s);
    cJSON_free(s);
    return d;
}

/* ---- ids ---------------------------------------------------------------------------------- */

int en_next_id(bpmn_engine *e, const char *counter, uint64_t *out)
{
    if (e->next_id && strcmp(counter, "id") == 0) {
        unsigned long long id = e->next_id(e->ids_ud);
        if (!id)
            return en_fail(e, BPMN_EINVAL, "the id hook refused to give an id");
        *out = id;
        return BPMN_OK;
    }
    const void *v;
    size_t vl;
    uint64_t cur = 0;
    int rc = st_get(e->txn, ST_META, counter, strlen(counter), &v, &vl);
    if (rc == BPMN_OK && vl == 8)
        cur = st_rd64(v);
    else if (rc != BPMN_OK && rc != BPMN_ENOTFOUND)
        return rc;
    cur++;
    uint8_t b[8];
    st_be64(b, cur);
    rc = st_put(e->txn, ST_META, counter, strlen(counter), b, 8);
    if (rc == BPMN_OK)
        *out = cur;
    return rc;
}

int en_parse_id(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return BPMN_EINVAL;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
            return BPMN_EINVAL;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (!v)
        return BPMN_EINVAL;
    *out = v;
    return BPMN_OK;
}

/* ---- record codec ------------------------------------------------------------------------- */

static void buf_put(en_buf *b, const void *p, size_t n)
{
    if (b->oom)
        return;
    if (bm_grow(b->a, (void **)&b->p, &b->cap, b->n + n, 1) != 0) {
        b->oom = 1;
        return;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

void en_buf_u8(en_buf *b, uint8_t v)
{
    buf_put(b, &v, 1);
}

void en_buf_u32(en_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    buf_put(b, x, 4);
}

void en_buf_u64(en_buf *b, uint64_t v)
{
    uint8_t x[8];
    st_be64(x, v);
    buf_put(b, x, 8);
}

void en_buf_str(en_buf *b, const char *s)
{
    uint32_t n = s ? (uint32_t)strlen(s) : 0;
    en_buf_u32(b, n);
    if (n)
        buf_put(b, s, n);
}

void en_buf_free(en_buf *b)
{
    bm_free(b->a, b->p);
    b->p = NULL;
    b->n = b->cap = 0;
    b->oom = 0;
}

uint8_t en_rd_u8(en_rd *r)
{
    if (r->end - r->p < 1)
        return r->bad = 1, 0;
    return *r->p++;
}

uint32_t en_rd_u32(en_rd *r)
{
    if (r->end - r->p < 4)
        return r->bad = 1, 0;
    uint32_t v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
    r->p += 4;
    return v;
}

uint64_t en_rd_u64(en_rd *r)
{
    if (r->end - r->p < 8)
        return r->bad = 1, 0;
    uint64_t v = st_rd64(r->p);
    r->p += 8;
    return v;
}

const char *en_rd_str(en_rd *r, uint32_t *len)
{
    uint32_t n = en_rd_u32(r);
    if (r->bad || (size_t)(r->end - r->p) < n) {
        if (!r->bad) /* keeps EN_RD_OOM */
            r->bad = 1;
        *len = 0;
        return NULL;
    }
    const char *s = (const char *)r->p;
    r->p += n;
    *len = n;
    return n ? s : NULL;
}

char *en_rd_strdup(en_rd *r, const bpmn_allocator *a)
{
    uint32_t n;
    const char *s = en_rd_str(r, &n);
    if (!s)
        return NULL;
    char *d = bm_alloc(a, NULL, (size_t)n + 1);
    if (!d) {
        if (!r->bad)
            r->bad = EN_RD_OOM;
        return NULL;
    }
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ---- transactions ------------------------------------------------------------------------- */

typedef struct write_call {
    bpmn_engine *e;
    int (*fn)(bpmn_engine *e, void *ud);
    void *ud;
} write_call;

static int run_in_txn(st_txn *t, void *ud)
{
    write_call *w = ud;
    bpmn_engine *e = w->e;
    e->txn = t;
    e->hist.n = 0;
    e->hist.oom = 0;
    e->hist_rc = BPMN_OK;
    e->hist_count = 0;
    e->hist_instance = 0;
    int rc = w->fn(e, w->ud);
    if (rc == BPMN_OK)
        rc = en_hist_flush(e);
    e->txn = NULL;
    return rc;
}

/* A batch cannot grow the map: LMDB remaps only while no transaction is open, and the batch is
 * one. So a batch that ran out of room has been aborted; the map grows now, so that running the
 * batch again fits (else it would fail the same way every time until some other write grew it). */
static int batch_full(bpmn_engine *e)
{
    if (st_grow(e->st) != BPMN_OK)
        return en_fail(e, BPMN_EFULL, "the batch does not fit in the store's map, which cannot "
                                      "grow (map_max); it was aborted: commit smaller batches");
    return en_fail(e, BPMN_EFULL, "the batch ran out of room in the store's map and was aborted; "
                                  "the map has grown: run the batch again");
}

int en_write(bpmn_engine *e, int (*fn)(bpmn_engine *e, void *ud), void *ud)
{
    e->err[0] = '\0';
    e->hist.a = e->a;
    write_call w = {e, fn, ud};
    if (e->batch) {
        int rc = run_in_txn(e->batch, &w);
        if (rc != BPMN_OK) {
            st_abort(e->batch);
            e->batch = NULL;
            if (rc == ST_EMAPFULL)
                rc = batch_full(e);
            else if (!e->err[0])
                en_fail(e, rc, "%s (the batch was aborted)",
                        rc == BPMN_EIO && st_errmsg(e->st)[0] ? st_errmsg(e->st)
                                                              : bpmn_strerror(rc));
        }
        return rc;
    }
    int rc = st_run(e->st, run_in_txn, &w);
    if (rc == ST_EMAPFULL)
        rc = st_errmsg(e->st)[0] /* the file, and the limit it reached */
                 ? en_fail(e, BPMN_EFULL, "the store reached its size limit (%s)", st_errmsg(e->st))
                 : en_fail(e, BPMN_EFULL, "the store reached its size limit");
    return en_status(e, rc);
}

typedef struct answer_call {
    int (*fn)(bpmn_engine *e, void *ud);
    void *ud;
    char *(*answer)(bpmn_engine *e, void *ud);
    char *out;
} answer_call;

static int with_answer(bpmn_engine *e, void *ud)
{
    answer_call *c = ud;
    int rc = c->fn(e, c->ud);
    if (rc != BPMN_OK)
        return rc;
    bm_free(e->a, c->out); /* a run retried after the map grew answers again */
    c->out = c->answer(e, c->ud);
    return c->out ? BPMN_OK : BPMN_ENOMEM;
}

int en_write_answer(bpmn_engine *e, int (*fn)(bpmn_engine *e, void *ud), void *ud,
                    char *(*answer)(bpmn_engine *e, void *ud), char **json_out)
{
    answer_call c = {fn, ud, answer, NULL};
    int rc = en_write(e, with_answer, &c);
    if (rc != BPMN_OK) {
        bm_free(e->a, c.out);
        return rc;
    }
    *json_out = c.out;
    return BPMN_OK;
}

int en_read_begin(bpmn_engine *e, st_txn **t)
{
    e->err[0] = '\0';
    if (e->batch) {
        *t = e->batch;
        return BPMN_OK;
    }
    /* The store names why it cannot read: a handle inherited across fork(), no reader slot. */
    return en_status(e, st_begin(e->st, 0, t));
}

void en_read_end(bpmn_engine *e, st_txn *t)
{
    if (t && t != e->batch)
        st_abort(t);
}

int bpmn_batch_begin(bpmn_engine *e)
{
    if (!e)
        return BPMN_EINVAL;
    if (e->batch)
        return en_fail(e, BPMN_EBUSY, "a batch is already open");
    e->err[0] = '\0';
    return en_status(e, st_begin(e->st, 1, &e->batch));
}

int bpmn_batch_commit(bpmn_engine *e)
{
    if (!e)
        return BPMN_EINVAL;
    if (!e->batch)
        return en_fail(e, BPMN_EBUSY, "no batch is open");
    st_txn *t = e->batch;
    e->batch = NULL;
    int rc = st_commit(t);
    if (rc == ST_EMAPFULL)
        rc = batch_full(e);
    return en_status(e, rc);
}

void bpmn_batch_abort(bpmn_engine *e)
{
    if (e && e->batch) {
        st_abort(e->batch);
        e->batch = NULL;
    }
}

/* ---- in-process job handlers -------------------------------------------------------------- */

const en_handler *en_handler_for(const bpmn_engine *e, const char *type)
{
    for (size_t i = 0; i < e->nhandlers; i++)
        if (strcmp(e->handlers[i].type, type) == 0)
            return &e->handlers[i];
    return NULL;
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
    cJSON *v = cJSON_Parse(vars_json);
    if (!cJSON_IsObject(v) || !en_json_finite(v)) {
        cJSON_Delete(v);
        return BPMN_EINVAL;
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
