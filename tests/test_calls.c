/*
 * test_calls.c - call activities and managing instances: variables in and out in both dialects,
 * errors from the child, cancelling cascades, the recursion limit, suspend and resume, retry
 * after fixing data, migration, and versions side by side.
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
static long long fake_now = 1772442000000LL;

static void open_fresh(void)
{
    fake_now = 1772442000000LL;
    E = tu_engine_fresh(dbpath, &fake_now);
}

static void close_and_remove(void)
{
    tu_engine_remove(E, dbpath);
    E = NULL;
}

#define HEAD                                                                                    \
    "<?xml version=\"1.0\"?>\n<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" " \
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" "                                      \
    "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\">\n"
#define FLOW(id, a, b) "<sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"/>\n"

static void deploy(const char *xml)
{
    char *out = NULL;
    int rc = bpmn_deploy(E, "c.bpmn", xml, strlen(xml), &out);
    if (rc != BPMN_OK)
        fprintf(stderr, "deploy: %s\n", bpmn_engine_errmsg(E));
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    bpmn_free(E, out);
}

static char *start(const char *process, const char *vars)
{
    static char id[32];
    char *out = NULL;
    int rc = bpmn_instance_start(E, process, 0, vars, NULL, &out);
    if (rc != BPMN_OK)
        fprintf(stderr, "start: %s\n", bpmn_engine_errmsg(E));
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

static const char *state(const char *id)
{
    static char buf[32];
    cJSON *j = show(id);
    snprintf(buf, sizeof buf, "%s", cJSON_GetObjectItem(j, "state")->valuestring);
    cJSON_Delete(j);
    return buf;
}

/* The first child of an instance (static buffer), or "". */
static const char *child_of(const char *id)
{
    static char buf[32];
    cJSON *j = show(id);
    cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "children"), 0);
    snprintf(buf, sizeof buf, "%s", c ? c->valuestring : "");
    cJSON_Delete(j);
    return buf;
}

static void complete_task_of(const char *inst)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_task_list(E, inst, NULL, NULL, &out), BPMN_OK);
    cJSON *l = cJSON_Parse(out);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(l), 1);
    CU_ASSERT_EQUAL(bpmn_task_complete(E, cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "id")->valuestring,
                                       "{\"packed\": 3, \"secret\": 1}", &out), BPMN_OK);
    bpmn_free(E, out);
    cJSON_Delete(l);
}

#define DELIVERY                                                                                  \
    "<process id=\"delivery\" isExecutable=\"true\"><startEvent id=\"ds\"/>" FLOW("d0", "ds", "pack") \
    "<userTask id=\"pack\"/>" FLOW("d1", "pack", "de") "<endEvent id=\"de\"/></process>"

static void test_camunda_in_and_out_mappings_cross_only_what_is_mapped(void)
{
    open_fresh();
    deploy(HEAD DELIVERY
           "<process id=\"lost\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "call")
           "<callActivity id=\"call\" calledElement=\"delivery\"><extensionElements>"
           "<camunda:in source=\"order\" target=\"order\"/><camunda:out source=\"packed\" target=\"boxes\"/>"
           "</extensionElements></callActivity>" FLOW("f1", "call", "after") "<userTask id=\"after\"/>"
           FLOW("f2", "after", "e") "<endEvent id=\"e\"/></process></definitions>");
    char parent[32], child[32];
    strcpy(parent, start("lost", "{\"order\": \"A-1\", \"private\": true}"));
    strcpy(child, child_of(parent));
    CU_ASSERT_FATAL(child[0] != '\0');
    cJSON *c = show(child);
    cJSON *cv = cJSON_GetObjectItem(c, "variables");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cv, "order")->valuestring, "A-1");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(cv, "private")); /* not mapped in */
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(c, "parent")->valuestring, parent);
    cJSON_Delete(c);
    complete_task_of(child);
    CU_ASSERT_STRING_EQUAL(state(child), "completed");
    cJSON *p = show(parent);
    cJSON *pv = cJSON_GetObjectItem(p, "variables");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(pv, "boxes")->valueint, 3);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(pv, "secret")); /* not mapped out */
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(cJSON_GetObjectItem(p, "waiting"), 0)->valuestring, "after");
    cJSON_Delete(p);
    close_and_remove();
}

