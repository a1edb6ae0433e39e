/*
 * faults_ops.c - the operations the fault-injection sweeps run, each with the setup that brings
 * a fresh engine to the state it needs (faults_util.h), and the calls that are refused.
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
#include "faults_util.h"

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
static void at_deployed(env *v) { fu_deploy(v, DOC1); }
static void at_review(env *v) { fu_deploy(v, DOC1); fu_order_at(v, "A1", 0); }
static void at_claimed(env *v)
{
    at_review(v);
    char *out = NULL;
    bpmn_free(v->e, fu_must(v, bpmn_task_claim(v->e, v->task, &ANN, &out), &out, "claim"));
}
static void at_charge(env *v) { fu_deploy(v, DOC1); fu_order_at(v, "A1", 1); }
static void at_paid(env *v) { fu_deploy(v, DOC1); fu_order_at(v, "A1", 2); }
static void at_wait(env *v) { fu_deploy(v, DOC1); fu_order_at(v, "A1", 3); v->now += 2 * HOUR; }
static void at_go(env *v) { fu_deploy(v, DOC1); fu_order_at(v, "A1", 4); }
/* Several instances in every stage, one finished, one cancelled, one in an incident: what the
 * lists, the history and the reports read. */
static void at_mixed(env *v)
{
    fu_deploy(v, DOC1);
    char key[16];
    for (int stage = 0; stage <= 5; stage++) {
        snprintf(key, sizeof key, "K%d", stage);
        fu_order_at(v, key, stage);
        v->now += HOUR / 4;
    }
    char *out = NULL;
    fu_order_at(v, "X", 0);
    bpmn_free(v->e, fu_must(v, bpmn_instance_cancel(v->e, v->inst, &out), &out, "cancel"));
    fu_order_at(v, "I", 1);
    bpmn_free(v->e, fu_must(v, bpmn_job_fail(v->e, v->job, "down", 0, NULL, &out), &out, "fail"));
    fu_order_at(v, "R", 0);
    bpmn_free(v->e, fu_must(v, bpmn_task_claim(v->e, v->task, &ANN, &out), &out, "claim"));
    v->now += 3 * 24 * HOUR; /* past the due date and the history time to live */
}
static void at_incident(env *v)
{
    at_charge(v);
    char *out = NULL;
    bpmn_free(v->e, fu_must(v, bpmn_job_fail(v->e, v->job, "down", 0, NULL, &out), &out, "fail"));
}
static void at_suspended(env *v)
{
    at_review(v);
    char *out = NULL;
    bpmn_free(v->e, fu_must(v, bpmn_instance_suspend(v->e, v->inst, &out), &out, "suspend"));
}
static void at_two_versions(env *v) { at_review(v); fu_deploy(v, DOC2); }
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
    fu_must(v, bpmn_task_list(v->e, inst, NULL, NULL, &out), &out, "tasks");
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
    bpmn_free(v->e, fu_must(v, bpmn_task_complete(v->e, task, "{\"ok\":true}", &out), &out, "complete"));
}

static void at_rich_deployed(env *v) { fu_deploy(v, RICH); }
static void at_rich_started(env *v)
{
    fu_deploy(v, RICH);
    char *out = NULL;
    fu_must(v, bpmn_instance_start(v->e, "rich", 0, "{\"amount\":20,\"approvers\":[\"ann\",\"bob\"],"
                                "\"key\":\"K1\"}", "K1", &out), &out, "start");
    fu_member(out, "instance", v->inst, sizeof v->inst);
    bpmn_free(v->e, out);
    fu_must(v, bpmn_instance_show(v->e, v->inst, &out), &out, "show");
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
    fu_must(v, bpmn_job_list(v->e, "ship", &out), &out, "jobs");
    fu_member(out, "id", v->job, sizeof v->job);
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
    fu_must(v, bpmn_job_list(v->e, type, &out), &out, "jobs");
    fu_member(out, "id", v->job, sizeof v->job);
    bpmn_free(v->e, out);
}

