/*
 * external.c - /engine-rest/external-task: workers fetch and lock jobs by topic (long polling up
 * to asyncResponseTimeout, answered as soon as a job is available), complete them with
 * variables, report failures with retries and a retry timeout, throw BPMN errors, extend or
 * release their locks; and the query. What camunda-external-task-client-js and Camunda's Java
 * client call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

#define MAX_ASYNC_MS 1800000L

static int first_task(void *ud, const char *json)
{
    cJSON **out = ud;
    if (!*out)
        *out = cJSON_Parse(json);
    return 0;
}

/* The external task {id} as Camunda's ExternalTask object, checked against the user's right;
 * NULL with the answer set (404, 403). */
static cJSON *task_get(sv_request *r, sv_answer *a, const char *right)
{
    cJSON *filter = cJSON_CreateObject();
    cJSON_AddStringToObject(filter, "externalTaskId", r->params[0]);
    char *ftext = cJSON_PrintUnformatted(filter);
    cJSON_Delete(filter);
    cJSON *t = NULL;
    int rc = bpmn_external_task_each(r->e, ftext, 0, 1, first_task, &t);
    cJSON_free(ftext);
    if (rc != BPMN_OK) {
        cJSON_Delete(t);
        sv_fail(a, r, rc);
        return NULL;
    }
    if (!t) {
        sv_error(a, 404, "RestException", "External task with id %s does not exist",
                 r->params[0]);
        return NULL;
    }
    const char *key = sv_str(t, "processDefinitionKey");
    if (!sv_may(r, right, key, NULL)) {
        sv_forbidden(a, r, right, key);
        cJSON_Delete(t);
        return NULL;
    }
    return t;
}

/* Limits the topics of a fetch to the processes the user may work on. 0, or -1 when the user
 * may work on none (the answer is then an empty list). */
static int restrict_topics(sv_request *r, cJSON *body)
{
    if (sv_may(r, "work", NULL, NULL))
        return 0;
    char *json = NULL;
    if (bpmn_definition_list(r->e, &json) != BPMN_OK)
        return -1;
    cJSON *defs = cJSON_Parse(json);
    bpmn_free(r->e, json);
    cJSON *keys = cJSON_CreateArray();
    const cJSON *d;
    cJSON_ArrayForEach(d, defs)
    {
        const char *k = sv_str(d, "process");
        int dup = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, keys) dup |= strcmp(x->valuestring, k) == 0;
        if (!dup && sv_may(r, "work", k, NULL))
            cJSON_AddItemToArray(keys, cJSON_CreateString(k));
    }
    cJSON_Delete(defs);
    if (!cJSON_GetArraySize(keys)) {
        cJSON_Delete(keys);
        return -1;
    }
    cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(body, "topics"))
    {
        cJSON *in = cJSON_Duplicate(keys, 1);
        const char *only = sv_str(t, "processDefinitionKey");
        if (only) { /* the topic's own filter, if allowed */
            cJSON_Delete(in);
            in = cJSON_CreateArray();
            const cJSON *x;
            cJSON_ArrayForEach(x, keys) if (strcmp(x->valuestring, only) == 0)
                cJSON_AddItemToArray(in, cJSON_CreateString(only));
        }
        cJSON_DeleteItemFromObject(t, "processDefinitionKeyIn");
        if (!cJSON_GetArraySize(in)) /* a key no one can have: nothing matches */
            cJSON_AddItemToArray(in, cJSON_CreateString("\x01"));
        cJSON_AddItemToObject(t, "processDefinitionKeyIn", in);
    }
    cJSON_Delete(keys);
    return 0;
}

/* ---- changes, run through the group commit ------------------------------------------------- */

typedef enum { X_FETCH, X_COMPLETE, X_FAIL, X_ERROR, X_EXTEND, X_UNLOCK } x_kind;

typedef struct x_op {
    x_kind kind;
    const char *id, *worker, *a, *b, *c; /* request/vars, local vars/message/code, details/... */
    int retries;
    long long ms;
} x_op;

