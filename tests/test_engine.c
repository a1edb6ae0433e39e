/*
 * test_engine.c - element semantics through the public API on a real store: which tasks and jobs
 * are open, which events were recorded, what state the instance is in.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "test_util.h"

static char dbpath[64];
static bpmn_engine *E;
static long long fake_now = 1767258000000LL; /* 2026-01-01T09:00:00Z */

static void open_fresh(void)
{
    E = tu_engine_fresh(dbpath, &fake_now);
}

static void close_and_remove(void)
{
    tu_engine_remove(E, dbpath);
    E = NULL;
}

#define HEAD                                                                                   \
    "<?xml version=\"1.0\"?>\n<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" " \
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" "                                     \
    "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\">\n"
#define FLOW(id, a, b) "<sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"/>\n"
#define CFLOW(id, a, b, c)                                                             \
    "<sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\">"              \
    "<conditionExpression>" c "</conditionExpression></sequenceFlow>\n"

static void deploy(const char *xml)
{
    char *out = NULL;
    int rc = bpmn_deploy(E, "test.bpmn", xml, strlen(xml), &out);
    if (rc != BPMN_OK)
        fprintf(stderr, "deploy failed: %s\n", bpmn_engine_errmsg(E));
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    bpmn_free(E, out);
}

/* Starts an instance and returns its id (static buffer). */
static const char *start(const char *process, const char *vars)
{
    static char id[32];
    char *out = NULL;
    int rc = bpmn_instance_start(E, process, 0, vars, NULL, &out);
    if (rc != BPMN_OK)
        fprintf(stderr, "start failed: %s\n", bpmn_engine_errmsg(E));
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    snprintf(id, sizeof id, "%s", cJSON_GetObjectItem(j, "instance")->valuestring);
    cJSON_Delete(j);
    bpmn_free(E, out);
    return id;
}

static cJSON *show(const char *id)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_instance_show(E, id, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    return j;
}

static const char *state_of(const char *id)
{
    static char st[32];
    cJSON *j = show(id);
    snprintf(st, sizeof st, "%s", cJSON_GetObjectItem(j, "state")->valuestring);
    cJSON_Delete(j);
    return st;
}

/* Number of open tasks (or jobs) at an element. */
static cJSON *list_tasks(void)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_task_list(E, NULL, NULL, NULL, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    return j;
}

static cJSON *list_jobs(void)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_job_list(E, NULL, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    return j;
}

static int count_at(cJSON *list, const char *element)
{
    int n = 0;
    cJSON *t;
    cJSON_ArrayForEach(t, list)
        n += strcmp(cJSON_GetObjectItem(t, "element")->valuestring, element) == 0;
    return n;
}

static const char *id_at(cJSON *list, const char *element)
{
    cJSON *t;
    cJSON_ArrayForEach(t, list)
        if (strcmp(cJSON_GetObjectItem(t, "element")->valuestring, element) == 0)
            return cJSON_GetObjectItem(t, "id")->valuestring;
    return NULL;
}

static void complete_task_at(const char *element, const char *vars)
{
    cJSON *l = list_tasks();
    const char *id = id_at(l, element);
    CU_ASSERT_PTR_NOT_NULL_FATAL(id);
    char *out = NULL;
    int rc = bpmn_task_complete(E, id, vars, &out);
    if (rc != BPMN_OK)
        fprintf(stderr, "complete failed: %s\n", bpmn_engine_errmsg(E));
    CU_ASSERT_EQUAL(rc, BPMN_OK);
    bpmn_free(E, out);
    cJSON_Delete(l);
}

/* How many history events of a type (and element, when not NULL) an instance recorded. */
static int events(const char *instance, const char *type, const char *element)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_history(E, instance, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    int n = 0;
    cJSON *ev;
    cJSON_ArrayForEach(ev, j) {
        cJSON *el = cJSON_GetObjectItem(ev, "element");
        if (strcmp(cJSON_GetObjectItem(ev, "type")->valuestring, type) == 0 &&
            (!element || (cJSON_IsString(el) && strcmp(el->valuestring, element) == 0)))
            n++;
    }
    cJSON_Delete(j);
    return n;
}

static void test_straight_process_completes_in_one_operation(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f1", "s", "t")
           "<task id=\"t\"/>" FLOW("f2", "t", "e") "<endEvent id=\"e\"/></process></definitions>");
    const char *id = start("p", NULL);
    CU_ASSERT_STRING_EQUAL(state_of(id), "completed");
    CU_ASSERT_EQUAL(events(id, "instance_started", NULL), 1);
    CU_ASSERT_EQUAL(events(id, "element_completed", "t"), 1);
    CU_ASSERT_EQUAL(events(id, "instance_completed", NULL), 1);
    close_and_remove();
}

static const char forkjoin[] =
    HEAD "<process id=\"fj\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "fork")
    "<parallelGateway id=\"fork\"/>" FLOW("fa", "fork", "a") FLOW("fb", "fork", "b")
    FLOW("fc", "fork", "c")
    "<userTask id=\"a\"/><userTask id=\"b\"/><task id=\"c\"/>"
    FLOW("ja", "a", "join") FLOW("jb", "b", "join") FLOW("jc", "c", "join")
    "<parallelGateway id=\"join\"/>" FLOW("fend", "join", "after")
    "<userTask id=\"after\"/>" FLOW("fe", "after", "e") "<endEvent id=\"e\"/></process></definitions>";

