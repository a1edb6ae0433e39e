/*
 * funcs.c - the FEEL builtin functions the runtime offers: strings, numbers, lists, a
 * context accessor, and dates, times and durations. Argument counts are checked by the compiler
 * against this table; types are checked here at run time. A null argument where a value is
 * needed gives null, as FEEL does; an argument of the wrong type is an error naming the
 * function. String positions count Unicode code points, not bytes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

#define FN(name) static EX_BUILTIN(name)

/* --- strings --- */

static size_t cp_count(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

/* Byte offset of code point k (k <= count). */
static size_t cp_offset(const char *s, size_t len, size_t k)
{
    size_t i = 0;
    while (i < len && k) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        k--;
    }
    return i;
}

FN(f_string_length)
{
    (void)n;
    NEED(0, XV_STR, "a string");
    xv_set_num(out, (double)cp_count(a[0].u.s.p, a[0].u.s.len));
    return xs_charge(st, (long)(a[0].u.s.len / 64));
}

static int change_case(ex_state *st, const ex_node *call, xv *a, xv *out, int upper)
{
    NEED(0, XV_STR, "a string");
    if (xs_charge(st, (long)(a[0].u.s.len / 64)) || xs_str(st, a[0].u.s.p, a[0].u.s.len, out))
        return -1;
    char *d = (char *)out->u.s.p;
    for (size_t i = 0; i < out->u.s.len; i++) /* ASCII only: no locale is consulted */
        if (upper && d[i] >= 'a' && d[i] <= 'z')
            d[i] = (char)(d[i] - 'a' + 'A');
        else if (!upper && d[i] >= 'A' && d[i] <= 'Z')
            d[i] = (char)(d[i] - 'A' + 'a');
    return 0;
}

FN(f_upper_case)
{
    (void)n;
    return change_case(st, call, a, out, 1);
}

FN(f_lower_case)
{
    (void)n;
    return change_case(st, call, a, out, 0);
}

FN(f_substring)
{
    NEED(0, XV_STR, "a string");
    const char *s = a[0].u.s.p;
    size_t len = a[0].u.s.len, from, take;
    if (xs_charge(st, (long)(len / 64)) ||
        xf_slice(st, call, a, n, cp_count(s, len), &from, &take))
        return -1;
    size_t b0 = cp_offset(s, len, from);
    size_t b1 = b0 + cp_offset(s + b0, len - b0, take);
    out->k = XV_STR;
    out->u.s.p = s + b0;
    out->u.s.len = b1 - b0;
    return 0;
}

/* Byte position of needle in hay, or -1. */
static long find(const xv *hay, const xv *needle)
{
    if (needle->u.s.len > hay->u.s.len)
        return -1;
    for (size_t i = 0; i + needle->u.s.len <= hay->u.s.len; i++)
        if (memcmp(hay->u.s.p + i, needle->u.s.p, needle->u.s.len) == 0)
            return (long)i;
    return -1;
}

static int two_strings(ex_state *st, const ex_node *call, xv *a, xv *out)
{
    NEED(0, XV_STR, "a string");
    NEED(1, XV_STR, "a string");
    /* the naive search is quadratic at worst: charge for it */
    double cost = (double)a[0].u.s.len * ((double)a[1].u.s.len + 1) / 256.0;
    long max = xs_max_steps(st);
    return xs_charge(st, cost > (double)max ? max + 1 : (long)cost) ? -1 : 1;
}

FN(f_contains)
{
    (void)n;
    int rc = two_strings(st, call, a, out);
    if (rc == 1)
        xv_set_bool(out, find(&a[0], &a[1]) >= 0);
    return rc < 0 ? -1 : 0;
}

FN(f_starts_with)
{
    (void)n;
    int rc = two_strings(st, call, a, out);
    if (rc == 1)
        xv_set_bool(out, a[1].u.s.len <= a[0].u.s.len &&
                          memcmp(a[0].u.s.p, a[1].u.s.p, a[1].u.s.len) == 0);
    return rc < 0 ? -1 : 0;
}

