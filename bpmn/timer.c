/*
 * timer.c - timer definitions: a timeDate, timeDuration or timeCycle (an ISO 8601 date, duration
 * or repeating interval, or a Quartz/Spring cron expression) read once and asked for due times.
 * It stands on iso8601.c (dates, durations, the calendar) and cron.c (cron fields, matching).
 *
 * Expressions are not evaluated here: the engine evaluates `${...}`, `#{...}` and `=...` first
 * and passes the resulting text to bm_timer_parse. Given an unevaluated one, bm_timer_parse
 * fails with a message containing "is an expression", so a caller can tell that case apart.
 */
#include "bpmn/iso8601_int.h"

#include <stdio.h>
#include <string.h>

static int positive(bm_duration d)
{
    return d.months >= 0 && d.ms >= 0 && (d.months > 0 || d.ms > 0);
}

/* A date or duration that must fill s[0..n). */
static int whole_dt(const char *s, size_t n, int64_t *t, char *msg, size_t cap)
{
    char sn[20];
    int used = bm_read_datetime(s, n, t, msg, cap);
    if (used >= 0 && (size_t)used != n)
        return bm_fail(msg, cap, "unexpected '%s' after the date",
                       bm_snippet(s + used, n - (size_t)used, sn));
    return used < 0 ? -1 : 0;
}

static int whole_period(const char *s, size_t n, bm_duration *d, char *msg, size_t cap)
{
    char sn[20];
    int used = bm_read_duration(s, n, d, msg, cap);
    if (used < 0)
        return -1;
    if ((size_t)used != n)
        return bm_fail(msg, cap, "unexpected '%s' after the duration",
                       bm_snippet(s + used, n - (size_t)used, sn));
    if (!positive(*d))
        return bm_fail(msg, cap, "a timer period must be positive");
    return 0;
}

static int starts_duration(const char *s, size_t n)
{
    size_t i = n > 0 && (s[0] == '-' || s[0] == '+');
    return i < n && bm_upper(s[i]) == 'P';
}

/* ---- repeating intervals ---- */

