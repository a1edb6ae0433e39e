/*
 * test_faults.c - fault injection: every engine operation run with its Nth allocation failing,
 * for every N, and its Nth store write or commit failing (ENOSPC, EIO, a full map), for every N;
 * a map too small to hold the data; data files that are damaged or not stores at all. Each
 * failed call must return its error with a message, leak nothing, leave the store byte for byte
 * as it was and the engine usable: the same call then gives what it gives on a fresh store.
 *
 * Memory inside libxml2 and cJSON does not go through the engine's allocator, so only the
 * engine's own allocations are failed here; ASan's leak check covers the rest. To look at one
 * operation: FAULTS_ONLY="rich: start" build/tests/test_faults.
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

#define T0 1767258000000LL /* 2026-01-01T09:00:00Z */
#define HOUR 3600000LL

/* ---- a counting allocator that fails one chosen call ------------------------------------- */

typedef struct fa {
    long calls;    /* allocations and reallocations since the count was reset */
    long fail_at;  /* the call that fails; 0: none */
    int sticky;    /* every call after it fails too */
    int hit;       /* the failing call came */
    long live;     /* blocks allocated and not freed */
    size_t bytes;
} fa;

static fa FA;

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

static const bpmn_allocator ALLOC = {fa_alloc, &FA};

static void fa_arm(long n)
{
    FA.calls = 0;
    FA.fail_at = n;
    FA.sticky = 0;
    FA.hit = 0;
}

/* ---- an engine on a fresh store, and the diagrams ----------------------------------------- */

typedef struct env {
    bpmn_engine *e;
    char path[64];
    long long now;
    char inst[32], task[32], job[32], child[32]; /* what the setup left for the operation */
} env;

static long long env_clock(void *ud)
{
    return *(const long long *)ud;
}

static void env_remove_files(const char *path)
{
    char lock[128];
    snprintf(lock, sizeof lock, "%s-lock", path);
    unlink(path);
    unlink(lock);
}

static int history_level; /* of the engines the tests open */

static void env_open(env *v, size_t map_size, size_t map_max)
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
    o.history_level = history_level;
    char err[256] = "";
    int rc = bpmn_engine_open(&o, &v->e, err, sizeof err);
    if (rc != BPMN_OK)
        fprintf(stderr, "open %s: %s\n", v->path, err);
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
}

static void env_close(env *v)
{
    bpmn_engine_close(v->e);
    env_remove_files(v->path);
    v->e = NULL;
}

#define HEAD                                                                                   \
    "<?xml version=\"1.0\"?>\n<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" " \
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" "                                     \
    "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\">\n"
#define FLOW(id, a, b) "<sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"/>\n"

/* One pass through every kind of wait: a user task with a form and candidates, a gateway, a
 * job, a message with a key, a timer and a signal; and a process started by a message. */
#define ORDER_BODY(extra)                                                                      \
    "<startEvent id=\"s\"/>" FLOW("f0", "s", "review")                                         \
    "<userTask id=\"review\" name=\"Review\" camunda:candidateGroups=\"staff\" "               \
    "camunda:dueDate=\"2026-01-02T09:00:00Z\"><extensionElements><camunda:formData>"           \
    "<camunda:formField id=\"approved\" type=\"boolean\"/></camunda:formData>"                 \
    "</extensionElements></userTask>" FLOW("f1", "review", "gw")                               \
    "<exclusiveGateway id=\"gw\" default=\"f3\"/>"                                             \
    "<sequenceFlow id=\"f2\" sourceRef=\"gw\" targetRef=\"charge\"><conditionExpression>"      \
    "=approved = true</conditionExpression></sequenceFlow>" FLOW("f3", "gw", "no")             \
    "<endEvent id=\"no\"/>"                                                                    \
    "<serviceTask id=\"charge\"><extensionElements><zeebe:taskDefinition type=\"charge\" "     \
    "retries=\"2\"/></extensionElements></serviceTask>" FLOW("f4", "charge", "paid")           \
    "<intermediateCatchEvent id=\"paid\"><messageEventDefinition messageRef=\"Paid\"/>"        \
    "</intermediateCatchEvent>" FLOW("f5", "paid", "wait")                                     \
    "<intermediateCatchEvent id=\"wait\"><timerEventDefinition><timeDuration>PT1H"             \
    "</timeDuration></timerEventDefinition></intermediateCatchEvent>" FLOW("f6", "wait", "go")  \
    "<intermediateCatchEvent id=\"go\"><signalEventDefinition signalRef=\"Go\"/>"              \
    "</intermediateCatchEvent>" FLOW("f7", "go", extra) 

#define ORDER_DOC(extra, more)                                                                 \
    HEAD "<message id=\"Paid\" name=\"payment\"><extensionElements><zeebe:subscription "        \
    "correlationKey=\"=orderId\"/></extensionElements></message>"                              \
    "<message id=\"Lead\" name=\"lead\"/><signal id=\"Go\" name=\"go\"/>"                      \
    "<process id=\"order\" isExecutable=\"true\" camunda:historyTimeToLive=\"1\">"             \
    ORDER_BODY(extra) more "</process>"                                                        \
    "<process id=\"intake\" isExecutable=\"true\"><startEvent id=\"ls\">"                      \
    "<messageEventDefinition messageRef=\"Lead\"/></startEvent>" FLOW("g0", "ls", "call")      \
    "<userTask id=\"call\" camunda:assignee=\"ann\"/>" FLOW("g1", "call", "le")                \
    "<endEvent id=\"le\"/></process></definitions>"

static const char DOC1[] = ORDER_DOC("e", "<endEvent id=\"e\"/>");
/* Version 2 of order: one more task before the end; every element of version 1 is there. */
static const char DOC2[] = ORDER_DOC("extra", "<userTask id=\"extra\"/>" FLOW("f8", "extra", "e")
                                              "<endEvent id=\"e\"/>");

/* More of the engine: a script, an inclusive fork and join, a sub-process with a
 * multi-instance user task and a non-interrupting boundary timer, a call activity, an error
 * boundary event on a job and a non-interrupting event sub-process started by a message. */
static const char RICH[] =
    "<?xml version=\"1.0\"?>\n"
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\">\n"
    "<message id=\"Cancel\" name=\"cancelReq\"><extensionElements><zeebe:subscription correlationKey=\"=key\"/></extensionElements></message>\n"
    "<error id=\"Err\" errorCode=\"SHIP\"/>\n"
    "<process id=\"rich\" isExecutable=\"true\">\n"
    "<startEvent id=\"s\"/><sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"calc\"/>\n"
    "<scriptTask id=\"calc\"><extensionElements><zeebe:script expression=\"=amount * 2\" resultVariable=\"double\"/></extensionElements></scriptTask>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"calc\" targetRef=\"ig\"/>\n"
    "<inclusiveGateway id=\"ig\"/>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"ig\" targetRef=\"sp\"><conditionExpression>=amount &gt; 10</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"ig\" targetRef=\"call\"><conditionExpression>=true</conditionExpression></sequenceFlow>\n"
    "<subProcess id=\"sp\"><startEvent id=\"ss\"/><sequenceFlow id=\"g1\" sourceRef=\"ss\" targetRef=\"approve\"/>\n"
    "<userTask id=\"approve\"><extensionElements><zeebe:assignmentDefinition assignee=\"=approver\"/></extensionElements>\n"
    "<multiInstanceLoopCharacteristics><extensionElements><zeebe:loopCharacteristics inputCollection=\"=approvers\" inputElement=\"approver\"/></extensionElements></multiInstanceLoopCharacteristics></userTask>\n"
    "<sequenceFlow id=\"g2\" sourceRef=\"approve\" targetRef=\"se\"/><endEvent id=\"se\"/></subProcess>\n"
    "<boundaryEvent id=\"bt\" attachedToRef=\"sp\" cancelActivity=\"false\"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"bt\" targetRef=\"remind\"/><userTask id=\"remind\"/><sequenceFlow id=\"f5\" sourceRef=\"remind\" targetRef=\"re\"/><endEvent id=\"re\"/>\n"
    "<callActivity id=\"call\"><extensionElements><zeebe:calledElement processId=\"kid\"/></extensionElements></callActivity>\n"
    "<sequenceFlow id=\"f6\" sourceRef=\"sp\" targetRef=\"ij\"/><sequenceFlow id=\"f7\" sourceRef=\"call\" targetRef=\"ij\"/>\n"
    "<inclusiveGateway id=\"ij\"/><sequenceFlow id=\"f8\" sourceRef=\"ij\" targetRef=\"ship\"/>\n"
    "<serviceTask id=\"ship\"><extensionElements><zeebe:taskDefinition type=\"ship\"/></extensionElements></serviceTask>\n"
    "<boundaryEvent id=\"be\" attachedToRef=\"ship\"><errorEventDefinition errorRef=\"Err\"/></boundaryEvent>\n"
    "<sequenceFlow id=\"f9\" sourceRef=\"be\" targetRef=\"failed\"/><endEvent id=\"failed\"/>\n"
    "<sequenceFlow id=\"f10\" sourceRef=\"ship\" targetRef=\"e\"/><endEvent id=\"e\"/>\n"
    "<subProcess id=\"evs\" triggeredByEvent=\"true\"><startEvent id=\"evstart\" isInterrupting=\"false\"><messageEventDefinition messageRef=\"Cancel\"/></startEvent>\n"
    "<sequenceFlow id=\"h1\" sourceRef=\"evstart\" targetRef=\"handle\"/><userTask id=\"handle\"/><sequenceFlow id=\"h2\" sourceRef=\"handle\" targetRef=\"he\"/><endEvent id=\"he\"/></subProcess>\n"
    "</process>\n"
    "<process id=\"kid\" isExecutable=\"true\"><startEvent id=\"ks\"/><sequenceFlow id=\"k1\" sourceRef=\"ks\" targetRef=\"kt\"/><userTask id=\"kt\"/><sequenceFlow id=\"k2\" sourceRef=\"kt\" targetRef=\"ke\"/><endEvent id=\"ke\"/></process>\n"
    "</definitions>\n";