/* The child's business key: flowable:businessKey (an expression) or inheritBusinessKey. */
static void test_flowable_business_key_and_inheritance_reach_the_child(void)
{
    static const char *const attrs[] = {
        "flowable:businessKey=\"${order}-delivery\"", "flowable:inheritBusinessKey=\"true\"",
        "activiti:inheritBusinessKey=\"true\""};
    static const char *const want[] = {"A-1-delivery", "deal-7", "deal-7"};
    for (size_t i = 0; i < 3; i++) {
        open_fresh();
        char xml[4096];
        snprintf(xml, sizeof xml,
                 "<?xml version=\"1.0\"?>\n<definitions xmlns=\"http://www.omg.org/spec/BPMN/"
                 "20100524/MODEL\" xmlns:flowable=\"http://flowable.org/bpmn\" "
                 "xmlns:activiti=\"http://activiti.org/bpmn\">%s"
                 "<process id=\"lost\" isExecutable=\"true\"><startEvent id=\"s\"/>"
                 FLOW("f0", "s", "call") "<callActivity id=\"call\" calledElement=\"delivery\" %s/>"
                 FLOW("f1", "call", "e") "<endEvent id=\"e\"/></process></definitions>",
                 DELIVERY, attrs[i]);
        deploy(xml);
        char *out = NULL;
        CU_ASSERT_EQUAL_FATAL(bpmn_instance_start(E, "lost", 0, "{\"order\": \"A-1\"}", "deal-7",
                                                  &out), BPMN_OK);
        cJSON *j = cJSON_Parse(out);
        bpmn_free(E, out);
        char parent[32];
        snprintf(parent, sizeof parent, "%s", cJSON_GetObjectItem(j, "instance")->valuestring);
        cJSON_Delete(j);
        cJSON *c = show(child_of(parent));
        const cJSON *key = cJSON_GetObjectItem(c, "key");
        CU_ASSERT(cJSON_IsString(key) && strcmp(key->valuestring, want[i]) == 0);
        cJSON_Delete(c);
        close_and_remove();
    }
}

static void test_zeebe_propagates_all_by_default_and_outputs_replace_it(void)
{
    open_fresh();
    deploy(HEAD DELIVERY
           "<process id=\"z\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "call")
           "<callActivity id=\"call\"><extensionElements><zeebe:calledElement processId=\"delivery\"/>"
           "<zeebe:ioMapping><zeebe:output source=\"=packed * 2\" target=\"doubled\"/></zeebe:ioMapping>"
           "</extensionElements></callActivity>" FLOW("f1", "call", "e") "<endEvent id=\"e\"/>"
           "</process></definitions>");
    char parent[32], child[32];
    strcpy(parent, start("z", "{\"order\": \"Z-9\"}"));
    strcpy(child, child_of(parent));
    cJSON *c = show(child);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(c, "variables"), "order")->valuestring,
                           "Z-9");
    cJSON_Delete(c);
    complete_task_of(child);
    cJSON *p = show(parent);
    cJSON *pv = cJSON_GetObjectItem(p, "variables");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(p, "state")->valuestring, "completed");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(pv, "doubled")->valueint, 6);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(pv, "secret"));
    cJSON_Delete(p);
    close_and_remove();
}