FN(f_ends_with)
{
    (void)n;
    int rc = two_strings(st, call, a, out);
    if (rc == 1)
        xv_set_bool(out, a[1].u.s.len <= a[0].u.s.len &&
                          memcmp(a[0].u.s.p + a[0].u.s.len - a[1].u.s.len, a[1].u.s.p,
                                 a[1].u.s.len) == 0);
    return rc < 0 ? -1 : 0;
}

FN(f_substring_before)
{
    (void)n;
    int rc = two_strings(st, call, a, out);
    if (rc == 1) {
        long at = find(&a[0], &a[1]);
        out->k = XV_STR;
        out->u.s.p = a[0].u.s.p;
        out->u.s.len = at < 0 ? 0 : (size_t)at;
    }
    return rc < 0 ? -1 : 0;
}

FN(f_substring_after)
{
    (void)n;
    int rc = two_strings(st, call, a, out);
    if (rc == 1) {
        long at = find(&a[0], &a[1]);
        out->k = XV_STR;
        out->u.s.p = at < 0 ? "" : a[0].u.s.p + at + a[1].u.s.len;
        out->u.s.len = at < 0 ? 0 : a[0].u.s.len - (size_t)at - a[1].u.s.len;
    }
    return rc < 0 ? -1 : 0;
}

FN(f_string)
{
    (void)call;
    (void)n;
    if (a[0].k == XV_NULL) {
        out->k = XV_NULL;
        return 0;
    }
    return xs_to_text(st, &a[0], out);
}

FN(f_number)
{
    (void)n;
    if (a[0].k == XV_NUM) {
        *out = a[0];
        return 0;
    }
    NEED(0, XV_STR, "a string");
    size_t len = a[0].u.s.len;
    char *buf = xs_alloc(st, len + 1); /* the text may be a slice: strtod needs its end */
    if (!buf || xs_charge(st, (long)(len / 64)))
        return -1;
    memcpy(buf, a[0].u.s.p, len);
    buf[len] = '\0';
    /* decimal notation only: no hex, inf or nan, no surrounding space */
    int ok = len && strspn(buf, "+-0123456789.eE") == len;
    char *end = buf;
    double d = ok ? strtod(buf, &end) : 0;
    if (!ok || end != buf + len || !isfinite(d))
        return xs_fail(st, "number(): \"%.*s\" is not a number", (int)(len < 40 ? len : 40),
                       a[0].u.s.p);
    xv_set_num(out, d);
    return 0;
}

/* string join(list[, delimiter]): null elements are skipped. */
FN(f_string_join)
{
    xv l;
    if (a[0].k == XV_NULL) {
        out->k = XV_NULL;
        return 0;
    }
    if (n > 1)
        NEED(1, XV_STR, "a string");
    if (xs_listify(st, &a[0], &l))
        return -1;
    size_t total = 0, dl = n > 1 ? a[1].u.s.len : 0;
    for (size_t i = 0; i < l.u.l.n; i++) {
        const xv *e = &l.u.l.items[i];
        if (e->k != XV_STR && e->k != XV_NULL)
            return xs_fail(st, "string join() expects a list of strings, found %s",
                           xv_type_name(e));
        total += (e->k == XV_STR ? e->u.s.len : 0) + dl;
    }
    if (xs_charge(st, (long)(total / 64)))
        return -1;
    char *d = xs_alloc(st, total + 1);
    if (!d)
        return -1;
    size_t k = 0, first = 1;
    for (size_t i = 0; i < l.u.l.n; i++) {
        const xv *e = &l.u.l.items[i];
        if (e->k != XV_STR)
            continue;
        if (!first && dl) {
            memcpy(d + k, a[1].u.s.p, dl);
            k += dl;
        }
        memcpy(d + k, e->u.s.p, e->u.s.len);
        k += e->u.s.len;
        first = 0;
    }
    d[k] = '\0';
    out->k = XV_STR;
    out->u.s.p = d;
    out->u.s.len = k;
    return 0;
}

