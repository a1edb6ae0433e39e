/*
 * cron.c - cron expressions in timeCycle, in the Quartz and Spring forms Camunda 7 and Zeebe
 * accept: six or seven fields with names, ranges, steps, L, W and #, and Spring's @shorthands,
 * read into bit sets and searched a field at a time for the next match. UTC, like iso8601.c.
 */
#include "bpmn/iso8601_int.h"

#include <string.h>

/* The parsed fields. Days of the week count from 0 = Sunday whatever the input's numbering. */
struct bm_cron {
    uint64_t sec, min;
    uint32_t hour, mon;
    uint32_t dom, dom_w; /* days 1..31; dom_w: the nW days */
    uint8_t dow, dow_last; /* dow_last: weekdays of nL */
    uint8_t dow_nth[7];    /* per weekday, bit k for n#k */
    uint8_t flags;
    uint8_t dom_last_off;  /* L-n */
    uint8_t years[256];    /* bit y - CRON_YEAR_MIN */
};

_Static_assert(sizeof(struct bm_cron) <= sizeof((bm_timer_spec *)0)->cron,
               "the cron fields must fit the spec's cron bytes");

#define CRON_DOM_ANY 1
#define CRON_DOW_ANY 2
#define CRON_YEAR_ANY 4
#define CRON_DOM_LAST 8
#define CRON_DOM_LW 16
#define CRON_YEAR_MIN 1970
#define CRON_YEAR_MAX (CRON_YEAR_MIN + 2047)

enum { F_SEC, F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, F_YEAR };

static const char *const field_name[7] = {"seconds", "minutes",     "hours", "day-of-month",
                                          "month",   "day-of-week", "year"};
static const char *const mon_names[12] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const dow_names[7] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

/* One field being read: its raw range (the numbers as written) and where values go. */
typedef struct cron_rd {
    int f, lo, hi;
    int spring; /* day-of-week numbered 0-7 with 0 and 7 = Sunday */
    uint8_t set[256]; /* bit v - lo */
    struct bm_cron *c;
    char *msg;
    size_t cap;
} cron_rd;

/* A number or, in the month and day-of-week fields, a three-letter name. */
static int cron_value(cron_rd *r, const char *s, size_t n, size_t *i, int *v)
{
    char sn[20];
    if (*i < n && bm_is_digit(s[*i])) {
        int x = 0;
        for (; *i < n && bm_is_digit(s[*i]); (*i)++)
            x = x > 99999 ? x : x * 10 + (s[*i] - '0');
        if (x < r->lo || x > r->hi)
            return bm_fail(r->msg, r->cap, "%d is out of range in the %s field (%d-%d)", x,
                           field_name[r->f], r->lo, r->hi);
        *v = x;
        return 0;
    }
    const char *const *names = r->f == F_MON ? mon_names : r->f == F_DOW ? dow_names : NULL;
    int count = r->f == F_MON ? 12 : 7;
    for (int k = 0; names && k < count && *i + 3 <= n; k++) {
        if (bm_upper(s[*i]) == names[k][0] && bm_upper(s[*i + 1]) == names[k][1] &&
            bm_upper(s[*i + 2]) == names[k][2]) {
            *i += 3;
            *v = r->f == F_MON ? k + 1 : r->spring ? k : k + 1;
            return 0;
        }
    }
    return bm_fail(r->msg, r->cap, "unexpected '%s' in the %s field",
                   bm_snippet(s + *i, n - *i, sn), field_name[r->f]);
}

/* The weekday (0 = Sunday) of a raw day-of-week number. */
static int cron_wday(const cron_rd *r, int v)
{
    return r->spring ? v % 7 : v - 1;
}

