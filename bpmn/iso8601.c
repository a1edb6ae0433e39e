/*
 * iso8601.c - ISO 8601 dates and durations, and the calendar arithmetic under them (the lowest
 * floor of time: cron.c and timer.c stand on it). Everything is UTC in ms since the epoch. Instants stay within the years 0001..9999 and durations within 10,000 years,
 * so no calculation can overflow; a due time that would leave that range means "never".
 *
 * Designators are read case-insensitively (pt10m, 2026-01-01t09:00z), as java.time does.
 *
 * Timer definitions (repeating intervals, the choice between ISO 8601 and cron) are in timer.c,
 * cron expressions in cron.c; the helpers they share are in iso8601_int.h.
 */
#include "bpmn/iso8601_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int bm_in_range(int64_t t)
{
    return t >= MS_LO && t <= MS_HI;
}

int bm_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int bm_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char bm_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Writes a message and returns -1, so that failures read `return bm_fail(...)`. */
int bm_fail(char *msg, size_t cap, const char *fmt, ...)
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
const char *bm_snippet(const char *s, size_t n, char out[20])
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

int64_t bm_fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Day counts from and to the proleptic Gregorian calendar (H. Hinnant's civil algorithms). */
int64_t bm_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void bm_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
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

int bm_month_days(int64_t y, int m)
{
    static const int n[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : n[m - 1];
}

/* 0 = Sunday; day 0 (1970-01-01) was a Thursday. */
int bm_weekday(int64_t days)
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
        bm_civil_from_days(days, &y, &m, &day);
        int64_t mi = y * 12 + (m - 1) + d.months;
        int64_t ny = bm_fdiv(mi, 12);
        int nm = (int)(mi - ny * 12) + 1;
        int md = bm_month_days(ny, nm);
        int64_t nd = bm_days_from_civil(ny, nm, day < md ? day : md);
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
int bm_digits(const char *s, size_t n, size_t *i, int width, int *out)
{
    int v = 0;
    for (int k = 0; k < width; k++) {
        if (*i >= n || !bm_is_digit(s[*i]))
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
    if (bm_digits(s, n, i, 2, &h))
        return bm_fail(msg, cap, "expected the hour (hh) after 'T'");
    int ext = *i < n && s[*i] == ':';
    if (ext || (*i < n && bm_is_digit(s[*i]))) {
        *i += (size_t)ext;
        if (bm_digits(s, n, i, 2, &mi))
            return bm_fail(msg, cap, "expected minutes (mm) after the hour");
        if (ext ? (*i < n && s[*i] == ':') : (*i < n && bm_is_digit(s[*i]))) {
            *i += (size_t)ext;
            if (bm_digits(s, n, i, 2, &sec))
                return bm_fail(msg, cap, "expected seconds (ss) after the minutes");
            if (*i < n && (s[*i] == '.' || s[*i] == ',')) {
                int k = 0;
                for ((*i)++; *i < n && bm_is_digit(s[*i]); (*i)++, k++) {
                    if (k < 3)
                        frac = frac * 10 + (s[*i] - '0');
                    nonzero |= s[*i] != '0';
                }
                if (k == 0)
                    return bm_fail(msg, cap, "expected digits after the decimal sign");
                for (; k < 3; k++)
                    frac *= 10;
            }
        }
    }
    if (h > 24)
        return bm_fail(msg, cap, "hour %02d is out of range (00-23, or 24:00)", h);
    if (h == 24 && (mi || sec || nonzero))
        return bm_fail(msg, cap, "hour 24 is only allowed as 24:00:00 (the end of the day)");
    if (mi > 59)
        return bm_fail(msg, cap, "minute %02d is out of range (00-59)", mi);
    if (sec > 59)
        return bm_fail(msg, cap, "second %02d is out of range (00-59)", sec);
    *ms = h * HOUR_MS + mi * MIN_MS + sec * SEC_MS + frac;
    return 0;
}

/* A date YYYY-MM-DD (or YYYYMMDD), an optional time, an optional offset Z, ±hh, ±hh:mm or
 * ±hhmm; without an offset the time is UTC. Returns the bytes consumed or -1. */
int bm_read_datetime(const char *s, size_t n, int64_t *out, char *msg, size_t cap)
{
    size_t i = 0;
    int y, mo, d;
    if (bm_digits(s, n, &i, 4, &y))
        return bm_fail(msg, cap, "expected a date such as 2026-01-01 or 2026-01-01T09:00:00Z");
    int ext = i < n && s[i] == '-';
    i += (size_t)ext;
    if (bm_digits(s, n, &i, 2, &mo) || (ext && (i >= n || s[i++] != '-')) ||
        bm_digits(s, n, &i, 2, &d))
        return bm_fail(msg, cap, "expected a date such as 2026-01-01 (year-month-day)");
    if (y < 1)
        return bm_fail(msg, cap, "year 0000 is out of range (0001-9999)");
    if (mo < 1 || mo > 12)
        return bm_fail(msg, cap, "month %02d is out of range (01-12)", mo);
    if (d < 1 || d > bm_month_days(y, mo))
        return bm_fail(msg, cap, "day %02d is out of range: %s %04d has %d days", d,
                       month_name[mo - 1], y, bm_month_days(y, mo));
    int64_t t = bm_days_from_civil(y, mo, d) * DAY_MS, tod = 0;
    if (i < n && bm_upper(s[i]) == 'T') {
        i++;
        if (parse_time(s, n, &i, &tod, msg, cap))
            return -1;
        t += tod;
    }
    if (i < n && bm_upper(s[i]) == 'Z') {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        char sign = s[i++];
        int oh, om = 0;
        if (bm_digits(s, n, &i, 2, &oh))
            return bm_fail(msg, cap, "expected the offset as %chh:mm", sign);
        if (i < n && s[i] == ':') {
            i++;
            if (bm_digits(s, n, &i, 2, &om))
                return bm_fail(msg, cap, "expected the offset minutes after '%c%02d:'", sign, oh);
        } else if (i + 1 < n && bm_is_digit(s[i]) && bm_is_digit(s[i + 1])) {
            bm_digits(s, n, &i, 2, &om);
        }
        if (om > 59 || oh * 60 + om > 18 * 60)
            return bm_fail(msg, cap, "offset %c%02d:%02d is out of range (at most 18:00)", sign,
                           oh, om);
        int64_t off = oh * HOUR_MS + om * MIN_MS;
        t += sign == '-' ? off : -off;
    }
    if (!bm_in_range(t))
        return bm_fail(msg, cap, "the time is out of range (years 0001-9999 in UTC)");
    *out = t;
    return (int)i;
}

int bm_parse_datetime(const char *s, size_t n, int64_t *ms)
{
    int64_t t;
    int used = s ? bm_read_datetime(s, n, &t, NULL, 0) : -1;
    if (used >= 0 && ms)
        *ms = t;
    return used;
}

/* ---- durations ---- */

/* [-|+]PnYnMnWnDTnHnMnS: each unit at most once and in that order, a fraction only on the
 * last one given, years and months on the calendar, weeks and days as 24-hour days. */
int bm_read_duration(const char *s, size_t n, bm_duration *out, char *msg, size_t cap)
{
    static const int64_t unit_ms[7] = {0, 0, 7 * DAY_MS, DAY_MS, HOUR_MS, MIN_MS, SEC_MS};
    size_t i = 0;
    int neg = 0, in_time = 0, last = -1, any = 0, any_time = 0, had_frac = 0;
    int64_t months = 0, ms = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i >= n || bm_upper(s[i]) != 'P')
        return bm_fail(msg, cap, "expected a duration such as PT10M or P1D");
    for (i++; i < n;) {
        if (bm_upper(s[i]) == 'T') {
            if (in_time)
                return bm_fail(msg, cap, "'T' appears twice in the duration");
            in_time = 1;
            i++;
            continue;
        }
        if (!bm_is_digit(s[i]))
            break;
        if (had_frac)
            return bm_fail(msg, cap, "only the last (smallest) unit may have a fraction");
        int64_t v = 0, fnum = 0, fden = 1;
        int big = 0, frac = 0;
        for (; i < n && bm_is_digit(s[i]); i++) {
            if (v > 100000000000000LL)
                big = 1;
            else
                v = v * 10 + (s[i] - '0');
        }
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            int k = 0;
            for (i++; i < n && bm_is_digit(s[i]); i++, k++) {
                if (fden < 1000000000) /* digits past nanoseconds cannot matter */
                    fnum = fnum * 10 + (s[i] - '0'), fden *= 10;
            }
            if (k == 0)
                return bm_fail(msg, cap, "expected digits after the decimal sign");
            frac = 1;
        }
        char u = i < n ? bm_upper(s[i]) : '\0';
        int idx = !in_time ? (u == 'Y' ? 0 : u == 'M' ? 1 : u == 'W' ? 2 : u == 'D' ? 3 : -1)
                           : (u == 'H' ? 4 : u == 'M' ? 5 : u == 'S' ? 6 : -1);
        if (idx < 0 && !in_time && (u == 'H' || u == 'S'))
            return bm_fail(msg, cap, "hours, minutes and seconds come after a 'T', as in PT1%c",
                           u);
        if (idx < 0 && in_time && (u == 'Y' || u == 'W' || u == 'D'))
            return bm_fail(msg, cap, "years, weeks and days come before the 'T'");
        if (idx < 0)
            return bm_fail(msg, cap, "expected a unit (Y, M, W, D, or H, M, S after T) after a "
                                     "number");
        if (idx <= last)
            return bm_fail(msg, cap, "units must appear at most once each, in the order YMWDTHMS");
        last = idx;
        i++;
        had_frac = frac;
        any = 1;
        any_time |= in_time;
        if (big)
            return bm_fail(msg, cap, "the duration is too long (more than 10000 years)");
        if (idx <= 1) {
            if (fnum)
                return bm_fail(msg, cap,
                               "a fraction of a year or month has no fixed length (write P1Y6M)");
            months += idx == 0 ? (v > DUR_MAX_MONTHS ? DUR_MAX_MONTHS + 1 : v * 12) : v;
            if (months > DUR_MAX_MONTHS)
                return bm_fail(msg, cap, "the duration is too long (more than 10000 years)");
        } else {
            if (v > DUR_MAX_MS / unit_ms[idx])
                return bm_fail(msg, cap, "the duration is too long (more than 10000 years)");
            ms += v * unit_ms[idx] + fnum * unit_ms[idx] / fden;
            if (ms > DUR_MAX_MS)
                return bm_fail(msg, cap, "the duration is too long (more than 10000 years)");
        }
    }
    if (!any)
        return bm_fail(msg, cap, "a duration needs a number and a unit, as in PT10M or P1D");
    if (in_time && !any_time)
        return bm_fail(msg, cap, "'T' must be followed by hours, minutes or seconds");
    out->months = neg ? -months : months;
    out->ms = neg ? -ms : ms;
    return (int)i;
}

int bm_parse_duration(const char *s, size_t n, bm_duration *d)
{
    bm_duration v;
    int used = s ? bm_read_duration(s, n, &v, NULL, 0) : -1;
    if (used >= 0 && d)
        *d = v;
    return used;
}
