/*
 * iso8601_int.h - what iso8601.c (dates, durations, the calendar), cron.c and timer.c share: the
 * units and bounds of time, the character and calendar helpers, and the cron entry points.
 * Private to bpmn/.
 */
#ifndef BPMN_ISO8601_INT_H
#define BPMN_ISO8601_INT_H

#include "bpmn/iso8601.h"

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

/* Characters. */
int bm_is_digit(char c);
int bm_is_blank(char c);
char bm_upper(char c);
/* Writes a message and returns -1, so that failures read `return bm_fail(...)`. */
int bm_fail(char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Up to 12 bytes of s as printable ASCII, for "unexpected '...'". */
const char *bm_snippet(const char *s, size_t n, char out[20]);
/* A date-time or a duration at the start of s[0..n): the number of bytes read, or -1 with a
 * message in msg (which may be NULL). */
int bm_read_datetime(const char *s, size_t n, int64_t *out, char *msg, size_t cap);
int bm_read_duration(const char *s, size_t n, bm_duration *out, char *msg, size_t cap);
/* Reads exactly `width` digits at s[*i]. */
int bm_digits(const char *s, size_t n, size_t *i, int width, int *out);

/* The calendar: floor division, the proleptic Gregorian day counts, 0 = Sunday. */
int bm_in_range(int64_t t);
int64_t bm_fdiv(int64_t a, int64_t b);
int64_t bm_days_from_civil(int64_t y, int m, int d);
void bm_civil_from_days(int64_t z, int64_t *y, int *m, int *d);
int bm_month_days(int64_t y, int m);
int bm_weekday(int64_t days);

/* cron.c: parses a cron expression into out (form BM_TF_CRON); 0, or -1 with a message. */
int bm_cron_parse(const char *s, size_t n, bm_timer_spec *out, char *msg, size_t cap);
/* cron.c: the first matching second strictly after `after`, within five years; 0 or -1. */
int bm_cron_next(const bm_timer_spec *s, int64_t after, int64_t *due);

#endif
