/*
 * history.c - /engine-rest/history: process instances, activity instances, tasks and variables,
 * in Camunda's Historic*Dto shapes.
 *
 * Process instances and variables come from the instance records (kept until purged, whatever
 * the history level); activity instances and tasks are built from the recorded events
 * (bpmn_history_each), pairing each activation with its completion or termination. Rows of
 * processes the user may not read are left out; which processes those are is settled before a
 * list is read, since the list's callback must not call the engine.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

/* tasks.c */
int sv_time_ms(const char *s, long long *ms);

/* Whether o's string member k is v. */
static int is(const cJSON *o, const char *k, const char *v)
{
    const char *x = sv_str(o, k);
    return x && v && strcmp(x, v) == 0;
}

static void add_str_or_null(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

/* The processes the user may read, as an object process -> name (NULL: every process, the user
 * is an admin or has read on "*"); NULL with the answer set when the list cannot be read. */
static int readable(sv_request *r, sv_answer *a, cJSON **out, cJSON **names)
{
    char *json = NULL;
    *out = NULL;
    *names = cJSON_CreateObject();
    int rc = bpmn_definition_list(r->e, &json);
    if (rc != BPMN_OK) {
        cJSON_Delete(*names);
        *names = NULL;
        return sv_fail(a, r, rc), -1;
    }
    cJSON *defs = cJSON_Parse(json), *d;
    bpmn_free(r->e, json);
    int all = sv_may(r, "read", NULL, NULL);
    if (!all)
        *out = cJSON_CreateObject();
    cJSON_ArrayForEach(d, defs)
    {
        const char *p = sv_str(d, "process"), *name = sv_str(d, "name");
        const cJSON *v = cJSON_GetObjectItem(d, "version");
        if (!p)
            continue;
        char k[300];
        snprintf(k, sizeof k, "%s:%u", p, cJSON_IsNumber(v) ? (unsigned)v->valuedouble : 0);
        if (name && !cJSON_GetObjectItem(*names, k))
            cJSON_AddStringToObject(*names, k, name);
        if (*out && !cJSON_GetObjectItem(*out, p))
            cJSON_AddBoolToObject(*out, p, sv_may(r, "read", p, NULL));
    }
    cJSON_Delete(defs);
    return 0;
}

static int may_read(const cJSON *readable, const char *process)
{
    return !readable || (process && cJSON_IsTrue(cJSON_GetObjectItem(readable, process)));
}

/* Time filters: [0] before, [1] after of one time; has[i] set when given. */
typedef struct span {
    long long before, after;
    int has_before, has_after;
} span;

static int span_arg(sv_request *r, sv_answer *a, span *s, const char *before, const char *after)
{
    const char *names[2] = {before, after};
    long long *vals[2] = {&s->before, &s->after};
    int *has[2] = {&s->has_before, &s->has_after};
    for (int i = 0; i < 2; i++) {
        const char *v = sv_arg(r, names[i]);
        if (!v)
            continue;
        if (!sv_time_ms(v, vals[i]))
            return sv_error(a, 400, "InvalidRequestException",
                            "Cannot set query parameter '%s' to value '%s': cannot convert value "
                            "\"%s\" to java type java.util.Date", names[i], v, v), -1;
        *has[i] = 1;
    }
    return 0;
}

/* Whether a time (engine ISO, or NULL) is within the span; a NULL time is not when a bound is
 * given. */
static int in_span(const span *s, const char *iso)
{
    if (!s->has_before && !s->has_after)
        return 1;
    long long t;
    if (!iso || !sv_time_ms(iso, &t))
        return 0;
    return (!s->has_before || t < s->before) && (!s->has_after || t > s->after);
}

/* The common list arguments: firstResult, maxResults, finished, unfinished. */
typedef struct page {
    unsigned long first, max, seen;
    int finished, unfinished, count_only;
    cJSON *out;
} page;

static int page_args(sv_request *r, sv_answer *a, page *p)
{
    if (sv_arg_uint(r, a, "firstResult", 1000000000ul, &p->first) ||
        sv_arg_uint(r, a, "maxResults", 1000000000ul, &p->max))
        return -1;
    p->finished = sv_arg_bool(r, a, "finished");
    p->unfinished = sv_arg_bool(r, a, "unfinished");
    if (p->finished == -2 || p->unfinished == -2)
        return -1;
    p->count_only = strstr(r->url, "/count") != NULL;
    p->out = cJSON_CreateArray();
    return 0;
}

/* Takes a matching row: into the page, or only counted. */
static void page_take(page *p, cJSON *row)
{
    if (!p->count_only && p->seen >= p->first &&
        (!p->max || (unsigned long)cJSON_GetArraySize(p->out) < p->max)) {
        cJSON_AddItemToArray(p->out, row);
        row = NULL;
    }
    p->seen++;
    cJSON_Delete(row);
}

static int page_answer(sv_answer *a, page *p)
{
    if (p->count_only) {
        cJSON_Delete(p->out);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "count", (double)p->seen);
        return sv_json(a, 200, c);
    }
    return sv_json(a, 200, p->out);
}

