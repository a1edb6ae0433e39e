/*
 * test_events.c - timers, messages and signals with a fake clock: catch events, boundary events
 * (interrupting or not, cycles), a timer on a task completed first, event-based races both ways,
 * correlation by key, message and timer start events, signals reaching several instances, and
 * `serve` moving an instance on by itself in a separate process.
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test_util.h"

static char dbpath[64];
static bpmn_engine *E;
static long long fake_now = 1772442000000LL; /* 2026-03-02T09:00:00Z */

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
#define TIMER(kind, v) "<timerEventDefinition><" kind ">" v "</" kind "></timerEventDefinition>"

static void deploy(const char *xml)
{
    char *out = NULL;
    int rc = bpmn_deploy(E, "e.bpmn", xml, strlen(xml), &out);
    if (rc != BPMN_OK)
        fprintf(stderr, "deploy: %s\n", bpmn_engine_errmsg(E));
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    bpmn_free(E, out);
}

static char *start(const char *process, const char *key)
{
    static char id[32];
    char *out = NULL;
    int rc = bpmn_instance_start(E, process, 0, NULL, key, &out);
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    snprintf(id, sizeof id, "%s", cJSON_GetObjectItem(j, "instance")->valuestring);
    cJSON_Delete(j);
    bpmn_free(E, out);
    return id;
}

static int tick(void)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_tick(E, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    int n = cJSON_GetObjectItem(j, "fired")->valueint;
    cJSON_Delete(j);
    bpmn_free(E, out);
    return n;
}

/* The element ids an instance waits at, comma-joined, and its state. */
static const char *waiting(const char *inst)
{
    static char buf[512];
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_instance_show(E, inst, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out), *w;
    bpmn_free(E, out);
    snprintf(buf, sizeof buf, "%s:", cJSON_GetObjectItem(j, "state")->valuestring);
    cJSON_ArrayForEach(w, cJSON_GetObjectItem(j, "waiting")) {
        strcat(buf, w->valuestring);
        strcat(buf, ",");
    }
    cJSON_Delete(j);
    return buf;
}

static void complete_only_task(void)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_task_list(E, NULL, NULL, NULL, &out), BPMN_OK);
    cJSON *l = cJSON_Parse(out);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(l), 1);
    CU_ASSERT_EQUAL(bpmn_task_complete(E, cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "id")->valuestring,
                                       NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    cJSON_Delete(l);
}

static void test_intermediate_timer_fires_only_when_due(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "w")
           "<intermediateCatchEvent id=\"w\">" TIMER("timeDuration", "PT10M") "</intermediateCatchEvent>"
           FLOW("f1", "w", "t") "<userTask id=\"t\"/>" FLOW("f2", "t", "e") "<endEvent id=\"e\"/>"
           "</process></definitions>");
    char inst[32];
    strcpy(inst, start("p", NULL));
    CU_ASSERT_STRING_EQUAL(waiting(inst), "active:w,");
    fake_now += 9 * 60000;
    CU_ASSERT_EQUAL(tick(), 0);
    fake_now += 60000;
    CU_ASSERT_EQUAL(tick(), 1);
    CU_ASSERT_STRING_EQUAL(waiting(inst), "active:t,");
    fake_now -= 3600000; /* the clock going back fires nothing again */
    CU_ASSERT_EQUAL(tick(), 0);
    close_and_remove();
}

#define CALL_WITH_BOUNDARIES                                                                  \
    HEAD "<process id=\"lead\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "call") \
    "<userTask id=\"call\"/>" FLOW("f1", "call", "done") "<endEvent id=\"done\"/>"               \
    "<boundaryEvent id=\"remind\" attachedToRef=\"call\" cancelActivity=\"false\">"             \
    TIMER("timeCycle", "R/PT5M") "</boundaryEvent>" FLOW("f2", "remind", "notify")               \
    "<serviceTask id=\"notify\"/>" FLOW("f3", "notify", "n_end") "<endEvent id=\"n_end\"/>"     \
    "<boundaryEvent id=\"late\" attachedToRef=\"call\">" TIMER("timeDuration", "PT12M")        \
    "</boundaryEvent>" FLOW("f4", "late", "retry") "<userTask id=\"retry\"/>"                   \
    FLOW("f5", "retry", "r_end") "<endEvent id=\"r_end\"/></process></definitions>"

static int count_jobs(void)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_job_list(E, NULL, &out), BPMN_OK);
    cJSON *l = cJSON_Parse(out);
    bpmn_free(E, out);
    int n = cJSON_GetArraySize(l);
    cJSON_Delete(l);
    return n;
}

