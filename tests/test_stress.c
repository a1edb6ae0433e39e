/*
 * test_stress.c - several writers and readers on one store at once, across processes and
 * threads, and a check that every acknowledged operation was applied exactly once.
 *
 * Writers run rounds on instances of their own (start with a unique business key, complete a
 * task, complete a job, correlate a message, complete a second task), set a variable of their
 * own on one shared instance, and race each other for the tasks of one shared parallel
 * multi-instance task (the same open task, completed by whoever comes first: the others must be
 * refused). Each writer logs what it was acknowledged. Readers list, show, query tasks, stream
 * history and compute reports meanwhile; they must never fail nor see a snapshot that goes
 * back in time or has a gap. At the end the store must hold exactly the acknowledged work:
 * docs/concurrency.md is the model this checks.
 *
 * The writer and the store fixtures are in stress_util.c; handles past the reader slots and
 * validation in many threads are in test_stress_threads.c.
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


/* The pool's cardinality is filled in: one task per writer round. */
static const char model_fmt[] =
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\">"
    "<message id=\"Go\" name=\"go\"><extensionElements><zeebe:subscription "
    "correlationKey=\"=k\"/></extensionElements></message>"
    "<process id=\"stress\" isExecutable=\"true\"><startEvent id=\"s\"/>"
    "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"a\"/><userTask id=\"a\"/>"
    "<sequenceFlow id=\"f1\" sourceRef=\"a\" targetRef=\"w\"/>"
    "<serviceTask id=\"w\"><extensionElements><zeebe:taskDefinition type=\"work\"/>"
    "</extensionElements></serviceTask>"
    "<sequenceFlow id=\"f2\" sourceRef=\"w\" targetRef=\"m\"/>"
    "<intermediateCatchEvent id=\"m\"><messageEventDefinition messageRef=\"Go\"/>"
    "</intermediateCatchEvent>"
    "<sequenceFlow id=\"f3\" sourceRef=\"m\" targetRef=\"b\"/><userTask id=\"b\"/>"
    "<sequenceFlow id=\"f4\" sourceRef=\"b\" targetRef=\"e\"/><endEvent id=\"e\"/></process>"
    "<process id=\"pool\" isExecutable=\"true\"><startEvent id=\"ps\"/>"
    "<sequenceFlow id=\"p0\" sourceRef=\"ps\" targetRef=\"p\"/><userTask id=\"p\">"
    "<multiInstanceLoopCharacteristics><loopCardinality>%d</loopCardinality>"
    "</multiInstanceLoopCharacteristics></userTask>"
    "<sequenceFlow id=\"p1\" sourceRef=\"p\" targetRef=\"pe\"/><endEvent id=\"pe\"/></process>"
    "<message id=\"Go2\" name=\"go2\"><extensionElements><zeebe:subscription "
    "correlationKey=\"=k\"/></extensionElements></message>"
    "<process id=\"race\" isExecutable=\"true\"><startEvent id=\"rs\"/>"
    "<sequenceFlow id=\"r0\" sourceRef=\"rs\" targetRef=\"rt\"/><intermediateCatchEvent id=\"rt\">"
    "<timerEventDefinition><timeDuration>PT1M</timeDuration></timerEventDefinition>"
    "</intermediateCatchEvent><sequenceFlow id=\"r1\" sourceRef=\"rt\" targetRef=\"rm\"/>"
    "<intermediateCatchEvent id=\"rm\"><messageEventDefinition messageRef=\"Go2\"/>"
    "</intermediateCatchEvent><sequenceFlow id=\"r2\" sourceRef=\"rm\" targetRef=\"re\"/>"
    "<endEvent id=\"re\"/></process>"
    "</definitions>";

/* ---- readers --------------------------------------------------------------------------- */

typedef struct reader {
    int cli;            /* 1: runs the bpmnrt command instead of holding a handle */
    volatile int *stop;
    unsigned long ops;  /* reads done */
    unsigned long long seq; /* the last history event seen */
    char err[512];      /* the first inconsistency or failure seen */
} reader;