static int run_x(bpmn_engine *e, void *ud, char **json)
{
    x_op *o = ud;
    switch (o->kind) {
    case X_FETCH: return bpmn_job_fetch_and_lock(e, o->a, json);
    case X_COMPLETE: return bpmn_job_complete_by(e, o->id, o->worker, o->a, o->b, json);
    case X_FAIL: return bpmn_job_fail_by(e, o->id, o->worker, o->a, o->b, o->retries, o->ms, json);
    case X_ERROR: return bpmn_job_bpmn_error_by(e, o->id, o->worker, o->b, o->c, o->a, json);
    case X_EXTEND: return bpmn_job_extend_lock(e, o->id, o->worker, o->ms);
    default: return bpmn_job_unlock(e, o->id);
    }
}

static int fetch_and_lock(sv_request *r, sv_answer *a)
{
    cJSON *body = sv_body_object(r, a, 0);
    if (!body)
        return 0;
    const cJSON *wait = cJSON_GetObjectItem(body, "asyncResponseTimeout");
    long wait_ms = 0;
    if (wait && !cJSON_IsNull(wait)) {
        if (!cJSON_IsNumber(wait) || wait->valuedouble < 0 || wait->valuedouble > MAX_ASYNC_MS) {
            cJSON_Delete(body);
            return sv_error(a, 400, "InvalidRequestException",
                            "asyncResponseTimeout must be a number of ms from 0 to %ld",
                            MAX_ASYNC_MS);
        }
        wait_ms = (long)wait->valuedouble;
    }
    if (restrict_topics(r, body) != 0) {
        cJSON_Delete(body);
        return sv_json(a, 200, cJSON_CreateArray());
    }
    char *req = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (!req)
        return sv_error(a, 500, "ServerError", "out of memory");
    long long deadline = sv_mono_ms() + wait_ms;
    unsigned long gen = sv_generation(r->srv);
    for (;;) {
        char *json = NULL;
        x_op op = {X_FETCH, NULL, NULL, req, NULL, NULL, 0, 0};
        int rc = sv_write(r, run_x, &op, &json);
        if (rc != BPMN_OK) {
            cJSON_free(req);
            return sv_fail(a, r, rc);
        }
        if (strcmp(json, "[]") != 0 || sv_mono_ms() >= deadline) {
            cJSON_free(req);
            return sv_engine_json(a, r, 200, json);
        }
        bpmn_free(r->e, json);
        /* Nothing yet: wait for a change in this server, or look again after a while (other
         * processes, a lock expiring, a retry timeout passing). */
        int available = 0;
        while (!available && sv_mono_ms() < deadline) {
            if (sv_wait(r->srv, &gen, deadline) != 0) {
                cJSON_free(req);
                return sv_json(a, 200, cJSON_CreateArray()); /* stopping */
            }
            if (bpmn_job_available(r->e, req, &available) != BPMN_OK)
                break;
        }
    }
}

/* What complete/failure/bpmnError/extendLock start with: the task exists and the user may work
 * on its process; the body is an object with a workerId. NULL with the answer set. */
static cJSON *worker_body(sv_request *r, sv_answer *a, const char **worker)
{
    cJSON *t = task_get(r, a, "work");
    if (!t)
        return NULL;
    cJSON_Delete(t);
    cJSON *body = sv_body_object(r, a, 0);
    if (!body)
        return NULL;
    *worker = sv_str(body, "workerId");
    if (!*worker) {
        cJSON_Delete(body);
        sv_error(a, 400, "InvalidRequestException", "workerId is required");
        return NULL;
    }
    return body;
}

static char *plain_vars(const cJSON *typed, sv_answer *a, int *bad)
{
    *bad = 0;
    if (!typed || cJSON_IsNull(typed))
        return NULL;
    cJSON *v = sv_vars_in(typed, a);
    if (!v) {
        *bad = 1;
        return NULL;
    }
    char *t = cJSON_PrintUnformatted(v);
    cJSON_Delete(v);
    return t;
}

