/*
 * deployments.c - GET /engine-rest/version, GET /engine-rest/deployment and
 * POST /engine-rest/deployment/create: what Camunda Modeler's "Deploy" button calls. bpmnrt
 * keeps process versions, not deployments: a deployment here is named after the first process
 * version it stored ("KEY:VERSION"), and the list shows one per stored version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

#define MAX_PARTS 32

static int version(sv_request *r, sv_answer *a)
{
    (void)r;
    cJSON *j = cJSON_CreateObject();
    /* The Camunda 7 REST API version whose subset bpmnrt answers (docs/server.md). */
    cJSON_AddStringToObject(j, "version", "7.24.0");
    return sv_json(a, 200, j);
}

/* A Camunda ProcessDefinition object for one stored version. */
cJSON *sv_definition_json(const char *key, unsigned version, const char *name, const char *resource)
{
    char id[300];
    sv_definition_id(id, sizeof id, key, version);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "id", id);
    cJSON_AddStringToObject(d, "key", key);
    cJSON_AddNullToObject(d, "category");
    cJSON_AddNullToObject(d, "description");
    if (name && *name)
        cJSON_AddStringToObject(d, "name", name);
    else
        cJSON_AddNullToObject(d, "name");
    cJSON_AddNumberToObject(d, "version", version);
    if (resource)
        cJSON_AddStringToObject(d, "resource", resource);
    else
        cJSON_AddNullToObject(d, "resource");
    cJSON_AddStringToObject(d, "deploymentId", id);
    cJSON_AddNullToObject(d, "diagram");
    cJSON_AddFalseToObject(d, "suspended");
    cJSON_AddNullToObject(d, "tenantId");
    cJSON_AddNullToObject(d, "versionTag");
    cJSON_AddNullToObject(d, "historyTimeToLive");
    cJSON_AddTrueToObject(d, "startableInTasklist");
    return d;
}

static int deployment_list(sv_request *r, sv_answer *a)
{
    unsigned long first, max;
    if (sv_arg_uint(r, a, "firstResult", 1000000000ul, &first) ||
        sv_arg_uint(r, a, "maxResults", 1000000000ul, &max))
        return 0;
    if (!sv_may(r, "read", NULL, NULL))
        return sv_forbidden(a, r, "read", NULL);
    char *json = NULL;
    int rc = bpmn_definition_list(r->e, &json);
    if (rc != BPMN_OK)
        return sv_fail(a, r, rc);
    cJSON *defs = cJSON_Parse(json);
    bpmn_free(r->e, json);
    const char *name = sv_arg(r, "name"), *id = sv_arg(r, "id");
    cJSON *out = cJSON_CreateArray();
    unsigned long seen = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, defs)
    {
        const char *key = cJSON_GetObjectItem(d, "process")->valuestring;
        unsigned v = (unsigned)cJSON_GetObjectItem(d, "version")->valuedouble;
        char did[300];
        sv_definition_id(did, sizeof did, key, v);
        if ((id && strcmp(id, did) != 0) || (name && strcmp(name, key) != 0))
            continue;
        if (seen++ < first || (max && (unsigned long)cJSON_GetArraySize(out) >= max))
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", did);
        cJSON_AddStringToObject(o, "name", key);
        cJSON_AddNullToObject(o, "source");
        cJSON_AddNullToObject(o, "deploymentTime");
        cJSON_AddNullToObject(o, "tenantId");
        cJSON_AddItemToArray(out, o);
    }
    cJSON_Delete(defs);
    if (strstr(r->url, "/count")) {
        cJSON_Delete(out);
        out = cJSON_CreateObject();
        cJSON_AddNumberToObject(out, "count", (double)seen);
    }
    return sv_json(a, 200, out);
}