/* And more: input and output mappings, an escalation caught by a non-interrupting boundary
 * event, a repeating boundary timer, compensation of a completed job. */
static const char MORE[] =
    "<?xml version=\"1.0\"?>\n"
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\">\n"
    "<escalation id=\"Esc\" escalationCode=\"LATE\"/>\n"
    "<process id=\"more\" isExecutable=\"true\">\n"
    "<startEvent id=\"s\"/><sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"book\"/>\n"
    "<serviceTask id=\"book\"><extensionElements><zeebe:taskDefinition type=\"book\"/><zeebe:ioMapping><zeebe:input source=\"=amount + 1\" target=\"price\"/><zeebe:output source=\"=ref\" target=\"bookingRef\"/></zeebe:ioMapping></extensionElements></serviceTask>\n"
    "<boundaryEvent id=\"undo\" attachedToRef=\"book\"><compensateEventDefinition/></boundaryEvent>\n"
    "<serviceTask id=\"cancelBooking\" isForCompensation=\"true\"><extensionElements><zeebe:taskDefinition type=\"unbook\"/></extensionElements></serviceTask>\n"
    "<association id=\"a1\" sourceRef=\"undo\" targetRef=\"cancelBooking\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"book\" targetRef=\"sp\"/>\n"
    "<subProcess id=\"sp\"><startEvent id=\"ss\"/><sequenceFlow id=\"g1\" sourceRef=\"ss\" targetRef=\"review\"/>\n"
    "<userTask id=\"review\"/><sequenceFlow id=\"g2\" sourceRef=\"review\" targetRef=\"gx\"/>\n"
    "<exclusiveGateway id=\"gx\" default=\"g4\"/>\n"
    "<sequenceFlow id=\"g3\" sourceRef=\"gx\" targetRef=\"esc\"><conditionExpression>=late = true</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"g4\" sourceRef=\"gx\" targetRef=\"se\"/>\n"
    "<endEvent id=\"esc\"><escalationEventDefinition escalationRef=\"Esc\"/></endEvent><endEvent id=\"se\"/></subProcess>\n"
    "<boundaryEvent id=\"onLate\" attachedToRef=\"sp\" cancelActivity=\"false\"><escalationEventDefinition escalationRef=\"Esc\"/></boundaryEvent>\n"
    "<sequenceFlow id=\"f2\" sourceRef=\"onLate\" targetRef=\"notify\"/><userTask id=\"notify\"/><sequenceFlow id=\"f3\" sourceRef=\"notify\" targetRef=\"ne\"/><endEvent id=\"ne\"/>\n"
    "<boundaryEvent id=\"nag\" attachedToRef=\"sp\" cancelActivity=\"false\"><timerEventDefinition><timeCycle>R2/PT1H</timeCycle></timerEventDefinition></boundaryEvent>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"nag\" targetRef=\"nagEnd\"/><endEvent id=\"nagEnd\"/>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"sp\" targetRef=\"decide\"/>\n"
    "<exclusiveGateway id=\"decide\" default=\"f7\"/>\n"
    "<sequenceFlow id=\"f6\" sourceRef=\"decide\" targetRef=\"comp\"><conditionExpression>=late = true</conditionExpression></sequenceFlow>\n"
    "<sequenceFlow id=\"f7\" sourceRef=\"decide\" targetRef=\"e\"/>\n"
    "<endEvent id=\"comp\"><compensateEventDefinition/></endEvent><endEvent id=\"e\"/>\n"
    "</process>\n"
    "</definitions>\n";

/* And the rest: an event-based gateway, a sequential multi-instance task, a message throw, a
 * conditional event, a terminate end, an error from a child instance caught at its call
 * activity, a repeating timer start and a signal start. */
static const char MISC[] =
    "<?xml version=\"1.0\"?>\n"
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\">\n"
    "<message id=\"Ping\" name=\"ping\"><extensionElements><zeebe:subscription correlationKey=\"=k\"/></extensionElements></message>\n"
    "<message id=\"Pong\" name=\"pong\"/>\n"
    "<signal id=\"Wake\" name=\"wake\"/>\n"
    "<error id=\"E\" errorCode=\"RISK\"/>\n"
    "<process id=\"misc\" isExecutable=\"true\">\n"
    "<startEvent id=\"s\"/><sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"race\"/>\n"
    "<eventBasedGateway id=\"race\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"race\" targetRef=\"ping\"/><sequenceFlow id=\"f2\" sourceRef=\"race\" targetRef=\"late\"/>\n"
    "<intermediateCatchEvent id=\"ping\"><messageEventDefinition messageRef=\"Ping\"/></intermediateCatchEvent>\n"
    "<intermediateCatchEvent id=\"late\"><timerEventDefinition><timeDuration>PT2H</timeDuration></timerEventDefinition></intermediateCatchEvent>\n"
    "<sequenceFlow id=\"f3\" sourceRef=\"ping\" targetRef=\"steps\"/>\n"
    "<userTask id=\"steps\"><multiInstanceLoopCharacteristics isSequential=\"true\"><extensionElements><zeebe:loopCharacteristics inputCollection=\"=[1,2]\" inputElement=\"step\"/></extensionElements></multiInstanceLoopCharacteristics></userTask>\n"
    "<sequenceFlow id=\"f4\" sourceRef=\"steps\" targetRef=\"pong\"/>\n"
    "<intermediateThrowEvent id=\"pong\"><messageEventDefinition messageRef=\"Pong\"/></intermediateThrowEvent>\n"
    "<sequenceFlow id=\"f5\" sourceRef=\"pong\" targetRef=\"cond\"/>\n"
    "<intermediateCatchEvent id=\"cond\"><conditionalEventDefinition><condition>=x &gt; 5</condition></conditionalEventDefinition></intermediateCatchEvent>\n"
    "<sequenceFlow id=\"f6\" sourceRef=\"cond\" targetRef=\"stop\"/>\n"
    "<endEvent id=\"stop\"><terminateEventDefinition/></endEvent>\n"
    "<sequenceFlow id=\"f7\" sourceRef=\"late\" targetRef=\"sub\"/>\n"
    "<callActivity id=\"sub\"><extensionElements><zeebe:calledElement processId=\"failing\"/></extensionElements></callActivity>\n"
    "<boundaryEvent id=\"caught\" attachedToRef=\"sub\"><errorEventDefinition errorRef=\"E\"/></boundaryEvent>\n"
    "<sequenceFlow id=\"f8\" sourceRef=\"caught\" targetRef=\"handled\"/><endEvent id=\"handled\"/>\n"
    "<sequenceFlow id=\"f9\" sourceRef=\"sub\" targetRef=\"done\"/><endEvent id=\"done\"/>\n"
    "</process>\n"
    "<process id=\"failing\" isExecutable=\"true\"><startEvent id=\"fs\"/><sequenceFlow id=\"h0\" sourceRef=\"fs\" targetRef=\"risky\"/>\n"
    "<serviceTask id=\"risky\"><extensionElements><zeebe:taskDefinition type=\"risky\"/></extensionElements></serviceTask>\n"
    "<sequenceFlow id=\"h1\" sourceRef=\"risky\" targetRef=\"fe\"/><endEvent id=\"fe\"/></process>\n"
    "<process id=\"ticker\" isExecutable=\"true\"><startEvent id=\"ts\"><timerEventDefinition><timeCycle>R3/PT1H</timeCycle></timerEventDefinition></startEvent>\n"
    "<sequenceFlow id=\"t0\" sourceRef=\"ts\" targetRef=\"tt\"/><userTask id=\"tt\"/><sequenceFlow id=\"t1\" sourceRef=\"tt\" targetRef=\"te\"/><endEvent id=\"te\"/></process>\n"
    "<process id=\"sig\" isExecutable=\"true\"><startEvent id=\"ws\"><signalEventDefinition signalRef=\"Wake\"/></startEvent>\n"
    "<sequenceFlow id=\"w0\" sourceRef=\"ws\" targetRef=\"wt\"/><userTask id=\"wt\"/><sequenceFlow id=\"w1\" sourceRef=\"wt\" targetRef=\"we\"/><endEvent id=\"we\"/></process>\n"
    "</definitions>\n";

/* ---- calls that must succeed while the state is built ------------------------------------ */

