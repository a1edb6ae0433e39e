/*
 * fuzz_record.c - libFuzzer target for the stored records: a damaged or hostile store must never
 * crash the process. Every record the engine reads back (instances, tasks, jobs, timers,
 * subscriptions, deployments, history blocks, index entries, counters) is decoded by code that
 * trusts nothing but its own bounds checks, so this target puts fuzz bytes where a record was and
 * runs every operation that reads it.
 *
 * A store is set up once per process (a few deployed processes, instances waiting at tasks, jobs,
 * timers, messages and signals, one finished, one with an incident). Each input then runs in a
 * batch that is aborted at the end, so the store never changes from one input to the next:
 *
 *   byte 0  bits 0-3: the table (st_table, modulo ST_TABLE_COUNT); bit 7: a new key
 *   byte 1  which existing key of that table to overwrite (modulo their number)
 *   byte 2  which write operation to try first (a failing write aborts the batch, so the rest
 *           are skipped); its high bits choose an instance whose history is read
 *   rest    the record; with bit 7 of byte 0, its first byte is the length of a fuzz key that
 *           follows, then the record
 *
 * Reads must succeed or fail with a status; their JSON must parse. With FUZZ_RECORD_SEEDS=DIR in
 * the environment the target writes every record of its store to DIR in this format, one file
 * each: the seed corpus (tests/fuzz/corpus/record).
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "fuzz_record: check failed at %s:%d: %s\n", __FILE__, __LINE__, \
                    #cond);                                                                 \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

#define NOW 1772442000000LL /* 2026-03-02T09:00:00Z */

#define HEAD                                                                                    \
    "<?xml version=\"1.0\"?>\n<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" " \
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" "                                      \
    "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\">\n"
#define FLOW(id, a, b) "<sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"/>\n"

/* One process that waits in every way there is at once: a user task with assignment, due date
 * and a timer on it, a job, a message with a key, a signal, a sub-process and a call. */
static const char MODEL[] =
    HEAD "<message id=\"M\" name=\"go\"><extensionElements><zeebe:subscription "
         "correlationKey=\"=order\"/></extensionElements></message>\n"
         "<message id=\"MS\" name=\"begin\"/><signal id=\"S\" name=\"stop\"/>\n"
         "<process id=\"fz\" name=\"Fuzz\" isExecutable=\"true\" camunda:historyTimeToLive=\"1\">\n"
         "<startEvent id=\"s\" name=\"Start\"/>" FLOW("f0", "s", "fork")
         "<parallelGateway id=\"fork\"/>" FLOW("f1", "fork", "ut") FLOW("f2", "fork", "job")
         FLOW("f3", "fork", "msg") FLOW("f4", "fork", "sig") FLOW("f5", "fork", "sp")
         FLOW("f6", "fork", "call")
         "<userTask id=\"ut\" name=\"Approve\" camunda:assignee=\"anna\" "
         "camunda:candidateGroups=\"sales,ops\" camunda:dueDate=\"PT2H\" "
         "camunda:priority=\"7\"/>"
         "<boundaryEvent id=\"remind\" attachedToRef=\"ut\" cancelActivity=\"false\">"
         "<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>"
         "</boundaryEvent>" FLOW("r1", "remind", "re") "<endEvent id=\"re\"/>"
         "<serviceTask id=\"job\"><extensionElements><zeebe:taskDefinition type=\"work\" "
         "retries=\"2\"/></extensionElements></serviceTask>"
         "<intermediateCatchEvent id=\"msg\"><messageEventDefinition messageRef=\"M\"/>"
         "</intermediateCatchEvent>"
         "<intermediateCatchEvent id=\"sig\"><signalEventDefinition signalRef=\"S\"/>"
         "</intermediateCatchEvent>"
         "<subProcess id=\"sp\"><startEvent id=\"ss\"/>" FLOW("g1", "ss", "inner")
         "<userTask id=\"inner\" camunda:candidateUsers=\"bob\"/>" FLOW("g2", "inner", "se")
         "<endEvent id=\"se\"/></subProcess>"
         "<callActivity id=\"call\" calledElement=\"child\"/>"
         FLOW("j1", "ut", "join") FLOW("j2", "job", "join") FLOW("j3", "msg", "join")
         FLOW("j4", "sig", "join") FLOW("j5", "sp", "join") FLOW("j6", "call", "join")
         "<parallelGateway id=\"join\"/>" FLOW("f9", "join", "e") "<endEvent id=\"e\"/>"
         "</process>\n"
         "<process id=\"child\" isExecutable=\"true\"><startEvent id=\"cs\"/>" FLOW("c1", "cs", "ct")
         "<userTask id=\"ct\" camunda:assignee=\"carl\"/>" FLOW("c2", "ct", "ce")
         "<endEvent id=\"ce\"/></process>\n"
         "<process id=\"quick\" isExecutable=\"true\"><startEvent id=\"qs\"/>" FLOW("q1", "qs", "qx")
         "<scriptTask id=\"qx\" scriptFormat=\"feel\"><extensionElements><zeebe:script "
         "expression=\"=missing + 1\" resultVariable=\"r\"/></extensionElements></scriptTask>"
         FLOW("q2", "qx", "qe") "<endEvent id=\"qe\"/></process>\n"
         "<process id=\"starts\" isExecutable=\"true\">"
         "<startEvent id=\"ms\"><messageEventDefinition messageRef=\"MS\"/></startEvent>"
         FLOW("m1", "ms", "me")
         "<startEvent id=\"ts\"><timerEventDefinition><timeCycle>R/PT1H</timeCycle>"
         "</timerEventDefinition></startEvent>" FLOW("m2", "ts", "me")
         "<endEvent id=\"me\"/></process>\n"
         "</definitions>\n";

