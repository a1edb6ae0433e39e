/*
 * engine_runs.c - engine_bench's runs of the workloads, through the public API only: open a
 * store in a fresh directory, deploy the workload, time its operations (one transaction each, or
 * K to a batch), check the outcome untimed, close. In modes A and B a bare LMDB probe takes a
 * turn of PROBE_CHUNK commits after every PROBE_CHUNK operations (its own environment, its own
 * clock). Also the storage run: N user-task instances left waiting, and what the file grew by.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "bpmnrt.h"
#include "engine_bench.h"

/* bench.js's variablesFor(i): amount cycles 30, 80, 150 so every gateway branch is used. */
static const char *const amount_vars[3] = {"{\"amount\":30}", "{\"amount\":80}",
                                           "{\"amount\":150}"};
/* What bench.js passes when it signals a waiting user task. */
static const char *const approve_vars = "{\"approved\":true}";

typedef struct session {
    bpmn_engine *e;
    int batched;
    size_t k, in_batch;
    run_result *r;
    eb_probe *probe;     /* takes a turn every PROBE_CHUNK operations; NULL: none */
    double elapsed, seg; /* the timed phase's clock, the probe's turns left out */
    double cpu_seg;      /* CPU time at the start of the current segment */
} session;

static int fail(session *s, const char *what, int rc)
{
    eb_say(s->r, "%s: %s: %s", what, bpmn_strerror(rc), s->e ? bpmn_engine_errmsg(s->e) : "");
    return rc;
}

/* Batch discipline around each operation: begin before the first of K, commit after the Kth
 * and after the last one. */
static int op_begin(session *s)
{
    if (!s->batched || s->in_batch)
        return BPMN_OK;
    int rc = bpmn_batch_begin(s->e);
    return rc ? fail(s, "bpmn_batch_begin", rc) : BPMN_OK;
}

static int op_end(session *s, int last)
{
    if (!s->batched || (++s->in_batch < s->k && !last))
        return BPMN_OK;
    s->in_batch = 0;
    int rc = bpmn_batch_commit(s->e);
    return rc ? fail(s, "bpmn_batch_commit", rc) : BPMN_OK;
}

/* The timed phases' clocks: wall time of the phase, and CPU time of all phases in r->cpu_s
 * (the probe's turns and the untimed parts left out of both). */
static void phase_begin(session *s)
{
    s->elapsed = 0;
    s->cpu_seg = eb_cpu_now();
    s->seg = eb_now();
}

static double phase_end(session *s)
{
    s->elapsed += eb_now() - s->seg;
    s->r->cpu_s += eb_cpu_now() - s->cpu_seg;
    return s->elapsed;
}

/* Called after each operation: every PROBE_CHUNK operations the probe commits as many times,
 * outside the phase's clock, so that the engine and bare LMDB meet the same disk weather. */
static int probe_turn(session *s, size_t done)
{
    if (!s->probe || done % PROBE_CHUNK)
        return BPMN_OK;
    s->elapsed += eb_now() - s->seg;
    s->r->cpu_s += eb_cpu_now() - s->cpu_seg;
    int rc = eb_probe_commit(s->probe, PROBE_CHUNK, s->r) ? BPMN_EIO : BPMN_OK;
    s->cpu_seg = eb_cpu_now();
    s->seg = eb_now();
    return rc;
}

static int open_store(const options *o, const scratch *sc, int mode, int w, session *s)
{
    bpmn_engine_options eo;
    memset(&eo, 0, sizeof eo);
    eo.path = sc->store;
    eo.map_size = o->map_mib << 20;
    eo.nometasync = mode == M_B;
    char err[512] = "";
    int rc = bpmn_engine_open(&eo, &s->e, err, sizeof err);
    if (rc) {
        eb_say(s->r, "bpmn_engine_open %s: %s: %s", sc->store, bpmn_strerror(rc), err);
        return rc;
    }
    char *json = NULL;
    rc = bpmn_deploy(s->e, o->wl[w].path, o->wl[w].xml, o->wl[w].len, &json);
    bpmn_free(s->e, json);
    return rc ? fail(s, "bpmn_deploy", rc) : BPMN_OK;
}

