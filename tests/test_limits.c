/*
 * test_limits.c - every limit of bpmn_limits at its boundary: exactly at the limit works, one
 * past it is refused (the store unchanged) or becomes an incident naming the element, with the
 * message docs/limits.md documents.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test_util.h"

static char dbpath[64];
static bpmn_engine *E;
static long long fake_now = 1772442000000LL; /* 2026-03-02T09:00:00Z */

static long long read_clock(void *ud)
{
    return *(long long *)ud;
}

/* A fresh store opened with these limits. */
static void open_with(const bpmn_limits *lim)
{
    strcpy(dbpath, "/tmp/bpmnrt-limits-XXXXXX");
    int fd = mkstemp(dbpath);
    if (fd >= 0)
        close(fd);
    unlink(dbpath);
    bpmn_engine_options o = {0};
    o.path = dbpath;
    o.nosync = 1;
    o.clock = read_clock;
    o.clock_ud = &fake_now;
    if (lim)
        o.limits = *lim;
    char err[256] = "";
    int rc = bpmn_engine_open(&o, &E, err, sizeof err);
    if (rc != BPMN_OK)
        fprintf(stderr, "open: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
}

static void close_and_remove(void)
{
    tu_engine_remove(E, dbpath);
    E = NULL;
}

#define HEAD                                                                                    \
    "<?xml version=\"1.0\"?>\n<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" " \
    "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\">\n"
#define FLOW(id, a, b) "<sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"/>\n"
#define CFLOW(id, a, b, c)                                                                      \
    "<sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"><conditionExpression>" c \
    "</conditionExpression></sequenceFlow>\n"

static int deploy(const char *xml)
{
    char *out = NULL;
    int rc = bpmn_deploy(E, "t.bpmn", xml, strlen(xml), &out);
    bpmn_free(E, out);
    return rc;
}

static void deploy_ok(const char *xml)
{
    int rc = deploy(xml);
    if (rc != BPMN_OK)
        fprintf(stderr, "deploy: %s\n", bpmn_engine_errmsg(E));
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
}

/* Starts an instance; its id goes into id (32 bytes). */
static void start(const char *process, const char *vars, char *id)
{
    char *out = NULL;
    int rc = bpmn_instance_start(E, process, 0, vars, NULL, &out);
    if (rc != BPMN_OK)
        fprintf(stderr, "start: %s\n", bpmn_engine_errmsg(E));
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    snprintf(id, 32, "%s", cJSON_GetObjectItem(j, "instance")->valuestring);
    cJSON_Delete(j);
    bpmn_free(E, out);
}

/* The show object of an instance (caller frees). */
static cJSON *show(const char *id)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_instance_show(E, id, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    return j;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Asserts the instance's state; for an incident, its element and a piece of its message. */
static void expect_state(const char *id, const char *state, const char *element, const char *msg)
{
    cJSON *j = show(id);
    CU_ASSERT_STRING_EQUAL(str(j, "state"), state);
    const cJSON *inc = cJSON_GetObjectItem(j, "incident");
    if (element) {
        CU_ASSERT_PTR_NOT_NULL(inc);
        CU_ASSERT_STRING_EQUAL(str(inc, "element"), element);
        if (!strstr(str(inc, "message"), msg))
            fprintf(stderr, "incident message: %s\n", str(inc, "message"));
        CU_ASSERT_PTR_NOT_NULL(strstr(str(inc, "message"), msg));
    } else {
        CU_ASSERT_PTR_NULL(inc);
    }
    cJSON_Delete(j);
}

static int open_tasks(const char *instance)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_task_list(E, instance, NULL, NULL, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    int n = cJSON_GetArraySize(j);
    cJSON_Delete(j);
    return n;
}

static int count_definitions(void)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_definitions(E, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    int n = cJSON_GetArraySize(j);
    cJSON_Delete(j);
    return n;
}

static int count_instances(void)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_instance_list(E, NULL, NULL, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    int n = cJSON_GetArraySize(j);
    cJSON_Delete(j);
    return n;
}

static const char *SIMPLE = HEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                            FLOW("f0", "s", "t") "<userTask id=\"t\"/>" FLOW("f1", "t", "e")
                            "<endEvent id=\"e\"/></process></definitions>";

/* ---- file size ------------------------------------------------------------------------------ */

static void test_file_size_limit_admits_exactly_its_size_and_refuses_one_byte_more(void)
{
    size_t len = strlen(SIMPLE);
    bpmn_limits lim = {0};
    lim.max_file_bytes = len;
    open_with(&lim);
    deploy_ok(SIMPLE);
    CU_ASSERT_EQUAL(count_definitions(), 1);
    close_and_remove();

    lim.max_file_bytes = len - 1;
    open_with(&lim);
    CU_ASSERT_EQUAL(deploy(SIMPLE), BPMN_ETOOBIG);
    char want[128];
    snprintf(want, sizeof want, "t.bpmn: file is %zu bytes, over the size limit of %zu bytes", len,
             len - 1);
    CU_ASSERT_STRING_EQUAL(bpmn_engine_errmsg(E), want);
    CU_ASSERT_EQUAL(count_definitions(), 0); /* nothing stored */
    close_and_remove();

    /* Validation without an engine takes the same cap from its load options. */
    bpmn_load_options lo = {0};
    lo.max_bytes = len;
    bpmn_report *r = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_validate_memory("t.bpmn", SIMPLE, len, &lo, &r), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_report_errors(r), 0);
    bpmn_report_free(r);
    lo.max_bytes = len - 1;
    CU_ASSERT_EQUAL_FATAL(bpmn_validate_memory("t.bpmn", SIMPLE, len, &lo, &r), BPMN_OK);
    snprintf(want, sizeof want, "file is %zu bytes, over the size limit of %zu bytes", len, len - 1);
    TU_HAS(r, BPMN_SEV_ERROR, "", want);
    bpmn_report_free(r);
}

/* ---- expressions ---------------------------------------------------------------------------- */

/* A process whose script task computes the expression src into r, then waits at a task. */
static void script_process(char *xml, size_t cap, const char *src)
{
    snprintf(xml, cap,
             HEAD "<process id=\"x\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "calc")
             "<scriptTask id=\"calc\" scriptFormat=\"feel\" camunda:resultVariable=\"r\"><script>%s"
             "</script></scriptTask>" FLOW("f1", "calc", "t") "<userTask id=\"t\"/>"
             FLOW("f2", "t", "e") "<endEvent id=\"e\"/></process></definitions>",
             src);
}

/* "=" and k pairs of brackets around a list: [[[1]]] nests k + 1 levels of the tree. */
static void nested(char *buf, int k)
{
    char *p = buf;
    *p++ = '=';
    for (int i = 0; i < k; i++)
        *p++ = '[';
    *p++ = '1';
    for (int i = 0; i < k; i++)
        *p++ = ']';
    *p = '\0';
}

static void test_expression_depth_limit_is_checked_at_deploy(void)
{
    bpmn_limits lim = {0};
    lim.expr_depth = 10;
    open_with(&lim);
    char src[64], xml[2048];
    nested(src, 9); /* ten levels: nine lists and the number */
    script_process(xml, sizeof xml, src);
    deploy_ok(xml);
    char id[32];
    start("x", NULL, id);
    expect_state(id, "active", NULL, NULL);
    CU_ASSERT_EQUAL(count_definitions(), 1);

    nested(src, 10); /* eleven */
    script_process(xml, sizeof xml, src);
    CU_ASSERT_EQUAL(deploy(xml), BPMN_EINVALID);
    const char *m = bpmn_engine_errmsg(E);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "calc: script"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "expression nested too deeply (more than 10 levels)"));
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_definitions(E, &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"version\":1"));
    CU_ASSERT_PTR_NULL(strstr(out, "\"version\":2")); /* the refused version is not stored */
    bpmn_free(E, out);
    close_and_remove();

    /* The same document passes the default of 64, and validation takes the limit as an option. */
    open_with(NULL);
    deploy_ok(xml);
    close_and_remove();
    bpmn_load_options lo = {0};
    lo.expr_depth = 10;
    bpmn_report *r = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_validate_memory("t.bpmn", xml, strlen(xml), &lo, &r), BPMN_OK);
    TU_HAS(r, BPMN_SEV_ERROR, "calc", "nested too deeply (more than 10 levels)");
    bpmn_report_free(r);
}

