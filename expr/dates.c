/*
 * dates.c - dates, dates with times and durations: ISO 8601 reading and writing, calendar
 * arithmetic and the properties FEEL exposes (d.year, dur.hours ...). Everything is UTC: an
 * offset in the input is applied and the result written with "Z". Years stay within 1..9999 so
 * that no calculation can overflow.
 */
#include <stdio.h>
#include <string.h>

#include "expr/expr_int.h"

/* Day counts from and to the proleptic Gregorian calendar (H. Hinnant's civil algorithms). */
int64_t xt_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void xt_civil(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : n[m - 1];
}

/* Floor division, so that times before 1970 fall on the right day. */
static int64_t fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int xt_valid_days(int64_t days)
{
    return days >= xt_days(1, 1, 1) && days <= xt_days(9999, 12, 31);
}

int xt_valid_ms(int64_t ms)
{
    /* Checked on the day first so that the multiplication below cannot overflow. */
    int64_t lo = xt_days(1, 1, 1), hi = xt_days(9999, 12, 31) + 1;
    return ms >= lo * XT_MS_PER_DAY && ms < hi * XT_MS_PER_DAY;
}

/* Reads exactly `width` digits at s[*i]. */
static int digits(const char *s, size_t n, size_t *i, int width, int *out)
{
    int v = 0;
    for (int k = 0; k < width; k++) {
        if (*i >= n || s[*i] < '0' || s[*i] > '9')
            return -1;
        v = v * 10 + (s[(*i)++] - '0');
    }
    *out = v;
    return 0;
}

static int parse_date_at(const char *s, size_t n, size_t *i, int64_t *days)
{
    int y, m, d;
    if (digits(s, n, i, 4, &y) || *i >= n || s[(*i)++] != '-' || digits(s, n, i, 2, &m) ||
        *i >= n || s[(*i)++] != '-' || digits(s, n, i, 2, &d))
        return -1;
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return -1;
    *days = xt_days(y, m, d);
    return 0;
}

int xt_parse_date(const char *s, size_t n, int64_t *days)
{
    size_t i = 0;
    return parse_date_at(s, n, &i, days) == 0 && i == n ? 0 : -1;
}

int xt_parse_date_time(const char *s, size_t n, int64_t *ms)
{
    size_t i = 0;
    int64_t days;
    if (parse_date_at(s, n, &i, &days))
        return -1;
    if (i == n) {
        *ms = days * XT_MS_PER_DAY;
        return 0;
    }
    int hh, mm, ss = 0, frac = 0;
    if (s[i++] != 'T' || digits(s, n, &i, 2, &hh) || i >= n || s[i++] != ':' ||
        digits(s, n, &i, 2, &mm))
        return -1;
    if (i < n && s[i] == ':') {
        i++;
        if (digits(s, n, &i, 2, &ss))
            return -1;
        if (i < n && s[i] == '.') {
            i++;
            int scale = 100, any = 0;
            for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = 1) {
                frac += (s[i] - '0') * scale; /* digits past milliseconds are dropped */
                scale /= 10;
            }
            if (!any)
                return -1;
        }
    }
    if (hh > 23 || mm > 59 || ss > 59)
        return -1;
    int64_t offset = 0;
    if (i < n && s[i] == 'Z') {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i++] == '-' ? -1 : 1, oh, om = 0;
        if (digits(s, n, &i, 2, &oh))
            return -1;
        if (i < n && s[i] == ':') {
            i++;
            if (digits(s, n, &i, 2, &om))
                return -1;
        }
        if (oh > 18 || om > 59)
            return -1;
        offset = sign * ((int64_t)oh * 3600000 + (int64_t)om * 60000);
    }
    if (i != n)
        return -1;
    int64_t v = days * XT_MS_PER_DAY + (int64_t)hh * 3600000 + (int64_t)mm * 60000 +
                (int64_t)ss * 1000 + frac - offset;
    if (!xt_valid_ms(v))
        return -1;
    *ms = v;
    return 0;
}

/* Durations are bounded (about 10,000 years) so that adding them to anything cannot overflow. */
#define DUR_MAX_MS (10000LL * 366 * XT_MS_PER_DAY)
#define DUR_MAX_MONTHS (10000LL * 12)