static void test_boundary_cycle_repeats_and_interrupting_timer_cancels(void)
{
    open_fresh();
    deploy(CALL_WITH_BOUNDARIES);
    char inst[32];
    strcpy(inst, start("lead", NULL));
    fake_now += 5 * 60000;
    CU_ASSERT_EQUAL(tick(), 1); /* the first reminder */
    CU_ASSERT_EQUAL(count_jobs(), 1);
    fake_now += 5 * 60000;
    CU_ASSERT_EQUAL(tick(), 1); /* and the second: the cycle repeats while the task lives */
    CU_ASSERT_EQUAL(count_jobs(), 2);
    fake_now += 2 * 60000;
    CU_ASSERT_EQUAL(tick(), 1); /* 12 minutes: the interrupting timer */
    CU_ASSERT_PTR_NOT_NULL(strstr(waiting(inst), "retry"));
    CU_ASSERT_PTR_NULL(strstr(waiting(inst), "call,"));
    fake_now += 60 * 60000;
    CU_ASSERT_EQUAL(tick(), 0); /* the reminder cycle ended with the task */
    close_and_remove();
}

static void test_timers_of_a_task_completed_first_are_gone(void)
{
    open_fresh();
    deploy(CALL_WITH_BOUNDARIES);
    char inst[32];
    strcpy(inst, start("lead", NULL));
    fake_now += 60000;
    complete_only_task();
    CU_ASSERT_STRING_EQUAL(waiting(inst), "completed:");
    long long due = 0;
    CU_ASSERT_EQUAL(bpmn_next_timer(E, &due), BPMN_ENOTFOUND);
    fake_now += 24 * 3600000LL;
    CU_ASSERT_EQUAL(tick(), 0);
    close_and_remove();
}

#define RACE                                                                                   \
    HEAD "<message id=\"Paid\" name=\"payment\"><extensionElements><zeebe:subscription "        \
    "correlationKey=\"=orderId\"/></extensionElements></message>"                              \
    "<process id=\"race\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "g")      \
    "<eventBasedGateway id=\"g\"/>" FLOW("f1", "g", "paid") FLOW("f2", "g", "timeout")          \
    "<intermediateCatchEvent id=\"paid\"><messageEventDefinition messageRef=\"Paid\"/>"          \
    "</intermediateCatchEvent>"                                                                \
    "<intermediateCatchEvent id=\"timeout\">" TIMER("timeDuration", "P3D") "</intermediateCatchEvent>" \
    FLOW("f3", "paid", "ship") "<userTask id=\"ship\"/>" FLOW("f4", "ship", "e1") "<endEvent id=\"e1\"/>" \
    FLOW("f5", "timeout", "remind") "<userTask id=\"remind\"/>" FLOW("f6", "remind", "e2")      \
    "<endEvent id=\"e2\"/></process></definitions>"

static char *start_with(const char *process, const char *vars)
{
    static char id[32];
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_instance_start(E, process, 0, vars, NULL, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    snprintf(id, sizeof id, "%s", cJSON_GetObjectItem(j, "instance")->valuestring);
    cJSON_Delete(j);
    bpmn_free(E, out);
    return id;
}

static void test_date_cron_and_month_end_timers(void)
{
    open_fresh(); /* now: 2026-03-02T09:00Z, a Monday */
    deploy(HEAD "<process id=\"forms\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "fork")
           "<parallelGateway id=\"fork\"/>" FLOW("f1", "fork", "d") FLOW("f2", "fork", "c") FLOW("f3", "fork", "m")
           "<intermediateCatchEvent id=\"d\">" TIMER("timeDate", "2026-03-05T12:00:00+03:00") "</intermediateCatchEvent>"
           "<intermediateCatchEvent id=\"c\">" TIMER("timeCycle", "0 0 9 ? * MON-FRI") "</intermediateCatchEvent>"
           "<intermediateCatchEvent id=\"m\">" TIMER("timeDuration", "${wait}") "</intermediateCatchEvent>"
           FLOW("g1", "d", "e1") FLOW("g2", "c", "e2") FLOW("g3", "m", "e3")
           "<endEvent id=\"e1\"/><endEvent id=\"e2\"/><endEvent id=\"e3\"/></process></definitions>");
    char a[32];
    strcpy(a, start_with("forms", "{\"wait\": \"P1M\"}"));
    fake_now += 24 * 3600000LL; /* Tuesday 09:00: the weekday cron fires */
    CU_ASSERT_EQUAL(tick(), 1);
    CU_ASSERT_STRING_EQUAL(waiting(a), "active:d,m,");
    fake_now = 1772701200000LL; /* 2026-03-05T09:00Z = 12:00 at +03:00 */
    CU_ASSERT_EQUAL(tick(), 1);
    CU_ASSERT_STRING_EQUAL(waiting(a), "active:m,");
    fake_now = 1775120400000LL - 1; /* just before 2026-04-02T09:00Z: a calendar month later */
    CU_ASSERT_EQUAL(tick(), 0);
    fake_now += 1;
    CU_ASSERT_EQUAL(tick(), 1);
    CU_ASSERT_STRING_EQUAL(waiting(a), "completed:");
    close_and_remove();
}

static void test_event_based_gateway_races_both_ways(void)
{
    open_fresh();
    deploy(RACE);
    char a[32], b[32];
    strcpy(a, start_with("race", "{\"orderId\": \"A-1\"}"));
    strcpy(b, start_with("race", "{\"orderId\": \"B-2\"}"));
    char *out = NULL;
    /* The message wins for A: its timer is removed in the same transaction. */
    CU_ASSERT_EQUAL(bpmn_correlate(E, "payment", "A-1", "{\"amount\": 90}", &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, a));
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(waiting(a), "active:ship,");
    /* The timer wins for B: its subscription goes, so the late payment finds nothing. */
    fake_now += 3 * 24 * 3600000LL;
    CU_ASSERT_EQUAL(tick(), 1);
    CU_ASSERT_STRING_EQUAL(waiting(b), "active:remind,");
    CU_ASSERT_EQUAL(bpmn_correlate(E, "payment", "B-2", NULL, &out), BPMN_ENOTFOUND);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(E), "nothing waits for message 'payment'"));
    close_and_remove();
}

