/*
 * api.c - bpmnrt's own endpoints under /api, for what Camunda's API has no place for: server
 * health, the reports (funnel, tasks per performer, durations), the history stream as NDJSON
 * with a since cursor, the work list of the calling user, and an instance as the engine shows it
 * (parent, children, waiting, incident, variables) with the retry of its incident.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "server/server.h"

static int count_row(void *ud, const char *json)
{
    (void)json;
    (*(unsigned long *)ud)++;
    return 0;
}

static int health(sv_request *r, sv_answer *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "UP");
    cJSON_AddStringToObject(o, "version", BPMNRT_VERSION_STRING);
    const char *path = sv_store_path(r->srv);
    struct stat sb;
    /* Where the store is and how big: for an admin only (it names a path on the server). */
    if (r->user->admin) {
        cJSON_AddStringToObject(o, "store", path);
        cJSON_AddNumberToObject(o, "storeBytes", stat(path, &sb) == 0 ? (double)sb.st_size : 0);
    }
    unsigned long commits, ops;
    sv_commit_stats(r->srv, &commits, &ops);
    cJSON *gc = cJSON_AddObjectToObject(o, "groupCommit");
    cJSON_AddNumberToObject(gc, "commits", (double)commits);
    cJSON_AddNumberToObject(gc, "operations", (double)ops);
    cJSON *counts = cJSON_AddObjectToObject(o, "instances");
    static const char *const states[] = {"active", "incident", "completed", "terminated"};
    for (size_t i = 0; i < 4; i++) {
        unsigned long n = 0;
        int rc = bpmn_instance_each(r->e, NULL, states[i], 0, 0, count_row, &n);
        if (rc != BPMN_OK) {
            cJSON_Delete(o);
            return sv_fail(a, r, rc);
        }
        cJSON_AddNumberToObject(counts, states[i], (double)n);
    }
    long long due = 0;
    if (bpmn_next_timer(r->e, &due) == BPMN_OK) {
        char iso[64];
        long long s = due / 1000;
        time_t t = (time_t)s;
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(due % 1000));
        cJSON_AddItemToObject(o, "nextTimer", sv_time_out(iso));
    } else {
        cJSON_AddNullToObject(o, "nextTimer");
    }
    return sv_json(a, 200, o);
}

/* Reports read history across instances: the read right on the process (or on every process
 * when none is named). */
static int report(sv_request *r, sv_answer *a)
{
    const char *process = sv_arg(r, "process");
    if (!sv_may(r, "read", process, NULL))
        return sv_forbidden(a, r, "read", process);
    const char *kind = r->params[0];
    char *json = NULL;
    int rc;
    if (strcmp(kind, "funnel") == 0) {
        rc = bpmn_report_funnel_by(r->e, process, sv_arg(r, "groupBy"), &json);
    } else if (strcmp(kind, "durations") == 0) {
        rc = bpmn_report_durations(r->e, process, &json);
    } else if (strcmp(kind, "tasks") == 0) {
        unsigned long from, to;
        if (sv_arg_uint(r, a, "from", ~0ul, &from) || sv_arg_uint(r, a, "to", ~0ul, &to))
            return 0;
        rc = bpmn_report_tasks(r->e, process, (long long)from, (long long)to, &json);
    } else {
        return sv_error(a, 404, "NotFound", "no report '%s': funnel, tasks or durations", kind);
    }
    if (rc != BPMN_OK)
        return sv_fail(a, r, rc);
    return sv_engine_json(a, r, 200, json);
}

/* ---- the history stream ------------------------------------------------------------------- */

typedef struct export {
    bpmn_engine *e;
    unsigned long long since; /* the last seq written */
    char *buf;                /* lines not yet handed out */
    size_t len, off, cap;
    int done, failed;
} export;

static int export_line(void *ud, const char *json)
{
    export *x = ud;
    size_t n = strlen(json);
    if (x->len + n + 1 > x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 65536;
        while (cap < x->len + n + 1)
            cap *= 2;
        char *b = realloc(x->buf, cap);
        if (!b)
            return -1;
        x->buf = b;
        x->cap = cap;
    }
    memcpy(x->buf + x->len, json, n);
    x->buf[x->len + n] = '\n';
    x->len += n + 1;
    /* "seq" is the first member of every event (docs/history.md). */
    const char *s = strstr(json, "\"seq\":");
    if (s)
        x->since = strtoull(s + 6, NULL, 10);
    return 0;
}

/* Pulls the next page of 1,000 events whenever the lines handed out are used up: memory stays
 * bounded however long the history. */
static long export_read(void *ud, char *out, size_t cap)
{
    export *x = ud;
    if (x->off == x->len) {
        if (x->done || x->failed)
            return x->failed ? -1 : 0;
        x->off = x->len = 0;
        unsigned long long before = x->since;
        if (bpmn_history_page(x->e, NULL, x->since, 0, 1000, export_line, x) != BPMN_OK)
            x->failed = 1;
        if (x->since == before)
            x->done = 1;
        if (x->len == 0)
            return x->failed ? -1 : 0;
    }
    size_t n = x->len - x->off < cap ? x->len - x->off : cap;
    memcpy(out, x->buf + x->off, n);
    x->off += n;
    return (long)n;
}

