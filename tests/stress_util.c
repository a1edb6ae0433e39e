/*
 * stress_util.c - the fixtures of the stress suites (see stress_util.h): a fresh store, API
 * handles on it, and one writer doing the same rounds through the API or the bpmnrt command.
 */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test_util.h"
#include "stress_util.h"

char su_db[64];

void su_fresh_db(void)
{
    strcpy(su_db, "/tmp/bpmnrt-stress-XXXXXX");
    int fd = mkstemp(su_db);
    close(fd);
    unlink(su_db);
}

void su_remove_db(void)
{
    char lock[80];
    snprintf(lock, sizeof lock, "%s-lock", su_db);
    unlink(su_db);
    unlink(lock);
}

double su_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* API handles of this test: a small map, so that it grows while others use the store. */
bpmn_engine *su_open_api(int nosync)
{
    bpmn_engine_options o = {0};
    o.path = su_db;
    o.map_size = 128 << 10;
    o.nosync = nosync;
    bpmn_engine *e = NULL;
    char err[256] = "";
    if (bpmn_engine_open(&o, &e, err, sizeof err) != BPMN_OK) {
        fprintf(stderr, "open %s: %s\n", su_db, err);
        return NULL;
    }
    bpmn_engine_set_now(e, NOW_MS);
    return e;
}

const char *su_str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* ---- one writer: the same rounds through the API or the bpmnrt command ------------------- */

/* One operation. Returns 0 with the parsed result, 1 when refused because the thing it acts on
 * is gone or not waiting (another writer won), -1 on anything else (w->err says what). */
int w_op(writer *w, cJSON **out, int (*api)(writer *, char **), const char *cmd, ...)
{
    char *json = NULL, *err = NULL;
    int rc;
    if (out)
        *out = NULL;
    if (w->e) {
        rc = api(w, &json);
        err = strdup(bpmn_engine_errmsg(w->e));
        rc = rc == BPMN_OK ? 0 : rc == BPMN_ENOTFOUND ? 1 : -1;
        char *copy = json ? strdup(json) : NULL;
        bpmn_free(w->e, json);
        json = copy;
    } else {
        char *args[24] = {"--db", su_db, "--now", (char *)(w->now ? w->now : NOW)};
        int k = 4;
        va_list ap;
        va_start(ap, cmd);
        for (const char *a = cmd; a && k < 22; a = va_arg(ap, const char *))
            args[k++] = (char *)a;
        va_end(ap);
        args[k++] = "--json";
        args[k] = NULL;
        rc = tu_cli(args, &json, &err);
        rc = rc == 0 ? 0
             : rc == 1 && (strstr(err, "does not exist or is already finished") ||
                           strstr(err, "nothing waits for message")) ? 1 : -1;
    }
    if (rc == 1 && !w->may_lose)
        rc = -1;
    w->may_lose = 0;
    if (rc == 0 && out && !(*out = cJSON_Parse(json)))
        rc = -1;
    if (rc < 0 && !w->err[0])
        snprintf(w->err, sizeof w->err, "writer %d: %s failed: %.300s", w->no, cmd,
                 err ? err : "");
    free(json);
    free(err);
    return rc;
}

static int api_start(writer *w, char **o)
{
    return bpmn_instance_start(w->e, "stress", 0, w->a2, w->a1, o);
}
static int api_tasks(writer *w, char **o)
{
    return bpmn_task_list(w->e, w->a1, NULL, NULL, o);
}
static int api_complete(writer *w, char **o)
{
    return bpmn_task_complete(w->e, w->a1, NULL, o);
}
static int api_jobs(writer *w, char **o)
{
    return bpmn_job_list(w->e, "work", o);
}
static int api_job_complete(writer *w, char **o)
{
    return bpmn_job_complete(w->e, w->a1, NULL, o);
}
static int api_correlate(writer *w, char **o)
{
    return bpmn_correlate(w->e, "go", w->a1, NULL, o);
}
static int api_set_vars(writer *w, char **o)
{
    return bpmn_instance_set_vars(w->e, w->a1, w->a3, o);
}