static const char DONE_MODEL[] =
    HEAD "<process id=\"done\" isExecutable=\"true\"><startEvent id=\"ds\"/>" FLOW("d1", "ds", "de")
         "<endEvent id=\"de\"/></process></definitions>\n";

/* The keys of each table at setup. */
typedef struct keyset {
    uint8_t **k;
    size_t *kl;
    size_t n;
} keyset;

static bpmn_engine *E;
static keyset KEYS[ST_TABLE_COUNT];
static char PATH[64];

static void remove_store(void)
{
    char lock[80];
    bpmn_engine_close(E);
    snprintf(lock, sizeof lock, "%s-lock", PATH);
    unlink(PATH);
    unlink(lock);
}

/* out: where the call left its JSON (an argument evaluated after the call). */
static void call_ok(int rc, char **out)
{
    if (rc != BPMN_OK) {
        fprintf(stderr, "fuzz_record: setup failed: %s\n", bpmn_engine_errmsg(E));
        abort();
    }
    if (out) {
        free(*out);
        *out = NULL;
    }
}

static char *first_id(const char *json, const char *member)
{
    static char id[32];
    cJSON *j = cJSON_Parse(json);
    const cJSON *it = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, 0) : j;
    const cJSON *v = cJSON_GetObjectItem(it, member);
    CHECK(cJSON_IsString(v));
    snprintf(id, sizeof id, "%s", v->valuestring);
    cJSON_Delete(j);
    return id;
}

static void collect_keys(void)
{
    st_txn *t;
    CHECK(st_begin(E->st, 0, &t) == BPMN_OK);
    for (int tb = 0; tb < ST_TABLE_COUNT; tb++) {
        st_cursor *c;
        CHECK(st_cursor_open(t, (st_table)tb, &c) == BPMN_OK);
        const void *k, *v;
        size_t kl, vl;
        for (int rc = st_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl); rc == BPMN_OK;
             rc = st_cursor_next(c, &k, &kl, &v, &vl)) {
            keyset *s = &KEYS[tb];
            s->k = realloc(s->k, (s->n + 1) * sizeof *s->k);
            s->kl = realloc(s->kl, (s->n + 1) * sizeof *s->kl);
            CHECK(s->k && s->kl);
            s->k[s->n] = malloc(kl ? kl : 1);
            CHECK(s->k[s->n]);
            memcpy(s->k[s->n], k, kl);
            s->kl[s->n++] = kl;
        }
        st_cursor_close(c);
    }
    st_abort(t);
}

/* Writes every record as a seed: table, key number, 0, value. */
static void write_seeds(const char *dir)
{
    st_txn *t;
    CHECK(st_begin(E->st, 0, &t) == BPMN_OK);
    for (int tb = 0; tb < ST_TABLE_COUNT; tb++) {
        for (size_t i = 0; i < KEYS[tb].n && i < 256; i++) {
            const void *v;
            size_t vl;
            CHECK(st_get(t, (st_table)tb, KEYS[tb].k[i], KEYS[tb].kl[i], &v, &vl) == BPMN_OK);
            char name[512];
            snprintf(name, sizeof name, "%s/seed-%d-%02zu", dir, tb, i);
            FILE *f = fopen(name, "wb");
            CHECK(f);
            uint8_t head[3] = {(uint8_t)tb, (uint8_t)i, 0};
            fwrite(head, 1, 3, f);
            fwrite(v, 1, vl, f);
            fclose(f);
        }
    }
    st_abort(t);
}