static void test_message_correlation_by_key_delivers_once(void)
{
    open_fresh();
    deploy(RACE);
    char a[32];
    strcpy(a, start_with("race", "{\"orderId\": \"A-1\"}"));
    char *out = NULL, *before = NULL, *after = NULL;
    CU_ASSERT_EQUAL(bpmn_history(E, NULL, &before), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_correlate(E, "payment", "WRONG", NULL, &out), BPMN_ENOTFOUND);
    CU_ASSERT_EQUAL(bpmn_correlate(E, "payment", NULL, NULL, &out), BPMN_ENOTFOUND);
    CU_ASSERT_EQUAL(bpmn_history(E, NULL, &after), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(before, after); /* refused: nothing changed */
    bpmn_free(E, before);
    bpmn_free(E, after);
    CU_ASSERT_EQUAL(bpmn_correlate(E, "payment", "A-1", NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_correlate(E, "payment", "A-1", NULL, &out), BPMN_ENOTFOUND); /* once */
    close_and_remove();
}

static void test_message_start_event_starts_an_instance_with_the_key(void)
{
    open_fresh();
    deploy(HEAD "<message id=\"M\" name=\"lead-in\"/><process id=\"ms\" isExecutable=\"true\">"
           "<startEvent id=\"s\"><messageEventDefinition messageRef=\"M\"/></startEvent>"
           FLOW("f0", "s", "t") "<userTask id=\"t\"/>" FLOW("f1", "t", "e") "<endEvent id=\"e\"/>"
           "</process></definitions>");
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_correlate(E, "lead-in", "site-42", "{\"source\": \"web\"}", &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    char inst[32];
    snprintf(inst, sizeof inst, "%s", cJSON_GetObjectItem(j, "instance")->valuestring);
    cJSON_Delete(j);
    CU_ASSERT_EQUAL(bpmn_instance_show(E, inst, &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"key\":\"site-42\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"source\":\"web\""));
    bpmn_free(E, out);
    close_and_remove();
}

static void test_signal_reaches_every_waiting_instance(void)
{
    open_fresh();
    deploy(HEAD "<signal id=\"S\" name=\"price-change\"/><process id=\"sg\" isExecutable=\"true\">"
           "<startEvent id=\"s\"/>" FLOW("f0", "s", "w") "<intermediateCatchEvent id=\"w\">"
           "<signalEventDefinition signalRef=\"S\"/></intermediateCatchEvent>" FLOW("f1", "w", "e")
           "<endEvent id=\"e\"/></process></definitions>");
    char a[32], b[32];
    strcpy(a, start("sg", NULL));
    strcpy(b, start("sg", NULL));
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_signal(E, "price-change", NULL, &out), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(out, "{\"delivered\":2}");
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(waiting(a), "completed:");
    CU_ASSERT_STRING_EQUAL(waiting(b), "completed:");
    CU_ASSERT_EQUAL(bpmn_signal(E, "price-change", NULL, &out), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(out, "{\"delivered\":0}");
    bpmn_free(E, out);
    close_and_remove();
}

static void test_timer_start_event_starts_instances_on_its_schedule(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"daily\" isExecutable=\"true\"><startEvent id=\"s\">"
           TIMER("timeCycle", "R3/2026-03-03T09:00:00Z/P1D") "</startEvent>" FLOW("f0", "s", "t")
           "<userTask id=\"t\"/>" FLOW("f1", "t", "e") "<endEvent id=\"e\"/></process></definitions>");
    CU_ASSERT_EQUAL(tick(), 0);
    fake_now += 24 * 3600000LL; /* 2026-03-03T09:00Z */
    CU_ASSERT_EQUAL(tick(), 1);
    fake_now += 10 * 24 * 3600000LL;
    CU_ASSERT_EQUAL(tick(), 2); /* the other two repetitions, in due order */
    CU_ASSERT_EQUAL(tick(), 0);
    /* A cycle that started long ago begins at its next repetition, not with years of backlog. */
    deploy(HEAD "<process id=\"old\" isExecutable=\"true\"><startEvent id=\"s\">"
           TIMER("timeCycle", "R/2020-01-01T00:00:00Z/PT1M") "</startEvent>" FLOW("f0", "s", "e")
           "<endEvent id=\"e\"/></process></definitions>");
    CU_ASSERT_EQUAL(tick(), 1); /* the repetition falling on this very minute */
    fake_now += 60000;
    CU_ASSERT_EQUAL(tick(), 1); /* and the next one, a minute later */
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_list(E, "daily", NULL, &out), BPMN_OK);
    cJSON *l = cJSON_Parse(out);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 3);
    cJSON_Delete(l);
    bpmn_free(E, out);
    close_and_remove();
}

static void test_event_sub_processes_interrupting_and_not(void)
{
    open_fresh();
    deploy(HEAD "<message id=\"Upd\" name=\"update\"/><error id=\"Err\" errorCode=\"BAD\"/>"
           "<process id=\"es\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "work")
           "<userTask id=\"work\"/>" FLOW("f1", "work", "check")
           "<exclusiveGateway id=\"check\" default=\"ok\"/>"
           "<sequenceFlow id=\"bad\" sourceRef=\"check\" targetRef=\"fail\"><conditionExpression>"
           "=broken</conditionExpression></sequenceFlow>" FLOW("ok", "check", "e")
           "<endEvent id=\"fail\"><errorEventDefinition errorRef=\"Err\"/></endEvent><endEvent id=\"e\"/>"
           "<subProcess id=\"onUpdate\" triggeredByEvent=\"true\"><startEvent id=\"us\" isInterrupting=\"false\">"
           "<messageEventDefinition messageRef=\"Upd\"/></startEvent>" FLOW("u0", "us", "note")
           "<userTask id=\"note\"/>" FLOW("u1", "note", "ue") "<endEvent id=\"ue\"/></subProcess>"
           "<subProcess id=\"onError\" triggeredByEvent=\"true\"><startEvent id=\"xs\">"
           "<errorEventDefinition errorRef=\"Err\"/></startEvent>" FLOW("x0", "xs", "fix")
           "<userTask id=\"fix\"/>" FLOW("x1", "fix", "xe") "<endEvent id=\"xe\"/></subProcess>"
           "<subProcess id=\"onTimeout\" triggeredByEvent=\"true\"><startEvent id=\"ts\">"
           TIMER("timeDuration", "P7D") "</startEvent>" FLOW("t0", "ts", "te") "<endEvent id=\"te\"/>"
           "</subProcess></process></definitions>");
    char a[32];
    strcpy(a, start_with("es", "{\"broken\": true}"));
    char *out = NULL;
    /* Non-interrupting message: a parallel path, the work goes on. */
    CU_ASSERT_EQUAL(bpmn_correlate(E, "update", NULL, NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_PTR_NOT_NULL(strstr(waiting(a), "work,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(waiting(a), "note,"));
    /* An error end inside the process: the error event sub-process takes over. */
    CU_ASSERT_EQUAL(bpmn_task_list(E, NULL, NULL, NULL, &out), BPMN_OK);
    cJSON *l = cJSON_Parse(out);
    bpmn_free(E, out);
    cJSON *t;
    cJSON_ArrayForEach(t, l)
        if (strcmp(cJSON_GetObjectItem(t, "element")->valuestring, "work") == 0) {
            CU_ASSERT_EQUAL(bpmn_task_complete(E, cJSON_GetObjectItem(t, "id")->valuestring, NULL, &out), BPMN_OK);
            bpmn_free(E, out);
        }
    cJSON_Delete(l);
    CU_ASSERT_STRING_EQUAL(waiting(a), "active:onError,fix,"); /* the note was interrupted too */
    complete_only_task();
    CU_ASSERT_STRING_EQUAL(waiting(a), "completed:");
    /* The interrupting timer of another instance ends it after a week. */
    char b[32];
    strcpy(b, start_with("es", "{\"broken\": false}"));
    fake_now += 7 * 24 * 3600000LL;
    CU_ASSERT_EQUAL(tick(), 1);
    CU_ASSERT_STRING_EQUAL(waiting(b), "completed:");
    CU_ASSERT_EQUAL(bpmn_next_timer(E, &(long long){0}), BPMN_ENOTFOUND);
    close_and_remove();
}

static void test_escalation_and_link_events(void)
{
    open_fresh();
    deploy(HEAD "<escalation id=\"Esc\" escalationCode=\"LATE\"/>"
           "<process id=\"el\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "sp")
           "<subProcess id=\"sp\"><startEvent id=\"s2\"/>" FLOW("g0", "s2", "raise")
           "<intermediateThrowEvent id=\"raise\"><escalationEventDefinition escalationRef=\"Esc\"/>"
           "</intermediateThrowEvent>" FLOW("g1", "raise", "jump")
           "<intermediateThrowEvent id=\"jump\"><linkEventDefinition name=\"toEnd\"/></intermediateThrowEvent>"
           "<intermediateCatchEvent id=\"land\"><linkEventDefinition name=\"toEnd\"/></intermediateCatchEvent>"
           FLOW("g2", "land", "inner") "<userTask id=\"inner\"/>" FLOW("g3", "inner", "e2")
           "<endEvent id=\"e2\"/></subProcess>"
           "<boundaryEvent id=\"heard\" attachedToRef=\"sp\" cancelActivity=\"false\">"
           "<escalationEventDefinition escalationRef=\"Esc\"/></boundaryEvent>"
           FLOW("h0", "heard", "manager") "<userTask id=\"manager\"/>" FLOW("h1", "manager", "he")
           "<endEvent id=\"he\"/>" FLOW("f1", "sp", "e") "<endEvent id=\"e\"/></process></definitions>");
    char a[32];
    strcpy(a, start("el", NULL));
    /* The escalation reached the non-interrupting boundary; the thrower went on through the
     * link to 'inner'. */
    CU_ASSERT_PTR_NOT_NULL(strstr(waiting(a), "manager,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(waiting(a), "inner,"));
    close_and_remove();
}

static void test_conditional_events_look_again_when_variables_change(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"cond\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "fork")
           "<parallelGateway id=\"fork\"/>" FLOW("f1", "fork", "approve") FLOW("f2", "fork", "gate")
           "<userTask id=\"approve\"/>" FLOW("f3", "approve", "e1") "<endEvent id=\"e1\"/>"
           "<intermediateCatchEvent id=\"gate\"><conditionalEventDefinition><condition>"
           "=approved = true</condition></conditionalEventDefinition></intermediateCatchEvent>"
           FLOW("f4", "gate", "ship") "<userTask id=\"ship\"/>" FLOW("f5", "ship", "e2")
           "<endEvent id=\"e2\"/></process></definitions>");
    char a[32];
    strcpy(a, start_with("cond", "{\"approved\": false}"));
    CU_ASSERT_PTR_NOT_NULL(strstr(waiting(a), "gate,"));
    complete_only_task(); /* approve, without setting the variable */
    CU_ASSERT_STRING_EQUAL(waiting(a), "active:gate,");
    close_and_remove();

    open_fresh();
    deploy(HEAD "<process id=\"cond2\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "fork")
           "<parallelGateway id=\"fork\"/>" FLOW("f1", "fork", "approve") FLOW("f2", "fork", "gate")
           "<userTask id=\"approve\"/>" FLOW("f3", "approve", "e1") "<endEvent id=\"e1\"/>"
           "<intermediateCatchEvent id=\"gate\"><conditionalEventDefinition><condition>"
           "=approved = true</condition></conditionalEventDefinition></intermediateCatchEvent>"
           FLOW("f4", "gate", "e2") "<endEvent id=\"e2\"/></process></definitions>");
    strcpy(a, start_with("cond2", "{\"approved\": false}"));
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_task_list(E, NULL, NULL, NULL, &out), BPMN_OK);
    cJSON *l = cJSON_Parse(out);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_task_complete(E, cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "id")->valuestring,
                                       "{\"approved\": true}", &out), BPMN_OK);
    bpmn_free(E, out);
    cJSON_Delete(l);
    CU_ASSERT_STRING_EQUAL(waiting(a), "completed:");

    /* set-vars from outside: the condition is looked at again in the same operation. */
    strcpy(a, start_with("cond2", "{\"approved\": false}"));
    CU_ASSERT_PTR_NOT_NULL(strstr(waiting(a), "gate,"));
    CU_ASSERT_EQUAL(bpmn_instance_set_vars(E, a, "{\"approved\": true}", &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_PTR_NULL(strstr(waiting(a), "gate,"));
    close_and_remove();
}

/* A message throw or end event with a job definition is a job for a worker (Zeebe's job worker
 * on message events, Camunda's camunda:type="external"); the token moves on when it is done. */
static void test_message_events_with_a_job_definition_wait_for_a_worker(void)
{
    open_fresh();
    deploy(HEAD "<message id=\"M\" name=\"notify\"/><process id=\"mj\" isExecutable=\"true\">"
           "<startEvent id=\"s\"/>" FLOW("f0", "s", "tell")
           "<intermediateThrowEvent id=\"tell\" camunda:type=\"external\" camunda:topic=\"mail\">"
           "<messageEventDefinition messageRef=\"M\"/></intermediateThrowEvent>"
           FLOW("f1", "tell", "end") "<endEvent id=\"end\"><extensionElements>"
           "<zeebe:taskDefinition type=\"crm-close\"/></extensionElements>"
           "<messageEventDefinition messageRef=\"M\"/></endEvent></process></definitions>");
    char a[32];
    strcpy(a, start_with("mj", NULL));
    char *out = NULL;
    for (int step = 0; step < 2; step++) {
        CU_ASSERT_EQUAL_FATAL(bpmn_job_list(E, step ? "crm-close" : "mail", &out), BPMN_OK);
        cJSON *jobs = cJSON_Parse(out);
        bpmn_free(E, out);
        CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(jobs), 1);
        CU_ASSERT_EQUAL(bpmn_job_complete(E, cJSON_GetObjectItem(cJSON_GetArrayItem(jobs, 0),
                                                                 "id")->valuestring, NULL, &out),
                        BPMN_OK);
        bpmn_free(E, out);
        cJSON_Delete(jobs);
    }
    CU_ASSERT_STRING_EQUAL(waiting(a), "completed:");
    close_and_remove();
}

/* A job type written as an expression (Zeebe's type="=...") is evaluated for each job. */
static void test_job_type_expression_is_evaluated(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"jt\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "w")
           "<serviceTask id=\"w\"><extensionElements><zeebe:taskDefinition "
           "type=\"=&quot;route-&quot; + region\"/></extensionElements></serviceTask>"
           FLOW("f1", "w", "e") "<endEvent id=\"e\"/></process></definitions>");
    start_with("jt", "{\"region\": \"eu\"}");
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_job_list(E, "route-eu", &out), BPMN_OK);
    cJSON *jobs = cJSON_Parse(out);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(jobs), 1);
    cJSON_Delete(jobs);
    char b[32];
    strcpy(b, start_with("jt", "{\"region\": 5}")); /* "route-" + 5 is not text */
    CU_ASSERT_PTR_NOT_NULL(strstr(waiting(b), "incident"));
    close_and_remove();
}

/* flowable:skipExpression skips the activity only while Flowable's enabling variable is true. */
static void test_skip_expression_skips_only_when_enabled(void)
{
    open_fresh();
    deploy("<?xml version=\"1.0\"?>\n<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/"
           "MODEL\" xmlns:flowable=\"http://flowable.org/bpmn\"><process id=\"sk\" "
           "isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "w")
           "<serviceTask id=\"w\" flowable:skipExpression=\"${skip}\"/>" FLOW("f1", "w", "e")
           "<endEvent id=\"e\"/></process></definitions>");
    char a[32];
    strcpy(a, start_with("sk", "{\"skip\": true, \"_FLOWABLE_SKIP_EXPRESSION_ENABLED\": true}"));
    CU_ASSERT_STRING_EQUAL(waiting(a), "completed:");
    strcpy(a, start_with("sk", "{\"skip\": true}")); /* not enabled: the task runs */
    CU_ASSERT_STRING_EQUAL(waiting(a), "active:w,");
    strcpy(a, start_with("sk", "{\"skip\": false, \"_FLOWABLE_SKIP_EXPRESSION_ENABLED\": true}"));
    CU_ASSERT_STRING_EQUAL(waiting(a), "active:w,");
    close_and_remove();
}

/* The element of the only open task. */
static const char *only_task_element(void)
{
    static char el[64];
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_task_list(E, NULL, NULL, NULL, &out), BPMN_OK);
    cJSON *l = cJSON_Parse(out);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 1);
    snprintf(el, sizeof el, "%s", cJSON_GetArraySize(l) ?
             cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "element")->valuestring : "");
    cJSON_Delete(l);
    return el;
}