/* One timer at a time, so that the racers' firings interleave. */
int api_tick(writer *w, char **o)
{
    return bpmn_tick_max(w->e, 1, o);
}
int api_correlate2(writer *w, char **o)
{
    return bpmn_correlate(w->e, "go2", w->a1, NULL, o);
}

/* The id of the one open task of inst, which must sit at element; NULL otherwise. */
static char *only_task(writer *w, const char *inst, const char *element)
{
    static _Thread_local char id[32];
    cJSON *l;
    w->a1 = inst;
    if (w_op(w, &l, api_tasks, "tasks", "--instance", inst, NULL) != 0)
        return NULL;
    cJSON *t = cJSON_GetArrayItem(l, 0);
    if (cJSON_GetArraySize(l) != 1 || strcmp(su_str(t, "element"), element) != 0) {
        snprintf(w->err, sizeof w->err, "writer %d: instance %s should wait at %s alone", w->no,
                 inst, element);
        cJSON_Delete(l);
        return NULL;
    }
    snprintf(id, sizeof id, "%s", su_str(t, "id"));
    cJSON_Delete(l);
    return id;
}

/* Completes the first open task of the pool: 1 when there was one (won or lost), 0 when the
 * pool is empty, -1 on failure. */
static int pool_round(writer *w, FILE *log)
{
    cJSON *l;
    w->a1 = w->pool;
    if (w_op(w, &l, api_tasks, "tasks", "--instance", w->pool, NULL) != 0)
        return -1;
    char id[32];
    int n = cJSON_GetArraySize(l);
    if (n)
        snprintf(id, sizeof id, "%s", su_str(cJSON_GetArrayItem(l, 0), "id"));
    cJSON_Delete(l);
    if (!n)
        return 0;
    w->a1 = id;
    w->may_lose = 1;
    int rc = w_op(w, NULL, api_complete, "complete", id, NULL);
    if (rc < 0)
        return -1;
    fprintf(log, "%c %s\n", rc == 0 ? 'P' : 'R', id);
    return 1;
}

/* Every third API round starts in a batch with its shared variable: both or neither. A batch
 * that outgrew the map is aborted and the map grown: it runs again then, as a user would. */
static int batch_round(writer *w, const char *key, const char *vars, const char *shared_vars,
                       char *inst)
{
    for (int tries = 0;; tries++) {
        char *out = NULL, *o2 = NULL;
        int rc = bpmn_batch_begin(w->e);
        if (rc == BPMN_OK)
            rc = bpmn_instance_start(w->e, "stress", 0, vars, key, &out);
        if (rc == BPMN_OK)
            rc = bpmn_instance_set_vars(w->e, w->shared, shared_vars, &o2);
        if (rc == BPMN_OK)
            rc = bpmn_batch_commit(w->e);
        bpmn_batch_abort(w->e); /* a no-op unless something else failed */
        if (rc == BPMN_OK) {
            cJSON *j = cJSON_Parse(out);
            snprintf(inst, 32, "%s", su_str(j, "instance"));
            cJSON_Delete(j);
        }
        bpmn_free(w->e, out);
        bpmn_free(w->e, o2);
        if (rc == BPMN_OK)
            return 0;
        if (rc != BPMN_EFULL || tries == 3) {
            snprintf(w->err, sizeof w->err, "writer %d: batch: %d %s", w->no, rc,
                     bpmn_engine_errmsg(w->e));
            return -1;
        }
    }
}

