/*
 * test_store.c - the LMDB store: tables keep what is committed and nothing that is aborted,
 * scans follow byte order, readers keep their snapshot while others write, foreign or damaged
 * files are refused untouched, and the map grows when a transaction runs out of room.
 *
 * A second handle on a store is either a second st_open in this process (sharing its LMDB
 * environment) or a second process (fork), as it would be in production.
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

/* Implemented in stores/lmdb.c, proposed for store.h: the reason of the last failure. */
const char *st_errmsg(const st_store *s);

#define KIB ((size_t)1024)
#define MIB (KIB * 1024)

typedef struct tmp {
    char dir[64];
    char path[96];
} tmp;

static void tmp_make(tmp *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/test_store.XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/store.db", t->dir);
}

static void tmp_remove(tmp *t)
{
    DIR *d = opendir(t->dir);
    if (d) {
        struct dirent *e;
        char p[400];
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", t->dir, e->d_name);
                unlink(p);
            }
        }
        closedir(d);
    }
    rmdir(t->dir);
}

static st_store *open_at(const char *path, size_t map, size_t max)
{
    st_options o = {path, map, max, 0, 0};
    st_store *s = NULL;
    char err[256];
    int rc = st_open(&o, &s, err, sizeof err);
    if (rc != BPMN_OK)
        fprintf(stderr, "st_open: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    return s;
}

/* Opens path expecting a refusal; returns the message. */
static void open_refused(const char *path, int want, const char *text)
{
    st_options o = {path, 0, 0, 0, 0};
    st_store *s = (st_store *)&o; /* must come back NULL */
    char err[256] = "unset";
    int rc = st_open(&o, &s, err, sizeof err);
    CU_ASSERT_EQUAL(rc, want);
    CU_ASSERT_PTR_NULL(s);
    if (!strstr(err, text))
        fprintf(stderr, "message: %s (wanted %s)\n", err, text);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, text));
    st_close(s);
}

static int get_str(st_txn *t, st_table tb, const char *key, const char *want)
{
    const void *v;
    size_t vl;
    int rc = st_get(t, tb, key, strlen(key), &v, &vl);
    if (rc != BPMN_OK)
        return rc;
    return vl == strlen(want) && memcmp(v, want, vl) == 0 ? BPMN_OK : BPMN_EINVAL;
}

static int put_str(st_txn *t, st_table tb, const char *key, const char *val)
{
    return st_put(t, tb, key, strlen(key), val, strlen(val));
}

/* Writes n values of vlen bytes under keys first.. (u64 BE); counts its calls. */
typedef struct filler {
    uint64_t first, n;
    size_t vlen;
    int calls;
} filler;

static void fill_value(uint8_t *v, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (uint8_t)(id * 31 + i);
}

static int fill(st_txn *t, void *ud)
{
    filler *f = ud;
    uint8_t k[8], v[4096];
    f->calls++;
    for (uint64_t i = f->first; i < f->first + f->n; i++) {
        st_be64(k, i);
        fill_value(v, f->vlen, i);
        int rc = st_put(t, ST_HISTORY, k, 8, v, f->vlen);
        if (rc != BPMN_OK)
            return rc;
    }
    return BPMN_OK;
}

/* How many of the keys first..first+n-1 hold the value fill wrote. */
static uint64_t count_filled(st_store *s, uint64_t first, uint64_t n, size_t vlen)
{
    st_txn *t;
    uint8_t k[8], want[4096];
    uint64_t found = 0;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    for (uint64_t i = first; i < first + n; i++) {
        const void *v;
        size_t vl;
        st_be64(k, i);
        fill_value(want, vlen, i);
        if (st_get(t, ST_HISTORY, k, 8, &v, &vl) == BPMN_OK && vl == vlen &&
            memcmp(v, want, vl) == 0)
            found++;
    }
    st_abort(t);
    return found;
}

/* Runs fn(path) in a child process, a second process on the same store; 0 when all its checks
 * held. The verdict comes back through a pipe, not the exit status, which valgrind replaces when
 * the child ends holding the parent's memory (it must not free the parent's store). The alarm
 * turns a child blocked by the parent's reader into a failure, not a hang. */
