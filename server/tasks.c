/*
 * tasks.c - /engine-rest/task: the task query (GET with query arguments, POST with a JSON body),
 * its count, one task, claim, unclaim, assignee, complete, and a task's variables.
 *
 * Who may do what: the authenticated user acts as the engine's actor {name, groups}, so the
 * engine's rule holds (the assignee, or while there is none a candidate, claims and completes).
 * A user with the work right on the task's process (admins have every right) acts for the
 * operator instead. A task is visible to its assignee, to its candidates and to whoever may read
 * its process; other tasks do not exist for the user (Camunda's query leaves out tasks the user
 * has no authorization for).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/server.h"

/* ---- helpers also used by history.c -------------------------------------------------------- */

static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static int digits(const char *s, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 1;
}

/* A time as Camunda takes it ("2026-01-01T09:00:00.000+0100", also "...Z", "+01:00" or no zone,
 * read as UTC) or as the engine writes it, into ms since the epoch. 0 when it is not one. */
int sv_time_ms(const char *s, long long *ms)
{
    unsigned y, mo, d, h, mi, se, frac = 0;
    if (!s || strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':' || !digits(s, 4, &y) || !digits(s + 5, 2, &mo) ||
        !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) ||
        !digits(s + 17, 2, &se) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        se > 60)
        return 0;
    const char *p = s + 19;
    if (*p == '.') {
        int n = 0;
        unsigned scale = 100;
        for (p++; *p >= '0' && *p <= '9'; p++, n++) {
            frac += (unsigned)(*p - '0') * scale;
            scale /= 10;
        }
        if (!n)
            return 0;
    }
    long long off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-' || *p == ' ') { /* ' ': a '+' left unencoded in a URL */
        unsigned oh, om;
        int sign = *p == '-' ? -1 : 1;
        p++;
        if (!digits(p, 2, &oh))
            return 0;
        p += 2;
        if (*p == ':')
            p++;
        if (!digits(p, 2, &om))
            return 0;
        p += 2;
        off = sign * (long long)(oh * 60 + om) * 60000;
    }
    if (*p)
        return 0;
    long long days = days_from_civil(y, mo, d);
    *ms = ((days * 24 + h) * 60 + mi) * 60000LL + se * 1000LL + frac - off;
    return 1;
}

/* Whether the user may read each process: an object process -> bool, filled as asked. */
static int sv_may_cached(const sv_request *r, cJSON *cache, const char *right, const char *process)
{
    if (r->user->admin)
        return 1;
    if (!process)
        return 0;
    const cJSON *c = cJSON_GetObjectItem(cache, process);
    if (c)
        return cJSON_IsTrue(c);
    int may = sv_may(r, right, process, NULL);
    cJSON_AddBoolToObject(cache, process, may);
    return may;
}

/* ---- tasks --------------------------------------------------------------------------------- */

static int in_array(const cJSON *arr, const char *s, size_t n)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, arr) if (cJSON_IsString(v) && strlen(v->valuestring) == n &&
                                   memcmp(v->valuestring, s, n) == 0) return 1;
    return 0;
}

/* Is the user the task's assignee or, while it has none, one of its candidates? */
static int involved(const sv_request *r, const cJSON *t)
{
    const char *as = sv_str(t, "assignee");
    if (as)
        return strcmp(as, r->user->name) == 0;
    if (in_array(cJSON_GetObjectItem(t, "candidateUsers"), r->user->name, strlen(r->user->name)))
        return 1;
    for (const char *g = r->user->groups; *g;) {
        const char *e = strchr(g, ',');
        size_t n = e ? (size_t)(e - g) : strlen(g);
        if (n && in_array(cJSON_GetObjectItem(t, "candidateGroups"), g, n))
            return 1;
        g += n + (e != NULL);
    }
    return 0;
}

#define MAX_SORT 8

typedef struct sortkey {
    const char *field; /* a member of the TaskDto; NULL: nothing to sort by (always null) */
    int numeric, nocase, desc;
} sortkey;

typedef struct tquery {
    sv_request *r;
    const char *def_id, *bk, *element;
    int unassigned;
    long long due_before, due_after, fu_before, fu_after; /* LLONG_MIN: not given */
    int has[4];
    sortkey sort[MAX_SORT];
    int nsort;
    unsigned long first, max;
    cJSON *rows; /* the engine's task objects that pass the filters of the callback */
} tquery;

