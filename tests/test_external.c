/*
 * test_external.c - Camunda's external task protocol on the engine's jobs, on a fake clock:
 * fetch and lock by several workers, lock expiry, extending and releasing locks, priorities,
 * retries and retry timeouts, BPMN errors, typed variables, topic filters and the listing.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine/engine.h"
#include "test_util.h"

static char dbpath[64];
static bpmn_engine *E;
static long long fake_now = 1767258000000LL; /* 2026-01-01T09:00:00Z */

#define HEAD                                                                                   \
    "<?xml version=\"1.0\"?>\n<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" " \
    "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\">\n"
#define FLOW(id, a, b) "<sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"/>\n"

/* ship: pack (topic packing, priority 5) then a user task; a BROKEN error leads to repair.
 * urgent: rush (topic packing, priority ${10}). mail: post (topic mailing, no priority). */
static const char doc[] =
    HEAD "<error id=\"Broken\" errorCode=\"BROKEN\"/>\n"
    "<process id=\"ship\" isExecutable=\"true\"><startEvent id=\"s\"/>" FLOW("f0", "s", "pack")
    "<serviceTask id=\"pack\" camunda:type=\"external\" camunda:topic=\"packing\" "
    "camunda:taskPriority=\"5\"/>" FLOW("f1", "pack", "after") "<userTask id=\"after\"/>"
    FLOW("f2", "after", "e") "<endEvent id=\"e\"/>"
    "<boundaryEvent id=\"broken\" attachedToRef=\"pack\"><errorEventDefinition errorRef=\"Broken\"/>"
    "</boundaryEvent>" FLOW("f3", "broken", "repair") "<userTask id=\"repair\"/>"
    FLOW("f4", "repair", "e2") "<endEvent id=\"e2\"/></process>\n"
    "<process id=\"urgent\" isExecutable=\"true\"><startEvent id=\"us\"/>" FLOW("u0", "us", "rush")
    "<serviceTask id=\"rush\" camunda:type=\"external\" camunda:topic=\"packing\" "
    "camunda:taskPriority=\"${10}\"/>" FLOW("u1", "rush", "ue") "<endEvent id=\"ue\"/></process>\n"
    "<process id=\"mail\" isExecutable=\"true\"><startEvent id=\"ms\"/>" FLOW("m0", "ms", "post")
    "<sendTask id=\"post\" camunda:type=\"external\" camunda:topic=\"mailing\"/>"
    FLOW("m1", "post", "me") "<endEvent id=\"me\"/></process></definitions>";

static void open_fresh(void)
{
    fake_now = 1767258000000LL;
    E = tu_engine_fresh(dbpath, &fake_now);
    char *out = NULL;
    int rc = bpmn_deploy(E, "ext.bpmn", doc, strlen(doc), &out);
    if (rc != BPMN_OK)
        fprintf(stderr, "deploy failed: %s\n", bpmn_engine_errmsg(E));
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    bpmn_free(E, out);
}

static void close_and_remove(void)
{
    tu_engine_remove(E, dbpath);
    E = NULL;
}

/* Starts an instance; its id in a static buffer. */
static const char *start(const char *process, const char *vars, const char *key)
{
    static char id[32];
    char *out = NULL;
    int rc = bpmn_instance_start(E, process, 0, vars, key, &out);
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    snprintf(id, sizeof id, "%s", cJSON_GetObjectItem(j, "instance")->valuestring);
    cJSON_Delete(j);
    bpmn_free(E, out);
    return id;
}

/* fetchAndLock for a worker: the parsed answer (an array), asserting success. */
static cJSON *fetch_req(const char *req)
{
    char *out = NULL;
    int rc = bpmn_job_fetch_and_lock(E, req, &out);
    if (rc != BPMN_OK)
        fprintf(stderr, "fetchAndLock failed: %s\n", bpmn_engine_errmsg(E));
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    CU_ASSERT_FATAL(cJSON_IsArray(j));
    return j;
}

static cJSON *fetch(const char *worker, int max, const char *topic, long long lock)
{
    char req[512];
    snprintf(req, sizeof req,
             "{\"workerId\":\"%s\",\"maxTasks\":%d,\"topics\":[{\"topicName\":\"%s\","
             "\"lockDuration\":%lld}]}", worker, max, topic, lock);
    return fetch_req(req);
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

static int is_null(const cJSON *o, const char *key)
{
    return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, key));
}

static double num_of(const cJSON *o, const char *key)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(m) ? m->valuedouble : -1e300;
}

