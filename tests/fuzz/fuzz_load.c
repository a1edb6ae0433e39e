/*
 * fuzz_load.c - libFuzzer target for the loader, validator and compiler: every input is a BPMN
 * document handed to bpmn_validate_memory(). Besides crashes and leaks it checks what the public
 * header promises of a report, and treats the pipeline's "internal error" diagnostic (the
 * compiler rejecting a model the validator accepted) as a crash, since that is a bug too.
 *
 * The whole input is the document, so seed files are plain BPMN. A hash of the input picks
 * extra runs: one with a small size cap around the input's length, one with an allocator that
 * fails after a number of allocations, so the size-cap and out-of-memory paths are fuzzed too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpmnrt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "fuzz_load: check failed at %s:%d: %s\n", __FILE__, __LINE__, \
                    #cond);                                                               \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

/* An allocator that refuses every request after `left` successful ones. */
typedef struct failing {
    size_t left;
    int failed;
} failing;

static void *failing_alloc(void *ud, void *ptr, size_t size)
{
    failing *f = ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    if (f->left == 0) {
        f->failed = 1;
        return NULL;
    }
    f->left--;
    return realloc(ptr, size);
}

/* Whether s is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF):
 * the header promises UTF-8 strings, and the CLI copies them into JSON. */
static int utf8_ok(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        unsigned c = *s++;
        int more;
        unsigned min;
        if (c < 0x80)
            continue;
        if ((c & 0xE0) == 0xC0)
            more = 1, min = 0x80, c &= 0x1F;
        else if ((c & 0xF0) == 0xE0)
            more = 2, min = 0x800, c &= 0x0F;
        else if ((c & 0xF8) == 0xF0)
            more = 3, min = 0x10000, c &= 0x07;
        else
            return 0;
        for (; more > 0; more--, s++) {
            if ((*s & 0xC0) != 0x80)
                return 0;
            c = (c << 6) | (*s & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return 0;
    }
    return 1;
}

/* Reads every diagnostic and checks the report against the header's promises. */
static void walk_report(const bpmn_report *r)
{
    size_t n = bpmn_report_count(r), errors = 0, touched = 0;
    unsigned prev_line = 0;
    for (size_t i = 0; i < n; i++) {
        const bpmn_diagnostic *g = bpmn_report_get(r, i);
        CHECK(g != NULL);
        CHECK(g->element != NULL && g->message != NULL);
        CHECK(utf8_ok(g->element) && utf8_ok(g->message));
        CHECK(g->severity == BPMN_SEV_ERROR || g->severity == BPMN_SEV_WARNING);
        CHECK(g->line >= prev_line); /* "every diagnostic, ordered by line" */
        prev_line = g->line;
        touched += strlen(g->element) + strlen(g->message);
        if (g->severity == BPMN_SEV_ERROR)
            errors++;
        if (strncmp(g->message, "internal error", 14) == 0) {
            fprintf(stderr, "fuzz_load: %s\n", g->message);
            abort();
        }
    }
    CHECK(bpmn_report_get(r, n) == NULL);
    CHECK(errors == bpmn_report_errors(r));
    CHECK(errors == 0 || bpmn_report_processes(r) == 0);
    /* Keeps the string reads from being optimised away. */
    volatile size_t sink = touched;
    (void)sink;
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bpmn_report *r = NULL;
    int rc = bpmn_validate_memory("fuzz.bpmn", data, size, NULL, &r);
    CHECK(rc == BPMN_OK && r != NULL);
    walk_report(r);
    bpmn_report_free(r);

    uint64_t h = hash(data, size);
    switch (h & 3) {
    case 0: {
        /* A cap from 1 to size + 1: below the length the document must be refused unread. */
        bpmn_load_options o = {0};
        o.max_bytes = 1 + (size_t)((h >> 8) % ((uint64_t)size + 1));
        r = NULL;
        rc = bpmn_validate_memory("fuzz.bpmn", data, size, &o, &r);
        CHECK(rc == BPMN_OK && r != NULL);
        walk_report(r);
        if (size > o.max_bytes)
            CHECK(bpmn_report_count(r) == 1 && bpmn_report_errors(r) == 1);
        bpmn_report_free(r);
        break;
    }
    case 1: {
        failing f = {(size_t)((h >> 8) % 48), 0};
        bpmn_allocator a = {failing_alloc, &f};
        bpmn_load_options o = {0};
        o.allocator = &a;
        r = NULL;
        rc = bpmn_validate_memory("fuzz.bpmn", data, size, &o, &r);
        CHECK(rc == BPMN_OK || rc == BPMN_ENOMEM);
        CHECK((rc == BPMN_OK) == (r != NULL));
        /* A refused allocation must surface as BPMN_ENOMEM, never as a quietly shorter report. */
        CHECK(f.failed == (rc == BPMN_ENOMEM));
        if (r)
            walk_report(r);
        bpmn_report_free(r);
        break;
    }
    default:
        break;
    }
    return 0;
}
