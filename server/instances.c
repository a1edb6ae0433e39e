/*
 * instances.c - /engine-rest/process-instance (query, one, delete, variables, suspension),
 * /engine-rest/message (correlation), /engine-rest/signal and /engine-rest/incident.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

cJSON *sv_instance_json(const cJSON *show)
{
    const char *id = sv_str(show, "instance"), *key = sv_str(show, "process");
    const char *bk = sv_str(show, "key");
    const char *state = sv_str(show, "state");
    const cJSON *v = cJSON_GetObjectItem(show, "version");
    char did[300];
    sv_definition_id(did, sizeof did, key ? key : "", cJSON_IsNumber(v) ? (unsigned)v->valuedouble : 0);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddArrayToObject(o, "links");
    cJSON_AddStringToObject(o, "id", id ? id : "");
    cJSON_AddStringToObject(o, "definitionId", did);
    if (key)
        cJSON_AddStringToObject(o, "definitionKey", key);
    if (bk)
        cJSON_AddStringToObject(o, "businessKey", bk);
    else
        cJSON_AddNullToObject(o, "businessKey");
    cJSON_AddNullToObject(o, "caseInstanceId");
    cJSON_AddBoolToObject(o, "ended", state && (!strcmp(state, "completed") || !strcmp(state, "terminated")));
    cJSON_AddBoolToObject(o, "suspended", cJSON_IsTrue(cJSON_GetObjectItem(show, "suspended")));
    cJSON_AddNullToObject(o, "tenantId");
    return o;
}

cJSON *sv_instance_get(sv_request *r, sv_answer *a, const char *id, const char *right)
{
    char *json = NULL;
    int rc = bpmn_instance_show(r->e, id, &json);
    if (rc != BPMN_OK) {
        if (rc == BPMN_ENOTFOUND || rc == BPMN_EINVAL)
            sv_error(a, 404, "InvalidRequestException",
                     "Process instance with id %s does not exist", id);
        else
            sv_fail(a, r, rc);
        return NULL;
    }
    cJSON *s = cJSON_Parse(json);
    bpmn_free(r->e, json);
    if (!s) {
        sv_error(a, 500, "ServerError", "out of memory");
        return NULL;
    }
    const char *key = sv_str(s, "process");
    int own = 0;
    if (right && (!sv_may(r, right, key, &own) || (own && !sv_owns(r, id)))) {
        sv_forbidden(a, r, right, key);
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

/* A running instance for the runtime endpoints: an ended one is history, 404 as in Camunda. */
static cJSON *running_get(sv_request *r, sv_answer *a, const char *id, const char *right)
{
    cJSON *s = sv_instance_get(r, a, id, right);
    const char *state = s ? sv_str(s, "state") : NULL;
    if (state && (!strcmp(state, "completed") || !strcmp(state, "terminated"))) {
        cJSON_Delete(s);
        sv_error(a, 404, "InvalidRequestException",
                 "Process instance with id %s does not exist (it has ended: see "
                 "/history/process-instance)", id);
        return NULL;
    }
    return s;
}

/* ---- changes, run through the group commit ------------------------------------------------- */

typedef enum { OP_CANCEL, OP_SET_VARS, OP_SUSPEND, OP_RESUME } inst_kind;

typedef struct inst_op {
    inst_kind kind;
    const char *id, *vars;
    bpmn_actor who;
} inst_op;

static int run_inst(bpmn_engine *e, void *ud, char **json)
{
    inst_op *o = ud;
    switch (o->kind) {
    case OP_CANCEL: return bpmn_instance_cancel_as(e, o->id, &o->who, json);
    case OP_SET_VARS: return bpmn_instance_set_vars_as(e, o->id, &o->who, o->vars, json);
    case OP_SUSPEND: return bpmn_instance_suspend_as(e, o->id, &o->who, json);
    default: return bpmn_instance_resume_as(e, o->id, &o->who, json);
    }
}

static int inst_write(sv_request *r, sv_answer *a, inst_kind kind, const char *vars)
{
    inst_op o = {kind, r->params[0], vars, {r->user->name, r->user->groups}};
    return sv_write_no_content(r, a, run_inst, &o);
}

/* ---- the query ---------------------------------------------------------------------------- */

typedef struct query {
    sv_request *r;
    const char *business_key, *definition_id, *instance_ids, *active_state;
    int suspended, count_only;
    unsigned long first, max, seen;
    cJSON *rows; /* the rows that pass, with "_own": true when only read-own lets them */
    cJSON *out;
} query;