/* Takes the address of the answer: the call (an argument) has run when it is read. */
static char *must(env *v, int rc, char **out, const char *what)
{
    if (rc != BPMN_OK)
        fprintf(stderr, "%s: %s: %s\n", what, bpmn_strerror(rc), bpmn_engine_errmsg(v->e));
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    return *out;
}

/* The string member key of the first element of a JSON array (or of an object) into buf. */
static void member(const char *json, const char *key, char *buf, size_t cap)
{
    cJSON *j = cJSON_Parse(json);
    cJSON *o = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, 0) : j;
    cJSON *m = cJSON_GetObjectItem(o, key);
    CU_ASSERT_FATAL(cJSON_IsString(m));
    snprintf(buf, cap, "%s", m->valuestring);
    cJSON_Delete(j);
}

static void deploy(env *v, const char *doc)
{
    char *out = NULL;
    bpmn_free(v->e, must(v, bpmn_deploy(v->e, "order.bpmn", doc, strlen(doc), &out), &out, "deploy"));
}

/* Starts an order and brings it to stage: 0 review, 1 charge (a job), 2 paid, 3 wait, 4 go,
 * 5 completed. Leaves its instance, task and job ids in v. */
static void order_at(env *v, const char *key, int stage)
{
    char *out = NULL, vars[64];
    snprintf(vars, sizeof vars, "{\"orderId\":\"%s\",\"region\":\"north\"}", key);
    must(v, bpmn_instance_start(v->e, "order", 0, vars, key, &out), &out, "start");
    member(out, "instance", v->inst, sizeof v->inst);
    bpmn_free(v->e, out);
    must(v, bpmn_task_list(v->e, v->inst, NULL, NULL, &out), &out, "tasks");
    member(out, "id", v->task, sizeof v->task);
    bpmn_free(v->e, out);
    if (stage < 1)
        return;
    bpmn_free(v->e, must(v, bpmn_task_complete(v->e, v->task, "{\"approved\":true}", &out), &out,
                         "complete"));
    must(v, bpmn_job_list(v->e, "charge", &out), &out, "jobs");
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
    bpmn_free(v->e, must(v, bpmn_job_complete(v->e, v->job, "{\"receipt\":7}", &out), &out, "job"));
    if (stage < 3)
        return;
    bpmn_free(v->e, must(v, bpmn_correlate(v->e, "payment", key, "{\"paid\":1}", &out), &out,
                         "correlate"));
    if (stage < 4)
        return;
    v->now += 2 * HOUR;
    bpmn_free(v->e, must(v, bpmn_tick(v->e, &out), &out, "tick"));
    if (stage < 5)
        return;
    bpmn_free(v->e, must(v, bpmn_signal(v->e, "go", NULL, &out), &out, "signal"));
}

/* ---- a digest of every table of the store ------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static uint64_t digest(env *v)
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

/* ---- the operations ----------------------------------------------------------------------- */

/* An operation under test: setup brings a fresh engine to the state it needs (with nothing
 * failing), run does it once and leaves what it answered in *res (test memory, or NULL). */
typedef struct op {
    const char *name;
    void (*setup)(env *v);
    int (*run)(env *v, char **res);
    int writes; /* swept with store faults too */
    int batch;  /* runs in a batch: a full map is not grown under it */
    int multi;  /* several transactions by design (purge; tick with several timers due) */
} op;

/* The engine's answer becomes the test's: the engine's string is freed at once, so that the
 * live blocks after the call can be compared with those before it. */
static int take(env *v, int rc, char *out, char **res)
{
    *res = out ? strdup(out) : NULL;
    bpmn_free(v->e, out);
    return rc;
}

#define RUN(name, body)                                          \
    static int run_##name(env *v, char **res)                    \
    {                                                            \
        char *out = NULL;                                        \
        int rc = (body);                                         \
        return take(v, rc, out, res);                            \
    }

static const bpmn_actor ANN = {"ann", "staff"};

static void at_nothing(env *v) { (void)v; }
static void at_deployed(env *v) { deploy(v, DOC1); }
static void at_review(env *v) { deploy(v, DOC1); order_at(v, "A1", 0); }
static void at_claimed(env *v)
{
    at_review(v);
    char *out = NULL;
    bpmn_free(v->e, must(v, bpmn_task_claim(v->e, v->task, &ANN, &out), &out, "claim"));
}
static void at_charge(env *v) { deploy(v, DOC1); order_at(v, "A1", 1); }
static void at_paid(env *v) { deploy(v, DOC1); order_at(v, "A1", 2); }
static void at_wait(env *v) { deploy(v, DOC1); order_at(v, "A1", 3); v->now += 2 * HOUR; }
static void at_go(env *v) { deploy(v, DOC1); order_at(v, "A1", 4); }
/* Several instances in every stage, one finished, one cancelled, one in an incident: what the
 * lists, the history and the reports read. */
static void at_mixed(env *v)
{
    deploy(v, DOC1);
    char key[16];
    for (int stage = 0; stage <= 5; stage++) {
        snprintf(key, sizeof key, "K%d", stage);
        order_at(v, key, stage);
        v->now += HOUR / 4;
    }
    char *out = NULL;
    order_at(v, "X", 0);
    bpmn_free(v->e, must(v, bpmn_instance_cancel(v->e, v->inst, &out), &out, "cancel"));
    order_at(v, "I", 1);
    bpmn_free(v->e, must(v, bpmn_job_fail(v->e, v->job, "down", 0, NULL, &out), &out, "fail"));
    order_at(v, "R", 0);
    bpmn_free(v->e, must(v, bpmn_task_claim(v->e, v->task, &ANN, &out), &out, "claim"));
    v->now += 3 * 24 * HOUR; /* past the due date and the history time to live */
}
static void at_incident(env *v)
{
    at_charge(v);
    char *out = NULL;
    bpmn_free(v->e, must(v, bpmn_job_fail(v->e, v->job, "down", 0, NULL, &out), &out, "fail"));
}
static void at_suspended(env *v)
{
    at_review(v);
    char *out = NULL;
    bpmn_free(v->e, must(v, bpmn_instance_suspend(v->e, v->inst, &out), &out, "suspend"));
}
static void at_two_versions(env *v) { at_review(v); deploy(v, DOC2); }
static void at_finished(env *v)
{
    at_mixed(v);
    v->now += 24 * HOUR;
}

RUN(deploy, bpmn_deploy(v->e, "order.bpmn", DOC1, sizeof DOC1 - 1, &out))
RUN(deploy_v2, bpmn_deploy(v->e, "order.bpmn", DOC2, sizeof DOC2 - 1, &out))
RUN(start, bpmn_instance_start(v->e, "order", 0, "{\"orderId\":\"B2\",\"n\":[1,2]}", "B2", &out))
RUN(start_v1, bpmn_instance_start(v->e, "order", 1, NULL, NULL, &out))
RUN(show, bpmn_instance_show(v->e, v->inst, &out))
RUN(list, bpmn_instance_list(v->e, NULL, NULL, &out))
RUN(list_active, bpmn_instance_list(v->e, "order", "active", &out))
RUN(task_list, bpmn_task_list(v->e, NULL, NULL, "staff", &out))
RUN(task_query, bpmn_task_query(v->e, &(bpmn_task_filter){.worklist = &ANN, .limit = 5}, &out))
RUN(task_overdue, bpmn_task_query(v->e, &(bpmn_task_filter){.process = "order", .overdue = 1}, &out))
RUN(claim, bpmn_task_claim(v->e, v->task, &ANN, &out))
RUN(unclaim, bpmn_task_unclaim(v->e, v->task, &ANN, &out))
RUN(complete, bpmn_task_complete(v->e, v->task, "{\"approved\":true,\"note\":\"ok\"}", &out))
RUN(complete_as, bpmn_task_complete_as(v->e, v->task, &ANN, "{\"approved\":false}", &out))
RUN(job_list, bpmn_job_list(v->e, NULL, &out))
RUN(job_complete, bpmn_job_complete(v->e, v->job, "{\"receipt\":9}", &out))
RUN(job_fail, bpmn_job_fail(v->e, v->job, "timeout", -1, NULL, &out))
RUN(job_fail_last, bpmn_job_fail(v->e, v->job, "down", 0, NULL, &out))
RUN(job_throw, bpmn_job_fail(v->e, v->job, "no", -1, "E42", &out))
RUN(correlate, bpmn_correlate(v->e, "payment", "A1", "{\"paid\":2}", &out))
RUN(correlate_start, bpmn_correlate(v->e, "lead", NULL, "{\"who\":\"x\"}", &out))
RUN(signal, bpmn_signal(v->e, "go", "{\"s\":1}", &out))
RUN(tick, bpmn_tick(v->e, &out))
RUN(tick_max, bpmn_tick_max(v->e, 1, &out))
RUN(cancel, bpmn_instance_cancel(v->e, v->inst, &out))
RUN(cancel_by, bpmn_instance_cancel_by(v->e, v->inst, "boss", &out))
RUN(suspend, bpmn_instance_suspend(v->e, v->inst, &out))
RUN(resume, bpmn_instance_resume(v->e, v->inst, &out))
RUN(set_vars, bpmn_instance_set_vars(v->e, v->inst, "{\"fix\":true,\"n\":{\"a\":[1]}}", &out))
RUN(retry, bpmn_instance_retry(v->e, v->inst, &out))
RUN(migrate, bpmn_instance_migrate(v->e, v->inst, 2, NULL, &out))
RUN(migrate_map, bpmn_instance_migrate(v->e, v->inst, 2, "review=review", &out))
RUN(definitions, bpmn_definitions(v->e, &out))
RUN(history_one, bpmn_history(v->e, v->inst, &out))
RUN(history_all, bpmn_history(v->e, NULL, &out))
RUN(purge, bpmn_purge(v->e, v->now, NULL, &out))
RUN(funnel, bpmn_report_funnel(v->e, "order", &out))
RUN(funnel_by, bpmn_report_funnel_by(v->e, "order", "region", &out))
RUN(durations, bpmn_report_durations(v->e, NULL, &out))
RUN(report_tasks, bpmn_report_tasks(v->e, NULL, 0, 0, &out))

