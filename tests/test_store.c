/*
 * test_store.c - the LMDB store: tables keep what is committed and nothing that is aborted,
 * scans follow byte order, readers keep their snapshot while others write, foreign or damaged
 * files are refused untouched, and the map grows when a transaction runs out of room.
 *
 * A second handle on a store is either a second st_open in this process (sharing its LMDB
 * environment) or a second process (fork), as it would be in production.
 *
 * The map and its growth are tested in test_store_map.c, several handles on one file in one
 * process in test_store_handles.c; the fixtures are in store_util.c.
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

/* ---- tables ----------------------------------------------------------------------------- */

static void test_put_get_del_roundtrip_in_every_table(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t;
    char key[16], val[32];
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    for (int tb = 0; tb < ST_TABLE_COUNT; tb++) {
        snprintf(key, sizeof key, "key%d", tb);
        snprintf(val, sizeof val, "value of table %d", tb);
        CU_ASSERT_EQUAL(stu_put_str(t, tb, key, val), BPMN_OK);
    }
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);

    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    for (int tb = 0; tb < ST_TABLE_COUNT; tb++) {
        snprintf(key, sizeof key, "key%d", tb);
        snprintf(val, sizeof val, "value of table %d", tb);
        CU_ASSERT_EQUAL(stu_get_str(t, tb, key, val), BPMN_OK);
        /* tables are separate: the next table does not hold this key */
        CU_ASSERT_EQUAL(stu_get_str(t, (tb + 1) % ST_TABLE_COUNT, key, val), BPMN_ENOTFOUND);
    }
    st_abort(t);

    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    for (int tb = 0; tb < ST_TABLE_COUNT; tb++) {
        snprintf(key, sizeof key, "key%d", tb);
        CU_ASSERT_EQUAL(st_del(t, tb, key, strlen(key)), BPMN_OK);
        CU_ASSERT_EQUAL(st_del(t, tb, key, strlen(key)), BPMN_ENOTFOUND);
    }
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    for (int tb = 0; tb < ST_TABLE_COUNT; tb++) {
        snprintf(key, sizeof key, "key%d", tb);
        CU_ASSERT_EQUAL(stu_get_str(t, tb, key, ""), BPMN_ENOTFOUND);
    }
    st_abort(t);
    st_close(s);
    tmp_remove(&d);
}

static void test_put_overwrites_the_previous_value(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_TASKS, "k", "first"), BPMN_OK);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_TASKS, "k", "second, longer"), BPMN_OK);
    CU_ASSERT_EQUAL(stu_get_str(t, ST_TASKS, "k", "second, longer"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    st_close(s);
    tmp_remove(&d);
}

static void test_new_store_records_schema_version_1(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t;
    const void *v;
    size_t vl = 0;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    CU_ASSERT_EQUAL(st_get(t, ST_META, "schema", 6, &v, &vl), BPMN_OK);
    CU_ASSERT_EQUAL(vl, 8);
    if (vl == 8)
        CU_ASSERT_EQUAL(st_rd64(v), 1);
    st_abort(t);
    CU_ASSERT_EQUAL(st_map_size(s), 64 * MIB);
    st_close(s);
    tmp_remove(&d);
}

static void test_write_in_a_read_transaction_is_refused(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_JOBS, "k", "v"), BPMN_EINVAL);
    CU_ASSERT_EQUAL(st_del(t, ST_JOBS, "k", 1), BPMN_EINVAL);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_TABLE_COUNT, "k", "v"), BPMN_EINVAL);
    st_abort(t);
    st_close(s);
    tmp_remove(&d);
}

/* ---- transactions ----------------------------------------------------------------------- */

static void test_abort_leaves_nothing(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    for (int tb = 0; tb < ST_TABLE_COUNT; tb++)
        CU_ASSERT_EQUAL(stu_put_str(t, tb, "gone", "soon"), BPMN_OK);
    st_abort(t);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    for (int tb = 0; tb < ST_TABLE_COUNT; tb++)
        CU_ASSERT_EQUAL(stu_get_str(t, tb, "gone", "soon"), BPMN_ENOTFOUND);
    st_abort(t);
    st_close(s);
    tmp_remove(&d);
}