#define R_FAIL(r, ...)                                                 \
    do {                                                               \
        if (!(r)->err[0])                                              \
            snprintf((r)->err, sizeof (r)->err, __VA_ARGS__);          \
    } while (0)

/* Streamed history must continue exactly where the last read ended. */
static int on_event(void *ud, const char *json)
{
    reader *r = ud;
    cJSON *j = cJSON_Parse(json);
    double seq = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "seq"));
    cJSON_Delete(j);
    if (seq != (double)(r->seq + 1)) {
        R_FAIL(r, "history: seq %.0f after %llu", seq, r->seq);
        return 1;
    }
    r->seq++;
    return 0;
}

/* One round of API reads: every listed instance (a sample of them) can be shown and is at
 * least as far as listed; the instance count and history only grow; reports succeed. */
static void api_reads(reader *r, bpmn_engine *e, int *last_n)
{
    char *out = NULL;
    int rc = bpmn_instance_list(e, NULL, NULL, &out);
    cJSON *l = cJSON_Parse(out);
    bpmn_free(e, out);
    int n = cJSON_GetArraySize(l);
    if (rc != BPMN_OK || !l)
        R_FAIL(r, "list: %s", bpmn_engine_errmsg(e));
    if (n < *last_n)
        R_FAIL(r, "list: %d instances after %d", n, *last_n);
    *last_n = n;
    for (int i = n - 1; i >= 0 && i >= n - 4; i--) {
        cJSON *x = cJSON_GetArrayItem(l, i);
        const char *id = su_str(x, "instance");
        if ((rc = bpmn_instance_show(e, id, &out)) != BPMN_OK) {
            R_FAIL(r, "instance %s listed, show: %s", id, bpmn_engine_errmsg(e));
            continue;
        }
        cJSON *s = cJSON_Parse(out);
        bpmn_free(e, out);
        if (strcmp(su_str(x, "state"), "completed") == 0 && strcmp(su_str(s, "state"), "completed"))
            R_FAIL(r, "instance %s listed completed, then shown %s", id, su_str(s, "state"));
        cJSON_Delete(s);
    }
    cJSON_Delete(l);
    if ((rc = bpmn_task_list(e, NULL, NULL, NULL, &out)) != BPMN_OK)
        R_FAIL(r, "tasks: %s", bpmn_engine_errmsg(e));
    l = cJSON_Parse(out);
    bpmn_free(e, out);
    cJSON *t = cJSON_GetArrayItem(l, cJSON_GetArraySize(l) - 1);
    if (t && bpmn_instance_show(e, su_str(t, "instance"), &out) != BPMN_OK)
        R_FAIL(r, "task %s listed, its instance: %s", su_str(t, "id"), bpmn_engine_errmsg(e));
    else
        bpmn_free(e, out);
    cJSON_Delete(l);
    if (bpmn_history_each(e, NULL, r->seq, on_event, r) != BPMN_OK)
        R_FAIL(r, "history: %s", bpmn_engine_errmsg(e));
    if (bpmn_report_funnel(e, "stress", &out) != BPMN_OK)
        R_FAIL(r, "funnel: %s", bpmn_engine_errmsg(e));
    l = cJSON_Parse(out);
    bpmn_free(e, out);
    cJSON *st;
    cJSON_ArrayForEach(st, cJSON_GetObjectItem(l, "stages")) {
        double en = cJSON_GetNumberValue(cJSON_GetObjectItem(st, "entered"));
        double wt = cJSON_GetNumberValue(cJSON_GetObjectItem(st, "waiting"));
        double cp = cJSON_GetNumberValue(cJSON_GetObjectItem(st, "completed"));
        if (en != wt + cp || wt < 0)
            R_FAIL(r, "funnel stage %s: %.0f entered, %.0f waiting, %.0f completed",
                   su_str(st, "element"), en, wt, cp);
    }
    cJSON_Delete(l);
    if (bpmn_report_durations(e, NULL, &out) != BPMN_OK)
        R_FAIL(r, "durations: %s", bpmn_engine_errmsg(e));
    bpmn_free(e, out);
    if (bpmn_report_tasks(e, NULL, 0, 0, &out) != BPMN_OK)
        R_FAIL(r, "tasks report: %s", bpmn_engine_errmsg(e));
    bpmn_free(e, out);
    r->ops += 7;
}