/* Camunda answers a refusal of the lock holder with 400 BadUserRequestException. */
static int done(sv_request *r, sv_answer *a, int rc, char *json)
{
    if (rc != BPMN_OK) {
        if (rc == BPMN_ENOTFOUND)
            return sv_error(a, 404, "RestException", "External task with id %s does not exist",
                            r->params[0]);
        return sv_fail(a, r, rc);
    }
    bpmn_free(r->e, json);
    return sv_no_content(a);
}

static int complete(sv_request *r, sv_answer *a)
{
    const char *worker;
    cJSON *body = worker_body(r, a, &worker);
    if (!body)
        return 0;
    int bad1, bad2;
    char *vars = plain_vars(cJSON_GetObjectItem(body, "variables"), a, &bad1);
    char *local = bad1 ? NULL : plain_vars(cJSON_GetObjectItem(body, "localVariables"), a, &bad2);
    if (bad1 || bad2) {
        cJSON_free(vars);
        cJSON_Delete(body);
        return 0;
    }
    char *json = NULL;
    x_op op = {X_COMPLETE, r->params[0], worker, vars, local, NULL, 0, 0};
    int rc = sv_write(r, run_x, &op, &json);
    cJSON_free(vars);
    cJSON_free(local);
    cJSON_Delete(body);
    return done(r, a, rc, json);
}

static int failure(sv_request *r, sv_answer *a)
{
    const char *worker;
    cJSON *body = worker_body(r, a, &worker);
    if (!body)
        return 0;
    const cJSON *retries = cJSON_GetObjectItem(body, "retries");
    const cJSON *timeout = cJSON_GetObjectItem(body, "retryTimeout");
    if ((retries && !cJSON_IsNull(retries) && (!cJSON_IsNumber(retries) || retries->valuedouble < 0)) ||
        (timeout && !cJSON_IsNull(timeout) && (!cJSON_IsNumber(timeout) || timeout->valuedouble < 0))) {
        cJSON_Delete(body);
        return sv_error(a, 400, "InvalidRequestException",
                        "retries and retryTimeout must be numbers of at least 0");
    }
    char *json = NULL;
    x_op op = {X_FAIL, r->params[0], worker, sv_str(body, "errorMessage"),
               sv_str(body, "errorDetails"),
               NULL, cJSON_IsNumber(retries) ? (int)retries->valuedouble : -1,
               cJSON_IsNumber(timeout) ? (long long)timeout->valuedouble : 0};
    int rc = sv_write(r, run_x, &op, &json);
    cJSON_Delete(body);
    return done(r, a, rc, json);
}

static int bpmn_error(sv_request *r, sv_answer *a)
{
    const char *worker;
    cJSON *body = worker_body(r, a, &worker);
    if (!body)
        return 0;
    const char *code = sv_str(body, "errorCode");
    if (!code) {
        cJSON_Delete(body);
        return sv_error(a, 400, "InvalidRequestException", "errorCode is required");
    }
    int bad;
    char *vars = plain_vars(cJSON_GetObjectItem(body, "variables"), a, &bad);
    if (bad) {
        cJSON_Delete(body);
        return 0;
    }
    char *json = NULL;
    x_op op = {X_ERROR, r->params[0], worker, vars, code, sv_str(body, "errorMessage"), 0, 0};
    int rc = sv_write(r, run_x, &op, &json);
    cJSON_free(vars);
    cJSON_Delete(body);
    return done(r, a, rc, json);
}

static int extend_lock(sv_request *r, sv_answer *a)
{
    const char *worker;
    cJSON *body = worker_body(r, a, &worker);
    if (!body)
        return 0;
    const cJSON *d = cJSON_GetObjectItem(body, "newDuration");
    if (!cJSON_IsNumber(d) || d->valuedouble <= 0) {
        cJSON_Delete(body);
        return sv_error(a, 400, "InvalidRequestException", "newDuration must be a positive number of ms");
    }
    char *json = NULL;
    x_op op = {X_EXTEND, r->params[0], worker, NULL, NULL, NULL, 0, (long long)d->valuedouble};
    int rc = sv_write(r, run_x, &op, &json);
    cJSON_Delete(body);
    return done(r, a, rc, json);
}

