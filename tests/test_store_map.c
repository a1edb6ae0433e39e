/*
 * test_store_map.c - the LMDB store's map: it grows when a transaction runs out of room, stops
 * cleanly at its limit, waits for the readers of other threads and refuses under a reader of the
 * growing thread, and a map another process grew is adopted.
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

static void test_full_map_grows_inside_run_and_keeps_all_data(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 64 * KIB, 64 * MIB);
    CU_ASSERT_EQUAL(st_map_size(s), 64 * KIB);
    int runs = 40, calls = 0;
    for (int i = 0; i < runs; i++) {
        filler f = {1 + (uint64_t)i * 25, 25, 1000, 0};
        CU_ASSERT_EQUAL(st_run(s, stu_fill, &f), BPMN_OK);
        CU_ASSERT(f.calls == 1 || f.calls == 2);
        calls += f.calls;
    }
    CU_ASSERT(calls > runs); /* some runs did fill the map and ran again */
    size_t grown = st_map_size(s);
    CU_ASSERT(grown >= MIB);
    CU_ASSERT_EQUAL(stu_count_filled(s, 1, 1000, 1000), 1000);
    st_close(s);
    /* the file remembers its map size: reopening small does not start over */
    s = stu_open_at(d.path, 64 * KIB, 64 * MIB);
    CU_ASSERT_EQUAL(st_map_size(s), grown);
    CU_ASSERT_EQUAL(stu_count_filled(s, 1, 1000, 1000), 1000);
    st_close(s);
    tmp_remove(&d);
}

static void test_run_retries_a_full_transaction_only_once(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 64 * KIB, 64 * MIB);
    filler big = {1, 300, 1000, 0}; /* ~300 KiB: more than twice the map */
    CU_ASSERT_EQUAL(st_run(s, stu_fill, &big), ST_EMAPFULL);
    CU_ASSERT_EQUAL(big.calls, 2);
    CU_ASSERT_EQUAL(st_map_size(s), 128 * KIB);
    CU_ASSERT_PTR_NOT_NULL(strstr(st_errmsg(s), "even after growing it to"));
    CU_ASSERT_EQUAL(stu_count_filled(s, 1, 300, 1000), 0);
    filler small = {1, 20, 1000, 0};
    CU_ASSERT_EQUAL(st_run(s, stu_fill, &small), BPMN_OK);
    CU_ASSERT_EQUAL(stu_count_filled(s, 1, 20, 1000), 20);
    st_close(s);
    tmp_remove(&d);
}

static void test_map_at_its_limit_fails_cleanly_keeping_earlier_data(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 64 * KIB, 256 * KIB);
    uint64_t done = 0;
    int rc = BPMN_OK;
    for (int i = 0; i < 100 && rc == BPMN_OK; i++) {
        filler f = {1 + done, 25, 1000, 0};
        rc = st_run(s, stu_fill, &f);
        if (rc == BPMN_OK)
            done += 25;
    }
    CU_ASSERT_EQUAL(rc, ST_EMAPFULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(st_errmsg(s), "reached the limit of 262144 bytes (map_max)"));
    CU_ASSERT_EQUAL(st_map_size(s), 256 * KIB);
    CU_ASSERT(done >= 100);
    CU_ASSERT_EQUAL(stu_count_filled(s, 1, done, 1000), done);
    CU_ASSERT_EQUAL(stu_count_filled(s, 1 + done, 25, 1000), 0);
    /* small writes that still fit go on working */
    filler tiny = {1000000, 1, 10, 0};
    CU_ASSERT_EQUAL(st_run(s, stu_fill, &tiny), BPMN_OK);
    st_close(s);
    s = stu_open_at(d.path, 64 * KIB, 256 * KIB);
    CU_ASSERT_EQUAL(stu_count_filled(s, 1, done, 1000), done);
    st_close(s);
    tmp_remove(&d);
}