static void test_parallel_join_waits_for_every_branch_and_fires_once(void)
{
    open_fresh();
    deploy(forkjoin);
    const char *id = start("fj", NULL);
    char inst[32];
    strcpy(inst, id);
    cJSON *l = list_tasks();
    CU_ASSERT_EQUAL(count_at(l, "a"), 1);
    CU_ASSERT_EQUAL(count_at(l, "b"), 1);
    CU_ASSERT_EQUAL(count_at(l, "after"), 0);
    cJSON_Delete(l);
    complete_task_at("a", NULL);
    l = list_tasks();
    CU_ASSERT_EQUAL(count_at(l, "after"), 0);
    cJSON_Delete(l);
    complete_task_at("b", NULL);
    l = list_tasks();
    CU_ASSERT_EQUAL(count_at(l, "after"), 1);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 1);
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(events(inst, "element_completed", "join"), 1);
    complete_task_at("after", NULL);
    CU_ASSERT_STRING_EQUAL(state_of(inst), "completed");
    close_and_remove();
}

/* The OR join must wait while a token upstream (at 'slow') can still reach it, even though the
 * other branch already arrived, and fire exactly once. */
static const char orjoin[] =
    HEAD "<process id=\"or\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "split")
    "<inclusiveGateway id=\"split\" default=\"fd\"/>"
    CFLOW("fx", "split", "quick", "${amount &gt; 100}")
    CFLOW("fy", "split", "slow", "=amount &gt; 50")
    FLOW("fd", "split", "none")
    "<task id=\"quick\"/><userTask id=\"slow\"/><task id=\"none\"/>"
    FLOW("q1", "quick", "join") FLOW("s1", "slow", "mid") "<task id=\"mid\"/>"
    FLOW("m1", "mid", "join") FLOW("n1", "none", "join")
    "<inclusiveGateway id=\"join\"/>" FLOW("fe", "join", "done") "<userTask id=\"done\"/>"
    FLOW("fz", "done", "e") "<endEvent id=\"e\"/></process></definitions>";

static void test_inclusive_join_waits_for_upstream_token_and_fires_once(void)
{
    open_fresh();
    deploy(orjoin);
    char inst[32];
    strcpy(inst, start("or", "{\"amount\": 150}"));
    cJSON *l = list_tasks();
    CU_ASSERT_EQUAL(count_at(l, "slow"), 1);
    CU_ASSERT_EQUAL(count_at(l, "done"), 0); /* 'quick' arrived, 'slow' can still come */
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(events(inst, "element_completed", "join"), 0);
    complete_task_at("slow", NULL);
    l = list_tasks();
    CU_ASSERT_EQUAL(count_at(l, "done"), 1);
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(events(inst, "element_completed", "join"), 1);
    close_and_remove();

    /* One branch only: the join fires at once, since nothing else can arrive. */
    open_fresh();
    deploy(orjoin);
    strcpy(inst, start("or", "{\"amount\": 80}"));
    l = list_tasks();
    CU_ASSERT_EQUAL(count_at(l, "slow"), 1);
    cJSON_Delete(l);
    complete_task_at("slow", NULL);
    l = list_tasks();
    CU_ASSERT_EQUAL(count_at(l, "done"), 1);
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(events(inst, "element_completed", "join"), 1);
    close_and_remove();

    /* No condition true: the default flow. */
    open_fresh();
    deploy(orjoin);
    strcpy(inst, start("or", "{\"amount\": 10}"));
    l = list_tasks();
    CU_ASSERT_EQUAL(count_at(l, "done"), 1);
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(events(inst, "element_completed", "none"), 1);
    close_and_remove();
}

static const char xor_no_default[] =
    HEAD "<process id=\"x\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "g")
    "<exclusiveGateway id=\"g\"/>" CFLOW("fa", "g", "a", "${amount &gt; 100}")
    CFLOW("fb", "g", "b", "${amount &lt; 0}")
    "<endEvent id=\"a\"/><endEvent id=\"b\"/></process></definitions>";

static void test_exclusive_gateway_without_match_raises_an_incident(void)
{
    open_fresh();
    deploy(xor_no_default);
    char inst[32];
    strcpy(inst, start("x", "{\"amount\": 50}"));
    cJSON *j = show(inst);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "state")->valuestring, "incident");
    cJSON *inc = cJSON_GetObjectItem(j, "incident");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(inc, "element")->valuestring, "g");
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "waiting"), 0)->valuestring, "g");
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(events(inst, "incident_raised", "g"), 1);
    /* The gateway did not complete: history shows its incident, not a completion. */
    CU_ASSERT_EQUAL(events(inst, "element_completed", "g"), 0);
    /* A matching value takes its branch. */
    strcpy(inst, start("x", "{\"amount\": 500}"));
    CU_ASSERT_STRING_EQUAL(state_of(inst), "completed");
    CU_ASSERT_EQUAL(events(inst, "element_completed", "g"), 1);
    CU_ASSERT_EQUAL(events(inst, "element_completed", "a"), 1);
    close_and_remove();
}

