/*
 * test_faults_store.c - the store at its limits and files that are not stores: a map too small
 * for the data grows, a full map refuses writes cleanly and keeps reads, and damaged files, files
 * that are not stores and stores of another schema version are refused and left untouched. An
 * empty file becomes a new store.
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

/* ---- a small map ------------------------------------------------------------------------- */

static int count_items(env *v, const char *process)
{
    char *out = NULL;
    if (bpmn_instance_list(v->e, process, NULL, &out) != BPMN_OK)
        return -1;
    cJSON *j = cJSON_Parse(out);
    int n = cJSON_GetArraySize(j);
    cJSON_Delete(j);
    bpmn_free(v->e, out);
    return n;
}

static int start_one(env *v, int i)
{
    char vars[96], *out = NULL;
    snprintf(vars, sizeof vars, "{\"orderId\":\"O%d\",\"pad\":\"%0*d\"}", i, 40, i);
    int rc = bpmn_instance_start(v->e, "order", 0, vars, NULL, &out);
    bpmn_free(v->e, out);
    return rc;
}

static int reopen(env *v, size_t map_size, size_t map_max)
{
    bpmn_engine_close(v->e);
    v->e = NULL;
    bpmn_engine_options o = {0};
    o.path = v->path;
    o.nosync = 1;
    o.clock = env_clock;
    o.clock_ud = &v->now;
    o.allocator = &ALLOC;
    o.map_size = map_size;
    o.map_max = map_max;
    char err[256];
    return bpmn_engine_open(&o, &v->e, err, sizeof err);
}

/* A 64 KiB map grows (several times) as instances come, keeping all of them. */
static void test_small_map_grows_as_instances_come(void)
{
    env v;
    env_open(&v, 64u << 10, 16u << 20);
    CU_ASSERT_EQUAL(st_map_size(v.e->st), 64u << 10);
    fu_deploy(&v, DOC1);
    for (int i = 0; i < 300; i++)
        CU_ASSERT_EQUAL_FATAL(start_one(&v, i), BPMN_OK);
    CU_ASSERT(st_map_size(v.e->st) >= (256u << 10));
    CU_ASSERT_EQUAL(count_items(&v, "order"), 300);
    CU_ASSERT_EQUAL_FATAL(reopen(&v, 64u << 10, 16u << 20), BPMN_OK);
    CU_ASSERT_EQUAL(count_items(&v, "order"), 300);
    CU_ASSERT_EQUAL(start_one(&v, 300), BPMN_OK);
    CU_ASSERT_EQUAL(count_items(&v, "order"), 301);
    env_close(&v);
}

/* A map that may not grow past 192 KiB fills: the write that does not fit fails with
 * BPMN_EFULL, says why, and changes nothing; reads go on; the store reopens, and with a larger
 * limit takes writes again. */
static void test_full_map_refuses_writes_cleanly_and_keeps_reads(void)
{
    env v;
    env_open(&v, 64u << 10, 192u << 10);
    fu_deploy(&v, DOC1);
    int started = 0, rc = BPMN_OK;
    uint64_t before = 0;
    while (started < 5000) {
        before = fu_digest(&v);
        if ((rc = start_one(&v, started)) != BPMN_OK)
            break;
        started++;
    }
    CU_ASSERT_EQUAL(rc, BPMN_EFULL);
    CU_ASSERT(started > 10);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(v.e), "size limit"));
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(v.e), v.path));
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(v.e), "196608 bytes (map_max)"));
    CU_ASSERT(fu_digest(&v) == before);
    CU_ASSERT_EQUAL(st_map_size(v.e->st), 192u << 10);
    /* reads work; other writes fail the same way and change nothing */
    CU_ASSERT_EQUAL(count_items(&v, "order"), started);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_history(v.e, NULL, &out), BPMN_OK);
    CU_ASSERT(out && strlen(out) > 100);
    bpmn_free(v.e, out);
    out = NULL;
    CU_ASSERT_EQUAL(start_one(&v, started), BPMN_EFULL);
    CU_ASSERT(fu_digest(&v) == before);
    /* in a batch too */
    CU_ASSERT_EQUAL(bpmn_batch_begin(v.e), BPMN_OK);
    int brc = BPMN_OK;
    for (int i = 0; i < 50 && brc == BPMN_OK; i++)
        brc = start_one(&v, 10000 + i);
    if (brc == BPMN_OK)
        brc = bpmn_batch_commit(v.e);
    CU_ASSERT_EQUAL(brc, BPMN_EFULL);
    CU_ASSERT(fu_digest(&v) == before);
    CU_ASSERT_EQUAL(count_items(&v, "order"), started);
    /* reopened with the same limit: all there, still full */
    CU_ASSERT_EQUAL_FATAL(reopen(&v, 64u << 10, 192u << 10), BPMN_OK);
    CU_ASSERT_EQUAL(count_items(&v, "order"), started);
    CU_ASSERT(fu_digest(&v) == before);
    CU_ASSERT_EQUAL(start_one(&v, started), BPMN_EFULL);
    /* with room to grow, writes go on */
    CU_ASSERT_EQUAL_FATAL(reopen(&v, 64u << 10, 4u << 20), BPMN_OK);
    CU_ASSERT_EQUAL(start_one(&v, started), BPMN_OK);
    CU_ASSERT_EQUAL(count_items(&v, "order"), started + 1);
    env_close(&v);
}

/* ---- files that are not stores ------------------------------------------------------------ */

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* Opening path must fail with BPMN_EIO, an errbuf naming the file and containing why, and leave
 * the file byte for byte as it was, its modification time too. */