static const char *vars_for(const options *o, int w, size_t i)
{
    return w == W_GATEWAYS || o->vars_everywhere ? amount_vars[i % 3] : NULL;
}

/* Starts n instances; each must end up in want_state ("completed" or "active"). The caller
 * times it with phase_begin/phase_end. */
static int start_all(const options *o, session *s, int w, size_t n, const char *want_state)
{
    char want[64];
    snprintf(want, sizeof want, "\"state\":\"%s\"", want_state);
    for (size_t i = 0; i < n; i++) {
        int rc = op_begin(s);
        if (rc)
            return rc;
        char *json = NULL;
        rc = bpmn_instance_start(s->e, eb_wl_names[w], 0, vars_for(o, w, i), NULL, &json);
        if (rc)
            return fail(s, "bpmn_instance_start", rc);
        int bad = !strstr(json, want);
        if (bad)
            eb_say(s->r, "instance %zu: %s, expected state %s", i, json, want_state);
        bpmn_free(s->e, json);
        if (bad)
            return BPMN_ESTATE;
        if ((rc = op_end(s, i + 1 == n)) != 0 || (rc = probe_turn(s, i + 1)) != 0)
            return rc;
    }
    return BPMN_OK;
}

/* Number of elements in a JSON array returned by the engine; -1 when it is not one. */
static long array_len(const char *json)
{
    cJSON *a = cJSON_Parse(json);
    long n = cJSON_IsArray(a) ? (long)cJSON_GetArraySize(a) : -1;
    cJSON_Delete(a);
    return n;
}

/* Instances of the workload's process in a state, counted with bpmn_instance_list. */
static long count_instances(session *s, int w, const char *state)
{
    char *json = NULL;
    int rc = bpmn_instance_list(s->e, eb_wl_names[w], state, &json);
    long n = rc ? -1 : array_len(json);
    bpmn_free(s->e, json);
    return n;
}

/* How often an instance's history says an element completed. */
static long completions(session *s, const char *instance, const char *element)
{
    char *json = NULL;
    if (bpmn_history(s->e, instance, &json) != BPMN_OK)
        return -1;
    cJSON *a = cJSON_Parse(json);
    bpmn_free(s->e, json);
    long n = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, a)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "type");
        const cJSON *el = cJSON_GetObjectItemCaseSensitive(ev, "element");
        if (cJSON_IsString(t) && cJSON_IsString(el) &&
            strcmp(t->valuestring, "element_completed") == 0 &&
            strcmp(el->valuestring, element) == 0)
            n++;
    }
    cJSON_Delete(a);
    return a ? n : -1;
}

/* Untimed checks after a run-through workload (every start already answered "completed"):
 * nothing is left active, and the first instances (one per amount) reached the end exactly once;
 * in gateways the OR join fired once. */
static int verify_run_through(session *s, int w, size_t n)
{
    long active = count_instances(s, w, "active");
    if (active != 0) {
        eb_say(s->r, "after the run %ld instances are still active", active);
        return BPMN_ESTATE;
    }
    for (int i = 1; i <= 3 && (size_t)i <= n; i++) {
        char id[24];
        snprintf(id, sizeof id, "%d", i);
        long ends = completions(s, id, "end");
        long joins = w == W_GATEWAYS ? completions(s, id, "orJoin") : 1;
        if (ends != 1 || joins != 1) {
            eb_say(s->r, "instance %s: end completed %ld times, orJoin %ld times, expected 1", id,
                ends, joins);
            return BPMN_ESTATE;
        }
    }
    return BPMN_OK;
}

/* Task ids out of bpmn_task_list's JSON, in list order. */
static char **task_ids(const char *json, size_t *count)
{
    *count = 0;
    cJSON *a = cJSON_Parse(json);
    if (!cJSON_IsArray(a)) {
        cJSON_Delete(a);
        return NULL;
    }
    size_t n = (size_t)cJSON_GetArraySize(a);
    char **ids = calloc(n ? n : 1, sizeof *ids);
    const cJSON *t;
    size_t i = 0;
    cJSON_ArrayForEach(t, a)
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
        if (!ids || !cJSON_IsString(id) || !(ids[i] = strdup(id->valuestring)))
            break;
        i++;
    }
    cJSON_Delete(a);
    if (i != n) {
        for (size_t k = 0; ids && k < i; k++)
            free(ids[k]);
        free(ids);
        return NULL;
    }
    *count = n;
    return ids;
}

