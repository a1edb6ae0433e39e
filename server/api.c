/*
 * api.c - bpmnrt's own endpoints under /api, for what Camunda's API has no place for: server
 * health, the reports (funnel, tasks per performer, durations), the history stream as NDJSON
 * with a since cursor, and the work list of the calling user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server/server.h"

const sv_route sv_routes_api[] = {
    {NULL, NULL, NULL, 0},
};
