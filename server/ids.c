/*
 * ids.c - how bpmnrt's names appear in Camunda's shapes: a process definition id is
 * "KEY:VERSION" (Camunda's are "KEY:VERSION:UUID"; clients treat them as opaque), and times are
 * written as Camunda writes them, "2026-01-01T09:00:00.000+0000".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

void sv_definition_id(char *buf, size_t cap, const char *key, unsigned version)
{
    snprintf(buf, cap, "%s:%u", key, version);
}

int sv_definition_parse(const char *id, char *key, size_t cap, unsigned *version)
{
    const char *colon = strrchr(id, ':');
    if (!colon || colon == id || !colon[1] || (size_t)(colon - id) >= cap)
        return 0;
    char *end;
    unsigned long v = strtoul(colon + 1, &end, 10);
    if (*end || v == 0 || v > 0xFFFFFFFFul)
        return 0;
    memcpy(key, id, (size_t)(colon - id));
    key[colon - id] = '\0';
    *version = (unsigned)v;
    return 1;
}

cJSON *sv_time_out(const char *iso)
{
    if (!iso)
        return cJSON_CreateNull();
    /* 2026-01-01T09:00:00Z or 2026-01-01T09:00:00.123Z */
    char out[40];
    size_t n = strlen(iso);
    if (n < 20 || iso[n - 1] != 'Z')
        return cJSON_CreateString(iso);
    if (n == 20)
        snprintf(out, sizeof out, "%.19s.000+0000", iso);
    else
        snprintf(out, sizeof out, "%.23s+0000", iso);
    return cJSON_CreateString(out);
}