static void test_version_bindings_choose_the_child_version(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"child\" isExecutable=\"true\"><startEvent id=\"s1\"/>" FLOW("c0", "s1", "v1")
           "<userTask id=\"v1\"/>" FLOW("c1", "v1", "e1") "<endEvent id=\"e1\"/></process></definitions>");
    deploy(HEAD "<process id=\"child\" isExecutable=\"true\"><startEvent id=\"s1\"/>" FLOW("c0", "s1", "v2")
           "<userTask id=\"v2\"/>" FLOW("c1", "v2", "e1") "<endEvent id=\"e1\"/></process></definitions>");
    deploy(HEAD "<process id=\"pin\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "a")
           "<callActivity id=\"a\" calledElement=\"child\" camunda:calledElementBinding=\"version\" "
           "camunda:calledElementVersion=\"1\"/>" FLOW("f1", "a", "b")
           "<callActivity id=\"b\" calledElement=\"=childName\"/>" FLOW("f2", "b", "e")
           "<endEvent id=\"e\"/></process></definitions>");
    char parent[32], c1[32];
    strcpy(parent, start("pin", "{\"childName\": \"child\"}"));
    strcpy(c1, child_of(parent));
    cJSON *j = show(c1);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(j, "version")->valueint, 1); /* pinned */
    cJSON_Delete(j);
    complete_task_of(c1);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_list(E, "child", "active", &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"version\":2")); /* latest, by expression */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"waiting\":[\"v2\"]"));
    bpmn_free(E, out);
    close_and_remove();
}

static void test_child_error_reaches_the_call_activity_boundary(void)
{
    open_fresh();
    deploy(HEAD "<error id=\"E\" errorCode=\"UNRELIABLE\"/>"
           "<process id=\"check\" isExecutable=\"true\"><startEvent id=\"cs\"/>" FLOW("c0", "cs", "ce")
           "<endEvent id=\"ce\"><errorEventDefinition errorRef=\"E\"/></endEvent></process>"
           "<process id=\"reg\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "call")
           "<callActivity id=\"call\" calledElement=\"check\"/>" FLOW("f1", "call", "sign")
           "<userTask id=\"sign\"/>" FLOW("f2", "sign", "e") "<endEvent id=\"e\"/>"
           "<boundaryEvent id=\"bad\" attachedToRef=\"call\"><errorEventDefinition errorRef=\"E\"/>"
           "</boundaryEvent>" FLOW("f3", "bad", "reject") "<userTask id=\"reject\"/>"
           FLOW("f4", "reject", "e2") "<endEvent id=\"e2\"/></process></definitions>");
    char parent[32];
    strcpy(parent, start("reg", NULL));
    cJSON *p = show(parent);
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(cJSON_GetObjectItem(p, "waiting"), 0)->valuestring, "reject");
    cJSON_Delete(p);
    CU_ASSERT_STRING_EQUAL(state(child_of(parent)), "terminated");
    close_and_remove();
}

static void test_child_escalation_reaches_the_call_activity(void)
{
    open_fresh();
    deploy(HEAD "<escalation id=\"Esc\" escalationCode=\"DISCOUNT\"/>"
           "<process id=\"nego\" isExecutable=\"true\"><startEvent id=\"ns\"/>" FLOW("n0", "ns", "ask")
           "<intermediateThrowEvent id=\"ask\"><escalationEventDefinition escalationRef=\"Esc\"/>"
           "</intermediateThrowEvent>" FLOW("n1", "ask", "talk") "<userTask id=\"talk\"/>"
           FLOW("n2", "talk", "ne") "<endEvent id=\"ne\"/></process>"
           "<process id=\"deal2\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "call")
           "<callActivity id=\"call\" calledElement=\"nego\"/>" FLOW("f1", "call", "e") "<endEvent id=\"e\"/>"
           "<boundaryEvent id=\"approve\" attachedToRef=\"call\" cancelActivity=\"false\">"
           "<escalationEventDefinition escalationRef=\"Esc\"/></boundaryEvent>" FLOW("f2", "approve", "boss")
           "<userTask id=\"boss\"/>" FLOW("f3", "boss", "e2") "<endEvent id=\"e2\"/></process></definitions>");
    char parent[32];
    strcpy(parent, start("deal2", NULL));
    cJSON *p = show(parent);
    char w[128] = "";
    cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(p, "waiting")) {
        strcat(w, x->valuestring);
        strcat(w, ",");
    }
    cJSON_Delete(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(w, "boss,")); /* the manager is asked... */
    CU_ASSERT_PTR_NOT_NULL(strstr(w, "call,")); /* ...while the negotiation goes on */
    CU_ASSERT_STRING_EQUAL(state(child_of(parent)), "active");
    close_and_remove();
}