static const char subterm[] =
    HEAD "<process id=\"st\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "sp")
    "<subProcess id=\"sp\"><startEvent id=\"s2\"/>" FLOW("g0", "s2", "fork")
    "<parallelGateway id=\"fork\"/>" FLOW("g1", "fork", "wait") FLOW("g2", "fork", "stop")
    "<userTask id=\"wait\"/><endEvent id=\"stop\"><terminateEventDefinition/></endEvent>"
    "</subProcess>" FLOW("f1", "sp", "after") "<userTask id=\"after\"/>" FLOW("f2", "after", "e")
    "<endEvent id=\"e\"/></process></definitions>";

static void test_terminate_inside_sub_process_ends_only_the_sub_process(void)
{
    open_fresh();
    deploy(subterm);
    char inst[32];
    strcpy(inst, start("st", NULL));
    cJSON *l = list_tasks();
    CU_ASSERT_EQUAL(count_at(l, "wait"), 0); /* cancelled by the terminate end */
    CU_ASSERT_EQUAL(count_at(l, "after"), 1); /* the parent carries on */
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(events(inst, "element_terminated", "wait"), 1);
    CU_ASSERT_STRING_EQUAL(state_of(inst), "active");
    close_and_remove();
}

static const char errors[] =
    HEAD "<error id=\"Unreliable\" errorCode=\"UNRELIABLE\"/>\n"
    "<process id=\"er\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "sp")
    "<subProcess id=\"sp\"><startEvent id=\"s2\"/>" FLOW("g0", "s2", "check")
    "<serviceTask id=\"check\"><extensionElements><zeebe:taskDefinition type=\"tax-check\"/>"
    "</extensionElements></serviceTask>" FLOW("g1", "check", "verdict")
    "<exclusiveGateway id=\"verdict\" default=\"ok\"/>"
    CFLOW("bad", "verdict", "fail", "=reliable = false") FLOW("ok", "verdict", "fine")
    "<endEvent id=\"fail\"><errorEventDefinition errorRef=\"Unreliable\"/></endEvent>"
    "<endEvent id=\"fine\"/></subProcess>"
    "<boundaryEvent id=\"caught\" attachedToRef=\"sp\"><errorEventDefinition errorRef=\"Unreliable\"/>"
    "</boundaryEvent>" FLOW("f9", "caught", "reject") "<userTask id=\"reject\"/>"
    FLOW("f8", "reject", "e2") "<endEvent id=\"e2\"/>"
    FLOW("f1", "sp", "sign") "<userTask id=\"sign\"/>" FLOW("f2", "sign", "e")
    "<endEvent id=\"e\"/></process></definitions>";

static void job_complete_at(const char *element, const char *vars)
{
    cJSON *l = list_jobs();
    const char *id = id_at(l, element);
    CU_ASSERT_PTR_NOT_NULL_FATAL(id);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_job_complete(E, id, vars, &out), BPMN_OK);
    bpmn_free(E, out);
    cJSON_Delete(l);
}

static void test_error_end_inside_sub_process_reaches_its_boundary(void)
{
    open_fresh();
    deploy(errors);
    char inst[32];
    strcpy(inst, start("er", NULL));
    cJSON *l = list_jobs();
    CU_ASSERT_EQUAL(count_at(l, "check"), 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "type")->valuestring,
                           "tax-check");
    cJSON_Delete(l);
    job_complete_at("check", "{\"reliable\": false}");
    l = list_tasks();
    CU_ASSERT_EQUAL(count_at(l, "reject"), 1);
    CU_ASSERT_EQUAL(count_at(l, "sign"), 0);
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(events(inst, "element_completed", "caught"), 1);
    CU_ASSERT_EQUAL(events(inst, "element_terminated", "sp"), 1);
    close_and_remove();

    open_fresh();
    deploy(errors);
    strcpy(inst, start("er", NULL));
    job_complete_at("check", "{\"reliable\": true}");
    l = list_tasks();
    CU_ASSERT_EQUAL(count_at(l, "sign"), 1);
    CU_ASSERT_EQUAL(count_at(l, "reject"), 0);
    cJSON_Delete(l);
    close_and_remove();
}

static void test_job_failed_with_error_code_is_caught_by_boundary(void)
{
    open_fresh();
    deploy(errors);
    char inst[32];
    strcpy(inst, start("er", NULL));
    cJSON *l = list_jobs();
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_job_fail(E, id_at(l, "check"), "registry says no", -1, "UNRELIABLE",
                                  &out), BPMN_OK);
    bpmn_free(E, out);
    cJSON_Delete(l);
    l = list_tasks();
    CU_ASSERT_EQUAL(count_at(l, "reject"), 1);
    cJSON_Delete(l);
    l = list_jobs();
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 0);
    cJSON_Delete(l);
    close_and_remove();
}

static void test_job_failures_use_up_retries_then_raise_an_incident(void)
{
    open_fresh();
    deploy(errors);
    char inst[32];
    strcpy(inst, start("er", NULL));
    for (int i = 0; i < 3; i++) {
        cJSON *l = list_jobs();
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "retries")->valueint, 3 - i);
        char *out = NULL;
        CU_ASSERT_EQUAL(bpmn_job_fail(E, id_at(l, "check"), "timeout", -1, NULL, &out), BPMN_OK);
        bpmn_free(E, out);
        cJSON_Delete(l);
        CU_ASSERT_STRING_EQUAL(state_of(inst), i < 2 ? "active" : "incident");
    }
    close_and_remove();
}