static int run_definition_xml(env *v, char **res)
{
    char *out = NULL;
    size_t len = 0;
    int rc = bpmn_definition_xml(v->e, "order", 0, &out, &len);
    CU_ASSERT(rc != BPMN_OK || len == sizeof DOC1 - 1);
    return take(v, rc, out, res);
}

static int run_next_timer(env *v, char **res)
{
    long long due = 0;
    int rc = bpmn_next_timer(v->e, &due);
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", due);
    *res = rc == BPMN_OK ? strdup(buf) : NULL;
    return rc;
}

static int run_purge_expired(env *v, char **res)
{
    unsigned long long n = 0;
    int rc = bpmn_purge_expired(v->e, &n);
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", n);
    *res = rc == BPMN_OK ? strdup(buf) : NULL;
    return rc;
}

typedef struct lines {
    char *p;
    size_t n;
} lines;

static int collect(void *ud, const char *json)
{
    lines *l = ud;
    size_t k = strlen(json);
    char *p = realloc(l->p, l->n + k + 2);
    if (!p)
        return 1;
    memcpy(p + l->n, json, k);
    p[l->n + k] = '\n';
    p[l->n + k + 1] = '\0';
    l->p = p;
    l->n += k + 1;
    return 0;
}

static int run_history_each(env *v, char **res)
{
    lines l = {NULL, 0};
    int rc = bpmn_history_each(v->e, NULL, 3, collect, &l);
    if (rc != BPMN_OK) {
        free(l.p);
        l.p = NULL;
    }
    *res = l.p;
    return rc;
}

/* A batch: two calls in one transaction. A failed call aborts the batch, which leaves the store
 * as it was before it began. */
static int run_batch(env *v, char **res)
{
    *res = NULL;
    int rc = bpmn_batch_begin(v->e);
    if (rc != BPMN_OK)
        return rc;
    char *out = NULL;
    rc = bpmn_instance_start(v->e, "order", 0, "{\"orderId\":\"C3\"}", "C3", &out);
    bpmn_free(v->e, out);
    out = NULL;
    if (rc == BPMN_OK)
        rc = bpmn_task_complete(v->e, v->task, "{\"approved\":true}", &out);
    if (rc != BPMN_OK) {
        bpmn_free(v->e, out);
        CU_ASSERT_PTR_NULL(v->e->batch); /* the batch is gone */
        return rc;
    }
    int crc = bpmn_batch_commit(v->e);
    return take(v, crc == BPMN_OK ? rc : crc, crc == BPMN_OK ? out : (bpmn_free(v->e, out), NULL),
                res);
}

static int charge_ok(void *ud, const bpmn_job_info *job, bpmn_job_result *r)
{
    (void)ud;
    (void)job;
    return bpmn_job_result_vars(r, "{\"charged\":true}");
}

static void heard(void *ud, const char *message, const char *key, const char *vars)
{
    (void)ud;
    (void)message;
    (void)key;
    (void)vars;
}

static int run_handlers(env *v, char **res)
{
    *res = NULL;
    int rc = bpmn_job_handler_set(v->e, "charge", charge_ok, NULL);
    if (rc == BPMN_OK)
        rc = bpmn_job_handler_set(v->e, "charge", NULL, NULL);
    if (rc == BPMN_OK)
        rc = bpmn_message_handler_set(v->e, heard, NULL);
    return rc;
}

/* A task completion that reaches a job type with an in-process handler. */
static int run_complete_handled(env *v, char **res)
{
    int rc = bpmn_job_handler_set(v->e, "charge", charge_ok, NULL);
    if (rc != BPMN_OK) {
        *res = NULL;
        return rc;
    }
    char *out = NULL;
    rc = bpmn_task_complete(v->e, v->task, "{\"approved\":true}", &out);
    bpmn_job_handler_set(v->e, "charge", NULL, NULL);
    return take(v, rc, out, res);
}

/* The first open task of an instance at an element, into buf. */
static void task_at(env *v, const char *inst, const char *element, char *buf, size_t cap)
{
    char *out = NULL;
    must(v, bpmn_task_list(v->e, inst, NULL, NULL, &out), &out, "tasks");
    cJSON *l = cJSON_Parse(out), *t;
    buf[0] = '\0';
    cJSON_ArrayForEach(t, l)
        if (!buf[0] && strcmp(cJSON_GetObjectItem(t, "element")->valuestring, element) == 0)
            snprintf(buf, cap, "%s", cJSON_GetObjectItem(t, "id")->valuestring);
    cJSON_Delete(l);
    bpmn_free(v->e, out);
    CU_ASSERT_FATAL(buf[0] != '\0');
}

static void complete_now(env *v, const char *task)
{
    char *out = NULL;
    bpmn_free(v->e, must(v, bpmn_task_complete(v->e, task, "{\"ok\":true}", &out), &out, "complete"));
}

static void at_rich_deployed(env *v) { deploy(v, RICH); }
static void at_rich_started(env *v)
{
    deploy(v, RICH);
    char *out = NULL;
    must(v, bpmn_instance_start(v->e, "rich", 0, "{\"amount\":20,\"approvers\":[\"ann\",\"bob\"],"
                                "\"key\":\"K1\"}", "K1", &out), &out, "start");
    member(out, "instance", v->inst, sizeof v->inst);
    bpmn_free(v->e, out);
    must(v, bpmn_instance_show(v->e, v->inst, &out), &out, "show");
    cJSON *j = cJSON_Parse(out);
    snprintf(v->child, sizeof v->child, "%s",
             cJSON_GetArrayItem(cJSON_GetObjectItem(j, "children"), 0)->valuestring);
    cJSON_Delete(j);
    bpmn_free(v->e, out);
    task_at(v, v->inst, "approve", v->task, sizeof v->task);
}
static void at_rich_one_approved(env *v)
{
    at_rich_started(v);
    complete_now(v, v->task);
    task_at(v, v->inst, "approve", v->task, sizeof v->task);
}
static void at_rich_approved(env *v)
{
    at_rich_one_approved(v);
    complete_now(v, v->task);
    task_at(v, v->child, "kt", v->task, sizeof v->task);
}
static void at_rich_timer(env *v)
{
    at_rich_started(v);
    v->now += 2 * HOUR;
}
static void at_rich_ship(env *v)
{
    at_rich_approved(v);
    complete_now(v, v->task);
    char *out = NULL;
    must(v, bpmn_job_list(v->e, "ship", &out), &out, "jobs");
    member(out, "id", v->job, sizeof v->job);
    bpmn_free(v->e, out);
}

RUN(rich_deploy, bpmn_deploy(v->e, "rich.bpmn", RICH, sizeof RICH - 1, &out))
RUN(rich_start, bpmn_instance_start(v->e, "rich", 0, "{\"amount\":20,\"approvers\":[\"a\",\"b\",\"c\"],"
                                    "\"key\":\"K2\"}", NULL, &out))
RUN(rich_correlate, bpmn_correlate(v->e, "cancelReq", "K1", "{\"why\":\"late\"}", &out))
RUN(rich_throw, bpmn_job_fail(v->e, v->job, "no stock", -1, "SHIP", &out))
RUN(rich_children, bpmn_instance_list(v->e, "kid", NULL, &out))

static void job_of_type(env *v, const char *type)
{
    char *out = NULL;
    must(v, bpmn_job_list(v->e, type, &out), &out, "jobs");
    member(out, "id", v->job, sizeof v->job);
    bpmn_free(v->e, out);
}

static void at_more_deployed(env *v) { deploy(v, MORE); }
static void at_more_book(env *v)
{
    deploy(v, MORE);
    char *out = NULL;
    must(v, bpmn_instance_start(v->e, "more", 0, "{\"amount\":5}", NULL, &out), &out, "start");
    member(out, "instance", v->inst, sizeof v->inst);
    bpmn_free(v->e, out);
    job_of_type(v, "book");
}
static void at_more_review(env *v)
{
    at_more_book(v);
    char *out = NULL;
    bpmn_free(v->e, must(v, bpmn_job_complete(v->e, v->job, "{\"ref\":\"R9\"}", &out), &out, "job"));
    task_at(v, v->inst, "review", v->task, sizeof v->task);
}
static void at_more_cycle(env *v)
{
    at_more_review(v);
    v->now += 90 * 60000LL;
}
static void at_more_compensating(env *v)
{
    at_more_review(v);
    char *out = NULL;
    bpmn_free(v->e, must(v, bpmn_task_complete(v->e, v->task, "{\"late\":true}", &out), &out,
                         "complete"));
    job_of_type(v, "unbook");
}