static void test_cancel_cascades_to_grandchildren_and_timer_cancels_child(void)
{
    open_fresh();
    deploy(HEAD DELIVERY
           "<process id=\"mid\" isExecutable=\"true\"><startEvent id=\"ms\"/>" FLOW("m0", "ms", "mcall")
           "<callActivity id=\"mcall\" calledElement=\"delivery\"/>" FLOW("m1", "mcall", "me")
           "<endEvent id=\"me\"/></process>"
           "<process id=\"top\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "call")
           "<callActivity id=\"call\" calledElement=\"mid\"/>" FLOW("f1", "call", "e") "<endEvent id=\"e\"/>"
           "<boundaryEvent id=\"late\" attachedToRef=\"call\"><timerEventDefinition><timeDuration>P1D"
           "</timeDuration></timerEventDefinition></boundaryEvent>" FLOW("f2", "late", "e3")
           "<endEvent id=\"e3\"/></process></definitions>");
    char top[32], mid[32], leaf[32];
    strcpy(top, start("top", NULL));
    strcpy(mid, child_of(top));
    strcpy(leaf, child_of(mid));
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_cancel_by(E, top, "olga", &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_history(E, top, &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"type\":\"instance_terminated\",\"element\":null,"
                                       "\"elementType\":null,\"name\":null,\"user\":\"olga\""));
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(state(top), "terminated");
    CU_ASSERT_STRING_EQUAL(state(mid), "terminated");
    CU_ASSERT_STRING_EQUAL(state(leaf), "terminated");
    CU_ASSERT_EQUAL(bpmn_task_list(E, NULL, NULL, NULL, &out), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(out, "[]");
    bpmn_free(E, out);
    /* The interrupting timer on the call activity cancels the child tree too. */
    strcpy(top, start("top", NULL));
    strcpy(mid, child_of(top));
    fake_now += 24 * 3600000LL;
    CU_ASSERT_EQUAL(bpmn_tick(E, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(state(top), "completed");
    CU_ASSERT_STRING_EQUAL(state(mid), "terminated");
    close_and_remove();
}

static void test_recursion_limit_is_an_incident(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"loop\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "again")
           "<callActivity id=\"again\" calledElement=\"loop\"/>" FLOW("f1", "again", "e")
           "<endEvent id=\"e\"/></process></definitions>");
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_start(E, "loop", 0, NULL, NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_instance_list(E, "loop", "incident", &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "call depth limit of 64"));
    bpmn_free(E, out);
    close_and_remove();
}

static void test_missing_called_process_is_an_incident(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"m\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "c")
           "<callActivity id=\"c\" calledElement=\"nowhere\"/>" FLOW("f1", "c", "e") "<endEvent id=\"e\"/>"
           "</process></definitions>");
    char id[32];
    strcpy(id, start("m", NULL));
    cJSON *j = show(id);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "state")->valuestring, "incident");
    CU_ASSERT_PTR_NOT_NULL(strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "incident"), "message")->valuestring,
                                  "'nowhere'"));
    cJSON_Delete(j);
    close_and_remove();
}