static void test_variables_merge_into_the_process_and_conditions_see_them(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"v\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "t")
           "<userTask id=\"t\" camunda:assignee=\"${owner}\"/>" FLOW("f1", "t", "g")
           "<exclusiveGateway id=\"g\" default=\"low\"/>"
           CFLOW("high", "g", "big", "=amount * 2 &gt; 100") FLOW("low", "g", "small")
           "<endEvent id=\"big\"/><endEvent id=\"small\"/></process></definitions>");
    char inst[32];
    strcpy(inst, start("v", "{\"owner\": \"anna\", \"amount\": 10}"));
    cJSON *l = list_tasks();
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "assignee")->valuestring,
                           "anna");
    cJSON_Delete(l);
    complete_task_at("t", "{\"amount\": 60, \"note\": \"ok\"}");
    cJSON *j = show(inst);
    cJSON *vars = cJSON_GetObjectItem(j, "variables");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(vars, "amount")->valueint, 60);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(vars, "note")->valuestring, "ok");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "state")->valuestring, "completed");
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(events(inst, "element_completed", "big"), 1);
    close_and_remove();
}

static void test_refused_operations_leave_the_store_unchanged(void)
{
    open_fresh();
    deploy(forkjoin);
    char inst[32];
    strcpy(inst, start("fj", NULL));
    char *before = NULL, *after = NULL, *out = NULL;
    CU_ASSERT_EQUAL(bpmn_history(E, NULL, &before), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_instance_start(E, "nope", 0, NULL, NULL, &out), BPMN_ENOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(E), "'nope' is not deployed"));
    CU_ASSERT_EQUAL(bpmn_instance_start(E, "fj", 0, "{bad json", NULL, &out), BPMN_EINVAL);
    CU_ASSERT_EQUAL(bpmn_instance_start(E, "fj", 0, "[1,2]", NULL, &out), BPMN_EINVAL);
    CU_ASSERT_EQUAL(bpmn_task_complete(E, "999999", NULL, &out), BPMN_ENOTFOUND);
    CU_ASSERT_EQUAL(bpmn_task_complete(E, "abc", NULL, &out), BPMN_ENOTFOUND);
    cJSON *l = list_tasks();
    char tid[32];
    strcpy(tid, id_at(l, "a"));
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(bpmn_task_complete(E, tid, "{\"x\":", &out), BPMN_EINVAL);
    CU_ASSERT_EQUAL(bpmn_history(E, NULL, &after), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(before, after);
    bpmn_free(E, before);
    bpmn_free(E, after);
    CU_ASSERT_EQUAL(bpmn_task_complete(E, tid, NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_history(E, NULL, &before), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_task_complete(E, tid, NULL, &out), BPMN_ENOTFOUND); /* twice */
    static const char invalid[] = HEAD "<process id=\"bad\" isExecutable=\"true\">"
                                       FLOW("f", "s", "x") "</process></definitions>";
    CU_ASSERT_EQUAL(bpmn_deploy(E, "bad.bpmn", invalid, strlen(invalid), &out), BPMN_EINVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(E), "bad.bpmn:"));
    CU_ASSERT_EQUAL(bpmn_history(E, NULL, &after), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(before, after);
    bpmn_free(E, before);
    bpmn_free(E, after);
    close_and_remove();
}

static void test_versions_and_identical_redeploy(void)
{
    open_fresh();
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_deploy(E, "a.bpmn", forkjoin, strlen(forkjoin), &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"version\":1"));
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_deploy(E, "a.bpmn", forkjoin, strlen(forkjoin), &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"version\":1")); /* identical: not a new version */
    bpmn_free(E, out);
    char *changed = malloc(strlen(forkjoin) + 16);
    strcpy(changed, forkjoin);
    strcat(changed, "\n<!-- v2 -->");
    CU_ASSERT_EQUAL(bpmn_deploy(E, "a.bpmn", changed, strlen(changed), &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"version\":2"));
    bpmn_free(E, out);
    /* Each version keeps its source, byte for byte. */
    size_t len = 0;
    CU_ASSERT_EQUAL(bpmn_definition_xml(E, "fj", 1, &out, &len), BPMN_OK);
    CU_ASSERT_EQUAL(len, strlen(forkjoin));
    CU_ASSERT(memcmp(out, forkjoin, len) == 0);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_definition_xml(E, "fj", 0, &out, &len), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(out, changed);
    bpmn_free(E, out);
    free(changed);
    close_and_remove();
}

static void test_expression_syntax_error_refuses_deploy_naming_the_element(void)
{
    open_fresh();
    static const char xml[] = HEAD "<process id=\"q\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                                   "<exclusiveGateway id=\"g\" default=\"d\"/>" FLOW("f0", "s", "g")
                                   CFLOW("broken", "g", "e", "=amount &gt; &gt; 1")
                                   FLOW("d", "g", "e") "<endEvent id=\"e\"/></process></definitions>";
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_deploy(E, "q.bpmn", xml, strlen(xml), &out), BPMN_EINVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(E), "broken"));
    CU_ASSERT_EQUAL(bpmn_instance_start(E, "q", 0, NULL, NULL, &out), BPMN_ENOTFOUND);
    close_and_remove();
}