static void setup(void)
{
    strcpy(PATH, "/tmp/fuzz-record-XXXXXX");
    int fd = mkstemp(PATH);
    CHECK(fd >= 0);
    close(fd);
    unlink(PATH);
    bpmn_engine_options o = {0};
    o.path = PATH;
    o.nosync = 1;
    char err[256];
    CHECK(bpmn_engine_open(&o, &E, err, sizeof err) == BPMN_OK);
    atexit(remove_store);
    bpmn_engine_set_now(E, NOW - 7200000LL);
    char *out = NULL;
    call_ok(bpmn_deploy(E, "done.bpmn", DONE_MODEL, strlen(DONE_MODEL), &out), &out);
    call_ok(bpmn_instance_start(E, "done", 0, NULL, "finished", &out), &out);
    call_ok(bpmn_deploy(E, "fz.bpmn", MODEL, strlen(MODEL), &out), &out);
    call_ok(bpmn_instance_start(E, "fz", 0, "{\"order\":\"A-1\",\"n\":1.5,\"l\":[1,{}]}", "first",
                                &out), &out);
    /* quick ends in an incident: its script reads a variable that is not there */
    call_ok(bpmn_instance_start(E, "quick", 0, NULL, NULL, &out), &out);
    bpmn_engine_set_now(E, NOW - 3600000LL);
    call_ok(bpmn_task_list(E, NULL, "anna", NULL, &out), NULL);
    char tid[32];
    snprintf(tid, sizeof tid, "%s", first_id(out, "id"));
    free(out);
    call_ok(bpmn_task_claim(E, tid, &(bpmn_actor){"anna", NULL}, &out), &out);
    call_ok(bpmn_tick(E, &out), &out);
    /* its timer is still to come: the tick of each input fires it */
    call_ok(bpmn_instance_start(E, "fz", 0, "{\"order\":\"B-2\"}", NULL, &out), &out);
    collect_keys();
    const char *dir = getenv("FUZZ_RECORD_SEEDS");
    if (dir)
        write_seeds(dir);
}

/* Whatever a read returns, its JSON parses. */
static void read_done(int rc, char **out)
{
    CHECK(rc <= 0);
    if (!out)
        return;
    if (rc == BPMN_OK) {
        cJSON *j = cJSON_Parse(*out);
        CHECK(j != NULL);
        cJSON_Delete(j);
    } else {
        CHECK(*out == NULL);
    }
    CHECK(strlen(bpmn_engine_errmsg(E)) < 4096);
    free(*out);
    *out = NULL;
}

static int each_line(void *ud, const char *json)
{
    (void)ud;
    cJSON *j = cJSON_Parse(json);
    CHECK(cJSON_IsObject(j));
    cJSON_Delete(j);
    return 0;
}

/* Ids of the records at setup, as the API spells them. */
static void id_of(st_table tb, size_t i, char *buf, size_t cap)
{
    if (KEYS[tb].n == 0 || KEYS[tb].kl[i % KEYS[tb].n] != 8) {
        snprintf(buf, cap, "1");
        return;
    }
    snprintf(buf, cap, "%llu", (unsigned long long)st_rd64(KEYS[tb].k[i % KEYS[tb].n]));
}

/* pick: a byte of the input choosing the instance whose history is read */
static void run_reads(unsigned pick)
{
    char *out = NULL;
    char id[32];
    for (size_t i = 0; i < KEYS[ST_INSTANCES].n; i++) {
        id_of(ST_INSTANCES, i, id, sizeof id);
        out = NULL;
        read_done(bpmn_instance_show(E, id, &out), &out);
    }
    id_of(ST_INSTANCES, pick, id, sizeof id);
    read_done(bpmn_history(E, id, &out), &out);
    out = NULL;
    read_done(bpmn_instance_list(E, NULL, NULL, &out), &out);
    out = NULL;
    read_done(bpmn_instance_list(E, "fz", "active", &out), &out);
    bpmn_task_filter f = {0};
    out = NULL;
    read_done(bpmn_task_query(E, &f, &out), &out);
    f.candidate_user = "bob";
    f.candidate_group = "sales";
    out = NULL;
    read_done(bpmn_task_query(E, &f, &out), &out);
    out = NULL;
    read_done(bpmn_task_list(E, NULL, "anna", NULL, &out), &out);
    out = NULL;
    read_done(bpmn_job_list(E, NULL, &out), &out);
    out = NULL;
    read_done(bpmn_definitions(E, &out), &out);
    size_t xl;
    out = NULL;
    read_done(bpmn_definition_xml(E, "fz", 0, &out, &xl), NULL);
    free(out);
    out = NULL;
    read_done(bpmn_history(E, NULL, &out), &out);
    read_done(bpmn_history_each(E, pick & 1 ? id : NULL, pick >> 4, each_line, NULL), NULL);
    out = NULL;
    read_done(bpmn_report_funnel(E, "fz", &out), &out);
    out = NULL;
    read_done(bpmn_report_funnel(E, NULL, &out), &out);
    out = NULL;
    read_done(bpmn_report_funnel_by(E, "fz", "order", &out), &out);
    out = NULL;
    read_done(bpmn_report_durations(E, NULL, &out), &out);
    out = NULL;
    read_done(bpmn_report_tasks(E, NULL, 0, 0, &out), &out);
    long long due;
    read_done(bpmn_next_timer(E, &due), NULL);
}