#define COMPENSABLE(id, undo)                                                                 \
    "<task id=\"" id "\"/><boundaryEvent id=\"c_" id "\" attachedToRef=\"" id "\">"         \
    "<compensateEventDefinition/></boundaryEvent><userTask id=\"" undo "\" isForCompensation=\"true\"/>" \
    "<association id=\"a_" id "\" sourceRef=\"c_" id "\" targetRef=\"" undo "\"/>"

static void test_compensation_runs_handlers_in_reverse_order(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"trip\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "hotel")
           COMPENSABLE("hotel", "cancelHotel") FLOW("f1", "hotel", "flight")
           COMPENSABLE("flight", "cancelFlight") FLOW("f2", "flight", "undo")
           "<intermediateThrowEvent id=\"undo\"><compensateEventDefinition/></intermediateThrowEvent>"
           FLOW("f3", "undo", "e") "<endEvent id=\"e\"/></process></definitions>");
    char a[32];
    strcpy(a, start("trip", NULL));
    CU_ASSERT_STRING_EQUAL(only_task_element(), "cancelFlight"); /* the last completed first */
    complete_only_task();
    CU_ASSERT_STRING_EQUAL(only_task_element(), "cancelHotel");
    complete_only_task();
    CU_ASSERT_STRING_EQUAL(waiting(a), "completed:");
    close_and_remove();
}