static int ended_ok(const page *p, int ended)
{
    return !(p->finished == 1 && !ended) && !(p->unfinished == 1 && ended);
}

static long long ms_of(const char *iso)
{
    long long t = 0;
    return iso && sv_time_ms(iso, &t) ? t : LLONG_MIN;
}

/* ---- process instances --------------------------------------------------------------------- */

typedef struct piq {
    sv_request *r;
    const cJSON *readable, *names;
    const char *instance, *def_id, *bk, *started_by;
    span started, finished;
    page p;
    /* With startedBy: the ids of the rows passing the other filters, in id order; who started
     * each is looked up after the list is read (its callback must not call the engine). */
    char (*ids)[24];
    size_t nids, capids;
    int oom, page_full;
} piq;

/* Who started an instance: the user of its first event, instance_started (bpmn_instance_start_as;
 * null when none was named). The history is one sequence of events, so the first event of an
 * instance is found by reading forward from *since: instances get their ids in the order they
 * start, so for rows in id order the previous row's start is where the next one's search begins
 * (*since is moved there), and a page costs one pass over the history between its first and last
 * row rather than one from the beginning per row. */
typedef struct first_event {
    int found, started;
    unsigned long long seq;
    char user[80];
    int has_user;
} first_event;

static int first_event_row(void *ud, const char *json)
{
    first_event *f = ud;
    cJSON *ev = cJSON_Parse(json);
    if (!ev)
        return 1;
    const cJSON *seq = cJSON_GetObjectItem(ev, "seq");
    const char *type = sv_str(ev, "type"), *user = sv_str(ev, "user");
    f->found = 1;
    f->started = type && !strcmp(type, "instance_started");
    f->seq = cJSON_IsNumber(seq) ? (unsigned long long)seq->valuedouble : 0;
    f->has_user = user != NULL;
    snprintf(f->user, sizeof f->user, "%s", user ? user : "");
    cJSON_Delete(ev);
    return 0;
}

/* 0 with *f filled (f->started: f->user is the starter when f->has_user); else the status. */
static int start_event(sv_request *r, const char *id, unsigned long long *since, first_event *f)
{
    memset(f, 0, sizeof *f);
    int rc = bpmn_history_page(r->e, id, *since, 0, 1, first_event_row, f);
    if (rc == BPMN_OK && !f->started && *since) {
        /* not in the order assumed (or its start purged): from the beginning */
        memset(f, 0, sizeof *f);
        rc = bpmn_history_page(r->e, id, 0, 0, 1, first_event_row, f);
    }
    if (rc == BPMN_ENOTFOUND || rc == BPMN_EINVAL)
        return BPMN_OK; /* not an id the history knows: no starter */
    if (rc == BPMN_OK && f->started)
        *since = f->seq;
    return rc;
}

/* Sets startUserId on every row of the page (rows in id order). */
static int fill_start_users(sv_request *r, cJSON *rows)
{
    unsigned long long since = 0;
    cJSON *row;
    cJSON_ArrayForEach(row, rows)
    {
        const char *id = sv_str(row, "id");
        if (!id)
            continue;
        first_event f;
        int rc = start_event(r, id, &since, &f);
        if (rc != BPMN_OK)
            return rc;
        if (f.started && f.has_user)
            cJSON_ReplaceItemInObject(row, "startUserId", cJSON_CreateString(f.user));
    }
    return BPMN_OK;
}