static void at_more_deployed(env *v) { fu_deploy(v, MORE); }
static void at_more_book(env *v)
{
    fu_deploy(v, MORE);
    char *out = NULL;
    fu_must(v, bpmn_instance_start(v->e, "more", 0, "{\"amount\":5}", NULL, &out), &out, "start");
    fu_member(out, "instance", v->inst, sizeof v->inst);
    bpmn_free(v->e, out);
    job_of_type(v, "book");
}
static void at_more_review(env *v)
{
    at_more_book(v);
    char *out = NULL;
    bpmn_free(v->e, fu_must(v, bpmn_job_complete(v->e, v->job, "{\"ref\":\"R9\"}", &out), &out, "job"));
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
    bpmn_free(v->e, fu_must(v, bpmn_task_complete(v->e, v->task, "{\"late\":true}", &out), &out,
                         "complete"));
    job_of_type(v, "unbook");
}

RUN(more_deploy, bpmn_deploy(v->e, "more.bpmn", MORE, sizeof MORE - 1, &out))
RUN(more_start, bpmn_instance_start(v->e, "more", 0, "{\"amount\":7}", "M1", &out))
RUN(more_book, bpmn_job_complete(v->e, v->job, "{\"ref\":\"R10\"}", &out))
RUN(more_late, bpmn_task_complete(v->e, v->task, "{\"late\":true}", &out))

static void at_misc_deployed(env *v) { fu_deploy(v, MISC); }
static void at_misc_started(env *v)
{
    fu_deploy(v, MISC);
    char *out = NULL;
    fu_must(v, bpmn_instance_start(v->e, "misc", 0, "{\"k\":\"A\",\"x\":1}", NULL, &out), &out, "start");
    fu_member(out, "instance", v->inst, sizeof v->inst);
    bpmn_free(v->e, out);
}
static void at_misc_steps(env *v)
{
    at_misc_started(v);
    char *out = NULL;
    bpmn_free(v->e, fu_must(v, bpmn_correlate(v->e, "ping", "A", NULL, &out), &out, "correlate"));
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
    bpmn_free(v->e, fu_must(v, bpmn_tick(v->e, &out), &out, "tick"));
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

const op OPS[] = {
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
const size_t NOPS = sizeof OPS / sizeof OPS[0];

static const bpmn_actor EVE = {"eve", "outsiders"};
/* Version 2 without the user task "review": an instance waiting there cannot move to it. */
static const char DOC_NO_REVIEW[] = HEAD "<process id=\"order\" isExecutable=\"true\">"
    "<startEvent id=\"s\"/>" FLOW("f0", "s", "other") "<userTask id=\"other\"/>"
    FLOW("f1", "other", "e") "<endEvent id=\"e\"/></process></definitions>";

static void at_review_and_v2(env *v)
{
    at_review(v);
    fu_deploy(v, DOC_NO_REVIEW);
}

RUN(start_unknown, bpmn_instance_start(v->e, "nope", 0, NULL, NULL, &out))
RUN(complete_bad_form, bpmn_task_complete(v->e, v->task, "{\"approved\":\"maybe\"}", &out))
RUN(claim_denied, bpmn_task_claim(v->e, v->task, &EVE, &out))
RUN(complete_suspended, bpmn_task_complete(v->e, v->task, "{\"approved\":true}", &out))
RUN(correlate_nobody, bpmn_correlate(v->e, "payment", "nobody", NULL, &out))
RUN(show_unknown, bpmn_instance_show(v->e, "999", &out))
RUN(start_bad_vars, bpmn_instance_start(v->e, "order", 0, "{\"a\":", NULL, &out))

const refusal REFUSALS[] = {
    {"start of an unknown process", at_deployed, run_start_unknown, BPMN_ENOTFOUND},
    {"start with malformed variables", at_deployed, run_start_bad_vars, BPMN_EINVAL},
    {"complete against the form", at_review, run_complete_bad_form, BPMN_EINVAL},
    {"claim by an outsider", at_review, run_claim_denied, BPMN_EDENIED},
    {"complete while suspended", at_suspended, run_complete_suspended, BPMN_ESTATE},
    {"migrate without the element", at_review_and_v2, run_migrate, BPMN_ESTATE},
    {"correlate to nobody", at_paid, run_correlate_nobody, BPMN_ENOTFOUND},
    {"show an unknown instance", at_review, run_show_unknown, BPMN_ENOTFOUND},
};
const size_t NREFUSALS = sizeof REFUSALS / sizeof REFUSALS[0];