static void test_cancel_end_compensates_the_transaction_and_takes_its_cancel_boundary(void)
{
    open_fresh();
    deploy(HEAD "<process id=\"tx\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "t")
           "<transaction id=\"t\"><startEvent id=\"ts\"/>" FLOW("g0", "ts", "charge")
           COMPENSABLE("charge", "refund") FLOW("g1", "charge", "ok")
           "<exclusiveGateway id=\"ok\" default=\"fine\"/>"
           "<sequenceFlow id=\"bad\" sourceRef=\"ok\" targetRef=\"abort\"><conditionExpression>"
           "=fraud</conditionExpression></sequenceFlow>" FLOW("fine", "ok", "te")
           "<endEvent id=\"abort\"><cancelEventDefinition/></endEvent><endEvent id=\"te\"/></transaction>"
           "<boundaryEvent id=\"cancelled\" attachedToRef=\"t\"><cancelEventDefinition/></boundaryEvent>"
           FLOW("c0", "cancelled", "tell") "<userTask id=\"tell\"/>" FLOW("c1", "tell", "ce")
           "<endEvent id=\"ce\"/>" FLOW("f1", "t", "ship") "<userTask id=\"ship\"/>" FLOW("f2", "ship", "e")
           "<endEvent id=\"e\"/></process></definitions>");
    char a[32];
    strcpy(a, start_with("tx", "{\"fraud\": true}"));
    CU_ASSERT_STRING_EQUAL(only_task_element(), "refund");
    complete_only_task();
    CU_ASSERT_STRING_EQUAL(only_task_element(), "tell");
    CU_ASSERT_STRING_EQUAL(waiting(a), "active:tell,");
    char b[32];
    strcpy(b, start_with("tx", "{\"fraud\": false}"));
    CU_ASSERT_STRING_EQUAL(waiting(b), "active:ship,");
    close_and_remove();
}