static int put_then_fail(st_txn *t, void *ud)
{
    (void)ud;
    int rc = stu_put_str(t, ST_INSTANCES, "half", "done");
    return rc != BPMN_OK ? rc : BPMN_EINVALID;
}

static void test_run_returns_the_failure_of_fn_and_stores_nothing(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    CU_ASSERT_EQUAL(st_run(s, put_then_fail, NULL), BPMN_EINVALID);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_get_str(t, ST_INSTANCES, "half", "done"), BPMN_ENOTFOUND);
    st_abort(t);
    st_close(s);
    tmp_remove(&d);
}

static void test_data_survives_close_and_reopen(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    filler f = {1, 100, 100, 0};
    CU_ASSERT_EQUAL(st_run(s, stu_fill, &f), BPMN_OK);
    st_close(s);
    s = stu_open_at(d.path, 0, 0);
    CU_ASSERT_EQUAL(stu_count_filled(s, 1, 100, 100), 100);
    st_close(s);
    tmp_remove(&d);
}

static void test_second_write_transaction_in_one_thread_is_refused_not_deadlocked(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t, *t2 = (st_txn *)&d;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(st_begin(s, 1, &t2), BPMN_EINVAL);
    CU_ASSERT_PTR_NULL(t2);
    CU_ASSERT_PTR_NOT_NULL(strstr(st_errmsg(s), "already holds the write transaction"));
    CU_ASSERT_EQUAL(stu_put_str(t, ST_SUBS, "k", "v"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK); /* and free again after the commit */
    st_abort(t);
    st_close(s);
    tmp_remove(&d);
}

static void test_reader_keeps_its_snapshot_while_the_same_store_commits(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t, *r;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_INSTANCES, "k", "old"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &r), BPMN_OK);
    for (int i = 0; i < 20; i++) { /* enough commits for LMDB to reuse pages if it could */
        CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
        CU_ASSERT_EQUAL(stu_put_str(t, ST_INSTANCES, "k", "new"), BPMN_OK);
        CU_ASSERT_EQUAL(stu_put_str(t, ST_INSTANCES, "extra", "x"), BPMN_OK);
        CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    }
    CU_ASSERT_EQUAL(stu_get_str(r, ST_INSTANCES, "k", "old"), BPMN_OK);
    CU_ASSERT_EQUAL(stu_get_str(r, ST_INSTANCES, "extra", "x"), BPMN_ENOTFOUND);
    st_abort(r);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &r), BPMN_OK);
    CU_ASSERT_EQUAL(stu_get_str(r, ST_INSTANCES, "k", "new"), BPMN_OK);
    st_abort(r);
    st_close(s);
    tmp_remove(&d);
}

static void *begin_reader(void *ud)
{
    st_txn **r = ud;
    st_store *s = (st_store *)r[1];
    if (st_begin(s, 0, &r[0]) != BPMN_OK)
        r[0] = NULL;
    return NULL;
}

static void test_read_transaction_may_end_in_another_thread(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_TASKS, "k", "v"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    st_txn *r[2] = {NULL, (st_txn *)s};
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, begin_reader, r), 0);
    pthread_join(th, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r[0]);
    CU_ASSERT_EQUAL(stu_get_str(r[0], ST_TASKS, "k", "v"), BPMN_OK);
    st_abort(r[0]);
    st_close(s);
    tmp_remove(&d);
}

/* ---- two processes ---------------------------------------------------------------------- */

static int child_reads_a_and_writes_b(const char *path)
{
    int bad = 0;
    st_options o = {path, 0, 0, 0, 0};
    st_store *s = NULL;
    st_txn *t = NULL;
    CHILD_CHECK(st_open(&o, &s, NULL, 0) == BPMN_OK);
    CHILD_CHECK(st_begin(s, 1, &t) == BPMN_OK);
    CHILD_CHECK(stu_get_str(t, ST_DEFS, "a", "from the parent") == BPMN_OK);
    CHILD_CHECK(stu_put_str(t, ST_DEFS, "b", "from the child") == BPMN_OK);
    CHILD_CHECK(st_commit(t) == BPMN_OK);
    t = NULL;
out:
    st_abort(t);
    st_close(s);
    return bad;
}

static void test_two_processes_see_each_others_commits(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_DEFS, "a", "from the parent"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_in_child(child_reads_a_and_writes_b, d.path), 0);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_get_str(t, ST_DEFS, "b", "from the child"), BPMN_OK);
    st_abort(t);
    st_close(s);
    tmp_remove(&d);
}