/* --- numbers --- */

FN(f_abs)
{
    (void)n;
    if (a[0].k == XV_DUR_DT || a[0].k == XV_DUR_YM) {
        *out = a[0];
        out->u.t = a[0].u.t < 0 ? -a[0].u.t : a[0].u.t;
        return 0;
    }
    NEED(0, XV_NUM, "a number");
    xv_set_num(out, fabs(a[0].u.n));
    return 0;
}

enum { R_HALF_EVEN, R_HALF_UP, R_HALF_DOWN, R_UP, R_DOWN, R_FLOOR, R_CEILING };

/* Rounds to `scale` decimal places. The scaled value is first cut to 15 significant digits so
 * that 2.675 (really 2.67499999...) rounds as the decimal it was written as. */
static int round_to(ex_state *st, const ex_node *call, xv *a, size_t n, int mode, xv *out)
{
    NEED(0, XV_NUM, "a number");
    double scale = 0;
    if (n > 1) {
        if (a[1].k == XV_NULL) {
            out->k = XV_NULL;
            return 0;
        }
        if (xf_whole_arg(st, call, a, 1, &scale))
            return -1;
        if (scale < -20 || scale > 20)
            return xs_fail(st, "%s() scale must be between -20 and 20", xf_name(call));
    }
    double p = pow(10, scale), x = a[0].u.n * p, r;
    xv norm;
    if (xs_num(st, x, &norm))
        return -1;
    x = norm.u.n;
    double fl = floor(x), frac = x - fl;
    switch (mode) {
    case R_HALF_EVEN: r = frac > 0.5 ? fl + 1 : frac < 0.5 ? fl : fmod(fl, 2) == 0 ? fl : fl + 1;
        break;
    case R_HALF_UP: r = x < 0 ? -floor(-x + 0.5) : floor(x + 0.5); break;
    case R_HALF_DOWN: r = x < 0 ? -ceil(-x - 0.5) : ceil(x - 0.5); break;
    case R_UP: r = x < 0 ? floor(x) : ceil(x); break;
    case R_DOWN: r = trunc(x); break;
    case R_FLOOR: r = fl; break;
    default: r = ceil(x); break;
    }
    return xs_num(st, r / p, out);
}

FN(f_decimal) { return round_to(st, call, a, n, R_HALF_EVEN, out); }
FN(f_round_half_up) { return round_to(st, call, a, n, R_HALF_UP, out); }
FN(f_round_half_down) { return round_to(st, call, a, n, R_HALF_DOWN, out); }
FN(f_round_up) { return round_to(st, call, a, n, R_UP, out); }
FN(f_round_down) { return round_to(st, call, a, n, R_DOWN, out); }
FN(f_floor) { return round_to(st, call, a, n, R_FLOOR, out); }
FN(f_ceiling) { return round_to(st, call, a, n, R_CEILING, out); }

FN(f_modulo)
{
    (void)n;
    NEED(0, XV_NUM, "a number");
    NEED(1, XV_NUM, "a number");
    if (a[1].u.n == 0)
        return xs_fail(st, "division by zero");
    /* FEEL's modulo takes the sign of the divisor */
    return xs_num(st, a[0].u.n - a[1].u.n * floor(a[0].u.n / a[1].u.n), out);
}

FN(f_sqrt)
{
    (void)n;
    NEED(0, XV_NUM, "a number");
    if (a[0].u.n < 0)
        return xs_fail(st, "sqrt() of a negative number");
    return xs_num(st, sqrt(a[0].u.n), out);
}

static int parity(ex_state *st, const ex_node *call, xv *a, xv *out, int want_odd)
{
    double v = 0;
    NEED(0, XV_NUM, "a number");
    if (xf_whole_arg(st, call, a, 0, &v))
        return -1;
    xv_set_bool(out, (fmod(fabs(v), 2) == 1) == want_odd);
    return 0;
}

FN(f_odd) { (void)n; return parity(st, call, a, out, 1); }
FN(f_even) { (void)n; return parity(st, call, a, out, 0); }

