/*
 * test_tasks.c - user tasks: assignment in every dialect, due dates, authorization of claim and
 * complete, forms on tasks and start events, and work-list queries.
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

static void open_fresh(void)
{
    E = tu_engine_fresh(dbpath, &fake_now);
}

static void close_and_remove(void)
{
    tu_engine_remove(E, dbpath);
    E = NULL;
}

#define HEAD                                                                               \
    "<?xml version=\"1.0\"?>\n<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" " \
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" "                                 \
    "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\" "                                \
    "xmlns:operaton=\"http://operaton.org/schema/1.0/bpmn\" "                              \
    "xmlns:flowable=\"http://flowable.org/bpmn\" xmlns:activiti=\"http://activiti.org/bpmn\">\n"
#define FLOW(id, a, b) "<sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"/>\n"

/* A process whose start leads to one user task given by its XML, then an end. */
static void deploy_task(const char *process, const char *start_ext, const char *task_xml)
{
    char xml[8192];
    snprintf(xml, sizeof xml,
             HEAD "<process id=\"%s\" isExecutable=\"true\"><startEvent id=\"s\">%s</startEvent>"
             FLOW("f0", "s", "t") "%s" FLOW("f1", "t", "e") "<endEvent id=\"e\"/></process>"
             "</definitions>",
             process, start_ext, task_xml);
    char *out = NULL;
    int rc = bpmn_deploy(E, "t.bpmn", xml, strlen(xml), &out);
    if (rc != BPMN_OK)
        fprintf(stderr, "deploy: %s\n", bpmn_engine_errmsg(E));
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    bpmn_free(E, out);
}

static char *start(const char *process, const char *vars, int expect)
{
    static char id[32];
    char *out = NULL;
    int rc = bpmn_instance_start(E, process, 0, vars, NULL, &out);
    CU_ASSERT_EQUAL(rc, expect);
    id[0] = '\0';
    if (rc == BPMN_OK) {
        cJSON *j = cJSON_Parse(out);
        snprintf(id, sizeof id, "%s", cJSON_GetObjectItem(j, "instance")->valuestring);
        cJSON_Delete(j);
    }
    bpmn_free(E, out);
    return id;
}

static cJSON *query(const bpmn_task_filter *f)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_task_query(E, f, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    return j;
}

/* The only open task, as JSON (caller frees). */
static cJSON *only_task(void)
{
    bpmn_task_filter f = {0};
    cJSON *l = query(&f);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(l), 1);
    cJSON *t = cJSON_DetachItemFromArray(l, 0);
    cJSON_Delete(l);
    return t;
}

static const char *str(cJSON *o, const char *k)
{
    cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : "(null)";
}

static char *list_text(cJSON *o, const char *k)
{
    static char buf[256];
    buf[0] = '\0';
    cJSON *i;
    cJSON_ArrayForEach(i, cJSON_GetObjectItem(o, k)) {
        if (buf[0])
            strcat(buf, ",");
        strcat(buf, i->valuestring);
    }
    return buf;
}

static void check_assignment(const char *task_xml, const char *vars, const char *assignee,
                             const char *users, const char *groups)
{
    open_fresh();
    deploy_task("p", "", task_xml);
    start("p", vars, BPMN_OK);
    cJSON *t = only_task();
    CU_ASSERT_STRING_EQUAL(str(t, "assignee"), assignee);
    CU_ASSERT_STRING_EQUAL(list_text(t, "candidateUsers"), users);
    CU_ASSERT_STRING_EQUAL(list_text(t, "candidateGroups"), groups);
    cJSON_Delete(t);
    close_and_remove();
}

/* camunda:initiator (and activiti:, flowable:) gives the starting user to a variable, which an
 * assignment can then use; a start that sets the variable itself keeps its value. */