static int collect_event(void *ud, const char *json)
{
    cJSON *arr = ud;
    cJSON *o = cJSON_Parse(json);
    return !o || !cJSON_AddItemToArray(arr, o);
}

static void test_history_of_every_element_kind_in_order_and_round_trip(void)
{
    open_fresh();
    size_t len = 0;
    char *xml = tu_read_file(BPMNRT_SOURCE_DIR "/tests/every-element.bpmn", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
    deploy(xml);
    free(xml);
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_instance_start(E, "every", 0, "{\"big\": 12345678901234}", "K", &out),
                          BPMN_OK);
    bpmn_free(E, out);
    complete_only_task();
    CU_ASSERT_EQUAL(bpmn_job_list(E, NULL, &out), BPMN_OK);
    cJSON *l = cJSON_Parse(out);
    bpmn_free(E, out);
    CU_ASSERT_EQUAL(bpmn_job_complete(E, cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "id")->valuestring,
                                      NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    cJSON_Delete(l);
    fake_now += 120000;
    CU_ASSERT_EQUAL(tick(), 1);
    CU_ASSERT_EQUAL(bpmn_correlate(E, "go", "K", NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    /* Streamed, parsed back line by line. */
    cJSON *events = cJSON_CreateArray();
    CU_ASSERT_EQUAL(bpmn_history_each(E, NULL, 0, collect_event, events), BPMN_OK);
    static const char expected[] =
        "instance_started -;element_activated s;element_completed s;element_activated t;"
        "element_completed t;element_activated x;element_completed x;element_activated fork;"
        "element_completed fork;element_activated sp;element_activated job;job_created job;"
        "element_activated ss;element_completed ss;element_activated ut;task_created ut;"
        "task_completed ut;element_completed ut;element_activated se;element_completed se;"
        "element_completed sp;element_activated join;job_completed job;element_completed job;"
        "element_activated join;element_completed join;element_activated sc;"
        "variables_updated sc;element_completed sc;element_activated w;timer_scheduled w;"
        "timer_fired w;element_completed w;element_activated m;message_correlated m;"
        "element_completed m;element_activated e;element_completed e;instance_completed -;";
    char got[4096] = "";
    cJSON *ev;
    long long seq = 0;
    cJSON_ArrayForEach(ev, events) {
        cJSON *el = cJSON_GetObjectItem(ev, "element");
        size_t o = strlen(got);
        snprintf(got + o, sizeof got - o, "%s %s;", cJSON_GetObjectItem(ev, "type")->valuestring,
                 cJSON_IsString(el) ? el->valuestring : "-");
        CU_ASSERT_EQUAL((long long)cJSON_GetObjectItem(ev, "seq")->valuedouble, ++seq);
        if (cJSON_IsString(el) && strcmp(el->valuestring, "s") == 0)
            CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(ev, "name")->valuestring,
                                   "\xd0\xa1\xd1\x82\xd0\xb0\xd1\x80\xd1\x82"); /* Старт */
        if (strcmp(cJSON_GetObjectItem(ev, "type")->valuestring, "variables_updated") == 0)
            CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "variables"), "big2")->valuedouble,
                            12345678901235.0);
    }
    CU_ASSERT_STRING_EQUAL(got, expected);
    cJSON_Delete(events);
    close_and_remove();
}