static int in_child(int (*fn)(const char *path), const char *path)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        alarm(30);
        char verdict = fn(path) == 0 ? 'k' : 'x';
        _exit(write(fds[1], &verdict, 1) == 1 ? 0 : 1);
    }
    close(fds[1]);
    char verdict = 0;
    if (pid < 0 || read(fds[0], &verdict, 1) != 1)
        verdict = 0;
    close(fds[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return verdict == 'k' ? 0 : 1;
}

#define CHILD_CHECK(x)                                                                   \
    do {                                                                                 \
        if (!(x)) {                                                                      \
            fprintf(stderr, "child: line %d: %s\n", __LINE__, #x);                       \
            bad = 1;                                                                     \
            goto out;                                                                    \
        }                                                                                \
    } while (0)

/* ---- tables ----------------------------------------------------------------------------- */

static void test_put_get_del_roundtrip_in_every_table(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = open_at(d.path, 0, 0);
    st_txn *t;
    char key[16], val[32];
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    for (int tb = 0; tb < ST_TABLE_COUNT; tb++) {
        snprintf(key, sizeof key, "key%d", tb);
        snprintf(val, sizeof val, "value of table %d", tb);
        CU_ASSERT_EQUAL(put_str(t, tb, key, val), BPMN_OK);
    }
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);

    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    for (int tb = 0; tb < ST_TABLE_COUNT; tb++) {
        snprintf(key, sizeof key, "key%d", tb);
        snprintf(val, sizeof val, "value of table %d", tb);
        CU_ASSERT_EQUAL(get_str(t, tb, key, val), BPMN_OK);
        /* tables are separate: the next table does not hold this key */
        CU_ASSERT_EQUAL(get_str(t, (tb + 1) % ST_TABLE_COUNT, key, val), BPMN_ENOTFOUND);
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
        CU_ASSERT_EQUAL(get_str(t, tb, key, ""), BPMN_ENOTFOUND);
    }
    st_abort(t);
    st_close(s);
    tmp_remove(&d);
}

static void test_put_overwrites_the_previous_value(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = open_at(d.path, 0, 0);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(put_str(t, ST_TASKS, "k", "first"), BPMN_OK);
    CU_ASSERT_EQUAL(put_str(t, ST_TASKS, "k", "second, longer"), BPMN_OK);
    CU_ASSERT_EQUAL(get_str(t, ST_TASKS, "k", "second, longer"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    st_close(s);
    tmp_remove(&d);
}

static void test_new_store_records_schema_version_1(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = open_at(d.path, 0, 0);
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
    st_store *s = open_at(d.path, 0, 0);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    CU_ASSERT_EQUAL(put_str(t, ST_JOBS, "k", "v"), BPMN_EINVAL);
    CU_ASSERT_EQUAL(st_del(t, ST_JOBS, "k", 1), BPMN_EINVAL);
    CU_ASSERT_EQUAL(put_str(t, ST_TABLE_COUNT, "k", "v"), BPMN_EINVAL);
    st_abort(t);
    st_close(s);
    tmp_remove(&d);
}

/* ---- transactions ----------------------------------------------------------------------- */

static void test_abort_leaves_nothing(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = open_at(d.path, 0, 0);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    for (int tb = 0; tb < ST_TABLE_COUNT; tb++)
        CU_ASSERT_EQUAL(put_str(t, tb, "gone", "soon"), BPMN_OK);
    st_abort(t);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    for (int tb = 0; tb < ST_TABLE_COUNT; tb++)
        CU_ASSERT_EQUAL(get_str(t, tb, "gone", "soon"), BPMN_ENOTFOUND);
    st_abort(t);
    st_close(s);
    tmp_remove(&d);
}

static int put_then_fail(st_txn *t, void *ud)
{
    (void)ud;
    int rc = put_str(t, ST_INSTANCES, "half", "done");
    return rc != BPMN_OK ? rc : BPMN_EINVALID;
}

static void test_run_returns_the_failure_of_fn_and_stores_nothing(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = open_at(d.path, 0, 0);
    CU_ASSERT_EQUAL(st_run(s, put_then_fail, NULL), BPMN_EINVALID);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    CU_ASSERT_EQUAL(get_str(t, ST_INSTANCES, "half", "done"), BPMN_ENOTFOUND);
    st_abort(t);
    st_close(s);
    tmp_remove(&d);
}

static void test_data_survives_close_and_reopen(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = open_at(d.path, 0, 0);
    filler f = {1, 100, 100, 0};
    CU_ASSERT_EQUAL(st_run(s, fill, &f), BPMN_OK);
    st_close(s);
    s = open_at(d.path, 0, 0);
    CU_ASSERT_EQUAL(count_filled(s, 1, 100, 100), 100);
    st_close(s);
    tmp_remove(&d);
}

static void test_second_write_transaction_in_one_thread_is_refused_not_deadlocked(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = open_at(d.path, 0, 0);
    st_txn *t, *t2 = (st_txn *)&d;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(st_begin(s, 1, &t2), BPMN_EINVAL);
    CU_ASSERT_PTR_NULL(t2);
    CU_ASSERT_PTR_NOT_NULL(strstr(st_errmsg(s), "already holds the write transaction"));
    CU_ASSERT_EQUAL(put_str(t, ST_SUBS, "k", "v"), BPMN_OK);
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
    st_store *s = open_at(d.path, 0, 0);
    st_txn *t, *r;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(put_str(t, ST_INSTANCES, "k", "old"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &r), BPMN_OK);
    for (int i = 0; i < 20; i++) { /* enough commits for LMDB to reuse pages if it could */
        CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
        CU_ASSERT_EQUAL(put_str(t, ST_INSTANCES, "k", "new"), BPMN_OK);
        CU_ASSERT_EQUAL(put_str(t, ST_INSTANCES, "extra", "x"), BPMN_OK);
        CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    }
    CU_ASSERT_EQUAL(get_str(r, ST_INSTANCES, "k", "old"), BPMN_OK);
    CU_ASSERT_EQUAL(get_str(r, ST_INSTANCES, "extra", "x"), BPMN_ENOTFOUND);
    st_abort(r);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &r), BPMN_OK);
    CU_ASSERT_EQUAL(get_str(r, ST_INSTANCES, "k", "new"), BPMN_OK);
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
    st_store *s = open_at(d.path, 0, 0);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(put_str(t, ST_TASKS, "k", "v"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    st_txn *r[2] = {NULL, (st_txn *)s};
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, begin_reader, r), 0);
    pthread_join(th, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r[0]);
    CU_ASSERT_EQUAL(get_str(r[0], ST_TASKS, "k", "v"), BPMN_OK);
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
    CHILD_CHECK(get_str(t, ST_DEFS, "a", "from the parent") == BPMN_OK);
    CHILD_CHECK(put_str(t, ST_DEFS, "b", "from the child") == BPMN_OK);
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
    st_store *s = open_at(d.path, 0, 0);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(put_str(t, ST_DEFS, "a", "from the parent"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL(in_child(child_reads_a_and_writes_b, d.path), 0);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &t), BPMN_OK);
    CU_ASSERT_EQUAL(get_str(t, ST_DEFS, "b", "from the child"), BPMN_OK);
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
        CHILD_CHECK(put_str(t, ST_TIMERS, "k", "new") == BPMN_OK);
        CHILD_CHECK(put_str(t, ST_TIMERS, "extra", "x") == BPMN_OK);
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
    st_store *s = open_at(d.path, 0, 0);
    st_txn *t, *r;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(put_str(t, ST_TIMERS, "k", "old"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &r), BPMN_OK);
    CU_ASSERT_EQUAL(in_child(child_overwrites_k, d.path), 0);
    CU_ASSERT_EQUAL(get_str(r, ST_TIMERS, "k", "old"), BPMN_OK);
    CU_ASSERT_EQUAL(get_str(r, ST_TIMERS, "extra", "x"), BPMN_ENOTFOUND);
    st_abort(r);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &r), BPMN_OK);
    CU_ASSERT_EQUAL(get_str(r, ST_TIMERS, "k", "new"), BPMN_OK);
    CU_ASSERT_EQUAL(get_str(r, ST_TIMERS, "extra", "x"), BPMN_OK);
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
    open_refused(d.path, BPMN_EIO, "store.db: not a bpmnrt store (");
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
    st_store *s = open_at(d.path, 0, 0);
    filler f = {1, 300, 1000, 0};
    CU_ASSERT_EQUAL(st_run(s, fill, &f), BPMN_OK);
    st_close(s);
    size_t n = 0;
    char *whole = tu_read_file(d.path, &n);
    CU_ASSERT_FATAL(whole && n > 64 * KIB);
    char copy[128];
    snprintf(copy, sizeof copy, "%s/copy.db", d.dir);
    /* cut among the data pages: the header is intact but promises more pages */
    write_all(copy, whole, n / 2);
    open_refused(copy, BPMN_EIO, "not a bpmnrt store (truncated: ");
    /* cut inside the second meta page */
    unlink(copy);
    write_all(copy, whole, 4100);
    open_refused(copy, BPMN_EIO, "not a bpmnrt store (");
    free(whole);
    /* the original is fine */
    s = open_at(d.path, 0, 0);
    CU_ASSERT_EQUAL(count_filled(s, 1, 300, 1000), 300);
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
    st_store *s = open_at(d.path, 0, 0);
    CU_ASSERT_EQUAL(st_run(s, put_schema_2, NULL), BPMN_OK);
    st_close(s);
    open_refused(d.path, BPMN_EIO, "store.db: schema version 2, this bpmnrt reads 1");
    open_refused(d.path, BPMN_EIO, "schema version 2"); /* and still, nothing was rewritten */
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
    open_refused(d.path, BPMN_EIO, "not a bpmnrt store (an LMDB file without bpmnrt's tables)");
    tmp_remove(&d);
}