static void test_initiator_names_the_starting_user(void)
{
    static const char *const dialects[] = {"camunda", "activiti", "flowable"};
    for (size_t i = 0; i < 3; i++) {
        open_fresh();
        char task[128];
        snprintf(task, sizeof task, "<userTask id=\"t\" camunda:assignee=\"${starter}\"/>");
        char xml[2048];
        snprintf(xml, sizeof xml,
                 HEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\" "
                      "%s:initiator=\"starter\"/>" FLOW("f0", "s", "t") "%s" FLOW("f1", "t", "e")
                      "<endEvent id=\"e\"/></process></definitions>",
                 dialects[i], task);
        char *out = NULL;
        CU_ASSERT_EQUAL_FATAL(bpmn_deploy(E, "t.bpmn", xml, strlen(xml), &out), BPMN_OK);
        bpmn_free(E, out);
        bpmn_actor who = {"nina", NULL};
        CU_ASSERT_EQUAL(bpmn_instance_start_as(E, "p", 0, NULL, NULL, &who, &out), BPMN_OK);
        bpmn_free(E, out);
        cJSON *t = only_task();
        CU_ASSERT_STRING_EQUAL(str(t, "assignee"), "nina");
        cJSON_Delete(t);
        /* given explicitly, the variable keeps its value */
        CU_ASSERT_EQUAL(bpmn_instance_start_as(E, "p", 0, "{\"starter\":\"olga\"}", NULL, &who,
                                               &out), BPMN_OK);
        bpmn_free(E, out);
        bpmn_task_filter f = {0};
        f.assignee = "olga";
        cJSON *l = query(&f);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 1);
        cJSON_Delete(l);
        close_and_remove();
    }
}

/* A user task ends in a BPMN error: caught by its boundary event, with the variables set first,
 * only by someone allowed to complete it, and without asking for its form. */
static void test_task_error_is_caught_by_its_boundary_event(void)
{
    open_fresh();
    char xml[2048];
    snprintf(xml, sizeof xml,
             HEAD "<error id=\"Rej\" errorCode=\"REJECTED\"/><process id=\"p\" "
                  "isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "t")
                  "<userTask id=\"t\" camunda:assignee=\"anna\"><extensionElements>"
                  "<camunda:formData><camunda:formField id=\"ok\" type=\"boolean\">"
                  "<camunda:validation><camunda:constraint name=\"required\"/>"
                  "</camunda:validation></camunda:formField></camunda:formData>"
                  "</extensionElements></userTask>"
                  "<boundaryEvent id=\"b\" attachedToRef=\"t\"><errorEventDefinition "
                  "errorRef=\"Rej\"/></boundaryEvent>" FLOW("f1", "b", "fix")
                  "<userTask id=\"fix\"/>" FLOW("f2", "t", "e") "<endEvent id=\"e\"/>"
                  "</process></definitions>");
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_deploy(E, "t.bpmn", xml, strlen(xml), &out), BPMN_OK);
    bpmn_free(E, out);
    char inst[32];
    snprintf(inst, sizeof inst, "%s", start("p", NULL, BPMN_OK));
    cJSON *t = only_task();
    char task[32];
    snprintf(task, sizeof task, "%s", str(t, "id"));
    cJSON_Delete(t);
    bpmn_actor boris = {"boris", NULL}, anna = {"anna", NULL};
    CU_ASSERT_EQUAL(bpmn_task_error(E, task, &boris, "REJECTED", NULL, NULL, &out), BPMN_EDENIED);
    CU_ASSERT_EQUAL(bpmn_task_error(E, task, &anna, "", NULL, NULL, &out), BPMN_EINVAL);
    t = only_task();
    CU_ASSERT_STRING_EQUAL(str(t, "element"), "t"); /* refused: nothing changed */
    cJSON_Delete(t);
    CU_ASSERT_EQUAL(bpmn_task_error(E, task, &anna, "REJECTED", "not this time",
                                    "{\"reason\":\"price\"}", &out), BPMN_OK);
    bpmn_free(E, out);
    t = only_task();
    CU_ASSERT_STRING_EQUAL(str(t, "element"), "fix");
    cJSON_Delete(t);
    CU_ASSERT_EQUAL(bpmn_instance_show(E, inst, &out), BPMN_OK);
    cJSON *sh = cJSON_Parse(out);
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetObjectItem(sh, "variables"), "reason"), "price");
    cJSON_Delete(sh);
    close_and_remove();
}

