/*
 * args.c - what every builtin function checks its arguments with: its name for messages, type
 * errors naming the argument, null passing through, whole numbers and 1-based slices.
 */
#include <math.h>

#include "expr/expr_int.h"

const char *xf_name(const ex_node *call)
{
    return call->fn->name;
}

int xf_bad_arg(ex_state *st, const ex_node *call, size_t i, const char *want, const xv *got)
{
    return xs_fail(st, "%s() expects %s as argument %zu, not %s", xf_name(call), want, i + 1,
                   xv_type_name(got));
}

/* Type checks: 1 when the argument is null (the caller returns null), -1 on error. */
int xf_need(ex_state *st, const ex_node *call, xv *a, size_t i, xv_kind k, const char *want)
{
    if (a[i].k == XV_NULL)
        return 1;
    if (a[i].k != k)
        return xf_bad_arg(st, call, i, want, &a[i]);
    return 0;
}

/* A whole number argument. */
int xf_whole_arg(ex_state *st, const ex_node *call, xv *a, size_t i, double *v)
{
    if (a[i].k != XV_NUM)
        return xf_bad_arg(st, call, i, "a number", &a[i]);
    if (a[i].u.n != floor(a[i].u.n))
        return xs_fail(st, "%s() expects a whole number as argument %zu", xf_name(call), i + 1);
    *v = a[i].u.n;
    return 0;
}

/* 1-based start (negative: from the end) and optional length over `count` items into
 * [from, from + take). */
int xf_slice(ex_state *st, const ex_node *call, xv *a, size_t n, size_t count, size_t *from,
                 size_t *take)
{
    double start = 0, len = (double)count;
    if (xf_whole_arg(st, call, a, 1, &start) || (n > 2 && xf_whole_arg(st, call, a, 2, &len)))
        return -1;
    if (start == 0)
        return xs_fail(st, "%s() positions start at 1 (or -1 from the end), not 0", xf_name(call));
    if (len < 0)
        return xs_fail(st, "%s() length must not be negative", xf_name(call));
    double f = start > 0 ? start - 1 : (double)count + start;
    if (f < 0)
        f = 0;
    if (f > (double)count)
        f = (double)count;
    double t = (double)count - f;
    if (len < t)
        t = len;
    *from = (size_t)f;
    *take = (size_t)t;
    return 0;
}