/* usertask: start phase, one list, complete phase. */
static int run_usertask(const options *o, session *s, const scratch *sc, size_t n)
{
    run_result *r = s->r;
    eb_file_size(sc->store, &r->size_before, &r->blocks_before);
    phase_begin(s);
    int rc = start_all(o, s, W_USERTASK, n, "active");
    if (rc)
        return rc;
    r->start_s = phase_end(s);
    eb_file_size(sc->store, &r->size_after, &r->blocks_after);
    eb_rss_now(r);

    char *json = NULL;
    double t0 = eb_now();
    rc = bpmn_task_list(s->e, NULL, NULL, NULL, &json);
    double t1 = eb_now();
    r->list_s = t1 - t0;
    if (rc)
        return fail(s, "bpmn_task_list", rc);
    size_t ntask = 0;
    char **ids = task_ids(json, &ntask);
    r->parse_s = eb_now() - t1;
    bpmn_free(s->e, json);
    if (!ids || ntask != n) {
        eb_say(r, "bpmn_task_list returned %zu tasks, expected %zu", ntask, n);
        free(ids);
        return BPMN_ESTATE;
    }

    phase_begin(s);
    for (size_t i = 0; i < n && rc == BPMN_OK; i++) {
        if ((rc = op_begin(s)) != 0)
            break;
        rc = bpmn_task_complete(s->e, ids[i], approve_vars, &json);
        if (rc) {
            fail(s, "bpmn_task_complete", rc);
            break;
        }
        if (!strstr(json, "\"state\":\"completed\"")) {
            eb_say(r, "task %s: %s, expected the instance completed", ids[i], json);
            rc = BPMN_ESTATE;
        }
        bpmn_free(s->e, json);
        if (rc == BPMN_OK)
            rc = op_end(s, i + 1 == n);
        if (rc == BPMN_OK)
            rc = probe_turn(s, i + 1);
    }
    r->complete_s = phase_end(s);
    r->secs = r->start_s + r->complete_s;
    eb_mark_peak(r);
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    if (rc)
        return rc;
    long active = count_instances(s, W_USERTASK, "active");
    if (active != 0) {
        eb_say(r, "after the complete phase %ld instances are still active", active);
        return BPMN_ESTATE;
    }
    return BPMN_OK;
}

/* timer: start phase (every instance waits at 'wait', due 1 ms after its start), then fire
 * phase: bpmn_tick_max fires the due timers, one transaction per firing, PROBE_CHUNK per call
 * (modes A, B), or K per batch (mode C). */
static int run_timer(const options *o, session *s, size_t n)
{
    run_result *r = s->r;
    phase_begin(s);
    int rc = start_all(o, s, W_TIMER, n, "active");
    if (rc)
        return rc;
    r->start_s = phase_end(s);
    eb_rss_now(r);
    char *json = NULL;
    rc = bpmn_instance_show(s->e, "1", &json);
    int waits = rc == BPMN_OK && strstr(json, "\"waiting\":[\"wait\"]");
    bpmn_free(s->e, json);
    if (!waits) {
        eb_say(r, "instance 1 does not wait at 'wait' after the start phase");
        return BPMN_ESTATE;
    }
    struct timespec due = {0, 5000000}; /* every timer is due by now + 1 ms */
    nanosleep(&due, NULL);

    phase_begin(s);
    size_t fired = 0;
    while (fired < n && rc == BPMN_OK) {
        size_t want = s->batched ? s->k : PROBE_CHUNK;
        if (want > n - fired)
            want = n - fired;
        if (s->batched && (rc = bpmn_batch_begin(s->e)) != BPMN_OK) {
            fail(s, "bpmn_batch_begin", rc);
            break;
        }
        if ((rc = bpmn_tick_max(s->e, (unsigned)want, &json)) != BPMN_OK) {
            fail(s, "bpmn_tick_max", rc);
            break;
        }
        const char *p = strstr(json, "\"fired\":");
        size_t got = p ? (size_t)strtoul(p + 8, NULL, 10) : 0;
        bpmn_free(s->e, json);
        if (s->batched && (rc = bpmn_batch_commit(s->e)) != BPMN_OK) {
            fail(s, "bpmn_batch_commit", rc);
            break;
        }
        if (got == 0) {
            eb_say(r, "a tick fired nothing with %zu of %zu timers left", n - fired, n);
            rc = BPMN_ESTATE;
            break;
        }
        fired += got;
        rc = probe_turn(s, fired);
    }
    r->complete_s = phase_end(s);
    r->secs = r->start_s + r->complete_s;
    eb_mark_peak(r);
    if (rc)
        return rc;
    long active = count_instances(s, W_TIMER, "active");
    long ends = completions(s, "1", "end");
    if (active != 0 || ends != 1) {
        eb_say(r, "after the fire phase %ld instances are active, instance 1 ended %ld times",
               active, ends);
        return BPMN_ESTATE;
    }
    return BPMN_OK;
}