int xt_parse_duration(const char *s, size_t n, xv *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && s[i] == '-') {
        neg = 1;
        i++;
    }
    if (i >= n || s[i++] != 'P')
        return -1;
    int64_t months = 0, ms = 0;
    int any = 0, in_time = 0, ym = 0, dt = 0;
    const char *order = "YMWD"; /* designators in the order they may appear */
    const char *torder = "HMS";
    size_t at = 0;
    while (i < n) {
        if (s[i] == 'T') {
            if (in_time)
                return -1;
            in_time = 1;
            at = 0;
            i++;
            if (i >= n)
                return -1;
            continue;
        }
        int64_t v = 0;
        int nd = 0, frac = 0, has_frac = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (v > DUR_MAX_MS)
                return -1;
            v = v * 10 + (s[i++] - '0');
            nd++;
        }
        if (nd == 0)
            return -1;
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            i++;
            int scale = 100, fd = 0;
            for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, fd++) {
                frac += (s[i] - '0') * scale;
                scale /= 10;
            }
            if (fd == 0)
                return -1;
            has_frac = 1;
        }
        if (i >= n)
            return -1;
        char c = s[i++];
        const char *set = in_time ? torder : order;
        const char *pos = strchr(set + at, c);
        if (!pos || c == '\0')
            return -1;
        at = (size_t)(pos - set) + 1;
        if (has_frac && !(in_time && c == 'S'))
            return -1;
        int64_t unit;
        if (!in_time && (c == 'Y' || c == 'M')) {
            if (v > DUR_MAX_MONTHS)
                return -1;
            months += c == 'Y' ? v * 12 : v;
            ym = 1;
        } else {
            unit = !in_time ? (c == 'W' ? 7 * XT_MS_PER_DAY : XT_MS_PER_DAY)
                            : (c == 'H' ? 3600000 : c == 'M' ? 60000 : 1000);
            if (v > DUR_MAX_MS / unit)
                return -1;
            ms += v * unit + frac;
            dt = 1;
        }
        any = 1;
        if (months > DUR_MAX_MONTHS || ms > DUR_MAX_MS)
            return -1;
    }
    if (!any || (ym && dt))
        return -1;
    out->k = ym ? XV_DUR_YM : XV_DUR_DT;
    out->u.t = ym ? (neg ? -months : months) : (neg ? -ms : ms);
    return 0;
}

int xt_parse_any(const char *s, size_t n, xv *out)
{
    if (n > 0 && (s[0] == 'P' || s[0] == '-'))
        return xt_parse_duration(s, n, out);
    if (xt_parse_date(s, n, &out->u.t) == 0) {
        out->k = XV_DATE;
        return 0;
    }
    if (xt_parse_date_time(s, n, &out->u.t) == 0) {
        out->k = XV_DT;
        return 0;
    }
    return -1;
}

static size_t format_dur_dt(int64_t ms, char *buf)
{
    size_t n = 0;
    uint64_t u = ms < 0 ? (uint64_t)(-ms) : (uint64_t)ms;
    if (ms < 0)
        buf[n++] = '-';
    buf[n++] = 'P';
    uint64_t days = u / XT_MS_PER_DAY, rest = u % XT_MS_PER_DAY;
    unsigned h = (unsigned)(rest / 3600000), m = (unsigned)(rest / 60000 % 60),
             s = (unsigned)(rest / 1000 % 60), f = (unsigned)(rest % 1000);
    if (days)
        n += (size_t)sprintf(buf + n, "%lluD", (unsigned long long)days);
    if (rest || !days) {
        buf[n++] = 'T';
        if (h)
            n += (size_t)sprintf(buf + n, "%uH", h);
        if (m)
            n += (size_t)sprintf(buf + n, "%uM", m);
        if (f)
            n += (size_t)sprintf(buf + n, "%u.%03uS", s, f);
        else if (s || (!h && !m))
            n += (size_t)sprintf(buf + n, "%uS", s);
        /* Trailing zeros of the fraction carry no meaning: "PT1.5S", not "PT1.500S". */
        while (f && buf[n - 2] == '0') {
            buf[n - 2] = 'S';
            n--;
        }
    }
    buf[n] = '\0';
    return n;
}