static int child_overwrites_k(const char *path)
{
    int bad = 0;
    st_options o = {path, 0, 0, 0, 0};
    st_store *s = NULL;
    st_txn *t = NULL;
    CHILD_CHECK(st_open(&o, &s, NULL, 0) == BPMN_OK);
    for (int i = 0; i < 20; i++) {
        CHILD_CHECK(st_begin(s, 1, &t) == BPMN_OK);
        CHILD_CHECK(stu_put_str(t, ST_TIMERS, "k", "new") == BPMN_OK);
        CHILD_CHECK(stu_put_str(t, ST_TIMERS, "extra", "x") == BPMN_OK);
        CHILD_CHECK(st_commit(t) == BPMN_OK);
        t = NULL;
    }
out:
    st_abort(t);
    st_close(s);
    return bad;
}

static void test_reader_does_not_block_another_process_writing(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t, *r;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_TIMERS, "k", "old"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &r), BPMN_OK);
    CU_ASSERT_EQUAL(stu_in_child(child_overwrites_k, d.path), 0);
    CU_ASSERT_EQUAL(stu_get_str(r, ST_TIMERS, "k", "old"), BPMN_OK);
    CU_ASSERT_EQUAL(stu_get_str(r, ST_TIMERS, "extra", "x"), BPMN_ENOTFOUND);
    st_abort(r);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &r), BPMN_OK);
    CU_ASSERT_EQUAL(stu_get_str(r, ST_TIMERS, "k", "new"), BPMN_OK);
    CU_ASSERT_EQUAL(stu_get_str(r, ST_TIMERS, "extra", "x"), BPMN_OK);
    st_abort(r);
    st_close(s);
    tmp_remove(&d);
}

/* ---- refusals --------------------------------------------------------------------------- */

static void write_all(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void test_file_of_random_bytes_is_refused_untouched(void)
{
    tmp d;
    tmp_make(&d);
    size_t n = 64 * KIB;
    uint8_t *junk = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(junk);
    uint64_t x = 42;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        junk[i] = (uint8_t)(x >> 56);
    }
    write_all(d.path, junk, n);
    stu_open_refused(d.path, BPMN_EIO, "store.db: not a bpmnrt store (");
    size_t m = 0;
    char *after = tu_read_file(d.path, &m);
    CU_ASSERT(after && m == n && memcmp(after, junk, n) == 0);
    free(after);
    free(junk);
    tmp_remove(&d);
}

static void test_truncated_store_is_refused(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    filler f = {1, 300, 1000, 0};
    CU_ASSERT_EQUAL(st_run(s, stu_fill, &f), BPMN_OK);
    st_close(s);
    size_t n = 0;
    char *whole = tu_read_file(d.path, &n);
    CU_ASSERT_FATAL(whole && n > 64 * KIB);
    char copy[128];
    snprintf(copy, sizeof copy, "%s/copy.db", d.dir);
    /* cut among the data pages: the header is intact but promises more pages */
    write_all(copy, whole, n / 2);
    stu_open_refused(copy, BPMN_EIO, "not a bpmnrt store (truncated: ");
    /* cut inside the second meta page */
    unlink(copy);
    write_all(copy, whole, 4100);
    stu_open_refused(copy, BPMN_EIO, "not a bpmnrt store (");
    free(whole);
    /* the original is fine */
    s = stu_open_at(d.path, 0, 0);
    CU_ASSERT_EQUAL(stu_count_filled(s, 1, 300, 1000), 300);
    st_close(s);
    tmp_remove(&d);
}

static int put_schema_2(st_txn *t, void *ud)
{
    (void)ud;
    uint8_t v[8];
    st_be64(v, 2);
    return st_put(t, ST_META, "schema", 6, v, 8);
}

static void test_store_of_another_schema_version_is_refused(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    CU_ASSERT_EQUAL(st_run(s, put_schema_2, NULL), BPMN_OK);
    st_close(s);
    stu_open_refused(d.path, BPMN_EIO, "store.db: schema version 2, this bpmnrt reads 1");
    stu_open_refused(d.path, BPMN_EIO, "schema version 2"); /* and still, nothing was rewritten */
    tmp_remove(&d);
}