static int collect(void *ud, const char *json)
{
    cJSON *arr = ud;
    cJSON_AddItemToArray(arr, cJSON_Parse(json));
    return 0;
}

/* GET /external-task with a filter: the parsed list. */
static cJSON *list(const char *filter)
{
    cJSON *arr = cJSON_CreateArray();
    int rc = bpmn_external_task_each(E, filter, 0, 0, collect, arr);
    if (rc != BPMN_OK)
        fprintf(stderr, "listing failed: %s\n", bpmn_engine_errmsg(E));
    CU_ASSERT_EQUAL(rc, BPMN_OK);
    return arr;
}

static int count_cb(void *ud, const char *json)
{
    (void)json;
    ++*(size_t *)ud;
    return 0;
}

static size_t count(const char *filter)
{
    size_t n = 0;
    CU_ASSERT_EQUAL(bpmn_external_task_each(E, filter, 0, 0, count_cb, &n), BPMN_OK);
    return n;
}

/* Everything a refused call must leave as it was: the jobs as listed and the history. */
static char *snapshot(void)
{
    cJSON *l = list(NULL);
    char *jobs = cJSON_PrintUnformatted(l);
    cJSON_Delete(l);
    char *hist = NULL;
    CU_ASSERT_EQUAL(bpmn_history(E, NULL, &hist), BPMN_OK);
    size_t n = strlen(jobs) + strlen(hist) + 2;
    char *s = malloc(n);
    snprintf(s, n, "%s\n%s", jobs, hist);
    cJSON_free(jobs);
    bpmn_free(E, hist);
    return s;
}

static cJSON *show(const char *id)
{
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_instance_show(E, id, &out), BPMN_OK);
    cJSON *j = cJSON_Parse(out);
    bpmn_free(E, out);
    return j;
}

static int waits_at(const char *inst, const char *element)
{
    cJSON *j = show(inst);
    int found = 0;
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItem(j, "waiting"))
        found |= strcmp(w->valuestring, element) == 0;
    cJSON_Delete(j);
    return found;
}

static const char *state_of(const char *inst)
{
    static char st[32];
    cJSON *j = show(inst);
    snprintf(st, sizeof st, "%s", str_of(j, "state"));
    cJSON_Delete(j);
    return st;
}

static int errmsg_has(const char *text)
{
    int ok = strstr(bpmn_engine_errmsg(E), text) != NULL;
    if (!ok)
        fprintf(stderr, "message '%s' lacks '%s'\n", bpmn_engine_errmsg(E), text);
    return ok;
}

