/*
 * test_faults.c - fault injection into operations: every engine operation run with its Nth
 * allocation failing, for every N, and its Nth store write or commit failing (ENOSPC, EIO, a full
 * map), for every N; opening, validating and refused calls too. Each failed call must return its
 * error with a message, leak nothing, leave the store byte for byte as it was and the engine
 * usable: the same call then gives what it gives on a fresh store. The operations are in
 * faults_ops.c, the fixtures in faults_util.c; a map too small and files that are not stores are
 * in test_faults_store.c.
 *
 * Memory inside libxml2 and cJSON does not go through the engine's allocator, so only the
 * engine's own allocations are failed here; ASan's leak check covers the rest. To look at one
 * operation: FAULTS_ONLY="rich: start" build/tests/test_faults.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "engine/engine.h" /* the engine's store, for digests and st_set_fault */
#include "test_util.h"
#include "faults_util.h"

/* ---- the allocation-failure sweep --------------------------------------------------------- */

typedef struct outcome {
    int rc;
    char *res;
    uint64_t dig;
} outcome;

/* What the operation gives on a fresh store with nothing failing. */
static void reference(const op *o, outcome *ref)
{
    env v;
    env_open(&v, 0, 0);
    o->setup(&v);
    fa_arm(0);
    ref->rc = o->run(&v, &ref->res);
    if (ref->rc != BPMN_OK)
        fprintf(stderr, "%s: %s: %s\n", o->name, bpmn_strerror(ref->rc), bpmn_engine_errmsg(v.e));
    CU_ASSERT_EQUAL(ref->rc, BPMN_OK);
    ref->dig = fu_digest(&v);
    env_close(&v);
}

/* Blocks the engine keeps between calls (its history buffer, handler and definition tables):
 * a call may create them and that is no leak. */