static int in_list(const char *csv, const char *id)
{
    size_t n = strlen(id);
    for (const char *p = csv; *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && memcmp(p, id, n) == 0)
            return 1;
        p += l + (e != NULL);
    }
    return 0;
}

/* Called inside the engine's scan: no engine call here (the handle is reading); a row that
 * only read-own allows is checked after the scan. */
static int query_row(void *ud, const char *json)
{
    query *q = ud;
    cJSON *s = cJSON_Parse(json);
    if (!s)
        return 0;
    cJSON *o = sv_instance_json(s);
    const char *bk = sv_str(s, "key"), *key = sv_str(s, "process");
    int own = 0;
    int keep = sv_may(q->r, "read", key, &own);
    if (keep && q->business_key)
        keep = bk && strcmp(bk, q->business_key) == 0;
    if (keep && q->definition_id)
        keep = strcmp(sv_str(o, "definitionId"), q->definition_id) == 0;
    if (keep && q->instance_ids)
        keep = in_list(q->instance_ids, sv_str(s, "instance"));
    if (keep && q->suspended >= 0)
        keep = cJSON_IsTrue(cJSON_GetObjectItem(o, "suspended")) == q->suspended;
    if (keep && q->active_state) /* withIncident=true */
        keep = strcmp(sv_str(s, "state"), q->active_state) == 0;
    if (keep) {
        if (own)
            cJSON_AddTrueToObject(o, "_own");
        cJSON_AddItemToArray(q->rows, o);
        o = NULL;
    }
    cJSON_Delete(o);
    cJSON_Delete(s);
    return 0;
}

/* The page of the rows that remain once read-own rows are checked. */
static void query_page(query *q)
{
    cJSON *row = q->rows->child;
    while (row) {
        cJSON *next = row->next;
        int keep = 1;
        if (cJSON_GetObjectItem(row, "_own")) {
            cJSON_DeleteItemFromObject(row, "_own");
            keep = sv_owns(q->r, sv_str(row, "id"));
        }
        if (keep && q->seen++ >= q->first && (!q->max || (unsigned long)cJSON_GetArraySize(q->out) < q->max) &&
            !q->count_only)
            cJSON_AddItemToArray(q->out, cJSON_DetachItemViaPointer(q->rows, row));
        row = next;
    }
}

static int instance_query(sv_request *r, sv_answer *a)
{
    query q = {0};
    q.r = r;
    if (sv_arg_uint(r, a, "firstResult", 1000000000ul, &q.first) ||
        sv_arg_uint(r, a, "maxResults", 1000000000ul, &q.max))
        return 0;
    q.suspended = sv_arg_bool(r, a, "suspended");
    int active = sv_arg_bool(r, a, "active");
    int incidents = sv_arg_bool(r, a, "withIncident");
    if (q.suspended == -2 || active == -2 || incidents == -2)
        return 0;
    if (active == 1)
        q.suspended = 0;
    q.business_key = sv_arg(r, "businessKey");
    q.definition_id = sv_arg(r, "processDefinitionId");
    q.instance_ids = sv_arg(r, "processInstanceIds");
    q.active_state = incidents == 1 ? "incident" : NULL;
    q.count_only = strstr(r->url, "/count") != NULL;
    /* A count of one process (or one version), maybe of those with an incident, is read from
     * the records' headers in one pass (bpmn_process_statistics), not by decoding each. */
    const char *pkey = sv_arg(r, "processDefinitionKey");
    char dkey[256];
    unsigned dver = 0;
    int own = 0;
    if (q.count_only && !q.business_key && !q.instance_ids && q.suspended < 0 && active < 0 &&
        !(pkey && q.definition_id) &&
        (pkey || (q.definition_id &&
                  sv_definition_parse(q.definition_id, dkey, sizeof dkey, &dver))) &&
        sv_may(r, "read", pkey ? pkey : dkey, &own) && !own) {
        char *json = NULL;
        int rc = bpmn_process_statistics(r->e, pkey ? pkey : dkey, pkey ? 0 : dver, &json);
        if (rc != BPMN_OK)
            return sv_fail(a, r, rc);
        cJSON *st = cJSON_Parse(json);
        bpmn_free(r->e, json);
        const cJSON *n = cJSON_GetObjectItem(st, q.active_state ? "incidents" : "instances");
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "count", cJSON_IsNumber(n) ? n->valuedouble : 0);
        cJSON_Delete(st);
        return sv_json(a, 200, c);
    }
    q.out = cJSON_CreateArray();
    q.rows = cJSON_CreateArray();
    const char *key = sv_arg(r, "processDefinitionKey");
    /* Ended instances are history (GET /history/process-instance), as in Camunda. */
    int rc = BPMN_OK;
    const char *states[] = {"active", "incident"};
    for (size_t i = 0; rc == BPMN_OK && i < 2; i++)
        if (!q.active_state || strcmp(q.active_state, states[i]) == 0)
            rc = bpmn_instance_each(r->e, key, states[i], 0, 0, query_row, &q);
    if (rc != BPMN_OK) {
        cJSON_Delete(q.out);
        cJSON_Delete(q.rows);
        return sv_fail(a, r, rc);
    }
    query_page(&q);
    cJSON_Delete(q.rows);
    if (q.count_only) {
        cJSON_Delete(q.out);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "count", (double)q.seen);
        return sv_json(a, 200, c);
    }
    return sv_json(a, 200, q.out);
}