static void test_two_workers_share_the_jobs_and_each_lock_holds(void)
{
    open_fresh();
    char a[32], b[32], c[32];
    strcpy(a, start("ship", NULL, "order-a"));
    strcpy(b, start("ship", NULL, "order-b"));
    strcpy(c, start("ship", NULL, "order-c"));
    cJSON *w1 = fetch("w1", 2, "packing", 10000);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(w1), 2);
    const cJSON *t = cJSON_GetArrayItem(w1, 0);
    /* Oldest first; the LockedExternalTask shape. */
    CU_ASSERT_STRING_EQUAL(str_of(t, "processInstanceId"), a);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(w1, 1), "processInstanceId"), b);
    CU_ASSERT_STRING_EQUAL(str_of(t, "activityId"), "pack");
    CU_ASSERT_STRING_EQUAL(str_of(t, "topicName"), "packing");
    CU_ASSERT_STRING_EQUAL(str_of(t, "workerId"), "w1");
    CU_ASSERT_STRING_EQUAL(str_of(t, "lockExpirationTime"), "2026-01-01T09:00:10.000+0000");
    CU_ASSERT_STRING_EQUAL(str_of(t, "processDefinitionId"), "ship:1");
    CU_ASSERT_STRING_EQUAL(str_of(t, "processDefinitionKey"), "ship");
    CU_ASSERT_STRING_EQUAL(str_of(t, "businessKey"), "order-a");
    CU_ASSERT_EQUAL(num_of(t, "priority"), 5);
    CU_ASSERT(is_null(t, "retries"));
    CU_ASSERT(is_null(t, "errorMessage"));
    CU_ASSERT(is_null(t, "tenantId"));
    CU_ASSERT(is_null(t, "processDefinitionVersionTag"));
    CU_ASSERT_PTR_NOT_NULL(str_of(t, "executionId"));
    CU_ASSERT_PTR_NOT_NULL(strstr(str_of(t, "activityInstanceId"), "pack:"));
    CU_ASSERT(cJSON_IsObject(cJSON_GetObjectItem(t, "variables")));
    /* w2 gets only what w1 did not lock, then nothing. */
    cJSON *w2 = fetch("w2", 5, "packing", 10000);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(w2), 1);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(w2, 0), "processInstanceId"), c);
    cJSON *none = fetch("w2", 5, "packing", 10000);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(none), 0);
    /* The listing shows who holds what. */
    CU_ASSERT_EQUAL(count("{\"workerId\":\"w1\"}"), 2);
    CU_ASSERT_EQUAL(count("{\"workerId\":\"w2\"}"), 1);
    CU_ASSERT_EQUAL(count("{\"locked\":true}"), 3);
    CU_ASSERT_EQUAL(count("{\"notLocked\":true}"), 0);
    /* Each completes its own; the instance moves on. */
    char *out = NULL;
    const char *jc = str_of(cJSON_GetArrayItem(w2, 0), "id");
    CU_ASSERT_EQUAL(bpmn_job_complete_by(E, jc, "w1", NULL, NULL, &out), BPMN_ESTATE);
    CU_ASSERT(errmsg_has("cannot be completed by worker 'w1'. It is locked by worker 'w2'."));
    CU_ASSERT_EQUAL(bpmn_job_complete_by(E, jc, "w2", "{\"packed\":true}", NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT(waits_at(c, "after"));
    CU_ASSERT(waits_at(a, "pack"));
    cJSON_Delete(w1);
    cJSON_Delete(w2);
    cJSON_Delete(none);
    close_and_remove();
}

static void test_an_expired_lock_makes_the_job_available_to_another_worker(void)
{
    open_fresh();
    char a[32];
    strcpy(a, start("ship", NULL, NULL));
    cJSON *w1 = fetch("w1", 1, "packing", 1000);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(w1), 1);
    char job[32];
    strcpy(job, str_of(cJSON_GetArrayItem(w1, 0), "id"));
    static const char req[] = "{\"workerId\":\"w2\",\"maxTasks\":1,\"topics\":[{\"topicName\":"
                              "\"packing\",\"lockDuration\":5000}]}";
    int avail = -1;
    fake_now += 999;
    CU_ASSERT_EQUAL(bpmn_job_available(E, req, &avail), BPMN_OK);
    CU_ASSERT_EQUAL(avail, 0);
    cJSON *none = fetch_req(req);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(none), 0);
    fake_now += 1; /* the lock ends now */
    CU_ASSERT_EQUAL(bpmn_job_available(E, req, &avail), BPMN_OK);
    CU_ASSERT_EQUAL(avail, 1);
    CU_ASSERT_EQUAL(count("{\"notLocked\":true}"), 1);
    cJSON *w2 = fetch_req(req);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(w2), 1);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(w2, 0), "id"), job);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(w2, 0), "workerId"), "w2");
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(w2, 0), "lockExpirationTime"),
                           "2026-01-01T09:00:06.000+0000");
    CU_ASSERT_EQUAL(bpmn_job_available(E, req, &avail), BPMN_OK);
    CU_ASSERT_EQUAL(avail, 0);
    /* w1 lost it: its completion is refused and changes nothing. */
    char *before = snapshot(), *out = NULL;
    CU_ASSERT_EQUAL(bpmn_job_complete_by(E, job, "w1", "{\"x\":1}", NULL, &out), BPMN_ESTATE);
    CU_ASSERT(errmsg_has("It is locked by worker 'w2'."));
    char *after = snapshot();
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);
    CU_ASSERT(waits_at(a, "pack"));
    CU_ASSERT_EQUAL(bpmn_job_complete_by(E, job, "w2", NULL, NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT(waits_at(a, "after"));
    cJSON_Delete(w1);
    cJSON_Delete(w2);
    cJSON_Delete(none);
    close_and_remove();
}

static void test_extend_lock_and_unlock_refuse_the_wrong_worker_and_leave_the_store(void)
{
    open_fresh();
    start("ship", NULL, NULL);
    cJSON *w1 = fetch("w1", 1, "packing", 1000);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(w1), 1);
    char job[32], msg[160];
    strcpy(job, str_of(cJSON_GetArrayItem(w1, 0), "id"));
    char *before = snapshot(), *out = NULL;
    CU_ASSERT_EQUAL(bpmn_job_extend_lock(E, job, "w2", 60000), BPMN_ESTATE);
    snprintf(msg, sizeof msg, "External Task %s cannot be extended by worker 'w2'. It is locked "
                              "by worker 'w1'.", job);
    CU_ASSERT_STRING_EQUAL(bpmn_engine_errmsg(E), msg);
    CU_ASSERT_EQUAL(bpmn_job_fail_by(E, job, "w2", "no", NULL, 0, 0, &out), BPMN_ESTATE);
    CU_ASSERT(errmsg_has("cannot be reported a failure by worker 'w2'"));
    CU_ASSERT_EQUAL(bpmn_job_bpmn_error_by(E, job, "w2", "BROKEN", NULL, NULL, &out), BPMN_ESTATE);
    CU_ASSERT_EQUAL(bpmn_job_extend_lock(E, job, "w1", 0), BPMN_EINVAL);
    CU_ASSERT_EQUAL(bpmn_job_extend_lock(E, "999999", "w1", 1000), BPMN_ENOTFOUND);
    char *after = snapshot();
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);
    /* The holder extends: the lock now ends a minute from now. */
    fake_now += 500;
    CU_ASSERT_EQUAL(bpmn_job_extend_lock(E, job, "w1", 60000), BPMN_OK);
    cJSON *l = list(NULL);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(l, 0), "lockExpirationTime"),
                           "2026-01-01T09:01:00.500+0000");
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(l, 0), "workerId"), "w1");
    cJSON_Delete(l);
    /* Unlocked, it is anybody's; unlocking twice and extending an unlocked job are refused. */
    CU_ASSERT_EQUAL(bpmn_job_unlock(E, job), BPMN_OK);
    l = list(NULL);
    CU_ASSERT(is_null(cJSON_GetArrayItem(l, 0), "workerId"));
    CU_ASSERT(is_null(cJSON_GetArrayItem(l, 0), "lockExpirationTime"));
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(bpmn_job_unlock(E, job), BPMN_ESTATE);
    CU_ASSERT(errmsg_has("is not locked"));
    CU_ASSERT_EQUAL(bpmn_job_extend_lock(E, job, "w1", 1000), BPMN_ESTATE);
    CU_ASSERT(errmsg_has("It is not locked by any worker."));
    cJSON *w2 = fetch("w2", 1, "packing", 1000);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(w2), 1);
    /* An expired lock cannot be extended. */
    fake_now += 1000;
    CU_ASSERT_EQUAL(bpmn_job_extend_lock(E, job, "w2", 1000), BPMN_ESTATE);
    CU_ASSERT(errmsg_has("Cannot extend a lock that expired"));
    cJSON_Delete(w1);
    cJSON_Delete(w2);
    close_and_remove();
}

