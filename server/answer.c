/*
 * answer.c - the one place an engine status becomes an HTTP answer, and the JSON bodies: the
 * answers of the resources and Camunda's error body {"type","message"}.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

int sv_json(sv_answer *a, int status, cJSON *j)
{
    char *text = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!text)
        return sv_error(a, 500, "ServerError", "out of memory");
    a->status = status;
    a->body = text;
    a->len = strlen(text);
    a->content_type = "application/json";
    return 0;
}

int sv_engine_json(sv_answer *a, const sv_request *r, int status, char *json)
{
    size_t n = json ? strlen(json) : 0;
    char *copy = malloc(n + 1);
    if (copy) {
        if (n)
            memcpy(copy, json, n);
        copy[n] = '\0';
    }
    bpmn_free(r->e, json);
    if (!copy)
        return sv_error(a, 500, "ServerError", "out of memory");
    a->status = status;
    a->body = copy;
    a->len = n;
    a->content_type = "application/json";
    return 0;
}

int sv_no_content(sv_answer *a)
{
    a->status = 204;
    a->body = NULL;
    a->len = 0;
    return 0;
}

int sv_error(sv_answer *a, int status, const char *type, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    free(a->body);
    a->body = NULL;
    cJSON *j = cJSON_CreateObject();
    if (j) {
        cJSON_AddStringToObject(j, "type", type);
        cJSON_AddStringToObject(j, "message", msg);
    }
    char *text = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    a->status = status;
    a->body = text;
    a->len = text ? strlen(text) : 0;
    a->content_type = "application/json";
    return 0;
}

const char *sv_errmsg(const sv_request *r)
{
    return r->errbuf[0] ? r->errbuf : bpmn_engine_errmsg(r->e);
}

const char *sv_str(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

int sv_fail(sv_answer *a, const sv_request *r, int rc)
{
    const char *msg = sv_errmsg(r);
    if (!msg || !*msg)
        msg = bpmn_strerror(rc);
    switch (rc) {
    case BPMN_EINVAL:
    case BPMN_EPARSE:
    case BPMN_ETOOBIG:
        return sv_error(a, 400, "InvalidRequestException", "%s", msg);
    case BPMN_EINVALID:
        return sv_error(a, 400, "ParseException", "%s", msg);
    case BPMN_ENOTFOUND:
        return sv_error(a, 404, "InvalidRequestException", "%s", msg);
    case BPMN_ESTATE:
        return sv_error(a, 400, "BadUserRequestException", "%s", msg);
    case BPMN_EDENIED:
        return sv_error(a, 403, "AuthorizationException", "%s", msg);
    case BPMN_EBUSY:
        return sv_error(a, 409, "OptimisticLockingException", "%s", msg);
    case BPMN_EFULL:
        return sv_error(a, 507, "ProcessEngineException", "%s", msg);
    default:
        return sv_error(a, 500, "ProcessEngineException", "%s", msg);
    }
}

int sv_forbidden(sv_answer *a, const sv_request *r, const char *right, const char *process)
{
    return sv_error(a, 403, "AuthorizationException",
                    "the user '%s' does not have '%s' permission on process '%s'", r->user->name,
                    right, process ? process : "*");
}
