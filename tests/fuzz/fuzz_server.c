/*
 * fuzz_server.c - libFuzzer target for what the HTTP server parses from a request before any
 * engine call: multipart/form-data bodies (deployments) and JSON bodies with Camunda's typed
 * variables (every write request). The first byte picks which; for multipart the content type is
 * the first line and the body the rest. Besides memory errors and undefined behaviour it checks
 * what server.h promises: parts lie inside the body, a refused body gets a 4xx with a message,
 * and typed values that are accepted read back as typed values.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

static void fuzz_multipart(const char *buf, size_t size)
{
    const char *nl = memchr(buf, '\n', size);
    if (!nl)
        return;
    char ct[512];
    size_t cl = (size_t)(nl - buf) < sizeof ct - 1 ? (size_t)(nl - buf) : sizeof ct - 1;
    memcpy(ct, buf, cl);
    ct[cl] = '\0';
    const char *body = nl + 1;
    size_t len = size - (size_t)(body - buf);
    sv_part parts[32];
    char err[256];
    int n = sv_multipart(ct, body, len, parts, 32, err, sizeof err);
    if (n < 0 && !err[0])
        abort(); /* a refusal always says why */
    for (int i = 0; i < n; i++)
        if (parts[i].data < body || parts[i].data + parts[i].len > body + len || !parts[i].name[0])
            abort();
}

static void fuzz_json(const char *buf, size_t size)
{
    sv_request r;
    memset(&r, 0, sizeof r);
    r.body = buf;
    r.body_len = size;
    sv_answer a;
    memset(&a, 0, sizeof a);
    cJSON *j = sv_body_object(&r, &a, 1);
    if (!j && (a.status < 400 || a.status > 499 || !a.body))
        abort(); /* a refused body is a 4xx with a message */
    free(a.body);
    if (!j)
        return;
    memset(&a, 0, sizeof a);
    cJSON *plain = sv_vars_in(cJSON_GetObjectItem(j, "variables"), &a);
    if (!plain && (a.status != 400 || !a.body))
        abort();
    free(a.body);
    if (plain) {
        cJSON *typed = sv_vars_out(plain, NULL);
        for (const cJSON *v = typed ? typed->child : NULL; v; v = v->next)
            if (!cJSON_IsString(cJSON_GetObjectItem(v, "type")))
                abort();
        /* What went out comes back in. */
        memset(&a, 0, sizeof a);
        cJSON *again = typed ? sv_vars_in(typed, &a) : NULL;
        if (typed && !again)
            abort();
        free(a.body);
        cJSON_Delete(again);
        cJSON_Delete(typed);
        cJSON_Delete(plain);
    }
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 20)
        return 0;
    char *buf = malloc(size);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0'; /* the server's bodies end with a NUL past their length */
    if (data[0] & 1)
        fuzz_multipart(buf, size - 1);
    else
        fuzz_json(buf, size - 1);
    free(buf);
    return 0;
}
