/*
 * value.c - the values of an evaluation: reading them from cJSON variables and writing them
 * back, their text, comparison, equality and arithmetic. Values live in an arena that exists for
 * one evaluation; arrays and objects of variables are borrowed, not copied, until an operation
 * has to build something new.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

const char *xv_type_name(const xv *v)
{
    switch (v->k) {
    case XV_NULL: return "null";
    case XV_BOOL: return "boolean";
    case XV_NUM: return "number";
    case XV_STR: return "string";
    case XV_LIST: return "list";
    case XV_CTX: return "context";
    case XV_JSON: return cJSON_IsArray(v->u.j) ? "list" : "context";
    case XV_DATE: return "date";
    case XV_DT: return "date and time";
    case XV_DUR_DT: return "days and time duration";
    case XV_DUR_YM: return "years and months duration";
    case XV_RANGE: return "range";
    }
    return "value";
}

int xs_from_json(ex_state *st, const cJSON *j, xv *v)
{
    if (cJSON_IsNull(j)) {
        v->k = XV_NULL;
    } else if (cJSON_IsBool(j)) {
        v->k = XV_BOOL;
        v->u.b = cJSON_IsTrue(j);
    } else if (cJSON_IsNumber(j)) {
        if (!isfinite(j->valuedouble))
            return xs_fail(st, "a variable holds a number that is not finite");
        v->k = XV_NUM;
        v->u.n = j->valuedouble;
    } else if (cJSON_IsString(j) && j->valuestring) {
        v->k = XV_STR;
        v->u.s.p = j->valuestring;
        v->u.s.len = strlen(j->valuestring);
        if (xs_charge(st, (long)(v->u.s.len / 256))) /* strlen is a walk too */
            return -1;
    } else if (cJSON_IsArray(j) || cJSON_IsObject(j)) {
        v->k = XV_JSON;
        v->u.j = j;
    } else {
        return xs_fail(st, "a variable holds a value that is not JSON data");
    }
    return 0;
}

int xv_is_list(const xv *v)
{
    return v->k == XV_LIST || (v->k == XV_JSON && cJSON_IsArray(v->u.j));
}

int xv_is_ctx(const xv *v)
{
    return v->k == XV_CTX || (v->k == XV_JSON && cJSON_IsObject(v->u.j));
}

size_t xv_list_len(const xv *v)
{
    if (v->k == XV_LIST)
        return v->u.l.n;
    size_t n = 0;
    for (const cJSON *c = v->u.j->child; c; c = c->next)
        n++;
    return n;
}

int xs_list_get(ex_state *st, const xv *v, size_t i, xv *out)
{
    if (v->k == XV_LIST) {
        *out = v->u.l.items[i];
        return 0;
    }
    const cJSON *c = v->u.j->child;
    while (i-- && c)
        c = c->next;
    if (!c)
        return xs_fail(st, "list index out of range");
    return xs_from_json(st, c, out);
}

int xs_ctx_get(ex_state *st, const xv *v, const char *key, xv *out, int *found)
{
    *found = 0;
    out->k = XV_NULL;
    if (v->k == XV_CTX) {
        for (size_t i = 0; i < v->u.c.n; i++)
            if (strcmp(v->u.c.keys[i], key) == 0) {
                *found = 1;
                *out = v->u.c.vals[i];
                return 0;
            }
        return 0;
    }
    long scanned = 0;
    for (const cJSON *c = v->u.j->child; c; c = c->next, scanned++)
        if (c->string && strcmp(c->string, key) == 0) {
            *found = 1;
            return xs_charge(st, scanned / 16) ? -1 : xs_from_json(st, c, out);
        }
    return xs_charge(st, scanned / 16);
}

int xs_str(ex_state *st, const char *p, size_t len, xv *out)
{
    char *d = xs_alloc(st, len + 1);
    if (!d)
        return -1;
    memcpy(d, p, len);
    d[len] = '\0';
    out->k = XV_STR;
    out->u.s.p = d;
    out->u.s.len = len;
    return 0;
}

/* Shortest text that reads back as d: integers without ".0", no exponent below 1e21. */
static size_t fmt_num(double d, char *buf)
{
    if (d == floor(d) && fabs(d) < 1e21)
        return (size_t)sprintf(buf, "%.0f", d == 0 ? 0.0 : d);
    int n = sprintf(buf, "%.15g", d);
    if (strtod(buf, NULL) != d)
        n = sprintf(buf, "%.17g", d);
    return (size_t)n;
}

/* --- conversion to cJSON --- */

static cJSON *to_json_rec(ex_state *st, const xv *v, int depth);