/* count(for i in 1..n return i) costs a fixed number of steps plus a few per item: the largest
 * n within a step budget, found by bisection over fresh instances. */
static void test_expression_step_limit_makes_an_incident_at_the_element(void)
{
    bpmn_limits lim = {0};
    lim.expr_steps = 1000;
    open_with(&lim);
    char xml[2048];
    script_process(xml, sizeof xml, "=count(for i in 1..n return i)");
    deploy_ok(xml);
    char id[32], vars[64];
    /* find the boundary: the largest n that completes within 1000 steps */
    int lo = 1, hi = 1000;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        snprintf(vars, sizeof vars, "{\"n\": %d}", mid);
        start("x", vars, id);
        cJSON *j = show(id);
        int ok = strcmp(str(j, "state"), "active") == 0;
        cJSON_Delete(j);
        if (ok)
            lo = mid;
        else
            hi = mid - 1;
    }
    CU_ASSERT(lo > 100 && lo < 1000);
    snprintf(vars, sizeof vars, "{\"n\": %d}", lo);
    start("x", vars, id);
    expect_state(id, "active", NULL, NULL);
    CU_ASSERT_EQUAL(open_tasks(id), 1);
    snprintf(vars, sizeof vars, "{\"n\": %d}", lo + 1);
    start("x", vars, id);
    expect_state(id, "incident", "calc", "evaluation took more than 1000 steps");
    CU_ASSERT_EQUAL(open_tasks(id), 0);
    /* Fixing the data and retrying runs the script again. */
    char *out = NULL;
    snprintf(vars, sizeof vars, "{\"n\": %d}", lo);
    CU_ASSERT_EQUAL(bpmn_instance_set_vars(E, id, vars, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_instance_retry(E, id, &out), BPMN_OK);
    bpmn_free(E, out);
    expect_state(id, "active", NULL, NULL);
    CU_ASSERT_EQUAL(open_tasks(id), 1);
    close_and_remove();

    /* A budget twice as large moves the boundary with it: the setting is what is compared. */
    lim.expr_steps = 2000;
    open_with(&lim);
    deploy_ok(xml);
    snprintf(vars, sizeof vars, "{\"n\": %d}", lo + 1);
    start("x", vars, id);
    expect_state(id, "active", NULL, NULL);
    close_and_remove();
}

