/*
 * expr_funcs_list.c - FEEL's list functions: min, max, sum, count and their kin (which take a
 * list or the values themselves), list contains, append, concatenate, reverse, index of,
 * distinct values, flatten, sublist, is empty. Each element touched costs a step.
 */
#include <math.h>
#include <string.h>

#include "expr/expr_int.h"

/* The list a function works on: min([1, 2]) and min(1, 2) alike. */
static int items(ex_state *st, xv *a, size_t n, xv *l)
{
    if (n == 1 && (xv_is_list(&a[0]) || a[0].k == XV_RANGE))
        return xs_listify(st, &a[0], l);
    l->k = XV_LIST;
    l->u.l.items = a;
    l->u.l.n = n;
    return 0;
}

static int extreme(ex_state *st, xv *a, size_t n, xv *out, int want)
{
    xv l;
    if (items(st, a, n, &l))
        return -1;
    out->k = XV_NULL;
    for (size_t i = 0; i < l.u.l.n; i++) {
        int c;
        const xv *e = &l.u.l.items[i];
        if (e->k == XV_NULL)
            continue;
        if (out->k == XV_NULL) {
            *out = *e;
            continue;
        }
        if (xs_compare(st, e, out, &c))
            return -1;
        if (c == want)
            *out = *e;
    }
    return 0;
}

EX_BUILTIN(xf_min) { (void)call; return extreme(st, a, n, out, -1); }
EX_BUILTIN(xf_max) { (void)call; return extreme(st, a, n, out, 1); }

/* sum, product and mean of numbers (null elements are an error: FEEL gives null). */
static int fold(ex_state *st, const ex_node *call, xv *a, size_t n, xv *out, int kind)
{
    xv l;
    if (items(st, a, n, &l))
        return -1;
    if (l.u.l.n == 0) {
        if (kind == 1)
            xv_set_num(out, 1);
        else if (kind == 0)
            xv_set_num(out, 0);
        else
            out->k = XV_NULL;
        return 0;
    }
    double acc = kind == 1 ? 1 : 0;
    for (size_t i = 0; i < l.u.l.n; i++) {
        const xv *e = &l.u.l.items[i];
        if (e->k != XV_NUM)
            return xs_fail(st, "%s() expects numbers, found %s", xf_name(call), xv_type_name(e));
        acc = kind == 1 ? acc * e->u.n : acc + e->u.n;
    }
    if (kind == 2)
        acc /= (double)l.u.l.n;
    return xs_num(st, acc, out);
}

EX_BUILTIN(xf_sum) { return fold(st, call, a, n, out, 0); }
EX_BUILTIN(xf_product) { return fold(st, call, a, n, out, 1); }
EX_BUILTIN(xf_mean) { return fold(st, call, a, n, out, 2); }

EX_BUILTIN(xf_count)
{
    (void)call;
    xv l;
    if (items(st, a, n, &l))
        return -1;
    xv_set_num(out, (double)l.u.l.n);
    return 0;
}

static int all_any(ex_state *st, const ex_node *call, xv *a, size_t n, xv *out, int all)
{
    xv l;
    int unknown = 0;
    if (items(st, a, n, &l))
        return -1;
    for (size_t i = 0; i < l.u.l.n; i++) {
        const xv *e = &l.u.l.items[i];
        if (e->k == XV_NULL) {
            unknown = 1;
            continue;
        }
        if (e->k != XV_BOOL)
            return xs_fail(st, "%s() expects booleans, found %s", xf_name(call), xv_type_name(e));
        if (e->u.b != all) {
            xv_set_bool(out, !all);
            return 0;
        }
    }
    if (unknown)
        out->k = XV_NULL;
    else
        xv_set_bool(out, all);
    return 0;
}

EX_BUILTIN(xf_all) { return all_any(st, call, a, n, out, 1); }
EX_BUILTIN(xf_any) { return all_any(st, call, a, n, out, 0); }

static int list_arg(ex_state *st, const ex_node *call, xv *a, size_t i, xv *l)
{
    if (!xv_is_list(&a[i]) && a[i].k != XV_RANGE)
        return xf_bad_arg(st, call, i, "a list", &a[i]);
    return xs_listify(st, &a[i], l);
}

static int make_list(ex_state *st, size_t n, xv *out)
{
    out->k = XV_LIST;
    out->u.l.n = 0;
    out->u.l.items = xs_alloc(st, (n ? n : 1) * sizeof(xv));
    return out->u.l.items ? xs_charge(st, (long)n) : -1;
}