static cJSON *text_json(ex_state *st, const char *p, size_t len)
{
    char *d = xs_alloc(st, len + 1);
    if (!d)
        return NULL;
    memcpy(d, p, len);
    d[len] = '\0';
    cJSON *j = cJSON_CreateString(d);
    if (!j)
        xs_nomem(st);
    return j;
}

/* A variable built by the embedding program (not parsed) could hold NaN or an infinity; such a
 * number must not leave through a result. */
static int all_finite(const cJSON *j, int depth)
{
    if (depth > 10000)
        return 0;
    if (cJSON_IsNumber(j) && !isfinite(j->valuedouble))
        return 0;
    for (const cJSON *c = j->child; c; c = c->next)
        if (!all_finite(c, depth + 1))
            return 0;
    return 1;
}

static cJSON *to_json_rec(ex_state *st, const xv *v, int depth)
{
    cJSON *j = NULL;
    char buf[64];
    if (depth > EX_MAX_DEPTH * 2) {
        xs_fail(st, "value nested too deeply");
        return NULL;
    }
    switch (v->k) {
    case XV_NULL: j = cJSON_CreateNull(); break;
    case XV_BOOL: j = cJSON_CreateBool(v->u.b); break;
    case XV_NUM: j = cJSON_CreateNumber(v->u.n); break;
    case XV_STR: return text_json(st, v->u.s.p, v->u.s.len);
    case XV_JSON:
        if (!all_finite(v->u.j, 0)) {
            xs_fail(st, "a variable holds a number that is not finite");
            return NULL;
        }
        j = cJSON_Duplicate(v->u.j, 1);
        break;
    case XV_DATE:
    case XV_DT:
    case XV_DUR_DT:
    case XV_DUR_YM: return text_json(st, buf, xt_format(v, buf));
    case XV_RANGE:
        xs_fail(st, "a range is not a value; test it with 'in'");
        return NULL;
    case XV_LIST:
        j = cJSON_CreateArray();
        for (size_t i = 0; j && i < v->u.l.n; i++) {
            cJSON *c = to_json_rec(st, &v->u.l.items[i], depth + 1);
            if (!c) {
                cJSON_Delete(j);
                return NULL;
            }
            cJSON_AddItemToArray(j, c);
        }
        break;
    case XV_CTX:
        j = cJSON_CreateObject();
        for (size_t i = 0; j && i < v->u.c.n; i++) {
            cJSON *c = to_json_rec(st, &v->u.c.vals[i], depth + 1);
            if (!c) {
                cJSON_Delete(j);
                return NULL;
            }
            cJSON_AddItemToObject(j, v->u.c.keys[i], c);
        }
        break;
    }
    if (!j)
        xs_nomem(st);
    return j;
}

cJSON *xs_to_json(ex_state *st, const xv *v)
{
    return to_json_rec(st, v, 0);
}

int xs_to_text(ex_state *st, const xv *v, xv *out)
{
    char buf[64];
    switch (v->k) {
    case XV_STR: *out = *v; return 0;
    case XV_NULL: return xs_str(st, "null", 4, out);
    case XV_BOOL: return v->u.b ? xs_str(st, "true", 4, out) : xs_str(st, "false", 5, out);
    case XV_NUM: return xs_str(st, buf, fmt_num(v->u.n, buf), out);
    case XV_DATE:
    case XV_DT:
    case XV_DUR_DT:
    case XV_DUR_YM: return xs_str(st, buf, xt_format(v, buf), out);
    default: break;
    }
    cJSON *j = xs_to_json(st, v);
    if (!j)
        return -1;
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!s)
        return xs_nomem(st);
    size_t len = strlen(s);
    int rc = xs_charge(st, (long)(len / 64)) ? -1 : xs_str(st, s, len, out);
    free(s); /* cJSON's default allocator: the library never changes cJSON's hooks */
    return rc;
}

/* --- comparison --- */

static int is_datelike(const xv *v)
{
    return v->k == XV_DATE || v->k == XV_DT;
}

static int64_t ms_of(const xv *v)
{
    return v->k == XV_DATE ? v->u.t * XT_MS_PER_DAY : v->u.t;
}