static void test_priority_orders_the_fetch_and_max_tasks_bounds_it(void)
{
    open_fresh();
    char a[32], b[32], c[32], d[32];
    strcpy(a, start("ship", NULL, NULL));   /* priority 5 */
    strcpy(b, start("urgent", NULL, NULL)); /* priority 10 */
    strcpy(c, start("ship", NULL, NULL));
    strcpy(d, start("urgent", NULL, NULL));
    cJSON *none = fetch("w1", 0, "packing", 1000);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(none), 0);
    cJSON *p = fetch_req("{\"workerId\":\"w1\",\"maxTasks\":3,\"usePriority\":true,\"topics\":"
                         "[{\"topicName\":\"packing\",\"lockDuration\":1000}]}");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(p), 3);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(p, 0), "processInstanceId"), b);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(p, 1), "processInstanceId"), d);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(p, 2), "processInstanceId"), a);
    CU_ASSERT_EQUAL(num_of(cJSON_GetArrayItem(p, 0), "priority"), 10);
    CU_ASSERT_EQUAL(num_of(cJSON_GetArrayItem(p, 2), "priority"), 5);
    /* Without usePriority: oldest first. */
    fake_now += 1000;
    cJSON *o = fetch("w1", 2, "packing", 1000);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(o), 2);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(o, 0), "processInstanceId"), a);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(o, 1), "processInstanceId"), b);
    (void)c;
    cJSON_Delete(none);
    cJSON_Delete(p);
    cJSON_Delete(o);
    close_and_remove();
}