/* ---- steps of one operation ----------------------------------------------------------------- */

/* start -> inc (n = n + 1) -> gw: n < max back to inc, else the task "wait". Starting with n = 0
 * enters 2 * max + 2 elements: the start, max times inc and gw, and the task. */
static const char *LOOP =
    HEAD "<process id=\"loop\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "inc")
    "<scriptTask id=\"inc\" scriptFormat=\"feel\" camunda:resultVariable=\"n\"><script>=n + 1"
    "</script></scriptTask>" FLOW("f1", "inc", "gw")
    "<exclusiveGateway id=\"gw\" default=\"out\"/>" CFLOW("back", "gw", "inc", "=n &lt; max")
    FLOW("out", "gw", "wait") "<userTask id=\"wait\"/>" FLOW("f2", "wait", "e")
    "<endEvent id=\"e\"/></process></definitions>";

static void test_run_step_limit_admits_exactly_its_steps(void)
{
    bpmn_limits lim = {0};
    lim.run_steps = 22;
    open_with(&lim);
    deploy_ok(LOOP);
    char id[32];
    start("loop", "{\"n\": 0, \"max\": 10}", id); /* 22 steps */
    expect_state(id, "active", NULL, NULL);
    CU_ASSERT_EQUAL(open_tasks(id), 1);
    /* 24 steps: the run passes the limit before the 23rd and is rolled back; the incident
     * stands where the run began, at the start event, with the variables as given. */
    start("loop", "{\"n\": 0, \"max\": 11}", id);
    expect_state(id, "incident", "s",
                 "stopped after 22 steps in one operation without a wait state");
    CU_ASSERT_EQUAL(open_tasks(id), 0);
    cJSON *j = show(id);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "n")->valueint, 0);
    cJSON_Delete(j);
    close_and_remove();
}