int xs_compare(ex_state *st, const xv *a, const xv *b, int *cmp)
{
    if (a->k == XV_NUM && b->k == XV_NUM) {
        *cmp = (a->u.n > b->u.n) - (a->u.n < b->u.n);
        return 0;
    }
    if (a->k == XV_STR && b->k == XV_STR) {
        size_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
        int c = memcmp(a->u.s.p, b->u.s.p, n);
        *cmp = c ? (c > 0) - (c < 0) : (a->u.s.len > b->u.s.len) - (a->u.s.len < b->u.s.len);
        return xs_charge(st, (long)(n / 256));
    }
    if (is_datelike(a) && is_datelike(b)) {
        int64_t x = ms_of(a), y = ms_of(b);
        *cmp = (x > y) - (x < y);
        return 0;
    }
    if ((a->k == XV_DUR_DT || a->k == XV_DUR_YM) && a->k == b->k) {
        *cmp = (a->u.t > b->u.t) - (a->u.t < b->u.t);
        return 0;
    }
    return xs_fail(st, "cannot compare %s with %s", xv_type_name(a), xv_type_name(b));
}

/* Deep equality. strict: values of different types are an error (the = operator); otherwise
 * they are simply unequal (elements of lists, membership tests). */
static int equal(ex_state *st, const xv *a, const xv *b, int strict, int depth, int *eq)
{
    *eq = 0;
    if (xs_charge(st, 1))
        return -1;
    if (depth > EX_MAX_DEPTH * 2)
        return xs_fail(st, "value nested too deeply");
    if (a->k == XV_NULL || b->k == XV_NULL) {
        *eq = a->k == b->k;
        return 0;
    }
    if (a->k == XV_BOOL && b->k == XV_BOOL) {
        *eq = !a->u.b == !b->u.b;
        return 0;
    }
    if (xv_is_list(a) && xv_is_list(b)) {
        xv la, lb;
        size_t n = xv_list_len(a);
        if (xs_charge(st, (long)(n / 16)) || n != xv_list_len(b))
            return 0;
        if (xs_listify(st, a, &la) || xs_listify(st, b, &lb))
            return -1;
        for (size_t i = 0; i < la.u.l.n; i++) {
            int e;
            if (equal(st, &la.u.l.items[i], &lb.u.l.items[i], 0, depth + 1, &e))
                return -1;
            if (!e)
                return 0;
        }
        *eq = 1;
        return 0;
    }
    if (xv_is_ctx(a) && xv_is_ctx(b)) {
        size_t na = a->k == XV_CTX ? a->u.c.n : (size_t)cJSON_GetArraySize(a->u.j);
        size_t nb = b->k == XV_CTX ? b->u.c.n : (size_t)cJSON_GetArraySize(b->u.j);
        if (na != nb)
            return 0;
        /* each key is looked up in b by a linear search: charge for it */
        if (xs_charge(st, (long)(na / 16 * (na / 16))))
            return -1;
        const cJSON *c = a->k == XV_JSON ? a->u.j->child : NULL;
        for (size_t i = 0; i < na; i++) {
            const char *key;
            xv x, y;
            if (a->k == XV_CTX) {
                key = a->u.c.keys[i];
                x = a->u.c.vals[i];
            } else {
                if (!c)
                    return 0;
                key = c->string ? c->string : "";
                if (xs_from_json(st, c, &x))
                    return -1;
                c = c->next;
            }
            int found, e;
            if (xs_ctx_get(st, b, key, &y, &found))
                return -1;
            if (!found)
                return 0;
            if (equal(st, &x, &y, 0, depth + 1, &e))
                return -1;
            if (!e)
                return 0;
        }
        *eq = 1;
        return 0;
    }
    if (a->k == XV_RANGE && b->k == XV_RANGE) {
        int e1, e2;
        if (equal(st, &a->u.r->lo, &b->u.r->lo, 0, depth + 1, &e1) ||
            equal(st, &a->u.r->hi, &b->u.r->hi, 0, depth + 1, &e2))
            return -1;
        *eq = e1 && e2 && a->u.r->lo_closed == b->u.r->lo_closed &&
              a->u.r->hi_closed == b->u.r->hi_closed;
        return 0;
    }
    int comparable = (a->k == b->k && a->k != XV_LIST && a->k != XV_CTX && a->k != XV_JSON) ||
                     (is_datelike(a) && is_datelike(b));
    if (!comparable) {
        if (strict)
            return xs_fail(st, "cannot compare %s with %s", xv_type_name(a), xv_type_name(b));
        return 0;
    }
    int c;
    if (xs_compare(st, a, b, &c))
        return -1;
    *eq = c == 0;
    return 0;
}

int xs_equal(ex_state *st, const xv *a, const xv *b, int *eq)
{
    return equal(st, a, b, 1, 0, eq);
}

int xs_equal_loose(ex_state *st, const xv *a, const xv *b, int *eq)
{
    return equal(st, a, b, 0, 0, eq);
}

/* --- arithmetic --- */

