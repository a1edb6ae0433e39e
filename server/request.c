/*
 * request.c - reading a request: query arguments, checked numbers and booleans, and the body
 * as JSON (strict: valid UTF-8 JSON, no duplicate keys, the shape the resource expects).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "server/server.h"

const char *sv_arg(const sv_request *r, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)r->conn, MHD_GET_ARGUMENT_KIND,
                                       name);
}

/* Whether an object (at any depth) holds the same key twice. */
static const char *duplicate_key(const cJSON *j)
{
    for (const cJSON *c = j ? j->child : NULL; c; c = c->next) {
        if (cJSON_IsObject(j) && c->string)
            for (const cJSON *d = c->next; d; d = d->next)
                if (d->string && strcmp(c->string, d->string) == 0)
                    return c->string;
        const char *k = duplicate_key(c);
        if (k)
            return k;
    }
    return NULL;
}

cJSON *sv_body_object(const sv_request *r, sv_answer *a, int empty_ok)
{
    const char *p = r->body;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    if (!*p) {
        if (empty_ok)
            return cJSON_CreateObject();
        sv_error(a, 400, "InvalidRequestException", "the request needs a JSON body");
        return NULL;
    }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithOpts(r->body, &end, 1);
    if (j && (size_t)(end - r->body) != r->body_len) { /* a NUL byte inside the body */
        cJSON_Delete(j);
        j = NULL;
    }
    if (!j) {
        sv_error(a, 400, "InvalidRequestException", "the body is not valid JSON (at byte %zu)",
                 end ? (size_t)(end - r->body) : (size_t)0);
        return NULL;
    }
    const char *dup = duplicate_key(j);
    if (dup) {
        sv_error(a, 400, "InvalidRequestException", "the body has the key '%s' twice", dup);
        cJSON_Delete(j);
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        sv_error(a, 400, "InvalidRequestException", "the body must be a JSON object");
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

int sv_arg_uint(const sv_request *r, sv_answer *a, const char *name, unsigned long max,
                unsigned long *out)
{
    *out = 0;
    const char *v = sv_arg(r, name);
    if (!v)
        return 0;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || n > max) {
        sv_error(a, 400, "InvalidRequestException",
                 "Cannot set query parameter '%s' to value '%s': a whole number from 0 to %lu",
                 name, v, max);
        return -1;
    }
    *out = (unsigned long)n;
    return 0;
}

int sv_arg_bool(const sv_request *r, sv_answer *a, const char *name)
{
    const char *v = sv_arg(r, name);
    if (!v)
        return -1;
    if (strcmp(v, "true") == 0)
        return 1;
    if (strcmp(v, "false") == 0)
        return 0;
    sv_error(a, 400, "InvalidRequestException",
             "Cannot set query parameter '%s' to value '%s': true or false", name, v);
    return -2;
}