static int pi_row(void *ud, const char *json)
{
    piq *q = ud;
    /* A full page ends the list: the rest is neither shown nor counted (a /count reads all). */
    if (!q->p.count_only && !q->started_by && q->p.max && q->p.seen >= q->p.first + q->p.max) {
        q->page_full = 1;
        return 1;
    }
    cJSON *s = cJSON_Parse(json);
    if (!s)
        return 1;
    const char *id = sv_str(s, "instance"), *process = sv_str(s, "process"), *bk = sv_str(s, "key");
    const char *state = sv_str(s, "state"), *start = sv_str(s, "started");
    const char *end = sv_str(s, "ended");
    const cJSON *v = cJSON_GetObjectItem(s, "version");
    char did[300];
    sv_definition_id(did, sizeof did, process ? process : "", cJSON_IsNumber(v) ? (unsigned)v->valuedouble : 0);
    int ended = state && (!strcmp(state, "completed") || !strcmp(state, "terminated"));
    int keep = id && may_read(q->readable, process) && (!q->instance || !strcmp(id, q->instance)) &&
               (!q->def_id || !strcmp(did, q->def_id)) && (!q->bk || (bk && !strcmp(bk, q->bk))) &&
               ended_ok(&q->p, ended) && in_span(&q->started, start) && in_span(&q->finished, end);
    if (keep && q->started_by) {
        /* kept for the starter's check, after the list */
        if (q->nids == q->capids) {
            size_t cap = q->capids ? q->capids * 2 : 1024;
            void *n = realloc(q->ids, cap * sizeof *q->ids);
            if (!n) {
                q->oom = 1;
                cJSON_Delete(s);
                return 1;
            }
            q->ids = n;
            q->capids = cap;
        }
        snprintf(q->ids[q->nids++], sizeof q->ids[0], "%s", id);
    } else if (keep) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", id);
        add_str_or_null(o, "businessKey", bk);
        cJSON_AddStringToObject(o, "processDefinitionId", did);
        add_str_or_null(o, "processDefinitionKey", process);
        add_str_or_null(o, "processDefinitionName", sv_str(q->names, did));
        cJSON_AddNumberToObject(o, "processDefinitionVersion", cJSON_IsNumber(v) ? v->valuedouble : 0);
        cJSON_AddItemToObject(o, "startTime", sv_time_out(start));
        cJSON_AddItemToObject(o, "endTime", sv_time_out(ended ? end : NULL));
        cJSON_AddNullToObject(o, "removalTime");
        long long t0 = ms_of(start), t1 = ms_of(end);
        if (ended && t0 != LLONG_MIN && t1 != LLONG_MIN)
            cJSON_AddNumberToObject(o, "durationInMillis", (double)(t1 - t0));
        else
            cJSON_AddNullToObject(o, "durationInMillis");
        cJSON_AddNullToObject(o, "startUserId");
        cJSON_AddNullToObject(o, "startActivityId");
        cJSON_AddNullToObject(o, "deleteReason");
        const char *parent = sv_str(s, "parent");
        cJSON_AddStringToObject(o, "rootProcessInstanceId", id);
        add_str_or_null(o, "superProcessInstanceId", parent);
        cJSON_AddNullToObject(o, "superCaseInstanceId");
        cJSON_AddNullToObject(o, "caseInstanceId");
        cJSON_AddNullToObject(o, "tenantId");
        const char *st = "ACTIVE";
        if (state && !strcmp(state, "completed"))
            st = "COMPLETED";
        else if (state && !strcmp(state, "terminated"))
            st = "EXTERNALLY_TERMINATED";
        else if (cJSON_IsTrue(cJSON_GetObjectItem(s, "suspended")))
            st = "SUSPENDED";
        cJSON_AddStringToObject(o, "state", st);
        page_take(&q->p, o);
    }
    cJSON_Delete(s);
    return 0;
}

