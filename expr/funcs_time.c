/*
 * expr_funcs_time.c - FEEL's functions of dates, times and durations: date(), date and time(),
 * duration(), years and months duration(), now() and today() (from the engine clock in the
 * environment, never the system's), day of week(), month of year().
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "expr/expr_int.h"

static int parse_text(ex_state *st, const ex_node *call, const xv *s, int (*parse)(const char *,
                      size_t, int64_t *), int64_t *t)
{
    if (parse(s->u.s.p, s->u.s.len, t))
        return xs_fail(st, "%s(): \"%.*s\" is not valid", xf_name(call),
                       (int)(s->u.s.len < 40 ? s->u.s.len : 40), s->u.s.p);
    return 0;
}

EX_BUILTIN(xf_date)
{
    if (n == 2)
        return xs_fail(st, "date() takes a text, a date and time, or year, month and day");
    if (n == 3) {
        double y, m, d;
        for (size_t i = 0; i < 3; i++)
            NEED(i, XV_NUM, "a number");
        if (xf_whole_arg(st, call, a, 0, &y) || xf_whole_arg(st, call, a, 1, &m) ||
            xf_whole_arg(st, call, a, 2, &d))
            return -1;
        char buf[32];
        if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
            return xs_fail(st, "date(): %g-%g-%g is not a date", y, m, d);
        int len = snprintf(buf, sizeof buf, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
        if (xt_parse_date(buf, (size_t)len, &out->u.t))
            return xs_fail(st, "date(): %s is not a date", buf);
        out->k = XV_DATE;
        return 0;
    }
    if (a[0].k == XV_DATE) {
        *out = a[0];
        return 0;
    }
    if (a[0].k == XV_DT) {
        out->k = XV_DATE;
        out->u.t = (int64_t)floor((double)a[0].u.t / (double)XT_MS_PER_DAY);
        return 0;
    }
    NEED(0, XV_STR, "a string");
    out->k = XV_DATE;
    return parse_text(st, call, &a[0], xt_parse_date, &out->u.t);
}

EX_BUILTIN(xf_date_and_time)
{
    (void)n;
    if (a[0].k == XV_DT) {
        *out = a[0];
        return 0;
    }
    if (a[0].k == XV_DATE) {
        out->k = XV_DT;
        out->u.t = a[0].u.t * XT_MS_PER_DAY;
        return 0;
    }
    NEED(0, XV_STR, "a string");
    out->k = XV_DT;
    return parse_text(st, call, &a[0], xt_parse_date_time, &out->u.t);
}

EX_BUILTIN(xf_duration)
{
    (void)n;
    if (a[0].k == XV_DUR_DT || a[0].k == XV_DUR_YM) {
        *out = a[0];
        return 0;
    }
    NEED(0, XV_STR, "a string");
    if (xt_parse_duration(a[0].u.s.p, a[0].u.s.len, out))
        return xs_fail(st, "duration(): \"%.*s\" is not an ISO 8601 duration",
                       (int)(a[0].u.s.len < 40 ? a[0].u.s.len : 40), a[0].u.s.p);
    return 0;
}

/* Whole calendar months from one date (or date and time) to another. */
EX_BUILTIN(xf_years_and_months_duration)
{
    (void)n;
    for (size_t i = 0; i < 2; i++) {
        if (a[i].k == XV_NULL) {
            out->k = XV_NULL;
            return 0;
        }
        if (a[i].k != XV_DATE && a[i].k != XV_DT)
            return xf_bad_arg(st, call, i, "a date", &a[i]);
    }
    int64_t t0 = a[0].k == XV_DATE ? a[0].u.t * XT_MS_PER_DAY : a[0].u.t;
    int64_t t1 = a[1].k == XV_DATE ? a[1].u.t * XT_MS_PER_DAY : a[1].u.t;
    int64_t d0 = (int64_t)floor((double)t0 / (double)XT_MS_PER_DAY), y0, y1;
    int64_t d1 = (int64_t)floor((double)t1 / (double)XT_MS_PER_DAY);
    int m0, m1, dd0, dd1;
    xt_civil(d0, &y0, &m0, &dd0);
    xt_civil(d1, &y1, &m1, &dd1);
    int64_t months = (y1 * 12 + m1) - (y0 * 12 + m0);
    /* a month only counts once the day (and time) of the start is reached again */
    int64_t moved;
    if (months > 0 && (xt_add_months_ms(t0, months, &moved) || moved > t1))
        months--;
    else if (months < 0 && (xt_add_months_ms(t0, months, &moved) || moved < t1))
        months++;
    out->k = XV_DUR_YM;
    out->u.t = months;
    return 0;
}

EX_BUILTIN(xf_now)
{
    (void)call;
    (void)a;
    (void)n;
    if (!xt_valid_ms(st->env->now_ms))
        return xs_fail(st, "the clock is outside the years 1 to 9999");
    out->k = XV_DT;
    out->u.t = st->env->now_ms;
    return 0;
}

EX_BUILTIN(xf_today)
{
    if (xf_now(st, call, a, n, out))
        return -1;
    out->k = XV_DATE;
    out->u.t = (int64_t)floor((double)out->u.t / (double)XT_MS_PER_DAY);
    return 0;
}

static int calendar_name(ex_state *st, const ex_node *call, xv *a, xv *out, int weekday)
{
    static const char *const days[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                       "Friday", "Saturday", "Sunday"};
    static const char *const months[] = {"January", "February", "March", "April",
                                         "May", "June", "July", "August",
                                         "September", "October", "November", "December"};
    if (a[0].k == XV_NULL) {
        out->k = XV_NULL;
        return 0;
    }
    if (a[0].k != XV_DATE && a[0].k != XV_DT)
        return xf_bad_arg(st, call, 0, "a date", &a[0]);
    xv v;
    int found;
    if (xt_property(st, &a[0], weekday ? "weekday" : "month", &v, &found))
        return -1;
    const char *s = weekday ? days[(int)v.u.n - 1] : months[(int)v.u.n - 1];
    out->k = XV_STR;
    out->u.s.p = s;
    out->u.s.len = strlen(s);
    return 0;
}

EX_BUILTIN(xf_day_of_week) { (void)n; return calendar_name(st, call, a, out, 1); }
EX_BUILTIN(xf_month_of_year) { (void)n; return calendar_name(st, call, a, out, 0); }

