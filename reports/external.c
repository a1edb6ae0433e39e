/*
 * external.c - jobs as Camunda 7's external tasks: the objects of GET /external-task and of
 * fetchAndLock, typed variables, and the filtered, paged listing.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reports/external.h"

/* Camunda's type of a JSON value; objects and arrays travel as Json, their text a string. */
static cJSON *typed_value(const cJSON *v)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    const char *type;
    cJSON *value;
    if (cJSON_IsString(v)) {
        type = "String";
        value = cJSON_CreateString(v->valuestring);
    } else if (cJSON_IsBool(v)) {
        type = "Boolean";
        value = cJSON_CreateBool(cJSON_IsTrue(v));
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        int integral = isfinite(d) && d == floor(d) && fabs(d) < 9.3e18;
        type = !integral ? "Double" : d >= -2147483648.0 && d <= 2147483647.0 ? "Integer" : "Long";
        value = cJSON_CreateNumber(d);
    } else if (cJSON_IsNull(v)) {
        type = "Null";
        value = cJSON_CreateNull();
    } else {
        type = "Json";
        char *text = en_json_print(v);
        value = text ? cJSON_CreateString(text) : NULL;
        cJSON_free(text);
    }
    if (!value || !cJSON_AddItemToObject(o, "value", value)) {
        cJSON_Delete(value);
        cJSON_Delete(o);
        return NULL;
    }
    if (!cJSON_AddStringToObject(o, "type", type) || !cJSON_AddObjectToObject(o, "valueInfo")) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int named(const cJSON *names, const char *name)
{
    if (!cJSON_IsArray(names))
        return 1;
    for (const cJSON *n = names->child; n; n = n->next)
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return 1;
    return 0;
}

cJSON *en_ext_typed_vars(en_inst *in, uint32_t token, const cJSON *names, int local)
{
    cJSON *out = cJSON_CreateObject();
    const en_token *t = en_token_find(in, token);
    if (!out || !t)
        return out;
    /* Inner scopes first: a variable of a sub-process hides one of the process. */
    for (uint32_t s = en_eval_scope(t); s != EN_NONE && s < in->nscopes; s = in->scopes[s].parent) {
        for (const cJSON *v = in->scopes[s].vars ? in->scopes[s].vars->child : NULL; v; v = v->next) {
            if (!named(names, v->string) || cJSON_GetObjectItemCaseSensitive(out, v->string))
                continue;
            cJSON *tv = typed_value(v);
            if (!tv || !cJSON_AddItemToObject(out, v->string, tv)) {
                cJSON_Delete(tv);
                cJSON_Delete(out);
                return NULL;
            }
        }
        if (local)
            break;
    }
    return out;
}

static int add_time(cJSON *o, const char *key, int64_t ms, int set)
{
    if (!set)
        return cJSON_AddNullToObject(o, key) != NULL;
    char buf[40];
    en_camunda_time(ms, buf, sizeof buf);
    return cJSON_AddStringToObject(o, key, buf) != NULL;
}