static void refused_untouched(const char *path, const char *why)
{
    struct timespec past[2] = {{1000000000, 0}, {1000000000, 0}};
    CU_ASSERT_EQUAL_FATAL(utimensat(AT_FDCWD, path, past, 0), 0);
    size_t n0 = 0;
    char *before = tu_read_file(path, &n0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(before);
    bpmn_engine_options o = {0};
    o.path = path;
    bpmn_engine *e = (bpmn_engine *)&o;
    char err[512] = "";
    int rc = bpmn_engine_open(&o, &e, err, sizeof err);
    if (rc != BPMN_EIO || !strstr(err, path) || !strstr(err, why))
        fprintf(stderr, "open %s: %d '%s' (want '%s')\n", path, rc, err, why);
    CU_ASSERT_EQUAL(rc, BPMN_EIO);
    CU_ASSERT_PTR_NULL(e);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, why));
    bpmn_engine_close(e);
    size_t n1 = 0;
    char *after = tu_read_file(path, &n1);
    CU_ASSERT(after && n1 == n0 && memcmp(after, before, n0) == 0);
    struct stat st;
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mtim.tv_sec, 1000000000);
    CU_ASSERT_EQUAL(st.st_mtim.tv_nsec, 0);
    free(before);
    free(after);
    /* the command line says the same and fails with exit code 1 */
    char *out = NULL, *cerr = NULL;
    char *args[] = {"--db", (char *)path, "instances", NULL};
    CU_ASSERT_EQUAL(tu_cli(args, &out, &cerr), 1);
    CU_ASSERT_PTR_NOT_NULL(cerr && strstr(cerr, path) ? cerr : NULL);
    free(out);
    free(cerr);
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mtim.tv_sec, 1000000000);
}

/* A real store with some data: its bytes, for copies that are damaged on purpose. */
static char *store_bytes(size_t *n)
{
    env v;
    env_open(&v, 0, 0);
    fu_deploy(&v, DOC1);
    for (int i = 0; i < 40; i++)
        start_one(&v, i);
    bpmn_engine_close(v.e);
    char *b = tu_read_file(v.path, n);
    env_remove_files(v.path);
    return b;
}

static void test_files_that_are_not_stores_are_refused_untouched(void)
{
    char path[64];
    strcpy(path, "/tmp/bpmnrt-faults-XXXXXX");
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    /* random bytes */
    size_t n = 64u << 10;
    uint8_t *junk = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(junk);
    uint64_t x = 7;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        junk[i] = (uint8_t)(x >> 56);
    }
    write_file(path, junk, n);
    refused_untouched(path, "not a bpmnrt store");
    /* a text file */
    char text[8192];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = "order 42 shipped\n"[i % 17];
    write_file(path, text, sizeof text);
    refused_untouched(path, "not a bpmnrt store");
    /* an SQLite database header */
    memset(junk, 0, 8192);
    memcpy(junk, "SQLite format 3", 16);
    junk[16] = 0x10; /* page size 4096 */
    junk[18] = junk[19] = 1;
    write_file(path, junk, 8192);
    refused_untouched(path, "not a bpmnrt store");
    free(junk);
    /* a real store cut short: in its data pages, in its second meta page, in its first */
    size_t sn = 0;
    char *whole = store_bytes(&sn);
    CU_ASSERT_FATAL(whole && sn > 16384);
    write_file(path, whole, sn / 2);
    refused_untouched(path, "truncated");
    write_file(path, whole, 4096 + 100);
    refused_untouched(path, "not a bpmnrt store");
    write_file(path, whole, 100);
    refused_untouched(path, "not a bpmnrt store");
    free(whole);
    env_remove_files(path);
}

static int put_schema(st_txn *t, void *ud)
{
    uint8_t v[8];
    st_be64(v, *(const uint64_t *)ud);
    return st_put(t, ST_META, "schema", 6, v, 8);
}

static void test_store_of_another_schema_version_is_refused_untouched(void)
{
    env v;
    env_open(&v, 0, 0);
    fu_deploy(&v, DOC1);
    start_one(&v, 1);
    uint64_t version = 7;
    CU_ASSERT_EQUAL_FATAL(st_run(v.e->st, put_schema, &version), BPMN_OK);
    bpmn_engine_close(v.e);
    v.e = NULL;
    refused_untouched(v.path, "schema version 7, this bpmnrt reads 1");
    env_remove_files(v.path);
}

/* An empty file is what mktemp leaves: it holds nothing to lose and becomes a new store (see
 * test_store). */
static void test_empty_file_becomes_a_new_store(void)
{
    env v;
    env_open(&v, 0, 0);
    bpmn_engine_close(v.e);
    v.e = NULL;
    env_remove_files(v.path);
    write_file(v.path, "", 0);
    CU_ASSERT_EQUAL_FATAL(reopen(&v, 0, 0), BPMN_OK);
    fu_deploy(&v, DOC1);
    CU_ASSERT_EQUAL(start_one(&v, 1), BPMN_OK);
    CU_ASSERT_EQUAL(count_items(&v, "order"), 1);
    env_close(&v);
}

int main(void)
{
    static const tu_case cases[] = {
        {"small map grows as instances come", test_small_map_grows_as_instances_come},
        {"full map refuses writes cleanly and keeps reads", test_full_map_refuses_writes_cleanly_and_keeps_reads},
        {"files that are not stores are refused untouched", test_files_that_are_not_stores_are_refused_untouched},
        {"store of another schema version is refused untouched", test_store_of_another_schema_version_is_refused_untouched},
        {"empty file becomes a new store", test_empty_file_becomes_a_new_store},
        {NULL, NULL},
    };
    return tu_run("faults_store", cases);
}