static void test_lmdb_file_of_another_program_is_refused(void)
{
    tmp d;
    tmp_make(&d);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val k = {5, "hello"}, v = {5, "world"};
    CU_ASSERT_EQUAL_FATAL(mdb_env_create(&env), 0);
    CU_ASSERT_EQUAL_FATAL(mdb_env_open(env, d.path, MDB_NOSUBDIR, 0644), 0);
    CU_ASSERT_EQUAL(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CU_ASSERT_EQUAL(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
    CU_ASSERT_EQUAL(mdb_put(txn, dbi, &k, &v, 0), 0);
    CU_ASSERT_EQUAL(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    stu_open_refused(d.path, BPMN_EIO, "not a bpmnrt store (an LMDB file without bpmnrt's tables)");
    tmp_remove(&d);
}

static void test_empty_file_becomes_a_new_store(void)
{
    tmp d;
    tmp_make(&d);
    write_all(d.path, "", 0); /* as mktemp leaves it: nothing in it to lose */
    st_store *s = stu_open_at(d.path, 0, 0);
    filler f = {1, 3, 10, 0};
    CU_ASSERT_EQUAL(st_run(s, stu_fill, &f), BPMN_OK);
    st_close(s);
    tmp_remove(&d);
}

static void test_bad_options_are_refused(void)
{
    st_options o = {NULL, 0, 0, 0, 0};
    st_store *s = NULL;
    char err[128];
    CU_ASSERT_EQUAL(st_open(&o, &s, err, sizeof err), BPMN_EINVAL);
    o.path = "/tmp/never-created.db";
    o.map_size = 2 * MIB;
    o.map_max = 1 * MIB;
    CU_ASSERT_EQUAL(st_open(&o, &s, err, sizeof err), BPMN_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "exceeds map_max"));
    CU_ASSERT_EQUAL(st_open(&o, NULL, NULL, 0), BPMN_EINVAL);
    o.path = "/nonexistent-dir/store.db";
    o.map_size = o.map_max = 0;
    CU_ASSERT_EQUAL(st_open(&o, &s, err, sizeof err), BPMN_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent-dir/store.db: "));
    CU_ASSERT_PTR_NULL(s);
}

static void test_destructors_accept_null(void)
{
    st_close(NULL);
    st_abort(NULL);
    st_cursor_close(NULL);
    CU_ASSERT_EQUAL(st_commit(NULL), BPMN_EINVAL);
    CU_ASSERT_EQUAL(st_map_size(NULL), 0);
}

/* ---- scans ------------------------------------------------------------------------------ */

static void test_range_scan_follows_big_endian_key_order(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t;
    uint8_t k[8];
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    for (uint64_t i = 0; i < 1000; i++) { /* shuffled; keys cross byte boundaries */
        uint64_t id = (i * 7919 % 1000) * 300 + 1;
        st_be64(k, id);
        CU_ASSERT_EQUAL(st_put(t, ST_INSTANCES, k, 8, &id, sizeof id), BPMN_OK);
    }
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);

    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    st_cursor *c;
    CU_ASSERT_EQUAL_FATAL(st_cursor_open(t, ST_INSTANCES, &c), BPMN_OK);
    const void *kp, *vp;
    size_t kl, vl;
    uint64_t n = 0, prev = 0;
    int rc = st_cursor_seek(c, NULL, 0, &kp, &kl, &vp, &vl);
    for (; rc == BPMN_OK; rc = st_cursor_next(c, &kp, &kl, &vp, &vl)) {
        uint64_t id = st_rd64(kp), stored;
        memcpy(&stored, vp, sizeof stored);
        CU_ASSERT(kl == 8 && vl == 8 && stored == id);
        CU_ASSERT(n == 0 || id > prev);
        CU_ASSERT_EQUAL(id, n * 300 + 1);
        prev = id;
        n++;
    }
    CU_ASSERT_EQUAL(rc, BPMN_ENOTFOUND);
    CU_ASSERT_EQUAL(n, 1000);
    CU_ASSERT_EQUAL(st_cursor_next(c, &kp, &kl, &vp, &vl), BPMN_ENOTFOUND);

    /* seek lands on the first key >= the one asked for */
    st_be64(k, 150 * 300 + 2);
    CU_ASSERT_EQUAL(st_cursor_seek(c, k, 8, &kp, &kl, NULL, NULL), BPMN_OK);
    CU_ASSERT_EQUAL(st_rd64(kp), 151 * 300 + 1);
    CU_ASSERT_EQUAL(st_cursor_next(c, &kp, NULL, NULL, NULL), BPMN_OK);
    CU_ASSERT_EQUAL(st_rd64(kp), 152 * 300 + 1);
    st_be64(k, 999 * 300 + 2);
    CU_ASSERT_EQUAL(st_cursor_seek(c, k, 8, &kp, &kl, &vp, &vl), BPMN_ENOTFOUND);
    st_cursor_close(c);
    st_abort(t);
    st_close(s);
    tmp_remove(&d);
}

static void test_shorter_key_sorts_first_on_a_common_prefix(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    const char *keys[] = {"b", "ab", "a", "a\x01", "a\xff"};
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(stu_put_str(t, ST_INDEX, keys[i], "-"), BPMN_OK);
    st_cursor *c;
    CU_ASSERT_EQUAL_FATAL(st_cursor_open(t, ST_INDEX, &c), BPMN_OK);
    const char *want[] = {"a", "a\x01", "ab", "a\xff", "b"};
    const void *kp;
    size_t kl;
    int i = 0, rc = st_cursor_seek(c, "a", 1, &kp, &kl, NULL, NULL);
    for (; rc == BPMN_OK && i < 5; i++, rc = st_cursor_next(c, &kp, &kl, NULL, NULL))
        CU_ASSERT(kl == strlen(want[i]) && memcmp(kp, want[i], kl) == 0);
    CU_ASSERT_EQUAL(i, 5);
    CU_ASSERT_EQUAL(rc, BPMN_ENOTFOUND);
    st_cursor_close(c);
    st_abort(t);
    st_close(s);
    tmp_remove(&d);
}

static void test_cursor_del_removes_entries_during_a_scan(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    filler f = {1, 200, 50, 0};
    CU_ASSERT_EQUAL(st_run(s, stu_fill, &f), BPMN_OK);
    st_txn *t;
    st_cursor *c;
    const void *kp;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_cursor_open(t, ST_HISTORY, &c), BPMN_OK);
    int seen = 0, rc = st_cursor_seek(c, NULL, 0, &kp, NULL, NULL, NULL);
    for (; rc == BPMN_OK; rc = st_cursor_next(c, &kp, NULL, NULL, NULL)) {
        seen++;
        if (st_rd64(kp) % 2 == 0)
            CU_ASSERT_EQUAL(st_cursor_del(c), BPMN_OK);
    }
    CU_ASSERT_EQUAL(rc, BPMN_ENOTFOUND);
    CU_ASSERT_EQUAL(seen, 200); /* deleting did not skip the entry after it */
    st_cursor_close(c);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);

    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_cursor_open(t, ST_HISTORY, &c), BPMN_OK);
    int n = 0;
    for (rc = st_cursor_seek(c, NULL, 0, &kp, NULL, NULL, NULL); rc == BPMN_OK;
         rc = st_cursor_next(c, &kp, NULL, NULL, NULL), n++)
        CU_ASSERT_EQUAL(st_rd64(kp) % 2, 1);
    CU_ASSERT_EQUAL(n, 100);
    CU_ASSERT_EQUAL(st_cursor_del(c), BPMN_EINVAL); /* read transaction */
    st_cursor_close(c);
    st_abort(t);
    st_close(s);
    tmp_remove(&d);
}