static int unlock(sv_request *r, sv_answer *a)
{
    cJSON *t = task_get(r, a, "work");
    if (!t)
        return 0;
    cJSON_Delete(t);
    char *json = NULL;
    x_op op = {X_UNLOCK, r->params[0], NULL, NULL, NULL, NULL, 0, 0};
    int rc = sv_write(r, run_x, &op, &json);
    return done(r, a, rc, json);
}

typedef struct query {
    sv_request *r;
    cJSON *out;
    unsigned long n, first, max;
} query;

/* Pages after the rights: a user who may read only some processes gets full pages of those. */
static int query_row(void *ud, const char *json)
{
    query *q = ud;
    cJSON *t = cJSON_Parse(json);
    if (t && sv_may(q->r, "read", sv_str(t, "processDefinitionKey"), NULL)) {
        if (q->n++ >= q->first && q->out && (!q->max || (unsigned long)cJSON_GetArraySize(q->out) < q->max)) {
            cJSON_AddItemToArray(q->out, t);
            t = NULL;
        }
    }
    cJSON_Delete(t);
    return 0;
}

static int task_query(sv_request *r, sv_answer *a)
{
    unsigned long first, max;
    if (sv_arg_uint(r, a, "firstResult", 1000000000ul, &first) ||
        sv_arg_uint(r, a, "maxResults", 1000000000ul, &max))
        return 0;
    static const char *const names[] = {"externalTaskId", "topicName", "workerId", "locked",
                                        "notLocked", "withRetriesLeft", "noRetriesLeft",
                                        "processInstanceId", "processDefinitionKey", "activityId",
                                        "processDefinitionId", NULL};
    cJSON *filter = cJSON_CreateObject();
    for (size_t i = 0; names[i]; i++) {
        const char *v = sv_arg(r, names[i]);
        if (!v)
            continue;
        if (!strcmp(v, "true") || !strcmp(v, "false"))
            cJSON_AddBoolToObject(filter, names[i], v[0] == 't');
        else
            cJSON_AddStringToObject(filter, names[i], v);
    }
    char *ftext = cJSON_PrintUnformatted(filter);
    cJSON_Delete(filter);
    int count = strstr(r->url, "/count") != NULL;
    query q = {r, count ? NULL : cJSON_CreateArray(), 0, first, max};
    int rc = bpmn_external_task_each(r->e, ftext, 0, 0, query_row, &q);
    cJSON_free(ftext);
    if (rc != BPMN_OK) {
        cJSON_Delete(q.out);
        return sv_fail(a, r, rc);
    }
    if (count) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "count", (double)q.n);
        return sv_json(a, 200, c);
    }
    return sv_json(a, 200, q.out);
}

static int task_one(sv_request *r, sv_answer *a)
{
    cJSON *t = task_get(r, a, "read");
    return t ? sv_json(a, 200, t) : 0;
}

const sv_route sv_routes_external[] = {
    {"POST", "/engine-rest/external-task/fetchAndLock", fetch_and_lock, 0},
    {"GET", "/engine-rest/external-task", task_query, 0},
    {"GET", "/engine-rest/external-task/count", task_query, 0},
    {"GET", "/engine-rest/external-task/{id}", task_one, 0},
    {"POST", "/engine-rest/external-task/{id}/complete", complete, 0},
    {"POST", "/engine-rest/external-task/{id}/failure", failure, 0},
    {"POST", "/engine-rest/external-task/{id}/bpmnError", bpmn_error, 0},
    {"POST", "/engine-rest/external-task/{id}/extendLock", extend_lock, 0},
    {"POST", "/engine-rest/external-task/{id}/unlock", unlock, 0},
    {NULL, NULL, NULL, 0},
};