static char heard[256];

static void on_message(void *ud, const char *message, const char *key, const char *vars)
{
    (void)ud;
    snprintf(heard, sizeof heard, "%s|%s|%s", message, key, vars);
}

static void test_thrown_messages_and_signals_reach_other_instances(void)
{
    open_fresh();
    deploy(HEAD "<message id=\"Done\" name=\"order-done\"/><signal id=\"Stop\" name=\"stop-all\"/>"
           "<process id=\"waiter\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "w")
           "<intermediateCatchEvent id=\"w\"><messageEventDefinition messageRef=\"Done\"/>"
           "</intermediateCatchEvent>" FLOW("f1", "w", "x") "<intermediateCatchEvent id=\"x\">"
           "<signalEventDefinition signalRef=\"Stop\"/></intermediateCatchEvent>" FLOW("f2", "x", "e")
           "<endEvent id=\"e\"/></process>"
           "<process id=\"sender\" isExecutable=\"true\"><startEvent id=\"s9\"/>" FLOW("g0", "s9", "send")
           "<intermediateThrowEvent id=\"send\"><messageEventDefinition messageRef=\"Done\"/>"
           "</intermediateThrowEvent>" FLOW("g1", "send", "stop")
           "<endEvent id=\"stop\"><signalEventDefinition signalRef=\"Stop\"/></endEvent>"
           "</process></definitions>");
    CU_ASSERT_EQUAL(bpmn_message_handler_set(E, on_message, NULL), BPMN_OK);
    char w[32];
    strcpy(w, start("waiter", "K-7"));
    CU_ASSERT_STRING_EQUAL(waiting(w), "active:w,");
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_start(E, "sender", 0, "{\"n\": 1}", "K-7", &out), BPMN_OK);
    bpmn_free(E, out);
    /* The message (keyed by the business key) moved the waiter on, the end signal finished it. */
    CU_ASSERT_STRING_EQUAL(waiting(w), "completed:");
    CU_ASSERT_STRING_EQUAL(heard, "order-done|K-7|{\"n\":1}");
    close_and_remove();
}

