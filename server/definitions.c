/*
 * definitions.c - /engine-rest/process-definition: the deployed process versions, their XML,
 * starting an instance (what Camunda Modeler's "Start" button calls) and the per-activity
 * statistics a cockpit draws on the diagram.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

/* The stored versions as the engine lists them: [{"process","version","name","active"}]. */
static cJSON *definitions(sv_request *r, sv_answer *a)
{
    char *json = NULL;
    int rc = bpmn_definition_list(r->e, &json);
    if (rc != BPMN_OK) {
        sv_fail(a, r, rc);
        return NULL;
    }
    cJSON *d = cJSON_Parse(json);
    bpmn_free(r->e, json);
    if (!d)
        sv_error(a, 500, "ServerError", "out of memory");
    return d;
}

static unsigned num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsNumber(v) ? (unsigned)v->valuedouble : 0;
}

/* The latest version of each key, for latestVersion=true and /key/{key}. */
static unsigned latest_of(const cJSON *defs, const char *key)
{
    unsigned best = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, defs) if (strcmp(sv_str(d, "process"), key) == 0 &&
                                    num(d, "version") > best)
        best = num(d, "version");
    return best;
}

static int list(sv_request *r, sv_answer *a)
{
    unsigned long first, max, version;
    if (sv_arg_uint(r, a, "firstResult", 1000000000ul, &first) ||
        sv_arg_uint(r, a, "maxResults", 1000000000ul, &max) ||
        sv_arg_uint(r, a, "version", 0xFFFFFFFFul, &version))
        return 0;
    int latest = sv_arg_bool(r, a, "latestVersion");
    if (latest == -2)
        return 0;
    const char *key = sv_arg(r, "key"), *name = sv_arg(r, "name"), *id = sv_arg(r, "processDefinitionId");
    const char *key_like = sv_arg(r, "keyLike");
    cJSON *defs = definitions(r, a);
    if (!defs)
        return 0;
    cJSON *out = cJSON_CreateArray();
    unsigned long seen = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, defs)
    {
        const char *k = sv_str(d, "process"), *n = sv_str(d, "name");
        unsigned v = num(d, "version");
        char did[300];
        sv_definition_id(did, sizeof did, k, v);
        if ((key && strcmp(key, k)) || (id && strcmp(id, did)) || (name && (!n || strcmp(name, n))) ||
            (version && v != version) || (latest == 1 && v != latest_of(defs, k)))
            continue;
        if (key_like) { /* % matches anything, as in SQL LIKE; only at the ends here */
            char pat[256];
            snprintf(pat, sizeof pat, "%s", key_like);
            size_t pl = strlen(pat);
            int front = pl && pat[0] == '%', back = pl > 1 && pat[pl - 1] == '%';
            if (back)
                pat[--pl] = '\0';
            const char *core = front ? pat + 1 : pat;
            if (front ? !strstr(k, core) : strncmp(k, core, strlen(core)) != 0 ||
                                              (!back && strcmp(k, core) != 0))
                continue;
        }
        if (!sv_may(r, "read", k, NULL))
            continue;
        if (seen++ < first || (max && (unsigned long)cJSON_GetArraySize(out) >= max))
            continue;
        cJSON_AddItemToArray(out, sv_definition_json(k, v, n, NULL));
    }
    cJSON_Delete(defs);
    if (strstr(r->url, "/count")) {
        cJSON_Delete(out);
        out = cJSON_CreateObject();
        cJSON_AddNumberToObject(out, "count", (double)seen);
    }
    return sv_json(a, 200, out);
}

/* The version a route names: {id} "KEY:VERSION", or key/{key} (the latest). */
static int resolve(sv_request *r, sv_answer *a, char *key, size_t cap, unsigned *version,
                   char **name)
{
    int by_key = strstr(r->url, "/process-definition/key/") != NULL;
    *name = NULL;
    if (!by_key && !sv_definition_parse(r->params[0], key, cap, version)) {
        sv_error(a, 404, "InvalidRequestException",
                 "No matching definition with id %s (ids are KEY:VERSION)", r->params[0]);
        return -1;
    }
    if (by_key)
        snprintf(key, cap, "%s", r->params[0]);
    cJSON *defs = definitions(r, a);
    if (!defs)
        return -1;
    unsigned latest = latest_of(defs, key);
    if (by_key)
        *version = latest;
    int found = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, defs) if (strcmp(sv_str(d, "process"), key) == 0 &&
                                    num(d, "version") == *version)
    {
        found = 1;
        *name = sv_str(d, "name") ? strdup(sv_str(d, "name")) : NULL;
    }
    cJSON_Delete(defs);
    if (!found) {
        sv_error(a, 404, "InvalidRequestException",
                 by_key ? "No matching process definition with key: %s" :
                          "No matching definition with id %s",
                 r->params[0]);
        return -1;
    }
    return 0;
}

static int get_one(sv_request *r, sv_answer *a)
{
    char key[256];
    unsigned v;
    char *name;
    if (resolve(r, a, key, sizeof key, &v, &name) != 0)
        return 0;
    if (!sv_may(r, "read", key, NULL)) {
        free(name);
        return sv_forbidden(a, r, "read", key);
    }
    cJSON *d = sv_definition_json(key, v, name, NULL);
    free(name);
    return sv_json(a, 200, d);
}

