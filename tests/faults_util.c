/*
 * faults_util.c - the fixtures of the fault-injection suites (see faults_util.h): the counting
 * allocator, engines on fresh stores, the order diagrams, the calls that build a state and the
 * digest that tells whether a failed call changed the store.
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

/* ---- a counting allocator that fails one chosen call ------------------------------------- */

fa FA;

/* Each block carries its size in front (16 bytes keep the alignment of malloc). */
static void *fa_alloc(void *ud, void *p, size_t n)
{
    fa *f = ud;
    size_t *h = p ? (size_t *)p - 2 : NULL;
    if (n == 0) {
        if (h) {
            f->live--;
            f->bytes -= h[0];
            free(h);
        }
        return NULL;
    }
    if (++f->calls == f->fail_at || (f->sticky && f->fail_at && f->calls > f->fail_at)) {
        f->hit = 1;
        return NULL;
    }
    size_t old = h ? h[0] : 0;
    size_t *nh = realloc(h, n + 2 * sizeof(size_t));
    if (!nh)
        return NULL;
    f->live += !h;
    f->bytes = f->bytes - old + n;
    nh[0] = n;
    return nh + 2;
}

const bpmn_allocator ALLOC = {fa_alloc, &FA};

void fa_arm(long n)
{
    FA.calls = 0;
    FA.fail_at = n;
    FA.sticky = 0;
    FA.hit = 0;
}

/* ---- an engine on a fresh store, and the diagrams ----------------------------------------- */

long long env_clock(void *ud)
{
    return *(const long long *)ud;
}

void env_remove_files(const char *path)
{
    char lock[128];
    snprintf(lock, sizeof lock, "%s-lock", path);
    unlink(path);
    unlink(lock);
}

int fu_history_level;

void env_open(env *v, size_t map_size, size_t map_max)
{
    memset(v, 0, sizeof *v);
    strcpy(v->path, "/tmp/bpmnrt-faults-XXXXXX");
    int fd = mkstemp(v->path);
    if (fd >= 0)
        close(fd);
    unlink(v->path);
    v->now = T0;
    bpmn_engine_options o = {0};
    o.path = v->path;
    o.nosync = 1;
    o.clock = env_clock;
    o.clock_ud = &v->now;
    o.allocator = &ALLOC;
    o.map_size = map_size;
    o.map_max = map_max;
    o.history_level = fu_history_level;
    char err[256] = "";
    int rc = bpmn_engine_open(&o, &v->e, err, sizeof err);
    if (rc != BPMN_OK)
        fprintf(stderr, "open %s: %s\n", v->path, err);
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
}

void env_close(env *v)
{
    bpmn_engine_close(v->e);
    env_remove_files(v->path);
    v->e = NULL;
}

/* ---- calls that must succeed while the state is built ------------------------------------ */

/* Takes the address of the answer: the call (an argument) has run when it is read. */
char *fu_must(env *v, int rc, char **out, const char *what)
{
    if (rc != BPMN_OK)
        fprintf(stderr, "%s: %s: %s\n", what, bpmn_strerror(rc), bpmn_engine_errmsg(v->e));
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    return *out;
}

/* The string member key of the first element of a JSON array (or of an object) into buf. */
void fu_member(const char *json, const char *key, char *buf, size_t cap)
{
    cJSON *j = cJSON_Parse(json);
    cJSON *o = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, 0) : j;
    cJSON *m = cJSON_GetObjectItem(o, key);
    CU_ASSERT_FATAL(cJSON_IsString(m));
    snprintf(buf, cap, "%s", m->valuestring);
    cJSON_Delete(j);
}

void fu_deploy(env *v, const char *doc)
{
    char *out = NULL;
    bpmn_free(v->e, fu_must(v, bpmn_deploy(v->e, "order.bpmn", doc, strlen(doc), &out), &out, "deploy"));
}

/* Starts an order and brings it to stage: 0 review, 1 charge (a job), 2 paid, 3 wait, 4 go,
 * 5 completed. Leaves its instance, task and job ids in v. */
void fu_order_at(env *v, const char *key, int stage)
{
    char *out = NULL, vars[64];
    snprintf(vars, sizeof vars, "{\"orderId\":\"%s\",\"region\":\"north\"}", key);
    fu_must(v, bpmn_instance_start(v->e, "order", 0, vars, key, &out), &out, "start");
    fu_member(out, "instance", v->inst, sizeof v->inst);
    bpmn_free(v->e, out);
    fu_must(v, bpmn_task_list(v->e, v->inst, NULL, NULL, &out), &out, "tasks");
    fu_member(out, "id", v->task, sizeof v->task);
    bpmn_free(v->e, out);
    if (stage < 1)
        return;
    bpmn_free(v->e, fu_must(v, bpmn_task_complete(v->e, v->task, "{\"approved\":true}", &out), &out,
                         "complete"));
    fu_must(v, bpmn_job_list(v->e, "charge", &out), &out, "jobs");
    cJSON *jobs = cJSON_Parse(out), *j;
    v->job[0] = '\0';
    cJSON_ArrayForEach(j, jobs)
        if (strcmp(cJSON_GetObjectItem(j, "instance")->valuestring, v->inst) == 0)
            snprintf(v->job, sizeof v->job, "%s", cJSON_GetObjectItem(j, "id")->valuestring);
    cJSON_Delete(jobs);
    bpmn_free(v->e, out);
    CU_ASSERT_FATAL(v->job[0] != '\0');
    if (stage < 2)
        return;
    bpmn_free(v->e, fu_must(v, bpmn_job_complete(v->e, v->job, "{\"receipt\":7}", &out), &out, "job"));
    if (stage < 3)
        return;
    bpmn_free(v->e, fu_must(v, bpmn_correlate(v->e, "payment", key, "{\"paid\":1}", &out), &out,
                         "correlate"));
    if (stage < 4)
        return;
    v->now += 2 * HOUR;
    bpmn_free(v->e, fu_must(v, bpmn_tick(v->e, &out), &out, "tick"));
    if (stage < 5)
        return;
    bpmn_free(v->e, fu_must(v, bpmn_signal(v->e, "go", NULL, &out), &out, "signal"));
}

/* ---- a digest of every table of the store ------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

uint64_t fu_digest(env *v)
{
    st_txn *t = NULL;
    CU_ASSERT_EQUAL_FATAL(st_begin(v->e->st, 0, &t), BPMN_OK);
    uint64_t h = 14695981039346656037ULL;
    for (int tb = 0; tb < ST_TABLE_COUNT; tb++) {
        st_cursor *c = NULL;
        CU_ASSERT_EQUAL_FATAL(st_cursor_open(t, (st_table)tb, &c), BPMN_OK);
        const void *k, *val;
        size_t kl, vl;
        int rc = st_cursor_seek(c, NULL, 0, &k, &kl, &val, &vl);
        while (rc == BPMN_OK) {
            uint64_t lens[2] = {kl, vl};
            h = fnv(fnv(fnv(h, lens, sizeof lens), k, kl), val, vl);
            rc = st_cursor_next(c, &k, &kl, &val, &vl);
        }
        CU_ASSERT_EQUAL(rc, BPMN_ENOTFOUND);
        h = fnv(h, &tb, sizeof tb);
        st_cursor_close(c);
    }
    st_abort(t);
    return h;
}