static long held(const bpmn_engine *e)
{
    return (e->hist.p != NULL) + (e->handlers != NULL) + (e->defs != NULL);
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A call that ran to the end (nothing failed, or it got past a failure): it must give what it
 * gives on a fresh store. */
static void check_like_reference(const char *what, const op *o, long n, env *v, int rc,
                                 const char *res, const outcome *ref)
{
    int ok = rc == ref->rc && same_text(res, ref->res) && fu_digest(v) == ref->dig;
    if (!ok)
        fprintf(stderr, "%s: %s, N=%ld: %s (%s), differs from a fresh run\n  got %s\n  want %s\n",
                what, o->name, n, bpmn_strerror(rc), bpmn_engine_errmsg(v->e),
                res ? res : "(null)", ref->res ? ref->res : "(null)");
    CU_ASSERT(ok);
}

static int failures; /* assertion messages printed so far: the sweep stops printing at 20 */

static void fail_note(const char *what, const op *o, long n, const char *fmt, int a, int b,
                      const char *msg)
{
    if (failures++ < 20) {
        fprintf(stderr, "%s: %s, N=%ld: ", what, o->name, n);
        fprintf(stderr, fmt, a, b);
        fprintf(stderr, " [%s]\n", msg);
    }
}


/* ---- store faults ------------------------------------------------------------------------- */

/* Fails the Nth write or commit of the engine's store with code (sticky: that one and every
 * later one). */
typedef struct sf {
    long writes, fail_at;
    int code, sticky, hit;
} sf;

static sf SF;

static int sf_fault(void *ud, int op)
{
    sf *f = ud;
    (void)op;
    if (!f->fail_at)
        return 0;
    f->writes++;
    if (f->writes == f->fail_at || (f->sticky && f->writes > f->fail_at)) {
        f->hit = 1;
        return f->code;
    }
    return 0;
}

/* What is made to fail, and what the call must then return. */
typedef struct fault {
    const char *name;
    int store;     /* 0: the Nth allocation; 1: the Nth store write or commit */
    int code, sticky;
    int want;      /* BPMN_OK: the store recovers by itself (the map grows and the call runs again) */
    const char *says; /* in the message, with the store's path (NULL: not checked) */
} fault;

static const fault ALLOC_FAULTS[] = {
    {"allocation", 0, 0, 0, BPMN_ENOMEM, NULL},
    {"allocation and every later one", 0, 0, 1, BPMN_ENOMEM, NULL},
};
#define NALLOC_FAULTS (sizeof ALLOC_FAULTS / sizeof ALLOC_FAULTS[0])
static const fault STORE_FAULTS[] = {
    {"ENOSPC", 1, ENOSPC, 0, BPMN_EIO, "no space left on the device holding "},
    {"EIO", 1, EIO, 0, BPMN_EIO, "Input/output error"},
    {"a full map that cannot grow", 1, MDB_MAP_FULL, 1, BPMN_EFULL, NULL},
    {"a full map, grown and retried", 1, MDB_MAP_FULL, 0, BPMN_OK, NULL},
};
#define NSTORE_FAULTS (sizeof STORE_FAULTS / sizeof STORE_FAULTS[0])

static void arm(const fault *f, long n)
{
    if (f->store) {
        SF = (sf){0, n, f->code, f->sticky, 0};
        fa_arm(0);
    } else {
        fa_arm(n);
        FA.sticky = f->sticky;
    }
}

static int disarm(const fault *f)
{
    int hit = f->store ? SF.hit : FA.hit;
    SF.fail_at = 0;
    fa_arm(0);
    return hit;
}

/* A fresh engine in the state o needs; store faults get a small map (1 MiB, growing to 4 MiB)
 * so that "full" is reached quickly and for real. */
static uint64_t fresh(env *v, const op *o, const fault *f)
{
    env_open(v, f->store ? 1u << 20 : 0, f->store ? 4u << 20 : 0);
    o->setup(v);
    st_set_fault(v->e->st, sf_fault, &SF);
    return fu_digest(v);
}

static long total_runs[2], largest_n[2], got_past[2];

/* Runs o with its Nth allocation (or store write) failing for N = 1, 2, ... until a run needs
 * fewer than N. A failed run must return the fault's code, free what it allocated and leave the
 * store as it was; a run that got past its fault must give what a fresh run gives. */
static void sweep(const op *o, const fault *f)
{
    long live_start = FA.live;
    outcome ref = {0, NULL, 0};
    reference(o, &ref);
    int want = f->want;
    if (o->batch && f->store && f->code == MDB_MAP_FULL)
        want = BPMN_EFULL; /* a batch cannot grow the map under itself */
    env v;
    uint64_t d0 = fresh(&v, o, f);
    for (long n = 1;; n++) {
        total_runs[f->store]++;
        long live0 = FA.live - held(v.e);
        size_t ndefs = v.e->ndefs;
        char *res = NULL;
        arm(f, n);
        int rc = o->run(&v, &res);
        int hit = disarm(f);
        if (!hit || (rc == BPMN_OK && want != BPMN_EFULL)) {
            /* A store write that failed cannot have been done without: only the map's growth
             * recovers. An allocation may have been optional (then the answer is the same). */
            if (hit && want != BPMN_OK && rc == BPMN_OK && f->store)
                fail_note(f->name, o, n, "returned %d, want %d", rc, want, "");
            CU_ASSERT(!(hit && want != BPMN_OK && rc == BPMN_OK && f->store));
            check_like_reference(f->name, o, n, &v, rc, res, &ref);
            free(res);
            if (!hit) {
                if (n > largest_n[f->store])
                    largest_n[f->store] = n;
                break;
            }
            /* It got past the fault: start again from the state before it. */
            got_past[f->store]++;
            env_close(&v);
            d0 = fresh(&v, o, f);
            continue;
        }
        if (rc != want)
            fail_note(f->name, o, n, "returned %d, want %d", rc, want, bpmn_engine_errmsg(v.e));
        CU_ASSERT_EQUAL(rc, want);
        CU_ASSERT_PTR_NULL(res);
        if (!bpmn_engine_errmsg(v.e)[0])
            fail_note(f->name, o, n, "no message%.0d%.0d", 0, 0, "");
        CU_ASSERT(bpmn_engine_errmsg(v.e)[0] != '\0');
        if (f->says && (!strstr(bpmn_engine_errmsg(v.e), f->says) ||
                        !strstr(bpmn_engine_errmsg(v.e), v.path)))
            fail_note(f->name, o, n, "the message does not say why%.0d%.0d", 0, 0,
                      bpmn_engine_errmsg(v.e));
        CU_ASSERT(!f->says || (strstr(bpmn_engine_errmsg(v.e), f->says) &&
                               strstr(bpmn_engine_errmsg(v.e), v.path)));
        long live1 = FA.live - held(v.e);
        if (v.e->ndefs == ndefs && live1 != live0)
            fail_note(f->name, o, n, "%d blocks live after the call, %d before", (int)live1,
                      (int)live0, bpmn_engine_errmsg(v.e));
        CU_ASSERT(v.e->ndefs != ndefs || live1 == live0);
        uint64_t d1 = fu_digest(&v);
        if (d1 != d0 && o->multi) {
            /* Several transactions (purge): the ones before the fault stay done, as documented;
             * running it again finishes the work. */
            char *again = NULL;
            CU_ASSERT_EQUAL(o->run(&v, &again), BPMN_OK);
            CU_ASSERT(fu_digest(&v) == ref.dig);
            free(again);
            env_close(&v);
            d0 = fresh(&v, o, f);
        } else {
            if (d1 != d0)
                fail_note(f->name, o, n, "the store changed%.0d%.0d", 0, 0,
                          bpmn_engine_errmsg(v.e));
            CU_ASSERT(d1 == d0);
        }
        free(res);
    }
    env_close(&v);
    free(ref.res);
    if (FA.live != live_start)
        fprintf(stderr, "%s: %s: %ld blocks leaked over the sweep\n", f->name, o->name,
                FA.live - live_start);
    CU_ASSERT_EQUAL(FA.live, live_start);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_every_operation_fails_cleanly_at_every_allocation(void)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *only = getenv("FAULTS_ONLY"); /* debugging: the operation named so */
    size_t n = 0;
    for (size_t i = 0; i < NOPS; i++) {
        if (only && strcmp(only, OPS[i].name) != 0)
            continue;
        n++;
        for (size_t k = 0; k < NALLOC_FAULTS; k++)
            sweep(&OPS[i], &ALLOC_FAULTS[k]);
    }
    printf("\n  allocation sweep: %zu operations x %zu faults, %ld runs (N up to %ld; %ld got past "
           "their failure), %.2f s\n", n, NALLOC_FAULTS, total_runs[0], largest_n[0], got_past[0],
           seconds_since(&t0));
}

/* The other history levels write less (names only, or nothing): the same guarantees hold. */
static void test_other_history_levels_fail_cleanly_too(void)
{
    static const char *const names[] = {"start", "complete", "correlate", "rich: start",
                                        "rich: complete the child's task", "purge"};
    for (int level = BPMN_HISTORY_ACTIVITY; level <= BPMN_HISTORY_NONE; level++) {
        fu_history_level = level;
        for (size_t i = 0; i < NOPS; i++)
            for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
                if (strcmp(OPS[i].name, names[k]) == 0) {
                    sweep(&OPS[i], &ALLOC_FAULTS[0]);
                    sweep(&OPS[i], &STORE_FAULTS[0]);
                }
    }
    fu_history_level = BPMN_HISTORY_FULL;
}

static void test_writing_operations_fail_cleanly_at_every_store_write(void)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *only = getenv("FAULTS_ONLY");
    size_t n = 0;
    for (size_t i = 0; i < NOPS; i++) {
        if (!OPS[i].writes || (only && strcmp(only, OPS[i].name) != 0))
            continue;
        n++;
        for (size_t k = 0; k < NSTORE_FAULTS; k++)
            sweep(&OPS[i], &STORE_FAULTS[k]);
    }
    printf("\n  store-fault sweep: %zu operations x %zu faults, %ld runs (N up to %ld; %ld recovered "
           "by growing the map), %.2f s\n", n, NSTORE_FAULTS, total_runs[1], largest_n[1],
           got_past[1], seconds_since(&t0));
}