static int round_(writer *w, FILE *log, int k)
{
    char key[32], vars[64], sv[64], inst[32], *t;
    snprintf(key, sizeof key, "w%d-%d", w->no, k);
    snprintf(vars, sizeof vars, "{\"k\":\"%s\"}", key);
    snprintf(sv, sizeof sv, "{\"w%d_%d\":%d}", w->no, k, k);
    int batched = w->e && k % 3 == 2;
    cJSON *j;
    if (batched) {
        if (batch_round(w, key, vars, sv, inst) != 0)
            return -1;
    } else {
        w->a1 = key, w->a2 = vars;
        if (w_op(w, &j, api_start, "start", "stress", "--key", key, "--vars", vars, NULL) != 0)
            return -1;
        snprintf(inst, sizeof inst, "%s", su_str(j, "instance"));
        cJSON_Delete(j);
    }
    fprintf(log, "S %s %s\n", inst, key);
    if (!(t = only_task(w, inst, "a")))
        return -1;
    w->a1 = t;
    if (w_op(w, NULL, api_complete, "complete", t, NULL) != 0)
        return -1;
    fprintf(log, "C %s\n", t);
    /* Other writers' jobs are listed too; this writer's instance has exactly one. */
    if (w_op(w, &j, api_jobs, "jobs", "--type", "work", NULL) != 0)
        return -1;
    char job[32] = "";
    int mine = 0;
    cJSON *x;
    cJSON_ArrayForEach(x, j)
        if (strcmp(su_str(x, "instance"), inst) == 0 && ++mine)
            snprintf(job, sizeof job, "%s", su_str(x, "id"));
    cJSON_Delete(j);
    if (mine != 1) {
        snprintf(w->err, sizeof w->err, "writer %d: %d jobs of %s", w->no, mine, inst);
        return -1;
    }
    w->a1 = job;
    if (w_op(w, NULL, api_job_complete, "job", "complete", job, NULL) != 0)
        return -1;
    fprintf(log, "J %s\n", job);
    w->a1 = key;
    if (w_op(w, &j, api_correlate, "correlate", "go", "--key", key, NULL) != 0)
        return -1;
    int same = strcmp(su_str(j, "instance"), inst) == 0;
    cJSON_Delete(j);
    if (!same) {
        snprintf(w->err, sizeof w->err, "writer %d: message %s reached another instance", w->no,
                 key);
        return -1;
    }
    fprintf(log, "M %s\n", inst);
    if (!(t = only_task(w, inst, "b")))
        return -1;
    w->a1 = t;
    if (w_op(w, &j, api_complete, "complete", t, NULL) != 0)
        return -1;
    same = strcmp(su_str(j, "state"), "completed") == 0;
    cJSON_Delete(j);
    if (!same) {
        snprintf(w->err, sizeof w->err, "writer %d: %s did not complete", w->no, inst);
        return -1;
    }
    fprintf(log, "C %s\n", t);
    if (!batched) {
        w->a1 = w->shared, w->a3 = sv;
        if (w_op(w, NULL, api_set_vars, "set-vars", w->shared, "--vars", sv, NULL) != 0)
            return -1;
    }
    fprintf(log, "V w%d_%d %d\n", w->no, k, k);
    return pool_round(w, log) < 0 ? -1 : 0;
}

/* Runs the rounds, then helps empty the pool; every acknowledgement is flushed to the log
 * before the next operation, so a log line means the writer saw it committed. */
int run_writer(writer *w)
{
    FILE *log = fopen(w->log, "w");
    if (!log) {
        snprintf(w->err, sizeof w->err, "writer %d: cannot write %s", w->no, w->log);
        return -1;
    }
    setvbuf(log, NULL, _IOLBF, 0);
    int rc = 0;
    for (int k = 0; rc == 0 && k < w->rounds; k++)
        rc = round_(w, log, k);
    while (rc == 0 && (rc = pool_round(w, log)) == 1)
        rc = 0;
    fclose(log);
    return rc;
}

void *writer_thread(void *ud)
{
    writer *w = ud;
    if (run_writer(w) != 0 && !w->err[0])
        snprintf(w->err, sizeof w->err, "writer %d failed", w->no);
    return NULL;
}