static int process_instances(sv_request *r, sv_answer *a)
{
    piq q = {0};
    q.r = r;
    if (page_args(r, a, &q.p))
        return 0;
    if (span_arg(r, a, &q.started, "startedBefore", "startedAfter") ||
        span_arg(r, a, &q.finished, "finishedBefore", "finishedAfter")) {
        cJSON_Delete(q.p.out);
        return 0;
    }
    q.instance = sv_arg(r, "processInstanceId");
    q.def_id = sv_arg(r, "processDefinitionId");
    q.bk = sv_arg(r, "businessKey");
    q.started_by = sv_arg(r, "startedBy");
    if (q.finished.has_before || q.finished.has_after)
        q.p.finished = 1;
    cJSON *rd, *names;
    if (readable(r, a, &rd, &names)) {
        cJSON_Delete(q.p.out);
        return 0;
    }
    q.readable = rd;
    q.names = names;
    int rc;
    if (q.instance) {
        /* one instance: read it, not the list */
        char *json = NULL;
        rc = bpmn_instance_show(r->e, q.instance, &json);
        if (rc == BPMN_OK) {
            const char *key = sv_arg(r, "processDefinitionKey");
            cJSON *s = cJSON_Parse(json);
            if (!key || is(s, "process", key))
                pi_row(&q, json);
            cJSON_Delete(s);
        } else if (rc == BPMN_ENOTFOUND || rc == BPMN_EINVAL) {
            rc = BPMN_OK;
        }
        bpmn_free(r->e, json);
    } else {
        rc = bpmn_instance_each(r->e, sv_arg(r, "processDefinitionKey"), NULL, 0, 0, pi_row, &q);
    }
    if (q.oom && rc != BPMN_OK)
        rc = BPMN_ENOMEM;
    else if (q.page_full && rc == BPMN_EINVAL) /* stopped by pi_row */
        rc = BPMN_OK;
    /* startedBy: the rows whose first event names the user; those of the page are read again
     * (one instance each), the others only counted. */
    unsigned long long since = 0;
    const char *by = q.started_by;
    q.started_by = NULL;
    for (size_t i = 0; rc == BPMN_OK && i < q.nids; i++) {
        first_event f;
        rc = start_event(r, q.ids[i], &since, &f);
        if (rc != BPMN_OK || !f.started || !f.has_user || strcmp(f.user, by))
            continue;
        if (q.p.count_only || q.p.seen < q.p.first ||
            (q.p.max && (unsigned long)cJSON_GetArraySize(q.p.out) >= q.p.max)) {
            q.p.seen++;
            continue;
        }
        char *json = NULL;
        rc = bpmn_instance_show(r->e, q.ids[i], &json);
        if (rc == BPMN_OK)
            pi_row(&q, json);
        bpmn_free(r->e, json);
    }
    free(q.ids);
    if (rc == BPMN_OK && !q.p.count_only)
        rc = fill_start_users(r, q.p.out);
    cJSON_Delete(rd);
    cJSON_Delete(names);
    if (rc != BPMN_OK) {
        cJSON_Delete(q.p.out);
        return sv_fail(a, r, rc);
    }
    return page_answer(a, &q.p);
}

/* ---- activity instances and tasks, from the events ----------------------------------------- */

/* Open rows by "INSTANCE ELEMENT": a small hash table of FIFO lists. */
typedef struct open_row {
    cJSON *row;
    struct open_row *next;
} open_row;

typedef struct slot {
    char *key;
    open_row *head; /* newest first */
} slot;

typedef struct table {
    slot *s;
    size_t cap, n;
} table;

static size_t hash(const char *k)
{
    size_t h = 1469598103934665603ull;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ull;
    return h;
}

static slot *find(table *t, const char *key, int create)
{
    if (create && (t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        slot *ns = calloc(cap, sizeof *ns);
        if (!ns)
            return NULL;
        for (size_t i = 0; i < t->cap; i++)
            if (t->s[i].key) {
                size_t j = hash(t->s[i].key) & (cap - 1);
                while (ns[j].key)
                    j = (j + 1) & (cap - 1);
                ns[j] = t->s[i];
            }
        free(t->s);
        t->s = ns;
        t->cap = cap;
    }
    if (!t->cap)
        return NULL;
    size_t j = hash(key) & (t->cap - 1);
    while (t->s[j].key) {
        if (!strcmp(t->s[j].key, key))
            return &t->s[j];
        j = (j + 1) & (t->cap - 1);
    }
    if (!create)
        return NULL;
    t->s[j].key = strdup(key);
    if (!t->s[j].key)
        return NULL;
    t->n++;
    return &t->s[j];
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->cap; i++) {
        free(t->s[i].key);
        for (open_row *o = t->s[i].head, *nx; o; o = nx) {
            nx = o->next;
            free(o);
        }
    }
    free(t->s);
}

static void push(table *t, const char *key, cJSON *row)
{
    slot *s = find(t, key, 1);
    open_row *o = s ? malloc(sizeof *o) : NULL;
    if (!o)
        return;
    o->row = row;
    o->next = s->head;
    s->head = o;
}