EX_BUILTIN(xf_list_contains)
{
    (void)n;
    xv l;
    if (list_arg(st, call, a, 0, &l))
        return -1;
    for (size_t i = 0; i < l.u.l.n; i++) {
        int eq;
        if (xs_equal_loose(st, &l.u.l.items[i], &a[1], &eq))
            return -1;
        if (eq) {
            xv_set_bool(out, 1);
            return 0;
        }
    }
    xv_set_bool(out, 0);
    return 0;
}

EX_BUILTIN(xf_append)
{
    xv l;
    if (list_arg(st, call, a, 0, &l) || make_list(st, l.u.l.n + n - 1, out))
        return -1;
    memcpy(out->u.l.items, l.u.l.items, l.u.l.n * sizeof(xv));
    memcpy(out->u.l.items + l.u.l.n, a + 1, (n - 1) * sizeof(xv));
    out->u.l.n = l.u.l.n + n - 1;
    return 0;
}

EX_BUILTIN(xf_concatenate)
{
    xv *ls = xs_alloc(st, (n ? n : 1) * sizeof *ls);
    size_t total = 0;
    if (!ls)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (list_arg(st, call, a, i, &ls[i]))
            return -1;
        total += ls[i].u.l.n;
    }
    if (make_list(st, total, out))
        return -1;
    for (size_t i = 0; i < n; i++) {
        memcpy(out->u.l.items + out->u.l.n, ls[i].u.l.items, ls[i].u.l.n * sizeof(xv));
        out->u.l.n += ls[i].u.l.n;
    }
    return 0;
}

EX_BUILTIN(xf_reverse)
{
    (void)n;
    xv l;
    if (list_arg(st, call, a, 0, &l) || make_list(st, l.u.l.n, out))
        return -1;
    for (size_t i = 0; i < l.u.l.n; i++)
        out->u.l.items[i] = l.u.l.items[l.u.l.n - 1 - i];
    out->u.l.n = l.u.l.n;
    return 0;
}

EX_BUILTIN(xf_index_of)
{
    (void)n;
    xv l;
    if (list_arg(st, call, a, 0, &l) || make_list(st, l.u.l.n, out))
        return -1;
    for (size_t i = 0; i < l.u.l.n; i++) {
        int eq;
        if (xs_equal_loose(st, &l.u.l.items[i], &a[1], &eq))
            return -1;
        if (eq)
            xv_set_num(&out->u.l.items[out->u.l.n++], (double)(i + 1));
    }
    return 0;
}

EX_BUILTIN(xf_distinct_values)
{
    (void)n;
    xv l;
    if (list_arg(st, call, a, 0, &l) || make_list(st, l.u.l.n, out))
        return -1;
    for (size_t i = 0; i < l.u.l.n; i++) {
        int seen = 0;
        for (size_t k = 0; k < out->u.l.n && !seen; k++)
            if (xs_equal_loose(st, &out->u.l.items[k], &l.u.l.items[i], &seen))
                return -1;
        if (!seen)
            out->u.l.items[out->u.l.n++] = l.u.l.items[i];
    }
    return 0;
}

static int flatten_into(ex_state *st, const xv *l, xv *out, size_t *cap, int depth)
{
    if (depth > EX_MAX_DEPTH * 2)
        return xs_fail(st, "value nested too deeply");
    for (size_t i = 0; i < l->u.l.n; i++) {
        const xv *e = &l->u.l.items[i];
        if (xv_is_list(e)) {
            xv sub;
            if (xs_listify(st, e, &sub) || flatten_into(st, &sub, out, cap, depth + 1))
                return -1;
            continue;
        }
        if (out->u.l.n == *cap) {
            size_t nc = *cap * 2;
            xv *ni = xs_alloc(st, nc * sizeof *ni);
            if (!ni)
                return -1;
            memcpy(ni, out->u.l.items, out->u.l.n * sizeof *ni);
            out->u.l.items = ni;
            *cap = nc;
        }
        out->u.l.items[out->u.l.n++] = *e;
    }
    return 0;
}

EX_BUILTIN(xf_flatten)
{
    (void)n;
    xv l;
    size_t cap = 8;
    if (list_arg(st, call, a, 0, &l) || make_list(st, cap, out))
        return -1;
    return flatten_into(st, &l, out, &cap, 0);
}

EX_BUILTIN(xf_sublist)
{
    xv l;
    size_t from, take;
    if (list_arg(st, call, a, 0, &l) || xf_slice(st, call, a, n, l.u.l.n, &from, &take))
        return -1;
    out->k = XV_LIST;
    out->u.l.items = l.u.l.items + from;
    out->u.l.n = take;
    return 0;
}

EX_BUILTIN(xf_is_empty)
{
    (void)n;
    xv l;
    if (list_arg(st, call, a, 0, &l))
        return -1;
    xv_set_bool(out, l.u.l.n == 0);
    return 0;
}