static int instance_one(sv_request *r, sv_answer *a)
{
    cJSON *s = running_get(r, a, r->params[0], "read");
    if (!s)
        return 0;
    cJSON *o = sv_instance_json(s);
    cJSON_Delete(s);
    return sv_json(a, 200, o);
}

static int instance_delete(sv_request *r, sv_answer *a)
{
    cJSON *s = running_get(r, a, r->params[0], "work");
    if (!s)
        return 0;
    cJSON_Delete(s);
    return inst_write(r, a, OP_CANCEL, NULL);
}

static int variables_get(sv_request *r, sv_answer *a)
{
    cJSON *s = running_get(r, a, r->params[0], "read");
    if (!s)
        return 0;
    const cJSON *vars = cJSON_GetObjectItem(s, "variables");
    cJSON *out;
    if (r->params[1]) {
        const cJSON *v = cJSON_GetObjectItem(vars, r->params[1]);
        if (!v) {
            cJSON_Delete(s);
            return sv_error(a, 404, "InvalidRequestException",
                            "process instance variable with name %s does not exist",
                            r->params[1]);
        }
        out = sv_value_out(v);
    } else {
        out = sv_vars_out(vars, NULL);
    }
    cJSON_Delete(s);
    return sv_json(a, 200, out);
}

static int set_vars(sv_request *r, sv_answer *a, cJSON *plain)
{
    char *text = cJSON_PrintUnformatted(plain);
    cJSON_Delete(plain);
    if (!text)
        return sv_error(a, 500, "ServerError", "out of memory");
    int rc = inst_write(r, a, OP_SET_VARS, text);
    cJSON_free(text);
    return rc;
}

/* PUT /process-instance/{id}/variables/{name}: one typed value. */
static int variable_put(sv_request *r, sv_answer *a)
{
    cJSON *s = running_get(r, a, r->params[0], "work");
    if (!s)
        return 0;
    cJSON_Delete(s);
    cJSON *body = sv_body_object(r, a, 0);
    if (!body)
        return 0;
    cJSON *v = sv_value_in(r->params[1], body, a);
    cJSON_Delete(body);
    if (!v)
        return 0;
    cJSON *plain = cJSON_CreateObject();
    cJSON_AddItemToObject(plain, r->params[1], v);
    return set_vars(r, a, plain);
}

/* POST /process-instance/{id}/variables: {"modifications":{..typed..},"deletions":[..]}.
 * Deleting a variable sets it to null (the engine keeps no absent/null difference). */
static int variables_modify(sv_request *r, sv_answer *a)
{
    cJSON *s = running_get(r, a, r->params[0], "work");
    if (!s)
        return 0;
    cJSON_Delete(s);
    cJSON *body = sv_body_object(r, a, 0);
    if (!body)
        return 0;
    cJSON *plain = sv_vars_in(cJSON_GetObjectItem(body, "modifications"), a);
    const cJSON *del = cJSON_GetObjectItem(body, "deletions"), *d;
    if (plain && del && !cJSON_IsArray(del) && !cJSON_IsNull(del)) {
        cJSON_Delete(plain);
        plain = NULL;
        sv_error(a, 400, "InvalidRequestException", "deletions must be a list of names");
    }
    cJSON_ArrayForEach(d, del) if (plain && cJSON_IsString(d))
        cJSON_AddNullToObject(plain, d->valuestring);
    cJSON_Delete(body);
    return plain ? set_vars(r, a, plain) : 0;
}