/* The oldest open row of key, taken off the list (pop) or not. */
static cJSON *oldest(table *t, const char *key, int pop)
{
    slot *s = find(t, key, 0);
    if (!s || !s->head)
        return NULL;
    open_row **pp = &s->head;
    while ((*pp)->next)
        pp = &(*pp)->next;
    cJSON *row = (*pp)->row;
    if (pop) {
        free(*pp);
        *pp = NULL;
    }
    return row;
}

/* Takes row off the list of key. */
static void drop(table *t, const char *key, const cJSON *row)
{
    slot *s = find(t, key, 0);
    for (open_row **pp = s ? &s->head : NULL; pp && *pp; pp = &(*pp)->next)
        if ((*pp)->row == row) {
            open_row *o = *pp;
            *pp = o->next;
            free(o);
            return;
        }
}

static cJSON *newest(table *t, const char *key)
{
    slot *s = find(t, key, 0);
    return s && s->head ? s->head->row : NULL;
}

typedef struct hq {
    sv_request *r;
    const cJSON *readable;
    int tasks;            /* 1: task rows, 0: activity rows */
    cJSON *rows;          /* every row asked for, by start */
    cJSON *acts;          /* the activity rows when tasks are asked for */
    table open;           /* open activity rows by "INSTANCE ELEMENT" */
    table open_tasks;     /* open task rows by "INSTANCE ELEMENT" */
    table task_by_id;     /* task rows by task id (no list: one each) */
} hq;

static void set_end(cJSON *row, const cJSON *ev, const char *end_key, const char *dur_key)
{
    const char *time = sv_str(ev, "time");
    cJSON_ReplaceItemInObject(row, end_key, sv_time_out(time));
    const cJSON *d = cJSON_GetObjectItem(ev, "duration");
    double dur;
    if (cJSON_IsNumber(d)) {
        dur = d->valuedouble;
    } else {
        long long t0 = ms_of(sv_str(row, "_start")), t1 = ms_of(time);
        dur = t0 != LLONG_MIN && t1 != LLONG_MIN ? (double)(t1 - t0) : 0;
    }
    cJSON_ReplaceItemInObject(row, dur_key, cJSON_CreateNumber(dur));
}

static cJSON *activity_row(const cJSON *ev, const char *did)
{
    const cJSON *seq = cJSON_GetObjectItem(ev, "seq");
    const char *inst = sv_str(ev, "instance"), *el = sv_str(ev, "element");
    char id[300];
    snprintf(id, sizeof id, "%s:%.0f", el ? el : "", cJSON_IsNumber(seq) ? seq->valuedouble : 0);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    add_str_or_null(o, "parentActivityInstanceId", inst);
    add_str_or_null(o, "activityId", el);
    add_str_or_null(o, "activityName", sv_str(ev, "name"));
    add_str_or_null(o, "activityType", sv_str(ev, "elementType"));
    add_str_or_null(o, "processDefinitionKey", sv_str(ev, "process"));
    cJSON_AddStringToObject(o, "processDefinitionId", did);
    add_str_or_null(o, "processInstanceId", inst);
    add_str_or_null(o, "executionId", inst);
    cJSON_AddNullToObject(o, "taskId");
    cJSON_AddNullToObject(o, "calledProcessInstanceId");
    cJSON_AddNullToObject(o, "calledCaseInstanceId");
    cJSON_AddNullToObject(o, "assignee");
    cJSON_AddItemToObject(o, "startTime", sv_time_out(sv_str(ev, "time")));
    cJSON_AddNullToObject(o, "endTime");
    cJSON_AddNullToObject(o, "durationInMillis");
    cJSON_AddFalseToObject(o, "canceled");
    cJSON_AddFalseToObject(o, "completeScope");
    cJSON_AddNullToObject(o, "tenantId");
    cJSON_AddNullToObject(o, "removalTime");
    add_str_or_null(o, "rootProcessInstanceId", inst);
    add_str_or_null(o, "_start", sv_str(ev, "time"));
    return o;
}