static void test_failures_count_retries_wait_out_the_timeout_and_end_in_an_incident(void)
{
    open_fresh();
    char a[32], job[32];
    strcpy(a, start("ship", NULL, NULL));
    cJSON *f = fetch("w1", 1, "packing", 10000);
    strcpy(job, str_of(cJSON_GetArrayItem(f, 0), "id"));
    cJSON_Delete(f);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_job_fail_by(E, job, "w1", "printer down", "stack trace", 2, 5000, &out),
                    BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(state_of(a), "active");
    f = fetch("w2", 1, "packing", 10000);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(f), 0);
    cJSON_Delete(f);
    fake_now += 4999;
    f = fetch("w2", 1, "packing", 10000);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(f), 0);
    cJSON_Delete(f);
    fake_now += 1;
    f = fetch("w2", 1, "packing", 10000);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(f), 1);
    const cJSON *t = cJSON_GetArrayItem(f, 0);
    CU_ASSERT_EQUAL(num_of(t, "retries"), 2);
    CU_ASSERT_STRING_EQUAL(str_of(t, "errorMessage"), "printer down");
    CU_ASSERT_STRING_EQUAL(str_of(t, "errorDetails"), "stack trace");
    cJSON_Delete(f);
    /* No retries left: an incident, and the job is not offered. */
    CU_ASSERT_EQUAL(bpmn_job_fail_by(E, job, "w2", "out of paper", NULL, 0, 0, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(state_of(a), "incident");
    f = fetch("w2", 1, "packing", 10000);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(f), 0);
    cJSON_Delete(f);
    CU_ASSERT_EQUAL(count("{\"noRetriesLeft\":true}"), 1);
    CU_ASSERT_EQUAL(count("{\"withRetriesLeft\":true}"), 0);
    cJSON *l = list(NULL);
    CU_ASSERT_EQUAL(num_of(cJSON_GetArrayItem(l, 0), "retries"), 0);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(l, 0), "errorMessage"), "out of paper");
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(l, 0), "errorDetails"), "stack trace");
    cJSON_Delete(l);
    /* Retrying the instance gives the job one attempt: it is offered again. */
    CU_ASSERT_EQUAL(bpmn_instance_retry(E, a, &out), BPMN_OK);
    bpmn_free(E, out);
    f = fetch("w3", 1, "packing", 10000);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(f), 1);
    CU_ASSERT_EQUAL(num_of(cJSON_GetArrayItem(f, 0), "retries"), 1);
    cJSON_Delete(f);
    CU_ASSERT_EQUAL(bpmn_job_fail_by(E, job, "w3", NULL, NULL, 1, -1, &out), BPMN_EINVAL);
    close_and_remove();
}

static void test_bpmn_error_sets_variables_and_takes_the_boundary_path(void)
{
    open_fresh();
    char a[32], b[32], job[32];
    strcpy(a, start("ship", NULL, NULL));
    cJSON *f = fetch("w1", 1, "packing", 10000);
    strcpy(job, str_of(cJSON_GetArrayItem(f, 0), "id"));
    cJSON_Delete(f);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_job_bpmn_error_by(E, job, "w1", NULL, NULL, NULL, &out), BPMN_EINVAL);
    CU_ASSERT_EQUAL(bpmn_job_bpmn_error_by(E, job, "w1", "BROKEN", "jammed", "{\"reason\":\"jam\"}",
                                           &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT(waits_at(a, "repair"));
    CU_ASSERT(!waits_at(a, "pack"));
    cJSON *s = show(a);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetObjectItem(s, "variables"), "reason"), "jam");
    cJSON_Delete(s);
    CU_ASSERT_EQUAL(count(NULL), 0); /* the job is gone */
    /* An error nobody catches: an incident. */
    strcpy(b, start("ship", NULL, NULL));
    f = fetch("w1", 1, "packing", 10000);
    strcpy(job, str_of(cJSON_GetArrayItem(f, 0), "id"));
    cJSON_Delete(f);
    CU_ASSERT_EQUAL(bpmn_job_bpmn_error_by(E, job, "w1", "OTHER", NULL, NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    CU_ASSERT_STRING_EQUAL(state_of(b), "incident");
    close_and_remove();
}

static const cJSON *typed(const cJSON *vars, const char *name, const char *type)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(vars, name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_STRING_EQUAL(str_of(v, "type"), type);
    CU_ASSERT(cJSON_IsObject(cJSON_GetObjectItem(v, "valueInfo")));
    return cJSON_GetObjectItem(v, "value");
}

static void test_variables_come_in_camunda_typed_form(void)
{
    open_fresh();
    start("ship", "{\"s\":\"x\",\"b\":true,\"i\":42,\"l\":5000000000,\"d\":1.5,\"n\":null,"
                  "\"o\":{\"a\":[1,2]},\"arr\":[\"p\"]}", NULL);
    cJSON *f = fetch_req("{\"workerId\":\"w1\",\"topics\":[{\"topicName\":\"packing\","
                         "\"lockDuration\":1000,\"variables\":null}]}");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(f), 1);
    const cJSON *vars = cJSON_GetObjectItem(cJSON_GetArrayItem(f, 0), "variables");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(vars), 8);
    CU_ASSERT_STRING_EQUAL(typed(vars, "s", "String")->valuestring, "x");
    CU_ASSERT(cJSON_IsTrue(typed(vars, "b", "Boolean")));
    CU_ASSERT_EQUAL(typed(vars, "i", "Integer")->valuedouble, 42);
    CU_ASSERT_EQUAL(typed(vars, "l", "Long")->valuedouble, 5000000000.0);
    CU_ASSERT_EQUAL(typed(vars, "d", "Double")->valuedouble, 1.5);
    CU_ASSERT(cJSON_IsNull(typed(vars, "n", "Null")));
    CU_ASSERT_STRING_EQUAL(typed(vars, "o", "Json")->valuestring, "{\"a\":[1,2]}");
    CU_ASSERT_STRING_EQUAL(typed(vars, "arr", "Json")->valuestring, "[\"p\"]");
    cJSON_Delete(f);
    /* Only the named ones. */
    start("ship", "{\"s\":\"y\",\"i\":7,\"secret\":\"k\"}", NULL);
    f = fetch_req("{\"workerId\":\"w1\",\"topics\":[{\"topicName\":\"packing\","
                  "\"lockDuration\":1000,\"variables\":[\"i\",\"s\",\"absent\"]}]}");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(f), 1);
    vars = cJSON_GetObjectItem(cJSON_GetArrayItem(f, 0), "variables");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(vars), 2);
    CU_ASSERT_EQUAL(typed(vars, "i", "Integer")->valuedouble, 7);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(vars, "secret"));
    cJSON_Delete(f);
    close_and_remove();
}