static void test_endless_loop_becomes_an_incident_that_a_retry_resumes(void)
{
    bpmn_limits lim = {0};
    lim.run_steps = 1000;
    open_with(&lim);
    deploy_ok(LOOP);
    char id[32];
    char *out = NULL;
    /* max is never reached within the budget: the operation still succeeds and commits. */
    CU_ASSERT_EQUAL(bpmn_instance_start(E, "loop", 0, "{\"n\": 0, \"max\": 1000000000}", NULL, &out),
                    BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(str(j, "state"), "incident");
    snprintf(id, sizeof id, "%s", str(j, "instance"));
    cJSON_Delete(j);
    /* The 1000 steps (s, then inc and gw in turn) are rolled back: the incident stands at the
     * start event, n as given, and history holds only the start and the incident. */
    expect_state(id, "incident", "s", "stopped after 1000 steps");
    j = show(id);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "n")->valueint, 0);
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(bpmn_history(E, id, &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"type\":\"incident_raised\",\"element\":\"s\""));
    CU_ASSERT_PTR_NULL(strstr(out, "\"element\":\"gw\""));
    cJSON *h = cJSON_Parse(out);
    CU_ASSERT(cJSON_GetArraySize(h) <= 4);
    cJSON_Delete(h);
    bpmn_free(E, out);
    /* Fix the data, retry: the loop runs from s with a fresh budget and reaches the task. */
    CU_ASSERT_EQUAL(bpmn_instance_set_vars(E, id, "{\"max\": 400}", &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_instance_retry(E, id, &out), BPMN_OK);
    bpmn_free(E, out);
    expect_state(id, "active", NULL, NULL);
    CU_ASSERT_EQUAL(open_tasks(id), 1);
    j = show(id);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "n")->valueint, 400);
    cJSON_Delete(j);
    close_and_remove();
}

/* ---- tokens per instance -------------------------------------------------------------------- */

static void test_token_limit_stops_a_parallel_split_at_the_gateway(void)
{
    static const char *xml =
        HEAD "<process id=\"par\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "fork")
        "<parallelGateway id=\"fork\"/>" FLOW("fa", "fork", "a") FLOW("fb", "fork", "b")
        FLOW("fc", "fork", "c") "<userTask id=\"a\"/><userTask id=\"b\"/><userTask id=\"c\"/>"
        FLOW("ea", "a", "join") FLOW("eb", "b", "join") FLOW("ec", "c", "join")
        "<parallelGateway id=\"join\"/>" FLOW("fe", "join", "e") "<endEvent id=\"e\"/></process>"
        "</definitions>";
    bpmn_limits lim = {0};
    lim.tokens = 3;
    open_with(&lim);
    deploy_ok(xml);
    char id[32];
    start("par", NULL, id);
    expect_state(id, "active", NULL, NULL);
    CU_ASSERT_EQUAL(open_tasks(id), 3);
    close_and_remove();

    lim.tokens = 2;
    open_with(&lim);
    deploy_ok(xml);
    start("par", NULL, id);
    expect_state(id, "incident", "fork",
                 "2 more tokens would pass the limit of 2 tokens per instance");
    CU_ASSERT_EQUAL(open_tasks(id), 0);
    close_and_remove();
}

/* A parallel multi-instance task of k instances holds k + 1 tokens: the body and k iterations. */
static const char *MI =
    HEAD "<process id=\"mi\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "each")
    "<userTask id=\"each\"><multiInstanceLoopCharacteristics><loopCardinality>=k</loopCardinality>"
    "</multiInstanceLoopCharacteristics></userTask>" FLOW("f1", "each", "e")
    "<endEvent id=\"e\"/></process></definitions>";

static void test_token_limit_stops_a_multi_instance_activity(void)
{
    bpmn_limits lim = {0};
    lim.tokens = 5;
    open_with(&lim);
    deploy_ok(MI);
    char id[32];
    start("mi", "{\"k\": 4}", id);
    expect_state(id, "active", NULL, NULL);
    CU_ASSERT_EQUAL(open_tasks(id), 4);
    start("mi", "{\"k\": 5}", id);
    expect_state(id, "incident", "each", "5 more tokens would pass the limit of 5 tokens");
    CU_ASSERT_EQUAL(open_tasks(id), 0);
    close_and_remove();
}