static cJSON *task_row(const cJSON *ev, const char *did, const cJSON *act)
{
    const char *inst = sv_str(ev, "instance");
    cJSON *o = cJSON_CreateObject();
    add_str_or_null(o, "id", sv_str(ev, "task"));
    add_str_or_null(o, "processDefinitionKey", sv_str(ev, "process"));
    cJSON_AddStringToObject(o, "processDefinitionId", did);
    add_str_or_null(o, "processInstanceId", inst);
    add_str_or_null(o, "executionId", inst);
    cJSON_AddNullToObject(o, "caseDefinitionKey");
    cJSON_AddNullToObject(o, "caseDefinitionId");
    cJSON_AddNullToObject(o, "caseInstanceId");
    cJSON_AddNullToObject(o, "caseExecutionId");
    add_str_or_null(o, "activityInstanceId", act ? sv_str(act, "id") : NULL);
    add_str_or_null(o, "name", sv_str(ev, "name"));
    cJSON_AddNullToObject(o, "description");
    cJSON_AddNullToObject(o, "deleteReason");
    cJSON_AddNullToObject(o, "owner");
    add_str_or_null(o, "assignee", sv_str(ev, "assignee"));
    cJSON_AddItemToObject(o, "startTime", sv_time_out(sv_str(ev, "time")));
    cJSON_AddNullToObject(o, "endTime");
    cJSON_AddNullToObject(o, "duration");
    add_str_or_null(o, "taskDefinitionKey", sv_str(ev, "element"));
    cJSON_AddNumberToObject(o, "priority", 50);
    cJSON_AddItemToObject(o, "due", sv_time_out(sv_str(ev, "due")));
    cJSON_AddNullToObject(o, "parentTaskId");
    cJSON_AddNullToObject(o, "followUp");
    cJSON_AddNullToObject(o, "tenantId");
    cJSON_AddNullToObject(o, "removalTime");
    add_str_or_null(o, "rootProcessInstanceId", inst);
    add_str_or_null(o, "_start", sv_str(ev, "time"));
    return o;
}

static int event(void *ud, const char *json)
{
    hq *q = ud;
    cJSON *ev = cJSON_Parse(json);
    if (!ev)
        return 1;
    const char *type = sv_str(ev, "type"), *inst = sv_str(ev, "instance");
    const char *el = sv_str(ev, "element");
    const char *process = sv_str(ev, "process");
    if (!type || !inst || !el || !may_read(q->readable, process)) {
        cJSON_Delete(ev);
        return 0;
    }
    const cJSON *v = cJSON_GetObjectItem(ev, "version");
    char did[300], key[300];
    sv_definition_id(did, sizeof did, process ? process : "", cJSON_IsNumber(v) ? (unsigned)v->valuedouble : 0);
    snprintf(key, sizeof key, "%s %s", inst, el);
    if (!strcmp(type, "element_activated")) {
        cJSON *row = activity_row(ev, did);
        cJSON_AddItemToArray(q->tasks ? q->acts : q->rows, row);
        push(&q->open, key, row);
    } else if (!strcmp(type, "element_completed") || !strcmp(type, "element_terminated")) {
        int term = !strcmp(type, "element_terminated");
        cJSON *row = oldest(&q->open, key, 1);
        if (row) {
            set_end(row, ev, "endTime", "durationInMillis");
            if (term)
                cJSON_ReplaceItemInObject(row, "canceled", cJSON_CreateTrue());
            const char *et = sv_str(ev, "elementType");
            size_t n = et ? strlen(et) : 0;
            if (!term && n >= 8 && (!strcmp(et + n - 8, "EndEvent") || !strcmp(et, "endEvent")))
                cJSON_ReplaceItemInObject(row, "completeScope", cJSON_CreateTrue());
        }
        cJSON *task = term ? oldest(&q->open_tasks, key, 1) : NULL;
        if (task && cJSON_IsNull(cJSON_GetObjectItem(task, "endTime"))) {
            set_end(task, ev, "endTime", "duration");
            cJSON_ReplaceItemInObject(task, "deleteReason", cJSON_CreateString("deleted"));
        }
    } else if (!strcmp(type, "task_created") && sv_str(ev, "task")) {
        cJSON *act = newest(&q->open, key);
        cJSON *row = task_row(ev, did, act);
        if (act)
            cJSON_ReplaceItemInObject(act, "taskId", cJSON_CreateString(sv_str(ev, "task")));
        if (act && sv_str(ev, "assignee"))
            cJSON_ReplaceItemInObject(act, "assignee", cJSON_CreateString(sv_str(ev, "assignee")));
        if (q->tasks) {
            cJSON_AddItemToArray(q->rows, row);
            push(&q->open_tasks, key, row);
            push(&q->task_by_id, sv_str(ev, "task"), row);
        } else {
            cJSON_Delete(row);
        }
    } else if (!strncmp(type, "task_", 5) && sv_str(ev, "task")) {
        int claimed = !strcmp(type, "task_claimed"), unclaimed = !strcmp(type, "task_unclaimed");
        int completed = !strcmp(type, "task_completed");
        const char *user = sv_str(ev, "assignee") ? sv_str(ev, "assignee") : sv_str(ev, "user");
        cJSON *act = newest(&q->open, key);
        if (act && (claimed || unclaimed) && is(act, "taskId", sv_str(ev, "task")))
            cJSON_ReplaceItemInObject(act, "assignee", claimed && user ? cJSON_CreateString(user)
                                                                       : cJSON_CreateNull());
        cJSON *row = q->tasks ? newest(&q->task_by_id, sv_str(ev, "task")) : NULL;
        if (row && (claimed || unclaimed))
            cJSON_ReplaceItemInObject(row, "assignee", claimed && user ? cJSON_CreateString(user)
                                                                       : cJSON_CreateNull());
        if (row && completed) {
            set_end(row, ev, "endTime", "duration");
            cJSON_ReplaceItemInObject(row, "deleteReason", cJSON_CreateString("completed"));
            drop(&q->open_tasks, key, row);
        }
    }
    cJSON_Delete(ev);
    return 0;
}

