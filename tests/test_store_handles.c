/*
 * test_store_handles.c - several handles on one store file in one process: they share its
 * environment, see each other's commits, write from threads of their own, grow the map together
 * and survive each other's close; a forked child opens its own.
 */
#include <dirent.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stores/store.h"
#include "test_util.h"
#include "store_util.h"

static void test_two_handles_in_one_process_see_each_others_commits(void)
{
    tmp d;
    tmp_make(&d);
    char other[128]; /* another spelling of the same file */
    snprintf(other, sizeof other, "%s/./store.db", d.dir);
    st_store *a = stu_open_at(d.path, 0, 0), *b = stu_open_at(other, 0, 0);
    st_txn *t, *r;
    CU_ASSERT_EQUAL_FATAL(st_begin(a, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_DEFS, "a", "from a"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_begin(b, 0, &r), BPMN_OK);
    CU_ASSERT_EQUAL(stu_get_str(r, ST_DEFS, "a", "from a"), BPMN_OK);
    /* b writes while its reader is open: a sees it, the reader keeps its snapshot */
    CU_ASSERT_EQUAL_FATAL(st_begin(b, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_DEFS, "b", "from b"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_get_str(r, ST_DEFS, "b", "from b"), BPMN_ENOTFOUND);
    st_abort(r);
    CU_ASSERT_EQUAL_FATAL(st_begin(a, 0, &r), BPMN_OK);
    CU_ASSERT_EQUAL(stu_get_str(r, ST_DEFS, "b", "from b"), BPMN_OK);
    st_abort(r);
    CU_ASSERT_EQUAL(st_map_size(a), st_map_size(b));
    st_close(a);
    st_close(b);
    tmp_remove(&d);
}

static void test_write_transaction_through_another_handle_of_the_thread_is_refused(void)
{
    tmp d;
    tmp_make(&d);
    st_store *a = stu_open_at(d.path, 0, 0), *b = stu_open_at(d.path, 0, 0);
    st_txn *t, *t2 = (st_txn *)&d;
    CU_ASSERT_EQUAL_FATAL(st_begin(a, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(st_begin(b, 1, &t2), BPMN_EINVAL); /* instead of waiting for itself */
    CU_ASSERT_PTR_NULL(t2);
    CU_ASSERT_PTR_NOT_NULL(strstr(st_errmsg(b), "already holds the write transaction"));
    CU_ASSERT_EQUAL(st_errmsg(a)[0], '\0'); /* each handle has its own message */
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_begin(b, 1, &t), BPMN_OK);
    st_abort(t);
    st_close(b);
    st_close(a);
    tmp_remove(&d);
}

typedef struct own_handle {
    const char *path;
    pthread_barrier_t *start;
    uint64_t first;
    int ok;
} own_handle;

/* Opens its own handle at the same moment as the others, on a file none has created yet. */
static void *open_write_read_close(void *ud)
{
    own_handle *h = ud;
    st_options o = {h->path, 64 * KIB, 64 * MIB, 0, 1};
    st_store *s = NULL;
    char err[256];
    pthread_barrier_wait(h->start);
    if (st_open(&o, &s, err, sizeof err) != BPMN_OK) {
        fprintf(stderr, "thread: st_open: %s\n", err);
        return NULL;
    }
    worker w = {s, h->first, 0};
    stu_write_and_read(&w);
    h->ok = w.ok;
    st_close(s);
    return NULL;
}

static void test_threads_with_a_handle_each_write_concurrently(void)
{
    tmp d;
    tmp_make(&d);
    pthread_barrier_t start;
    CU_ASSERT_EQUAL_FATAL(pthread_barrier_init(&start, NULL, 4), 0);
    own_handle h[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        h[i] = (own_handle){d.path, &start, 1 + (uint64_t)i * 1000, 0};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, open_write_read_close, &h[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT(h[i].ok);
    }
    pthread_barrier_destroy(&start);
    st_store *s = stu_open_at(d.path, 64 * KIB, 64 * MIB);
    CU_ASSERT(st_map_size(s) >= 2 * MIB); /* grown through all four handles */
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(stu_count_filled(s, h[i].first, 500, 1000), 500);
    st_close(s);
    tmp_remove(&d);
}

static void test_closing_one_handle_leaves_the_other_working(void)
{
    tmp d;
    tmp_make(&d);
    st_store *a = stu_open_at(d.path, 0, 0), *b = stu_open_at(d.path, 0, 0);
    st_txn *t, *r;
    CU_ASSERT_EQUAL_FATAL(st_begin(a, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_JOBS, "k", "old"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_begin(b, 0, &r), BPMN_OK);
    st_close(a); /* the handle that opened the environment */
    CU_ASSERT_EQUAL(stu_get_str(r, ST_JOBS, "k", "old"), BPMN_OK);
    for (int i = 0; i < 20; i++) {
        CU_ASSERT_EQUAL_FATAL(st_begin(b, 1, &t), BPMN_OK);
        CU_ASSERT_EQUAL(stu_put_str(t, ST_JOBS, "k", "new"), BPMN_OK);
        CU_ASSERT_EQUAL(stu_put_str(t, ST_JOBS, "extra", "x"), BPMN_OK);
        CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    }
    CU_ASSERT_EQUAL(stu_get_str(r, ST_JOBS, "k", "old"), BPMN_OK); /* still its snapshot */
    CU_ASSERT_EQUAL(stu_get_str(r, ST_JOBS, "extra", "x"), BPMN_ENOTFOUND);
    st_abort(r);
    /* a new handle joins the environment b keeps open; then b goes and it carries on */
    a = stu_open_at(d.path, 0, 0);
    CU_ASSERT_EQUAL_FATAL(st_begin(a, 0, &r), BPMN_OK);
    CU_ASSERT_EQUAL(stu_get_str(r, ST_JOBS, "k", "new"), BPMN_OK);
    st_abort(r);
    st_close(b);
    filler f = {1, 20, 100, 0};
    CU_ASSERT_EQUAL(st_run(a, stu_fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(stu_count_filled(a, 1, 20, 100), 20);
    st_close(a);
    tmp_remove(&d);
}

static void test_map_grows_through_one_handle_while_another_is_open(void)
{
    tmp d;
    tmp_make(&d);
    st_store *a = stu_open_at(d.path, 64 * KIB, 64 * MIB), *b = stu_open_at(d.path, 64 * KIB, 64 * MIB);
    filler f = {1, 40, 1000, 0};
    CU_ASSERT_EQUAL(st_run(a, stu_fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(f.calls, 2);
    CU_ASSERT_EQUAL(st_map_size(a), 128 * KIB);
    CU_ASSERT_EQUAL(st_map_size(b), 128 * KIB); /* one map */
    CU_ASSERT_EQUAL(stu_count_filled(b, 1, 40, 1000), 40);
    filler g = {1000, 60, 1000, 0}; /* and through the other */
    CU_ASSERT_EQUAL(st_run(b, stu_fill, &g), BPMN_OK);
    CU_ASSERT_EQUAL(g.calls, 2);
    CU_ASSERT_EQUAL(st_map_size(a), 256 * KIB);
    CU_ASSERT_EQUAL(stu_count_filled(a, 1000, 60, 1000), 60);
    CU_ASSERT_EQUAL(stu_count_filled(a, 1, 40, 1000), 40);
    st_close(a);
    st_close(b);
    tmp_remove(&d);
}

static void test_map_grows_once_a_reader_of_another_handle_has_ended(void)
{
    tmp d;
    tmp_make(&d);
    st_store *a = stu_open_at(d.path, 64 * KIB, 64 * MIB), *b = stu_open_at(d.path, 64 * KIB, 64 * MIB);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(a, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_SUBS, "before", "growth"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    slow_reader sr = {b, {-1, -1}, 0};
    CU_ASSERT_EQUAL_FATAL(pipe(sr.fds), 0);
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, stu_hold_a_reader, &sr), 0);
    char c;
    CU_ASSERT_EQUAL(read(sr.fds[0], &c, 1), 1); /* b's reader is open */
    filler f = {1, 40, 1000, 0};
    CU_ASSERT_EQUAL(st_run(a, stu_fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(f.calls, 2);
    pthread_join(th, NULL);
    CU_ASSERT(sr.ok); /* the reader ended on the old map, unharmed */
    CU_ASSERT_EQUAL(stu_count_filled(b, 1, 40, 1000), 40);
    close(sr.fds[0]);
    close(sr.fds[1]);
    st_close(a);
    st_close(b);
    tmp_remove(&d);
}

static void test_map_cannot_grow_under_a_reader_of_the_thread_on_another_handle(void)
{
    tmp d;
    tmp_make(&d);
    st_store *a = stu_open_at(d.path, 64 * KIB, 64 * MIB), *b = stu_open_at(d.path, 64 * KIB, 64 * MIB);
    st_txn *r;
    CU_ASSERT_EQUAL_FATAL(st_begin(b, 0, &r), BPMN_OK);
    filler f = {1, 40, 1000, 0};
    CU_ASSERT_EQUAL(st_run(a, stu_fill, &f), BPMN_EIO); /* instead of waiting for itself */
    CU_ASSERT_PTR_NOT_NULL(strstr(st_errmsg(a), "holds a read transaction"));
    st_abort(r);
    f.calls = 0;
    CU_ASSERT_EQUAL(st_run(a, stu_fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(stu_count_filled(b, 1, 40, 1000), 40);
    st_close(a);
    st_close(b);
    tmp_remove(&d);
}

static void test_largest_map_max_of_the_handles_applies(void)
{
    tmp d;
    tmp_make(&d);
    st_store *a = stu_open_at(d.path, 64 * KIB, 256 * KIB), *b = stu_open_at(d.path, 64 * KIB, MIB);
    for (uint64_t i = 0; i < 20; i++) { /* ~500 KiB through a, past its own map_max */
        filler f = {1 + i * 25, 25, 1000, 0};
        CU_ASSERT_EQUAL(st_run(a, stu_fill, &f), BPMN_OK);
    }
    CU_ASSERT(st_map_size(a) > 256 * KIB);
    CU_ASSERT(st_map_size(a) <= MIB);
    st_close(b);
    st_close(a);
    tmp_remove(&d);
}

/* What the child of fork() inherits from the test below. */
static st_store *parents_store;
static st_txn *parents_reader;

static int child_opens_the_path_its_parent_has_open(const char *path)
{
    int bad = 0;
    st_store *s = NULL, *s2 = NULL;
    st_txn *t = NULL;
    /* the inherited handle is refused and ends without touching the parent's environment */
    CHILD_CHECK(st_begin(parents_store, 0, &t) == BPMN_EIO);
    CHILD_CHECK(t == NULL);
    CHILD_CHECK(strstr(st_errmsg(parents_store), "opened by the parent process") != NULL);
    CHILD_CHECK(st_map_size(parents_store) == 0);
    CHILD_CHECK(st_commit(parents_reader) == BPMN_EIO);
    CHILD_CHECK(strstr(st_errmsg(parents_store), "begun by the parent process") != NULL);
    st_close(parents_store);
    st_options o = {path, 0, 0, 0, 0};
    CHILD_CHECK(st_open(&o, &s, NULL, 0) == BPMN_OK);
    CHILD_CHECK(st_open(&o, &s2, NULL, 0) == BPMN_OK);
    for (int i = 0; i < 20; i++) {
        CHILD_CHECK(st_begin(i % 2 ? s : s2, 1, &t) == BPMN_OK);
        CHILD_CHECK(stu_get_str(t, ST_TIMERS, "k", i ? "new" : "old") == BPMN_OK);
        CHILD_CHECK(stu_put_str(t, ST_TIMERS, "k", "new") == BPMN_OK);
        CHILD_CHECK(stu_put_str(t, ST_TIMERS, "extra", "x") == BPMN_OK);
        CHILD_CHECK(st_commit(t) == BPMN_OK);
        t = NULL;
    }
out:
    st_abort(t);
    st_close(s2);
    st_close(s);
    return bad;
}

static void test_forked_child_opens_the_path_while_the_parent_keeps_its_handle(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t, *r;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_TIMERS, "k", "old"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &r), BPMN_OK);
    parents_store = s;
    parents_reader = r;
    CU_ASSERT_EQUAL(stu_in_child(child_opens_the_path_its_parent_has_open, d.path), 0);
    /* the child's abort of the inherited reader left its slot to the parent: 20 commits later
     * the snapshot's pages are still its own */
    CU_ASSERT_EQUAL(stu_get_str(r, ST_TIMERS, "k", "old"), BPMN_OK);
    CU_ASSERT_EQUAL(stu_get_str(r, ST_TIMERS, "extra", "x"), BPMN_ENOTFOUND);
    st_abort(r);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &r), BPMN_OK);
    CU_ASSERT_EQUAL(stu_get_str(r, ST_TIMERS, "k", "new"), BPMN_OK);
    st_abort(r);
    /* the parent's handle writes on, and another one in the parent joins it */
    filler f = {1, 20, 100, 0};
    CU_ASSERT_EQUAL(st_run(s, stu_fill, &f), BPMN_OK);
    st_store *s2 = stu_open_at(d.path, 0, 0);
    CU_ASSERT_EQUAL(stu_count_filled(s2, 1, 20, 100), 20);
    st_close(s2);
    st_close(s);
    tmp_remove(&d);
}
int main(void)
{
    static const tu_case cases[] = {
        {"two_handles_in_one_process_see_each_others_commits",
         test_two_handles_in_one_process_see_each_others_commits},
        {"write_transaction_through_another_handle_of_the_thread_is_refused",
         test_write_transaction_through_another_handle_of_the_thread_is_refused},
        {"threads_with_a_handle_each_write_concurrently",
         test_threads_with_a_handle_each_write_concurrently},
        {"closing_one_handle_leaves_the_other_working",
         test_closing_one_handle_leaves_the_other_working},
        {"map_grows_through_one_handle_while_another_is_open",
         test_map_grows_through_one_handle_while_another_is_open},
        {"map_grows_once_a_reader_of_another_handle_has_ended",
         test_map_grows_once_a_reader_of_another_handle_has_ended},
        {"map_cannot_grow_under_a_reader_of_the_thread_on_another_handle",
         test_map_cannot_grow_under_a_reader_of_the_thread_on_another_handle},
        {"largest_map_max_of_the_handles_applies", test_largest_map_max_of_the_handles_applies},
        {"forked_child_opens_the_path_while_the_parent_keeps_its_handle",
         test_forked_child_opens_the_path_while_the_parent_keeps_its_handle},
        {NULL, NULL},
    };
    return tu_run("store_handles", cases);
}