/* R[n]/duration, R[n]/start/duration or R[n]/duration/end. */
static int parse_cycle(const char *s, size_t n, bm_timer_spec *out, char *msg, size_t cap)
{
    size_t i = 1;
    int64_t rep = -1;
    if (i < n && bm_is_digit(s[i])) {
        for (rep = 0; i < n && bm_is_digit(s[i]); i++) {
            if (rep > (INT64_MAX - 9) / 10)
                return bm_fail(msg, cap, "the repetition count is too large");
            rep = rep * 10 + (s[i] - '0');
        }
        if (rep == 0)
            return bm_fail(msg, cap, "R0 never fires: write R1 or more, or R alone for no end");
    }
    if (i < n && s[i] == '-')
        return bm_fail(msg, cap, "a negative count is not ISO 8601: write R/... for no end");
    if (i >= n || s[i] != '/')
        return bm_fail(msg, cap, "expected R, or R and a count, then '/' (as in R3/PT1H)");
    const char *a = s + i + 1, *slash = memchr(a, '/', n - i - 1);
    size_t an = slash ? (size_t)(slash - a) : n - i - 1;
    const char *b = slash ? slash + 1 : NULL;
    size_t bn = slash ? n - (size_t)(b - s) : 0;
    if (b && memchr(b, '/', bn))
        return bm_fail(msg, cap, "a repeating interval has at most three parts (R3/start/period)");
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
    if (!bm_is_digit(an ? a[0] : '\0'))
        return bm_fail(msg, cap, "expected a period (PT1H) or a start date after '/'");
    if (whole_dt(a, an, &out->date, msg, cap))
        return -1;
    out->has_start = 1;
    if (!b)
        return bm_fail(msg, cap, "a start date needs a period after it (R3/start/PT1H)");
    int64_t end;
    if (!starts_duration(b, bn) && bn && bm_is_digit(b[0]) && whole_dt(b, bn, &end, NULL, 0) == 0)
        return bm_fail(msg, cap, "start/end is an interval without a period, not a repetition: "
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
    return bm_in_range(*due) ? 0 : -1;
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
        return bm_fail(err, errcap, "the timer has no definition");
    /* BPMN files often wrap the text in whitespace and line breaks. */
    const char *s = text;
    size_t n = strlen(text);
    while (n && bm_is_blank(*s))
        s++, n--;
    while (n && bm_is_blank(s[n - 1]))
        n--;
    if (n == 0)
        return bm_fail(err, errcap, "the timer definition is empty");
    for (size_t i = 0; i + 1 < n; i++)
        if ((s[i] == '$' || s[i] == '#') && s[i + 1] == '{')
            return bm_fail(err, errcap, "the text is an expression: evaluate it first");
    if (s[0] == '=')
        return bm_fail(err, errcap, "the text is an expression: evaluate it first");
    char c0 = bm_upper(s[0]);
    int64_t t;
    int rc;
    switch (slot) {
    case BM_SLOT_DATE:
        if (starts_duration(s, n))
            return bm_fail(err, errcap, "a timeDate holds a date such as 2026-01-01T09:00:00Z, "
                                        "not a duration (use timeDuration)");
        if (c0 == 'R')
            return bm_fail(err, errcap, "a timeDate holds a date such as 2026-01-01T09:00:00Z, "
                                        "not a cycle (use timeCycle)");
        sp->form = BM_TF_DATE;
        rc = whole_dt(s, n, &sp->date, err, errcap);
        break;
    case BM_SLOT_DURATION:
        if (c0 == 'R')
            return bm_fail(err, errcap, "a timeDuration holds a duration such as PT10M, not a "
                                        "cycle (use timeCycle)");
        if (n >= 8 && whole_dt(s, n, &t, NULL, 0) == 0)
            return bm_fail(err, errcap, "a timeDuration holds a duration such as PT10M, not a "
                                        "date (use timeDate)");
        sp->form = BM_TF_DURATION;
        rc = whole_period(s, n, &sp->period, err, errcap);
        break;
    case BM_SLOT_CYCLE:
        if (c0 == 'R' && (n == 1 || s[1] == '/' || bm_is_digit(s[1]) || s[1] == '-')) {
            rc = parse_cycle(s, n, sp, err, errcap);
        } else if (starts_duration(s, n)) {
            return bm_fail(err, errcap, "a timeCycle repeats: write R/<duration> for no end or "
                                        "R3/<duration> for three times");
        } else if (n >= 8 && whole_dt(s, n, &t, NULL, 0) == 0) {
            return bm_fail(err, errcap, "a timeCycle holds R[n]/... or a cron expression, not a "
                                        "date (use timeDate)");
        } else {
            rc = bm_cron_parse(s, n, sp, err, errcap);
        }
        break;
    default:
        return bm_fail(err, errcap, "unknown timer slot %d", (int)slot);
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
        if (!bm_in_range(s->date))
            return -1;
        *due = s->date;
        return 0;
    case BM_TF_DURATION:
        if (!bm_in_range(armed) || !positive(s->period))
            return -1;
        v = bm_add_duration(armed, s->period);
        break;
    case BM_TF_CYCLE:
        if (!positive(s->period) || s->repeat == 0 || s->repeat < -1)
            return -1;
        if (s->has_start)
            v = s->date;
        else if (bm_in_range(armed))
            v = bm_add_duration(armed, s->period);
        else
            return -1;
        if (s->has_end && v > s->end)
            return -1;
        break;
    case BM_TF_CRON:
        return bm_cron_next(s, armed, due);
    default:
        return -1;
    }
    if (!bm_in_range(v))
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
            if (!bm_in_range(prev))
                return -1;
            v = bm_add_duration(prev, s->period);
        }
        if (!bm_in_range(v) || (s->has_end && v > s->end))
            return -1;
        *due = v;
        return 0;
    case BM_TF_CRON:
        return bm_cron_next(s, prev, due);
    default:
        return -1;
    }
}