static void test_cursor_left_open_past_its_transaction_is_safe_to_close(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t;
    st_cursor *c1, *c2;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(stu_put_str(t, ST_JOBS, "k", "v"), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_cursor_open(t, ST_JOBS, &c1), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_cursor_open(t, ST_JOBS, &c2), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL(st_cursor_seek(c1, NULL, 0, NULL, NULL, NULL, NULL), BPMN_EINVAL);
    st_cursor_close(c2);
    st_cursor_close(c1);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_cursor_open(t, ST_JOBS, &c1), BPMN_OK);
    st_abort(t);
    CU_ASSERT_EQUAL(st_cursor_next(c1, NULL, NULL, NULL, NULL), BPMN_EINVAL);
    st_cursor_close(c1);
    st_close(s);
    tmp_remove(&d);
}

static void test_append_accepts_only_increasing_keys(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = stu_open_at(d.path, 0, 0);
    st_txn *t;
    uint8_t k[8];
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    for (uint64_t i = 1; i <= 3; i++) {
        st_be64(k, i);
        CU_ASSERT_EQUAL(st_append(t, ST_HISTORY, k, 8, "e", 1), BPMN_OK);
    }
    st_be64(k, 2);
    CU_ASSERT_EQUAL(st_append(t, ST_HISTORY, k, 8, "x", 1), BPMN_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(st_errmsg(s), "not greater than the last one"));
    st_be64(k, 3);
    CU_ASSERT_EQUAL(st_append(t, ST_HISTORY, k, 8, "x", 1), BPMN_EINVAL);
    st_be64(k, 4); /* the refusal did not spoil the transaction */
    CU_ASSERT_EQUAL(st_append(t, ST_HISTORY, k, 8, "e", 1), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);

    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    st_cursor *c;
    const void *kp, *vp;
    size_t vl;
    CU_ASSERT_EQUAL_FATAL(st_cursor_open(t, ST_HISTORY, &c), BPMN_OK);
    uint64_t n = 0;
    for (int rc = st_cursor_seek(c, NULL, 0, &kp, NULL, &vp, &vl); rc == BPMN_OK;
         rc = st_cursor_next(c, &kp, NULL, &vp, &vl)) {
        CU_ASSERT_EQUAL(st_rd64(kp), ++n);
        CU_ASSERT(vl == 1 && memcmp(vp, "e", 1) == 0);
    }
    CU_ASSERT_EQUAL(n, 4);
    st_cursor_close(c);
    st_abort(t);
    st_close(s);
    tmp_remove(&d);
}