/* A repeating non-interrupting timer on a task brings a token each minute: past the limit the
 * event does not fire, the incident names it, and the timer keeps its cycle. */
static void test_token_limit_stops_a_non_interrupting_event(void)
{
    static const char *xml =
        HEAD "<process id=\"nb\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "t")
        "<userTask id=\"t\"/>" FLOW("f1", "t", "e") "<endEvent id=\"e\"/>"
        "<boundaryEvent id=\"remind\" attachedToRef=\"t\" cancelActivity=\"false\">"
        "<timerEventDefinition><timeCycle>R/PT1M</timeCycle></timerEventDefinition></boundaryEvent>"
        FLOW("f2", "remind", "note") "<userTask id=\"note\"/>" FLOW("f3", "note", "e2")
        "<endEvent id=\"e2\"/></process></definitions>";
    bpmn_limits lim = {0};
    lim.tokens = 2;
    open_with(&lim);
    deploy_ok(xml);
    char id[32];
    start("nb", NULL, id);
    char *out = NULL;
    fake_now += 60000; /* first reminder: the second token, at the limit */
    CU_ASSERT_EQUAL(bpmn_tick(E, &out), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(out, "{\"fired\":1}");
    bpmn_free(E, out);
    expect_state(id, "active", NULL, NULL);
    CU_ASSERT_EQUAL(open_tasks(id), 2);
    fake_now += 60000; /* second reminder: a third token would pass it */
    CU_ASSERT_EQUAL(bpmn_tick(E, &out), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(out, "{\"fired\":1}");
    bpmn_free(E, out);
    expect_state(id, "incident", "remind", "the event did not fire: 1 more tokens would pass the "
                                           "limit of 2 tokens per instance (limits.tokens)");
    CU_ASSERT_EQUAL(open_tasks(id), 2);
    /* the timer is still armed: the scheduler is never wedged by the limit */
    long long due = 0;
    CU_ASSERT_EQUAL(bpmn_next_timer(E, &due), BPMN_OK);
    CU_ASSERT_EQUAL(due, fake_now + 60000);
    close_and_remove();
}

/* A non-interrupting event sub-process brings two tokens (its own and its start's). */
static void test_token_limit_stops_a_non_interrupting_event_sub_process(void)
{
    static const char *xml =
        HEAD "<message id=\"Ping\" name=\"ping\"/><process id=\"es\" isExecutable=\"true\">"
        "<startEvent id=\"s\"/>" FLOW("f0", "s", "work") "<userTask id=\"work\"/>"
        FLOW("f1", "work", "e") "<endEvent id=\"e\"/>"
        "<subProcess id=\"onPing\" triggeredByEvent=\"true\"><startEvent id=\"ps\" "
        "isInterrupting=\"false\"><messageEventDefinition messageRef=\"Ping\"/></startEvent>"
        FLOW("p0", "ps", "note") "<userTask id=\"note\"/>" FLOW("p1", "note", "pe")
        "<endEvent id=\"pe\"/></subProcess></process></definitions>";
    bpmn_limits lim = {0};
    lim.tokens = 3;
    open_with(&lim);
    deploy_ok(xml);
    char id[32];
    start("es", NULL, id);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_correlate(E, "ping", NULL, NULL, &out), BPMN_OK); /* 1 + 2 tokens */
    bpmn_free(E, out);
    expect_state(id, "active", NULL, NULL);
    CU_ASSERT_EQUAL(open_tasks(id), 2);
    CU_ASSERT_EQUAL(bpmn_correlate(E, "ping", NULL, NULL, &out), BPMN_OK); /* 5 would pass 3 */
    bpmn_free(E, out);
    expect_state(id, "incident", "ps", "the event did not fire: 2 more tokens would pass the limit "
                                       "of 3 tokens per instance");
    CU_ASSERT_EQUAL(open_tasks(id), 2);
    /* retry resolves the incident; the instance runs on as it was */
    CU_ASSERT_EQUAL(bpmn_instance_retry(E, id, &out), BPMN_OK);
    bpmn_free(E, out);
    expect_state(id, "active", NULL, NULL);
    CU_ASSERT_EQUAL(open_tasks(id), 2);
    close_and_remove();
}

/* ---- multi-instance cardinality ------------------------------------------------------------- */

static void test_multi_instance_limit_on_cardinality_and_collection(void)
{
    static const char *coll =
        HEAD "<process id=\"col\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "each")
        "<userTask id=\"each\"><multiInstanceLoopCharacteristics camunda:collection=\"${items}\" "
        "camunda:elementVariable=\"item\"/></userTask>" FLOW("f1", "each", "e")
        "<endEvent id=\"e\"/></process></definitions>";
    bpmn_limits lim = {0};
    lim.mi_instances = 5;
    open_with(&lim);
    deploy_ok(MI);
    deploy_ok(coll);
    char id[32];
    start("mi", "{\"k\": 5}", id);
    expect_state(id, "active", NULL, NULL);
    CU_ASSERT_EQUAL(open_tasks(id), 5);
    start("mi", "{\"k\": 6}", id);
    expect_state(id, "incident", "each",
                 "loop of 'each': more than the limit of 5 instances (limits.mi_instances)");
    CU_ASSERT_EQUAL(open_tasks(id), 0);
    /* a cardinality far beyond any integer is the same incident, not undefined behaviour */
    start("mi", "{\"k\": 1e300}", id);
    expect_state(id, "incident", "each", "more than the limit of 5 instances");
    start("col", "{\"items\": [1, 2, 3, 4, 5]}", id);
    expect_state(id, "active", NULL, NULL);
    CU_ASSERT_EQUAL(open_tasks(id), 5);
    start("col", "{\"items\": [1, 2, 3, 4, 5, 6]}", id);
    expect_state(id, "incident", "each", "more than the limit of 5 instances");
    CU_ASSERT_EQUAL(open_tasks(id), 0);
    close_and_remove();
}

/* ---- call depth ----------------------------------------------------------------------------- */

/* rec calls itself with n + 1 until n reaches max, where it waits at a task: the instance with
 * n = k runs at call depth k. */
static const char *REC =
    HEAD "<process id=\"rec\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "gw")
    "<exclusiveGateway id=\"gw\" default=\"stop\"/>" CFLOW("deeper", "gw", "again", "=n &lt; max")
    FLOW("stop", "gw", "wait")
    "<callActivity id=\"again\" calledElement=\"rec\"><extensionElements>"
    "<camunda:in sourceExpression=\"=n + 1\" target=\"n\"/><camunda:in source=\"max\" target=\"max\"/>"
    "</extensionElements></callActivity>" FLOW("f1", "again", "e1") "<endEvent id=\"e1\"/>"
    "<userTask id=\"wait\"/>" FLOW("f2", "wait", "e2") "<endEvent id=\"e2\"/></process></definitions>";

/* The instance at the bottom of the chain: the one without children. */
static void deepest(char *id)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_instance_list(E, "rec", NULL, &out), BPMN_OK);
    cJSON *l = cJSON_Parse(out);
    bpmn_free(E, out);
    const cJSON *i;
    cJSON_ArrayForEach(i, l)
        if (cJSON_GetArraySize(cJSON_GetObjectItem(i, "children")) == 0)
            snprintf(id, 32, "%s", str(i, "instance"));
    cJSON_Delete(l);
}