static int suspended_put(sv_request *r, sv_answer *a)
{
    cJSON *s = running_get(r, a, r->params[0], "work");
    if (!s)
        return 0;
    cJSON_Delete(s);
    cJSON *body = sv_body_object(r, a, 0);
    if (!body)
        return 0;
    const cJSON *flag = cJSON_GetObjectItem(body, "suspended");
    if (!cJSON_IsBool(flag)) {
        cJSON_Delete(body);
        return sv_error(a, 400, "InvalidRequestException", "suspended must be true or false");
    }
    int suspend = cJSON_IsTrue(flag);
    cJSON_Delete(body);
    return inst_write(r, a, suspend ? OP_SUSPEND : OP_RESUME, NULL);
}

typedef struct send_op {
    const char *name, *key, *vars;
    int signal;
} send_op;

static int run_send(bpmn_engine *e, void *ud, char **json)
{
    send_op *o = ud;
    return o->signal ? bpmn_signal(e, o->name, o->vars, json)
                     : bpmn_correlate(e, o->name, o->key, o->vars, json);
}

/* POST /message: messageName, businessKey or correlationKeys (the first key's value is the
 * correlation key), processVariables, resultEnabled. */
static int message(sv_request *r, sv_answer *a)
{
    cJSON *body = sv_body_object(r, a, 0);
    if (!body)
        return 0;
    const cJSON *name = cJSON_GetObjectItem(body, "messageName");
    const cJSON *bk = cJSON_GetObjectItem(body, "businessKey");
    const cJSON *keys = cJSON_GetObjectItem(body, "correlationKeys");
    int result = cJSON_IsTrue(cJSON_GetObjectItem(body, "resultEnabled"));
    if (!cJSON_IsString(name) || !name->valuestring[0]) {
        cJSON_Delete(body);
        return sv_error(a, 400, "InvalidRequestException", "messageName is required");
    }
    if (!sv_may(r, "work", NULL, NULL)) {
        cJSON_Delete(body);
        return sv_forbidden(a, r, "work", NULL);
    }
    char key[512] = "";
    if (keys && keys->child) {
        cJSON *v = sv_value_in(keys->child->string, keys->child, a);
        if (!v) {
            cJSON_Delete(body);
            return 0;
        }
        if (cJSON_IsString(v))
            snprintf(key, sizeof key, "%s", v->valuestring);
        else {
            char *t = cJSON_PrintUnformatted(v);
            snprintf(key, sizeof key, "%s", t ? t : "");
            cJSON_free(t);
        }
        cJSON_Delete(v);
    } else if (cJSON_IsString(bk)) {
        snprintf(key, sizeof key, "%s", bk->valuestring);
    }
    cJSON *vars = sv_vars_in(cJSON_GetObjectItem(body, "processVariables"), a);
    if (!vars) {
        cJSON_Delete(body);
        return 0;
    }
    char *vtext = cJSON_PrintUnformatted(vars);
    cJSON_Delete(vars);
    char *json = NULL;
    send_op op = {name->valuestring, key[0] ? key : NULL, vtext, 0};
    int rc = sv_write(r, run_send, &op, &json);
    cJSON_free(vtext);
    if (rc != BPMN_OK) {
        if (rc == BPMN_ENOTFOUND)
            sv_error(a, 400, "RestException",
                     "Cannot correlate message '%s': No process definition or execution matches "
                     "the parameters", name->valuestring);
        else
            sv_fail(a, r, rc);
        cJSON_Delete(body);
        return 0;
    }
    cJSON_Delete(body);
    if (!result) {
        bpmn_free(r->e, json);
        return sv_no_content(a);
    }
    cJSON *res = cJSON_Parse(json);
    bpmn_free(r->e, json);
    const char *iid = sv_str(res, "instance");
    cJSON *one = cJSON_CreateObject();
    cJSON_AddStringToObject(one, "resultType", "Execution");
    cJSON *inst = cJSON_CreateObject();
    cJSON_AddStringToObject(inst, "id", iid ? iid : "");
    cJSON_AddStringToObject(inst, "processInstanceId", iid ? iid : "");
    cJSON_AddBoolToObject(inst, "ended", 0);
    cJSON_AddNullToObject(inst, "tenantId");
    cJSON_AddItemToObject(one, "execution", inst);
    cJSON_AddNullToObject(one, "processInstance");
    cJSON_Delete(res);
    cJSON *out = cJSON_CreateArray();
    cJSON_AddItemToArray(out, one);
    return sv_json(a, 200, out);
}