static int handler_calls;

static int tax_check_ok(void *ud, const bpmn_job_info *job, bpmn_job_result *res)
{
    (void)ud;
    handler_calls++;
    CU_ASSERT_STRING_EQUAL(job->type, "tax-check");
    CU_ASSERT_STRING_EQUAL(job->element, "check");
    CU_ASSERT_PTR_NOT_NULL(strstr(job->variables, "\"inn\":\"7701\""));
    return bpmn_job_result_vars(res, "{\"reliable\": true, \"score\": 7}");
}

static int tax_check_unreliable(void *ud, const bpmn_job_info *job, bpmn_job_result *res)
{
    (void)ud, (void)job;
    handler_calls++;
    return bpmn_job_result_error(res, "UNRELIABLE", "blacklisted");
}

static int tax_check_down(void *ud, const bpmn_job_info *job, bpmn_job_result *res)
{
    (void)ud, (void)job, (void)res;
    handler_calls++;
    return BPMN_EIO;
}

static void test_in_process_handler_completes_throws_or_falls_back_to_a_job(void)
{
    open_fresh();
    deploy(errors);
    CU_ASSERT_EQUAL(bpmn_job_handler_set(E, "tax-check", tax_check_ok, NULL), BPMN_OK);
    handler_calls = 0;
    char inst[32];
    strcpy(inst, start("er", "{\"inn\": \"7701\"}"));
    CU_ASSERT_EQUAL(handler_calls, 1);
    cJSON *l = list_tasks();
    CU_ASSERT_EQUAL(count_at(l, "sign"), 1);
    cJSON_Delete(l);
    cJSON *j = show(inst);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "score")->valueint, 7);
    cJSON_Delete(j);
    l = list_jobs();
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 0);
    cJSON_Delete(l);

    CU_ASSERT_EQUAL(bpmn_job_handler_set(E, "tax-check", tax_check_unreliable, NULL), BPMN_OK);
    strcpy(inst, start("er", "{\"inn\": \"7701\"}"));
    l = list_tasks();
    CU_ASSERT_EQUAL(count_at(l, "reject"), 1);
    cJSON_Delete(l);

    CU_ASSERT_EQUAL(bpmn_job_handler_set(E, "tax-check", tax_check_down, NULL), BPMN_OK);
    strcpy(inst, start("er", NULL));
    l = list_jobs();
    CU_ASSERT_EQUAL(count_at(l, "check"), 1);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "retries")->valueint, 2);
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(bpmn_job_handler_set(E, "tax-check", NULL, NULL), BPMN_OK);
    close_and_remove();
}

static void test_sub_process_has_its_own_variable_scope(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"sc\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "sp")
           "<subProcess id=\"sp\"><extensionElements><zeebe:ioMapping>"
           "<zeebe:input source=\"=order.qty * 2\" target=\"packs\"/>"
           "<zeebe:output source=\"=packs + 1\" target=\"shipped\"/>"
           "</zeebe:ioMapping></extensionElements>"
           "<startEvent id=\"s2\"/>" FLOW("g0", "s2", "pack") "<userTask id=\"pack\"/>"
           FLOW("g1", "pack", "e2") "<endEvent id=\"e2\"/></subProcess>"
           FLOW("f1", "sp", "t") "<userTask id=\"t\"/>" FLOW("f2", "t", "e")
           "<endEvent id=\"e\"/></process></definitions>");
    char inst[32];
    strcpy(inst, start("sc", "{\"order\": {\"qty\": 3}}"));
    /* packs lives in the sub-process: the process does not see it. */
    cJSON *j = show(inst);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "packs"));
    cJSON_Delete(j);
    /* Completing inside updates the local variable and adds a new one to the process. */
    complete_task_at("pack", "{\"packs\": 7, \"carrier\": \"DHL\"}");
    j = show(inst);
    cJSON *v = cJSON_GetObjectItem(j, "variables");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(v, "packs"));
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(v, "shipped")->valueint, 8);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(v, "carrier")->valuestring, "DHL");
    cJSON_Delete(j);
    close_and_remove();
}

/* Runs a fixed scenario on a fresh store and returns its whole history. */
static char *scenario_history(void)
{
    open_fresh();
    deploy(orjoin);
    deploy(errors);
    start("or", "{\"amount\": 150}");
    fake_now += 60000;
    complete_task_at("slow", "{\"note\": \"late\"}");
    start("er", NULL);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_history(E, NULL, &out), BPMN_OK);
    char *copy = strdup(out);
    bpmn_free(E, out);
    close_and_remove();
    return copy;
}

static void test_same_inputs_and_clock_give_the_same_history(void)
{
    long long t0 = fake_now;
    char *a = scenario_history();
    fake_now = t0;
    char *b = scenario_history();
    CU_ASSERT_STRING_EQUAL(a, b);
    CU_ASSERT(strlen(a) > 1000);
    free(a);
    free(b);
}

