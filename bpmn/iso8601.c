/*
 * iso8601.c - timer definitions: ISO 8601 dates, durations and repeating intervals, and
 * Quartz/Spring cron expressions, read once and asked for due times. Everything is UTC in ms
 * since the epoch. Instants stay within the years 0001..9999 and durations within 10,000 years,
 * so no calculation can overflow; a due time that would leave that range means "never".
 *
 * Expressions are not evaluated here: the engine evaluates `${...}`, `#{...}` and `=...` first
 * and passes the resulting text to bm_timer_parse. Given an unevaluated one, bm_timer_parse
 * fails with a message containing "is an expression", so a caller can tell that case apart.
 *
 * Designators are read case-insensitively (pt10m, 2026-01-01t09:00z), as java.time does.
 */
#include "bpmn/iso8601.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SEC_MS 1000LL
#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z */
#define MS_LO (-62135596800000LL)
#define MS_HI (253402300799999LL)
/* Durations are bounded so that adding them to any valid instant cannot overflow. */
#define DUR_MAX_MONTHS (10000LL * 12)
#define DUR_MAX_MS (10000LL * 366 * DAY_MS)

static int in_range(int64_t t)
{
    return t >= MS_LO && t <= MS_HI;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Writes a message and returns -1, so that failures read `return fail(...)`. */
static int fail(char *msg, size_t cap, const char *fmt, ...)
{
    if (msg && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Up to 12 bytes of s as printable ASCII ('?' for anything else), for "unexpected '...'". */
static const char *snippet(const char *s, size_t n, char out[20])
{
    size_t k = 0;
    for (; k < n && k < 12; k++)
        out[k] = s[k] >= 0x20 && s[k] < 0x7f && s[k] != '\'' ? s[k] : '?';
    if (k < n)
        out[k++] = '.', out[k++] = '.', out[k++] = '.';
    out[k] = '\0';
    return out;
}

/* ---- the calendar ---- */

static int64_t fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Day counts from and to the proleptic Gregorian calendar (H. Hinnant's civil algorithms). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
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

static int month_days(int64_t y, int m)
{
    static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : n[m - 1];
}

/* 0 = Sunday; day 0 (1970-01-01) was a Thursday. */
static int weekday(int64_t days)
{
    return (int)(((days + 4) % 7 + 7) % 7);
}

static const char *const month_name[12] = {"January", "February", "March",     "April",
                                           "May",     "June",     "July",      "August",
                                           "September", "October", "November", "December"};

/* Saturating, so that callers only ever see a value to range-check, never an overflow. */
int64_t bm_add_duration(int64_t t, bm_duration d)
{
    if (d.months != 0) {
        /* Past these bounds the result leaves int64 anyway (|t| spans about 3e8 years). */
        if (d.months > 12000000000LL)
            return INT64_MAX;
        if (d.months < -12000000000LL)
            return INT64_MIN;
        int64_t days = t / DAY_MS, tod = t % DAY_MS, y;
        int m, day;
        if (tod < 0)
            tod += DAY_MS, days--;
        civil_from_days(days, &y, &m, &day);
        int64_t mi = y * 12 + (m - 1) + d.months;
        int64_t ny = fdiv(mi, 12);
        int nm = (int)(mi - ny * 12) + 1;
        int md = month_days(ny, nm);
        int64_t nd = days_from_civil(ny, nm, day < md ? day : md);
        if (nd > INT64_MAX / DAY_MS - 1)
            return INT64_MAX;
        if (nd < INT64_MIN / DAY_MS + 1)
            return INT64_MIN;
        t = nd * DAY_MS + tod;
    }
    if (d.ms > 0 && t > INT64_MAX - d.ms)
        return INT64_MAX;
    if (d.ms < 0 && t < INT64_MIN - d.ms)
        return INT64_MIN;
    return t + d.ms;
}

/* ---- dates ---- */

/* Reads exactly `width` digits at s[*i]. */
static int digits(const char *s, size_t n, size_t *i, int width, int *out)
{
    int v = 0;
    for (int k = 0; k < width; k++) {
        if (*i >= n || !is_digit(s[*i]))
            return -1;
        v = v * 10 + (s[(*i)++] - '0');
    }
    *out = v;
    return 0;
}

/* The time after 'T': hh, hh:mm, hh:mm:ss[.f] or the basic hhmm[ss[.f]]; 24:00 is midnight
 * at the end of the day. Fractions beyond milliseconds are dropped. */
static int parse_time(const char *s, size_t n, size_t *i, int64_t *ms, char *msg, size_t cap)
{
    int h, mi = 0, sec = 0, frac = 0, nonzero = 0;
    if (digits(s, n, i, 2, &h))
        return fail(msg, cap, "expected the hour (hh) after 'T'");
    int ext = *i < n && s[*i] == ':';
    if (ext || (*i < n && is_digit(s[*i]))) {
        *i += (size_t)ext;
        if (digits(s, n, i, 2, &mi))
            return fail(msg, cap, "expected minutes (mm) after the hour");
        if (ext ? (*i < n && s[*i] == ':') : (*i < n && is_digit(s[*i]))) {
            *i += (size_t)ext;
            if (digits(s, n, i, 2, &sec))
                return fail(msg, cap, "expected seconds (ss) after the minutes");
            if (*i < n && (s[*i] == '.' || s[*i] == ',')) {
                int k = 0;
                for ((*i)++; *i < n && is_digit(s[*i]); (*i)++, k++) {
                    if (k < 3)
                        frac = frac * 10 + (s[*i] - '0');
                    nonzero |= s[*i] != '0';
                }
                if (k == 0)
                    return fail(msg, cap, "expected digits after the decimal sign");
                for (; k < 3; k++)
                    frac *= 10;
            }
        }
    }
    if (h > 24)
        return fail(msg, cap, "hour %02d is out of range (00-23, or 24:00)", h);
    if (h == 24 && (mi || sec || nonzero))
        return fail(msg, cap, "hour 24 is only allowed as 24:00:00 (the end of the day)");
    if (mi > 59)
        return fail(msg, cap, "minute %02d is out of range (00-59)", mi);
    if (sec > 59)
        return fail(msg, cap, "second %02d is out of range (00-59)", sec);
    *ms = h * HOUR_MS + mi * MIN_MS + sec * SEC_MS + frac;
    return 0;
}

/* A date YYYY-MM-DD (or YYYYMMDD), an optional time, an optional offset Z, ±hh, ±hh:mm or
 * ±hhmm; without an offset the time is UTC. Returns the bytes consumed or -1. */
static int parse_dt(const char *s, size_t n, int64_t *out, char *msg, size_t cap)
{
    size_t i = 0;
    int y, mo, d;
    if (digits(s, n, &i, 4, &y))
        return fail(msg, cap, "expected a date such as 2026-01-01 or 2026-01-01T09:00:00Z");
    int ext = i < n && s[i] == '-';
    i += (size_t)ext;
    if (digits(s, n, &i, 2, &mo) || (ext && (i >= n || s[i++] != '-')) ||
        digits(s, n, &i, 2, &d))
        return fail(msg, cap, "expected a date such as 2026-01-01 (year-month-day)");
    if (y < 1)
        return fail(msg, cap, "year 0000 is out of range (0001-9999)");
    if (mo < 1 || mo > 12)
        return fail(msg, cap, "month %02d is out of range (01-12)", mo);
    if (d < 1 || d > month_days(y, mo))
        return fail(msg, cap, "day %02d is out of range: %s %04d has %d days", d,
                    month_name[mo - 1], y, month_days(y, mo));
    int64_t t = days_from_civil(y, mo, d) * DAY_MS, tod = 0;
    if (i < n && upper(s[i]) == 'T') {
        i++;
        if (parse_time(s, n, &i, &tod, msg, cap))
            return -1;
        t += tod;
    }
    if (i < n && upper(s[i]) == 'Z') {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        char sign = s[i++];
        int oh, om = 0;
        if (digits(s, n, &i, 2, &oh))
            return fail(msg, cap, "expected the offset as %chh:mm", sign);
        if (i < n && s[i] == ':') {
            i++;
            if (digits(s, n, &i, 2, &om))
                return fail(msg, cap, "expected the offset minutes after '%c%02d:'", sign, oh);
        } else if (i + 1 < n && is_digit(s[i]) && is_digit(s[i + 1])) {
            digits(s, n, &i, 2, &om);
        }
        if (om > 59 || oh * 60 + om > 18 * 60)
            return fail(msg, cap, "offset %c%02d:%02d is out of range (at most 18:00)", sign, oh,
                        om);
        int64_t off = oh * HOUR_MS + om * MIN_MS;
        t += sign == '-' ? off : -off;
    }
    if (!in_range(t))
        return fail(msg, cap, "the time is out of range (years 0001-9999 in UTC)");
    *out = t;
    return (int)i;
}

int bm_parse_datetime(const char *s, size_t n, int64_t *ms)
{
    int64_t t;
    int used = s ? parse_dt(s, n, &t, NULL, 0) : -1;
    if (used >= 0 && ms)
        *ms = t;
    return used;
}

/* ---- durations ---- */

/* [-|+]PnYnMnWnDTnHnMnS: each unit at most once and in that order, a fraction only on the
 * last one given, years and months on the calendar, weeks and days as 24-hour days. */
static int parse_dur(const char *s, size_t n, bm_duration *out, char *msg, size_t cap)
{
    static const int64_t unit_ms[7] = {0, 0, 7 * DAY_MS, DAY_MS, HOUR_MS, MIN_MS, SEC_MS};
    size_t i = 0;
    int neg = 0, in_time = 0, last = -1, any = 0, any_time = 0, had_frac = 0;
    int64_t months = 0, ms = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i >= n || upper(s[i]) != 'P')
        return fail(msg, cap, "expected a duration such as PT10M or P1D");
    for (i++; i < n;) {
        if (upper(s[i]) == 'T') {
            if (in_time)
                return fail(msg, cap, "'T' appears twice in the duration");
            in_time = 1;
            i++;
            continue;
        }
        if (!is_digit(s[i]))
            break;
        if (had_frac)
            return fail(msg, cap, "only the last (smallest) unit may have a fraction");
        int64_t v = 0, fnum = 0, fden = 1;
        int big = 0, frac = 0;
        for (; i < n && is_digit(s[i]); i++) {
            if (v > 100000000000000LL)
                big = 1;
            else
                v = v * 10 + (s[i] - '0');
        }
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            int k = 0;
            for (i++; i < n && is_digit(s[i]); i++, k++) {
                if (fden < 1000000000) /* digits past nanoseconds cannot matter */
                    fnum = fnum * 10 + (s[i] - '0'), fden *= 10;
            }
            if (k == 0)
                return fail(msg, cap, "expected digits after the decimal sign");
            frac = 1;
        }
        char u = i < n ? upper(s[i]) : '\0';
        int idx = !in_time ? (u == 'Y' ? 0 : u == 'M' ? 1 : u == 'W' ? 2 : u == 'D' ? 3 : -1)
                           : (u == 'H' ? 4 : u == 'M' ? 5 : u == 'S' ? 6 : -1);
        if (idx < 0 && !in_time && (u == 'H' || u == 'S'))
            return fail(msg, cap, "hours, minutes and seconds come after a 'T', as in PT1%c",
                        u);
        if (idx < 0 && in_time && (u == 'Y' || u == 'W' || u == 'D'))
            return fail(msg, cap, "years, weeks and days come before the 'T'");
        if (idx < 0)
            return fail(msg, cap, "expected a unit (Y, M, W, D, or H, M, S after T) after a "
                                  "number");
        if (idx <= last)
            return fail(msg, cap, "units must appear at most once each, in the order YMWDTHMS");
        last = idx;
        i++;
        had_frac = frac;
        any = 1;
        any_time |= in_time;
        if (big)
            return fail(msg, cap, "the duration is too long (more than 10000 years)");
        if (idx <= 1) {
            if (fnum)
                return fail(msg, cap,
                            "a fraction of a year or month has no fixed length (write P1Y6M)");
            months += idx == 0 ? (v > DUR_MAX_MONTHS ? DUR_MAX_MONTHS + 1 : v * 12) : v;
            if (months > DUR_MAX_MONTHS)
                return fail(msg, cap, "the duration is too long (more than 10000 years)");
        } else {
            if (v > DUR_MAX_MS / unit_ms[idx])
                return fail(msg, cap, "the duration is too long (more than 10000 years)");
            ms += v * unit_ms[idx] + fnum * unit_ms[idx] / fden;
            if (ms > DUR_MAX_MS)
                return fail(msg, cap, "the duration is too long (more than 10000 years)");
        }
    }
    if (!any)
        return fail(msg, cap, "a duration needs a number and a unit, as in PT10M or P1D");
    if (in_time && !any_time)
        return fail(msg, cap, "'T' must be followed by hours, minutes or seconds");
    out->months = neg ? -months : months;
    out->ms = neg ? -ms : ms;
    return (int)i;
}

int bm_parse_duration(const char *s, size_t n, bm_duration *d)
{
    bm_duration v;
    int used = s ? parse_dur(s, n, &v, NULL, 0) : -1;
    if (used >= 0 && d)
        *d = v;
    return used;
}

static int positive(bm_duration d)
{
    return d.months >= 0 && d.ms >= 0 && (d.months > 0 || d.ms > 0);
}

/* A date or duration that must fill s[0..n). */
static int whole_dt(const char *s, size_t n, int64_t *t, char *msg, size_t cap)
{
    char sn[20];
    int used = parse_dt(s, n, t, msg, cap);
    if (used >= 0 && (size_t)used != n)
        return fail(msg, cap, "unexpected '%s' after the date",
                    snippet(s + used, n - (size_t)used, sn));
    return used < 0 ? -1 : 0;
}

static int whole_period(const char *s, size_t n, bm_duration *d, char *msg, size_t cap)
{
    char sn[20];
    int used = parse_dur(s, n, d, msg, cap);
    if (used < 0)
        return -1;
    if ((size_t)used != n)
        return fail(msg, cap, "unexpected '%s' after the duration",
                    snippet(s + used, n - (size_t)used, sn));
    if (!positive(*d))
        return fail(msg, cap, "a timer period must be positive");
    return 0;
}

static int starts_duration(const char *s, size_t n)
{
    size_t i = n > 0 && (s[0] == '-' || s[0] == '+');
    return i < n && upper(s[i]) == 'P';
}

/* ---- repeating intervals ---- */

/* R[n]/duration, R[n]/start/duration or R[n]/duration/end. */
static int parse_cycle(const char *s, size_t n, bm_timer_spec *out, char *msg, size_t cap)
{
    size_t i = 1;
    int64_t rep = -1;
    if (i < n && is_digit(s[i])) {
        for (rep = 0; i < n && is_digit(s[i]); i++) {
            if (rep > (INT64_MAX - 9) / 10)
                return fail(msg, cap, "the repetition count is too large");
            rep = rep * 10 + (s[i] - '0');
        }
        if (rep == 0)
            return fail(msg, cap, "R0 never fires: write R1 or more, or R alone for no end");
    }
    if (i < n && s[i] == '-')
        return fail(msg, cap, "a negative count is not ISO 8601: write R/... for no end");
    if (i >= n || s[i] != '/')
        return fail(msg, cap, "expected R, or R and a count, then '/' (as in R3/PT1H)");
    const char *a = s + i + 1, *slash = memchr(a, '/', n - i - 1);
    size_t an = slash ? (size_t)(slash - a) : n - i - 1;
    const char *b = slash ? slash + 1 : NULL;
    size_t bn = slash ? n - (size_t)(b - s) : 0;
    if (b && memchr(b, '/', bn))
        return fail(msg, cap, "a repeating interval has at most three parts (R3/start/period)");
    out->form = BM_TF_CYCLE;
    out->repeat = rep;
    if (starts_duration(a, an)) {
        if (whole_period(a, an, &out->period, msg, cap))
            return -1;
        if (b) {
            out->has_end = 1;
            return whole_dt(b, bn, &out->end, msg, cap);
        }
        return 0;
    }
    if (!is_digit(an ? a[0] : '\0'))
        return fail(msg, cap, "expected a period (PT1H) or a start date after '/'");
    if (whole_dt(a, an, &out->date, msg, cap))
        return -1;
    out->has_start = 1;
    if (!b)
        return fail(msg, cap, "a start date needs a period after it (R3/start/PT1H)");
    int64_t end;
    if (!starts_duration(b, bn) && bn && is_digit(b[0]) && whole_dt(b, bn, &end, NULL, 0) == 0)
        return fail(msg, cap, "start/end is an interval without a period, not a repetition: "
                              "write R[n]/start/duration");
    return whole_period(b, bn, &out->period, msg, cap);
}

/* Due time number k (k = 0 is the first) of a cycle that starts at `start`, computed from the
 * start rather than the previous firing so that month-end clamping does not accumulate. */
static int cycle_at(const bm_timer_spec *s, int64_t start, int64_t k, int64_t *due)
{
    if (k < 0 || (s->period.months && k > DUR_MAX_MONTHS / s->period.months) ||
        (s->period.ms && k > DUR_MAX_MS / s->period.ms))
        return -1;
    bm_duration d = {s->period.months * k, s->period.ms * k};
    *due = bm_add_duration(start, d);
    return in_range(*due) ? 0 : -1;
}

/* ---- cron ---- */

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
    if (*i < n && is_digit(s[*i])) {
        int x = 0;
        for (; *i < n && is_digit(s[*i]); (*i)++)
            x = x > 99999 ? x : x * 10 + (s[*i] - '0');
        if (x < r->lo || x > r->hi)
            return fail(r->msg, r->cap, "%d is out of range in the %s field (%d-%d)", x,
                        field_name[r->f], r->lo, r->hi);
        *v = x;
        return 0;
    }
    const char *const *names = r->f == F_MON ? mon_names : r->f == F_DOW ? dow_names : NULL;
    int count = r->f == F_MON ? 12 : 7;
    for (int k = 0; names && k < count && *i + 3 <= n; k++) {
        if (upper(s[*i]) == names[k][0] && upper(s[*i + 1]) == names[k][1] &&
            upper(s[*i + 2]) == names[k][2]) {
            *i += 3;
            *v = r->f == F_MON ? k + 1 : r->spring ? k : k + 1;
            return 0;
        }
    }
    return fail(r->msg, r->cap, "unexpected '%s' in the %s field", snippet(s + *i, n - *i, sn),
                field_name[r->f]);
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
            return fail(r->msg, r->cap, "'?' is only allowed for the day of the month or week");
        c->flags |= r->f == F_DOM ? CRON_DOM_ANY : CRON_DOW_ANY;
        return 0;
    }
    if (r->f == F_DOM && upper(s[0]) == 'L') {
        if (n == 2 && upper(s[1]) == 'W') {
            c->flags |= CRON_DOM_LW;
            return 0;
        }
        int off = 0;
        if (n > 1) {
            i = 2;
            if (n < 3 || n > 4 || s[1] != '-' || digits(s, n, &i, (int)n - 2, &off) || off > 30)
                return fail(r->msg, r->cap, "expected L, L-n (n up to 30) or LW in the "
                                            "day-of-month field");
        }
        c->flags |= CRON_DOM_LAST;
        c->dom_last_off = (uint8_t)off;
        return 0;
    }
    if (r->f == F_DOW && n == 1 && upper(s[0]) == 'L') {
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
        if (r->f == F_DOM && i + 1 == n && upper(s[i]) == 'W') {
            c->dom_w |= 1u << a;
            return 0;
        }
        if (r->f == F_DOW && i + 1 == n && upper(s[i]) == 'L') {
            c->dow_last |= (uint8_t)(1u << cron_wday(r, a));
            return 0;
        }
        if (r->f == F_DOW && i < n && s[i] == '#') {
            int k;
            i++;
            if (i + 1 != n || digits(s, n, &i, 1, &k) || k < 1 || k > 5)
                return fail(r->msg, r->cap, "expected n#k with k from 1 to 5 in the "
                                            "day-of-week field");
            c->dow_nth[cron_wday(r, a)] |= (uint8_t)(1u << k);
            return 0;
        }
        if (i < n && s[i] == '-') {
            i++;
            if (cron_value(r, s, n, &i, &b))
                return -1;
            if (r->f == F_YEAR && b < a)
                return fail(r->msg, r->cap, "the year range %d-%d runs backwards", a, b);
        } else if (i < n && s[i] == '/') {
            b = r->hi; /* a/step runs from a to the end of the range */
        }
    }
    if (i < n && s[i] == '/') {
        i++;
        if (i >= n || !is_digit(s[i]))
            return fail(r->msg, r->cap, "expected a step after '/' in the %s field",
                        field_name[r->f]);
        for (step = 0; i < n && is_digit(s[i]); i++)
            step = step > 99999 ? step : step * 10 + (s[i] - '0');
        if (step == 0)
            return fail(r->msg, r->cap, "a step of 0 in the %s field", field_name[r->f]);
        any = 0;
    }
    if (i != n)
        return fail(r->msg, r->cap, "unexpected '%s' in the %s field", snippet(s + i, n - i, sn),
                    field_name[r->f]);
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
        if (!is_digit(s[i]) || (i > 0 && is_digit(s[i - 1])))
            continue;
        if (i > 0 && (s[i - 1] == '/' || s[i - 1] == '#'))
            continue;
        size_t j = i;
        while (j < n && s[j] == '0')
            j++;
        if (j > i && (j == n || !is_digit(s[j])))
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
            return fail(msg, cap, "an empty item in the %s field", field_name[f]);
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
        while (j < n && j < len && upper(s[j]) == upper(m[k][0][j]))
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
static int parse_cron(const char *s, size_t n, bm_timer_spec *out, char *msg, size_t cap)
{
    struct bm_cron c;
    memset(&c, 0, sizeof c);
    if (n && s[0] == '@') {
        const char *m = cron_macro(s, n);
        if (!m)
            return fail(msg, cap, "unknown cron shorthand (known: @yearly, @monthly, @weekly, "
                                  "@daily, @hourly)");
        s = m;
        n = strlen(m);
    }
    const char *field[8];
    size_t len[8], nf = 0;
    for (size_t i = 0; i < n;) {
        if (is_blank(s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && !is_blank(s[j]))
            j++;
        if (nf == 8)
            return fail(msg, cap, "a cron expression has 6 or 7 fields, not more");
        field[nf] = s + i;
        len[nf++] = j - i;
        i = j;
    }
    if (nf < 6)
        return fail(msg, cap, "a cron expression has 6 or 7 fields (sec min hour day month "
                              "weekday [year]), not %zu", nf);
    if (nf > 7)
        return fail(msg, cap, "a cron expression has 6 or 7 fields, not more");
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
    int wd = weekday(first_day + n - 1);
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
    int wd = weekday(first_day + d - 1);
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
static int cron_next(const bm_timer_spec *s, int64_t after, int64_t *due)
{
    struct bm_cron c;
    memcpy(&c, s->cron, sizeof c);
    if (!in_range(after) || !(c.sec & 0x0FFFFFFFFFFFFFFFull) || !(c.min & 0x0FFFFFFFFFFFFFFFull) ||
        !(c.hour & 0xFFFFFFu) || !(c.mon & 0x1FFEu))
        return -1;
    int64_t limit = bm_add_duration(after, (bm_duration){60, 0}), ly, y;
    if (limit > MS_HI)
        limit = MS_HI;
    int lm, ld, mo, d;
    civil_from_days(fdiv(limit, DAY_MS), &ly, &lm, &ld);
    int64_t t = fdiv(after, SEC_MS) * SEC_MS + SEC_MS, days = fdiv(t, DAY_MS);
    int64_t tod = t - days * DAY_MS;
    int h = (int)(tod / HOUR_MS), mi = (int)(tod / MIN_MS % 60), sec = (int)(tod / SEC_MS % 60);
    civil_from_days(days, &y, &mo, &d);
    for (; y <= ly; y++, mo = 1, d = 1, h = mi = sec = 0) {
        if (!cron_year(&c, y))
            continue;
        for (; mo <= 12; mo++, d = 1, h = mi = sec = 0) {
            if (!(c.mon >> mo & 1))
                continue;
            int64_t first = days_from_civil(y, mo, 1);
            int md = month_days(y, mo);
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

/* ---- the timer ---- */

int bm_timer_parse(bm_timer_slot slot, const char *text, bm_timer_spec *out, char *err,
                   size_t errcap)
{
    bm_timer_spec tmp;
    bm_timer_spec *sp = out ? out : &tmp;
    memset(sp, 0, sizeof *sp);
    if (err && errcap)
        err[0] = '\0';
    if (!text)
        return fail(err, errcap, "the timer has no definition");
    /* BPMN files often wrap the text in whitespace and line breaks. */
    const char *s = text;
    size_t n = strlen(text);
    while (n && is_blank(*s))
        s++, n--;
    while (n && is_blank(s[n - 1]))
        n--;
    if (n == 0)
        return fail(err, errcap, "the timer definition is empty");
    for (size_t i = 0; i + 1 < n; i++)
        if ((s[i] == '$' || s[i] == '#') && s[i + 1] == '{')
            return fail(err, errcap, "the text is an expression: evaluate it first");
    if (s[0] == '=')
        return fail(err, errcap, "the text is an expression: evaluate it first");
    char c0 = upper(s[0]);
    int64_t t;
    int rc;
    switch (slot) {
    case BM_SLOT_DATE:
        if (starts_duration(s, n))
            return fail(err, errcap, "a timeDate holds a date such as 2026-01-01T09:00:00Z, "
                                     "not a duration (use timeDuration)");
        if (c0 == 'R')
            return fail(err, errcap, "a timeDate holds a date such as 2026-01-01T09:00:00Z, "
                                     "not a cycle (use timeCycle)");
        sp->form = BM_TF_DATE;
        rc = whole_dt(s, n, &sp->date, err, errcap);
        break;
    case BM_SLOT_DURATION:
        if (c0 == 'R')
            return fail(err, errcap, "a timeDuration holds a duration such as PT10M, not a "
                                     "cycle (use timeCycle)");
        if (n >= 8 && whole_dt(s, n, &t, NULL, 0) == 0)
            return fail(err, errcap, "a timeDuration holds a duration such as PT10M, not a "
                                     "date (use timeDate)");
        sp->form = BM_TF_DURATION;
        rc = whole_period(s, n, &sp->period, err, errcap);
        break;
    case BM_SLOT_CYCLE:
        if (c0 == 'R' && (n == 1 || s[1] == '/' || is_digit(s[1]) || s[1] == '-')) {
            rc = parse_cycle(s, n, sp, err, errcap);
        } else if (starts_duration(s, n)) {
            return fail(err, errcap, "a timeCycle repeats: write R/<duration> for no end or "
                                     "R3/<duration> for three times");
        } else if (n >= 8 && whole_dt(s, n, &t, NULL, 0) == 0) {
            return fail(err, errcap, "a timeCycle holds R[n]/... or a cron expression, not a "
                                     "date (use timeDate)");
        } else {
            rc = parse_cron(s, n, sp, err, errcap);
        }
        break;
    default:
        return fail(err, errcap, "unknown timer slot %d", (int)slot);
    }
    if (rc != 0)
        memset(sp, 0, sizeof *sp);
    return rc;
}

int bm_timer_first(const bm_timer_spec *s, int64_t armed, int64_t *due)
{
    int64_t v;
    if (!s || !due)
        return -1;
    switch (s->form) {
    case BM_TF_DATE:
        if (!in_range(s->date))
            return -1;
        *due = s->date;
        return 0;
    case BM_TF_DURATION:
        if (!in_range(armed) || !positive(s->period))
            return -1;
        v = bm_add_duration(armed, s->period);
        break;
    case BM_TF_CYCLE:
        if (!positive(s->period) || s->repeat == 0 || s->repeat < -1)
            return -1;
        if (s->has_start)
            v = s->date;
        else if (in_range(armed))
            v = bm_add_duration(armed, s->period);
        else
            return -1;
        if (s->has_end && v > s->end)
            return -1;
        break;
    case BM_TF_CRON:
        return cron_next(s, armed, due);
    default:
        return -1;
    }
    if (!in_range(v))
        return -1;
    *due = v;
    return 0;
}

/* A cycle with a start counts every firing from the start (a monthly timer from Jan 31 goes
 * Feb 28, Mar 31, Apr 30); one without counts from the previous due time, since the arming
 * time is not passed here, so after a short month the day stays clamped (Feb 28, Mar 28). */
int bm_timer_next(const bm_timer_spec *s, int64_t prev, int64_t fired, int64_t *due)
{
    int64_t v;
    if (!s || !due)
        return -1;
    switch (s->form) {
    case BM_TF_CYCLE:
        if (!positive(s->period) || fired < 1 || s->repeat == 0 || s->repeat < -1 ||
            (s->repeat > 0 && fired >= s->repeat))
            return -1;
        if (s->has_start) {
            if (cycle_at(s, s->date, fired, &v))
                return -1;
        } else {
            if (!in_range(prev))
                return -1;
            v = bm_add_duration(prev, s->period);
        }
        if (!in_range(v) || (s->has_end && v > s->end))
            return -1;
        *due = v;
        return 0;
    case BM_TF_CRON:
        return cron_next(s, prev, due);
    default:
        return -1;
    }
}