/* One comma-separated item: *, ?, v, a-b, with /step; L, L-n, LW, nW; L, nL, n#k. */
static int cron_item(cron_rd *r, const char *s, size_t n)
{
    struct bm_cron *c = r->c;
    char sn[20];
    size_t i = 0;
    int a = r->lo, b = r->hi, step = 1, any = 0;
    if (n == 1 && s[0] == '?') {
        if (r->f != F_DOM && r->f != F_DOW)
            return bm_fail(r->msg, r->cap, "'?' is only allowed for the day of the month or week");
        c->flags |= r->f == F_DOM ? CRON_DOM_ANY : CRON_DOW_ANY;
        return 0;
    }
    if (r->f == F_DOM && bm_upper(s[0]) == 'L') {
        if (n == 2 && bm_upper(s[1]) == 'W') {
            c->flags |= CRON_DOM_LW;
            return 0;
        }
        int off = 0;
        if (n > 1) {
            i = 2;
            if (n < 3 || n > 4 || s[1] != '-' || bm_digits(s, n, &i, (int)n - 2, &off) || off > 30)
                return bm_fail(r->msg, r->cap, "expected L, L-n (n up to 30) or LW in the "
                                               "day-of-month field");
        }
        c->flags |= CRON_DOM_LAST;
        c->dom_last_off = (uint8_t)off;
        return 0;
    }
    if (r->f == F_DOW && n == 1 && bm_upper(s[0]) == 'L') {
        c->dow |= 1u << 6; /* Quartz: L alone in day-of-week is Saturday */
        return 0;
    }
    if (s[0] == '*') {
        i = 1;
        any = 1;
    } else {
        if (cron_value(r, s, n, &i, &a))
            return -1;
        b = a;
        if (r->f == F_DOM && i + 1 == n && bm_upper(s[i]) == 'W') {
            c->dom_w |= 1u << a;
            return 0;
        }
        if (r->f == F_DOW && i + 1 == n && bm_upper(s[i]) == 'L') {
            c->dow_last |= (uint8_t)(1u << cron_wday(r, a));
            return 0;
        }
        if (r->f == F_DOW && i < n && s[i] == '#') {
            int k;
            i++;
            if (i + 1 != n || bm_digits(s, n, &i, 1, &k) || k < 1 || k > 5)
                return bm_fail(r->msg, r->cap, "expected n#k with k from 1 to 5 in the "
                                               "day-of-week field");
            c->dow_nth[cron_wday(r, a)] |= (uint8_t)(1u << k);
            return 0;
        }
        if (i < n && s[i] == '-') {
            i++;
            if (cron_value(r, s, n, &i, &b))
                return -1;
            if (r->f == F_YEAR && b < a)
                return bm_fail(r->msg, r->cap, "the year range %d-%d runs backwards", a, b);
        } else if (i < n && s[i] == '/') {
            b = r->hi; /* a/step runs from a to the end of the range */
        }
    }
    if (i < n && s[i] == '/') {
        i++;
        if (i >= n || !bm_is_digit(s[i]))
            return bm_fail(r->msg, r->cap, "expected a step after '/' in the %s field",
                           field_name[r->f]);
        for (step = 0; i < n && bm_is_digit(s[i]); i++)
            step = step > 99999 ? step : step * 10 + (s[i] - '0');
        if (step == 0)
            return bm_fail(r->msg, r->cap, "a step of 0 in the %s field", field_name[r->f]);
        any = 0;
    }
    if (i != n)
        return bm_fail(r->msg, r->cap, "unexpected '%s' in the %s field",
                       bm_snippet(s + i, n - i, sn), field_name[r->f]);
    if (any) {
        c->flags |= r->f == F_DOM ? CRON_DOM_ANY : r->f == F_DOW ? CRON_DOW_ANY
                    : r->f == F_YEAR ? CRON_YEAR_ANY : 0;
    }
    /* A range whose end comes before its start wraps around (FRI-MON, 22-2), as in Quartz. */
    int span = r->hi - r->lo + 1, len = (b - a + span) % span + 1;
    for (int k = 0; k < len; k += step) {
        int v = (a - r->lo + k) % span;
        r->set[v / 8] |= (uint8_t)(1u << (v % 8));
    }
    return 0;
}

/* Whether a day-of-week field uses Spring's numbering: it is written with a 0 somewhere. */
static int dow_is_spring(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!bm_is_digit(s[i]) || (i > 0 && bm_is_digit(s[i - 1])))
            continue;
        if (i > 0 && (s[i - 1] == '/' || s[i - 1] == '#'))
            continue;
        size_t j = i;
        while (j < n && s[j] == '0')
            j++;
        if (j > i && (j == n || !bm_is_digit(s[j])))
            return 1;
    }
    return 0;
}

