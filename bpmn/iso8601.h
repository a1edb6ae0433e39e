/*
 * iso8601.h - timer definitions: ISO 8601 dates (with Z or an offset), durations
 * PnYnMnWnDTnHnMnS with fractions (years and months counted on the calendar), repeating
 * intervals R[n]/duration, R[n]/start/duration, R[n]/duration/end, and cron expressions in
 * timeCycle (Quartz/Spring form, as Camunda 7 and 8 accept). Parsed once at deploy; the engine
 * asks for due times. All times are ms since the Unix epoch, UTC.
 */
#ifndef BPMN_ISO8601_H
#define BPMN_ISO8601_H

#include <stddef.h>
#include <stdint.h>

/* A duration: calendar months plus an exact number of milliseconds (days count 24 h). */
typedef struct bm_duration {
    int64_t months;
    int64_t ms;
} bm_duration;

typedef enum bm_timer_form {
    BM_TF_DATE = 1,     /* a point in time */
    BM_TF_DURATION = 2, /* once, a duration after arming */
    BM_TF_CYCLE = 3,    /* R[n]/... repeating interval */
    BM_TF_CRON = 4      /* cron expression */
} bm_timer_form;

typedef struct bm_cron bm_cron; /* opaque; owned by the spec */

typedef struct bm_timer_spec {
    bm_timer_form form;
    int64_t date;        /* BM_TF_DATE; BM_TF_CYCLE start when has_start */
    bm_duration period;  /* BM_TF_DURATION, BM_TF_CYCLE */
    int64_t repeat;      /* BM_TF_CYCLE: number of firings, -1 without end */
    int has_start, has_end;
    int64_t end;         /* BM_TF_CYCLE with an end */
    unsigned char cron[512]; /* BM_TF_CRON: the parsed fields (bit sets), opaque to callers */
} bm_timer_spec;

/* Which BPMN element holds the text: timeDate, timeDuration or timeCycle. */
typedef enum bm_timer_slot { BM_SLOT_DATE = 1, BM_SLOT_DURATION = 2, BM_SLOT_CYCLE = 3 } bm_timer_slot;

/* Parses a timer definition. Returns 0, or -1 with a message naming what is wrong in err.
 * Zero or negative durations and periods are refused; R0 is refused. */
int bm_timer_parse(bm_timer_slot slot, const char *text, bm_timer_spec *out, char *err, size_t errcap);

/* The first due time of a timer armed at `armed`: a date is itself; a duration is armed +
 * duration; R[n]/start/duration fires first at start; R[n]/duration fires first at armed +
 * period; R[n]/duration/end fires first at armed + period and never after end; a cron
 * expression fires first at its first match strictly after armed. Returns 0, or -1 when the
 * timer never fires (an end before the first firing, no cron match within 5 years). */
int bm_timer_first(const bm_timer_spec *s, int64_t armed, int64_t *due);

/* The due time of firing number `fired` + 1 after a firing at `prev` (fired firings done so
 * far, counting that one). Returns 0, or -1 when the timer is exhausted (dates, durations,
 * R<n> after n firings, past the end). */
int bm_timer_next(const bm_timer_spec *s, int64_t prev, int64_t fired, int64_t *due);

/* t + d on the calendar (months first, the day clamped to the month's end), then the ms. */
int64_t bm_add_duration(int64_t t, bm_duration d);

/* Parsing pieces, exposed for tests and for the expression language. Each returns the number
 * of bytes consumed (the whole string must be used by the caller's rules) or -1. */
int bm_parse_datetime(const char *s, size_t n, int64_t *ms);
int bm_parse_duration(const char *s, size_t n, bm_duration *d);

#endif