cJSON *en_ext_task_json(const en_job *j, uint64_t id, en_inst *in, int64_t now, int locked)
{
    const bg_node *n = j->node < in->def->g->nnodes ? &in->def->g->nodes[j->node] : NULL;
    const char *activity = n && n->id ? n->id : "";
    char exec[48], act[320], def[300];
    snprintf(exec, sizeof exec, "%llu:%u", (unsigned long long)j->instance, j->token);
    snprintf(act, sizeof act, "%.250s:%s", activity, exec);
    snprintf(def, sizeof def, "%.250s:%u", j->process, j->version);
    int holds = en_job_locked(j, now);
    cJSON *o = cJSON_CreateObject();
    int ok = o && cJSON_AddStringToObject(o, "activityId", activity) &&
             cJSON_AddStringToObject(o, "activityInstanceId", act) &&
             en_json_str(o, "errorMessage", j->failure) &&
             en_json_str(o, "errorDetails", j->details) &&
             cJSON_AddStringToObject(o, "executionId", exec) && en_json_id(o, "id", id) &&
             add_time(o, "lockExpirationTime", j->lock_until, locked || holds) &&
             cJSON_AddStringToObject(o, "processDefinitionId", def) &&
             cJSON_AddStringToObject(o, "processDefinitionKey", j->process) &&
             cJSON_AddNullToObject(o, "processDefinitionVersionTag") &&
             en_json_id(o, "processInstanceId", j->instance) &&
             cJSON_AddNullToObject(o, "tenantId") &&
             ((j->flags & EN_JOB_FAILED) ? cJSON_AddNumberToObject(o, "retries", j->retries) != NULL
                                         : cJSON_AddNullToObject(o, "retries") != NULL) &&
             (locked || cJSON_AddBoolToObject(o, "suspended", in->suspended)) &&
             en_json_str(o, "workerId", locked || holds ? j->worker : NULL) &&
             cJSON_AddNumberToObject(o, "priority", j->priority) &&
             cJSON_AddStringToObject(o, "topicName", j->type) && en_json_str(o, "businessKey", in->key);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* ---- the listing --------------------------------------------------------------------------- */

typedef struct ext_filter {
    const char *id, *topic, *worker, *instance, *key, *def_id, *activity;
    int locked, not_locked, retries_left, no_retries;
} ext_filter;

static int filter_str(bpmn_engine *e, const cJSON *root, const char *name, const char **out)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!m || cJSON_IsNull(m))
        return BPMN_OK;
    if (!cJSON_IsString(m))
        return en_fail(e, BPMN_EINVAL, "external task query: %s must be a string", name);
    *out = m->valuestring;
    return BPMN_OK;
}

static int filter_bool(bpmn_engine *e, const cJSON *root, const char *name, int *out)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!m || cJSON_IsNull(m))
        return BPMN_OK;
    if (!cJSON_IsBool(m))
        return en_fail(e, BPMN_EINVAL, "external task query: %s must be true or false", name);
    *out = cJSON_IsTrue(m);
    return BPMN_OK;
}

static int parse_filter(bpmn_engine *e, const cJSON *root, ext_filter *f)
{
    memset(f, 0, sizeof *f);
    if (!root)
        return BPMN_OK;
    if (!cJSON_IsObject(root))
        return en_fail(e, BPMN_EINVAL, "external task query: not a JSON object");
    int rc = filter_str(e, root, "externalTaskId", &f->id);
    if (rc == BPMN_OK)
        rc = filter_str(e, root, "topicName", &f->topic);
    if (rc == BPMN_OK)
        rc = filter_str(e, root, "workerId", &f->worker);
    if (rc == BPMN_OK)
        rc = filter_str(e, root, "processInstanceId", &f->instance);
    if (rc == BPMN_OK)
        rc = filter_str(e, root, "processDefinitionKey", &f->key);
    if (rc == BPMN_OK)
        rc = filter_str(e, root, "processDefinitionId", &f->def_id);
    if (rc == BPMN_OK)
        rc = filter_str(e, root, "activityId", &f->activity);
    if (rc == BPMN_OK)
        rc = filter_bool(e, root, "locked", &f->locked);
    if (rc == BPMN_OK)
        rc = filter_bool(e, root, "notLocked", &f->not_locked);
    if (rc == BPMN_OK)
        rc = filter_bool(e, root, "withRetriesLeft", &f->retries_left);
    if (rc == BPMN_OK)
        rc = filter_bool(e, root, "noRetriesLeft", &f->no_retries);
    return rc;
}

static int id_is(const char *s, uint64_t id)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)id);
    return strcmp(s, buf) == 0;
}

/* Whether the job passes the filters that its record answers. */
static int job_matches(const ext_filter *f, const en_job *j, uint64_t id, int64_t now)
{
    if (f->id && !id_is(f->id, id))
        return 0;
    if (f->topic && strcmp(f->topic, j->type) != 0)
        return 0;
    int holds = en_job_locked(j, now);
    if (f->worker && (!holds || strcmp(f->worker, j->worker) != 0))
        return 0;
    if ((f->locked && !holds) || (f->not_locked && holds))
        return 0;
    if ((f->retries_left && j->retries == 0) || (f->no_retries && j->retries != 0))
        return 0;
    if (f->instance && !id_is(f->instance, j->instance))
        return 0;
    if (f->key && strcmp(f->key, j->process) != 0)
        return 0;
    if (f->def_id) {
        char def[300];
        snprintf(def, sizeof def, "%.250s:%u", j->process, j->version);
        if (strcmp(f->def_id, def) != 0)
            return 0;
    }
    return 1;
}