static int from_events(sv_request *r, sv_answer *a, int tasks)
{
    page p = {0};
    if (page_args(r, a, &p))
        return 0;
    hq q = {0};
    q.r = r;
    q.tasks = tasks;
    cJSON *rd, *names;
    if (readable(r, a, &rd, &names)) {
        cJSON_Delete(p.out);
        return 0;
    }
    cJSON_Delete(names);
    q.readable = rd;
    q.rows = cJSON_CreateArray();
    q.acts = cJSON_CreateArray();
    const char *instance = sv_arg(r, "processInstanceId");
    int rc = bpmn_history_each(r->e, instance, 0, event, &q);
    table_free(&q.open);
    table_free(&q.open_tasks);
    table_free(&q.task_by_id);
    cJSON_Delete(q.acts);
    cJSON_Delete(rd);
    if (rc != BPMN_OK) {
        cJSON_Delete(q.rows);
        cJSON_Delete(p.out);
        if (rc == BPMN_ENOTFOUND)
            return sv_json(a, 200, p.count_only ? cJSON_Parse("{\"count\":0}") : cJSON_CreateArray());
        return sv_fail(a, r, rc);
    }
    const char *key = sv_arg(r, "processDefinitionKey"), *did = sv_arg(r, "processDefinitionId");
    const char *act = sv_arg(r, tasks ? "taskDefinitionKey" : "activityId");
    const char *atype = tasks ? NULL : sv_arg(r, "activityType");
    const char *assignee = tasks ? sv_arg(r, "taskAssignee") : NULL;
    cJSON *row;
    while ((row = cJSON_DetachItemFromArray(q.rows, 0)) != NULL) {
        cJSON_DeleteItemFromObject(row, "_start");
        int ended = !cJSON_IsNull(cJSON_GetObjectItem(row, "endTime"));
        int keep = ended_ok(&p, ended) &&
                   (!instance || is(row, "processInstanceId", instance)) &&
                   (!key || is(row, "processDefinitionKey", key)) &&
                   (!did || is(row, "processDefinitionId", did)) &&
                   (!act || is(row, tasks ? "taskDefinitionKey" : "activityId", act)) &&
                   (!atype || is(row, "activityType", atype)) &&
                   (!assignee || is(row, "assignee", assignee));
        if (keep)
            page_take(&p, row);
        else
            cJSON_Delete(row);
    }
    cJSON_Delete(q.rows);
    return page_answer(a, &p);
}

static int activity_instances(sv_request *r, sv_answer *a)
{
    return from_events(r, a, 0);
}

static int tasks(sv_request *r, sv_answer *a)
{
    return from_events(r, a, 1);
}

/* ---- variables ----------------------------------------------------------------------------- */

typedef struct vq {
    const cJSON *readable;
    const char *name, *instance;
    page p;
} vq;