/* Opening: the handle is the only block the engine allocates itself. */
static void test_open_fails_cleanly_at_every_allocation(void)
{
    char path[64];
    strcpy(path, "/tmp/bpmnrt-faults-XXXXXX");
    int fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
    unlink(path);
    long runs = 0;
    for (int existing = 0; existing < 2; existing++) {
        for (long n = 1;; n++, runs++) {
            bpmn_engine_options o = {0};
            o.path = path;
            o.nosync = 1;
            o.allocator = &ALLOC;
            bpmn_engine *e = (bpmn_engine *)&o; /* must be reset to NULL on failure */
            char err[256] = "";
            long live0 = FA.live;
            fa_arm(n);
            int rc = bpmn_engine_open(&o, &e, err, sizeof err);
            int hit = FA.hit;
            fa_arm(0);
            if (!hit) {
                CU_ASSERT_EQUAL(rc, BPMN_OK);
                CU_ASSERT_PTR_NOT_NULL(e);
                char *out = NULL;
                CU_ASSERT_EQUAL(bpmn_definitions(e, &out), BPMN_OK);
                CU_ASSERT_STRING_EQUAL(out, "[]");
                bpmn_free(e, out);
                bpmn_engine_close(e);
                CU_ASSERT_EQUAL(FA.live, live0);
                break;
            }
            CU_ASSERT_EQUAL(rc, BPMN_ENOMEM);
            CU_ASSERT_PTR_NULL(e);
            CU_ASSERT_EQUAL(FA.live, live0);
        }
    }
    CU_ASSERT(runs >= 2);
    env_remove_files(path);
}