typedef struct ext_list {
    ext_filter f;
    size_t offset, limit, seen, taken;
    bpmn_each_fn fn;
    void *ud;
} ext_list;

/* One stored job: filtered, then built and passed on unless the offset skips it. */
static int list_row(bpmn_engine *e, const uint8_t *k, size_t kl, const void *v, size_t vl,
                    ext_list *l, int64_t now)
{
    en_job j;
    int rc = kl == 8 ? en_job_decode(e->a, v, vl, &j) : BPMN_EIO;
    if (rc == BPMN_ENOMEM)
        return en_fail(e, rc, "out of memory");
    if (rc != BPMN_OK)
        return en_fail(e, BPMN_EIO, "a stored job record is damaged");
    uint64_t id = st_rd64(k);
    en_inst in;
    int loaded = 0;
    if (job_matches(&l->f, &j, id, now)) {
        rc = en_inst_load(e, j.instance, &in);
        loaded = rc == BPMN_OK;
        if (loaded && j.node >= in.def->g->nnodes)
            rc = en_fail(e, BPMN_EIO, "a stored job record is damaged");
        const char *act = rc == BPMN_OK ? in.def->g->nodes[j.node].id : NULL;
        if (rc == BPMN_OK && (!l->f.activity || (act && strcmp(act, l->f.activity) == 0)) &&
            l->seen++ >= l->offset) {
            cJSON *o = en_ext_task_json(&j, id, &in, now, 0);
            char *line = o ? en_json_out(e, o) : NULL;
            if (!line) {
                rc = en_fail(e, BPMN_ENOMEM, "out of memory");
            } else {
                l->taken++;
                if (l->fn(l->ud, line))
                    rc = en_fail(e, BPMN_EINVAL, "the list consumer stopped after %zu items",
                                 l->taken);
                bm_free(e->a, line);
            }
        }
    }
    if (loaded)
        en_inst_free(e, &in);
    en_job_free(e->a, &j);
    return rc;
}

int bpmn_external_task_each(bpmn_engine *e, const char *filter_json, size_t offset,
                            size_t limit, bpmn_each_fn fn, void *ud)
{
    if (!e || !fn)
        return BPMN_EINVAL;
    e->err[0] = '\0';
    cJSON *root = NULL;
    if (filter_json && *filter_json && !(root = cJSON_Parse(filter_json)))
        return en_fail(e, BPMN_EINVAL, "external task query: not valid JSON");
    ext_list l = {.offset = offset, .limit = limit, .fn = fn, .ud = ud};
    int rc = parse_filter(e, root, &l.f);
    st_txn *t = NULL;
    if (rc == BPMN_OK)
        rc = en_read_begin(e, &t);
    if (rc != BPMN_OK) {
        cJSON_Delete(root);
        return en_status(e, rc);
    }
    e->txn = t;
    int64_t now = en_now(e);
    st_cursor *c = NULL;
    rc = st_cursor_open(t, ST_JOBS, &c);
    const void *k, *v;
    size_t kl, vl;
    /* One external task by its id is a point read, not a scan (every worker call asks). */
    uint64_t only = 0;
    uint8_t start[8];
    int one = l.f.id && en_parse_id(l.f.id, &only) == BPMN_OK;
    st_be64(start, only);
    int step = rc == BPMN_OK ? st_cursor_seek(c, one ? start : NULL, one ? 8 : 0, &k, &kl, &v, &vl)
                             : rc;
    while (rc == BPMN_OK && step == BPMN_OK && !(l.limit && l.taken >= l.limit)) {
        if (one && (kl != 8 || st_rd64(k) != only))
            break;
        rc = list_row(e, k, kl, v, vl, &l, now);
        if (rc == BPMN_OK)
            step = st_cursor_next(c, &k, &kl, &v, &vl);
    }
    if (rc == BPMN_OK && step != BPMN_ENOTFOUND && step != BPMN_OK)
        rc = step;
    st_cursor_close(c);
    e->txn = NULL;
    en_read_end(e, t);
    cJSON_Delete(root);
    return en_status(e, rc);
}