static int time_filter(const char *iso, int has_before, long long before, int has_after,
                       long long after)
{
    if (!has_before && !has_after)
        return 1;
    long long t;
    if (!iso || !sv_time_ms(iso, &t))
        return 0;
    return (!has_before || t < before) && (!has_after || t > after);
}

static int task_row(void *ud, const char *json)
{
    tquery *q = ud;
    cJSON *t = cJSON_Parse(json);
    if (!t)
        return 1;
    const char *el = sv_str(t, "element"), *as = sv_str(t, "assignee");
    int keep = (!q->element || (el && strcmp(el, q->element) == 0)) && (!q->unassigned || !as) &&
               time_filter(sv_str(t, "due"), q->has[0], q->due_before, q->has[1], q->due_after) &&
               time_filter(sv_str(t, "followUp"), q->has[2], q->fu_before, q->has[3], q->fu_after);
    if (keep)
        cJSON_AddItemToArray(q->rows, t);
    else
        cJSON_Delete(t);
    return 0;
}

/* The instance facts a task needs (version, business key), read once per instance. */
static const cJSON *instance_of(sv_request *r, cJSON *cache, const char *id)
{
    cJSON *c = cJSON_GetObjectItem(cache, id);
    if (c)
        return c;
    char *json = NULL;
    c = cJSON_CreateObject();
    if (bpmn_instance_show(r->e, id, &json) == BPMN_OK) {
        cJSON *s = cJSON_Parse(json);
        const cJSON *v = cJSON_GetObjectItem(s, "version");
        cJSON_AddNumberToObject(c, "version", cJSON_IsNumber(v) ? v->valuedouble : 0);
        if (sv_str(s, "key"))
            cJSON_AddStringToObject(c, "key", sv_str(s, "key"));
        cJSON_AddBoolToObject(c, "suspended", cJSON_IsTrue(cJSON_GetObjectItem(s, "suspended")));
        cJSON_Delete(s);
    }
    bpmn_free(r->e, json);
    cJSON_AddItemToObject(cache, id, c);
    return c;
}