static void test_topic_filters_and_suspension_limit_what_is_fetched(void)
{
    open_fresh();
    char a[32], b[32], c[32];
    strcpy(a, start("ship", "{\"region\":\"north\"}", "k-a"));
    strcpy(b, start("urgent", "{\"region\":\"south\"}", "k-b"));
    strcpy(c, start("mail", NULL, "k-c"));
    char *out = NULL;
    /* The wrong topic, key, business key or variable value: nothing. */
    cJSON *f = fetch("w", 5, "nothing", 1000);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(f), 0);
    cJSON_Delete(f);
    f = fetch_req("{\"workerId\":\"w\",\"maxTasks\":5,\"topics\":[{\"topicName\":\"packing\","
                  "\"lockDuration\":1000,\"processDefinitionKey\":\"mail\"}]}");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(f), 0);
    cJSON_Delete(f);
    f = fetch_req("{\"workerId\":\"w\",\"maxTasks\":5,\"topics\":[{\"topicName\":\"packing\","
                  "\"lockDuration\":1000,\"processVariables\":{\"region\":\"west\"}}]}");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(f), 0);
    cJSON_Delete(f);
    /* The right ones. */
    f = fetch_req("{\"workerId\":\"w\",\"maxTasks\":5,\"topics\":[{\"topicName\":\"packing\","
                  "\"lockDuration\":1000,\"processVariables\":{\"region\":\"south\"}}]}");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(f), 1);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(f, 0), "processInstanceId"), b);
    cJSON_Delete(f);
    f = fetch_req("{\"workerId\":\"w\",\"maxTasks\":5,\"topics\":[{\"topicName\":\"packing\","
                  "\"lockDuration\":1000,\"businessKey\":\"k-a\",\"processDefinitionKeyIn\":"
                  "[\"mail\",\"ship\"]}]}");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(f), 1);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(f, 0), "processInstanceId"), a);
    cJSON_Delete(f);
    /* A suspended instance's job is not fetched until it is resumed; two topics at once. */
    CU_ASSERT_EQUAL(bpmn_instance_suspend(E, c, &out), BPMN_OK);
    bpmn_free(E, out);
    static const char both[] = "{\"workerId\":\"w\",\"maxTasks\":5,\"topics\":[{\"topicName\":"
                               "\"mailing\",\"lockDuration\":1000},{\"topicName\":\"packing\","
                               "\"lockDuration\":1000}]}";
    f = fetch_req(both);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(f), 0);
    cJSON_Delete(f);
    cJSON *l = list("{\"processInstanceId\":\"x\"}");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 0);
    cJSON_Delete(l);
    char filt[96];
    snprintf(filt, sizeof filt, "{\"processInstanceId\":\"%s\"}", c);
    l = list(filt);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(l), 1);
    CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "suspended")));
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(l, 0), "activityId"), "post");
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(l, 0), "topicName"), "mailing");
    CU_ASSERT_EQUAL(num_of(cJSON_GetArrayItem(l, 0), "priority"), 0);
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(bpmn_instance_resume(E, c, &out), BPMN_OK);
    bpmn_free(E, out);
    f = fetch_req(both);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(f), 1);
    CU_ASSERT_STRING_EQUAL(str_of(cJSON_GetArrayItem(f, 0), "topicName"), "mailing");
    cJSON_Delete(f);
    /* The listing's filters. */
    CU_ASSERT_EQUAL(count(NULL), 3);
    CU_ASSERT_EQUAL(count("{\"topicName\":\"packing\"}"), 2);
    CU_ASSERT_EQUAL(count("{\"activityId\":\"rush\"}"), 1);
    CU_ASSERT_EQUAL(count("{\"processDefinitionKey\":\"mail\"}"), 1);
    CU_ASSERT_EQUAL(count("{\"processDefinitionId\":\"urgent:1\"}"), 1);
    CU_ASSERT_EQUAL(count("{\"locked\":true,\"topicName\":\"mailing\"}"), 1);
    size_t n = 0;
    CU_ASSERT_EQUAL(bpmn_external_task_each(E, NULL, 1, 1, count_cb, &n), BPMN_OK);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(bpmn_external_task_each(E, "{\"locked\":\"yes\"}", 0, 0, count_cb, &n),
                    BPMN_EINVAL);
    CU_ASSERT(errmsg_has("locked"));
    close_and_remove();
}