static void test_assignment_is_read_from_every_dialect(void)
{
    check_assignment("<userTask id=\"t\" camunda:assignee=\"anna\" camunda:candidateUsers=\"boris, "
                     "clara\" camunda:candidateGroups=\"sales\"/>",
                     NULL, "anna", "boris,clara", "sales");
    check_assignment("<userTask id=\"t\"><extensionElements><zeebe:assignmentDefinition "
                     "assignee=\"=owner.manager\" candidateGroups=\"=[&quot;sales&quot;, "
                     "&quot;support&quot;]\"/></extensionElements></userTask>",
                     "{\"owner\": {\"manager\": \"dmitri\"}}", "dmitri", "", "sales,support");
    check_assignment("<userTask id=\"t\" flowable:assignee=\"${reviewer}\" "
                     "flowable:candidateGroups=\"legal\"/>",
                     "{\"reviewer\": \"elena\"}", "elena", "", "legal");
    check_assignment("<userTask id=\"t\" activiti:candidateUsers=\"fedor\"/>", NULL, "(null)",
                     "fedor", "");
    /* Operaton (Camunda 7's community continuation) is read as camunda:. */
    check_assignment("<userTask id=\"t\" operaton:assignee=\"${owner}\" "
                     "operaton:candidateUsers=\"ivan\" operaton:candidateGroups=\"ops\"/>",
                     "{\"owner\": \"olga\"}", "olga", "ivan", "ops");
    check_assignment("<userTask id=\"t\"><humanPerformer><resourceAssignmentExpression>"
                     "<formalExpression>galina</formalExpression></resourceAssignmentExpression>"
                     "</humanPerformer></userTask>",
                     NULL, "galina", "", "");
    /* The Activiti/Camunda convention also names the performer as user(...). */
    check_assignment("<userTask id=\"t\"><humanPerformer><resourceAssignmentExpression>"
                     "<formalExpression> user(hanna) </formalExpression></resourceAssignmentExpression>"
                     "</humanPerformer></userTask>",
                     NULL, "hanna", "", "");
    check_assignment("<userTask id=\"t\"><potentialOwner><resourceAssignmentExpression>"
                     "<formalExpression>user(ivan), group(finance), managers</formalExpression>"
                     "</resourceAssignmentExpression></potentialOwner></userTask>",
                     NULL, "(null)", "ivan", "finance,managers");
}

static void check_due(const char *task_xml, const char *vars, const char *due)
{
    open_fresh();
    deploy_task("p", "", task_xml);
    start("p", vars, BPMN_OK);
    cJSON *t = only_task();
    CU_ASSERT_STRING_EQUAL(str(t, "due"), due);
    cJSON_Delete(t);
    close_and_remove();
}

static void test_due_dates_from_date_duration_and_expression(void)
{
    check_due("<userTask id=\"t\" camunda:dueDate=\"2026-03-05T18:00:00Z\"/>", NULL,
              "2026-03-05T18:00:00Z");
    check_due("<userTask id=\"t\" camunda:dueDate=\"P1D\"/>", NULL, "2026-03-03T09:00:00Z");
    check_due("<userTask id=\"t\" camunda:dueDate=\"PT1H\"/>", NULL, "2026-03-02T10:00:00Z");
    check_due("<userTask id=\"t\" camunda:dueDate=\"P1M\"/>", NULL, "2026-04-02T09:00:00Z");
    check_due("<userTask id=\"t\" camunda:dueDate=\"${deadline}\"/>",
              "{\"deadline\": \"2026-03-10T12:00:00+03:00\"}", "2026-03-10T09:00:00Z");
    check_due("<userTask id=\"t\"><extensionElements><zeebe:taskSchedule "
              "dueDate=\"=now() + duration(&quot;PT10M&quot;)\"/></extensionElements></userTask>",
              NULL, "2026-03-02T09:10:00Z");
    /* A value that is no date is an incident at the task, not a crash. */
    open_fresh();
    deploy_task("p", "", "<userTask id=\"t\" camunda:dueDate=\"${deadline}\"/>");
    char *id = start("p", "{\"deadline\": \"next week\"}", BPMN_OK);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_show(E, id, &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"state\":\"incident\""));
    bpmn_free(E, out);
    close_and_remove();
}

static int complete_as(const char *task, const char *user, const char *groups, const char *vars)
{
    bpmn_actor a = {user, groups};
    char *out = NULL;
    int rc = bpmn_task_complete_as(E, task, user ? &a : NULL, vars, &out);
    bpmn_free(E, out);
    return rc;
}

static int claim_as(const char *task, const char *user, const char *groups)
{
    bpmn_actor a = {user, groups};
    char *out = NULL;
    int rc = bpmn_task_claim(E, task, &a, &out);
    bpmn_free(E, out);
    return rc;
}