static void export_free(void *ud)
{
    export *x = ud;
    free(x->buf);
    free(x);
}

static int history_export(sv_request *r, sv_answer *a)
{
    if (!sv_may(r, "read", NULL, NULL))
        return sv_forbidden(a, r, "read", NULL);
    unsigned long since;
    if (sv_arg_uint(r, a, "since", ~0ul, &since))
        return 0;
    export *x = calloc(1, sizeof *x);
    if (!x)
        return sv_error(a, 500, "ServerError", "out of memory");
    x->e = r->e;
    x->since = since;
    a->status = 200;
    a->content_type = "application/x-ndjson";
    a->stream = export_read;
    a->stream_free = export_free;
    a->stream_ud = x;
    return 0;
}

/* The calling user's work list: tasks assigned to them or that they may claim. */
static int worklist(sv_request *r, sv_answer *a)
{
    unsigned long first, max;
    if (sv_arg_uint(r, a, "firstResult", 1000000000ul, &first) ||
        sv_arg_uint(r, a, "maxResults", 100000ul, &max))
        return 0;
    bpmn_actor who = {r->user->name, r->user->groups};
    bpmn_task_filter f = {0};
    f.worklist = &who;
    f.process = sv_arg(r, "process");
    f.offset = first;
    f.limit = max ? max : 1000;
    char *json = NULL;
    int rc = bpmn_task_query(r->e, &f, &json);
    if (rc != BPMN_OK)
        return sv_fail(a, r, rc);
    return sv_engine_json(a, r, 200, json);
}

/* ---- one instance: the engine's show object, and retrying its incident -------------------- */

/* GET /api/instances/{id}: the show object, after the read check on its process. */
static int instance_show(sv_request *r, sv_answer *a)
{
    cJSON *s = sv_instance_get(r, a, r->params[0], "read");
    return s ? sv_json(a, 200, s) : 0;
}

typedef struct retry_op {
    const char *id;
    bpmn_actor who;
} retry_op;

static int run_retry(bpmn_engine *e, void *ud, char **json)
{
    retry_op *o = ud;
    return bpmn_instance_retry_as(e, o->id, &o->who, json);
}

/* POST /api/instances/{id}/retry: the element of the incident runs again (a job gets one retry),
 * recorded as done by the user; the work right on its process. Answers Camunda's
 * ProcessInstance; 409 (the engine's state error) when the instance has no incident. */
static int instance_retry(sv_request *r, sv_answer *a)
{
    cJSON *s = sv_instance_get(r, a, r->params[0], "work");
    if (!s)
        return 0;
    cJSON_Delete(s);
    retry_op o = {r->params[0], {r->user->name, r->user->groups}};
    char *json = NULL;
    int rc = sv_write(r, run_retry, &o, &json);
    if (rc != BPMN_OK)
        return sv_fail(a, r, rc);
    cJSON *show = json ? cJSON_Parse(json) : NULL;
    bpmn_free(r->e, json);
    if (!show)
        return sv_error(a, 500, "ServerError", "out of memory");
    cJSON *out = sv_instance_json(show);
    cJSON_Delete(show);
    return sv_json(a, 200, out);
}

/* GET /api/processes: for every process version with running instances, how many, how many
 * with an incident and how many tokens wait: the processes page's counts in one pass. Versions
 * of processes the user may not read are left out; where only read-own allows it, the row says
 * "ownOnly" instead of counts (they would count others' instances). */
static int processes(sv_request *r, sv_answer *a)
{
    char *json = NULL;
    int rc = bpmn_process_statistics(r->e, NULL, 0, &json);
    if (rc != BPMN_OK)
        return sv_fail(a, r, rc);
    cJSON *st = cJSON_Parse(json);
    bpmn_free(r->e, json);
    cJSON *all = cJSON_DetachItemFromObject(st, "processes");
    cJSON_Delete(st);
    cJSON *out = cJSON_CreateArray();
    cJSON *x = all ? all->child : NULL;
    while (x) {
        cJSON *next = x->next;
        const cJSON *p = cJSON_GetObjectItem(x, "process");
        int own = 0;
        if (cJSON_IsString(p) && sv_may(r, "read", p->valuestring, &own)) {
            cJSON *row = cJSON_DetachItemViaPointer(all, x);
            if (own) { /* the counts cover others' instances too: the caller asks per instance */
                cJSON_DeleteItemFromObject(row, "instances");
                cJSON_DeleteItemFromObject(row, "incidents");
                cJSON_DeleteItemFromObject(row, "waiting");
                cJSON_AddTrueToObject(row, "ownOnly");
            }
            cJSON_AddItemToArray(out, row);
        }
        x = next;
    }
    cJSON_Delete(all);
    return sv_json(a, 200, out);
}

const sv_route sv_routes_api[] = {
    {"GET", "/api/processes", processes, 0},
    {"GET", "/api/health", health, 0},
    {"GET", "/api/reports/{kind}", report, 0},
    {"GET", "/api/history/export", history_export, 0},
    {"GET", "/api/worklist", worklist, 0},
    {"GET", "/api/instances/{id}", instance_show, 0},
    {"POST", "/api/instances/{id}/retry", instance_retry, 0},
    {NULL, NULL, NULL, 0},
};