static void test_task_input_and_output_mappings(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"io\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "t")
           "<userTask id=\"t\"><extensionElements><zeebe:assignmentDefinition assignee=\"=who\"/>"
           "<zeebe:ioMapping><zeebe:input source=\"=customer.owner\" target=\"who\"/>"
           "<zeebe:output source=\"=upper case(decision)\" target=\"result\"/></zeebe:ioMapping>"
           "</extensionElements></userTask>" FLOW("f1", "t", "e") "<endEvent id=\"e\"/></process></definitions>");
    char inst[32];
    strcpy(inst, start("io", "{\"customer\": {\"owner\": \"vera\"}}"));
    cJSON *l = list_tasks();
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "assignee")->valuestring, "vera");
    cJSON_Delete(l);
    cJSON *j = show(inst);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "who")); /* local */
    cJSON_Delete(j);
    complete_task_at("t", "{\"decision\": \"yes\"}");
    j = show(inst);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "result")->valuestring,
                           "YES");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "who"));
    cJSON_Delete(j);
    close_and_remove();

    /* A target with dots sets a nested property, keeping the rest of the object (Zeebe). */
    open_fresh();
    deploy(HEAD "<process id=\"io2\" isExecutable=\"true\"><startEvent id=\"s\"/>"
           FLOW("f0", "s", "t") "<userTask id=\"t\"><extensionElements><zeebe:ioMapping>"
           "<zeebe:output source=\"=city\" target=\"customer.address.city\"/>"
           "</zeebe:ioMapping></extensionElements></userTask>" FLOW("f1", "t", "u")
           "<userTask id=\"u\"/></process></definitions>");
    strcpy(inst, start("io2", "{\"customer\": {\"name\": \"ACME\"}}"));
    complete_task_at("t", "{\"city\": \"Berlin\"}");
    j = show(inst);
    const cJSON *cust = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "customer");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cust, "name")->valuestring, "ACME");
    const cJSON *city = cJSON_GetObjectItem(cJSON_GetObjectItem(cust, "address"), "city");
    CU_ASSERT(cJSON_IsString(city) && strcmp(city->valuestring, "Berlin") == 0);
    cJSON_Delete(j);
    close_and_remove();
}

/* The statistics of a process version against the same counts taken from every show object
 * (the scanning computation stays the reference). */
typedef struct stat_ref {
    cJSON *counts; /* element -> [instances, incidents] */
    int instances, incidents;
} stat_ref;

static int stat_row(void *ud, const char *json)
{
    stat_ref *s = ud;
    cJSON *o = cJSON_Parse(json);
    const char *state = cJSON_GetObjectItem(o, "state")->valuestring;
    if (strcmp(state, "active") == 0 || strcmp(state, "incident") == 0) {
        s->instances++;
        s->incidents += strcmp(state, "incident") == 0;
        const cJSON *w;
        cJSON_ArrayForEach(w, cJSON_GetObjectItem(o, "waiting"))
        {
            cJSON *c = cJSON_GetObjectItem(s->counts, w->valuestring);
            if (!c) {
                c = cJSON_CreateIntArray((const int[]){0, 0}, 2);
                cJSON_AddItemToObject(s->counts, w->valuestring, c);
            }
            cJSON_SetNumberValue(cJSON_GetArrayItem(c, 0), cJSON_GetArrayItem(c, 0)->valueint + 1);
        }
        const cJSON *inc = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "incident"), "element");
        cJSON *c = cJSON_IsString(inc) ? cJSON_GetObjectItem(s->counts, inc->valuestring) : NULL;
        if (c)
            cJSON_SetNumberValue(cJSON_GetArrayItem(c, 1), cJSON_GetArrayItem(c, 1)->valueint + 1);
    }
    cJSON_Delete(o);
    return 0;
}

static void expect_statistics_match_the_scan(const char *process)
{
    stat_ref ref = {cJSON_CreateObject(), 0, 0};
    CU_ASSERT_EQUAL_FATAL(bpmn_instance_each(E, process, NULL, 0, 0, stat_row, &ref), BPMN_OK);
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_process_statistics(E, process, 1, &out), BPMN_OK);
    cJSON *st = cJSON_Parse(out);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(st, "instances")->valueint, ref.instances);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(st, "incidents")->valueint, ref.incidents);
    const cJSON *x;
    int n = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(st, "elements"))
    {
        n++;
        const cJSON *c = cJSON_GetObjectItem(ref.counts, cJSON_GetObjectItem(x, "element")->valuestring);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(x, "instances")->valueint, cJSON_GetArrayItem(c, 0)->valueint);
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(x, "incidents")->valueint, cJSON_GetArrayItem(c, 1)->valueint);
    }
    CU_ASSERT_EQUAL(n, cJSON_GetArraySize(ref.counts));
    cJSON_Delete(st);
    cJSON_Delete(ref.counts);
}

static void test_process_statistics_equal_the_scan(void)
{
    open_fresh();
    deploy(xor_no_default);
    deploy(forkjoin);
    for (int i = 0; i < 6; i++) {
        start("x", i % 2 ? "{\"amount\": 50}" : "{\"amount\": 500}");
        start("fj", "{}");
    }
    complete_task_at("a", NULL); /* one fork moves on a branch */
    expect_statistics_match_the_scan("x");
    expect_statistics_match_the_scan("fj");
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_process_statistics(E, "x", 0, &out), BPMN_OK); /* every version */
    cJSON *st = cJSON_Parse(out);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(st, "incidents")->valueint, 3);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(st, "elements")), 0);
    cJSON_Delete(st);
    close_and_remove();
}

