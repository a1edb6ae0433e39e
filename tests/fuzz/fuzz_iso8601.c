/*
 * fuzz_iso8601.c - libFuzzer target for timer definitions: every input is parsed as a timeDate,
 * a timeDuration and a timeCycle. A refusal must come with a short printable message; an
 * accepted text must give a spec of the slot's form whose due times (bm_timer_first and up to
 * ten bm_timer_next) stay within the years 0001-9999, never go backwards, honour the count and
 * the end bound, and, for cron, are the first match (asking again from any earlier instant
 * gives the same answer). The two parsing pieces also run on the raw bytes.
 *
 * The whole input is the text, so seed files are plain timer definitions. A hash of the input
 * picks the size of the error buffer and a second arming time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpmn/iso8601.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "fuzz_iso8601: check failed at %s:%d: %s\n", __FILE__, __LINE__, \
                    #cond);                                                                  \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

#define MS_LO (-62135596800000LL)  /* 0001-01-01T00:00:00Z */
#define MS_HI (253402300799999LL)  /* 9999-12-31T23:59:59.999Z */
#define NOW_MS 1773570600000LL     /* 2026-03-15T10:30:00Z */
#define DAY_MS 86400000LL

static int in_range(int64_t t)
{
    return t >= MS_LO && t <= MS_HI;
}

static uint64_t hash(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < size; i++) {
        h ^= data[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* A cron due time is the first match after `after`: asking from any instant in between must
 * give the same answer. */
static void check_cron_first(const bm_timer_spec *s, int64_t after, int64_t due)
{
    int64_t again = 0;
    CHECK(due > after && due % 1000 == 0);
    CHECK(due - after <= (5 * 366 + 1) * DAY_MS);
    int64_t mid = after + (due - after) / 2;
    CHECK(bm_timer_first(s, mid, &again) == 0 && again == due);
    CHECK(bm_timer_first(s, due - 1, &again) == 0 && again == due);
}

static void run_timer(const bm_timer_spec *s, bm_timer_slot slot, int64_t armed)
{
    int64_t due = 0, next = 0;
    if (bm_timer_first(s, armed, &due) != 0) {
        /* Only what can run out may never fire. */
        CHECK(s->form != BM_TF_DATE);
        return;
    }
    CHECK(in_range(due));
    switch (s->form) {
    case BM_TF_DATE:
        CHECK(slot == BM_SLOT_DATE && due == s->date);
        break;
    case BM_TF_DURATION:
        CHECK(slot == BM_SLOT_DURATION && due == bm_add_duration(armed, s->period));
        CHECK(due > armed);
        break;
    case BM_TF_CYCLE:
        CHECK(slot == BM_SLOT_CYCLE);
        CHECK(s->has_start ? due == s->date : due > armed);
        CHECK(!s->has_end || due <= s->end);
        break;
    case BM_TF_CRON:
        CHECK(slot == BM_SLOT_CYCLE);
        check_cron_first(s, armed, due);
        break;
    default:
        CHECK(0);
    }
    int64_t fired = 1;
    for (; fired <= 10; fired++) {
        if (bm_timer_next(s, due, fired, &next) != 0)
            break;
        CHECK(s->form == BM_TF_CYCLE || s->form == BM_TF_CRON);
        CHECK(in_range(next) && next > due);
        if (s->form == BM_TF_CYCLE) {
            CHECK(s->repeat < 0 || fired < s->repeat);
            CHECK(!s->has_end || next <= s->end);
        } else {
            check_cron_first(s, due, next);
        }
        due = next;
    }
    /* Dates and durations fire once; a count of n stops after n firings. */
    if (s->form == BM_TF_DATE || s->form == BM_TF_DURATION)
        CHECK(fired == 1);
    if (s->form == BM_TF_CYCLE && s->repeat > 0 && s->repeat <= 10)
        CHECK(fired <= s->repeat);
}

static void run_slot(bm_timer_slot slot, const char *text, uint64_t h)
{
    /* An error buffer of exactly errcap bytes, so that a write past it is caught. */
    size_t errcap = (h >> 8) % 4 == 0 ? (size_t)((h >> 12) % 24) : 256;
    char *err = errcap ? malloc(errcap) : NULL;
    if (errcap && !err)
        return;
    if (err)
        memset(err, 'x', errcap);
    bm_timer_spec s;
    int rc = bm_timer_parse(slot, text, &s, err, errcap);
    CHECK(rc == 0 || rc == -1);
    if (rc != 0) {
        if (err) {
            size_t len = strnlen(err, errcap);
            CHECK(len < errcap);
            CHECK(len > 0 || errcap == 1);
            for (size_t i = 0; i < len; i++)
                CHECK(err[i] >= 0x20 && err[i] < 0x7f);
        }
        CHECK(s.form == 0);
        free(err);
        return;
    }
    free(err);
    switch (s.form) {
    case BM_TF_DATE:
        CHECK(in_range(s.date));
        break;
    case BM_TF_DURATION:
    case BM_TF_CYCLE:
        CHECK(s.period.months >= 0 && s.period.ms >= 0 && (s.period.months || s.period.ms));
        if (s.form == BM_TF_CYCLE) {
            CHECK(s.repeat == -1 || s.repeat >= 1);
            CHECK(!s.has_start || in_range(s.date));
            CHECK(!s.has_end || in_range(s.end));
            CHECK(!(s.has_start && s.has_end));
        }
        break;
    case BM_TF_CRON:
        break;
    default:
        CHECK(0);
    }
    run_timer(&s, slot, NOW_MS);
    run_timer(&s, slot, MS_LO + (int64_t)((h >> 16) % (uint64_t)(MS_HI - MS_LO + 1)));
    run_timer(&s, slot, MS_HI - 1000);
}

/* The parsing pieces read at most n bytes, and a prefix they accept reads the same alone. */
static void run_pieces(const char *buf, size_t size)
{
    int64_t t = 0, t2 = 0;
    int used = bm_parse_datetime(buf, size, &t);
    CHECK(used >= -1 && used <= (int64_t)size);
    if (used > 0) {
        CHECK(in_range(t));
        CHECK(bm_parse_datetime(buf, (size_t)used, &t2) == used && t2 == t);
    }
    bm_duration d = {0, 0}, d2 = {0, 0};
    used = bm_parse_duration(buf, size, &d);
    CHECK(used >= -1 && used <= (int64_t)size);
    if (used > 0) {
        CHECK(bm_parse_duration(buf, (size_t)used, &d2) == used);
        CHECK(d2.months == d.months && d2.ms == d.ms);
        /* Any instant plus any parsed duration: saturates, never overflows. */
        int64_t r = bm_add_duration(t, d);
        r = bm_add_duration(r, d);
        (void)r;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    /* Exactly `size` bytes for the pieces, which must not read past n. */
    char *raw = malloc(size ? size : 1);
    char *text = malloc(size + 1);
    if (!raw || !text) {
        free(raw);
        free(text);
        return 0;
    }
    if (size)
        memcpy(raw, data, size);
    memcpy(text, data, size);
    text[size] = '\0';
    uint64_t h = hash(data, size);
    run_pieces(raw, size);
    run_slot(BM_SLOT_DATE, text, h);
    run_slot(BM_SLOT_DURATION, text, h);
    run_slot(BM_SLOT_CYCLE, text, h);
    free(raw);
    free(text);
    return 0;
}