static void test_suspend_resume_set_vars_and_retry(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"r\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "t")
           "<userTask id=\"t\"/>" FLOW("f1", "t", "g") "<exclusiveGateway id=\"g\"/>"
           "<sequenceFlow id=\"yes\" sourceRef=\"g\" targetRef=\"e\"><conditionExpression>=ok = true"
           "</conditionExpression></sequenceFlow><endEvent id=\"e\"/>"
           "<boundaryEvent id=\"b\" attachedToRef=\"t\" cancelActivity=\"false\"><timerEventDefinition>"
           "<timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>" FLOW("f2", "b", "n")
           "<endEvent id=\"n\"/></process></definitions>");
    char id[32];
    strcpy(id, start("r", "{\"ok\": false}"));
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_suspend(E, id, &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"suspended\":true"));
    bpmn_free(E, out);
    fake_now += 2 * 3600000LL;
    CU_ASSERT_EQUAL(bpmn_tick(E, &out), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(out, "{\"fired\":0}"); /* a suspended instance fires no timers */
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_task_list(E, id, NULL, NULL, &out), BPMN_OK);
    cJSON *l = cJSON_Parse(out);
    bpmn_free(E, out);
    char task[32];
    snprintf(task, sizeof task, "%s", cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "id")->valuestring);
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(bpmn_task_complete(E, task, NULL, &out), BPMN_ESTATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(E), "suspended"));
    CU_ASSERT_EQUAL(bpmn_instance_resume(E, id, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_tick(E, &out), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(out, "{\"fired\":1}"); /* the held timer is back */
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_task_complete(E, task, NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(state(id), "incident"); /* ok is false and there is no default */
    CU_ASSERT_EQUAL(bpmn_instance_set_vars(E, id, "{\"ok\": true}", &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_instance_retry(E, id, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(state(id), "completed");
    close_and_remove();
}

#define V1 HEAD "<process id=\"deal\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "qualify") \
    "<userTask id=\"qualify\"/>" FLOW("f1", "qualify", "e") "<endEvent id=\"e\"/></process></definitions>"
#define V2 HEAD "<process id=\"deal\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "qualify") \
    "<userTask id=\"qualify\"/>" FLOW("f1", "qualify", "offer") "<userTask id=\"offer\"/>"            \
    FLOW("f2", "offer", "e") "<endEvent id=\"e\"/></process></definitions>"
#define V3 HEAD "<process id=\"deal\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "lead") \
    "<userTask id=\"lead\"/>" FLOW("f1", "lead", "e") "<endEvent id=\"e\"/></process></definitions>"

static void test_versions_run_side_by_side_and_migration(void)
{
    open_fresh();
    deploy(V1);
    char old[32], newer[32];
    strcpy(old, start("deal", NULL));
    deploy(V2);
    strcpy(newer, start("deal", NULL));
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_definitions(E, &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"version\":1,\"name\":null,\"active\":1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"version\":2,\"name\":null,\"active\":1"));
    bpmn_free(E, out);
    complete_task_of(old);
    CU_ASSERT_STRING_EQUAL(state(old), "completed"); /* v1 has no offer step */
    complete_task_of(newer);
    CU_ASSERT_STRING_EQUAL(state(newer), "active"); /* v2 goes on to the offer */
    /* Migration: a v1 instance moves to v2 (qualify exists there); to v3 it is refused. */
    char m[32];
    CU_ASSERT_EQUAL(bpmn_instance_start(E, "deal", 1, NULL, NULL, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    snprintf(m, sizeof m, "%s", cJSON_GetObjectItem(j, "instance")->valuestring);
    cJSON_Delete(j);
    bpmn_free(E, out);
    deploy(V3);
    CU_ASSERT_EQUAL(bpmn_instance_migrate(E, m, 3, NULL, &out), BPMN_ESTATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(E), "no counterpart for 'qualify'"));
    CU_ASSERT_EQUAL(bpmn_instance_migrate(E, m, 2, NULL, &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"version\":2"));
    bpmn_free(E, out);
    complete_task_of(m);
    CU_ASSERT_STRING_EQUAL(state(m), "active"); /* now on v2: the offer follows */
    /* With a map, v3 accepts it. */
    CU_ASSERT_EQUAL(bpmn_instance_migrate(E, m, 3, "offer=lead", &out), BPMN_OK);
    bpmn_free(E, out);
    complete_task_of(m);
    CU_ASSERT_STRING_EQUAL(state(m), "completed");
    close_and_remove();
}

#define J1 HEAD "<process id=\"ship\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "Ship") \
    "<serviceTask id=\"Ship\"><extensionElements><zeebe:taskDefinition type=\"ship\"/></extensionElements>" \
    "</serviceTask>" FLOW("f1", "Ship", "e") "<endEvent id=\"e\"/></process></definitions>"
#define J2 HEAD "<process id=\"ship\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "Dispatch") \
    "<serviceTask id=\"Dispatch\"><extensionElements><zeebe:taskDefinition type=\"dispatch\"/>" \
    "</extensionElements></serviceTask>" FLOW("f1", "Dispatch", "check") "<userTask id=\"check\"/>" \
    FLOW("f2", "check", "e") "<endEvent id=\"e\"/></process></definitions>"

/* A job waiting at a migrated element follows it: its element, type and version are the new
 * version's, and completing it continues on the new version. */
static void test_migration_moves_waiting_jobs(void)
{
    open_fresh();
    deploy(J1);
    char id[32];
    strcpy(id, start("ship", NULL));
    deploy(J2);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_migrate(E, id, 2, "Ship=Dispatch", &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_job_list(E, NULL, &out), BPMN_OK);
    cJSON *jobs = cJSON_Parse(out);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(jobs), 1);
    cJSON *job = cJSON_GetArrayItem(jobs, 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(job, "element")->valuestring, "Dispatch");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(job, "type")->valuestring, "dispatch");
    char jid[32];
    snprintf(jid, sizeof jid, "%s", cJSON_GetObjectItem(job, "id")->valuestring);
    cJSON_Delete(jobs);
    CU_ASSERT_EQUAL(bpmn_job_list(E, "ship", &out), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(out, "[]");
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_job_complete(E, jid, NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(state(id), "active"); /* v2 goes on to the check */
    complete_task_of(id);
    CU_ASSERT_STRING_EQUAL(state(id), "completed");
    close_and_remove();
}

static void test_purge_removes_finished_instances_and_their_history(void)
{
    open_fresh();
    deploy(V1);
    char early[32], late[32], running[32];
    strcpy(early, start("deal", NULL));
    complete_task_of(early); /* completed at 2026-03-02T09:00Z */
    fake_now += 10 * 24 * 3600000LL;
    strcpy(late, start("deal", NULL));
    complete_task_of(late); /* completed ten days later */
    strcpy(running, start("deal", NULL));
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_purge(E, 1772442000000LL + 24 * 3600000LL, NULL, &out), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(out, "{\"purged\":1}");
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_instance_show(E, early, &out), BPMN_ENOTFOUND);
    CU_ASSERT_EQUAL(bpmn_history(E, early, &out), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(out, "[]");
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(state(late), "completed");
    CU_ASSERT_STRING_EQUAL(state(running), "active");
    CU_ASSERT_EQUAL(bpmn_history(E, late, &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "instance_completed"));
    bpmn_free(E, out);
    /* A history time to live: finished instances older than it go, newer ones stay. */
    deploy(HEAD "<process id=\"short\" isExecutable=\"true\" camunda:historyTimeToLive=\"P5D\">"
           "<startEvent id=\"s\"/>" FLOW("f0", "s", "e") "<endEvent id=\"e\"/></process></definitions>");
    char old[32], young[32];
    strcpy(old, start("short", NULL)); /* completes at once */
    fake_now += 6 * 24 * 3600000LL;
    strcpy(young, start("short", NULL));
    unsigned long long purged = 0;
    CU_ASSERT_EQUAL(bpmn_purge_expired(E, &purged), BPMN_OK);
    CU_ASSERT_EQUAL(purged, 1);
    CU_ASSERT_EQUAL(bpmn_instance_show(E, old, &out), BPMN_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(state(young), "completed");
    /* Running instances are never purged, whatever the date. */
    CU_ASSERT_EQUAL(bpmn_purge(E, 4102444800000LL, "deal", &out), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(out, "{\"purged\":1}");
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(state(running), "active");
    close_and_remove();
}

static void test_funnel_counts_stages_from_history(void)
{
    open_fresh();
    deploy(V2); /* qualify -> offer */
    char a[32], b[32];
    strcpy(a, start("deal", NULL));
    strcpy(b, start("deal", NULL));
    fake_now += 3600000; /* both qualified after an hour... */
    complete_task_of(a);
    complete_task_of(b);
    fake_now += 7200000; /* ...one offer accepted two hours later */
    complete_task_of(a);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_report_funnel(E, "deal", &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    cJSON *st = cJSON_GetObjectItem(j, "stages");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(st), 2);
    cJSON *q = cJSON_GetArrayItem(st, 0), *o = cJSON_GetArrayItem(st, 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(q, "element")->valuestring, "qualify");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(q, "entered")->valueint, 2);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(q, "completed")->valueint, 2);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(q, "waiting")->valueint, 0);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(q, "medianMs")->valuedouble, 3600000.0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(o, "element")->valuestring, "offer");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(o, "entered")->valueint, 2);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(o, "waiting")->valueint, 1);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(o, "avgMs")->valuedouble, 7200000.0);
    cJSON_Delete(j);
    /* Split by a start variable: the region. */
    char cc[32];
    strcpy(cc, start("deal", "{\"region\": \"north\"}"));
    CU_ASSERT_EQUAL(bpmn_report_funnel_by(E, "deal", "region", &out), BPMN_OK);
    j = cJSON_Parse(out);
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "groupBy")->valuestring, "region");
    cJSON *gq = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "stages"), 0), "groups");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(gq), 2);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(gq, 0), "value")->valuestring, "(none)");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(gq, 0), "entered")->valueint, 2);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(gq, 1), "value")->valuestring, "north");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(gq, 1), "waiting")->valueint, 1);
    cJSON_Delete(j);
    complete_task_of(cc); /* leaves it at the offer, so the durations below are unchanged */
    /* Durations: one completed in three hours, one still open. */
    CU_ASSERT_EQUAL(bpmn_report_durations(E, "deal", &out), BPMN_OK);
    j = cJSON_Parse(out);
    bpmn_free(E, out);
    cJSON *row = cJSON_GetArrayItem(j, 0);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(row, "started")->valueint, 3);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(row, "completed")->valueint, 1);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(row, "open")->valueint, 2);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(row, "medianMs")->valuedouble, 10800000.0);
    cJSON_Delete(j);
    close_and_remove();
}