static int deployment_create(sv_request *r, sv_answer *a)
{
    if (!r->user->admin && !sv_may(r, "admin", NULL, NULL))
        return sv_error(a, 403, "AuthorizationException",
                        "the user '%s' may not deploy: deployments need the admin right",
                        r->user->name);
    sv_part parts[MAX_PARTS];
    char err[256];
    int n = sv_multipart(r->content_type, r->body, r->body_len, parts, MAX_PARTS, err, sizeof err);
    if (n < 0)
        return sv_error(a, 400, "InvalidRequestException", "deployment: %s", err);
    bpmn_document docs[MAX_PARTS];
    char names[MAX_PARTS][256];
    size_t nd = 0;
    char dname[256] = "", source[256] = "";
    for (int i = 0; i < n; i++) {
        const sv_part *p = &parts[i];
        if (p->filename[0]) {
            snprintf(names[nd], sizeof names[nd], "%s", p->filename);
            docs[nd].name = names[nd];
            docs[nd].data = p->data;
            docs[nd].len = p->len;
            nd++;
        } else if (strcmp(p->name, "deployment-name") == 0) {
            snprintf(dname, sizeof dname, "%.*s", (int)(p->len < 255 ? p->len : 255), p->data);
        } else if (strcmp(p->name, "deployment-source") == 0) {
            snprintf(source, sizeof source, "%.*s", (int)(p->len < 255 ? p->len : 255), p->data);
        }
        /* enable-duplicate-filtering and deploy-changed-only: a document identical to the
         * latest version of its processes never makes a new version in bpmnrt. tenant-id: no
         * tenants (docs/server.md). */
    }
    if (!nd)
        return sv_error(a, 400, "InvalidRequestException",
                        "deployment: no file part (a part with a filename holding BPMN XML)");
    char *json = NULL;
    int rc = bpmn_deploy_many(r->e, docs, nd, &json);
    if (rc != BPMN_OK)
        return sv_fail(a, r, rc);
    cJSON *res = cJSON_Parse(json);
    bpmn_free(r->e, json);
    const cJSON *list = cJSON_GetObjectItem(res, "deployments"), *d;
    cJSON *out = cJSON_CreateObject(), *defs = cJSON_CreateObject();
    char first[300] = "";
    cJSON_ArrayForEach(d, list)
    {
        const char *key = cJSON_GetObjectItem(d, "process")->valuestring;
        unsigned v = (unsigned)cJSON_GetObjectItem(d, "version")->valuedouble;
        char did[300];
        sv_definition_id(did, sizeof did, key, v);
        if (!first[0])
            snprintf(first, sizeof first, "%s", did);
        cJSON_AddItemToObject(defs, did, sv_definition_json(key, v, NULL, NULL));
    }
    cJSON_Delete(res);
    cJSON *links = cJSON_AddArrayToObject(out, "links");
    (void)links;
    cJSON_AddStringToObject(out, "id", first);
    cJSON_AddStringToObject(out, "name", dname[0] ? dname : first);
    if (source[0])
        cJSON_AddStringToObject(out, "source", source);
    else
        cJSON_AddNullToObject(out, "source");
    cJSON_AddNullToObject(out, "deploymentTime");
    cJSON_AddNullToObject(out, "tenantId");
    cJSON_AddItemToObject(out, "deployedProcessDefinitions", defs);
    cJSON_AddNullToObject(out, "deployedCaseDefinitions");
    cJSON_AddNullToObject(out, "deployedDecisionDefinitions");
    cJSON_AddNullToObject(out, "deployedDecisionRequirementsDefinitions");
    sv_notify(r->srv); /* timers and start events may have come with it */
    return sv_json(a, 200, out);
}

const sv_route sv_routes_deployments[] = {
    {"GET", "/engine-rest/version", version, 1},
    {"GET", "/engine-rest/deployment", deployment_list, 0},
    {"GET", "/engine-rest/deployment/count", deployment_list, 0},
    {"POST", "/engine-rest/deployment/create", deployment_create, 0},
    {NULL, NULL, NULL, 0},
};