static void test_serve_moves_an_instance_on_by_itself(void)
{
    strcpy(dbpath, "/tmp/bpmnrt-serve-XXXXXX");
    int fd = mkstemp(dbpath);
    close(fd);
    unlink(dbpath);
    char bpmn[] = "/tmp/bpmnrt-serve-XXXXXX.bpmn";
    fd = mkstemps(bpmn, 5);
    static const char xml[] =
        HEAD "<process id=\"wait2\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "w")
        "<intermediateCatchEvent id=\"w\">" TIMER("timeDuration", "PT2S") "</intermediateCatchEvent>"
        FLOW("f1", "w", "e") "<endEvent id=\"e\"/></process></definitions>";
    CU_ASSERT_EQUAL(write(fd, xml, sizeof xml - 1), (ssize_t)(sizeof xml - 1));
    close(fd);
    char *out, *err;
    char *dep[] = {"--db", dbpath, "deploy", bpmn, NULL};
    CU_ASSERT_EQUAL(tu_cli(dep, &out, &err), 0);
    free(out);
    free(err);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", 1);
        dup2(devnull, 2);
        execl(BPMNRT_BIN, BPMNRT_BIN, "--db", dbpath, "serve", (char *)NULL);
        _exit(127);
    }
    usleep(300000);
    char *st[] = {"--db", dbpath, "start", "wait2", "--json", NULL};
    CU_ASSERT_EQUAL(tu_cli(st, &out, &err), 0);
    cJSON *j = cJSON_Parse(out);
    char inst[32];
    snprintf(inst, sizeof inst, "%s", cJSON_GetObjectItem(j, "instance")->valuestring);
    cJSON_Delete(j);
    free(out);
    free(err);
    int done = 0;
    for (int i = 0; i < 60 && !done; i++) { /* up to 6 s */
        usleep(100000);
        char *sh[] = {"--db", dbpath, "show", inst, "--json", NULL};
        tu_cli(sh, &out, &err);
        done = strstr(out, "\"state\":\"completed\"") != NULL;
        free(out);
        free(err);
    }
    CU_ASSERT(done);
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* a clean stop */
    char lock[80];
    snprintf(lock, sizeof lock, "%s-lock", dbpath);
    unlink(dbpath);
    unlink(lock);
    unlink(bpmn);
}

int main(void)
{
    static const tu_case cases[] = {
        {"intermediate_timer_fires_only_when_due", test_intermediate_timer_fires_only_when_due},
        {"date_cron_and_month_end_timers", test_date_cron_and_month_end_timers},
        {"boundary_cycle_repeats_and_interrupting_timer_cancels",
         test_boundary_cycle_repeats_and_interrupting_timer_cancels},
        {"timers_of_a_task_completed_first_are_gone", test_timers_of_a_task_completed_first_are_gone},
        {"event_based_gateway_races_both_ways", test_event_based_gateway_races_both_ways},
        {"message_correlation_by_key_delivers_once", test_message_correlation_by_key_delivers_once},
        {"message_start_event_starts_an_instance_with_the_key",
         test_message_start_event_starts_an_instance_with_the_key},
        {"signal_reaches_every_waiting_instance", test_signal_reaches_every_waiting_instance},
        {"timer_start_event_starts_instances_on_its_schedule",
         test_timer_start_event_starts_instances_on_its_schedule},
        {"event_sub_processes_interrupting_and_not", test_event_sub_processes_interrupting_and_not},
        {"escalation_and_link_events", test_escalation_and_link_events},
        {"conditional_events_look_again_when_variables_change",
         test_conditional_events_look_again_when_variables_change},
        {"message_events_with_a_job_definition_wait_for_a_worker",
         test_message_events_with_a_job_definition_wait_for_a_worker},
        {"job_type_expression_is_evaluated", test_job_type_expression_is_evaluated},
        {"skip_expression_skips_only_when_enabled", test_skip_expression_skips_only_when_enabled},
        {"compensation_runs_handlers_in_reverse_order",
         test_compensation_runs_handlers_in_reverse_order},
        {"cancel_end_compensates_the_transaction_and_takes_its_cancel_boundary",
         test_cancel_end_compensates_the_transaction_and_takes_its_cancel_boundary},
        {"history_of_every_element_kind_in_order_and_round_trip",
         test_history_of_every_element_kind_in_order_and_round_trip},
        {"thrown_messages_and_signals_reach_other_instances",
         test_thrown_messages_and_signals_reach_other_instances},
        {"serve_moves_an_instance_on_by_itself", test_serve_moves_an_instance_on_by_itself},
        {NULL, NULL},
    };
    return tu_run("events", cases);
}
