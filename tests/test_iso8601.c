/*
 * test_iso8601.c - timer definitions: ISO 8601 dates, durations and repeating intervals and
 * cron expressions parse to the documented spec, are refused with a message that names the
 * problem, and give the documented due times (calendar months, month ends, leap years, cycles
 * that run out, end bounds, cron fields).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bpmn/iso8601.h"
#include "test_util.h"

#define MIN 60000LL
#define HOUR 3600000LL
#define DAY 86400000LL

/* ms since the epoch of a UTC civil time, counted independently of the code under test. */
static int64_t at(int y, int mo, int d, int h, int mi, int s)
{
    static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t days = 0;
    for (int k = 1970; k < y; k++)
        days += 365 + ((k % 4 == 0 && k % 100 != 0) || k % 400 == 0);
    for (int k = 1; k < mo; k++)
        days += md[k - 1] + (k == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    days += d - 1;
    return ((days * 24 + h) * 60 + mi) * 60000LL + s * 1000LL;
}

/* A readable UTC time for failure messages (two buffers, so one printf can show two). */
static const char *show(int64_t ms)
{
    static char buf[2][80];
    static int k;
    k ^= 1;
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        snprintf(buf[k], sizeof buf[k], "(%lld)", (long long)ms);
    else
        snprintf(buf[k], sizeof buf[k], "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(((ms % 1000) + 1000) % 1000));
    return buf[k];
}

#define EQ_TIME(got, want)                                                                    \
    do {                                                                                      \
        int64_t g_ = (got), w_ = (want);                                                      \
        if (g_ != w_)                                                                         \
            fprintf(stderr, "\n  %s:%d: got %s, want %s\n", __FILE__, __LINE__, show(g_),    \
                    show(w_));                                                                \
        CU_ASSERT_EQUAL(g_, w_);                                                              \
    } while (0)

/* Parses text in a slot, asserting success. */
static bm_timer_spec parse_ok(bm_timer_slot slot, const char *text)
{
    bm_timer_spec s;
    char err[256] = "";
    int rc = bm_timer_parse(slot, text, &s, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "\n  '%s' refused: %s\n", text, err);
    CU_ASSERT_EQUAL(rc, 0);
    return s;
}

/* Asserts that text is refused in the slot with a message containing `want`. */
#define REFUSED(slot, text, want)                                                          \
    do {                                                                                   \
        bm_timer_spec s_;                                                                  \
        char err_[256] = "";                                                               \
        const char *text_ = (text);                                                        \
        int rc_ = bm_timer_parse((slot), text_, &s_, err_, sizeof err_);                   \
        if (rc_ != -1 || !strstr(err_, (want)))                                            \
            fprintf(stderr, "\n  %s:%d: '%s': rc %d, message '%s', want '%s'\n", __FILE__, \
                    __LINE__, text_ ? text_ : "(null)", rc_, err_, (want));                \
        CU_ASSERT_EQUAL(rc_, -1);                                                          \
        CU_ASSERT_PTR_NOT_NULL(strstr(err_, (want)));                                      \
    } while (0)

static int64_t date_of(const char *text)
{
    bm_timer_spec s = parse_ok(BM_SLOT_DATE, text);
    CU_ASSERT_EQUAL(s.form, BM_TF_DATE);
    return s.date;
}

static bm_duration duration_of(const char *text)
{
    bm_timer_spec s = parse_ok(BM_SLOT_DURATION, text);
    CU_ASSERT_EQUAL(s.form, BM_TF_DURATION);
    return s.period;
}

#define EQ_DUR(text, mo, msv)                                                               \
    do {                                                                                    \
        bm_duration d_ = duration_of(text);                                                 \
        if (d_.months != (mo) || d_.ms != (msv))                                            \
            fprintf(stderr, "\n  %s:%d: '%s' gave %lld months %lld ms\n", __FILE__, __LINE__, \
                    (text), (long long)d_.months, (long long)d_.ms);                        \
        CU_ASSERT_EQUAL(d_.months, (mo));                                                   \
        CU_ASSERT_EQUAL(d_.ms, (msv));                                                      \
    } while (0)

/* The first due time and the next `n - 1` (fewer when the timer runs out); returns how many. */
static int dues(const bm_timer_spec *s, int64_t armed, int64_t *out, int n)
{
    if (n == 0 || bm_timer_first(s, armed, &out[0]) != 0)
        return 0;
    int k = 1;
    while (k < n && bm_timer_next(s, out[k - 1], k, &out[k]) == 0)
        k++;
    return k;
}

static void test_dates_with_z_offsets_fractions_and_no_zone(void)
{
    EQ_TIME(date_of("2026-01-01T09:00:00Z"), at(2026, 1, 1, 9, 0, 0));
    EQ_TIME(date_of("2026-01-01T09:00:00"), at(2026, 1, 1, 9, 0, 0)); /* no offset: UTC */
    EQ_TIME(date_of("2026-01-01T09:00Z"), at(2026, 1, 1, 9, 0, 0));
    EQ_TIME(date_of("2026-01-01T12:00:00+03:00"), at(2026, 1, 1, 9, 0, 0));
    EQ_TIME(date_of("2026-01-01T04:00:00-0500"), at(2026, 1, 1, 9, 0, 0));
    EQ_TIME(date_of("2026-01-01T12:00+03"), at(2026, 1, 1, 9, 0, 0));
    EQ_TIME(date_of("2026-01-01T05:30:00-03:30"), at(2026, 1, 1, 9, 0, 0));
    EQ_TIME(date_of("2026-01-01T09:00:00.5Z"), at(2026, 1, 1, 9, 0, 0) + 500);
    EQ_TIME(date_of("2026-01-01T09:00:00,125Z"), at(2026, 1, 1, 9, 0, 0) + 125);
    EQ_TIME(date_of("2026-01-01T09:00:00.1239Z"), at(2026, 1, 1, 9, 0, 0) + 123);
    EQ_TIME(date_of("2026-01-01"), at(2026, 1, 1, 0, 0, 0)); /* midnight UTC */
    EQ_TIME(date_of("2026-01-01T24:00"), at(2026, 1, 2, 0, 0, 0));
    EQ_TIME(date_of("2026-12-31T24:00:00Z"), at(2027, 1, 1, 0, 0, 0));
    EQ_TIME(date_of("20260101T090000Z"), at(2026, 1, 1, 9, 0, 0)); /* basic format */
    EQ_TIME(date_of("2026-01-01t09:00z"), at(2026, 1, 1, 9, 0, 0));
    EQ_TIME(date_of("2026-01-01T09"), at(2026, 1, 1, 9, 0, 0));
    /* An offset can carry the time into the previous day, month and year. */
    EQ_TIME(date_of("2026-01-01T01:00+02:00"), at(2025, 12, 31, 23, 0, 0));
    EQ_TIME(date_of("1969-12-31T23:59:59Z"), -1000);
    EQ_TIME(date_of("0001-01-01T00:00:00Z"), -62135596800000LL);
    EQ_TIME(date_of("9999-12-31T23:59:59.999Z"), 253402300799999LL);
}

static void test_xml_whitespace_around_the_text_is_ignored(void)
{
    EQ_TIME(date_of("\n    2026-01-01T09:00:00Z\n  "), at(2026, 1, 1, 9, 0, 0));
    EQ_DUR("\tPT10M\r\n", 0, 10 * MIN);
}

static void test_invalid_dates_are_refused_with_the_reason(void)
{
    REFUSED(BM_SLOT_DATE, "2026-02-30", "day 30 is out of range: February 2026 has 28 days");
    REFUSED(BM_SLOT_DATE, "2026-04-31T10:00Z", "April 2026 has 30 days");
    REFUSED(BM_SLOT_DATE, "2026-13-01", "month 13 is out of range");
    REFUSED(BM_SLOT_DATE, "2026-00-10", "month 00 is out of range");
    REFUSED(BM_SLOT_DATE, "2026-01-00", "day 00 is out of range");
    REFUSED(BM_SLOT_DATE, "2026-01-01T25:00:00Z", "hour 25 is out of range");
    REFUSED(BM_SLOT_DATE, "2026-01-01T24:01", "hour 24 is only allowed as 24:00");
    REFUSED(BM_SLOT_DATE, "2026-01-01T10:60", "minute 60 is out of range");
    REFUSED(BM_SLOT_DATE, "2026-01-01T10:00:60Z", "second 60 is out of range");
    REFUSED(BM_SLOT_DATE, "2026-01-01T10:00+19:00", "offset +19:00 is out of range");
    REFUSED(BM_SLOT_DATE, "2026-01-01T10:00+05:75", "offset +05:75 is out of range");
    REFUSED(BM_SLOT_DATE, "0000-01-01", "year 0000 is out of range");
    REFUSED(BM_SLOT_DATE, "0001-01-01T00:00+01:00", "out of range (years 0001-9999");
    REFUSED(BM_SLOT_DATE, "2026-01-01T10:00Z[Europe/Berlin]", "unexpected '[Europe/Berl...'");
    REFUSED(BM_SLOT_DATE, "2026-01-01 10:00", "unexpected ' 10:00' after the date");
    REFUSED(BM_SLOT_DATE, "2026-1-1", "expected a date such as 2026-01-01");
    REFUSED(BM_SLOT_DATE, "2026-01-01T", "expected the hour");
    REFUSED(BM_SLOT_DATE, "2026-01-01T10:00:00.Z", "expected digits after the decimal sign");
    REFUSED(BM_SLOT_DATE, "tomorrow", "expected a date");
    REFUSED(BM_SLOT_DATE, "   ", "the timer definition is empty");
    REFUSED(BM_SLOT_DATE, NULL, "no definition");
}

static void test_leap_years_follow_the_gregorian_rules(void)
{
    EQ_TIME(date_of("2024-02-29"), at(2024, 2, 29, 0, 0, 0));
    EQ_TIME(date_of("2000-02-29"), at(2000, 2, 29, 0, 0, 0));
    REFUSED(BM_SLOT_DATE, "2023-02-29", "February 2023 has 28 days");
    REFUSED(BM_SLOT_DATE, "1900-02-29", "February 1900 has 28 days");
    REFUSED(BM_SLOT_DATE, "2024-02-30", "February 2024 has 29 days");
}

static void test_durations_count_months_on_the_calendar_and_days_exactly(void)
{
    EQ_DUR("PT10M", 0, 10 * MIN);
    EQ_DUR("P30D", 0, 30 * DAY);
    EQ_DUR("P1M", 1, 0);
    EQ_DUR("P1Y2M", 14, 0);
    EQ_DUR("P2W", 0, 14 * DAY);
    EQ_DUR("P1Y2M3W4DT5H6M7S", 14, 25 * DAY + 5 * HOUR + 6 * MIN + 7000);
    EQ_DUR("PT1.5H", 0, 90 * MIN);
    EQ_DUR("PT0.001S", 0, 1);
    EQ_DUR("PT1,25S", 0, 1250);
    EQ_DUR("P0.5D", 0, 12 * HOUR);
    EQ_DUR("PT36H", 0, 36 * HOUR);
    EQ_DUR("pt10m", 0, 10 * MIN);
    EQ_DUR("P1DT0S", 0, DAY);
}

static void test_invalid_durations_are_refused_with_the_reason(void)
{
    REFUSED(BM_SLOT_DURATION, "-P1D", "a timer period must be positive");
    REFUSED(BM_SLOT_DURATION, "P0D", "a timer period must be positive");
    REFUSED(BM_SLOT_DURATION, "PT0S", "a timer period must be positive");
    REFUSED(BM_SLOT_DURATION, "P999999999999Y", "too long");
    REFUSED(BM_SLOT_DURATION, "PT99999999999999999999S", "too long");
    REFUSED(BM_SLOT_DURATION, "P10001Y", "too long");
    REFUSED(BM_SLOT_DURATION, "P", "a duration needs a number and a unit");
    REFUSED(BM_SLOT_DURATION, "P1DT", "'T' must be followed by hours, minutes or seconds");
    REFUSED(BM_SLOT_DURATION, "P1.5M", "a fraction of a year or month has no fixed length");
    REFUSED(BM_SLOT_DURATION, "PT1.5H30M", "only the last (smallest) unit may have a fraction");
    REFUSED(BM_SLOT_DURATION, "P1D1Y", "in the order YMWDTHMS");
    REFUSED(BM_SLOT_DURATION, "PT1M1M", "in the order YMWDTHMS");
    REFUSED(BM_SLOT_DURATION, "P1H", "come after a 'T'");
    REFUSED(BM_SLOT_DURATION, "PT1D", "come before the 'T'");
    REFUSED(BM_SLOT_DURATION, "PT10", "expected a unit");
    REFUSED(BM_SLOT_DURATION, "PT10M ago", "unexpected ' ago' after the duration");
    REFUSED(BM_SLOT_DURATION, "10 minutes", "expected a duration such as PT10M");
}

static void test_parsing_pieces_report_the_bytes_they_use(void)
{
    int64_t t = 0;
    bm_duration d = {0, 0};
    CU_ASSERT_EQUAL(bm_parse_datetime("2026-01-01T09:00Z/P1D", 21, &t), 17);
    EQ_TIME(t, at(2026, 1, 1, 9, 0, 0));
    CU_ASSERT_EQUAL(bm_parse_datetime("2026-01-01T09:00:00Z", 10, &t), 10); /* n bounds it */
    EQ_TIME(t, at(2026, 1, 1, 0, 0, 0));
    CU_ASSERT_EQUAL(bm_parse_datetime("2026-02-30", 10, &t), -1);
    CU_ASSERT_EQUAL(bm_parse_duration("PT1H/2026", 9, &d), 4);
    CU_ASSERT_EQUAL(d.ms, HOUR);
    /* The expression language needs negative durations; only timers refuse them. */
    CU_ASSERT_EQUAL(bm_parse_duration("-P1M2D", 6, &d), 6);
    CU_ASSERT_EQUAL(d.months, -1);
    CU_ASSERT_EQUAL(d.ms, -2 * DAY);
    CU_ASSERT_EQUAL(bm_parse_duration("P", 1, &d), -1);
    CU_ASSERT_EQUAL(bm_parse_duration("PT1H", 3, &d), -1); /* "PT1" has no unit */
}

static void test_adding_months_clamps_to_the_month_end(void)
{
    bm_duration m1 = {1, 0}, m2 = {2, 0}, m12 = {12, 0}, back1 = {-1, 0}, m1d1 = {1, DAY};
    EQ_TIME(bm_add_duration(at(2026, 1, 31, 10, 0, 0), m1), at(2026, 2, 28, 10, 0, 0));
    EQ_TIME(bm_add_duration(at(2024, 1, 31, 10, 0, 0), m1), at(2024, 2, 29, 10, 0, 0));
    EQ_TIME(bm_add_duration(at(2026, 3, 31, 0, 0, 0), m1), at(2026, 4, 30, 0, 0, 0));
    EQ_TIME(bm_add_duration(at(2025, 12, 31, 23, 59, 59), m2), at(2026, 2, 28, 23, 59, 59));
    EQ_TIME(bm_add_duration(at(2024, 2, 29, 0, 0, 0), m12), at(2025, 2, 28, 0, 0, 0));
    EQ_TIME(bm_add_duration(at(2026, 3, 31, 0, 0, 0), back1), at(2026, 2, 28, 0, 0, 0));
    EQ_TIME(bm_add_duration(at(2026, 1, 15, 0, 0, 0), back1), at(2025, 12, 15, 0, 0, 0));
    /* Months first, then the exact part: Jan 31 + P1M1D is Feb 28 + 1 day. */
    EQ_TIME(bm_add_duration(at(2026, 1, 31, 0, 0, 0), m1d1), at(2026, 3, 1, 0, 0, 0));
    EQ_TIME(bm_add_duration(-1, m1), at(1970, 1, 31, 23, 59, 59) + 999); /* before the epoch */
    /* Results that do not fit saturate instead of overflowing. */
    bm_duration huge = {INT64_MAX, INT64_MAX}, tiny = {INT64_MIN, INT64_MIN};
    CU_ASSERT_EQUAL(bm_add_duration(INT64_MAX, huge), INT64_MAX);
    CU_ASSERT_EQUAL(bm_add_duration(INT64_MIN, tiny), INT64_MIN);
    int64_t low = bm_add_duration(INT64_MIN, m1);
    CU_ASSERT(low > INT64_MIN + 27 * DAY && low <= INT64_MIN + 31 * DAY);
    CU_ASSERT_EQUAL(bm_add_duration(INT64_MAX, (bm_duration){0, 1}), INT64_MAX);
}

static void test_a_date_fires_once_at_itself(void)
{
    bm_timer_spec s = parse_ok(BM_SLOT_DATE, "2026-01-01T09:00:00Z");
    int64_t due = 0;
    CU_ASSERT_EQUAL(bm_timer_first(&s, at(2025, 6, 1, 0, 0, 0), &due), 0);
    EQ_TIME(due, at(2026, 1, 1, 9, 0, 0));
    /* Armed after the date it is still due (at once); the engine decides what late means. */
    CU_ASSERT_EQUAL(bm_timer_first(&s, at(2027, 1, 1, 0, 0, 0), &due), 0);
    EQ_TIME(due, at(2026, 1, 1, 9, 0, 0));
    CU_ASSERT_EQUAL(bm_timer_next(&s, due, 1, &due), -1);
}

static void test_a_duration_fires_once_after_arming(void)
{
    bm_timer_spec s = parse_ok(BM_SLOT_DURATION, "P1M");
    int64_t due = 0;
    CU_ASSERT_EQUAL(bm_timer_first(&s, at(2026, 1, 31, 8, 0, 0), &due), 0);
    EQ_TIME(due, at(2026, 2, 28, 8, 0, 0));
    CU_ASSERT_EQUAL(bm_timer_next(&s, due, 1, &due), -1);
    s = parse_ok(BM_SLOT_DURATION, "PT10M");
    CU_ASSERT_EQUAL(bm_timer_first(&s, at(2026, 1, 1, 23, 55, 0), &due), 0);
    EQ_TIME(due, at(2026, 1, 2, 0, 5, 0));
    /* A due time past the year 9999 never comes. */
    s = parse_ok(BM_SLOT_DURATION, "P10Y");
    CU_ASSERT_EQUAL(bm_timer_first(&s, at(9995, 1, 1, 0, 0, 0), &due), -1);
}

static void test_r3_fires_three_times_from_arming_then_is_exhausted(void)
{
    bm_timer_spec s = parse_ok(BM_SLOT_CYCLE, "R3/PT2H");
    CU_ASSERT_EQUAL(s.form, BM_TF_CYCLE);
    CU_ASSERT_EQUAL(s.repeat, 3);
    CU_ASSERT_FALSE(s.has_start);
    CU_ASSERT_FALSE(s.has_end);
    int64_t t = at(2026, 3, 15, 10, 30, 0), d[5];
    CU_ASSERT_EQUAL(dues(&s, t, d, 5), 3);
    EQ_TIME(d[0], t + 2 * HOUR);
    EQ_TIME(d[1], t + 4 * HOUR);
    EQ_TIME(d[2], t + 6 * HOUR);
    int64_t none;
    CU_ASSERT_EQUAL(bm_timer_next(&s, d[2], 3, &none), -1);
    CU_ASSERT_EQUAL(bm_timer_next(&s, d[2], 0, &none), -1); /* no firing yet is not "after" */
}

static void test_r3_with_a_start_fires_first_at_the_start(void)
{
    bm_timer_spec s = parse_ok(BM_SLOT_CYCLE, "R3/2026-01-01T09:00Z/P1D");
    CU_ASSERT_EQUAL(s.repeat, 3);
    CU_ASSERT_TRUE(s.has_start);
    EQ_TIME(s.date, at(2026, 1, 1, 9, 0, 0));
    int64_t d[5];
    CU_ASSERT_EQUAL(dues(&s, at(2025, 12, 1, 0, 0, 0), d, 5), 3);
    EQ_TIME(d[0], at(2026, 1, 1, 9, 0, 0));
    EQ_TIME(d[1], at(2026, 1, 2, 9, 0, 0));
    EQ_TIME(d[2], at(2026, 1, 3, 9, 0, 0));
    s = parse_ok(BM_SLOT_CYCLE, "R/2026-01-01T09:00:00Z/PT10M");
    CU_ASSERT_EQUAL(s.repeat, -1);
    CU_ASSERT_EQUAL(dues(&s, 0, d, 3), 3);
    EQ_TIME(d[2], at(2026, 1, 1, 9, 20, 0));
}

static void test_r_without_a_count_is_never_exhausted(void)
{
    bm_timer_spec s = parse_ok(BM_SLOT_CYCLE, "R/PT1H");
    CU_ASSERT_EQUAL(s.repeat, -1);
    int64_t t = at(2026, 1, 1, 0, 0, 0), due = 0;
    CU_ASSERT_EQUAL(bm_timer_next(&s, t, 1000000, &due), 0);
    EQ_TIME(due, t + HOUR);
    s = parse_ok(BM_SLOT_CYCLE, "R/2026-01-01T00:00Z/PT1H");
    CU_ASSERT_EQUAL(bm_timer_next(&s, 0, 24 * 365, &due), 0);
    EQ_TIME(due, at(2027, 1, 1, 0, 0, 0));
    /* Only the end of the calendar stops it. */
    CU_ASSERT_EQUAL(bm_timer_next(&s, 0, INT64_MAX, &due), -1);
}

static void test_an_end_bound_stops_a_cycle(void)
{
    bm_timer_spec s = parse_ok(BM_SLOT_CYCLE, "R5/P1D/2026-02-01T00:00:00Z");
    CU_ASSERT_TRUE(s.has_end);
    CU_ASSERT_EQUAL(s.repeat, 5);
    EQ_TIME(s.end, at(2026, 2, 1, 0, 0, 0));
    int64_t d[6];
    /* Every day from arming, the end itself included, nothing after it. */
    CU_ASSERT_EQUAL(dues(&s, at(2026, 1, 29, 0, 0, 0), d, 6), 3);
    EQ_TIME(d[0], at(2026, 1, 30, 0, 0, 0));
    EQ_TIME(d[2], at(2026, 2, 1, 0, 0, 0));
    /* The count still applies when the end is far. */
    CU_ASSERT_EQUAL(dues(&s, at(2025, 1, 1, 0, 0, 0), d, 6), 5);
    /* Armed too late to fire even once. */
    CU_ASSERT_EQUAL(bm_timer_first(&s, at(2026, 1, 31, 12, 0, 0), &d[0]), -1);
}

static void test_a_monthly_cycle_counts_from_its_start_without_drift(void)
{
    bm_timer_spec s = parse_ok(BM_SLOT_CYCLE, "R/2026-01-31T08:00:00Z/P1M");
    int64_t d[5];
    CU_ASSERT_EQUAL(dues(&s, 0, d, 5), 5);
    EQ_TIME(d[0], at(2026, 1, 31, 8, 0, 0));
    EQ_TIME(d[1], at(2026, 2, 28, 8, 0, 0));
    EQ_TIME(d[2], at(2026, 3, 31, 8, 0, 0));
    EQ_TIME(d[3], at(2026, 4, 30, 8, 0, 0));
    EQ_TIME(d[4], at(2026, 5, 31, 8, 0, 0));
    /* Without a start the arming time is not known to bm_timer_next: each firing counts from
     * the previous one, and the day stays clamped after a short month. */
    s = parse_ok(BM_SLOT_CYCLE, "R/P1M");
    CU_ASSERT_EQUAL(dues(&s, at(2026, 1, 31, 8, 0, 0), d, 3), 3);
    EQ_TIME(d[0], at(2026, 2, 28, 8, 0, 0));
    EQ_TIME(d[1], at(2026, 3, 28, 8, 0, 0));
    /* Yearly from a leap day. */
    s = parse_ok(BM_SLOT_CYCLE, "R3/2024-02-29T00:00Z/P1Y");
    CU_ASSERT_EQUAL(dues(&s, 0, d, 5), 3);
    EQ_TIME(d[1], at(2025, 2, 28, 0, 0, 0));
    EQ_TIME(d[2], at(2026, 2, 28, 0, 0, 0));
}

static void test_invalid_cycles_are_refused_with_the_reason(void)
{
    REFUSED(BM_SLOT_CYCLE, "R0/PT1H", "R0 never fires");
    REFUSED(BM_SLOT_CYCLE, "R3/2026-01-01T00:00Z/2026-02-01T00:00Z", "not a repetition");
    REFUSED(BM_SLOT_CYCLE, "R3/2026-01-01T00:00Z", "a start date needs a period");
    REFUSED(BM_SLOT_CYCLE, "R3/PT0S", "a timer period must be positive");
    REFUSED(BM_SLOT_CYCLE, "R3/-PT1H", "a timer period must be positive");
    REFUSED(BM_SLOT_CYCLE, "R-1/PT1H", "a negative count");
    REFUSED(BM_SLOT_CYCLE, "R3", "expected R, or R and a count, then '/'");
    REFUSED(BM_SLOT_CYCLE, "R3/PT1H/2026-13-01", "month 13 is out of range");
    REFUSED(BM_SLOT_CYCLE, "R3/PT1H/2026-01-01/PT1H", "at most three parts");
    REFUSED(BM_SLOT_CYCLE, "R3//PT1H", "expected a period (PT1H) or a start date");
    REFUSED(BM_SLOT_CYCLE, "R99999999999999999999/PT1H", "the repetition count is too large");
    REFUSED(BM_SLOT_CYCLE, "R3/2026-01-01T00:00Z/PT1H junk", "unexpected ' junk'");
}

static void test_each_slot_takes_only_its_own_form(void)
{
    REFUSED(BM_SLOT_DURATION, "R3/PT1H", "not a cycle (use timeCycle)");
    REFUSED(BM_SLOT_DURATION, "2026-01-01T09:00Z", "not a date (use timeDate)");
    REFUSED(BM_SLOT_DURATION, "0 0 9 * * ?", "expected a duration");
    REFUSED(BM_SLOT_DATE, "PT10M", "not a duration (use timeDuration)");
    REFUSED(BM_SLOT_DATE, "R3/PT10M", "not a cycle (use timeCycle)");
    REFUSED(BM_SLOT_DATE, "0 0 9 * * ?", "expected a date such as 2026-01-01");
    REFUSED(BM_SLOT_CYCLE, "PT10M", "write R/<duration> for no end");
    REFUSED(BM_SLOT_CYCLE, "2026-01-01T09:00Z", "not a date (use timeDate)");
    REFUSED((bm_timer_slot)9, "PT10M", "unknown timer slot");
}

static void test_expressions_are_left_to_the_caller(void)
{
    REFUSED(BM_SLOT_DURATION, "${delay}", "is an expression");
    REFUSED(BM_SLOT_DURATION, "PT${minutes}M", "is an expression");
    REFUSED(BM_SLOT_DATE, "#{dueDate}", "is an expression");
    REFUSED(BM_SLOT_CYCLE, "=\"R3/PT1H\"", "is an expression");
    REFUSED(BM_SLOT_DATE, "  = now() + duration(\"P1D\")", "is an expression");
}

static void test_messages_fit_small_buffers_and_a_null_buffer_is_allowed(void)
{
    bm_timer_spec s;
    char err[8];
    memset(err, 'x', sizeof err);
    CU_ASSERT_EQUAL(bm_timer_parse(BM_SLOT_DATE, "2026-02-30", &s, err, sizeof err), -1);
    CU_ASSERT_EQUAL(strlen(err), sizeof err - 1);
    CU_ASSERT_EQUAL(bm_timer_parse(BM_SLOT_DATE, "2026-02-30", &s, NULL, 0), -1);
    CU_ASSERT_EQUAL(bm_timer_parse(BM_SLOT_DATE, "2026-02-28", &s, NULL, 0), 0);
    /* A refused text leaves no half-filled spec behind. */
    CU_ASSERT_EQUAL(bm_timer_parse(BM_SLOT_CYCLE, "R3/PT1H/2026-13-01", &s, NULL, 0), -1);
    CU_ASSERT_EQUAL(s.form, 0);
    CU_ASSERT_EQUAL(s.repeat, 0);
}

/* First and following cron due times after `from`. */
static int cron_dues(const char *expr, int64_t from, int64_t *out, int n)
{
    bm_timer_spec s = parse_ok(BM_SLOT_CYCLE, expr);
    CU_ASSERT_EQUAL(s.form, BM_TF_CRON);
    return dues(&s, from, out, n);
}

static void test_cron_every_15_minutes(void)
{
    int64_t d[4];
    CU_ASSERT_EQUAL(cron_dues("0 0/15 * * * ?", at(2026, 3, 15, 10, 30, 0), d, 4), 4);
    EQ_TIME(d[0], at(2026, 3, 15, 10, 45, 0)); /* strictly after the arming time */
    EQ_TIME(d[1], at(2026, 3, 15, 11, 0, 0));
    EQ_TIME(d[3], at(2026, 3, 15, 11, 30, 0));
    CU_ASSERT_EQUAL(cron_dues("0 */15 * * * ?", at(2026, 12, 31, 23, 59, 59) + 999, d, 1), 1);
    EQ_TIME(d[0], at(2027, 1, 1, 0, 0, 0));
    CU_ASSERT_EQUAL(cron_dues("* * * * * ?", at(2026, 1, 1, 0, 0, 0) + 500, d, 2), 2);
    EQ_TIME(d[0], at(2026, 1, 1, 0, 0, 1));
    EQ_TIME(d[1], at(2026, 1, 1, 0, 0, 2));
    CU_ASSERT_EQUAL(cron_dues("0 15,45 8-10 * * ?", at(2026, 1, 1, 10, 45, 0), d, 2), 2);
    EQ_TIME(d[0], at(2026, 1, 2, 8, 15, 0));
    EQ_TIME(d[1], at(2026, 1, 2, 8, 45, 0));
}

static void test_cron_at_nine_on_weekdays(void)
{
    int64_t d[3];
    /* From Friday 2026-01-02 10:00 the next weekdays are Monday and Tuesday. */
    CU_ASSERT_EQUAL(cron_dues("0 0 9 ? * MON-FRI", at(2026, 1, 2, 10, 0, 0), d, 3), 3);
    EQ_TIME(d[0], at(2026, 1, 5, 9, 0, 0));
    EQ_TIME(d[1], at(2026, 1, 6, 9, 0, 0));
    EQ_TIME(d[2], at(2026, 1, 7, 9, 0, 0));
    /* Quartz numbers: 2-6 are MON-FRI. */
    CU_ASSERT_EQUAL(cron_dues("0 0 9 ? * 2-6", at(2026, 1, 2, 10, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 1, 5, 9, 0, 0));
    /* Spring form as Zeebe writes it: '*' in both day fields, names for the week days. */
    CU_ASSERT_EQUAL(cron_dues("0 0 9 * * mon-fri", at(2026, 1, 2, 10, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 1, 5, 9, 0, 0));
}

static void test_cron_day_of_week_numbering_quartz_unless_a_zero_is_written(void)
{
    int64_t d[1];
    /* 2026-01-04 is a Sunday. Quartz: 1 = SUN, 7 = SAT. */
    CU_ASSERT_EQUAL(cron_dues("0 0 9 ? * 1", at(2026, 1, 1, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 1, 4, 9, 0, 0));
    CU_ASSERT_EQUAL(cron_dues("0 0 9 ? * 7", at(2026, 1, 1, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 1, 3, 9, 0, 0));
    /* A 0 means Spring numbering: 0 = SUN, 1 = MON, 6 = SAT, 7 = SUN. */
    CU_ASSERT_EQUAL(cron_dues("0 0 9 * * 0", at(2026, 1, 1, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 1, 4, 9, 0, 0));
    CU_ASSERT_EQUAL(cron_dues("0 0 9 * * 0,1", at(2026, 1, 4, 10, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 1, 5, 9, 0, 0));
    CU_ASSERT_EQUAL(cron_dues("0 0 9 * * 6-7,0", at(2026, 1, 1, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 1, 3, 9, 0, 0));
    /* A range that runs past the end of the week wraps around (FRI-MON). */
    CU_ASSERT_EQUAL(cron_dues("0 0 9 ? * FRI-MON", at(2026, 1, 5, 10, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 1, 9, 9, 0, 0));
}

static void test_cron_last_day_of_month_and_quartz_day_rules(void)
{
    int64_t d[4];
    CU_ASSERT_EQUAL(cron_dues("0 0 12 L * ?", at(2026, 1, 31, 12, 0, 0), d, 4), 4);
    EQ_TIME(d[0], at(2026, 2, 28, 12, 0, 0));
    EQ_TIME(d[1], at(2026, 3, 31, 12, 0, 0));
    EQ_TIME(d[2], at(2026, 4, 30, 12, 0, 0));
    CU_ASSERT_EQUAL(cron_dues("0 0 12 L 2 ?", at(2024, 1, 1, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2024, 2, 29, 12, 0, 0));
    CU_ASSERT_EQUAL(cron_dues("0 0 0 L-2 * ?", at(2026, 2, 1, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 2, 26, 0, 0, 0));
    /* 2026-05-31 is a Sunday: the last weekday of May is Friday the 29th. */
    CU_ASSERT_EQUAL(cron_dues("0 0 0 LW * ?", at(2026, 5, 1, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 5, 29, 0, 0, 0));
    /* 15W: 2026-08-15 is a Saturday, so Friday the 14th; 1W on Saturday 2026-08-01: Monday 3rd. */
    CU_ASSERT_EQUAL(cron_dues("0 0 0 15W * ?", at(2026, 8, 1, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 8, 14, 0, 0, 0));
    CU_ASSERT_EQUAL(cron_dues("0 0 0 1W * ?", at(2026, 7, 31, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 8, 3, 0, 0, 0));
    /* 6L: the last Friday (2026-01-30); 2#1: the first Monday (2026-02-02). */
    CU_ASSERT_EQUAL(cron_dues("0 0 0 ? * 6L", at(2026, 1, 1, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 1, 30, 0, 0, 0));
    CU_ASSERT_EQUAL(cron_dues("0 0 0 ? * 2#1", at(2026, 1, 6, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 2, 2, 0, 0, 0));
    /* Both day fields restricted: a day must match both (Friday the 13th). */
    CU_ASSERT_EQUAL(cron_dues("0 0 0 13 * FRI", at(2026, 1, 1, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 2, 13, 0, 0, 0));
}

static void test_cron_yearly_with_and_without_a_year_field(void)
{
    int64_t d[3];
    CU_ASSERT_EQUAL(cron_dues("0 0 0 1 1 ?", at(2026, 1, 1, 0, 0, 0), d, 2), 2);
    EQ_TIME(d[0], at(2027, 1, 1, 0, 0, 0));
    EQ_TIME(d[1], at(2028, 1, 1, 0, 0, 0));
    CU_ASSERT_EQUAL(cron_dues("0 30 9 25 DEC ? 2026,2027", at(2026, 1, 1, 0, 0, 0), d, 3), 2);
    EQ_TIME(d[0], at(2026, 12, 25, 9, 30, 0));
    EQ_TIME(d[1], at(2027, 12, 25, 9, 30, 0));
    CU_ASSERT_EQUAL(cron_dues("@yearly", at(2026, 6, 1, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2027, 1, 1, 0, 0, 0));
    CU_ASSERT_EQUAL(cron_dues("@weekly", at(2026, 1, 1, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2026, 1, 4, 0, 0, 0));
}

static void test_cron_searches_at_most_five_years(void)
{
    int64_t d[1];
    /* Leap days: 2028 is within five years of 2025, 2104 is not of 2096 (2100 is no leap). */
    CU_ASSERT_EQUAL(cron_dues("0 0 0 29 2 ?", at(2025, 3, 1, 0, 0, 0), d, 1), 1);
    EQ_TIME(d[0], at(2028, 2, 29, 0, 0, 0));
    CU_ASSERT_EQUAL(cron_dues("0 0 0 29 2 ?", at(2096, 3, 1, 0, 0, 0), d, 1), 0);
    /* Never: February 31st; and a year already past. Both answer at once. */
    clock_t c0 = clock();
    CU_ASSERT_EQUAL(cron_dues("0 0 0 31 2 ?", at(2026, 1, 1, 0, 0, 0), d, 1), 0);
    CU_ASSERT_EQUAL(cron_dues("0 0 0 * * ? 2020", at(2026, 1, 1, 0, 0, 0), d, 1), 0);
    CU_ASSERT_EQUAL(cron_dues("59 59 23 31 12 ? 2099", at(9990, 1, 1, 0, 0, 0), d, 1), 0);
    CU_ASSERT((double)(clock() - c0) / CLOCKS_PER_SEC < 0.5);
}

static void test_invalid_cron_is_refused_with_the_reason(void)
{
    REFUSED(BM_SLOT_CYCLE, "*/5 * * * *", "6 or 7 fields");
    REFUSED(BM_SLOT_CYCLE, "0 0 9 * * ? 2026 x", "6 or 7 fields, not more");
    REFUSED(BM_SLOT_CYCLE, "60 * * * * ?", "60 is out of range in the seconds field (0-59)");
    REFUSED(BM_SLOT_CYCLE, "0 0 24 * * ?", "24 is out of range in the hours field");
    REFUSED(BM_SLOT_CYCLE, "0 0 0 32 * ?", "32 is out of range in the day-of-month field");
    REFUSED(BM_SLOT_CYCLE, "0 0 0 1 13 ?", "13 is out of range in the month field");
    REFUSED(BM_SLOT_CYCLE, "0 0 0 ? * 8", "8 is out of range in the day-of-week field (1-7)");
    REFUSED(BM_SLOT_CYCLE, "0 0 0 ? * 0-8", "8 is out of range in the day-of-week field (0-7)");
    REFUSED(BM_SLOT_CYCLE, "0 0 ? * * ?", "'?' is only allowed for the day");
    REFUSED(BM_SLOT_CYCLE, "0 0 0 1 FOO ?", "unexpected 'FOO' in the month field");
    REFUSED(BM_SLOT_CYCLE, "0 0/0 * * * ?", "a step of 0 in the minutes field");
    REFUSED(BM_SLOT_CYCLE, "0 1,,2 * * * ?", "an empty item in the minutes field");
    REFUSED(BM_SLOT_CYCLE, "0 0 0 ? * 2#6", "k from 1 to 5");
    REFUSED(BM_SLOT_CYCLE, "0 0 0 L-31 * ?", "L-n (n up to 30)");
    REFUSED(BM_SLOT_CYCLE, "0 0 0 * * ? 1969", "1969 is out of range in the year field");
    REFUSED(BM_SLOT_CYCLE, "0 0 0 * * ? 2030-2026", "runs backwards");
    REFUSED(BM_SLOT_CYCLE, "@fortnightly", "unknown cron shorthand");
}

int main(void)
{
    static const tu_case cases[] = {
        {"dates_with_z_offsets_fractions_and_no_zone",
         test_dates_with_z_offsets_fractions_and_no_zone},
        {"xml_whitespace_around_the_text_is_ignored",
         test_xml_whitespace_around_the_text_is_ignored},
        {"invalid_dates_are_refused_with_the_reason",
         test_invalid_dates_are_refused_with_the_reason},
        {"leap_years_follow_the_gregorian_rules", test_leap_years_follow_the_gregorian_rules},
        {"durations_count_months_on_the_calendar_and_days_exactly",
         test_durations_count_months_on_the_calendar_and_days_exactly},
        {"invalid_durations_are_refused_with_the_reason",
         test_invalid_durations_are_refused_with_the_reason},
        {"parsing_pieces_report_the_bytes_they_use", test_parsing_pieces_report_the_bytes_they_use},
        {"adding_months_clamps_to_the_month_end", test_adding_months_clamps_to_the_month_end},
        {"a_date_fires_once_at_itself", test_a_date_fires_once_at_itself},
        {"a_duration_fires_once_after_arming", test_a_duration_fires_once_after_arming},
        {"r3_fires_three_times_from_arming_then_is_exhausted",
         test_r3_fires_three_times_from_arming_then_is_exhausted},
        {"r3_with_a_start_fires_first_at_the_start",
         test_r3_with_a_start_fires_first_at_the_start},
        {"r_without_a_count_is_never_exhausted", test_r_without_a_count_is_never_exhausted},
        {"an_end_bound_stops_a_cycle", test_an_end_bound_stops_a_cycle},
        {"a_monthly_cycle_counts_from_its_start_without_drift",
         test_a_monthly_cycle_counts_from_its_start_without_drift},
        {"invalid_cycles_are_refused_with_the_reason",
         test_invalid_cycles_are_refused_with_the_reason},
        {"each_slot_takes_only_its_own_form", test_each_slot_takes_only_its_own_form},
        {"expressions_are_left_to_the_caller", test_expressions_are_left_to_the_caller},
        {"messages_fit_small_buffers_and_a_null_buffer_is_allowed",
         test_messages_fit_small_buffers_and_a_null_buffer_is_allowed},
        {"cron_every_15_minutes", test_cron_every_15_minutes},
        {"cron_at_nine_on_weekdays", test_cron_at_nine_on_weekdays},
        {"cron_day_of_week_numbering_quartz_unless_a_zero_is_written",
         test_cron_day_of_week_numbering_quartz_unless_a_zero_is_written},
        {"cron_last_day_of_month_and_quartz_day_rules",
         test_cron_last_day_of_month_and_quartz_day_rules},
        {"cron_yearly_with_and_without_a_year_field",
         test_cron_yearly_with_and_without_a_year_field},
        {"cron_searches_at_most_five_years", test_cron_searches_at_most_five_years},
        {"invalid_cron_is_refused_with_the_reason", test_invalid_cron_is_refused_with_the_reason},
        {NULL, NULL}};
    return tu_run("iso8601", cases);
}