static int var_rows(void *ud, const char *json)
{
    vq *q = ud;
    cJSON *s = cJSON_Parse(json);
    if (!s)
        return 1;
    const char *id = sv_str(s, "instance"), *process = sv_str(s, "process");
    const cJSON *v = cJSON_GetObjectItem(s, "version"), *var;
    char did[300];
    sv_definition_id(did, sizeof did, process ? process : "", cJSON_IsNumber(v) ? (unsigned)v->valuedouble : 0);
    if (id && may_read(q->readable, process) && (!q->instance || !strcmp(q->instance, id))) {
        cJSON_ArrayForEach(var, cJSON_GetObjectItem(s, "variables"))
        {
            if (q->name && strcmp(q->name, var->string) != 0)
                continue;
            cJSON *typed = sv_value_out(var);
            char vid[400];
            snprintf(vid, sizeof vid, "%s:%s", id, var->string);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "id", vid);
            cJSON_AddStringToObject(o, "name", var->string);
            const char *type = sv_str(typed, "type");
            cJSON_AddStringToObject(o, "type", type ? type : "Null");
            cJSON *val = cJSON_DetachItemFromObject(typed, "value");
            cJSON_AddItemToObject(o, "value", val ? val : cJSON_CreateNull());
            cJSON *info = cJSON_DetachItemFromObject(typed, "valueInfo");
            cJSON_AddItemToObject(o, "valueInfo", info ? info : cJSON_CreateObject());
            cJSON_Delete(typed);
            add_str_or_null(o, "processDefinitionKey", process);
            cJSON_AddStringToObject(o, "processDefinitionId", did);
            cJSON_AddStringToObject(o, "processInstanceId", id);
            cJSON_AddStringToObject(o, "executionId", id);
            cJSON_AddStringToObject(o, "activityInstanceId", id);
            cJSON_AddNullToObject(o, "caseDefinitionKey");
            cJSON_AddNullToObject(o, "caseDefinitionId");
            cJSON_AddNullToObject(o, "caseInstanceId");
            cJSON_AddNullToObject(o, "caseExecutionId");
            cJSON_AddNullToObject(o, "taskId");
            cJSON_AddNullToObject(o, "errorMessage");
            cJSON_AddNullToObject(o, "tenantId");
            cJSON_AddStringToObject(o, "state", "CREATED");
            cJSON_AddNullToObject(o, "createTime");
            cJSON_AddNullToObject(o, "removalTime");
            cJSON_AddStringToObject(o, "rootProcessInstanceId", id);
            page_take(&q->p, o);
        }
    }
    cJSON_Delete(s);
    return 0;
}

static int variable_instances(sv_request *r, sv_answer *a)
{
    vq q = {0};
    if (page_args(r, a, &q.p))
        return 0;
    q.name = sv_arg(r, "variableName");
    q.instance = sv_arg(r, "processInstanceId");
    cJSON *rd, *names;
    if (readable(r, a, &rd, &names)) {
        cJSON_Delete(q.p.out);
        return 0;
    }
    cJSON_Delete(names);
    q.readable = rd;
    int rc;
    if (q.instance) {
        char *json = NULL;
        rc = bpmn_instance_show(r->e, q.instance, &json);
        if (rc == BPMN_OK)
            var_rows(&q, json);
        else if (rc == BPMN_ENOTFOUND || rc == BPMN_EINVAL)
            rc = BPMN_OK;
        bpmn_free(r->e, json);
    } else {
        rc = bpmn_instance_each(r->e, sv_arg(r, "processDefinitionKey"), NULL, 0, 0, var_rows, &q);
    }
    cJSON_Delete(rd);
    if (rc != BPMN_OK) {
        cJSON_Delete(q.p.out);
        return sv_fail(a, r, rc);
    }
    return page_answer(a, &q.p);
}

const sv_route sv_routes_history[] = {
    {"GET", "/engine-rest/history/process-instance", process_instances, 0},
    {"GET", "/engine-rest/history/process-instance/count", process_instances, 0},
    {"GET", "/engine-rest/history/activity-instance", activity_instances, 0},
    {"GET", "/engine-rest/history/activity-instance/count", activity_instances, 0},
    {"GET", "/engine-rest/history/task", tasks, 0},
    {"GET", "/engine-rest/history/task/count", tasks, 0},
    {"GET", "/engine-rest/history/variable-instance", variable_instances, 0},
    {"GET", "/engine-rest/history/variable-instance/count", variable_instances, 0},
    {NULL, NULL, NULL, 0},
};