RUN(more_deploy, bpmn_deploy(v->e, "more.bpmn", MORE, sizeof MORE - 1, &out))
RUN(more_start, bpmn_instance_start(v->e, "more", 0, "{\"amount\":7}", "M1", &out))
RUN(more_book, bpmn_job_complete(v->e, v->job, "{\"ref\":\"R10\"}", &out))
RUN(more_late, bpmn_task_complete(v->e, v->task, "{\"late\":true}", &out))

static void at_misc_deployed(env *v) { deploy(v, MISC); }
static void at_misc_started(env *v)
{
    deploy(v, MISC);
    char *out = NULL;
    must(v, bpmn_instance_start(v->e, "misc", 0, "{\"k\":\"A\",\"x\":1}", NULL, &out), &out, "start");
    member(out, "instance", v->inst, sizeof v->inst);
    bpmn_free(v->e, out);
}
static void at_misc_steps(env *v)
{
    at_misc_started(v);
    char *out = NULL;
    bpmn_free(v->e, must(v, bpmn_correlate(v->e, "ping", "A", NULL, &out), &out, "correlate"));
    task_at(v, v->inst, "steps", v->task, sizeof v->task);
}
static void at_misc_last_step(env *v)
{
    at_misc_steps(v);
    complete_now(v, v->task);
    task_at(v, v->inst, "steps", v->task, sizeof v->task);
}
static void at_misc_cond(env *v)
{
    at_misc_last_step(v);
    complete_now(v, v->task);
}
static void at_misc_late(env *v)
{
    at_misc_started(v);
    v->now += 150 * 60000LL;
}
static void at_misc_child_job(env *v)
{
    at_misc_late(v);
    char *out = NULL;
    bpmn_free(v->e, must(v, bpmn_tick(v->e, &out), &out, "tick"));
    job_of_type(v, "risky");
}

RUN(misc_deploy, bpmn_deploy(v->e, "misc.bpmn", MISC, sizeof MISC - 1, &out))
RUN(misc_ping, bpmn_correlate(v->e, "ping", "A", "{\"p\":1}", &out))
RUN(misc_x, bpmn_instance_set_vars(v->e, v->inst, "{\"x\":9}", &out))
RUN(misc_risk, bpmn_job_fail(v->e, v->job, "risky", -1, "RISK", &out))
RUN(misc_wake, bpmn_signal(v->e, "wake", "{\"w\":1}", &out))

static int ship_throws(void *ud, const bpmn_job_info *job, bpmn_job_result *r)
{
    (void)ud;
    (void)job;
    return bpmn_job_result_error(r, "SHIP", "out of stock");
}

static int ship_fails(void *ud, const bpmn_job_info *job, bpmn_job_result *r)
{
    (void)ud;
    (void)job;
    (void)r;
    return BPMN_EIO; /* the worker's own failure: the job is stored with one retry fewer */
}

/* Completing the child's task reaches "ship", whose handler throws a caught error or fails. */
static int complete_with_ship_handler(env *v, char **res, bpmn_job_handler fn)
{
    int rc = bpmn_job_handler_set(v->e, "ship", fn, NULL);
    if (rc != BPMN_OK) {
        *res = NULL;
        return rc;
    }
    char *out = NULL;
    rc = bpmn_task_complete(v->e, v->task, NULL, &out);
    bpmn_job_handler_set(v->e, "ship", NULL, NULL);
    return take(v, rc, out, res);
}

static int run_rich_handler_throws(env *v, char **res)
{
    return complete_with_ship_handler(v, res, ship_throws);
}

static int run_rich_handler_fails(env *v, char **res)
{
    return complete_with_ship_handler(v, res, ship_fails);
}

static const op OPS[] = {
    {"deploy", at_nothing, run_deploy, 1, 0, 0},
    {"deploy a second version", at_review, run_deploy_v2, 1, 0, 0},
    {"deploy the same document again", at_deployed, run_deploy, 0, 0, 0},
    {"start", at_deployed, run_start, 1, 0, 0},
    {"start version 1", at_two_versions, run_start_v1, 0, 0, 0},
    {"show", at_mixed, run_show, 0, 0, 0},
    {"list", at_mixed, run_list, 0, 0, 0},
    {"list active", at_mixed, run_list_active, 0, 0, 0},
    {"task list", at_mixed, run_task_list, 0, 0, 0},
    {"task query (work list)", at_mixed, run_task_query, 0, 0, 0},
    {"task query (overdue)", at_mixed, run_task_overdue, 0, 0, 0},
    {"claim", at_review, run_claim, 1, 0, 0},
    {"unclaim", at_claimed, run_unclaim, 0, 0, 0},
    {"complete", at_review, run_complete, 1, 0, 0},
    {"complete as a candidate", at_review, run_complete_as, 0, 0, 0},
    {"complete reaching a job handler", at_review, run_complete_handled, 0, 0, 0},
    {"job list", at_mixed, run_job_list, 0, 0, 0},
    {"job complete", at_charge, run_job_complete, 1, 0, 0},
    {"job fail", at_charge, run_job_fail, 1, 0, 0},
    {"job fail, last retry", at_charge, run_job_fail_last, 0, 0, 0},
    {"job fail with an error code", at_charge, run_job_throw, 0, 0, 0},
    {"correlate", at_paid, run_correlate, 1, 0, 0},
    {"correlate to a message start", at_deployed, run_correlate_start, 1, 0, 0},
    {"signal", at_go, run_signal, 1, 0, 0},
    {"tick", at_wait, run_tick, 1, 0, 0},
    {"tick max", at_wait, run_tick_max, 0, 0, 0},
    {"next timer", at_wait, run_next_timer, 0, 0, 0},
    {"cancel", at_paid, run_cancel, 1, 0, 0},
    {"cancel by", at_go, run_cancel_by, 0, 0, 0},
    {"suspend", at_review, run_suspend, 1, 0, 0},
    {"resume", at_suspended, run_resume, 0, 0, 0},
    {"set variables", at_incident, run_set_vars, 1, 0, 0},
    {"retry", at_incident, run_retry, 1, 0, 0},
    {"migrate", at_two_versions, run_migrate, 1, 0, 0},
    {"migrate with a map", at_two_versions, run_migrate_map, 0, 0, 0},
    {"definitions", at_mixed, run_definitions, 0, 0, 0},
    {"definition xml", at_mixed, run_definition_xml, 0, 0, 0},
    {"history of an instance", at_mixed, run_history_one, 0, 0, 0},
    {"history of all", at_mixed, run_history_all, 0, 0, 0},
    {"history each", at_mixed, run_history_each, 0, 0, 0},
    {"purge", at_finished, run_purge, 1, 0, 1},
    {"purge expired", at_finished, run_purge_expired, 1, 0, 1},
    {"report funnel", at_mixed, run_funnel, 0, 0, 0},
    {"report funnel by", at_mixed, run_funnel_by, 0, 0, 0},
    {"report durations", at_mixed, run_durations, 0, 0, 0},
    {"report tasks", at_mixed, run_report_tasks, 0, 0, 0},
    {"batch", at_review, run_batch, 1, 1, 0},
    {"handlers", at_review, run_handlers, 0, 0, 0},
    {"rich: deploy", at_nothing, run_rich_deploy, 1, 0, 0},
    {"rich: start", at_rich_deployed, run_rich_start, 1, 0, 0},
    {"rich: complete an iteration", at_rich_started, run_complete, 1, 0, 0},
    {"rich: complete the last iteration", at_rich_one_approved, run_complete, 1, 0, 0},
    {"rich: complete the child's task", at_rich_approved, run_complete, 1, 0, 0},
    {"rich: tick a boundary timer", at_rich_timer, run_tick, 1, 0, 0},
    {"rich: correlate to an event sub-process", at_rich_started, run_rich_correlate, 1, 0, 0},
    {"rich: job fails with a caught error", at_rich_ship, run_rich_throw, 1, 0, 0},
    {"rich: job complete", at_rich_ship, run_job_complete, 1, 0, 0},
    {"rich: cancel with a child", at_rich_started, run_cancel, 1, 0, 0},
    {"rich: show", at_rich_started, run_show, 0, 0, 0},
    {"rich: list children", at_rich_started, run_rich_children, 0, 0, 0},
    {"rich: history", at_rich_ship, run_history_all, 0, 0, 0},
    {"rich: a job handler throws a caught error", at_rich_approved, run_rich_handler_throws, 1, 0, 0},
    {"rich: a job handler fails", at_rich_approved, run_rich_handler_fails, 1, 0, 0},
    {"more: deploy", at_nothing, run_more_deploy, 1, 0, 0},
    {"more: start", at_more_deployed, run_more_start, 1, 0, 0},
    {"more: job complete with an output mapping", at_more_book, run_more_book, 1, 0, 0},
    {"more: complete to an escalation and compensation", at_more_review, run_more_late, 1, 0, 0},
    {"more: tick a repeating boundary timer", at_more_cycle, run_tick, 1, 0, 0},
    {"more: job complete of a compensation handler", at_more_compensating, run_job_complete, 1, 0, 0},
    {"more: cancel while compensating", at_more_compensating, run_cancel, 1, 0, 0},
    {"more: history", at_more_compensating, run_history_all, 0, 0, 0},
    {"misc: deploy", at_nothing, run_misc_deploy, 1, 0, 0},
    {"misc: correlate at an event-based gateway", at_misc_started, run_misc_ping, 1, 0, 0},
    {"misc: complete a sequential iteration", at_misc_steps, run_complete, 1, 0, 0},
    {"misc: complete the last iteration, throwing a message", at_misc_last_step, run_complete, 1, 0, 0},
    {"misc: set variables meeting a condition", at_misc_cond, run_misc_x, 1, 0, 0},
    {"misc: tick gateway and start timers", at_misc_late, run_tick, 1, 0, 1},
    {"misc: child's error caught at the call", at_misc_child_job, run_misc_risk, 1, 0, 0},
    {"misc: signal start", at_misc_deployed, run_misc_wake, 1, 0, 0},
};
#define NOPS (sizeof OPS / sizeof OPS[0])