size_t xt_format(const xv *v, char *buf)
{
    int64_t y;
    int m, d;
    switch (v->k) {
    case XV_DATE:
        xt_civil(v->u.t, &y, &m, &d);
        return (size_t)sprintf(buf, "%04lld-%02d-%02d", (long long)y, m, d);
    case XV_DT: {
        int64_t days = fdiv(v->u.t, XT_MS_PER_DAY), rest = v->u.t - days * XT_MS_PER_DAY;
        xt_civil(days, &y, &m, &d);
        int n = sprintf(buf, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, m, d,
                        (int)(rest / 3600000), (int)(rest / 60000 % 60), (int)(rest / 1000 % 60));
        if (rest % 1000)
            n += sprintf(buf + n, ".%03d", (int)(rest % 1000));
        buf[n++] = 'Z';
        buf[n] = '\0';
        return (size_t)n;
    }
    case XV_DUR_DT:
        return format_dur_dt(v->u.t, buf);
    case XV_DUR_YM: {
        int64_t mo = v->u.t < 0 ? -v->u.t : v->u.t;
        size_t n = 0;
        if (v->u.t < 0)
            buf[n++] = '-';
        buf[n++] = 'P';
        if (mo / 12)
            n += (size_t)sprintf(buf + n, "%lldY", (long long)(mo / 12));
        if (mo % 12 || mo == 0)
            n += (size_t)sprintf(buf + n, "%lldM", (long long)(mo % 12));
        buf[n] = '\0';
        return n;
    }
    default:
        buf[0] = '\0';
        return 0;
    }
}

int xt_add_months_days(int64_t days, int64_t months, int64_t *out)
{
    int64_t y;
    int m, d;
    xt_civil(days, &y, &m, &d);
    int64_t idx = y * 12 + (m - 1) + months;
    int64_t ny = fdiv(idx, 12);
    int nm = (int)(idx - ny * 12) + 1;
    if (ny < 1 || ny > 9999)
        return -1;
    int md = month_days(ny, nm);
    *out = xt_days(ny, nm, d > md ? md : d);
    return 0;
}

int xt_add_months_ms(int64_t ms, int64_t months, int64_t *out)
{
    int64_t days = fdiv(ms, XT_MS_PER_DAY), nd;
    if (xt_add_months_days(days, months, &nd))
        return -1;
    *out = nd * XT_MS_PER_DAY + (ms - days * XT_MS_PER_DAY);
    return 0;
}

static int is_temporal(const xv *v)
{
    return v->k == XV_DATE || v->k == XV_DT || v->k == XV_DUR_DT || v->k == XV_DUR_YM;
}

static int dur(ex_state *st, xv_kind k, int64_t t, xv *out)
{
    if (k == XV_DUR_DT ? (t > DUR_MAX_MS || t < -DUR_MAX_MS)
                       : (t > DUR_MAX_MONTHS || t < -DUR_MAX_MONTHS))
        return xs_fail(st, "duration out of range");
    out->k = k;
    out->u.t = t;
    return 0;
}

static int datetime(ex_state *st, xv_kind k, int64_t t, xv *out)
{
    if (k == XV_DATE ? !xt_valid_days(t) : !xt_valid_ms(t))
        return xs_fail(st, "date out of range (years 1 to 9999)");
    out->k = k;
    out->u.t = t;
    return 0;
}

/* date/date-time plus or minus a duration (sign 1 or -1). A date plus a days-and-time duration
 * stays a date, moved by whole days as FEEL does. */
static int shift(ex_state *st, const xv *a, const xv *d, int sign, xv *out)
{
    int64_t t;
    if (d->k == XV_DUR_YM) {
        int rc = a->k == XV_DATE ? xt_add_months_days(a->u.t, sign * d->u.t, &t)
                                 : xt_add_months_ms(a->u.t, sign * d->u.t, &t);
        if (rc)
            return xs_fail(st, "date out of range (years 1 to 9999)");
        return datetime(st, a->k, t, out);
    }
    if (a->k == XV_DATE)
        return datetime(st, XV_DATE, a->u.t + sign * fdiv(d->u.t, XT_MS_PER_DAY), out);
    return datetime(st, XV_DT, a->u.t + sign * d->u.t, out);
}

static int64_t as_ms(const xv *v)
{
    return v->k == XV_DATE ? v->u.t * XT_MS_PER_DAY : v->u.t;
}

static int scale_dur(ex_state *st, const xv *d, double f, int divide, xv *out)
{
    if (divide && f == 0)
        return xs_fail(st, "division by zero");
    double r = divide ? (double)d->u.t / f : (double)d->u.t * f;
    double lim = d->k == XV_DUR_DT ? (double)DUR_MAX_MS : (double)DUR_MAX_MONTHS;
    if (!(r <= lim && r >= -lim))
        return xs_fail(st, "duration out of range");
    /* Months and milliseconds are whole units; a fraction is rounded away from zero at .5. */
    int64_t t = (int64_t)(r < 0 ? r - 0.5 : r + 0.5);
    return dur(st, d->k, t, out);
}

