/*
 * json.c - printing JSON so that it reads back exactly as it was. cJSON 1.7 prints a number
 * with 15 significant digits whenever those read back within a relative epsilon of it, so
 * 0.30000000000000004 comes out as 0.3: a variable stored and read back, or exported to history,
 * would change in its last bit. Every record and every output of the engine is printed here
 * instead, the same text cJSON_PrintUnformatted() gives except that a number takes 17 digits
 * whenever 15 do not read back as exactly the same double. Variables coming in are read here
 * too (en_json_vars): one object, finite numbers, and each key once.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"

typedef struct jbuf {
    char *p;
    size_t n, cap;
    int oom;
} jbuf;

static void put(jbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

/* Escaped as cJSON does: the two-character escapes, \u00XX for other control characters, every
 * other byte as it is (en_json_text deals with bytes that are not UTF-8). */
static void put_string(jbuf *b, const char *s)
{
    put(b, "\"", 1);
    const char *run = s ? s : "";
    for (const char *p = run; p && *p; p++) {
        unsigned char c = (unsigned char)*p;
        const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b"
                          : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t" : NULL;
        if (!esc && c >= 0x20)
            continue;
        put(b, run, (size_t)(p - run));
        char u[8];
        if (!esc) {
            snprintf(u, sizeof u, "\\u%04x", c);
            esc = u;
        }
        put(b, esc, strlen(esc));
        run = p + 1;
    }
    put(b, run, strlen(run));
    put(b, "\"", 1);
}

static void put_number(jbuf *b, double d)
{
    char s[32];
    if (!isfinite(d)) {
        snprintf(s, sizeof s, "null");
    } else {
        snprintf(s, sizeof s, "%1.15g", d);
        if (strtod(s, NULL) != d)
            snprintf(s, sizeof s, "%1.17g", d);
    }
    put(b, s, strlen(s));
}

static void put_value(jbuf *b, const cJSON *j)
{
    switch (j->type & 0xFF) {
    case cJSON_NULL:
        put(b, "null", 4);
        break;
    case cJSON_False:
        put(b, "false", 5);
        break;
    case cJSON_True:
        put(b, "true", 4);
        break;
    case cJSON_Number:
        put_number(b, j->valuedouble);
        break;
    case cJSON_String:
        put_string(b, j->valuestring);
        break;
    case cJSON_Raw:
        if (!j->valuestring)
            b->oom = 1;
        else
            put(b, j->valuestring, strlen(j->valuestring));
        break;
    case cJSON_Array:
    case cJSON_Object: {
        int obj = (j->type & 0xFF) == cJSON_Object;
        put(b, obj ? "{" : "[", 1);
        for (const cJSON *c = j->child; c && !b->oom; c = c->next) {
            if (obj) {
                put_string(b, c->string);
                put(b, ":", 1);
            }
            put_value(b, c);
            if (c->next)
                put(b, ",", 1);
        }
        put(b, obj ? "}" : "]", 1);
        break;
    }
    default:
        b->oom = 1; /* an invalid item: cJSON refuses to print it too */
    }
}

char *en_json_print(const cJSON *j)
{
    if (!j)
        return NULL;
    jbuf b = {NULL, 0, 0, 0};
    put_value(&b, j);
    char *out = b.oom ? NULL : cJSON_malloc(b.n + 1);
    if (out) {
        memcpy(out, b.p, b.n);
        out[b.n] = '\0';
    }
    free(b.p);
    return out;
}

int en_json_finite(const cJSON *j)
{
    if (cJSON_IsNumber(j) && !isfinite(j->valuedouble))
        return 0;
    for (const cJSON *c = j ? j->child : NULL; c; c = c->next)
        if (!en_json_finite(c))
            return 0;
    return 1;
}

int en_json_id(cJSON *o, const char *key, uint64_t id)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)id);
    return cJSON_AddStringToObject(o, key, buf) != NULL;
}