/* ---- the allocation-failure sweep --------------------------------------------------------- */

typedef struct outcome {
    int rc;
    char *res;
    uint64_t dig;
} outcome;

/* What the operation gives on a fresh store with nothing failing. */
static void reference(const op *o, outcome *ref)
{
    env v;
    env_open(&v, 0, 0);
    o->setup(&v);
    fa_arm(0);
    ref->rc = o->run(&v, &ref->res);
    if (ref->rc != BPMN_OK)
        fprintf(stderr, "%s: %s: %s\n", o->name, bpmn_strerror(ref->rc), bpmn_engine_errmsg(v.e));
    CU_ASSERT_EQUAL(ref->rc, BPMN_OK);
    ref->dig = digest(&v);
    env_close(&v);
}

/* Blocks the engine keeps between calls (its history buffer, handler and definition tables):
 * a call may create them and that is no leak. */
static long held(const bpmn_engine *e)
{
    return (e->hist.p != NULL) + (e->handlers != NULL) + (e->defs != NULL);
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A call that ran to the end (nothing failed, or it got past a failure): it must give what it
 * gives on a fresh store. */
static void check_like_reference(const char *what, const op *o, long n, env *v, int rc,
                                 const char *res, const outcome *ref)
{
    int ok = rc == ref->rc && same_text(res, ref->res) && digest(v) == ref->dig;
    if (!ok)
        fprintf(stderr, "%s: %s, N=%ld: %s (%s), differs from a fresh run\n  got %s\n  want %s\n",
                what, o->name, n, bpmn_strerror(rc), bpmn_engine_errmsg(v->e),
                res ? res : "(null)", ref->res ? ref->res : "(null)");
    CU_ASSERT(ok);
}

static int failures; /* assertion messages printed so far: the sweep stops printing at 20 */

static void fail_note(const char *what, const op *o, long n, const char *fmt, int a, int b,
                      const char *msg)
{
    if (failures++ < 20) {
        fprintf(stderr, "%s: %s, N=%ld: ", what, o->name, n);
        fprintf(stderr, fmt, a, b);
        fprintf(stderr, " [%s]\n", msg);
    }
}


/* ---- store faults ------------------------------------------------------------------------- */

/* Fails the Nth write or commit of the engine's store with code (sticky: that one and every
 * later one). */
typedef struct sf {
    long writes, fail_at;
    int code, sticky, hit;
} sf;

static sf SF;

static int sf_fault(void *ud, int op)
{
    sf *f = ud;
    (void)op;
    if (!f->fail_at)
        return 0;
    f->writes++;
    if (f->writes == f->fail_at || (f->sticky && f->writes > f->fail_at)) {
        f->hit = 1;
        return f->code;
    }
    return 0;
}

/* What is made to fail, and what the call must then return. */
typedef struct fault {
    const char *name;
    int store;     /* 0: the Nth allocation; 1: the Nth store write or commit */
    int code, sticky;
    int want;      /* BPMN_OK: the store recovers by itself (the map grows and the call runs again) */
    const char *says; /* in the message, with the store's path (NULL: not checked) */
} fault;

static const fault ALLOC_FAULTS[] = {
    {"allocation", 0, 0, 0, BPMN_ENOMEM, NULL},
    {"allocation and every later one", 0, 0, 1, BPMN_ENOMEM, NULL},
};
#define NALLOC_FAULTS (sizeof ALLOC_FAULTS / sizeof ALLOC_FAULTS[0])
static const fault STORE_FAULTS[] = {
    {"ENOSPC", 1, ENOSPC, 0, BPMN_EIO, "No space left on device"},
    {"EIO", 1, EIO, 0, BPMN_EIO, "Input/output error"},
    {"a full map that cannot grow", 1, MDB_MAP_FULL, 1, BPMN_EFULL, NULL},
    {"a full map, grown and retried", 1, MDB_MAP_FULL, 0, BPMN_OK, NULL},
};
#define NSTORE_FAULTS (sizeof STORE_FAULTS / sizeof STORE_FAULTS[0])

static void arm(const fault *f, long n)
{
    if (f->store) {
        SF = (sf){0, n, f->code, f->sticky, 0};
        fa_arm(0);
    } else {
        fa_arm(n);
        FA.sticky = f->sticky;
    }
}

static int disarm(const fault *f)
{
    int hit = f->store ? SF.hit : FA.hit;
    SF.fail_at = 0;
    fa_arm(0);
    return hit;
}

/* A fresh engine in the state o needs; store faults get a small map (1 MiB, growing to 4 MiB)
 * so that "full" is reached quickly and for real. */
static uint64_t fresh(env *v, const op *o, const fault *f)
{
    env_open(v, f->store ? 1u << 20 : 0, f->store ? 4u << 20 : 0);
    o->setup(v);
    st_set_fault(v->e->st, sf_fault, &SF);
    return digest(v);
}

static long total_runs[2], largest_n[2], got_past[2];

/* Runs o with its Nth allocation (or store write) failing for N = 1, 2, ... until a run needs
 * fewer than N. A failed run must return the fault's code, free what it allocated and leave the
 * store as it was; a run that got past its fault must give what a fresh run gives. */
static void sweep(const op *o, const fault *f)
{
    long live_start = FA.live;
    outcome ref = {0, NULL, 0};
    reference(o, &ref);
    int want = f->want;
    if (o->batch && f->store && f->code == MDB_MAP_FULL)
        want = BPMN_EFULL; /* a batch cannot grow the map under itself */
    env v;
    uint64_t d0 = fresh(&v, o, f);
    for (long n = 1;; n++) {
        total_runs[f->store]++;
        long live0 = FA.live - held(v.e);
        size_t ndefs = v.e->ndefs;
        char *res = NULL;
        arm(f, n);
        int rc = o->run(&v, &res);
        int hit = disarm(f);
        if (!hit || (rc == BPMN_OK && want != BPMN_EFULL)) {
            /* A store write that failed cannot have been done without: only the map's growth
             * recovers. An allocation may have been optional (then the answer is the same). */
            if (hit && want != BPMN_OK && rc == BPMN_OK && f->store)
                fail_note(f->name, o, n, "returned %d, want %d", rc, want, "");
            CU_ASSERT(!(hit && want != BPMN_OK && rc == BPMN_OK && f->store));
            check_like_reference(f->name, o, n, &v, rc, res, &ref);
            free(res);
            if (!hit) {
                if (n > largest_n[f->store])
                    largest_n[f->store] = n;
                break;
            }
            /* It got past the fault: start again from the state before it. */
            got_past[f->store]++;
            env_close(&v);
            d0 = fresh(&v, o, f);
            continue;
        }
        if (rc != want)
            fail_note(f->name, o, n, "returned %d, want %d", rc, want, bpmn_engine_errmsg(v.e));
        CU_ASSERT_EQUAL(rc, want);
        CU_ASSERT_PTR_NULL(res);
        if (!bpmn_engine_errmsg(v.e)[0])
            fail_note(f->name, o, n, "no message%.0d%.0d", 0, 0, "");
        CU_ASSERT(bpmn_engine_errmsg(v.e)[0] != '\0');
        if (f->says && (!strstr(bpmn_engine_errmsg(v.e), f->says) ||
                        !strstr(bpmn_engine_errmsg(v.e), v.path)))
            fail_note(f->name, o, n, "the message does not say why%.0d%.0d", 0, 0,
                      bpmn_engine_errmsg(v.e));
        CU_ASSERT(!f->says || (strstr(bpmn_engine_errmsg(v.e), f->says) &&
                               strstr(bpmn_engine_errmsg(v.e), v.path)));
        long live1 = FA.live - held(v.e);
        if (v.e->ndefs == ndefs && live1 != live0)
            fail_note(f->name, o, n, "%d blocks live after the call, %d before", (int)live1,
                      (int)live0, bpmn_engine_errmsg(v.e));
        CU_ASSERT(v.e->ndefs != ndefs || live1 == live0);
        uint64_t d1 = digest(&v);
        if (d1 != d0 && o->multi) {
            /* Several transactions (purge): the ones before the fault stay done, as documented;
             * running it again finishes the work. */
            char *again = NULL;
            CU_ASSERT_EQUAL(o->run(&v, &again), BPMN_OK);
            CU_ASSERT(digest(&v) == ref.dig);
            free(again);
            env_close(&v);
            d0 = fresh(&v, o, f);
        } else {
            if (d1 != d0)
                fail_note(f->name, o, n, "the store changed%.0d%.0d", 0, 0,
                          bpmn_engine_errmsg(v.e));
            CU_ASSERT(d1 == d0);
        }
        free(res);
    }
    env_close(&v);
    free(ref.res);
    if (FA.live != live_start)
        fprintf(stderr, "%s: %s: %ld blocks leaked over the sweep\n", f->name, o->name,
                FA.live - live_start);
    CU_ASSERT_EQUAL(FA.live, live_start);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_every_operation_fails_cleanly_at_every_allocation(void)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *only = getenv("FAULTS_ONLY"); /* debugging: the operation named so */
    size_t n = 0;
    for (size_t i = 0; i < NOPS; i++) {
        if (only && strcmp(only, OPS[i].name) != 0)
            continue;
        n++;
        for (size_t k = 0; k < NALLOC_FAULTS; k++)
            sweep(&OPS[i], &ALLOC_FAULTS[k]);
    }
    printf("\n  allocation sweep: %zu operations x %zu faults, %ld runs (N up to %ld; %ld got past "
           "their failure), %.2f s\n", n, NALLOC_FAULTS, total_runs[0], largest_n[0], got_past[0],
           seconds_since(&t0));
}

/* The other history levels write less (names only, or nothing): the same guarantees hold. */
static void test_other_history_levels_fail_cleanly_too(void)
{
    static const char *const names[] = {"start", "complete", "correlate", "rich: start",
                                        "rich: complete the child's task", "purge"};
    for (int level = BPMN_HISTORY_ACTIVITY; level <= BPMN_HISTORY_NONE; level++) {
        history_level = level;
        for (size_t i = 0; i < NOPS; i++)
            for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
                if (strcmp(OPS[i].name, names[k]) == 0) {
                    sweep(&OPS[i], &ALLOC_FAULTS[0]);
                    sweep(&OPS[i], &STORE_FAULTS[0]);
                }
    }
    history_level = BPMN_HISTORY_FULL;
}

static void test_writing_operations_fail_cleanly_at_every_store_write(void)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *only = getenv("FAULTS_ONLY");
    size_t n = 0;
    for (size_t i = 0; i < NOPS; i++) {
        if (!OPS[i].writes || (only && strcmp(only, OPS[i].name) != 0))
            continue;
        n++;
        for (size_t k = 0; k < NSTORE_FAULTS; k++)
            sweep(&OPS[i], &STORE_FAULTS[k]);
    }
    printf("\n  store-fault sweep: %zu operations x %zu faults, %ld runs (N up to %ld; %ld recovered "
           "by growing the map), %.2f s\n", n, NSTORE_FAULTS, total_runs[1], largest_n[1],
           got_past[1], seconds_since(&t0));
}