static void test_call_depth_limit_admits_exactly_its_depth(void)
{
    bpmn_limits lim = {0};
    lim.call_depth = 3;
    open_with(&lim);
    deploy_ok(REC);
    char id[32], leaf[32];
    start("rec", "{\"n\": 0, \"max\": 3}", id); /* depths 0, 1, 2, 3 */
    CU_ASSERT_EQUAL(count_instances(), 4);
    deepest(leaf);
    expect_state(leaf, "active", NULL, NULL);
    CU_ASSERT_EQUAL(open_tasks(leaf), 1);
    close_and_remove();

    open_with(&lim);
    deploy_ok(REC);
    start("rec", "{\"n\": 0, \"max\": 4}", id); /* depth 3 would call a fourth level */
    CU_ASSERT_EQUAL(count_instances(), 4);
    deepest(leaf);
    expect_state(leaf, "incident", "again", "call depth limit of 3 reached (limits.call_depth");
    expect_state(id, "active", NULL, NULL);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_task_list(E, NULL, NULL, NULL, &out), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(out, "[]");
    bpmn_free(E, out);
    close_and_remove();
}

static void test_call_depth_ceiling_runs_and_beyond_it_open_is_refused(void)
{
    bpmn_limits lim = {0};
    lim.call_depth = BPMN_LIMIT_CALL_DEPTH_MAX;
    open_with(&lim);
    deploy_ok(REC);
    char id[32], leaf[32], vars[64];
    /* every level starts inside the same operation: the nesting at the ceiling must fit the stack */
    snprintf(vars, sizeof vars, "{\"n\": 0, \"max\": %u}", BPMN_LIMIT_CALL_DEPTH_MAX);
    start("rec", vars, id);
    CU_ASSERT_EQUAL(count_instances(), (int)BPMN_LIMIT_CALL_DEPTH_MAX + 1);
    deepest(leaf);
    CU_ASSERT_EQUAL(open_tasks(leaf), 1);
    close_and_remove();

    bpmn_engine_options o = {0};
    o.path = "/tmp/bpmnrt-limits-never-created";
    o.limits.call_depth = BPMN_LIMIT_CALL_DEPTH_MAX + 1;
    bpmn_engine *e = NULL;
    char err[128] = "";
    CU_ASSERT_EQUAL(bpmn_engine_open(&o, &e, err, sizeof err), BPMN_EINVAL);
    CU_ASSERT_PTR_NULL(e);
    CU_ASSERT_STRING_EQUAL(err, "limits.call_depth may be at most 200");
    o.limits.call_depth = 0;
    o.limits.expr_depth = BPMN_LIMIT_EXPR_DEPTH_MAX + 1;
    CU_ASSERT_EQUAL(bpmn_engine_open(&o, &e, err, sizeof err), BPMN_EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "limits.expr_depth may be at most 255");
    CU_ASSERT_EQUAL(access(o.path, F_OK), -1); /* no store was created */
}