static void test_authorization_rules(void)
{
    open_fresh();
    deploy_task("p", "", "<userTask id=\"t\" camunda:candidateUsers=\"boris\" "
                         "camunda:candidateGroups=\"sales\"/>");
    start("p", NULL, BPMN_OK);
    cJSON *t = only_task();
    char id[32];
    snprintf(id, sizeof id, "%s", str(t, "id"));
    cJSON_Delete(t);
    char *before = NULL, *after = NULL;
    CU_ASSERT_EQUAL(bpmn_history(E, NULL, &before), BPMN_OK);
    /* Neither candidate user nor in a candidate group: refused, nothing changes. */
    CU_ASSERT_EQUAL(claim_as(id, "mallory", "it"), BPMN_EDENIED);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(E), "mallory is neither a candidate user"));
    CU_ASSERT_EQUAL(complete_as(id, "mallory", NULL, NULL), BPMN_EDENIED);
    CU_ASSERT_EQUAL(bpmn_history(E, NULL, &after), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(before, after);
    bpmn_free(E, after);
    /* A member of a candidate group may claim; then only she may complete. */
    CU_ASSERT_EQUAL(claim_as(id, "anna", "marketing,sales"), BPMN_OK);
    t = only_task();
    CU_ASSERT_STRING_EQUAL(str(t, "assignee"), "anna");
    cJSON_Delete(t);
    CU_ASSERT_EQUAL(claim_as(id, "boris", NULL), BPMN_EDENIED); /* claimed by someone else */
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(E), "assigned to anna"));
    CU_ASSERT_EQUAL(complete_as(id, "boris", "sales", NULL), BPMN_EDENIED);
    /* Only the assignee or an operator may unclaim. */
    bpmn_actor boris = {"boris", NULL};
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_task_unclaim(E, id, &boris, &out), BPMN_EDENIED);
    CU_ASSERT_EQUAL(bpmn_task_unclaim(E, id, NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    /* Unassigned again: the candidate user may complete directly. */
    CU_ASSERT_EQUAL(complete_as(id, "boris", NULL, NULL), BPMN_OK);
    bpmn_free(E, before);
    CU_ASSERT_EQUAL(bpmn_history(E, NULL, &before), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(before, "\"type\":\"task_claimed\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(before, "\"type\":\"task_unclaimed\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(before, "\"type\":\"task_completed\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(before, "\"user\":\"boris\""));
    bpmn_free(E, before);
    close_and_remove();

    /* The operator may complete anything. */
    open_fresh();
    deploy_task("p", "", "<userTask id=\"t\" camunda:assignee=\"anna\"/>");
    start("p", NULL, BPMN_OK);
    t = only_task();
    snprintf(id, sizeof id, "%s", str(t, "id"));
    cJSON_Delete(t);
    CU_ASSERT_EQUAL(complete_as(id, NULL, NULL, NULL), BPMN_OK);
    close_and_remove();
}

#define FORM                                                                                      \
    "<extensionElements><camunda:formData>"                                                    \
    "<camunda:formField id=\"circulation\" label=\"Circulation\" type=\"long\">"               \
    "<camunda:validation><camunda:constraint name=\"required\"/>"                              \
    "<camunda:constraint name=\"min\" config=\"100\"/></camunda:validation></camunda:formField>" \
    "<camunda:formField id=\"colour\" type=\"enum\"><camunda:value id=\"colour\" name=\"Colour\"/>" \
    "<camunda:value id=\"bw\" name=\"Black and white\"/><camunda:validation>"                  \
    "<camunda:constraint name=\"required\"/></camunda:validation></camunda:formField>"        \
    "<camunda:formField id=\"twoSided\" type=\"boolean\" defaultValue=\"false\"/>"             \
    "</camunda:formData></extensionElements>"

static void test_forms_refuse_missing_and_wrong_values_listing_every_problem(void)
{
    open_fresh();
    deploy_task("p", "", "<userTask id=\"t\" camunda:formKey=\"embedded:app:forms/order.html\">" FORM
                         "</userTask>");
    start("p", NULL, BPMN_OK);
    cJSON *t = only_task();
    char id[32];
    snprintf(id, sizeof id, "%s", str(t, "id"));
    CU_ASSERT_STRING_EQUAL(str(t, "formKey"), "embedded:app:forms/order.html");
    cJSON_Delete(t);
    CU_ASSERT_EQUAL(complete_as(id, NULL, NULL, NULL), BPMN_EINVAL);
    const char *m = bpmn_engine_errmsg(E);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "2 problems"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "field 'circulation' (Circulation) is required"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "field 'colour' is required"));
    CU_ASSERT_EQUAL(complete_as(id, NULL, NULL, "{\"circulation\": 50.5, \"colour\": \"red\"}"),
                    BPMN_EINVAL);
    m = bpmn_engine_errmsg(E);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "must be a whole number"));
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "must be one of: colour, bw"));
    CU_ASSERT_EQUAL(complete_as(id, NULL, NULL, "{\"circulation\": 10, \"colour\": \"bw\"}"),
                    BPMN_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(E), "must be at least 100"));
    /* The task is still open after every refusal. */
    t = only_task();
    CU_ASSERT_STRING_EQUAL(str(t, "id"), id);
    cJSON_Delete(t);
    CU_ASSERT_EQUAL(complete_as(id, NULL, NULL, "{\"circulation\": 500, \"colour\": \"bw\"}"),
                    BPMN_OK);
    close_and_remove();
}