/* Opening: the handle is the only block the engine allocates itself. */
static void test_open_fails_cleanly_at_every_allocation(void)
{
    char path[64];
    strcpy(path, "/tmp/bpmnrt-faults-XXXXXX");
    int fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
    unlink(path);
    long runs = 0;
    for (int existing = 0; existing < 2; existing++) {
        for (long n = 1;; n++, runs++) {
            bpmn_engine_options o = {0};
            o.path = path;
            o.nosync = 1;
            o.allocator = &ALLOC;
            bpmn_engine *e = (bpmn_engine *)&o; /* must be reset to NULL on failure */
            char err[256] = "";
            long live0 = FA.live;
            fa_arm(n);
            int rc = bpmn_engine_open(&o, &e, err, sizeof err);
            int hit = FA.hit;
            fa_arm(0);
            if (!hit) {
                CU_ASSERT_EQUAL(rc, BPMN_OK);
                CU_ASSERT_PTR_NOT_NULL(e);
                char *out = NULL;
                CU_ASSERT_EQUAL(bpmn_definitions(e, &out), BPMN_OK);
                CU_ASSERT_STRING_EQUAL(out, "[]");
                bpmn_free(e, out);
                bpmn_engine_close(e);
                CU_ASSERT_EQUAL(FA.live, live0);
                break;
            }
            CU_ASSERT_EQUAL(rc, BPMN_ENOMEM);
            CU_ASSERT_PTR_NULL(e);
            CU_ASSERT_EQUAL(FA.live, live0);
        }
    }
    CU_ASSERT(runs >= 2);
    env_remove_files(path);
}

/* Validating goes through the same allocator (load options). */
static void test_validate_fails_cleanly_at_every_allocation(void)
{
    bpmn_load_options lo = {.allocator = &ALLOC};
    bpmn_report *r = NULL;
    long live0 = FA.live;
    fa_arm(0);
    CU_ASSERT_EQUAL_FATAL(bpmn_validate_memory("order.bpmn", DOC2, sizeof DOC2 - 1, &lo, &r),
                          BPMN_OK);
    size_t want = bpmn_report_count(r), procs = bpmn_report_processes(r);
    CU_ASSERT_EQUAL(bpmn_report_errors(r), 0);
    CU_ASSERT_EQUAL(procs, 2);
    bpmn_report_free(r);
    CU_ASSERT_EQUAL(FA.live, live0);
    long n;
    for (n = 1;; n++) {
        r = (bpmn_report *)&lo;
        fa_arm(n);
        int rc = bpmn_validate_memory("order.bpmn", DOC2, sizeof DOC2 - 1, &lo, &r);
        int hit = FA.hit;
        fa_arm(0);
        if (!hit || rc == BPMN_OK) {
            CU_ASSERT_EQUAL(rc, BPMN_OK);
            CU_ASSERT_EQUAL(bpmn_report_count(r), want);
            CU_ASSERT_EQUAL(bpmn_report_processes(r), procs);
            bpmn_report_free(r);
            CU_ASSERT_EQUAL(FA.live, live0);
            if (!hit)
                break;
            continue;
        }
        if (rc != BPMN_ENOMEM)
            fprintf(stderr, "validate, N=%ld: %d\n", n, rc);
        CU_ASSERT_EQUAL(rc, BPMN_ENOMEM);
        CU_ASSERT_PTR_NULL(r);
        CU_ASSERT_EQUAL(FA.live, live0);
    }
    CU_ASSERT(n > 10);
}

/* A file that cannot be read and a document with errors: the diagnostics are allocated too. */
static void test_validate_file_fails_cleanly_at_every_allocation(void)
{
    char path[64];
    strcpy(path, "/tmp/bpmnrt-faults-XXXXXX");
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    static const char bad[] = HEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                              FLOW("f", "s", "nowhere") "<userTask id=\"u\"/></process></definitions>";
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite(bad, 1, sizeof bad - 1, f);
    fclose(f);
    bpmn_load_options lo = {.allocator = &ALLOC};
    long live0 = FA.live, n;
    size_t want_count = 0, want_errors = 0;
    for (n = 0;; n++) {
        bpmn_report *r = (bpmn_report *)&lo;
        fa_arm(n);
        int rc = bpmn_validate_file(path, &lo, &r);
        int hit = FA.hit;
        fa_arm(0);
        if (n == 0) {
            CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
            want_count = bpmn_report_count(r);
            want_errors = bpmn_report_errors(r);
            CU_ASSERT(want_errors >= 1);
        } else if (!hit || rc == BPMN_OK) {
            CU_ASSERT_EQUAL(rc, BPMN_OK);
            CU_ASSERT_EQUAL(bpmn_report_count(r), want_count);
            CU_ASSERT_EQUAL(bpmn_report_errors(r), want_errors);
        } else {
            if (rc != BPMN_ENOMEM)
                fprintf(stderr, "validate file, N=%ld: %d\n", n, rc);
            CU_ASSERT_EQUAL(rc, BPMN_ENOMEM);
            CU_ASSERT_PTR_NULL(r);
        }
        if (rc == BPMN_OK)
            bpmn_report_free(r);
        CU_ASSERT_EQUAL(FA.live, live0);
        if (n && !hit)
            break;
    }
    CU_ASSERT(n > 5);
    /* a file that is not there is a diagnostic, also when memory is short */
    unlink(path);
    for (n = 1;; n++) {
        bpmn_report *r = NULL;
        fa_arm(n);
        int rc = bpmn_validate_file(path, &lo, &r);
        int hit = FA.hit;
        fa_arm(0);
        CU_ASSERT(rc == (hit ? BPMN_ENOMEM : BPMN_OK) || (hit && rc == BPMN_OK));
        if (rc == BPMN_OK) {
            CU_ASSERT(bpmn_report_errors(r) == 1);
            bpmn_report_free(r);
        }
        CU_ASSERT_EQUAL(FA.live, live0);
        if (!hit)
            break;
    }
}