static int xml(sv_request *r, sv_answer *a)
{
    char key[256];
    unsigned v;
    char *name;
    if (resolve(r, a, key, sizeof key, &v, &name) != 0)
        return 0;
    free(name);
    if (!sv_may(r, "read", key, NULL))
        return sv_forbidden(a, r, "read", key);
    char *text = NULL;
    size_t len = 0;
    int rc = bpmn_definition_xml(r->e, key, v, &text, &len);
    if (rc != BPMN_OK)
        return sv_fail(a, r, rc);
    char id[300];
    sv_definition_id(id, sizeof id, key, v);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "bpmn20Xml", text);
    bpmn_free(r->e, text);
    return sv_json(a, 200, o);
}

typedef struct start_op {
    const char *key, *vars, *business_key;
    unsigned version;
    bpmn_actor who; /* recorded as the starter: read-own and work-own cover the instance */
} start_op;

static int run_start(bpmn_engine *e, void *ud, char **json)
{
    start_op *o = ud;
    return bpmn_instance_start_as(e, o->key, o->version, o->vars, o->business_key, &o->who, json);
}

static int start(sv_request *r, sv_answer *a)
{
    /* No lookup of the definitions first (it counts every instance): the engine starts the
     * latest version of a key (version 0) or the one named, and says when there is none. */
    char key[256];
    unsigned v = 0;
    if (strstr(r->url, "/process-definition/key/"))
        snprintf(key, sizeof key, "%s", r->params[0]);
    else if (!sv_definition_parse(r->params[0], key, sizeof key, &v))
        return sv_error(a, 404, "InvalidRequestException",
                        "No matching definition with id %s (ids are KEY:VERSION)", r->params[0]);
    if (!sv_may(r, "start", key, NULL))
        return sv_forbidden(a, r, "start", key);
    cJSON *body = sv_body_object(r, a, 1);
    if (!body)
        return 0;
    cJSON *vars = sv_vars_in(cJSON_GetObjectItem(body, "variables"), a);
    const cJSON *bk = cJSON_GetObjectItem(body, "businessKey");
    int with_vars = cJSON_IsTrue(cJSON_GetObjectItem(body, "withVariablesInReturn"));
    if (!vars || (bk && !cJSON_IsString(bk) && !cJSON_IsNull(bk))) {
        if (vars)
            sv_error(a, 400, "InvalidRequestException", "businessKey must be text");
        cJSON_Delete(vars);
        cJSON_Delete(body);
        return 0;
    }
    char *vtext = cJSON_PrintUnformatted(vars);
    cJSON_Delete(vars);
    char *json = NULL;
    start_op op = {key, vtext, cJSON_IsString(bk) ? bk->valuestring : NULL, v,
                   {r->user->name, r->user->groups}};
    int rc = sv_write(r, run_start, &op, &json);
    cJSON_free(vtext);
    cJSON_Delete(body);
    if (rc != BPMN_OK)
        return sv_fail(a, r, rc);
    cJSON *started = cJSON_Parse(json);
    bpmn_free(r->e, json);
    const char *iid = sv_str(started, "instance");
    cJSON *show = iid ? sv_instance_get(r, a, iid, "read") : NULL;
    cJSON_Delete(started);
    if (!show)
        return a->status ? 0 : sv_error(a, 500, "ServerError", "out of memory");
    cJSON *o = sv_instance_json(show);
    if (with_vars)
        cJSON_AddItemToObject(o, "variables",
                              sv_vars_out(cJSON_GetObjectItem(show, "variables"), NULL));
    cJSON_Delete(show);
    return sv_json(a, 200, o);
}

static int statistics(sv_request *r, sv_answer *a)
{
    char key[256];
    unsigned v;
    char *name;
    if (resolve(r, a, key, sizeof key, &v, &name) != 0)
        return 0;
    free(name);
    if (!sv_may(r, "read", key, NULL))
        return sv_forbidden(a, r, "read", key);
    char *json = NULL;
    int rc = bpmn_process_statistics(r->e, key, v, &json);
    if (rc != BPMN_OK)
        return sv_fail(a, r, rc);
    cJSON *st = cJSON_Parse(json);
    bpmn_free(r->e, json);
    cJSON *out = cJSON_CreateArray();
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(st, "elements"))
    {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", sv_str(x, "element") ? sv_str(x, "element") : "");
        cJSON_AddNumberToObject(o, "instances", num(x, "instances"));
        cJSON_AddNumberToObject(o, "failedJobs", 0);
        cJSON *incs = cJSON_AddArrayToObject(o, "incidents");
        if (num(x, "incidents")) {
            cJSON *i = cJSON_CreateObject();
            cJSON_AddStringToObject(i, "incidentType", "failedJob");
            cJSON_AddNumberToObject(i, "incidentCount", num(x, "incidents"));
            cJSON_AddItemToArray(incs, i);
        }
        cJSON_AddItemToArray(out, o);
    }
    cJSON_Delete(st);
    return sv_json(a, 200, out);
}

const sv_route sv_routes_definitions[] = {
    {"GET", "/engine-rest/process-definition", list, 0},
    {"GET", "/engine-rest/process-definition/count", list, 0},
    {"GET", "/engine-rest/process-definition/key/{key}", get_one, 0},
    {"GET", "/engine-rest/process-definition/key/{key}/xml", xml, 0},
    {"POST", "/engine-rest/process-definition/key/{key}/start", start, 0},
    {"GET", "/engine-rest/process-definition/key/{key}/statistics", statistics, 0},
    {"GET", "/engine-rest/process-definition/{id}", get_one, 0},
    {"GET", "/engine-rest/process-definition/{id}/xml", xml, 0},
    {"POST", "/engine-rest/process-definition/{id}/start", start, 0},
    {"GET", "/engine-rest/process-definition/{id}/statistics", statistics, 0},
    {NULL, NULL, NULL, 0},
};