int main(void)
{
    static const tu_case cases[] = {
        {"flowable_business_key_and_inheritance_reach_the_child",
         test_flowable_business_key_and_inheritance_reach_the_child},
        {"camunda_in_and_out_mappings_cross_only_what_is_mapped",
         test_camunda_in_and_out_mappings_cross_only_what_is_mapped},
        {"zeebe_propagates_all_by_default_and_outputs_replace_it",
         test_zeebe_propagates_all_by_default_and_outputs_replace_it},
        {"version_bindings_choose_the_child_version", test_version_bindings_choose_the_child_version},
        {"child_error_reaches_the_call_activity_boundary",
         test_child_error_reaches_the_call_activity_boundary},
        {"child_escalation_reaches_the_call_activity", test_child_escalation_reaches_the_call_activity},
        {"cancel_cascades_to_grandchildren_and_timer_cancels_child",
         test_cancel_cascades_to_grandchildren_and_timer_cancels_child},
        {"recursion_limit_is_an_incident", test_recursion_limit_is_an_incident},
        {"missing_called_process_is_an_incident", test_missing_called_process_is_an_incident},
        {"suspend_resume_set_vars_and_retry", test_suspend_resume_set_vars_and_retry},
        {"versions_run_side_by_side_and_migration", test_versions_run_side_by_side_and_migration},
        {"migration_moves_waiting_jobs", test_migration_moves_waiting_jobs},
        {"funnel_counts_stages_from_history", test_funnel_counts_stages_from_history},
        {"purge_removes_finished_instances_and_their_history",
         test_purge_removes_finished_instances_and_their_history},
        {NULL, NULL},
    };
    return tu_run("calls", cases);
}