static void test_start_form_defines_the_parameters_of_an_instance(void)
{
    open_fresh();
    deploy_task("cards", FORM, "<userTask id=\"t\"/>");
    start("cards", "{\"colour\": \"colour\"}", BPMN_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(E), "field 'circulation'"));
    bpmn_task_filter f = {0};
    cJSON *l = query(&f);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 0); /* nothing was started */
    cJSON_Delete(l);
    char *id = start("cards", "{\"circulation\": 1000, \"colour\": \"colour\"}", BPMN_OK);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_show(E, id, &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"twoSided\":false")); /* the default was applied */
    bpmn_free(E, out);
    close_and_remove();
}

static void test_work_lists_are_sorted_filtered_and_paged(void)
{
    open_fresh();
    deploy_task("p", "", "<userTask id=\"t\" camunda:assignee=\"${who}\" "
                         "camunda:candidateGroups=\"${groups}\" camunda:dueDate=\"${due}\"/>");
    /* Five tasks: two for anna, three claimable by sales or support, various due dates. */
    start("p", "{\"who\": \"anna\", \"groups\": \"sales\", \"due\": \"2026-03-04T00:00:00Z\"}", BPMN_OK);
    start("p", "{\"who\": null, \"groups\": \"sales\", \"due\": \"2026-03-01T00:00:00Z\"}", BPMN_OK);
    start("p", "{\"who\": null, \"groups\": \"support\", \"due\": \"2026-03-03T00:00:00Z\"}", BPMN_OK);
    start("p", "{\"who\": \"anna\", \"groups\": null, \"due\": \"2026-03-02T00:00:00Z\"}", BPMN_OK);
    start("p", "{\"who\": null, \"groups\": \"it\", \"due\": null}", BPMN_OK);

    bpmn_actor anna = {"anna", "sales,support"};
    bpmn_task_filter f = {0};
    f.worklist = &anna;
    cJSON *l = query(&f);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 4);
    const char *order[] = {"2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z",
                           "2026-03-04T00:00:00Z"};
    for (int i = 0; i < 4 && i < cJSON_GetArraySize(l); i++)
        CU_ASSERT_STRING_EQUAL(str(cJSON_GetArrayItem(l, i), "due"), order[i]);
    cJSON_Delete(l);

    f.limit = 2;
    f.offset = 1;
    l = query(&f);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 2);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetArrayItem(l, 0), "due"), order[1]);
    cJSON_Delete(l);

    bpmn_task_filter g = {0};
    g.candidate_group = "sales";
    l = query(&g);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 1); /* the assigned one is not claimable */
    cJSON_Delete(l);

    bpmn_task_filter o = {0};
    o.overdue = 1; /* now is 2026-03-02T09:00Z */
    l = query(&o);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 2);
    cJSON_Delete(l);

    bpmn_task_filter all = {0};
    l = query(&all);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 5);
    CU_ASSERT(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 4), "due"))); /* last */
    cJSON_Delete(l);
    close_and_remove();
}