static void test_map_cannot_grow_under_a_reader_of_the_same_thread(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 64 * KIB, 64 * MIB);
    st_txn *r;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &r), BPMN_OK);
    filler f = {1, 40, 1000, 0};
    CU_ASSERT_EQUAL(st_run(s, stu_fill, &f), BPMN_EIO); /* instead of waiting for itself */
    CU_ASSERT_PTR_NOT_NULL(strstr(st_errmsg(s), "holds a read transaction"));
    st_abort(r);
    f.calls = 0;
    CU_ASSERT_EQUAL(st_run(s, stu_fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(f.calls, 2);
    CU_ASSERT_EQUAL(stu_count_filled(s, 1, 40, 1000), 40);
    st_close(s);
    tmp_remove(&d);
}

static void test_map_grows_once_readers_of_other_threads_have_ended(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 64 * KIB, 64 * MIB);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_SUBS, "before", "growth"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    slow_reader sr = {s, {-1, -1}, 0};
    CU_ASSERT_EQUAL_FATAL(pipe(sr.fds), 0);
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, stu_hold_a_reader, &sr), 0);
    char c;
    CU_ASSERT_EQUAL(read(sr.fds[0], &c, 1), 1); /* the reader is open */
    filler f = {1, 40, 1000, 0};
    CU_ASSERT_EQUAL(st_run(s, stu_fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(f.calls, 2);
    pthread_join(th, NULL);
    CU_ASSERT(sr.ok);
    CU_ASSERT_EQUAL(stu_count_filled(s, 1, 40, 1000), 40);
    close(sr.fds[0]);
    close(sr.fds[1]);
    st_close(s);
    tmp_remove(&d);
}

static void test_threads_share_a_store_while_its_map_grows(void)
{
    tmp d;
    tmp_make(&d);
    st_options o = {d.path, 64 * KIB, 64 * MIB, 0, 1};
    st_store *s = NULL;
    CU_ASSERT_EQUAL_FATAL(st_open(&o, &s, NULL, 0), BPMN_OK);
    worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){s, 1 + (uint64_t)i * 1000, 0};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, stu_write_and_read, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT(w[i].ok);
    }
    CU_ASSERT(st_map_size(s) >= 2 * MIB);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(stu_count_filled(s, w[i].first, 500, 1000), 500);
    st_close(s);
    tmp_remove(&d);
}

static int child_grows_the_map(const char *path)
{
    int bad = 0;
    st_options o = {path, 8 * MIB, 64 * MIB, 0, 1};
    st_store *s = NULL;
    CHILD_CHECK(st_open(&o, &s, NULL, 0) == BPMN_OK);
    for (uint64_t i = 0; i < 10; i++) {
        filler f = {1 + i * 200, 200, 1000, 0};
        CHILD_CHECK(st_run(s, stu_fill, &f) == BPMN_OK);
    }
out:
    st_close(s);
    return bad;
}

static void test_map_grown_by_another_process_is_adopted(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 64 * KIB, 64 * MIB);
    filler f = {1, 1, 1000, 0}; /* and a reader left in the cache, to be renewed */
    CU_ASSERT_EQUAL(st_run(s, stu_fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(stu_count_filled(s, 1, 1, 1000), 1);
    CU_ASSERT_EQUAL(stu_in_child(child_grows_the_map, d.path), 0);
    CU_ASSERT_EQUAL(stu_count_filled(s, 1, 2000, 1000), 2000);
    CU_ASSERT_EQUAL(st_map_size(s), 8 * MIB);
    f = (filler){5000, 10, 1000, 0};
    CU_ASSERT_EQUAL(st_run(s, stu_fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(f.calls, 1);
    st_close(s);
    tmp_remove(&d);
}

static int child_grows_more(const char *path)
{
    int bad = 0;
    st_options o = {path, 16 * MIB, 64 * MIB, 0, 1};
    st_store *s = NULL;
    CHILD_CHECK(st_open(&o, &s, NULL, 0) == BPMN_OK);
    for (uint64_t i = 0; i < 20; i++) {
        filler f = {10000 + i * 200, 200, 1000, 0};
        CHILD_CHECK(st_run(s, stu_fill, &f) == BPMN_OK);
    }
out:
    st_close(s);
    return bad;
}

static void test_writer_adopts_a_map_grown_by_another_process(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 64 * KIB, 64 * MIB);
    CU_ASSERT_EQUAL(stu_in_child(child_grows_more, d.path), 0);
    filler f = {1, 10, 1000, 0};
    CU_ASSERT_EQUAL(st_run(s, stu_fill, &f), BPMN_OK); /* the first begin meets the grown map */
    CU_ASSERT_EQUAL(st_map_size(s), 16 * MIB);
    CU_ASSERT_EQUAL(stu_count_filled(s, 10000, 4000, 1000), 4000);
    st_close(s);
    tmp_remove(&d);
}

int main(void)
{
    static const tu_case cases[] = {
        {"full_map_grows_inside_run_and_keeps_all_data",
         test_full_map_grows_inside_run_and_keeps_all_data},
        {"run_retries_a_full_transaction_only_once", test_run_retries_a_full_transaction_only_once},
        {"map_at_its_limit_fails_cleanly_keeping_earlier_data",
         test_map_at_its_limit_fails_cleanly_keeping_earlier_data},
        {"map_cannot_grow_under_a_reader_of_the_same_thread",
         test_map_cannot_grow_under_a_reader_of_the_same_thread},
        {"map_grows_once_readers_of_other_threads_have_ended",
         test_map_grows_once_readers_of_other_threads_have_ended},
        {"threads_share_a_store_while_its_map_grows",
         test_threads_share_a_store_while_its_map_grows},
        {"map_grown_by_another_process_is_adopted", test_map_grown_by_another_process_is_adopted},
        {"writer_adopts_a_map_grown_by_another_process",
         test_writer_adopts_a_map_grown_by_another_process},
        {NULL, NULL},
    };
    return tu_run("store_map", cases);
}