/* Validating goes through the same allocator (load options). */
static void test_validate_fails_cleanly_at_every_allocation(void)
{
    bpmn_load_options lo = {.allocator = &ALLOC};
    bpmn_report *r = NULL;
    long live0 = FA.live;
    fa_arm(0);
    CU_ASSERT_EQUAL_FATAL(bpmn_validate_memory("order.bpmn", DOC2, sizeof DOC2 - 1, &lo, &r),
                          BPMN_OK);
    size_t want = bpmn_report_count(r), procs = bpmn_report_processes(r);
    CU_ASSERT_EQUAL(bpmn_report_errors(r), 0);
    CU_ASSERT_EQUAL(procs, 2);
    bpmn_report_free(r);
    CU_ASSERT_EQUAL(FA.live, live0);
    long n;
    for (n = 1;; n++) {
        r = (bpmn_report *)&lo;
        fa_arm(n);
        int rc = bpmn_validate_memory("order.bpmn", DOC2, sizeof DOC2 - 1, &lo, &r);
        int hit = FA.hit;
        fa_arm(0);
        if (!hit || rc == BPMN_OK) {
            CU_ASSERT_EQUAL(rc, BPMN_OK);
            CU_ASSERT_EQUAL(bpmn_report_count(r), want);
            CU_ASSERT_EQUAL(bpmn_report_processes(r), procs);
            bpmn_report_free(r);
            CU_ASSERT_EQUAL(FA.live, live0);
            if (!hit)
                break;
            continue;
        }
        if (rc != BPMN_ENOMEM)
            fprintf(stderr, "validate, N=%ld: %d\n", n, rc);
        CU_ASSERT_EQUAL(rc, BPMN_ENOMEM);
        CU_ASSERT_PTR_NULL(r);
        CU_ASSERT_EQUAL(FA.live, live0);
    }
    CU_ASSERT(n > 10);
}

/* A file that cannot be read and a document with errors: the diagnostics are allocated too. */
static void test_validate_file_fails_cleanly_at_every_allocation(void)
{
    char path[64];
    strcpy(path, "/tmp/bpmnrt-faults-XXXXXX");
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    static const char bad[] = HEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                              FLOW("f", "s", "nowhere") "<userTask id=\"u\"/></process></definitions>";
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite(bad, 1, sizeof bad - 1, f);
    fclose(f);
    bpmn_load_options lo = {.allocator = &ALLOC};
    long live0 = FA.live, n;
    size_t want_count = 0, want_errors = 0;
    for (n = 0;; n++) {
        bpmn_report *r = (bpmn_report *)&lo;
        fa_arm(n);
        int rc = bpmn_validate_file(path, &lo, &r);
        int hit = FA.hit;
        fa_arm(0);
        if (n == 0) {
            CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
            want_count = bpmn_report_count(r);
            want_errors = bpmn_report_errors(r);
            CU_ASSERT(want_errors >= 1);
        } else if (!hit || rc == BPMN_OK) {
            CU_ASSERT_EQUAL(rc, BPMN_OK);
            CU_ASSERT_EQUAL(bpmn_report_count(r), want_count);
            CU_ASSERT_EQUAL(bpmn_report_errors(r), want_errors);
        } else {
            if (rc != BPMN_ENOMEM)
                fprintf(stderr, "validate file, N=%ld: %d\n", n, rc);
            CU_ASSERT_EQUAL(rc, BPMN_ENOMEM);
            CU_ASSERT_PTR_NULL(r);
        }
        if (rc == BPMN_OK)
            bpmn_report_free(r);
        CU_ASSERT_EQUAL(FA.live, live0);
        if (n && !hit)
            break;
    }
    CU_ASSERT(n > 5);
    /* a file that is not there is a diagnostic, also when memory is short */
    unlink(path);
    for (n = 1;; n++) {
        bpmn_report *r = NULL;
        fa_arm(n);
        int rc = bpmn_validate_file(path, &lo, &r);
        int hit = FA.hit;
        fa_arm(0);
        CU_ASSERT(rc == (hit ? BPMN_ENOMEM : BPMN_OK) || (hit && rc == BPMN_OK));
        if (rc == BPMN_OK) {
            CU_ASSERT(bpmn_report_errors(r) == 1);
            bpmn_report_free(r);
        }
        CU_ASSERT_EQUAL(FA.live, live0);
        if (!hit)
            break;
    }
}