static int concat(ex_state *st, const xv *a, const xv *b, xv *out)
{
    size_t n = a->u.s.len + b->u.s.len;
    if (xs_charge(st, (long)(n / 64)))
        return -1;
    char *d = xs_alloc(st, n + 1);
    if (!d)
        return -1;
    memcpy(d, a->u.s.p, a->u.s.len);
    memcpy(d + a->u.s.len, b->u.s.p, b->u.s.len);
    d[n] = '\0';
    out->k = XV_STR;
    out->u.s.p = d;
    out->u.s.len = n;
    return 0;
}

int xs_arith(ex_state *st, ex_op op, const xv *a, const xv *b, xv *out)
{
    if (a->k == XV_NULL || b->k == XV_NULL) {
        out->k = XV_NULL; /* FEEL: arithmetic with null is null */
        return 0;
    }
    if (a->k == XV_NUM && b->k == XV_NUM) {
        double x = a->u.n, y = b->u.n;
        switch (op) {
        case OP_ADD: return xs_num(st, x + y, out);
        case OP_SUB: return xs_num(st, x - y, out);
        case OP_MUL: return xs_num(st, x * y, out);
        case OP_DIV:
            if (y == 0)
                return xs_fail(st, "division by zero");
            return xs_num(st, x / y, out);
        case OP_MOD:
            if (y == 0)
                return xs_fail(st, "division by zero");
            return xs_num(st, fmod(x, y), out);
        case OP_POW:
            if (x == 0 && y < 0)
                return xs_fail(st, "division by zero");
            return xs_num(st, pow(x, y), out);
        default: break;
        }
    }
    if (op == OP_ADD && a->k == XV_STR && b->k == XV_STR)
        return concat(st, a, b, out);
    int handled;
    int rc = xt_arith(st, op, a, b, out, &handled);
    if (handled || rc)
        return rc;
    const char *ta = xv_type_name(a), *tb = xv_type_name(b);
    switch (op) {
    case OP_ADD: return xs_fail(st, "cannot add %s and %s", ta, tb);
    case OP_SUB: return xs_fail(st, "cannot subtract %s from %s", tb, ta);
    case OP_MUL: return xs_fail(st, "cannot multiply %s by %s", ta, tb);
    case OP_DIV: return xs_fail(st, "cannot divide %s by %s", ta, tb);
    case OP_MOD: return xs_fail(st, "cannot take the remainder of %s by %s", ta, tb);
    default: return xs_fail(st, "cannot raise %s to the power of %s", ta, tb);
    }
}

/* --- sequences --- */

/* The integers of a range such as 1..3, for "for i in 1..3" and the list functions. */
static int range_list(ex_state *st, const xv *v, xv *out)
{
    const xrange *r = v->u.r;
    if (r->lo.k != XV_NUM || r->hi.k != XV_NUM || r->lo.u.n != floor(r->lo.u.n) ||
        r->hi.u.n != floor(r->hi.u.n))
        return xs_fail(st, "only a range of whole numbers can be used as a list");
    double lo = r->lo.u.n, hi = r->hi.u.n, s = lo <= hi ? 1 : -1;
    if (!r->lo_closed)
        lo += s;
    if (!r->hi_closed)
        hi -= s;
    double count = (hi - lo) * s + 1;
    if (count > (double)xs_max_steps(st))
        return xs_fail(st, "evaluation took more than %ld steps", xs_max_steps(st));
    size_t n = count > 0 ? (size_t)count : 0;
    if (xs_charge(st, (long)n))
        return -1;
    xv *items = xs_alloc(st, (n ? n : 1) * sizeof *items);
    if (!items)
        return -1;
    for (size_t i = 0; i < n; i++) {
        items[i].k = XV_NUM;
        items[i].u.n = lo + s * (double)i;
    }
    out->k = XV_LIST;
    out->u.l.items = items;
    out->u.l.n = n;
    return 0;
}

int xs_listify(ex_state *st, const xv *v, xv *out)
{
    if (v->k == XV_LIST) {
        *out = *v;
        return 0;
    }
    if (v->k == XV_RANGE)
        return range_list(st, v, out);
    size_t n = xv_is_list(v) ? xv_list_len(v) : 1;
    if (xs_charge(st, (long)n))
        return -1;
    xv *items = xs_alloc(st, (n ? n : 1) * sizeof *items);
    if (!items)
        return -1;
    if (xv_is_list(v)) {
        size_t i = 0;
        for (const cJSON *c = v->u.j->child; c && i < n; c = c->next, i++)
            if (xs_from_json(st, c, &items[i]))
                return -1;
    } else {
        items[0] = *v; /* FEEL: a single value where a list is expected is a list of one */
    }
    out->k = XV_LIST;
    out->u.l.items = items;
    out->u.l.n = n;
    return 0;
}