/* Deploying a document with errors: every N fails with ENOMEM or, past the last allocation,
 * with BPMN_EINVALID listing the errors; nothing is stored either way. */
static void test_deploy_of_an_invalid_document_fails_cleanly_at_every_allocation(void)
{
    static const char bad[] = HEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                              FLOW("f", "s", "nowhere") "<userTask id=\"u\"/></process></definitions>";
    env v;
    env_open(&v, 0, 0);
    deploy(&v, DOC1);
    uint64_t d0 = digest(&v);
    long n;
    for (n = 1;; n++) {
        long live0 = FA.live - held(v.e);
        char *out = NULL;
        fa_arm(n);
        int rc = bpmn_deploy(v.e, "bad.bpmn", bad, sizeof bad - 1, &out);
        int hit = FA.hit;
        fa_arm(0);
        if (rc != (hit ? BPMN_ENOMEM : BPMN_EINVALID))
            fprintf(stderr, "deploy invalid, N=%ld: %d [%s]\n", n, rc, bpmn_engine_errmsg(v.e));
        CU_ASSERT_EQUAL(rc, hit ? BPMN_ENOMEM : BPMN_EINVALID);
        CU_ASSERT_PTR_NULL(out);
        CU_ASSERT(bpmn_engine_errmsg(v.e)[0] != '\0');
        CU_ASSERT_EQUAL(FA.live - held(v.e), live0);
        CU_ASSERT(digest(&v) == d0);
        if (!hit) {
            CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(v.e), "bad.bpmn:"));
            break;
        }
    }
    CU_ASSERT(n > 5);
    env_close(&v);
}

/* Calls that are refused (an unknown process, a form's missing field, a user who may not,
 * a suspended instance, a version without the element): with the Nth allocation failing, each
 * returns ENOMEM or, once it gets through, its refusal, and never changes the store. */
typedef struct refusal {
    const char *name;
    void (*setup)(env *v);
    int (*run)(env *v, char **res);
    int want;
} refusal;

static const bpmn_actor EVE = {"eve", "outsiders"};
/* Version 2 without the user task "review": an instance waiting there cannot move to it. */
static const char DOC_NO_REVIEW[] = HEAD "<process id=\"order\" isExecutable=\"true\">"
    "<startEvent id=\"s\"/>" FLOW("f0", "s", "other") "<userTask id=\"other\"/>"
    FLOW("f1", "other", "e") "<endEvent id=\"e\"/></process></definitions>";

static void at_review_and_v2(env *v)
{
    at_review(v);
    deploy(v, DOC_NO_REVIEW);
}

RUN(start_unknown, bpmn_instance_start(v->e, "nope", 0, NULL, NULL, &out))
RUN(complete_bad_form, bpmn_task_complete(v->e, v->task, "{\"approved\":\"maybe\"}", &out))
RUN(claim_denied, bpmn_task_claim(v->e, v->task, &EVE, &out))
RUN(complete_suspended, bpmn_task_complete(v->e, v->task, "{\"approved\":true}", &out))
RUN(correlate_nobody, bpmn_correlate(v->e, "payment", "nobody", NULL, &out))
RUN(show_unknown, bpmn_instance_show(v->e, "999", &out))
RUN(start_bad_vars, bpmn_instance_start(v->e, "order", 0, "{\"a\":", NULL, &out))

static const refusal REFUSALS[] = {
    {"start of an unknown process", at_deployed, run_start_unknown, BPMN_ENOTFOUND},
    {"start with malformed variables", at_deployed, run_start_bad_vars, BPMN_EINVAL},
    {"complete against the form", at_review, run_complete_bad_form, BPMN_EINVAL},
    {"claim by an outsider", at_review, run_claim_denied, BPMN_EDENIED},
    {"complete while suspended", at_suspended, run_complete_suspended, BPMN_ESTATE},
    {"migrate without the element", at_review_and_v2, run_migrate, BPMN_ESTATE},
    {"correlate to nobody", at_paid, run_correlate_nobody, BPMN_ENOTFOUND},
    {"show an unknown instance", at_review, run_show_unknown, BPMN_ENOTFOUND},
};

static void test_refused_calls_fail_cleanly_at_every_allocation(void)
{
    for (size_t i = 0; i < sizeof REFUSALS / sizeof REFUSALS[0]; i++) {
        const refusal *o = &REFUSALS[i];
        env v;
        env_open(&v, 0, 0);
        o->setup(&v);
        uint64_t d0 = digest(&v);
        long n;
        for (n = 1;; n++) {
            long live0 = FA.live - held(v.e);
            size_t ndefs = v.e->ndefs;
            char *res = NULL;
            fa_arm(n);
            int rc = o->run(&v, &res);
            int hit = FA.hit;
            fa_arm(0);
            int want = hit ? BPMN_ENOMEM : o->want;
            if (rc != want)
                fprintf(stderr, "refusal: %s, N=%ld: %d, want %d [%s]\n", o->name, n, rc, want,
                        bpmn_engine_errmsg(v.e));
            CU_ASSERT_EQUAL(rc, want);
            CU_ASSERT_PTR_NULL(res);
            CU_ASSERT(bpmn_engine_errmsg(v.e)[0] != '\0');
            CU_ASSERT(v.e->ndefs != ndefs || FA.live - held(v.e) == live0);
            CU_ASSERT(digest(&v) == d0);
            free(res);
            if (!hit)
                break;
        }
        env_close(&v);
    }
}

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
    deploy(&v, DOC1);
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
    deploy(&v, DOC1);
    int started = 0, rc = BPMN_OK;
    uint64_t before = 0;
    while (started < 5000) {
        before = digest(&v);
        if ((rc = start_one(&v, started)) != BPMN_OK)
            break;
        started++;
    }
    CU_ASSERT_EQUAL(rc, BPMN_EFULL);
    CU_ASSERT(started > 10);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(v.e), "size limit"));
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(v.e), v.path));
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(v.e), "196608 bytes (map_max)"));
    CU_ASSERT(digest(&v) == before);
    CU_ASSERT_EQUAL(st_map_size(v.e->st), 192u << 10);
    /* reads work; other writes fail the same way and change nothing */
    CU_ASSERT_EQUAL(count_items(&v, "order"), started);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_history(v.e, NULL, &out), BPMN_OK);
    CU_ASSERT(out && strlen(out) > 100);
    bpmn_free(v.e, out);
    out = NULL;
    CU_ASSERT_EQUAL(start_one(&v, started), BPMN_EFULL);
    CU_ASSERT(digest(&v) == before);
    /* in a batch too */
    CU_ASSERT_EQUAL(bpmn_batch_begin(v.e), BPMN_OK);
    int brc = BPMN_OK;
    for (int i = 0; i < 50 && brc == BPMN_OK; i++)
        brc = start_one(&v, 10000 + i);
    if (brc == BPMN_OK)
        brc = bpmn_batch_commit(v.e);
    CU_ASSERT_EQUAL(brc, BPMN_EFULL);
    CU_ASSERT(digest(&v) == before);
    CU_ASSERT_EQUAL(count_items(&v, "order"), started);
    /* reopened with the same limit: all there, still full */
    CU_ASSERT_EQUAL_FATAL(reopen(&v, 64u << 10, 192u << 10), BPMN_OK);
    CU_ASSERT_EQUAL(count_items(&v, "order"), started);
    CU_ASSERT(digest(&v) == before);
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
    deploy(&v, DOC1);
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
    deploy(&v, DOC1);
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
    deploy(&v, DOC1);
    CU_ASSERT_EQUAL(start_one(&v, 1), BPMN_OK);
    CU_ASSERT_EQUAL(count_items(&v, "order"), 1);
    env_close(&v);
}

int main(void)
{
    static const tu_case cases[] = {
        {"open fails cleanly at every allocation", test_open_fails_cleanly_at_every_allocation},
        {"validate fails cleanly at every allocation", test_validate_fails_cleanly_at_every_allocation},
        {"validate file fails cleanly at every allocation", test_validate_file_fails_cleanly_at_every_allocation},
        {"deploy of an invalid document fails cleanly at every allocation", test_deploy_of_an_invalid_document_fails_cleanly_at_every_allocation},
        {"refused calls fail cleanly at every allocation", test_refused_calls_fail_cleanly_at_every_allocation},
        {"every operation fails cleanly at every allocation", test_every_operation_fails_cleanly_at_every_allocation},
        {"writing operations fail cleanly at every store write", test_writing_operations_fail_cleanly_at_every_store_write},
        {"other history levels fail cleanly too", test_other_history_levels_fail_cleanly_too},
        {"small map grows as instances come", test_small_map_grows_as_instances_come},
        {"full map refuses writes cleanly and keeps reads", test_full_map_refuses_writes_cleanly_and_keeps_reads},
        {"files that are not stores are refused untouched", test_files_that_are_not_stores_are_refused_untouched},
        {"store of another schema version is refused untouched", test_store_of_another_schema_version_is_refused_untouched},
        {"empty file becomes a new store", test_empty_file_becomes_a_new_store},
        {NULL, NULL},
    };
    return tu_run("faults", cases);
}