/* ---- the command line ------------------------------------------------------------------- */

/* Runs bpmnrt with args (NULL-terminated); returns the exit code, stdout and stderr in *out and
 * *err (freed by the caller). */
static int run_cli(char **out, char **err, char *const *args)
{
    return tu_cli(args, out, err);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static void test_cli_limit_option_bounds_deploy_and_runs(void)
{
    char db[64], file[80], loop[80], lock[80], at[64], past[64];
    strcpy(db, "/tmp/bpmnrt-limits-cli-XXXXXX");
    int fd = mkstemp(db);
    if (fd >= 0)
        close(fd);
    unlink(db);
    snprintf(lock, sizeof lock, "%s-lock", db);
    snprintf(file, sizeof file, "%s.p.bpmn", db);
    snprintf(loop, sizeof loop, "%s.loop.bpmn", db);
    write_file(file, SIMPLE);
    write_file(loop, LOOP);
    size_t len = strlen(SIMPLE);
    snprintf(at, sizeof at, "file-bytes=%zu", len);
    snprintf(past, sizeof past, "file-bytes=%zu", len - 1);
    char *out = NULL, *err = NULL;

    /* one byte over: validate reports it, deploy refuses it and stores nothing */
    char *const v1[] = {"--limit", past, "validate", file, NULL};
    CU_ASSERT_EQUAL(run_cli(&out, &err, v1), 1);
    char want[128];
    snprintf(want, sizeof want, "error: file is %zu bytes, over the size limit of %zu bytes", len,
             len - 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
    free(out), free(err);
    /* far over: only the cap and a byte are read, and the message still gives the real size */
    char *const v2[] = {"--limit", "file-bytes=100", "validate", file, NULL};
    CU_ASSERT_EQUAL(run_cli(&out, &err, v2), 1);
    snprintf(want, sizeof want, "error: file is %zu bytes, over the size limit of 100 bytes", len);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
    free(out), free(err);
    char *const d1[] = {"--db", db, "--limit", past, "deploy", file, NULL};
    CU_ASSERT_EQUAL(run_cli(&out, &err, d1), 1);
    snprintf(want, sizeof want, "file is over the size limit of %zu bytes", len - 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
    free(out), free(err);
    char *const defs[] = {"--db", db, "definitions", "--json", NULL};
    CU_ASSERT_EQUAL(run_cli(&out, &err, defs), 0);
    CU_ASSERT_STRING_EQUAL(out, "[]\n");
    free(out), free(err);
    /* exactly at the limit: deployed */
    char *const d2[] = {"--db", db, "--limit", at, "deploy", file, "--json", NULL};
    CU_ASSERT_EQUAL(run_cli(&out, &err, d2), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"process\":\"p\",\"version\":1"));
    free(out), free(err);

    /* an endless loop under --limit run-steps: an incident at gw, then set-vars and retry */
    char *const d3[] = {"--db", db, "deploy", loop, NULL};
    CU_ASSERT_EQUAL(run_cli(&out, &err, d3), 0);
    free(out), free(err);
    char *const s1[] = {"--db", db, "--limit", "run-steps=1000", "start", "loop", "--vars",
                        "{\"n\": 0, \"max\": 1000000000}", "--json", NULL};
    CU_ASSERT_EQUAL(run_cli(&out, &err, s1), 0);
    cJSON *j = cJSON_Parse(out);
    CU_ASSERT_STRING_EQUAL(str(j, "state"), "incident");
    char id[32];
    snprintf(id, sizeof id, "%s", str(j, "instance"));
    cJSON_Delete(j);
    free(out), free(err);
    char *const sv[] = {"--db", db, "set-vars", id, "--vars", "{\"max\": 501}", NULL};
    CU_ASSERT_EQUAL(run_cli(&out, &err, sv), 0);
    free(out), free(err);
    char *const rt[] = {"--db", db, "retry", id, "--json", NULL};
    CU_ASSERT_EQUAL(run_cli(&out, &err, rt), 0);
    j = cJSON_Parse(out);
    CU_ASSERT_STRING_EQUAL(str(j, "state"), "active");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "n")->valueint, 501);
    cJSON_Delete(j);
    free(out), free(err);

    /* a bad name or a zero is a usage error, never a silent default */
    char *const bad[] = {"--db", db, "--limit", "tokens=0", "definitions", NULL};
    CU_ASSERT_EQUAL(run_cli(&out, &err, bad), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "--limit takes NAME=N"));
    free(out), free(err);
    unlink(db);
    unlink(lock);
    unlink(file);
    unlink(loop);
}