static int cron_field(struct bm_cron *c, int f, const char *s, size_t n, char *msg, size_t cap)
{
    static const int lo[7] = {0, 0, 0, 1, 1, 1, CRON_YEAR_MIN};
    static const int hi[7] = {59, 59, 23, 31, 12, 7, CRON_YEAR_MAX};
    cron_rd r;
    memset(&r, 0, sizeof r);
    r.f = f;
    r.lo = lo[f];
    r.hi = hi[f];
    r.c = c;
    r.msg = msg;
    r.cap = cap;
    if (f == F_DOW && dow_is_spring(s, n))
        r.spring = 1, r.lo = 0;
    for (size_t i = 0; i <= n;) {
        const char *comma = memchr(s + i, ',', n - i);
        size_t len = comma ? (size_t)(comma - (s + i)) : n - i;
        if (len == 0)
            return bm_fail(msg, cap, "an empty item in the %s field", field_name[f]);
        if (cron_item(&r, s + i, len))
            return -1;
        i += len + 1;
    }
    for (int v = r.lo; v <= r.hi; v++) {
        int k = v - r.lo;
        if (!(r.set[k / 8] >> (k % 8) & 1))
            continue;
        switch (f) {
        case F_SEC: c->sec |= 1ull << v; break;
        case F_MIN: c->min |= 1ull << v; break;
        case F_HOUR: c->hour |= 1u << v; break;
        case F_DOM: c->dom |= 1u << v; break;
        case F_MON: c->mon |= 1u << v; break;
        case F_DOW: c->dow |= (uint8_t)(1u << cron_wday(&r, v)); break;
        default: c->years[k / 8] |= (uint8_t)(1u << (k % 8)); break;
        }
    }
    return 0;
}

/* Spring's shorthands. */
static const char *cron_macro(const char *s, size_t n)
{
    static const char *const m[][2] = {
        {"@yearly", "0 0 0 1 1 ?"},  {"@annually", "0 0 0 1 1 ?"}, {"@monthly", "0 0 0 1 * ?"},
        {"@weekly", "0 0 0 ? * SUN"}, {"@daily", "0 0 0 * * ?"},   {"@midnight", "0 0 0 * * ?"},
        {"@hourly", "0 0 * * * ?"}};
    for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
        size_t len = strlen(m[k][0]), j = 0;
        while (j < n && j < len && bm_upper(s[j]) == bm_upper(m[k][0][j]))
            j++;
        if (j == n && j == len)
            return m[k][1];
    }
    return NULL;
}

/* "sec min hour day-of-month month day-of-week [year]", fields separated by blanks. A day of
 * the week numbered 1-7 is Quartz's SUN-SAT (Camunda 7); a field that writes a 0 anywhere is
 * Spring's 0-7 with 0 and 7 = SUN (Zeebe). "1-5" thus means SUN-THU: names are unambiguous.
 * When both day fields are restricted a day must match both, as in Spring (Quartz refuses). */
