/*
 * core.c - what every engine file stands on: errors on the handle, the clock, ids, JSON text that
 * is always valid UTF-8, the record codec, and the lookup of in-process job handlers. Opening
 * and closing the handle is ops/engine.c; transactions are txn.c.
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

int64_t en_now(bpmn_engine *e)
{
    return e->now_override >= 0 ? e->now_override : e->clock(e->clock_ud);
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

/* ---- in-process job handlers -------------------------------------------------------------- */

const en_handler *en_handler_for(const bpmn_engine *e, const char *type)
{
    for (size_t i = 0; i < e->nhandlers; i++)
        if (strcmp(e->handlers[i].type, type) == 0)
            return &e->handlers[i];
    return NULL;
}