int main(void)
{
    static const tu_case cases[] = {
        {"file_size_limit_admits_exactly_its_size_and_refuses_one_byte_more",
         test_file_size_limit_admits_exactly_its_size_and_refuses_one_byte_more},
        {"expression_depth_limit_is_checked_at_deploy", test_expression_depth_limit_is_checked_at_deploy},
        {"expression_step_limit_makes_an_incident_at_the_element",
         test_expression_step_limit_makes_an_incident_at_the_element},
        {"run_step_limit_admits_exactly_its_steps", test_run_step_limit_admits_exactly_its_steps},
        {"endless_loop_becomes_an_incident_that_a_retry_resumes",
         test_endless_loop_becomes_an_incident_that_a_retry_resumes},
        {"token_limit_stops_a_parallel_split_at_the_gateway",
         test_token_limit_stops_a_parallel_split_at_the_gateway},
        {"token_limit_stops_a_multi_instance_activity", test_token_limit_stops_a_multi_instance_activity},
        {"token_limit_stops_a_non_interrupting_event", test_token_limit_stops_a_non_interrupting_event},
        {"token_limit_stops_a_non_interrupting_event_sub_process",
         test_token_limit_stops_a_non_interrupting_event_sub_process},
        {"multi_instance_limit_on_cardinality_and_collection",
         test_multi_instance_limit_on_cardinality_and_collection},
        {"call_depth_limit_admits_exactly_its_depth", test_call_depth_limit_admits_exactly_its_depth},
        {"call_depth_ceiling_runs_and_beyond_it_open_is_refused",
         test_call_depth_ceiling_runs_and_beyond_it_open_is_refused},
        {"cli_limit_option_bounds_deploy_and_runs", test_cli_limit_option_bounds_deploy_and_runs},
        {NULL, NULL},
    };
    return tu_run("limits", cases);
}