static void add_str_or_null(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

/* Camunda's TaskDto from the engine's task object and its instance's facts. */
static cJSON *task_dto(const cJSON *t, const cJSON *inst)
{
    const char *process = sv_str(t, "process"), *iid = sv_str(t, "instance");
    const cJSON *v = cJSON_GetObjectItem(inst, "version"), *prio = cJSON_GetObjectItem(t, "priority");
    char did[300];
    sv_definition_id(did, sizeof did, process ? process : "", cJSON_IsNumber(v) ? (unsigned)v->valuedouble : 0);
    cJSON *o = cJSON_CreateObject();
    add_str_or_null(o, "id", sv_str(t, "id"));
    add_str_or_null(o, "name", sv_str(t, "name"));
    add_str_or_null(o, "assignee", sv_str(t, "assignee"));
    cJSON_AddItemToObject(o, "created", sv_time_out(sv_str(t, "created")));
    cJSON_AddNullToObject(o, "lastUpdated");
    cJSON_AddItemToObject(o, "due", sv_time_out(sv_str(t, "due")));
    cJSON_AddItemToObject(o, "followUp", sv_time_out(sv_str(t, "followUp")));
    cJSON_AddNullToObject(o, "delegationState");
    cJSON_AddNullToObject(o, "description");
    add_str_or_null(o, "executionId", iid);
    cJSON_AddNullToObject(o, "owner");
    cJSON_AddNullToObject(o, "parentTaskId");
    cJSON_AddNumberToObject(o, "priority", cJSON_IsNumber(prio) ? prio->valuedouble : 50);
    cJSON_AddStringToObject(o, "processDefinitionId", did);
    add_str_or_null(o, "processInstanceId", iid);
    add_str_or_null(o, "taskDefinitionKey", sv_str(t, "element"));
    cJSON_AddNullToObject(o, "caseExecutionId");
    cJSON_AddNullToObject(o, "caseInstanceId");
    cJSON_AddNullToObject(o, "caseDefinitionId");
    cJSON_AddBoolToObject(o, "suspended", cJSON_IsTrue(cJSON_GetObjectItem(inst, "suspended")));
    add_str_or_null(o, "formKey", sv_str(t, "formKey"));
    cJSON_AddNullToObject(o, "camundaFormRef");
    cJSON_AddNullToObject(o, "tenantId");
    return o;
}

/* ---- sorting ------------------------------------------------------------------------------- */

static const struct {
    const char *by, *field;
    int numeric, nocase;
} sorts[] = {
    {"id", "id", 2, 0},
    {"name", "name", 0, 0},
    {"nameCaseInsensitive", "name", 0, 1},
    {"assignee", "assignee", 0, 0},
    {"created", "created", 0, 0},
    {"dueDate", "due", 0, 0},
    {"followUpDate", "followUp", 0, 0},
    {"priority", "priority", 1, 0},
    {"instanceId", "processInstanceId", 2, 0},
    {"executionId", "executionId", 2, 0},
    {"description", NULL, 0, 0},
    {"lastUpdated", NULL, 0, 0},
    {"caseInstanceId", NULL, 0, 0},
    {"caseExecutionId", NULL, 0, 0},
};

static int add_sort(tquery *q, sv_answer *a, const char *by, const char *order)
{
    if (!by || !order)
        return sv_error(a, 400, "InvalidRequestException",
                        "Only a single sorting parameter specified. sortBy and sortOrder required"),
               -1;
    if (strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)
        return sv_error(a, 400, "InvalidRequestException",
                        "sortOrder parameter has invalid value: %s", order), -1;
    for (size_t i = 0; i < sizeof sorts / sizeof *sorts; i++)
        if (strcmp(sorts[i].by, by) == 0) {
            if (q->nsort == MAX_SORT)
                return sv_error(a, 400, "InvalidRequestException", "at most %d sortings", MAX_SORT), -1;
            q->sort[q->nsort++] = (sortkey){sorts[i].field, sorts[i].numeric, sorts[i].nocase,
                                            strcmp(order, "desc") == 0};
            return 0;
        }
    return sv_error(a, 400, "InvalidRequestException", "sortBy parameter has invalid value: %s", by), -1;
}

/* Nulls last; ids compare as numbers (decimal strings without leading zeros). */
static int compare(const tquery *q, const cJSON *x, const cJSON *y)
{
    for (int i = 0; i < q->nsort; i++) {
        const sortkey *k = &q->sort[i];
        if (!k->field)
            continue;
        const cJSON *a = cJSON_GetObjectItem(x, k->field), *b = cJSON_GetObjectItem(y, k->field);
        int an = !a || cJSON_IsNull(a), bn = !b || cJSON_IsNull(b), c;
        if (an || bn) {
            c = an - bn;
            if (c)
                return c; /* nulls last in either order */
            continue;
        }
        if (k->numeric == 1) {
            c = (a->valuedouble > b->valuedouble) - (a->valuedouble < b->valuedouble);
        } else if (k->numeric == 2) {
            size_t la = strlen(a->valuestring), lb = strlen(b->valuestring);
            c = la != lb ? (la > lb) - (la < lb) : strcmp(a->valuestring, b->valuestring);
        } else {
            c = k->nocase ? strcasecmp(a->valuestring, b->valuestring)
                          : strcmp(a->valuestring, b->valuestring);
        }
        if (c)
            return k->desc ? -c : c;
    }
    return 0;
}

static void merge_sort(const tquery *q, cJSON **v, cJSON **tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(q, v, tmp, h);
    merge_sort(q, v + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = compare(q, v[j], v[i]) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

/* ---- the query ----------------------------------------------------------------------------- */

static int parse_time_arg(sv_answer *a, const char *name, const char *v, long long *out, int *has)
{
    if (!v)
        return 0;
    if (!sv_time_ms(v, out))
        return sv_error(a, 400, "InvalidRequestException",
                        "Cannot set query parameter '%s' to value '%s': cannot convert value "
                        "\"%s\" to java type java.util.Date", name, v, v), -1;
    *has = 1;
    return 0;
}

/* The query's string parameters, from the query arguments or the JSON body. */
static const char *const names[] = {
    "processInstanceId", "processDefinitionKey", "processDefinitionId",
    "processInstanceBusinessKey", "assignee", "candidateUser", "candidateGroup",
    "taskDefinitionKey", "dueBefore", "dueAfter", "followUpBefore", "followUpAfter",
};
enum { P_INSTANCE, P_KEY, P_DEFID, P_BK, P_ASSIGNEE, P_CUSER, P_CGROUP, P_ELEMENT, P_DUEB, P_DUEA,
       P_FUB, P_FUA, P_N };

static int run_query(sv_request *r, sv_answer *a, const char *const *p, tquery *q, int count_only)
{
    bpmn_task_filter f = {0};
    char key[256];
    unsigned version = 0;
    if (parse_time_arg(a, names[P_DUEB], p[P_DUEB], &q->due_before, &q->has[0]) ||
        parse_time_arg(a, names[P_DUEA], p[P_DUEA], &q->due_after, &q->has[1]) ||
        parse_time_arg(a, names[P_FUB], p[P_FUB], &q->fu_before, &q->has[2]) ||
        parse_time_arg(a, names[P_FUA], p[P_FUA], &q->fu_after, &q->has[3]))
        return 0;
    f.instance = p[P_INSTANCE];
    f.process = p[P_KEY];
    f.assignee = p[P_ASSIGNEE];
    f.candidate_user = p[P_CUSER];
    f.candidate_group = p[P_CGROUP];
    q->def_id = p[P_DEFID];
    q->bk = p[P_BK];
    q->element = p[P_ELEMENT];
    q->r = r;
    cJSON *empty = NULL;
    if (q->def_id) {
        if (!sv_definition_parse(q->def_id, key, sizeof key, &version) ||
            (f.process && strcmp(f.process, key) != 0))
            empty = cJSON_CreateArray(); /* no such definition: nothing matches */
        else
            f.process = key;
    }
    if (empty) {
        if (!count_only)
            return sv_json(a, 200, empty);
        cJSON_Delete(empty);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "count", 0);
        return sv_json(a, 200, c);
    }
    q->rows = cJSON_CreateArray();
    int rc = bpmn_task_each(r->e, &f, task_row, q);
    if (rc != BPMN_OK) {
        cJSON_Delete(q->rows);
        return sv_fail(a, r, rc);
    }
    cJSON *insts = cJSON_CreateObject(), *may = cJSON_CreateObject();
    size_t n = (size_t)cJSON_GetArraySize(q->rows), kept = 0;
    cJSON **v = calloc(n ? n : 1, sizeof *v), **tmp = calloc(n ? n : 1, sizeof *tmp);
    if (!v || !tmp) {
        free(v);
        free(tmp);
        cJSON_Delete(q->rows);
        cJSON_Delete(insts);
        cJSON_Delete(may);
        return sv_error(a, 500, "ProcessEngineException", "out of memory");
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, q->rows)
    {
        const char *iid = sv_str(t, "instance"), *process = sv_str(t, "process");
        if (!iid || !(involved(r, t) || sv_may_cached(r, may, "read", process)))
            continue;
        const cJSON *inst = instance_of(r, insts, iid);
        if (q->bk && (!sv_str(inst, "key") || strcmp(sv_str(inst, "key"), q->bk) != 0))
            continue;
        cJSON *dto = task_dto(t, inst);
        if (q->def_id && strcmp(sv_str(dto, "processDefinitionId"), q->def_id) != 0) {
            cJSON_Delete(dto);
            continue;
        }
        v[kept++] = dto;
    }
    cJSON_Delete(q->rows);
    cJSON_Delete(insts);
    cJSON_Delete(may);
    cJSON *out;
    if (count_only) {
        out = cJSON_CreateObject();
        cJSON_AddNumberToObject(out, "count", (double)kept);
        for (size_t i = 0; i < kept; i++)
            cJSON_Delete(v[i]);
    } else {
        merge_sort(q, v, tmp, kept);
        out = cJSON_CreateArray();
        for (size_t i = 0; i < kept; i++) {
            if (i >= q->first && (!q->max || i - q->first < q->max))
                cJSON_AddItemToArray(out, v[i]);
            else
                cJSON_Delete(v[i]);
        }
    }
    free(v);
    free(tmp);
    return sv_json(a, 200, out);
}

static int paging(sv_request *r, sv_answer *a, tquery *q)
{
    return sv_arg_uint(r, a, "firstResult", 1000000000ul, &q->first) ||
           sv_arg_uint(r, a, "maxResults", 1000000000ul, &q->max);
}

/* GET /task and /task/count: the parameters as query arguments. */
static int query_get(sv_request *r, sv_answer *a)
{
    int count_only = strstr(r->url, "/count") != NULL;
    tquery q = {0};
    const char *p[P_N];
    for (int i = 0; i < P_N; i++)
        p[i] = sv_arg(r, names[i]);
    q.unassigned = sv_arg_bool(r, a, "unassigned");
    if (q.unassigned == -2)
        return 0;
    q.unassigned = q.unassigned == 1;
    if (!count_only) {
        if (paging(r, a, &q))
            return 0;
        const char *by = sv_arg(r, "sortBy"), *order = sv_arg(r, "sortOrder");
        if ((by || order) && add_sort(&q, a, by, order))
            return 0;
    }
    return run_query(r, a, p, &q, count_only);
}

/* POST /task and /task/count: the parameters in a JSON object, sorting as a list. */
static int query_post(sv_request *r, sv_answer *a)
{
    int count_only = strstr(r->url, "/count") != NULL;
    tquery q = {0};
    cJSON *body = sv_body_object(r, a, 1);
    if (!body)
        return 0;
    const char *p[P_N];
    for (int i = 0; i < P_N; i++) {
        const cJSON *v = cJSON_GetObjectItem(body, names[i]);
        p[i] = NULL;
        if (v && !cJSON_IsNull(v) && !cJSON_IsString(v)) {
            cJSON_Delete(body);
            return sv_error(a, 400, "InvalidRequestException", "%s must be a string", names[i]);
        }
        p[i] = cJSON_IsString(v) ? v->valuestring : NULL;
    }
    const cJSON *un = cJSON_GetObjectItem(body, "unassigned");
    if (un && !cJSON_IsBool(un) && !cJSON_IsNull(un)) {
        cJSON_Delete(body);
        return sv_error(a, 400, "InvalidRequestException", "unassigned must be true or false");
    }
    q.unassigned = cJSON_IsTrue(un);
    const cJSON *sorting = cJSON_GetObjectItem(body, "sorting"), *s;
    if (sorting && !cJSON_IsArray(sorting) && !cJSON_IsNull(sorting)) {
        cJSON_Delete(body);
        return sv_error(a, 400, "InvalidRequestException", "sorting must be a list");
    }
    if (!count_only) {
        if (paging(r, a, &q)) {
            cJSON_Delete(body);
            return 0;
        }
        cJSON_ArrayForEach(s, sorting)
        {
            if (add_sort(&q, a, sv_str(s, "sortBy"), sv_str(s, "sortOrder"))) {
                cJSON_Delete(body);
                return 0;
            }
        }
    }
    int rc = run_query(r, a, p, &q, count_only);
    cJSON_Delete(body);
    return rc;
}

/* ---- one task ------------------------------------------------------------------------------ */

typedef struct finder {
    const char *id;
    cJSON *found;
} finder;

static int find_row(void *ud, const char *json)
{
    finder *f = ud;
    if (f->found)
        return 0;
    cJSON *t = cJSON_Parse(json);
    const char *id = sv_str(t, "id");
    if (id && strcmp(id, f->id) == 0)
        f->found = t;
    else
        cJSON_Delete(t);
    return 0;
}

/* The engine's object of an open task the user may see; NULL with a 404 in a. For an action
 * (act), a task the user may not see is a 403, as Camunda checks the right on the task. */
static cJSON *task_find(sv_request *r, sv_answer *a, const char *id, int act)
{
    finder f = {id, NULL};
    bpmn_task_filter filter = {0};
    int rc = bpmn_task_each(r->e, &filter, find_row, &f);
    if (rc != BPMN_OK) {
        cJSON_Delete(f.found);
        sv_fail(a, r, rc);
        return NULL;
    }
    int seen = f.found && (involved(r, f.found) ||
                           sv_may(r, "read", sv_str(f.found, "process"), NULL));
    if (f.found && act && !seen) {
        cJSON_Delete(f.found);
        sv_error(a, 403, "AuthorizationException",
                 "The user with id '%s' does not have 'TASK_WORK' permission on resource '%s' of "
                 "type 'Task'.", r->user->name, id);
        return NULL;
    }
    if (!seen) {
        cJSON_Delete(f.found);
        sv_error(a, 404, "InvalidRequestException", "No matching task with id %s", id);
        return NULL;
    }
    return f.found;
}

static cJSON *task_get(sv_request *r, sv_answer *a, const char *id)
{
    return task_find(r, a, id, 0);
}

static cJSON *task_act(sv_request *r, sv_answer *a, const char *id)
{
    return task_find(r, a, id, 1);
}

static int task_one(sv_request *r, sv_answer *a)
{
    cJSON *t = task_get(r, a, r->params[0]);
    if (!t)
        return 0;
    cJSON *insts = cJSON_CreateObject();
    cJSON *dto = task_dto(t, instance_of(r, insts, sv_str(t, "instance")));
    cJSON_Delete(insts);
    cJSON_Delete(t);
    return sv_json(a, 200, dto);
}

/* The userId of a claim or assignee body: a string, or null (*user NULL) when null_ok. */
static cJSON *user_body(sv_request *r, sv_answer *a, const char **user, int null_ok)
{
    cJSON *body = sv_body_object(r, a, null_ok);
    if (!body)
        return NULL;
    const cJSON *u = cJSON_GetObjectItem(body, "userId");
    *user = cJSON_IsString(u) && u->valuestring[0] ? u->valuestring : NULL;
    if (!*user && !(null_ok && (!u || cJSON_IsNull(u)))) {
        cJSON_Delete(body);
        sv_error(a, 400, "InvalidRequestException", "userId is required");
        return NULL;
    }
    return body;
}

/* The groups a claim for user is made with: the user's own when the user acts; for a user with
 * the work right acting for someone else, the task's candidate groups (the operator's say). */
static void claim_groups(const cJSON *t, char *buf, size_t cap)
{
    size_t n = 0;
    const cJSON *g;
    buf[0] = '\0';
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(t, "candidateGroups"))
    {
        if (!cJSON_IsString(g))
            continue;
        int w = snprintf(buf + n, cap - n, "%s%s", n ? "," : "", g->valuestring);
        if (w < 0 || (size_t)w >= cap - n) {
            buf[n] = '\0';
            break;
        }
        n += (size_t)w;
    }
}

static int claim_answer(sv_request *r, sv_answer *a, const cJSON *t, int rc)
{
    if (rc == BPMN_OK)
        return sv_no_content(a);
    const char *as = sv_str(t, "assignee");
    if (rc == BPMN_EDENIED && as)
        return sv_error(a, 500, "TaskAlreadyClaimedException",
                        "Task '%s' is already claimed by someone else.", r->params[0]);
    if (rc == BPMN_ENOTFOUND)
        return sv_error(a, 404, "InvalidRequestException", "No matching task with id %s",
                        r->params[0]);
    return sv_fail(a, r, rc);
}

/* ---- changes, run through the group commit (sv_write) -------------------------------------- */

typedef enum { OP_CLAIM, OP_UNCLAIM, OP_ASSIGN, OP_COMPLETE, OP_ERROR } task_kind;

typedef struct task_op {
    task_kind kind;
    const char *id, *vars;
    const char *code, *message; /* OP_ERROR */
    const bpmn_actor *who; /* NULL: the operator */
    int unclaim_first;     /* OP_ASSIGN: take it from its assignee first */
} task_op;

static int run_task(bpmn_engine *e, void *ud, char **json)
{
    task_op *o = ud;
    switch (o->kind) {
    case OP_CLAIM: return bpmn_task_claim(e, o->id, o->who, json);
    case OP_UNCLAIM: return bpmn_task_unclaim(e, o->id, o->who, json);
    case OP_COMPLETE: return bpmn_task_complete_as(e, o->id, o->who, o->vars, json);
    case OP_ERROR:
        return bpmn_task_error(e, o->id, o->who, o->code, o->message, o->vars, json);
    default:
        break;
    }
    /* OP_ASSIGN: both in the one operation, so a refused claim leaves the task as it was */
    int rc = BPMN_OK;
    if (o->unclaim_first) {
        rc = bpmn_task_unclaim(e, o->id, NULL, json);
        if (rc == BPMN_OK && o->who) {
            bpmn_free(e, *json);
            *json = NULL;
        }
    }
    if (rc == BPMN_OK && o->who)
        rc = bpmn_task_claim(e, o->id, o->who, json);
    return rc;
}

static int task_write(sv_request *r, task_op *o)
{
    char *json = NULL;
    int rc = sv_write(r, run_task, o, &json);
    bpmn_free(r->e, json);
    return rc;
}

/* POST /task/{id}/claim {"userId"}: for oneself by the engine's rule, for another user with the
 * work right. A task held by someone else stays theirs. */
static int claim(sv_request *r, sv_answer *a)
{
    const char *user;
    cJSON *body = user_body(r, a, &user, 0);
    if (!body)
        return 0;
    cJSON *t = task_act(r, a, r->params[0]);
    if (!t) {
        cJSON_Delete(body);
        return 0;
    }
    const char *process = sv_str(t, "process");
    int self = strcmp(user, r->user->name) == 0, work = sv_may(r, "work", process, NULL);
    int rc;
    if (!self && !work) {
        rc = sv_forbidden(a, r, "work", process);
    } else {
        char groups[1024] = "";
        if (work)
            claim_groups(t, groups, sizeof groups);
        bpmn_actor who = {user, work ? groups : r->user->groups};
        task_op o = {OP_CLAIM, r->params[0], NULL, NULL, NULL, &who, 0};
        rc = claim_answer(r, a, t, task_write(r, &o));
    }
    cJSON_Delete(t);
    cJSON_Delete(body);
    return rc;
}

/* POST /task/{id}/unclaim: its assignee, or a user with the work right. */
static int unclaim(sv_request *r, sv_answer *a)
{
    cJSON *t = task_act(r, a, r->params[0]);
    if (!t)
        return 0;
    const char *as = sv_str(t, "assignee");
    int work = sv_may(r, "work", sv_str(t, "process"), NULL);
    bpmn_actor who = {r->user->name, r->user->groups};
    task_op o = {OP_UNCLAIM, r->params[0], NULL, NULL, NULL, work ? NULL : &who, 0};
    int rc = task_write(r, &o);
    cJSON_Delete(t);
    if (rc != BPMN_OK) {
        if (rc == BPMN_EDENIED)
            return sv_error(a, 403, "AuthorizationException",
                            "The user with id '%s' does not have 'TASK_WORK' permission on "
                            "resource '%s' of type 'Task' (it is assigned to %s).",
                            r->user->name, r->params[0], as ? as : "nobody");
        return sv_fail(a, r, rc);
    }
    return sv_no_content(a);
}

/* POST /task/{id}/assignee {"userId"}: takes the task from whoever holds it and gives it to the
 * user (null: to nobody), in one transaction. Someone else's assignment needs the work right;
 * without it, it is a claim for oneself. */
static int assignee(sv_request *r, sv_answer *a)
{
    const char *user;
    cJSON *body = user_body(r, a, &user, 1);
    if (!body)
        return 0;
    cJSON *t = task_act(r, a, r->params[0]);
    if (!t) {
        cJSON_Delete(body);
        return 0;
    }
    const char *process = sv_str(t, "process"), *as = sv_str(t, "assignee");
    int work = sv_may(r, "work", process, NULL);
    int rc;
    if (!work && !(user && strcmp(user, r->user->name) == 0 && (!as || !strcmp(as, user)))) {
        rc = sv_forbidden(a, r, "work", process);
    } else if (!work) {
        bpmn_actor who = {user, r->user->groups};
        task_op o = {OP_CLAIM, r->params[0], NULL, NULL, NULL, &who, 0};
        rc = claim_answer(r, a, t, task_write(r, &o));
    } else {
        char groups[1024];
        claim_groups(t, groups, sizeof groups);
        bpmn_actor who = {user, groups};
        task_op o = {OP_ASSIGN, r->params[0], NULL, NULL, NULL, user ? &who : NULL, as != NULL};
        int erc = user || as ? task_write(r, &o) : BPMN_OK;
        if (erc == BPMN_OK)
            rc = sv_no_content(a);
        else if (erc == BPMN_EDENIED)
            rc = sv_error(a, 400, "BadUserRequestException",
                          "Cannot set the assignee of task %s to %s: %s", r->params[0], user,
                          sv_errmsg(r));
        else
            rc = sv_fail(a, r, erc);
    }
    cJSON_Delete(t);
    cJSON_Delete(body);
    return rc;
}

/* POST /task/{id}/complete {"variables","withVariablesInReturn"}. */
static int complete(sv_request *r, sv_answer *a)
{
    cJSON *body = sv_body_object(r, a, 1);
    if (!body)
        return 0;
    cJSON *t = task_act(r, a, r->params[0]);
    if (!t) {
        cJSON_Delete(body);
        return 0;
    }
    int back = cJSON_IsTrue(cJSON_GetObjectItem(body, "withVariablesInReturn"));
    cJSON *vars = sv_vars_in(cJSON_GetObjectItem(body, "variables"), a);
    cJSON_Delete(body);
    if (!vars) {
        cJSON_Delete(t);
        return 0;
    }
    char iid[32];
    snprintf(iid, sizeof iid, "%s", sv_str(t, "instance") ? sv_str(t, "instance") : "");
    int work = sv_may(r, "work", sv_str(t, "process"), NULL);
    cJSON_Delete(t);
    char *text = cJSON_PrintUnformatted(vars);
    cJSON_Delete(vars);
    if (!text)
        return sv_error(a, 500, "ServerError", "out of memory");
    bpmn_actor who = {r->user->name, r->user->groups};
    task_op o = {OP_COMPLETE, r->params[0], text, NULL, NULL, work ? NULL : &who, 0};
    int rc = task_write(r, &o);
    cJSON_free(text);
    if (rc != BPMN_OK) {
        const char *msg = sv_errmsg(r);
        if (rc == BPMN_EDENIED)
            return sv_error(a, 403, "AuthorizationException",
                            "The user with id '%s' does not have 'TASK_WORK' permission on "
                            "resource '%s' of type 'Task': %s", r->user->name, r->params[0], msg);
        if (rc == BPMN_EINVAL)
            return sv_error(a, 400, "InvalidRequestException", "Cannot complete task %s: %s",
                            r->params[0], msg);
        if (rc == BPMN_ENOTFOUND)
            return sv_error(a, 404, "InvalidRequestException", "Cannot complete task %s: %s",
                            r->params[0], msg);
        return sv_fail(a, r, rc);
    }
    if (!back)
        return sv_no_content(a);
    cJSON *s = sv_instance_get(r, a, iid, NULL);
    if (!s)
        return 0;
    cJSON *out = sv_vars_out(cJSON_GetObjectItem(s, "variables"), NULL);
    cJSON_Delete(s);
    return sv_json(a, 200, out);
}

/* GET /task/{id}/variables and /form-variables (variableNames=a,b): the instance's variables,
 * which are those visible from the task. */
static int variables(sv_request *r, sv_answer *a)
{
    cJSON *t = task_get(r, a, r->params[0]);
    if (!t)
        return 0;
    char iid[32];
    snprintf(iid, sizeof iid, "%s", sv_str(t, "instance") ? sv_str(t, "instance") : "");
    cJSON_Delete(t);
    cJSON *s = sv_instance_get(r, a, iid, NULL);
    if (!s)
        return 0;
    const char *names_arg = strstr(r->url, "/form-variables") ? sv_arg(r, "variableNames") : NULL;
    cJSON *out = sv_vars_out(cJSON_GetObjectItem(s, "variables"), names_arg);
    cJSON_Delete(s);
    return sv_json(a, 200, out);
}

/* POST /task/{id}/bpmnError {"errorCode","errorMessage","variables"}: the task ends in a BPMN
 * error caught by a boundary event, by whoever may complete it. */
static int bpmn_error(sv_request *r, sv_answer *a)
{
    cJSON *body = sv_body_object(r, a, 0);
    if (!body)
        return 0;
    cJSON *t = task_act(r, a, r->params[0]);
    if (!t) {
        cJSON_Delete(body);
        return 0;
    }
    const cJSON *code = cJSON_GetObjectItem(body, "errorCode");
    const cJSON *msg = cJSON_GetObjectItem(body, "errorMessage");
    cJSON *vars = cJSON_IsString(code) ? sv_vars_in(cJSON_GetObjectItem(body, "variables"), a) : NULL;
    int work = sv_may(r, "work", sv_str(t, "process"), NULL);
    cJSON_Delete(t);
    if (!cJSON_IsString(code) || !vars) {
        cJSON_Delete(body);
        cJSON_Delete(vars);
        return cJSON_IsString(code) ? 0 : sv_error(a, 400, "InvalidRequestException",
                                                   "errorCode is required");
    }
    char *text = cJSON_PrintUnformatted(vars);
    cJSON_Delete(vars);
    bpmn_actor who = {r->user->name, r->user->groups};
    task_op o = {OP_ERROR, r->params[0], text, code->valuestring,
                 cJSON_IsString(msg) ? msg->valuestring : NULL, work ? NULL : &who, 0};
    int rc = text ? task_write(r, &o) : BPMN_ENOMEM;
    cJSON_free(text);
    cJSON_Delete(body);
    if (rc == BPMN_EDENIED)
        return sv_error(a, 403, "AuthorizationException",
                        "The user with id '%s' does not have 'TASK_WORK' permission on resource "
                        "'%s' of type 'Task': %s", r->user->name, r->params[0], sv_errmsg(r));
    return rc == BPMN_OK ? sv_no_content(a) : sv_fail(a, r, rc);
}

const sv_route sv_routes_tasks[] = {
    {"GET", "/engine-rest/task", query_get, 0},
    {"POST", "/engine-rest/task", query_post, 0},
    {"GET", "/engine-rest/task/count", query_get, 0},
    {"POST", "/engine-rest/task/count", query_post, 0},
    {"GET", "/engine-rest/task/{id}", task_one, 0},
    {"POST", "/engine-rest/task/{id}/claim", claim, 0},
    {"POST", "/engine-rest/task/{id}/unclaim", unclaim, 0},
    {"POST", "/engine-rest/task/{id}/assignee", assignee, 0},
    {"POST", "/engine-rest/task/{id}/complete", complete, 0},
    {"POST", "/engine-rest/task/{id}/bpmnError", bpmn_error, 0},
    {"GET", "/engine-rest/task/{id}/form-variables", variables, 0},
    {"GET", "/engine-rest/task/{id}/variables", variables, 0},
    {NULL, NULL, NULL, 0},
};