int xt_arith(ex_state *st, ex_op op, const xv *a, const xv *b, xv *out, int *handled)
{
    *handled = 0;
    if (!is_temporal(a) && !is_temporal(b))
        return 0;
    int adate = a->k == XV_DATE || a->k == XV_DT, bdate = b->k == XV_DATE || b->k == XV_DT;
    int adur = a->k == XV_DUR_DT || a->k == XV_DUR_YM;
    int bdur = b->k == XV_DUR_DT || b->k == XV_DUR_YM;
    *handled = 1;
    switch (op) {
    case OP_ADD:
        if (adate && bdur)
            return shift(st, a, b, 1, out);
        if (adur && bdate)
            return shift(st, b, a, 1, out);
        if (adur && a->k == b->k)
            return dur(st, a->k, a->u.t + b->u.t, out);
        break;
    case OP_SUB:
        if (adate && bdur)
            return shift(st, a, b, -1, out);
        if (a->k == XV_DATE && b->k == XV_DATE)
            return dur(st, XV_DUR_DT, (a->u.t - b->u.t) * XT_MS_PER_DAY, out);
        if (adate && bdate)
            return dur(st, XV_DUR_DT, as_ms(a) - as_ms(b), out);
        if (adur && a->k == b->k)
            return dur(st, a->k, a->u.t - b->u.t, out);
        break;
    case OP_MUL:
        if (adur && b->k == XV_NUM)
            return scale_dur(st, a, b->u.n, 0, out);
        if (a->k == XV_NUM && bdur)
            return scale_dur(st, b, a->u.n, 0, out);
        break;
    case OP_DIV:
        if (adur && b->k == XV_NUM)
            return scale_dur(st, a, b->u.n, 1, out);
        if (adur && a->k == b->k) {
            if (b->u.t == 0)
                return xs_fail(st, "division by zero");
            return xs_num(st, (double)a->u.t / (double)b->u.t, out);
        }
        break;
    default:
        break;
    }
    *handled = 0;
    return 0;
}

int xt_property(ex_state *st, const xv *v, const char *name, xv *out, int *found)
{
    (void)st;
    *found = 0;
    double r = 0;
    if (v->k == XV_DATE || v->k == XV_DT) {
        int64_t ms = as_ms(v), days = fdiv(ms, XT_MS_PER_DAY), rest = ms - days * XT_MS_PER_DAY;
        int64_t y;
        int m, d;
        xt_civil(days, &y, &m, &d);
        if (strcmp(name, "year") == 0)
            r = (double)y;
        else if (strcmp(name, "month") == 0)
            r = m;
        else if (strcmp(name, "day") == 0)
            r = d;
        else if (strcmp(name, "weekday") == 0)
            r = (double)((days % 7 + 7 + 3) % 7 + 1); /* 1970-01-01 was a Thursday; Monday = 1 */
        else if (v->k == XV_DT && strcmp(name, "hour") == 0)
            r = (double)(rest / 3600000);
        else if (v->k == XV_DT && strcmp(name, "minute") == 0)
            r = (double)(rest / 60000 % 60);
        else if (v->k == XV_DT && strcmp(name, "second") == 0)
            r = (double)(rest % 60000) / 1000.0;
        else
            return 0;
    } else if (v->k == XV_DUR_YM) {
        if (strcmp(name, "years") == 0)
            r = (double)(v->u.t / 12);
        else if (strcmp(name, "months") == 0)
            r = (double)(v->u.t % 12);
        else
            return 0;
    } else if (v->k == XV_DUR_DT) {
        int64_t t = v->u.t;
        if (strcmp(name, "days") == 0)
            r = (double)(t / XT_MS_PER_DAY);
        else if (strcmp(name, "hours") == 0)
            r = (double)(t / 3600000 % 24);
        else if (strcmp(name, "minutes") == 0)
            r = (double)(t / 60000 % 60);
        else if (strcmp(name, "seconds") == 0)
            r = (double)(t % 60000) / 1000.0;
        else
            return 0;
    } else {
        return 0;
    }
    *found = 1;
    out->k = XV_NUM;
    out->u.n = r;
    return 0;
}

int ex_parse_date_time(const char *s, size_t n, int64_t *ms)
{
    return xt_parse_date_time(s, n, ms) == 0 ? 0 : -1;
}

int ex_time_after(const char *s, int64_t base, int64_t *out)
{
    size_t n = strlen(s);
    if (s[0] == 'P' || (s[0] == '-' && s[1] == 'P')) {
        xv d;
        if (xt_parse_duration(s, n, &d) != 0)
            return -1;
        if (d.k == XV_DUR_YM)
            return xt_add_months_ms(base, d.u.t, out) == 0 ? 0 : -1;
        *out = base + d.u.t;
        return 0;
    }
    return ex_parse_date_time(s, n, out);
}