void en_iso_time(int64_t ms, char *buf, size_t cap)
{
    if (ms < -62135596800000LL || ms > 253402300799999LL)
        ms = 0; /* outside years 1..9999: not representable in ISO 8601 basic form */
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    int frac = (int)(ms % 1000);
    if (frac)
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    else
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A string member, or null when s is NULL. */
int en_json_str(cJSON *o, const char *key, const char *s)
{
    return s ? cJSON_AddStringToObject(o, key, s) != NULL : cJSON_AddNullToObject(o, key) != NULL;
}

int en_json_time(cJSON *o, const char *key, int64_t ms)
{
    char buf[64];
    en_iso_time(ms, buf, sizeof buf);
    return cJSON_AddStringToObject(o, key, buf) != NULL;
}

int en_json_list(cJSON *o, const char *key, const char *csv)
{
    cJSON *a = cJSON_AddArrayToObject(o, key);
    if (!a)
        return 0;
    while (csv && *csv) {
        const char *end = strchr(csv, ',');
        size_t n = end ? (size_t)(end - csv) : strlen(csv);
        while (n && *csv == ' ')
            csv++, n--;
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s", (int)(n < 255 ? n : 255), csv);
        cJSON *s = cJSON_CreateString(buf);
        if (!s || !cJSON_AddItemToArray(a, s))
            return 0;
        csv = end ? end + 1 : NULL;
    }
    return 1;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The members of one object compared by sorting their names: O(n log n), so that an object of a
 * hundred thousand variables costs no more to check than to parse. Small objects, the usual
 * case, are compared pairwise without allocating. */
static const char *object_dup(const bpmn_allocator *a, const cJSON *o, int *oom)
{
    size_t n = 0;
    for (const cJSON *c = o->child; c; c = c->next)
        n++;
    if (n < 2)
        return NULL;
    if (n <= 16) {
        for (const cJSON *c = o->child; c; c = c->next)
            for (const cJSON *d = c->next; d; d = d->next)
                if (c->string && d->string && strcmp(c->string, d->string) == 0)
                    return d->string;
        return NULL;
    }
    const char **k = bm_alloc(a, NULL, n * sizeof *k);
    if (!k) {
        *oom = 1;
        return NULL;
    }
    size_t m = 0;
    for (const cJSON *c = o->child; c; c = c->next)
        if (c->string)
            k[m++] = c->string;
    qsort(k, m, sizeof *k, key_cmp);
    const char *dup = NULL;
    for (size_t i = 1; i < m && !dup; i++)
        if (strcmp(k[i - 1], k[i]) == 0)
            dup = k[i];
    bm_free(a, k);
    return dup;
}

const char *en_json_dupkey(const bpmn_allocator *a, const cJSON *j, int *oom)
{
    *oom = 0;
    if (!j)
        return NULL;
    const char *dup = cJSON_IsObject(j) ? object_dup(a, j, oom) : NULL;
    for (const cJSON *c = j->child; c && !dup && !*oom; c = c->next)
        if (cJSON_IsObject(c) || cJSON_IsArray(c))
            dup = en_json_dupkey(a, c, oom);
    return dup;
}

int en_json_vars(bpmn_engine *e, const char *json, cJSON **out)
{
    *out = NULL;
    if (!json || !*json)
        return BPMN_OK;
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(json, &end, 1);
    if (!v)
        return en_fail(e, BPMN_EINVAL, "variables are not valid JSON (near offset %ld)",
                       end ? (long)(end - json) : 0L);
    int oom = 0;
    const char *dup = NULL;
    int rc = BPMN_OK;
    if (!cJSON_IsObject(v))
        rc = en_fail(e, BPMN_EINVAL, "variables must be a JSON object like {\"amount\": 120}");
    else if (!en_json_finite(v))
        rc = en_fail(e, BPMN_EINVAL, "a number in the variables is beyond the range of a double");
    else if ((dup = en_json_dupkey(e->a, v, &oom)) != NULL)
        rc = en_fail(e, BPMN_EINVAL, "the variables name the key \"%.200s\" twice in one object; "
                                     "each key may appear once", dup);
    else if (oom)
        rc = en_fail(e, BPMN_ENOMEM, "out of memory");
    if (rc != BPMN_OK) {
        cJSON_Delete(v);
        return rc;
    }
    *out = v;
    return BPMN_OK;
}