/* --- contexts --- */

FN(f_get_value)
{
    (void)n;
    int found;
    if (a[0].k == XV_NULL) {
        out->k = XV_NULL;
        return 0;
    }
    if (!xv_is_ctx(&a[0]))
        return xf_bad_arg(st, call, 0, "a context", &a[0]);
    NEED(1, XV_STR, "a string");
    char *key = xs_alloc(st, a[1].u.s.len + 1);
    if (!key)
        return -1;
    memcpy(key, a[1].u.s.p, a[1].u.s.len);
    key[a[1].u.s.len] = '\0';
    return xs_ctx_get(st, &a[0], key, out, &found);
}

/* Longer names first is not needed: the parser picks the longest name that matches. */
static const ex_builtin builtins[] = {
    {"string length", 1, 1, 0, f_string_length},
    {"upper case", 1, 1, 0, f_upper_case},
    {"lower case", 1, 1, 0, f_lower_case},
    {"substring", 2, 3, 0, f_substring},
    {"substring before", 2, 2, 0, f_substring_before},
    {"substring after", 2, 2, 0, f_substring_after},
    {"contains", 2, 2, 0, f_contains},
    {"starts with", 2, 2, 0, f_starts_with},
    {"ends with", 2, 2, 0, f_ends_with},
    {"string", 1, 1, 0, f_string},
    {"number", 1, 1, 0, f_number},
    {"string join", 1, 2, 0, f_string_join},
    {"abs", 1, 1, 0, f_abs},
    {"floor", 1, 2, 0, f_floor},
    {"ceiling", 1, 2, 0, f_ceiling},
    {"decimal", 2, 2, 0, f_decimal},
    {"round half up", 2, 2, 0, f_round_half_up},
    {"round half down", 2, 2, 0, f_round_half_down},
    {"round up", 2, 2, 0, f_round_up},
    {"round down", 2, 2, 0, f_round_down},
    {"modulo", 2, 2, 0, f_modulo},
    {"sqrt", 1, 1, 0, f_sqrt},
    {"odd", 1, 1, 0, f_odd},
    {"even", 1, 1, 0, f_even},
    {"min", 1, -1, 0, xf_min},
    {"max", 1, -1, 0, xf_max},
    {"sum", 1, -1, 0, xf_sum},
    {"product", 1, -1, 0, xf_product},
    {"mean", 1, -1, 0, xf_mean},
    {"count", 1, -1, 0, xf_count},
    {"all", 1, -1, 0, xf_all},
    {"any", 1, -1, 0, xf_any},
    {"list contains", 2, 2, 0, xf_list_contains},
    {"append", 1, -1, 0, xf_append},
    {"concatenate", 1, -1, 0, xf_concatenate},
    {"reverse", 1, 1, 0, xf_reverse},
    {"index of", 2, 2, 0, xf_index_of},
    {"distinct values", 1, 1, 0, xf_distinct_values},
    {"flatten", 1, 1, 0, xf_flatten},
    {"sublist", 2, 3, 0, xf_sublist},
    {"is empty", 1, 1, 0, xf_is_empty},
    {"get value", 2, 2, 0, f_get_value},
    {"is defined", 1, 1, EXB_DEFINED, NULL},
    {"date", 1, 3, 0, xf_date},
    {"date and time", 1, 1, 0, xf_date_and_time},
    {"duration", 1, 1, 0, xf_duration},
    {"years and months duration", 2, 2, 0, xf_years_and_months_duration},
    {"now", 0, 0, EXB_TIME, xf_now},
    {"today", 0, 0, EXB_TIME, xf_today},
    {"day of week", 1, 1, 0, xf_day_of_week},
    {"month of year", 1, 1, 0, xf_month_of_year},
};

const ex_builtin *ex_builtin_get(int i)
{
    if (i < 0 || (size_t)i >= sizeof builtins / sizeof builtins[0])
        return NULL;
    return &builtins[i];
}