static void test_invalid_utf8_in_variables_is_escaped_in_every_output(void)
{
    open_fresh();
    deploy(forkjoin);
    char inst[32];
    strcpy(inst, start("fj", "{\"name\": \"caf\xe9 au lait\"}"));
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_show(E, inst, &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "caf\\ufffd au lait"));
    CU_ASSERT_PTR_NULL(strchr(out, '\xe9'));
    cJSON *j = cJSON_Parse(out); /* still valid JSON */
    CU_ASSERT_PTR_NOT_NULL(j);
    cJSON_Delete(j);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_history(E, inst, &out), BPMN_OK);
    CU_ASSERT_PTR_NULL(strchr(out, '\xe9'));
    bpmn_free(E, out);
    close_and_remove();
}

static void test_history_levels(void)
{
    static const char xml[] = HEAD "<process id=\"h\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                              FLOW("f", "s", "e") "<endEvent id=\"e\"/></process></definitions>";
    for (int level = BPMN_HISTORY_ACTIVITY; level <= BPMN_HISTORY_NONE; level++) {
        strcpy(dbpath, "/tmp/bpmnrt-hl-XXXXXX");
        int fd = mkstemp(dbpath);
        close(fd);
        unlink(dbpath);
        bpmn_engine_options o = {0};
        o.path = dbpath;
        o.nosync = 1;
        o.history_level = level;
        CU_ASSERT_EQUAL_FATAL(bpmn_engine_open(&o, &E, NULL, 0), BPMN_OK);
        deploy(xml);
        char inst[32];
        strcpy(inst, start("h", "{\"secret\": \"s3cr3t\", \"n\": 1}"));
        char *out = NULL;
        CU_ASSERT_EQUAL(bpmn_history(E, inst, &out), BPMN_OK);
        CU_ASSERT_PTR_NULL(strstr(out, "s3cr3t")); /* no values kept */
        if (level == BPMN_HISTORY_ACTIVITY) {
            CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"variables\":[\"secret\",\"n\"]"));
        } else {
            CU_ASSERT_STRING_EQUAL(out, "[]");
        }
        bpmn_free(E, out);
        CU_ASSERT_STRING_EQUAL(state_of(inst), "completed");
        close_and_remove();
    }
}

static unsigned long long next_fake_id = 1000;

static unsigned long long fake_ids(void *ud)
{
    (void)ud;
    return next_fake_id += 10;
}

static void test_id_hook_names_instances_and_tasks(void)
{
    strcpy(dbpath, "/tmp/bpmnrt-ids-XXXXXX");
    int fd = mkstemp(dbpath);
    close(fd);
    unlink(dbpath);
    bpmn_engine_options o = {0};
    o.path = dbpath;
    o.nosync = 1;
    o.next_id = fake_ids;
    CU_ASSERT_EQUAL_FATAL(bpmn_engine_open(&o, &E, NULL, 0), BPMN_OK);
    deploy(forkjoin);
    CU_ASSERT_STRING_EQUAL(start("fj", NULL), "1010");
    cJSON *l = list_tasks();
    CU_ASSERT_STRING_EQUAL(id_at(l, "a"), "1020");
    CU_ASSERT_STRING_EQUAL(id_at(l, "b"), "1030");
    cJSON_Delete(l);
    close_and_remove();
}

/* Instance records written before tokens carried their activation time (format 5): the same
 * record, tokens 8 bytes shorter. Rewrites instance ID in place the way format 5 stored it. */
static void rewrite_as_format_5(uint64_t id)
{
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(E->st, 1, &t), BPMN_OK);
    uint8_t key[8];
    st_be64(key, id);
    const void *v;
    size_t vl;
    CU_ASSERT_EQUAL_FATAL(st_get(t, ST_INSTANCES, key, 8, &v, &vl), BPMN_OK);
    uint8_t *old = malloc(vl), *neu = malloc(vl);
    memcpy(old, v, vl);
    en_rd r = {old, old + vl, 0};
    uint32_t len;
    CU_ASSERT_EQUAL(en_rd_u8(&r), 6);
    en_rd_u8(&r);
    en_rd_str(&r, &len);
    en_rd_u32(&r);
    en_rd_str(&r, &len);
    en_rd_u64(&r), en_rd_u32(&r), en_rd_u32(&r), en_rd_u8(&r);
    en_rd_u64(&r), en_rd_u64(&r), en_rd_u32(&r);
    en_rd_str(&r, &len);
    en_rd_str(&r, &len);
    uint32_t ns = en_rd_u32(&r);
    for (uint32_t i = 0; i < ns; i++) {
        en_rd_u32(&r), en_rd_u32(&r), en_rd_u32(&r), en_rd_u8(&r), en_rd_u8(&r);
        en_rd_str(&r, &len);
    }
    uint32_t nt = en_rd_u32(&r);
    CU_ASSERT_FATAL(!r.bad && nt > 0);
    size_t n = (size_t)(r.p - old);
    memcpy(neu, old, n);
    neu[0] = 5;
    for (uint32_t i = 0; i < nt; i++) { /* 34 bytes of token, then the 8-byte time dropped */
        memcpy(neu + n, r.p, 34);
        n += 34;
        r.p += 42;
    }
    memcpy(neu + n, r.p, (size_t)(r.end - r.p));
    n += (size_t)(r.end - r.p);
    CU_ASSERT_EQUAL(st_put(t, ST_INSTANCES, key, 8, neu, n), BPMN_OK);
    CU_ASSERT_EQUAL(st_commit(t), BPMN_OK);
    free(old);
    free(neu);
}