int main(void)
{
    static const tu_case cases[] = {
        {"put_get_del_roundtrip_in_every_table", test_put_get_del_roundtrip_in_every_table},
        {"put_overwrites_the_previous_value", test_put_overwrites_the_previous_value},
        {"new_store_records_schema_version_1", test_new_store_records_schema_version_1},
        {"write_in_a_read_transaction_is_refused", test_write_in_a_read_transaction_is_refused},
        {"abort_leaves_nothing", test_abort_leaves_nothing},
        {"run_returns_the_failure_of_fn_and_stores_nothing",
         test_run_returns_the_failure_of_fn_and_stores_nothing},
        {"data_survives_close_and_reopen", test_data_survives_close_and_reopen},
        {"second_write_transaction_in_one_thread_is_refused_not_deadlocked",
         test_second_write_transaction_in_one_thread_is_refused_not_deadlocked},
        {"reader_keeps_its_snapshot_while_the_same_store_commits",
         test_reader_keeps_its_snapshot_while_the_same_store_commits},
        {"read_transaction_may_end_in_another_thread",
         test_read_transaction_may_end_in_another_thread},
        {"two_processes_see_each_others_commits", test_two_processes_see_each_others_commits},
        {"reader_does_not_block_another_process_writing",
         test_reader_does_not_block_another_process_writing},
        {"file_of_random_bytes_is_refused_untouched",
         test_file_of_random_bytes_is_refused_untouched},
        {"truncated_store_is_refused", test_truncated_store_is_refused},
        {"store_of_another_schema_version_is_refused",
         test_store_of_another_schema_version_is_refused},
        {"lmdb_file_of_another_program_is_refused", test_lmdb_file_of_another_program_is_refused},
        {"empty_file_becomes_a_new_store", test_empty_file_becomes_a_new_store},
        {"bad_options_are_refused", test_bad_options_are_refused},
        {"destructors_accept_null", test_destructors_accept_null},
        {"range_scan_follows_big_endian_key_order", test_range_scan_follows_big_endian_key_order},
        {"shorter_key_sorts_first_on_a_common_prefix",
         test_shorter_key_sorts_first_on_a_common_prefix},
        {"cursor_del_removes_entries_during_a_scan", test_cursor_del_removes_entries_during_a_scan},
        {"cursor_left_open_past_its_transaction_is_safe_to_close",
         test_cursor_left_open_past_its_transaction_is_safe_to_close},
        {"append_accepts_only_increasing_keys", test_append_accepts_only_increasing_keys},
        {NULL, NULL},
    };
    return tu_run("store", cases);
}