static void test_empty_file_becomes_a_new_store(void)
{
    tmp d;
    tmp_make(&d);
    write_all(d.path, "", 0); /* as mktemp leaves it: nothing in it to lose */
    st_store *s = open_at(d.path, 0, 0);
    filler f = {1, 3, 10, 0};
    CU_ASSERT_EQUAL(st_run(s, fill, &f), BPMN_OK);
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
    st_store *s = open_at(d.path, 0, 0);
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
    st_store *s = open_at(d.path, 0, 0);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    const char *keys[] = {"b", "ab", "a", "a\x01", "a\xff"};
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(put_str(t, ST_INDEX, keys[i], "-"), BPMN_OK);
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
    st_store *s = open_at(d.path, 0, 0);
    filler f = {1, 200, 50, 0};
    CU_ASSERT_EQUAL(st_run(s, fill, &f), BPMN_OK);
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
    st_store *s = open_at(d.path, 0, 0);
    st_txn *t;
    st_cursor *c1, *c2;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(put_str(t, ST_JOBS, "k", "v"), BPMN_OK);
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
    st_store *s = open_at(d.path, 0, 0);
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

/* ---- the map ---------------------------------------------------------------------------- */

static void test_full_map_grows_inside_run_and_keeps_all_data(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = open_at(d.path, 64 * KIB, 64 * MIB);
    CU_ASSERT_EQUAL(st_map_size(s), 64 * KIB);
    int runs = 40, calls = 0;
    for (int i = 0; i < runs; i++) {
        filler f = {1 + (uint64_t)i * 25, 25, 1000, 0};
        CU_ASSERT_EQUAL(st_run(s, fill, &f), BPMN_OK);
        CU_ASSERT(f.calls == 1 || f.calls == 2);
        calls += f.calls;
    }
    CU_ASSERT(calls > runs); /* some runs did fill the map and ran again */
    size_t grown = st_map_size(s);
    CU_ASSERT(grown >= MIB);
    CU_ASSERT_EQUAL(count_filled(s, 1, 1000, 1000), 1000);
    st_close(s);
    /* the file remembers its map size: reopening small does not start over */
    s = open_at(d.path, 64 * KIB, 64 * MIB);
    CU_ASSERT_EQUAL(st_map_size(s), grown);
    CU_ASSERT_EQUAL(count_filled(s, 1, 1000, 1000), 1000);
    st_close(s);
    tmp_remove(&d);
}

static void test_run_retries_a_full_transaction_only_once(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = open_at(d.path, 64 * KIB, 64 * MIB);
    filler big = {1, 300, 1000, 0}; /* ~300 KiB: more than twice the map */
    CU_ASSERT_EQUAL(st_run(s, fill, &big), ST_EMAPFULL);
    CU_ASSERT_EQUAL(big.calls, 2);
    CU_ASSERT_EQUAL(st_map_size(s), 128 * KIB);
    CU_ASSERT_PTR_NOT_NULL(strstr(st_errmsg(s), "even after growing it to"));
    CU_ASSERT_EQUAL(count_filled(s, 1, 300, 1000), 0);
    filler small = {1, 20, 1000, 0};
    CU_ASSERT_EQUAL(st_run(s, fill, &small), BPMN_OK);
    CU_ASSERT_EQUAL(count_filled(s, 1, 20, 1000), 20);
    st_close(s);
    tmp_remove(&d);
}

static void test_map_at_its_limit_fails_cleanly_keeping_earlier_data(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = open_at(d.path, 64 * KIB, 256 * KIB);
    uint64_t done = 0;
    int rc = BPMN_OK;
    for (int i = 0; i < 100 && rc == BPMN_OK; i++) {
        filler f = {1 + done, 25, 1000, 0};
        rc = st_run(s, fill, &f);
        if (rc == BPMN_OK)
            done += 25;
    }
    CU_ASSERT_EQUAL(rc, ST_EMAPFULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(st_errmsg(s), "reached the limit of 262144 bytes (map_max)"));
    CU_ASSERT_EQUAL(st_map_size(s), 256 * KIB);
    CU_ASSERT(done >= 100);
    CU_ASSERT_EQUAL(count_filled(s, 1, done, 1000), done);
    CU_ASSERT_EQUAL(count_filled(s, 1 + done, 25, 1000), 0);
    /* small writes that still fit go on working */
    filler tiny = {1000000, 1, 10, 0};
    CU_ASSERT_EQUAL(st_run(s, fill, &tiny), BPMN_OK);
    st_close(s);
    s = open_at(d.path, 64 * KIB, 256 * KIB);
    CU_ASSERT_EQUAL(count_filled(s, 1, done, 1000), done);
    st_close(s);
    tmp_remove(&d);
}

static void test_map_cannot_grow_under_a_reader_of_the_same_thread(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = open_at(d.path, 64 * KIB, 64 * MIB);
    st_txn *r;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &r), BPMN_OK);
    filler f = {1, 40, 1000, 0};
    CU_ASSERT_EQUAL(st_run(s, fill, &f), BPMN_EIO); /* instead of waiting for itself */
    CU_ASSERT_PTR_NOT_NULL(strstr(st_errmsg(s), "holds a read transaction"));
    st_abort(r);
    f.calls = 0;
    CU_ASSERT_EQUAL(st_run(s, fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(f.calls, 2);
    CU_ASSERT_EQUAL(count_filled(s, 1, 40, 1000), 40);
    st_close(s);
    tmp_remove(&d);
}

typedef struct slow_reader {
    st_store *s;
    int fds[2];
    int ok;
} slow_reader;

static void *hold_a_reader(void *ud)
{
    slow_reader *sr = ud;
    st_txn *r;
    sr->ok = st_begin(sr->s, 0, &r) == BPMN_OK;
    if (write(sr->fds[1], "x", 1) != 1)
        sr->ok = 0;
    if (sr->ok) {
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        sr->ok = get_str(r, ST_SUBS, "before", "growth") == BPMN_OK;
        st_abort(r);
    }
    return NULL;
}

static void test_map_grows_once_readers_of_other_threads_have_ended(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = open_at(d.path, 64 * KIB, 64 * MIB);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(put_str(t, ST_SUBS, "before", "growth"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    slow_reader sr = {s, {-1, -1}, 0};
    CU_ASSERT_EQUAL_FATAL(pipe(sr.fds), 0);
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, hold_a_reader, &sr), 0);
    char c;
    CU_ASSERT_EQUAL(read(sr.fds[0], &c, 1), 1); /* the reader is open */
    filler f = {1, 40, 1000, 0};
    CU_ASSERT_EQUAL(st_run(s, fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(f.calls, 2);
    pthread_join(th, NULL);
    CU_ASSERT(sr.ok);
    CU_ASSERT_EQUAL(count_filled(s, 1, 40, 1000), 40);
    close(sr.fds[0]);
    close(sr.fds[1]);
    st_close(s);
    tmp_remove(&d);
}

typedef struct worker {
    st_store *s;
    uint64_t first;
    int ok;
} worker;

/* Writes 50 batches of its own keys, reading back the previous batch between writes. */
static void *write_and_read(void *ud)
{
    worker *w = ud;
    w->ok = 1;
    for (uint64_t i = 0; i < 50 && w->ok; i++) {
        filler f = {w->first + i * 10, 10, 1000, 0};
        int rc = st_run(w->s, fill, &f);
        if (rc != BPMN_OK) {
            fprintf(stderr, "worker: %d %s\n", rc, st_errmsg(w->s));
            w->ok = 0;
        }
        st_txn *r;
        const void *v;
        size_t vl;
        uint8_t k[8];
        st_be64(k, f.first);
        if (st_begin(w->s, 0, &r) != BPMN_OK)
            w->ok = 0;
        else if (st_get(r, ST_HISTORY, k, 8, &v, &vl) != BPMN_OK || vl != 1000)
            w->ok = 0;
        st_abort(r);
    }
    return NULL;
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
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, write_and_read, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT(w[i].ok);
    }
    CU_ASSERT(st_map_size(s) >= 2 * MIB);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(count_filled(s, w[i].first, 500, 1000), 500);
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
        CHILD_CHECK(st_run(s, fill, &f) == BPMN_OK);
    }
out:
    st_close(s);
    return bad;
}

static void test_map_grown_by_another_process_is_adopted(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = open_at(d.path, 64 * KIB, 64 * MIB);
    filler f = {1, 1, 1000, 0}; /* and a reader left in the cache, to be renewed */
    CU_ASSERT_EQUAL(st_run(s, fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(count_filled(s, 1, 1, 1000), 1);
    CU_ASSERT_EQUAL(in_child(child_grows_the_map, d.path), 0);
    CU_ASSERT_EQUAL(count_filled(s, 1, 2000, 1000), 2000);
    CU_ASSERT_EQUAL(st_map_size(s), 8 * MIB);
    f = (filler){5000, 10, 1000, 0};
    CU_ASSERT_EQUAL(st_run(s, fill, &f), BPMN_OK);
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
        CHILD_CHECK(st_run(s, fill, &f) == BPMN_OK);
    }
out:
    st_close(s);
    return bad;
}

static void test_writer_adopts_a_map_grown_by_another_process(void)
{
    tmp d;
    tmp_make(&d);
    st_store *s = open_at(d.path, 64 * KIB, 64 * MIB);
    CU_ASSERT_EQUAL(in_child(child_grows_more, d.path), 0);
    filler f = {1, 10, 1000, 0};
    CU_ASSERT_EQUAL(st_run(s, fill, &f), BPMN_OK); /* the first begin meets the grown map */
    CU_ASSERT_EQUAL(st_map_size(s), 16 * MIB);
    CU_ASSERT_EQUAL(count_filled(s, 10000, 4000, 1000), 4000);
    st_close(s);
    tmp_remove(&d);
}

/* ---- handles in one process ------------------------------------------------------------ */

static void test_two_handles_in_one_process_see_each_others_commits(void)
{
    tmp d;
    tmp_make(&d);
    char other[128]; /* another spelling of the same file */
    snprintf(other, sizeof other, "%s/./store.db", d.dir);
    st_store *a = open_at(d.path, 0, 0), *b = open_at(other, 0, 0);
    st_txn *t, *r;
    CU_ASSERT_EQUAL_FATAL(st_begin(a, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(put_str(t, ST_DEFS, "a", "from a"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_begin(b, 0, &r), BPMN_OK);
    CU_ASSERT_EQUAL(get_str(r, ST_DEFS, "a", "from a"), BPMN_OK);
    /* b writes while its reader is open: a sees it, the reader keeps its snapshot */
    CU_ASSERT_EQUAL_FATAL(st_begin(b, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(put_str(t, ST_DEFS, "b", "from b"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL(get_str(r, ST_DEFS, "b", "from b"), BPMN_ENOTFOUND);
    st_abort(r);
    CU_ASSERT_EQUAL_FATAL(st_begin(a, 0, &r), BPMN_OK);
    CU_ASSERT_EQUAL(get_str(r, ST_DEFS, "b", "from b"), BPMN_OK);
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
    st_store *a = open_at(d.path, 0, 0), *b = open_at(d.path, 0, 0);
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
    write_and_read(&w);
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
    st_store *s = open_at(d.path, 64 * KIB, 64 * MIB);
    CU_ASSERT(st_map_size(s) >= 2 * MIB); /* grown through all four handles */
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(count_filled(s, h[i].first, 500, 1000), 500);
    st_close(s);
    tmp_remove(&d);
}

static void test_closing_one_handle_leaves_the_other_working(void)
{
    tmp d;
    tmp_make(&d);
    st_store *a = open_at(d.path, 0, 0), *b = open_at(d.path, 0, 0);
    st_txn *t, *r;
    CU_ASSERT_EQUAL_FATAL(st_begin(a, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(put_str(t, ST_JOBS, "k", "old"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_begin(b, 0, &r), BPMN_OK);
    st_close(a); /* the handle that opened the environment */
    CU_ASSERT_EQUAL(get_str(r, ST_JOBS, "k", "old"), BPMN_OK);
    for (int i = 0; i < 20; i++) {
        CU_ASSERT_EQUAL_FATAL(st_begin(b, 1, &t), BPMN_OK);
        CU_ASSERT_EQUAL(put_str(t, ST_JOBS, "k", "new"), BPMN_OK);
        CU_ASSERT_EQUAL(put_str(t, ST_JOBS, "extra", "x"), BPMN_OK);
        CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    }
    CU_ASSERT_EQUAL(get_str(r, ST_JOBS, "k", "old"), BPMN_OK); /* still its snapshot */
    CU_ASSERT_EQUAL(get_str(r, ST_JOBS, "extra", "x"), BPMN_ENOTFOUND);
    st_abort(r);
    /* a new handle joins the environment b keeps open; then b goes and it carries on */
    a = open_at(d.path, 0, 0);
    CU_ASSERT_EQUAL_FATAL(st_begin(a, 0, &r), BPMN_OK);
    CU_ASSERT_EQUAL(get_str(r, ST_JOBS, "k", "new"), BPMN_OK);
    st_abort(r);
    st_close(b);
    filler f = {1, 20, 100, 0};
    CU_ASSERT_EQUAL(st_run(a, fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(count_filled(a, 1, 20, 100), 20);
    st_close(a);
    tmp_remove(&d);
}

static void test_map_grows_through_one_handle_while_another_is_open(void)
{
    tmp d;
    tmp_make(&d);
    st_store *a = open_at(d.path, 64 * KIB, 64 * MIB), *b = open_at(d.path, 64 * KIB, 64 * MIB);
    filler f = {1, 40, 1000, 0};
    CU_ASSERT_EQUAL(st_run(a, fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(f.calls, 2);
    CU_ASSERT_EQUAL(st_map_size(a), 128 * KIB);
    CU_ASSERT_EQUAL(st_map_size(b), 128 * KIB); /* one map */
    CU_ASSERT_EQUAL(count_filled(b, 1, 40, 1000), 40);
    filler g = {1000, 60, 1000, 0}; /* and through the other */
    CU_ASSERT_EQUAL(st_run(b, fill, &g), BPMN_OK);
    CU_ASSERT_EQUAL(g.calls, 2);
    CU_ASSERT_EQUAL(st_map_size(a), 256 * KIB);
    CU_ASSERT_EQUAL(count_filled(a, 1000, 60, 1000), 60);
    CU_ASSERT_EQUAL(count_filled(a, 1, 40, 1000), 40);
    st_close(a);
    st_close(b);
    tmp_remove(&d);
}

static void test_map_grows_once_a_reader_of_another_handle_has_ended(void)
{
    tmp d;
    tmp_make(&d);
    st_store *a = open_at(d.path, 64 * KIB, 64 * MIB), *b = open_at(d.path, 64 * KIB, 64 * MIB);
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(a, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(put_str(t, ST_SUBS, "before", "growth"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    slow_reader sr = {b, {-1, -1}, 0};
    CU_ASSERT_EQUAL_FATAL(pipe(sr.fds), 0);
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, hold_a_reader, &sr), 0);
    char c;
    CU_ASSERT_EQUAL(read(sr.fds[0], &c, 1), 1); /* b's reader is open */
    filler f = {1, 40, 1000, 0};
    CU_ASSERT_EQUAL(st_run(a, fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(f.calls, 2);
    pthread_join(th, NULL);
    CU_ASSERT(sr.ok); /* the reader ended on the old map, unharmed */
    CU_ASSERT_EQUAL(count_filled(b, 1, 40, 1000), 40);
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
    st_store *a = open_at(d.path, 64 * KIB, 64 * MIB), *b = open_at(d.path, 64 * KIB, 64 * MIB);
    st_txn *r;
    CU_ASSERT_EQUAL_FATAL(st_begin(b, 0, &r), BPMN_OK);
    filler f = {1, 40, 1000, 0};
    CU_ASSERT_EQUAL(st_run(a, fill, &f), BPMN_EIO); /* instead of waiting for itself */
    CU_ASSERT_PTR_NOT_NULL(strstr(st_errmsg(a), "holds a read transaction"));
    st_abort(r);
    f.calls = 0;
    CU_ASSERT_EQUAL(st_run(a, fill, &f), BPMN_OK);
    CU_ASSERT_EQUAL(count_filled(b, 1, 40, 1000), 40);
    st_close(a);
    st_close(b);
    tmp_remove(&d);
}

static void test_largest_map_max_of_the_handles_applies(void)
{
    tmp d;
    tmp_make(&d);
    st_store *a = open_at(d.path, 64 * KIB, 256 * KIB), *b = open_at(d.path, 64 * KIB, MIB);
    for (uint64_t i = 0; i < 20; i++) { /* ~500 KiB through a, past its own map_max */
        filler f = {1 + i * 25, 25, 1000, 0};
        CU_ASSERT_EQUAL(st_run(a, fill, &f), BPMN_OK);
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
        CHILD_CHECK(get_str(t, ST_TIMERS, "k", i ? "new" : "old") == BPMN_OK);
        CHILD_CHECK(put_str(t, ST_TIMERS, "k", "new") == BPMN_OK);
        CHILD_CHECK(put_str(t, ST_TIMERS, "extra", "x") == BPMN_OK);
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
    st_store *s = open_at(d.path, 0, 0);
    st_txn *t, *r;
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 1, &t), BPMN_OK);
    CU_ASSERT_EQUAL(put_str(t, ST_TIMERS, "k", "old"), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &r), BPMN_OK);
    parents_store = s;
    parents_reader = r;
    CU_ASSERT_EQUAL(in_child(child_opens_the_path_its_parent_has_open, d.path), 0);
    /* the child's abort of the inherited reader left its slot to the parent: 20 commits later
     * the snapshot's pages are still its own */
    CU_ASSERT_EQUAL(get_str(r, ST_TIMERS, "k", "old"), BPMN_OK);
    CU_ASSERT_EQUAL(get_str(r, ST_TIMERS, "extra", "x"), BPMN_ENOTFOUND);
    st_abort(r);
    CU_ASSERT_EQUAL_FATAL(st_begin(s, 0, &r), BPMN_OK);
    CU_ASSERT_EQUAL(get_str(r, ST_TIMERS, "k", "new"), BPMN_OK);
    st_abort(r);
    /* the parent's handle writes on, and another one in the parent joins it */
    filler f = {1, 20, 100, 0};
    CU_ASSERT_EQUAL(st_run(s, fill, &f), BPMN_OK);
    st_store *s2 = open_at(d.path, 0, 0);
    CU_ASSERT_EQUAL(count_filled(s2, 1, 20, 100), 20);
    st_close(s2);
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
    return tu_run("store", cases);
}