static void test_completion_history_records_duration_and_lateness(void)
{
    open_fresh();
    deploy_task("p", "", "<userTask id=\"t\" camunda:assignee=\"anna\" camunda:dueDate=\"PT1H\"/>");
    start("p", NULL, BPMN_OK);
    cJSON *t = only_task();
    char id[32];
    snprintf(id, sizeof id, "%s", str(t, "id"));
    cJSON_Delete(t);
    fake_now += 2 * 3600 * 1000LL;
    CU_ASSERT_EQUAL(complete_as(id, "anna", NULL, NULL), BPMN_OK);
    fake_now -= 2 * 3600 * 1000LL;
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_history(E, NULL, &out), BPMN_OK);
    cJSON *h = cJSON_Parse(out);
    bpmn_free(E, out);
    cJSON *ev, *done = NULL;
    cJSON_ArrayForEach(ev, h)
        if (strcmp(str(ev, "type"), "task_completed") == 0)
            done = ev;
    CU_ASSERT_PTR_NOT_NULL_FATAL(done);
    CU_ASSERT_STRING_EQUAL(str(done, "user"), "anna");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(done, "duration")->valuedouble, 7200000.0);
    CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(done, "late")));
    CU_ASSERT_STRING_EQUAL(str(done, "due"), "2026-03-02T10:00:00Z");
    cJSON_Delete(h);
    close_and_remove();
}

static int count_tasks(const char *element)
{
    bpmn_task_filter f = {0};
    cJSON *l = query(&f), *t;
    int n = 0;
    cJSON_ArrayForEach(t, l)
        n += strcmp(str(t, "element"), element) == 0;
    cJSON_Delete(l);
    return n;
}

/* Completes the first open task at element (as the operator) with vars. */
static void complete_first(const char *element, const char *vars)
{
    bpmn_task_filter f = {0};
    cJSON *l = query(&f), *t;
    char id[32] = "";
    cJSON_ArrayForEach(t, l)
        if (!id[0] && strcmp(str(t, "element"), element) == 0)
            snprintf(id, sizeof id, "%s", str(t, "id"));
    cJSON_Delete(l);
    CU_ASSERT_FATAL(id[0] != '\0');
    CU_ASSERT_EQUAL(complete_as(id, NULL, NULL, vars), BPMN_OK);
}

static cJSON *variables_of(const char *inst)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_instance_show(E, inst, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    return j;
}

static void test_parallel_multi_instance_over_a_collection(void)
{
    open_fresh();
    deploy_task("mi", "", "<userTask id=\"t\" camunda:assignee=\"${reviewer}\">"
                          "<multiInstanceLoopCharacteristics camunda:collection=\"${reviewers}\" "
                          "camunda:elementVariable=\"reviewer\"/></userTask>");
    char inst[32];
    strcpy(inst, start("mi", "{\"reviewers\": [\"anna\", \"boris\", \"clara\"]}", BPMN_OK));
    CU_ASSERT_EQUAL(count_tasks("t"), 3);
    bpmn_task_filter f = {0};
    f.assignee = "boris";
    cJSON *l = query(&f);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 1);
    cJSON_Delete(l);
    complete_first("t", NULL);
    complete_first("t", NULL);
    cJSON *j = variables_of(inst);
    CU_ASSERT_STRING_EQUAL(str(j, "state"), "active");
    cJSON_Delete(j);
    complete_first("t", NULL);
    j = variables_of(inst);
    CU_ASSERT_STRING_EQUAL(str(j, "state"), "completed");
    /* The iteration variables stay local to their iterations. */
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "reviewer"));
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "loopCounter"));
    cJSON_Delete(j);
    close_and_remove();
}

static void test_sequential_multi_instance_collects_outputs(void)
{
    open_fresh();
    deploy_task("seq", "", "<userTask id=\"t\"><multiInstanceLoopCharacteristics isSequential=\"true\">"
                           "<extensionElements><zeebe:loopCharacteristics inputCollection=\"=items\" "
                           "inputElement=\"item\" outputCollection=\"results\" "
                           "outputElement=\"=item * 10 + loopCounter\"/></extensionElements>"
                           "</multiInstanceLoopCharacteristics></userTask>");
    char inst[32];
    strcpy(inst, start("seq", "{\"items\": [1, 2, 3]}", BPMN_OK));
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(count_tasks("t"), 1); /* one at a time */
        complete_first("t", NULL);
    }
    cJSON *j = variables_of(inst);
    CU_ASSERT_STRING_EQUAL(str(j, "state"), "completed");
    char *r = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "results"));
    CU_ASSERT_STRING_EQUAL(r, "[11,22,33]");
    cJSON_free(r);
    cJSON_Delete(j);
    close_and_remove();
}