static int signal(sv_request *r, sv_answer *a)
{
    cJSON *body = sv_body_object(r, a, 0);
    if (!body)
        return 0;
    const cJSON *name = cJSON_GetObjectItem(body, "name");
    if (!cJSON_IsString(name) || !name->valuestring[0]) {
        cJSON_Delete(body);
        return sv_error(a, 400, "InvalidRequestException", "No signal name given");
    }
    if (!sv_may(r, "work", NULL, NULL)) {
        cJSON_Delete(body);
        return sv_forbidden(a, r, "work", NULL);
    }
    cJSON *vars = sv_vars_in(cJSON_GetObjectItem(body, "variables"), a);
    if (!vars) {
        cJSON_Delete(body);
        return 0;
    }
    char *vtext = cJSON_PrintUnformatted(vars);
    cJSON_Delete(vars);
    send_op op = {name->valuestring, NULL, vtext, 1};
    int rc = sv_write_no_content(r, a, run_send, &op);
    cJSON_free(vtext);
    cJSON_Delete(body);
    return rc;
}

typedef struct incidents {
    sv_request *r;
    const char *instance, *activity;
    cJSON *out;
} incidents;

static int incident_row(void *ud, const char *json)
{
    incidents *q = ud;
    cJSON *s = cJSON_Parse(json);
    const cJSON *inc = cJSON_GetObjectItem(s, "incident");
    const char *id = sv_str(s, "instance"), *el = sv_str(inc, "element");
    if (inc && id && sv_may(q->r, "read", sv_str(s, "process"), NULL) &&
        (!q->instance || strcmp(q->instance, id) == 0) &&
        (!q->activity || (el && strcmp(q->activity, el) == 0))) {
        cJSON *o = cJSON_CreateObject();
        cJSON *pi = sv_instance_json(s);
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddStringToObject(o, "processDefinitionId", sv_str(pi, "definitionId"));
        cJSON_AddStringToObject(o, "processInstanceId", id);
        cJSON_AddStringToObject(o, "executionId", id);
        cJSON_AddNullToObject(o, "incidentTimestamp");
        cJSON_AddStringToObject(o, "incidentType", "failedJob");
        cJSON_AddStringToObject(o, "activityId", el ? el : "");
        cJSON_AddStringToObject(o, "failedActivityId", el ? el : "");
        cJSON_AddNullToObject(o, "causeIncidentId");
        cJSON_AddNullToObject(o, "rootCauseIncidentId");
        cJSON_AddNullToObject(o, "configuration");
        cJSON_AddNullToObject(o, "tenantId");
        const char *m = sv_str(inc, "message");
        cJSON_AddStringToObject(o, "incidentMessage", m ? m : "");
        cJSON_AddNullToObject(o, "jobDefinitionId");
        cJSON_AddNullToObject(o, "annotation");
        cJSON_AddItemToArray(q->out, o);
        cJSON_Delete(pi);
    }
    cJSON_Delete(s);
    return 0;
}

static int incident_query(sv_request *r, sv_answer *a)
{
    incidents q = {r, sv_arg(r, "processInstanceId"), sv_arg(r, "activityId"), cJSON_CreateArray()};
    int rc = bpmn_instance_each(r->e, sv_arg(r, "processDefinitionKey"), "incident", 0, 0,
                                incident_row, &q);
    if (rc != BPMN_OK) {
        cJSON_Delete(q.out);
        return sv_fail(a, r, rc);
    }
    if (strstr(r->url, "/count")) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "count", cJSON_GetArraySize(q.out));
        cJSON_Delete(q.out);
        return sv_json(a, 200, c);
    }
    return sv_json(a, 200, q.out);
}

const sv_route sv_routes_instances[] = {
    {"GET", "/engine-rest/process-instance", instance_query, 0},
    {"GET", "/engine-rest/process-instance/count", instance_query, 0},
    {"GET", "/engine-rest/process-instance/{id}", instance_one, 0},
    {"DELETE", "/engine-rest/process-instance/{id}", instance_delete, 0},
    {"GET", "/engine-rest/process-instance/{id}/variables", variables_get, 0},
    {"POST", "/engine-rest/process-instance/{id}/variables", variables_modify, 0},
    {"GET", "/engine-rest/process-instance/{id}/variables/{name}", variables_get, 0},
    {"PUT", "/engine-rest/process-instance/{id}/variables/{name}", variable_put, 0},
    {"PUT", "/engine-rest/process-instance/{id}/suspended", suspended_put, 0},
    {"POST", "/engine-rest/message", message, 0},
    {"POST", "/engine-rest/signal", signal, 0},
    {"GET", "/engine-rest/incident", incident_query, 0},
    {"GET", "/engine-rest/incident/count", incident_query, 0},
    {NULL, NULL, NULL, 0},
};