/* One round of reads through the command: each output is one snapshot, so the history it
 * prints is gap-free from 1 and the last instance listed can be shown. */
static void cli_reads(reader *r, int round)
{
    char *args[12] = {"--db", su_db, "--now", NOW, "instances", "--json", NULL};
    char *out, *err;
    int rc = tu_cli(args, &out, &err);
    cJSON *l = cJSON_Parse(out);
    if (rc != 0 || !cJSON_IsArray(l))
        R_FAIL(r, "bpmnrt instances: exit %d: %.200s", rc, err);
    free(out), free(err);
    cJSON *last = cJSON_GetArrayItem(l, cJSON_GetArraySize(l) - 1);
    if (last) {
        char *sa[] = {"--db", su_db, "show", (char *)su_str(last, "instance"), "--json", NULL};
        if ((rc = tu_cli(sa, &out, &err)) != 0)
            R_FAIL(r, "bpmnrt show %s: exit %d: %.200s", su_str(last, "instance"), rc, err);
        free(out), free(err);
    }
    cJSON_Delete(l);
    char *ta[] = {"--db", su_db, "--now", NOW, "report", "funnel", "--process", "stress", "--json",
                  NULL};
    if ((rc = tu_cli(ta, &out, &err)) != 0)
        R_FAIL(r, "bpmnrt report funnel: exit %d: %.200s", rc, err);
    free(out), free(err);
    r->ops += 3;
    if (round % 4)
        return;
    char *ha[] = {"--db", su_db, "history", "--json", NULL};
    rc = tu_cli(ha, &out, &err);
    l = cJSON_Parse(out);
    if (rc != 0 || !cJSON_IsArray(l))
        R_FAIL(r, "bpmnrt history: exit %d: %.200s", rc, err);
    free(out), free(err);
    double want = 1;
    cJSON *x;
    cJSON_ArrayForEach(x, l) {
        double seq = cJSON_GetNumberValue(cJSON_GetObjectItem(x, "seq"));
        if (seq != want++) {
            R_FAIL(r, "bpmnrt history: seq %.0f where %.0f was due", seq, want - 1);
            break;
        }
    }
    cJSON_Delete(l);
    r->ops++;
}

static void *reader_thread(void *ud)
{
    reader *r = ud;
    bpmn_engine *e = r->cli ? NULL : su_open_api(1);
    if (!r->cli && !e) {
        R_FAIL(r, "reader: cannot open the store");
        return NULL;
    }
    int last_n = 0;
    /* At least one round after the writers stopped, so that the last reads see all. */
    for (int round = 0, done = 0; !done; round++) {
        done = *r->stop;
        if (r->cli)
            cli_reads(r, round);
        else
            api_reads(r, e, &last_n);
        usleep(2000);
    }
    bpmn_engine_close(e);
    return NULL;
}

/* ---- the check ------------------------------------------------------------------------- */

typedef struct tally {
    cJSON *count;  /* "type:id" -> how often history recorded it */
    unsigned long long events;
    int gap;
} tally;

static int count_event(void *ud, const char *json)
{
    tally *t = ud;
    cJSON *j = cJSON_Parse(json);
    if (cJSON_GetNumberValue(cJSON_GetObjectItem(j, "seq")) != (double)++t->events)
        t->gap = 1;
    const char *type = su_str(j, "type"), *id = su_str(j, "task");
    if (!*id)
        id = su_str(j, "instance");
    char k[96];
    snprintf(k, sizeof k, "%.40s:%.40s", type, id);
    cJSON *c = cJSON_GetObjectItem(t->count, k);
    if (c)
        cJSON_SetNumberValue(c, c->valuedouble + 1);
    else
        cJSON_AddNumberToObject(t->count, k, 1);
    cJSON_Delete(j);
    return 0;
}

static int times(tally *t, const char *type, const char *id)
{
    char k[96];
    snprintf(k, sizeof k, "%.40s:%.40s", type, id);
    cJSON *c = cJSON_GetObjectItem(t->count, k);
    return c ? (int)c->valuedouble : 0;
}