/* Deploying a document with errors: every N fails with ENOMEM or, past the last allocation,
 * with BPMN_EINVALID listing the errors; nothing is stored either way. */
static void test_deploy_of_an_invalid_document_fails_cleanly_at_every_allocation(void)
{
    static const char bad[] = HEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                              FLOW("f", "s", "nowhere") "<userTask id=\"u\"/></process></definitions>";
    env v;
    env_open(&v, 0, 0);
    fu_deploy(&v, DOC1);
    uint64_t d0 = fu_digest(&v);
    long n;
    for (n = 1;; n++) {
        long live0 = FA.live - held(v.e);
        char *out = NULL;
        fa_arm(n);
        int rc = bpmn_deploy(v.e, "bad.bpmn", bad, sizeof bad - 1, &out);
        int hit = FA.hit;
        fa_arm(0);
        if (rc != (hit ? BPMN_ENOMEM : BPMN_EINVALID))
            fprintf(stderr, "deploy invalid, N=%ld: %d [%s]\n", n, rc, bpmn_engine_errmsg(v.e));
        CU_ASSERT_EQUAL(rc, hit ? BPMN_ENOMEM : BPMN_EINVALID);
        CU_ASSERT_PTR_NULL(out);
        CU_ASSERT(bpmn_engine_errmsg(v.e)[0] != '\0');
        CU_ASSERT_EQUAL(FA.live - held(v.e), live0);
        CU_ASSERT(fu_digest(&v) == d0);
        if (!hit) {
            CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(v.e), "bad.bpmn:"));
            break;
        }
    }
    CU_ASSERT(n > 5);
    env_close(&v);
}

static void test_refused_calls_fail_cleanly_at_every_allocation(void)
{
    for (size_t i = 0; i < NREFUSALS; i++) {
        const refusal *o = &REFUSALS[i];
        env v;
        env_open(&v, 0, 0);
        o->setup(&v);
        uint64_t d0 = fu_digest(&v);
        long n;
        for (n = 1;; n++) {
            long live0 = FA.live - held(v.e);
            size_t ndefs = v.e->ndefs;
            char *res = NULL;
            fa_arm(n);
            int rc = o->run(&v, &res);
            int hit = FA.hit;
            fa_arm(0);
            int want = hit ? BPMN_ENOMEM : o->want;
            if (rc != want)
                fprintf(stderr, "refusal: %s, N=%ld: %d, want %d [%s]\n", o->name, n, rc, want,
                        bpmn_engine_errmsg(v.e));
            CU_ASSERT_EQUAL(rc, want);
            CU_ASSERT_PTR_NULL(res);
            CU_ASSERT(bpmn_engine_errmsg(v.e)[0] != '\0');
            CU_ASSERT(v.e->ndefs != ndefs || FA.live - held(v.e) == live0);
            CU_ASSERT(fu_digest(&v) == d0);
            free(res);
            if (!hit)
                break;
        }
        env_close(&v);
    }
}

int main(void)
{
    static const tu_case cases[] = {
        {"open fails cleanly at every allocation", test_open_fails_cleanly_at_every_allocation},
        {"validate fails cleanly at every allocation", test_validate_fails_cleanly_at_every_allocation},
        {"validate file fails cleanly at every allocation", test_validate_file_fails_cleanly_at_every_allocation},
        {"deploy of an invalid document fails cleanly at every allocation", test_deploy_of_an_invalid_document_fails_cleanly_at_every_allocation},
        {"refused calls fail cleanly at every allocation", test_refused_calls_fail_cleanly_at_every_allocation},
        {"every operation fails cleanly at every allocation", test_every_operation_fails_cleanly_at_every_allocation},
        {"writing operations fail cleanly at every store write", test_writing_operations_fail_cleanly_at_every_store_write},
        {"other history levels fail cleanly too", test_other_history_levels_fail_cleanly_too},
        {NULL, NULL},
    };
    return tu_run("faults", cases);
}