static void test_complete_by_sets_variables_and_local_variables(void)
{
    open_fresh();
    char a[32], job[32];
    strcpy(a, start("ship", NULL, NULL));
    cJSON *f = fetch("w1", 1, "packing", 1000);
    strcpy(job, str_of(cJSON_GetArrayItem(f, 0), "id"));
    cJSON_Delete(f);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_job_complete_by(E, job, "w1", "{\"weight\":3}", "{\"box\":\"L\"}", &out),
                    BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"job\""));
    bpmn_free(E, out);
    cJSON *s = show(a);
    const cJSON *v = cJSON_GetObjectItem(s, "variables");
    CU_ASSERT_EQUAL(num_of(v, "weight"), 3);
    CU_ASSERT_STRING_EQUAL(str_of(v, "box"), "L"); /* no local scope: the process's */
    cJSON_Delete(s);
    CU_ASSERT(waits_at(a, "after"));
    /* The old calls are the worker-less case. */
    start("mail", NULL, NULL);
    cJSON *l = list("{\"topicName\":\"mailing\"}");
    CU_ASSERT_EQUAL(bpmn_job_complete(E, str_of(cJSON_GetArrayItem(l, 0), "id"), NULL, &out),
                    BPMN_OK);
    bpmn_free(E, out);
    cJSON_Delete(l);
    CU_ASSERT_EQUAL(count(NULL), 0);
    close_and_remove();
}

static void expect_invalid(const char *req, const char *field)
{
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_job_fetch_and_lock(E, req, &out), BPMN_EINVAL);
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT(errmsg_has(field));
    int avail = 0;
    CU_ASSERT_EQUAL(bpmn_job_available(E, req, &avail), BPMN_EINVAL);
}

static void test_fetch_and_lock_refuses_a_malformed_request_naming_the_member(void)
{
    open_fresh();
    start("ship", NULL, NULL);
    char *before = snapshot();
    expect_invalid("{\"topics\":[]}", "workerId");
    expect_invalid("{\"workerId\":\"w\"}", "topics");
    expect_invalid("{\"workerId\":\"w\",\"topics\":[{\"lockDuration\":10}]}", "topicName");
    expect_invalid("{\"workerId\":\"w\",\"topics\":[{\"topicName\":\"packing\"}]}", "lockDuration");
    expect_invalid("{\"workerId\":\"w\",\"topics\":[{\"topicName\":\"packing\",\"lockDuration\":0}]}",
                   "lockDuration");
    expect_invalid("{\"workerId\":\"w\",\"maxTasks\":-1,\"topics\":[]}", "maxTasks");
    expect_invalid("{\"workerId\":\"w\",\"topics\":[{\"topicName\":\"packing\",\"lockDuration\":10,"
                   "\"variables\":\"all\"}]}", "topics[0].variables");
    expect_invalid("[1]", "not a JSON object");
    expect_invalid("{\"workerId\":", "not a JSON object");
    char *after = snapshot();
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);
    cJSON *f = fetch_req("{\"workerId\":\"w\",\"topics\":[]}");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(f), 0);
    cJSON_Delete(f);
    close_and_remove();
}