static void test_completion_condition_ends_remaining_instances(void)
{
    open_fresh();
    deploy_task("cc", "", "<userTask id=\"t\"><multiInstanceLoopCharacteristics>"
                          "<loopCardinality>3</loopCardinality><completionCondition>"
                          "${nrOfCompletedInstances &gt;= 2}</completionCondition>"
                          "</multiInstanceLoopCharacteristics></userTask>");
    char inst[32];
    strcpy(inst, start("cc", NULL, BPMN_OK));
    CU_ASSERT_EQUAL(count_tasks("t"), 3);
    complete_first("t", NULL);
    CU_ASSERT_EQUAL(count_tasks("t"), 2);
    complete_first("t", NULL);
    CU_ASSERT_EQUAL(count_tasks("t"), 0); /* the third was cancelled */
    cJSON *j = variables_of(inst);
    CU_ASSERT_STRING_EQUAL(str(j, "state"), "completed");
    cJSON_Delete(j);
    close_and_remove();
}

static void test_multi_instance_sub_process_and_service_task(void)
{
    open_fresh();
    static const char xml[] =
        HEAD "<process id=\"ms\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "sp")
        "<subProcess id=\"sp\"><multiInstanceLoopCharacteristics><loopCardinality>2</loopCardinality>"
        "</multiInstanceLoopCharacteristics><startEvent id=\"s2\"/>" FLOW("g0", "s2", "pack")
        "<userTask id=\"pack\"/>" FLOW("g1", "pack", "e2") "<endEvent id=\"e2\"/></subProcess>"
        FLOW("f1", "sp", "ship")
        "<serviceTask id=\"ship\"><multiInstanceLoopCharacteristics isSequential=\"true\">"
        "<loopCardinality>=2</loopCardinality></multiInstanceLoopCharacteristics></serviceTask>"
        FLOW("f2", "ship", "e") "<endEvent id=\"e\"/></process></definitions>";
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_deploy(E, "ms.bpmn", xml, strlen(xml), &out), BPMN_OK);
    bpmn_free(E, out);
    char inst[32];
    strcpy(inst, start("ms", NULL, BPMN_OK));
    CU_ASSERT_EQUAL(count_tasks("pack"), 2);
    complete_first("pack", NULL);
    complete_first("pack", NULL);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(bpmn_job_list(E, NULL, &out), BPMN_OK);
        cJSON *l = cJSON_Parse(out);
        bpmn_free(E, out);
        CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(l), 1);
        CU_ASSERT_EQUAL(bpmn_job_complete(E, str(cJSON_GetArrayItem(l, 0), "id"), NULL, &out), BPMN_OK);
        bpmn_free(E, out);
        cJSON_Delete(l);
    }
    cJSON *j = variables_of(inst);
    CU_ASSERT_STRING_EQUAL(str(j, "state"), "completed");
    cJSON_Delete(j);
    close_and_remove();
}

static void test_standard_loop_repeats_while_its_condition_holds(void)
{
    open_fresh();
    deploy_task("loop", "", "<scriptTask id=\"t\" scriptFormat=\"feel\" camunda:resultVariable=\"n\">"
                            "<standardLoopCharacteristics loopMaximum=\"10\"><loopCondition>=n &lt; 4"
                            "</loopCondition></standardLoopCharacteristics>"
                            "<script>=n + 1</script></scriptTask>");
    char inst[32];
    strcpy(inst, start("loop", "{\"n\": 0}", BPMN_OK));
    cJSON *j = variables_of(inst);
    CU_ASSERT_STRING_EQUAL(str(j, "state"), "completed");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "n")->valueint, 4);
    cJSON_Delete(j);
    /* loopMaximum bounds it even when the condition stays true. */
    strcpy(inst, start("loop", "{\"n\": -100}", BPMN_OK));
    j = variables_of(inst);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "variables"), "n")->valueint, -90);
    cJSON_Delete(j);
    close_and_remove();
}

static void test_performer_report_counts_on_time_and_late(void)
{
    open_fresh();
    deploy_task("p", "", "<userTask id=\"t\" camunda:candidateGroups=\"sales\" camunda:dueDate=\"PT1H\"/>");
    start("p", NULL, BPMN_OK);
    start("p", NULL, BPMN_OK);
    bpmn_task_filter f = {0};
    cJSON *l = query(&f);
    char id[32];
    snprintf(id, sizeof id, "%s", str(cJSON_GetArrayItem(l, 0), "id"));
    cJSON_Delete(l);
    fake_now += 2 * 3600000LL; /* an hour late */
    CU_ASSERT_EQUAL(complete_as(id, "anna", "sales", NULL), BPMN_OK);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_report_tasks(E, NULL, 0, 0, &out), BPMN_OK);
    fake_now -= 2 * 3600000LL;
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    cJSON *u = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "assignees"), 0);
    cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "groups"), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_STRING_EQUAL(str(u, "user"), "anna");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(u, "completed")->valueint, 1);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(u, "completedLate")->valueint, 1);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(u, "medianMs")->valuedouble, 7200000.0);
    CU_ASSERT_STRING_EQUAL(str(g, "group"), "sales");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(g, "created")->valueint, 2);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(g, "completed")->valueint, 1);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(g, "open")->valueint, 1);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(g, "overdue")->valueint, 1);
    cJSON_Delete(j);
    close_and_remove();
}