#define NWRITES 16

/* One write operation; a failure aborts the batch. */
static void run_write(int op)
{
    char *out = NULL;
    char id[32];
    bpmn_actor anna = {"anna", "sales,ops"};
    switch (op) {
    case 0:
        id_of(ST_TASKS, 0, id, sizeof id);
        read_done(bpmn_task_complete(E, id, "{\"ok\":true}", &out), &out);
        break;
    case 1:
        id_of(ST_TASKS, 1, id, sizeof id);
        read_done(bpmn_task_claim(E, id, &anna, &out), &out);
        break;
    case 2:
        id_of(ST_TASKS, 0, id, sizeof id);
        read_done(bpmn_task_unclaim(E, id, &anna, &out), &out);
        break;
    case 3:
        id_of(ST_JOBS, 0, id, sizeof id);
        read_done(bpmn_job_complete(E, id, "{\"r\":1}", &out), &out);
        break;
    case 4:
        id_of(ST_JOBS, 0, id, sizeof id);
        read_done(bpmn_job_fail(E, id, "boom", (op & 1) - 1, NULL, &out), &out);
        break;
    case 5:
        read_done(bpmn_correlate(E, "go", "A-1", "{\"paid\":1}", &out), &out);
        break;
    case 6:
        read_done(bpmn_correlate(E, "begin", NULL, NULL, &out), &out);
        break;
    case 7:
        read_done(bpmn_signal(E, "stop", NULL, &out), &out);
        break;
    case 8:
        read_done(bpmn_tick(E, &out), &out);
        break;
    case 9:
        id_of(ST_INSTANCES, 1, id, sizeof id);
        read_done(bpmn_instance_set_vars(E, id, "{\"x\":2}", &out), &out);
        break;
    case 10:
        id_of(ST_INSTANCES, 1, id, sizeof id);
        read_done(bpmn_instance_suspend(E, id, &out), &out);
        if (E->batch) {
            out = NULL;
            read_done(bpmn_instance_resume(E, id, &out), &out);
        }
        break;
    case 11:
        id_of(ST_INSTANCES, 3, id, sizeof id);
        read_done(bpmn_instance_retry(E, id, &out), &out);
        break;
    case 12:
        id_of(ST_INSTANCES, 2, id, sizeof id);
        read_done(bpmn_instance_migrate(E, id, 1, NULL, &out), &out);
        break;
    case 13:
        id_of(ST_INSTANCES, 1, id, sizeof id);
        read_done(bpmn_instance_cancel_by(E, id, "root", &out), &out);
        break;
    case 14:
        read_done(bpmn_purge(E, NOW + 86400000LL, NULL, &out), &out);
        break;
    default: {
        unsigned long long purged;
        read_done(bpmn_purge_expired(E, &purged), NULL);
        break;
    }
    }
}

/* Drops every cached definition: one parsed from a fuzzed record inside the aborted batch must
 * not outlive it. */
static void forget_defs(void)
{
    while (E->ndefs) {
        char name[256];
        snprintf(name, sizeof name, "%s", E->defs[0]->process);
        en_def_forget(E, name);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!E)
        setup();
    if (size < 3)
        return 0;
    st_table tb = (st_table)((data[0] & 0x0F) % ST_TABLE_COUNT);
    int op = data[2] % NWRITES;
    const uint8_t *key, *val = data + 3;
    size_t kl, vl = size - 3;
    if (data[0] & 0x80) {
        if (vl < 1 || (size_t)val[0] > vl - 1)
            return 0;
        kl = val[0];
        key = val + 1;
        val += 1 + kl;
        vl -= 1 + kl;
        if (kl == 0)
            return 0; /* LMDB refuses empty keys */
    } else {
        if (!KEYS[tb].n)
            return 0;
        size_t i = data[1] % KEYS[tb].n;
        key = KEYS[tb].k[i];
        kl = KEYS[tb].kl[i];
    }
    bpmn_engine_set_now(E, NOW);
    CHECK(bpmn_batch_begin(E) == BPMN_OK);
    CHECK(st_put(E->batch, tb, key, kl, val, vl) == BPMN_OK);
    run_reads(data[2] >> 4);
    for (int i = 0; i < NWRITES && E->batch; i++)
        run_write((op + i) % NWRITES);
    bpmn_batch_abort(E);
    if (tb == ST_DEFS)
        forget_defs();
    return 0;
}