static cJSON *show(bpmn_engine *e, const char *id)
{
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_show(e, id, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(e, out);
    return j;
}

/* The store holds exactly what the writers were acknowledged. Returns the number of
 * acknowledged operations. */
static int verify(bpmn_engine *e, writer *ws, int nw, const char *shared, const char *pool,
                  int pool_n, unsigned long long *events)
{
    tally t = {cJSON_CreateObject(), 0, 0};
    CU_ASSERT_EQUAL_FATAL(bpmn_history_each(e, NULL, 0, count_event, &t), BPMN_OK);
    CU_ASSERT_FALSE(t.gap);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_list(e, "stress", NULL, &out), BPMN_OK);
    cJSON *all = cJSON_Parse(out);
    bpmn_free(e, out);
    cJSON *sh = show(e, shared), *vars = cJSON_GetObjectItem(sh, "variables");
    cJSON *won = cJSON_CreateObject();
    int acks = 0, pool_won = 0;
    for (int i = 0; i < nw; i++) {
        FILE *f = fopen(ws[i].log, "r");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        char line[128], a[40], b[40];
        int starts = 0, sets = 0;
        while (fgets(line, sizeof line, f)) {
            char op = line[0];
            b[0] = '\0';
            CU_ASSERT(sscanf(line + 2, "%39s %39s", a, b) >= 1);
            acks += op != 'R';
            if (op == 'S') {
                starts++;
                /* Exactly one instance carries the key, and it is the acknowledged one. */
                int with_key = 0;
                cJSON *x;
                cJSON_ArrayForEach(x, all)
                    if (strcmp(su_str(x, "key"), b) == 0) {
                        with_key++;
                        CU_ASSERT_STRING_EQUAL(su_str(x, "instance"), a);
                        CU_ASSERT_STRING_EQUAL(su_str(x, "state"), "completed");
                    }
                CU_ASSERT_EQUAL(with_key, 1);
                CU_ASSERT_EQUAL(times(&t, "instance_started", a), 1);
                CU_ASSERT_EQUAL(times(&t, "instance_completed", a), 1);
            } else if (op == 'C') {
                CU_ASSERT_EQUAL(times(&t, "task_completed", a), 1);
            } else if (op == 'J') {
                CU_ASSERT_EQUAL(times(&t, "job_completed", a), 1);
            } else if (op == 'M') {
                CU_ASSERT_EQUAL(times(&t, "message_correlated", a), 1);
            } else if (op == 'V') {
                sets++;
                CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(vars, a)), atoi(b));
            } else if (op == 'P') {
                pool_won++;
                CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(won, a)); /* no task won twice */
                cJSON_AddTrueToObject(won, a);
                CU_ASSERT_EQUAL(times(&t, "task_completed", a), 1);
            } else if (op == 'R') {
                CU_ASSERT_EQUAL(times(&t, "task_completed", a), 1); /* someone else won */
            }
        }
        fclose(f);
        CU_ASSERT_EQUAL(starts, ws[i].rounds);
        CU_ASSERT_EQUAL(sets, ws[i].rounds);
    }
    /* Nothing happened that nobody was told about: every instance of the process is one a
     * writer started, every pool task was won exactly once, every set-vars is in history. */
    int rounds = 0;
    for (int i = 0; i < nw; i++)
        rounds += ws[i].rounds;
    CU_ASSERT_EQUAL(cJSON_GetArraySize(all), rounds + 1);
    CU_ASSERT_EQUAL(pool_won, pool_n);
    CU_ASSERT_EQUAL(times(&t, "variables_updated", shared), rounds);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(vars), rounds + 1); /* and its own "k" */
    cJSON *p = show(e, pool);
    CU_ASSERT_STRING_EQUAL(su_str(p, "state"), "completed");
    cJSON_Delete(p);
    cJSON_Delete(won);
    cJSON_Delete(sh);
    cJSON_Delete(all);
    cJSON_Delete(t.count);
    *events = t.events;
    return acks;
}