/* The duration of element_completed events of one element, -1 when the event has none. */
static double completed_duration(const char *instance, const char *element)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_history(E, instance, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    double d = -2;
    cJSON *ev;
    cJSON_ArrayForEach(ev, j) {
        cJSON *el = cJSON_GetObjectItem(ev, "element");
        if (strcmp(cJSON_GetObjectItem(ev, "type")->valuestring, "element_completed") == 0 &&
            cJSON_IsString(el) && strcmp(el->valuestring, element) == 0) {
            cJSON *du = cJSON_GetObjectItem(ev, "duration");
            d = du ? du->valuedouble : -1;
        }
    }
    cJSON_Delete(j);
    return d;
}

static void test_element_completed_carries_its_duration_also_after_format_5(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "a")
           "<userTask id=\"a\"/>" FLOW("f1", "a", "b") "<userTask id=\"b\"/>" FLOW("f2", "b", "w")
           "<intermediateCatchEvent id=\"w\"><timerEventDefinition><timeDuration>PT1H"
           "</timeDuration></timerEventDefinition></intermediateCatchEvent>" FLOW("f3", "w", "e")
           "<endEvent id=\"e\"/></process></definitions>");
    char id[32];
    strcpy(id, start("p", NULL));
    CU_ASSERT_EQUAL(completed_duration(id, "s"), 0);
    fake_now += 90000; /* a took 90 s */
    complete_task_at("a", NULL);
    CU_ASSERT_EQUAL(completed_duration(id, "a"), 90000);
    /* b was activated under format 6; a format-5 record has no activation time: no duration,
     * and the instance carries on. */
    rewrite_as_format_5(strtoull(id, NULL, 10));
    fake_now += 5000;
    complete_task_at("b", NULL);
    CU_ASSERT_EQUAL(completed_duration(id, "b"), -1);
    fake_now += 3600000;
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_tick(E, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(completed_duration(id, "w"), 3600000);
    CU_ASSERT_STRING_EQUAL(state_of(id), "completed");
    close_and_remove();
}

int main(void)
{
    static const tu_case cases[] = {
        {"process_statistics_equal_the_scan", test_process_statistics_equal_the_scan},
        {"straight_process_completes_in_one_operation",
         test_straight_process_completes_in_one_operation},
        {"parallel_join_waits_for_every_branch_and_fires_once",
         test_parallel_join_waits_for_every_branch_and_fires_once},
        {"inclusive_join_waits_for_upstream_token_and_fires_once",
         test_inclusive_join_waits_for_upstream_token_and_fires_once},
        {"exclusive_gateway_without_match_raises_an_incident",
         test_exclusive_gateway_without_match_raises_an_incident},
        {"terminate_inside_sub_process_ends_only_the_sub_process",
         test_terminate_inside_sub_process_ends_only_the_sub_process},
        {"error_end_inside_sub_process_reaches_its_boundary",
         test_error_end_inside_sub_process_reaches_its_boundary},
        {"job_failed_with_error_code_is_caught_by_boundary",
         test_job_failed_with_error_code_is_caught_by_boundary},
        {"job_failures_use_up_retries_then_raise_an_incident",
         test_job_failures_use_up_retries_then_raise_an_incident},
        {"variables_merge_into_the_process_and_conditions_see_them",
         test_variables_merge_into_the_process_and_conditions_see_them},
        {"refused_operations_leave_the_store_unchanged",
         test_refused_operations_leave_the_store_unchanged},
        {"versions_and_identical_redeploy", test_versions_and_identical_redeploy},
        {"expression_syntax_error_refuses_deploy_naming_the_element",
         test_expression_syntax_error_refuses_deploy_naming_the_element},
        {"in_process_handler_completes_throws_or_falls_back_to_a_job",
         test_in_process_handler_completes_throws_or_falls_back_to_a_job},
        {"id_hook_names_instances_and_tasks", test_id_hook_names_instances_and_tasks},
        {"sub_process_has_its_own_variable_scope", test_sub_process_has_its_own_variable_scope},
        {"task_input_and_output_mappings", test_task_input_and_output_mappings},
        {"history_levels", test_history_levels},
        {"invalid_utf8_in_variables_is_escaped_in_every_output",
         test_invalid_utf8_in_variables_is_escaped_in_every_output},
        {"same_inputs_and_clock_give_the_same_history",
         test_same_inputs_and_clock_give_the_same_history},
        {"element_completed_carries_its_duration_also_after_format_5",
         test_element_completed_carries_its_duration_also_after_format_5},
        {NULL, NULL},
    };
    return tu_run("engine", cases);
}