void eb_engine_run(const engine_job *j, run_result *r)
{
    const options *o = j->o;
    scratch sc;
    if (eb_scratch_make(o, &sc) != 0) {
        eb_say(r, "mkdtemp in %s: %s", o->tmp, strerror(errno));
        return;
    }
    session s = {NULL, j->mode == M_C, o->k, 0, r, NULL, 0, 0, 0};
    r->n = j->n;
    eb_probe probe;
    int rc = BPMN_OK;
    if (j->with_probe) {
        if (eb_probe_open(o, j->probe_flags, NULL, &probe, r) != 0)
            rc = BPMN_EIO;
        else
            s.probe = &probe;
    }
    if (rc == BPMN_OK)
        rc = open_store(o, &sc, j->mode, j->w, &s);
    if (rc == BPMN_OK) {
        if (j->w == W_USERTASK) {
            rc = run_usertask(o, &s, &sc, j->n);
        } else if (j->w == W_TIMER) {
            rc = run_timer(o, &s, j->n);
        } else {
            phase_begin(&s);
            rc = start_all(o, &s, j->w, j->n, "completed");
            r->secs = phase_end(&s);
            eb_mark_peak(r);
            eb_rss_now(r);
            if (rc == BPMN_OK)
                rc = verify_run_through(&s, j->w, j->n);
        }
    }
    r->ok = rc == BPMN_OK;
    if (s.probe) {
        r->probe_n = (size_t)probe.n;
        r->cps = probe.secs > 0 ? (double)probe.n / probe.secs : 0;
        eb_probe_close(&probe);
    }
    bpmn_engine_close(s.e);
    eb_scratch_remove(&sc);
}

/* Starts n usertask instances in batches of K (full sync) and leaves them waiting; the growth of
 * the store file is the cost of n waiting instances. */
void eb_storage_run(const storage_job *j, run_result *r)
{
    const options *o = j->o;
    scratch sc;
    if (eb_scratch_make(o, &sc) != 0) {
        eb_say(r, "mkdtemp in %s: %s", o->tmp, strerror(errno));
        return;
    }
    session s = {NULL, 1, o->k, 0, r, NULL, 0, 0, 0};
    r->n = j->n;
    int rc = open_store(o, &sc, M_C, W_USERTASK, &s);
    if (rc == BPMN_OK) {
        eb_file_size(sc.store, &r->size_before, &r->blocks_before);
        phase_begin(&s);
        rc = start_all(o, &s, W_USERTASK, j->n, "active");
        r->secs = r->start_s = phase_end(&s);
        eb_file_size(sc.store, &r->size_after, &r->blocks_after);
        eb_mark_peak(r);
        eb_rss_now(r);
    }
    r->ok = rc == BPMN_OK;
    bpmn_engine_close(s.e);
    if (r->ok) {
        /* The child's stdout is the parent's; flush before the parent prints again. */
        printf("storage N=%zu, tables of the store with all instances waiting:\n", j->n);
        eb_table_report(sc.store, stdout);
        fflush(stdout);
    }
    eb_scratch_remove(&sc);
}