/* The performer of a task is who held it when it was completed: a user who claimed it and had it
 * completed by an operator (the server does that for users with the work right) is credited,
 * and a claim released and taken by someone else moves the credit with it. */
static void test_performer_report_credits_the_assignee_at_completion(void)
{
    open_fresh();
    deploy_task("p", "", "<userTask id=\"t\" camunda:candidateGroups=\"sales\"/>");
    start("p", NULL, BPMN_OK);
    start("p", NULL, BPMN_OK);
    bpmn_task_filter f = {0};
    cJSON *l = query(&f);
    char id1[32], id2[32];
    snprintf(id1, sizeof id1, "%s", str(cJSON_GetArrayItem(l, 0), "id"));
    snprintf(id2, sizeof id2, "%s", str(cJSON_GetArrayItem(l, 1), "id"));
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(claim_as(id1, "bob", "sales"), BPMN_OK);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_task_complete(E, id1, NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(claim_as(id2, "bob", "sales"), BPMN_OK);
    bpmn_actor bob = {"bob", "sales"};
    CU_ASSERT_EQUAL(bpmn_task_unclaim(E, id2, &bob, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(claim_as(id2, "cleo", "sales"), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_task_complete(E, id2, NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    out = NULL;
    CU_ASSERT_EQUAL(bpmn_report_tasks(E, NULL, 0, 0, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    cJSON *people = cJSON_GetObjectItem(j, "assignees"), *p;
    CU_ASSERT_EQUAL(cJSON_GetArraySize(people), 2);
    int seen = 0;
    cJSON_ArrayForEach(p, people)
    {
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(p, "completed")->valueint, 1);
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(p, "open")->valueint, 0);
        seen += !strcmp(str(p, "user"), "bob") + 2 * !strcmp(str(p, "user"), "cleo");
    }
    CU_ASSERT_EQUAL(seen, 3);
    cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "groups"), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(g, "completed")->valueint, 2);
    cJSON_Delete(j);
    close_and_remove();
}

int main(void)
{
    static const tu_case cases[] = {
        {"assignment_is_read_from_every_dialect", test_assignment_is_read_from_every_dialect},
        {"performer_report_credits_the_assignee_at_completion",
         test_performer_report_credits_the_assignee_at_completion},
        {"initiator_names_the_starting_user", test_initiator_names_the_starting_user},
        {"task_error_is_caught_by_its_boundary_event",
         test_task_error_is_caught_by_its_boundary_event},
        {"due_dates_from_date_duration_and_expression",
         test_due_dates_from_date_duration_and_expression},
        {"authorization_rules", test_authorization_rules},
        {"forms_refuse_missing_and_wrong_values_listing_every_problem",
         test_forms_refuse_missing_and_wrong_values_listing_every_problem},
        {"start_form_defines_the_parameters_of_an_instance",
         test_start_form_defines_the_parameters_of_an_instance},
        {"work_lists_are_sorted_filtered_and_paged", test_work_lists_are_sorted_filtered_and_paged},
        {"completion_history_records_duration_and_lateness",
         test_completion_history_records_duration_and_lateness},
        {"performer_report_counts_on_time_and_late", test_performer_report_counts_on_time_and_late},
        {"parallel_multi_instance_over_a_collection", test_parallel_multi_instance_over_a_collection},
        {"sequential_multi_instance_collects_outputs",
         test_sequential_multi_instance_collects_outputs},
        {"completion_condition_ends_remaining_instances",
         test_completion_condition_ends_remaining_instances},
        {"multi_instance_sub_process_and_service_task",
         test_multi_instance_sub_process_and_service_task},
        {"standard_loop_repeats_while_its_condition_holds",
         test_standard_loop_repeats_while_its_condition_holds},
        {NULL, NULL},
    };
    return tu_run("tasks", cases);
}