/* Rewrites every job record as written before the external-task fields existed. */
static void rewrite_jobs_as_before(void)
{
    st_txn *t;
    CU_ASSERT_EQUAL_FATAL(st_begin(E->st, 1, &t), BPMN_OK);
    st_cursor *c;
    CU_ASSERT_EQUAL_FATAL(st_cursor_open(t, ST_JOBS, &c), BPMN_OK);
    const void *k, *v;
    size_t kl, vl;
    uint8_t keys[16][8];
    en_buf recs[16];
    int n = 0;
    int rc = st_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl);
    while (rc == BPMN_OK && n < 16) {
        en_job j;
        CU_ASSERT_EQUAL_FATAL(en_job_decode(NULL, v, vl, &j), BPMN_OK);
        memcpy(keys[n], k, 8);
        en_buf *b = &recs[n++];
        memset(b, 0, sizeof *b);
        en_buf_u64(b, j.instance);
        en_buf_u32(b, j.token);
        en_buf_u32(b, j.node);
        en_buf_str(b, j.type);
        en_buf_u32(b, j.retries);
        en_buf_str(b, j.failure);
        en_buf_str(b, j.process);
        en_buf_u32(b, j.version);
        en_job_free(NULL, &j);
        rc = st_cursor_next(c, &k, &kl, &v, &vl);
    }
    st_cursor_close(c);
    for (int i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(st_put(t, ST_JOBS, keys[i], 8, recs[i].p, recs[i].n), BPMN_OK);
        en_buf_free(&recs[i]);
    }
    CU_ASSERT_EQUAL_FATAL(st_commit(t), BPMN_OK);
}

static void test_job_records_from_before_external_workers_read_as_unlocked(void)
{
    open_fresh();
    char a[32];
    strcpy(a, start("ship", NULL, NULL));
    cJSON *f = fetch("w1", 1, "packing", 100000); /* locked, priority 5 ... */
    CU_ASSERT_EQUAL(cJSON_GetArraySize(f), 1);
    cJSON_Delete(f);
    rewrite_jobs_as_before(); /* ... then stored as an older bpmnrt would have */
    cJSON *l = list(NULL);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(l), 1);
    const cJSON *t = cJSON_GetArrayItem(l, 0);
    CU_ASSERT(is_null(t, "workerId"));
    CU_ASSERT(is_null(t, "lockExpirationTime"));
    CU_ASSERT(is_null(t, "retries"));
    CU_ASSERT_EQUAL(num_of(t, "priority"), 0);
    cJSON_Delete(l);
    f = fetch("w2", 1, "packing", 1000);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(f), 1);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_job_complete_by(E, str_of(cJSON_GetArrayItem(f, 0), "id"), "w2", NULL,
                                         NULL, &out), BPMN_OK);
    bpmn_free(E, out);
    cJSON_Delete(f);
    CU_ASSERT(waits_at(a, "after"));
    close_and_remove();
}

int main(void)
{
    static const tu_case cases[] = {
        {"two_workers_share_the_jobs_and_each_lock_holds",
         test_two_workers_share_the_jobs_and_each_lock_holds},
        {"an_expired_lock_makes_the_job_available_to_another_worker",
         test_an_expired_lock_makes_the_job_available_to_another_worker},
        {"extend_lock_and_unlock_refuse_the_wrong_worker_and_leave_the_store",
         test_extend_lock_and_unlock_refuse_the_wrong_worker_and_leave_the_store},
        {"priority_orders_the_fetch_and_max_tasks_bounds_it",
         test_priority_orders_the_fetch_and_max_tasks_bounds_it},
        {"failures_count_retries_wait_out_the_timeout_and_end_in_an_incident",
         test_failures_count_retries_wait_out_the_timeout_and_end_in_an_incident},
        {"bpmn_error_sets_variables_and_takes_the_boundary_path",
         test_bpmn_error_sets_variables_and_takes_the_boundary_path},
        {"variables_come_in_camunda_typed_form", test_variables_come_in_camunda_typed_form},
        {"topic_filters_and_suspension_limit_what_is_fetched",
         test_topic_filters_and_suspension_limit_what_is_fetched},
        {"complete_by_sets_variables_and_local_variables",
         test_complete_by_sets_variables_and_local_variables},
        {"fetch_and_lock_refuses_a_malformed_request_naming_the_member",
         test_fetch_and_lock_refuses_a_malformed_request_naming_the_member},
        {"job_records_from_before_external_workers_read_as_unlocked",
         test_job_records_from_before_external_workers_read_as_unlocked},
        {NULL, NULL},
    };
    return tu_run("external", cases);
}