/* Deploys the model and starts the shared instance and the pool; ids go into shared, pool. */
static void setup(bpmn_engine *e, int pool_n, char *shared, char *pool)
{
    char xml[sizeof model_fmt + 16], *out = NULL;
    int n = snprintf(xml, sizeof xml, model_fmt, pool_n);
    CU_ASSERT_EQUAL_FATAL(bpmn_deploy(e, "stress.bpmn", xml, (size_t)n, &out), BPMN_OK);
    bpmn_free(e, out);
    CU_ASSERT_EQUAL_FATAL(bpmn_instance_start(e, "stress", 0, "{\"k\":\"shared\"}", "shared",
                                              &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    snprintf(shared, 32, "%s", su_str(j, "instance"));
    cJSON_Delete(j);
    bpmn_free(e, out);
    CU_ASSERT_EQUAL_FATAL(bpmn_instance_start(e, "pool", 0, NULL, NULL, &out), BPMN_OK);
    j = cJSON_Parse(out);
    snprintf(pool, 32, "%s", su_str(j, "instance"));
    cJSON_Delete(j);
    bpmn_free(e, out);
}

static void check_reader(reader *r, const char *what)
{
    if (r->err[0])
        fprintf(stderr, "\n%s reader: %s\n", what, r->err);
    CU_ASSERT_STRING_EQUAL(r->err, "");
    CU_ASSERT(r->ops > 0);
}

/* ---- the cases ------------------------------------------------------------------------- */

/* Two forked children write through the API (each opens its own handle after fork; the one
 * inherited from the parent must refuse), two run the bpmnrt command with its default full
 * sync, while two threads of the parent read through handles of their own and one through the
 * command. */
static void test_writers_in_four_processes_apply_each_operation_once(void)
{
    su_fresh_db();
    bpmn_engine *e = su_open_api(1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    int pool_n = 2 * API_ROUNDS + 2 * CLI_ROUNDS;
    char shared[32], pool[32];
    setup(e, pool_n, shared, pool);
    double t0 = su_seconds();
    /* The children are forked before the readers' threads start: a child of a threaded
     * process may only call async-signal-safe functions (ASan's allocator does deadlock
     * there). They wait for the readers, then all start at once. */
    writer ws[MAX_WRITERS];
    pid_t pids[MAX_WRITERS];
    int go[2];
    CU_ASSERT_EQUAL_FATAL(pipe(go), 0);
    for (int i = 0; i < MAX_WRITERS; i++) {
        ws[i] = (writer){.no = i, .rounds = i < 2 ? API_ROUNDS : CLI_ROUNDS, .shared = shared,
                         .pool = pool};
        snprintf(ws[i].log, sizeof ws[i].log, "%s.w%d", su_db, i);
        pids[i] = fork();
        CU_ASSERT_FATAL(pids[i] >= 0);
        if (pids[i] == 0) {
            char *out = NULL, c;
            if (bpmn_instance_list(e, NULL, NULL, &out) != BPMN_EIO ||
                !strstr(bpmn_engine_errmsg(e), "opened by the parent process")) {
                fprintf(stderr, "writer %d: the inherited handle did not refuse: '%s'\n", i,
                        bpmn_engine_errmsg(e));
                _exit(3);
            }
            if (i < 2 && !(ws[i].e = su_open_api(1)))
                _exit(4);
            close(go[1]);
            if (read(go[0], &c, 1) != 1)
                _exit(6);
            int rc = run_writer(&ws[i]);
            if (rc)
                fprintf(stderr, "\n%s\n", ws[i].err);
            bpmn_engine_close(ws[i].e);
            _exit(rc ? 5 : 0);
        }
    }
    volatile int stop = 0;
    reader rs[3] = {{.stop = &stop}, {.stop = &stop}, {.cli = 1, .stop = &stop}};
    pthread_t rt[3];
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&rt[i], NULL, reader_thread, &rs[i]), 0);
    close(go[0]);
    CU_ASSERT_EQUAL(write(go[1], "gggg", MAX_WRITERS), MAX_WRITERS);
    close(go[1]);
    for (int i = 0; i < MAX_WRITERS; i++) {
        int st = 0;
        CU_ASSERT_EQUAL(waitpid(pids[i], &st, 0), pids[i]);
        CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(rt[i], NULL);
    double t1 = su_seconds();
    check_reader(&rs[0], "API");
    check_reader(&rs[1], "API");
    check_reader(&rs[2], "command");
    unsigned long long events = 0;
    int acks = verify(e, ws, MAX_WRITERS, shared, pool, pool_n, &events);
    /* The readers' last rounds began after the writers were done: they streamed it all. */
    CU_ASSERT(events > 0 && rs[0].seq == events && rs[1].seq == events);
    printf("\n  4 writer processes: %d acknowledged writes, %lu reads, %.1f s\n", acks,
           rs[0].ops + rs[1].ops + rs[2].ops, t1 - t0);
    for (int i = 0; i < MAX_WRITERS; i++)
        unlink(ws[i].log);
    bpmn_engine_close(e);
    su_remove_db();
}

/* Two threads of one process write through handles of their own, which share the process's
 * LMDB environment, while a third reads; the map starts small and grows under them. */
static void test_writer_threads_sharing_an_environment_apply_each_operation_once(void)
{
    su_fresh_db();
    bpmn_engine *e = su_open_api(1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    int pool_n = 2 * THREAD_ROUNDS;
    char shared[32], pool[32];
    setup(e, pool_n, shared, pool);
    double t0 = su_seconds();
    volatile int stop = 0;
    reader r = {.stop = &stop};
    pthread_t rt, wt[2];
    writer ws[2];
    CU_ASSERT_EQUAL_FATAL(pthread_create(&rt, NULL, reader_thread, &r), 0);
    for (int i = 0; i < 2; i++) {
        ws[i] = (writer){.no = i, .rounds = THREAD_ROUNDS, .shared = shared, .pool = pool,
                         .e = su_open_api(1)};
        CU_ASSERT_PTR_NOT_NULL_FATAL(ws[i].e);
        snprintf(ws[i].log, sizeof ws[i].log, "%s.t%d", su_db, i);
        CU_ASSERT_EQUAL_FATAL(pthread_create(&wt[i], NULL, writer_thread, &ws[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(wt[i], NULL);
        if (ws[i].err[0])
            fprintf(stderr, "\n%s\n", ws[i].err);
        CU_ASSERT_STRING_EQUAL(ws[i].err, "");
        bpmn_engine_close(ws[i].e);
    }
    stop = 1;
    pthread_join(rt, NULL);
    check_reader(&r, "API");
    unsigned long long events = 0;
    int acks = verify(e, ws, 2, shared, pool, pool_n, &events);
    CU_ASSERT(r.seq == events);
    printf("\n  2 writer threads: %d acknowledged writes, %lu reads, %.1f s\n", acks, r.ops,
           su_seconds() - t0);
    for (int i = 0; i < 2; i++)
        unlink(ws[i].log);
    bpmn_engine_close(e);
    su_remove_db();
}

/* ---- racing for the same timers and messages ------------------------------------------- */

#define RACERS 3
#define RACE_N 150

/* Fires the due timers, then delivers every key's message, in the same order as the other
 * racers, so that they contend for each; with a full sync per commit, as the command does, so
 * that each commit takes long enough for the others to be waiting on it. Logs
 * "T fired" and "K key instance" for each delivery it won. */
static int race(writer *w)
{
    FILE *log = fopen(w->log, "w");
    if (!log)
        return -1;
    cJSON *j;
    int rc, fired;
    do {
        rc = w_op(w, &j, api_tick, "tick", NULL);
        fired = rc == 0 ? (int)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "fired")) : 0;
        if (fired)
            fprintf(log, "T %d\n", fired);
        cJSON_Delete(j);
    } while (rc == 0 && fired && w->e);
    for (int i = 0; rc >= 0 && i < RACE_N; i++) {
        char key[16];
        snprintf(key, sizeof key, "r%d", i);
        w->a1 = key;
        w->may_lose = 1;
        rc = w_op(w, &j, api_correlate2, "correlate", "go2", "--key", key, NULL);
        if (rc == 0)
            fprintf(log, "K %s %s\n", key, su_str(j, "instance"));
        cJSON_Delete(j);
    }
    fclose(log);
    return rc < 0 ? -1 : 0;
}

/* Three processes (two through the API, one through the command) tick at the same instant and
 * then correlate the same messages: each timer fires once and each message reaches its
 * instance once, whoever wins. */
static void test_racing_processes_fire_each_timer_and_deliver_each_message_once(void)
{
    su_fresh_db();
    bpmn_engine *e = su_open_api(1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    char shared[32], pool[32], ids[RACE_N][32];
    setup(e, 1, shared, pool);
    for (int i = 0; i < RACE_N; i++) {
        char vars[32], key[16], *out = NULL;
        snprintf(key, sizeof key, "r%d", i);
        snprintf(vars, sizeof vars, "{\"k\":\"%s\"}", key);
        CU_ASSERT_EQUAL_FATAL(bpmn_instance_start(e, "race", 0, vars, key, &out), BPMN_OK);
        cJSON *j = cJSON_Parse(out);
        snprintf(ids[i], sizeof ids[i], "%s", su_str(j, "instance"));
        cJSON_Delete(j);
        bpmn_free(e, out);
    }
    writer ws[RACERS];
    pid_t pids[RACERS];
    int go[2];
    CU_ASSERT_EQUAL_FATAL(pipe(go), 0);
    for (int i = 0; i < RACERS; i++) {
        ws[i] = (writer){.no = i, .now = "2026-03-02T09:02:00Z"};
        snprintf(ws[i].log, sizeof ws[i].log, "%s.r%d", su_db, i);
        pids[i] = fork();
        CU_ASSERT_FATAL(pids[i] >= 0);
        if (pids[i] == 0) {
            if (i < 2) {
                if (!(ws[i].e = su_open_api(0)))
                    _exit(4);
                bpmn_engine_set_now(ws[i].e, NOW_MS + 120000);
            }
            char c;
            close(go[1]);
            if (read(go[0], &c, 1) != 1) /* all start together */
                _exit(6);
            int rc = race(&ws[i]);
            if (rc)
                fprintf(stderr, "\n%s\n", ws[i].err);
            bpmn_engine_close(ws[i].e);
            _exit(rc ? 5 : 0);
        }
    }
    close(go[0]);
    CU_ASSERT_EQUAL(write(go[1], "gggg", RACERS), RACERS);
    close(go[1]);
    for (int i = 0; i < RACERS; i++) {
        int st = 0;
        CU_ASSERT_EQUAL(waitpid(pids[i], &st, 0), pids[i]);
        CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    int fired = 0, won[RACE_N] = {0}, by[RACERS][2] = {{0}};
    for (int i = 0; i < RACERS; i++) {
        FILE *f = fopen(ws[i].log, "r");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        char line[96], a[40], b[40];
        while (fgets(line, sizeof line, f)) {
            if (line[0] == 'T') {
                fired += atoi(line + 2);
                by[i][0] += atoi(line + 2);
            } else if (sscanf(line, "K r%39s %39s", a, b) == 2) {
                int k = atoi(a);
                CU_ASSERT_FATAL(k >= 0 && k < RACE_N);
                won[k]++;
                by[i][1]++;
                CU_ASSERT_STRING_EQUAL(b, ids[k]);
            }
        }
        fclose(f);
        unlink(ws[i].log);
    }
    CU_ASSERT_EQUAL(fired, RACE_N);
    printf("\n  timers fired by each racer: %d/%d/%d, messages won: %d/%d/%d\n", by[0][0],
           by[1][0], by[2][0], by[0][1], by[1][1], by[2][1]);
    tally t = {cJSON_CreateObject(), 0, 0};
    CU_ASSERT_EQUAL(bpmn_history_each(e, NULL, 0, count_event, &t), BPMN_OK);
    CU_ASSERT_FALSE(t.gap);
    for (int i = 0; i < RACE_N; i++) {
        CU_ASSERT_EQUAL(won[i], 1);
        CU_ASSERT_EQUAL(times(&t, "timer_fired", ids[i]), 1);
        CU_ASSERT_EQUAL(times(&t, "message_correlated", ids[i]), 1);
        cJSON *x = show(e, ids[i]);
        CU_ASSERT_STRING_EQUAL(su_str(x, "state"), "completed");
        cJSON_Delete(x);
    }
    cJSON_Delete(t.count);
    bpmn_engine_close(e);
    su_remove_db();
}

/* A job handler that writes through a second handle from inside the operation. */
static int nested_write(void *ud, const bpmn_job_info *job, bpmn_job_result *result)
{
    (void)job;
    bpmn_engine *other = ud;
    char *out = NULL;
    int rc = bpmn_instance_start(other, "stress", 0, "{\"k\":\"inner\"}", "inner", &out);
    bpmn_free(other, out);
    char vars[32];
    snprintf(vars, sizeof vars, "{\"inner\":%d}", rc);
    return bpmn_job_result_vars(result, vars);
}

/* The thread that holds the write lock (a batch, an operation running a handler) and writes
 * through another handle on the same store is refused with BPMN_EINVAL, never deadlocked;
 * reads through the other handle go on. */
static void test_a_second_write_in_the_writing_thread_is_refused_not_deadlocked(void)
{
    su_fresh_db();
    bpmn_engine *a = su_open_api(1), *b = su_open_api(1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    char shared[32], pool[32], *out = NULL;
    setup(a, 1, shared, pool);
    CU_ASSERT_EQUAL_FATAL(bpmn_batch_begin(a), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_instance_start(a, "stress", 0, "{\"k\":\"x\"}", "x", &out), BPMN_OK);
    bpmn_free(a, out);
    CU_ASSERT_EQUAL(bpmn_instance_start(b, "stress", 0, "{\"k\":\"y\"}", "y", &out),
                    BPMN_EINVAL);
    CU_ASSERT_EQUAL(bpmn_instance_show(b, shared, &out), BPMN_OK);
    bpmn_free(b, out);
    CU_ASSERT_EQUAL(bpmn_batch_commit(a), BPMN_OK);
    /* The handler's write is refused; the operation around it goes on. */
    CU_ASSERT_EQUAL(bpmn_job_handler_set(a, "work", nested_write, b), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_instance_list(a, "stress", NULL, &out), BPMN_OK);
    cJSON *l = cJSON_Parse(out);
    bpmn_free(a, out);
    char task[32] = "";
    CU_ASSERT_EQUAL_FATAL(bpmn_task_list(a, su_str(cJSON_GetArrayItem(l, 1), "instance"), NULL,
                                         NULL, &out), BPMN_OK);
    cJSON *t = cJSON_Parse(out);
    bpmn_free(a, out);
    snprintf(task, sizeof task, "%s", su_str(cJSON_GetArrayItem(t, 0), "id"));
    cJSON_Delete(t);
    CU_ASSERT_EQUAL(bpmn_task_complete(a, task, NULL, &out), BPMN_OK);
    bpmn_free(a, out);
    cJSON *x = show(a, su_str(cJSON_GetArrayItem(l, 1), "instance"));
    CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(x, "variables"),
                                                             "inner")), BPMN_EINVAL);
    cJSON_Delete(x);
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(bpmn_instance_list(b, "stress", NULL, &out), BPMN_OK);
    l = cJSON_Parse(out);
    bpmn_free(b, out);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 2); /* shared and x: neither y nor inner */
    cJSON_Delete(l);
    bpmn_engine_close(b);
    bpmn_engine_close(a);
    su_remove_db();
}

int main(void)
{
    static const tu_case cases[] = {
        {"writers in four processes apply each operation once",
         test_writers_in_four_processes_apply_each_operation_once},
        {"writer threads sharing an environment apply each operation once",
         test_writer_threads_sharing_an_environment_apply_each_operation_once},
        {"racing processes fire each timer and deliver each message once",
         test_racing_processes_fire_each_timer_and_deliver_each_message_once},
        {"a second write in the writing thread is refused, not deadlocked",
         test_a_second_write_in_the_writing_thread_is_refused_not_deadlocked},
        {NULL, NULL},
    };
    return tu_run("stress", cases);
}