int bm_cron_parse(const char *s, size_t n, bm_timer_spec *out, char *msg, size_t cap)
{
    struct bm_cron c;
    memset(&c, 0, sizeof c);
    if (n && s[0] == '@') {
        const char *m = cron_macro(s, n);
        if (!m)
            return bm_fail(msg, cap, "unknown cron shorthand (known: @yearly, @monthly, @weekly, "
                                     "@daily, @hourly)");
        s = m;
        n = strlen(m);
    }
    const char *field[8];
    size_t len[8], nf = 0;
    for (size_t i = 0; i < n;) {
        if (bm_is_blank(s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && !bm_is_blank(s[j]))
            j++;
        if (nf == 8)
            return bm_fail(msg, cap, "a cron expression has 6 or 7 fields, not more");
        field[nf] = s + i;
        len[nf++] = j - i;
        i = j;
    }
    if (nf < 6)
        return bm_fail(msg, cap, "a cron expression has 6 or 7 fields (sec min hour day month "
                                 "weekday [year]), not %zu", nf);
    if (nf > 7)
        return bm_fail(msg, cap, "a cron expression has 6 or 7 fields, not more");
    for (size_t f = 0; f < nf; f++)
        if (cron_field(&c, (int)f, field[f], len[f], msg, cap))
            return -1;
    if (nf == 6)
        c.flags |= CRON_YEAR_ANY;
    out->form = BM_TF_CRON;
    memcpy(out->cron, &c, sizeof c);
    return 0;
}

/* Day n of a Quartz nW: the weekday nearest to it within the month. */
static int nearest_weekday(int64_t first_day, int n, int md)
{
    int wd = bm_weekday(first_day + n - 1);
    if (wd == 6)
        return n == 1 ? 3 : n - 1;
    if (wd == 0)
        return n == md ? n - 2 : n + 1;
    return n;
}

static int cron_day(const struct bm_cron *c, int64_t first_day, int d, int md)
{
    int dom = (c->flags & CRON_DOM_ANY) || (c->dom >> d & 1) ||
              ((c->flags & CRON_DOM_LAST) && d == md - c->dom_last_off) ||
              ((c->flags & CRON_DOM_LW) && d == nearest_weekday(first_day, md, md));
    for (int k = d - 2; !dom && c->dom_w && k <= d + 2; k++)
        dom = k >= 1 && k <= md && (c->dom_w >> k & 1) && nearest_weekday(first_day, k, md) == d;
    if (!dom)
        return 0;
    int wd = bm_weekday(first_day + d - 1);
    return (c->flags & CRON_DOW_ANY) || (c->dow >> wd & 1) ||
           ((c->dow_last >> wd & 1) && d + 7 > md) || (c->dow_nth[wd] >> ((d - 1) / 7 + 1) & 1);
}

static int cron_year(const struct bm_cron *c, int64_t y)
{
    if (c->flags & CRON_YEAR_ANY)
        return 1;
    if (y < CRON_YEAR_MIN || y > CRON_YEAR_MAX)
        return 0;
    int k = (int)(y - CRON_YEAR_MIN);
    return c->years[k / 8] >> (k % 8) & 1;
}

/* The first second strictly after `after` that matches, at most five years on. The search
 * steps a field at a time (year, month, day, hour, minute, second), never second by second. */
int bm_cron_next(const bm_timer_spec *s, int64_t after, int64_t *due)
{
    struct bm_cron c;
    memcpy(&c, s->cron, sizeof c);
    if (!bm_in_range(after) || !(c.sec & 0x0FFFFFFFFFFFFFFFull) ||
        !(c.min & 0x0FFFFFFFFFFFFFFFull) || !(c.hour & 0xFFFFFFu) || !(c.mon & 0x1FFEu))
        return -1;
    int64_t limit = bm_add_duration(after, (bm_duration){60, 0}), ly, y;
    if (limit > MS_HI)
        limit = MS_HI;
    int lm, ld, mo, d;
    bm_civil_from_days(bm_fdiv(limit, DAY_MS), &ly, &lm, &ld);
    int64_t t = bm_fdiv(after, SEC_MS) * SEC_MS + SEC_MS, days = bm_fdiv(t, DAY_MS);
    int64_t tod = t - days * DAY_MS;
    int h = (int)(tod / HOUR_MS), mi = (int)(tod / MIN_MS % 60), sec = (int)(tod / SEC_MS % 60);
    bm_civil_from_days(days, &y, &mo, &d);
    for (; y <= ly; y++, mo = 1, d = 1, h = mi = sec = 0) {
        if (!cron_year(&c, y))
            continue;
        for (; mo <= 12; mo++, d = 1, h = mi = sec = 0) {
            if (!(c.mon >> mo & 1))
                continue;
            int64_t first = bm_days_from_civil(y, mo, 1);
            int md = bm_month_days(y, mo);
            for (; d <= md; d++, h = mi = sec = 0) {
                if (!cron_day(&c, first, d, md))
                    continue;
                for (; h < 24; h++, mi = sec = 0) {
                    if (!(c.hour >> h & 1))
                        continue;
                    for (; mi < 60; mi++, sec = 0) {
                        if (!(c.min >> mi & 1))
                            continue;
                        for (; sec < 60; sec++) {
                            if (!(c.sec >> sec & 1))
                                continue;
                            int64_t v = (first + d - 1) * DAY_MS + h * HOUR_MS + mi * MIN_MS +
                                        sec * SEC_MS;
                            if (v > limit)
                                return -1;
                            *due = v;
                            return 0;
                        }
                    }
                }
            }
        }
    }
    return -1;
}
