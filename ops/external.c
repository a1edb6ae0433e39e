/*
 * external.c - Camunda 7's external task protocol on the engine's jobs: fetch and lock (and the
 * read-only check under a server's long polling), extending and releasing a lock. Completion,
 * failure and BPMN errors by a worker are the job operations of ops.c with the worker checked.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/external.h"

/* The latest time Camunda's format prints (9999-12-31T23:59:59.999). */
#define FL_TIME_MAX 253402300799999LL

/* One topic of a fetchAndLock request; members point into the parsed request. */
typedef struct fl_topic {
    const char *name;
    long long lock;
    const cJSON *vars;             /* an array of names, or NULL: every variable */
    int local;
    const char *key, *def_id, *bkey;
    const cJSON *key_in, *def_id_in; /* arrays of strings, or NULL */
    const cJSON *pvars;            /* an object, or NULL */
} fl_topic;

typedef struct fl_req {
    cJSON *root;
    const char *worker;
    long long max;
    int use_priority;
    fl_topic *topics;
    size_t ntopics;
    /* the transaction's */
    int dry;                       /* the availability check: find, lock nothing */
    int64_t now;
    cJSON *out;                    /* the locked jobs */
    long long found;
} fl_req;

typedef struct fl_cand {
    uint64_t id;
    int32_t priority;
} fl_cand;

static void fl_free(bpmn_engine *e, fl_req *r)
{
    cJSON_Delete(r->root);
    cJSON_Delete(r->out);
    bm_free(e->a, r->topics);
    r->root = r->out = NULL;
    r->topics = NULL;
}

static int bad(bpmn_engine *e, const char *where, const char *what)
{
    return en_fail(e, BPMN_EINVAL, "fetchAndLock: %s %s", where, what);
}

/* A member that is absent or null is left as it was; one of the wrong type is refused. */
static int opt_str(bpmn_engine *e, const cJSON *o, const char *name, const char *where,
                   const char **out)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!m || cJSON_IsNull(m))
        return BPMN_OK;
    if (!cJSON_IsString(m)) {
        char w[300];
        snprintf(w, sizeof w, "%s%s", where, name);
        return bad(e, w, "must be a string");
    }
    *out = m->valuestring;
    return BPMN_OK;
}

static int opt_strings(bpmn_engine *e, const cJSON *o, const char *name, const char *where,
                       const cJSON **out)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!m || cJSON_IsNull(m))
        return BPMN_OK;
    int ok = cJSON_IsArray(m);
    for (const cJSON *x = ok ? m->child : NULL; x; x = x->next)
        ok = ok && cJSON_IsString(x);
    if (!ok) {
        char w[300];
        snprintf(w, sizeof w, "%s%s", where, name);
        return bad(e, w, "must be an array of strings");
    }
    *out = m;
    return BPMN_OK;
}

static int opt_bool(bpmn_engine *e, const cJSON *o, const char *name, const char *where, int *out)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!m || cJSON_IsNull(m))
        return BPMN_OK;
    if (!cJSON_IsBool(m)) {
        char w[300];
        snprintf(w, sizeof w, "%s%s", where, name);
        return bad(e, w, "must be true or false");
    }
    *out = cJSON_IsTrue(m);
    return BPMN_OK;
}

static int parse_topic(bpmn_engine *e, const cJSON *o, size_t i, fl_topic *t)
{
    char where[48];
    snprintf(where, sizeof where, "topics[%zu].", i);
    memset(t, 0, sizeof *t);
    if (!cJSON_IsObject(o)) {
        where[strlen(where) - 1] = '\0';
        return bad(e, where, "must be an object");
    }
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "topicName");
    if (!cJSON_IsString(m) || !*m->valuestring)
        return bad(e, where, "topicName is missing (a non-empty string)");
    t->name = m->valuestring;
    m = cJSON_GetObjectItemCaseSensitive(o, "lockDuration");
    if (!cJSON_IsNumber(m) || !isfinite(m->valuedouble) || m->valuedouble < 1 ||
        m->valuedouble > 9007199254740992.0)
        return bad(e, where, "lockDuration is missing (a number of milliseconds > 0)");
    t->lock = (long long)m->valuedouble;
    int rc = BPMN_OK;
    m = cJSON_GetObjectItemCaseSensitive(o, "variables");
    if (m && !cJSON_IsNull(m))
        rc = opt_strings(e, o, "variables", where, &t->vars);
    if (rc == BPMN_OK)
        rc = opt_bool(e, o, "localVariables", where, &t->local);
    if (rc == BPMN_OK)
        rc = opt_str(e, o, "processDefinitionKey", where, &t->key);
    if (rc == BPMN_OK)
        rc = opt_strings(e, o, "processDefinitionKeyIn", where, &t->key_in);
    if (rc == BPMN_OK)
        rc = opt_str(e, o, "processDefinitionId", where, &t->def_id);
    if (rc == BPMN_OK)
        rc = opt_strings(e, o, "processDefinitionIdIn", where, &t->def_id_in);
    if (rc == BPMN_OK)
        rc = opt_str(e, o, "businessKey", where, &t->bkey);
    m = cJSON_GetObjectItemCaseSensitive(o, "processVariables");
    if (rc == BPMN_OK && m && !cJSON_IsNull(m)) {
        if (!cJSON_IsObject(m))
            return bad(e, where, "processVariables must be an object");
        t->pvars = m;
    }
    return rc;
}

/* Reads and checks the request before any transaction begins. */
static int fl_parse(bpmn_engine *e, const char *json, fl_req *r)
{
    memset(r, 0, sizeof *r);
    r->max = 1;
    if (!json || !(r->root = cJSON_Parse(json)) || !cJSON_IsObject(r->root))
        return en_fail(e, BPMN_EINVAL, "fetchAndLock: the request is not a JSON object");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r->root, "workerId");
    if (!cJSON_IsString(m) || !*m->valuestring)
        return bad(e, "workerId", "is missing (a non-empty string)");
    r->worker = m->valuestring;
    m = cJSON_GetObjectItemCaseSensitive(r->root, "maxTasks");
    if (m && !cJSON_IsNull(m)) {
        if (!cJSON_IsNumber(m) || !isfinite(m->valuedouble) || m->valuedouble < 0 ||
            m->valuedouble != floor(m->valuedouble))
            return bad(e, "maxTasks", "must be a whole number >= 0");
        r->max = m->valuedouble > 1e9 ? 1000000000LL : (long long)m->valuedouble;
    }
    int rc = opt_bool(e, r->root, "usePriority", "", &r->use_priority);
    if (rc != BPMN_OK)
        return rc;
    const cJSON *topics = cJSON_GetObjectItemCaseSensitive(r->root, "topics");
    if (!cJSON_IsArray(topics))
        return bad(e, "topics", "is missing (an array of topics)");
    r->ntopics = (size_t)cJSON_GetArraySize(topics);
    if (r->ntopics && !(r->topics = bm_alloc(e->a, NULL, r->ntopics * sizeof *r->topics)))
        return en_fail(e, BPMN_ENOMEM, "out of memory");
    size_t i = 0;
    for (const cJSON *t = topics->child; rc == BPMN_OK && t; t = t->next, i++)
        rc = parse_topic(e, t, i, &r->topics[i]);
    return rc;
}

static int in_list(const cJSON *list, const char *s)
{
    for (const cJSON *x = list->child; x; x = x->next)
        if (strcmp(x->valuestring, s) == 0)
            return 1;
    return 0;
}

/* Whether the topic takes the job by what its record says. */
static int topic_takes(const fl_topic *t, const en_job *j)
{
    if (strcmp(t->name, j->type) != 0)
        return 0;
    if ((t->key && strcmp(t->key, j->process) != 0) || (t->key_in && !in_list(t->key_in, j->process)))
        return 0;
    if (t->def_id || t->def_id_in) {
        char def[300];
        snprintf(def, sizeof def, "%.250s:%u", j->process, j->version);
        if ((t->def_id && strcmp(t->def_id, def) != 0) || (t->def_id_in && !in_list(t->def_id_in, def)))
            return 0;
    }
    return 1;
}

/* Whether the topic takes the job by what its instance says: business key, process variables. */
static int topic_takes_instance(const fl_topic *t, const en_inst *in)
{
    if (t->bkey && (!in->key || strcmp(t->bkey, in->key) != 0))
        return 0;
    const cJSON *vars = in->nscopes ? in->scopes[0].vars : NULL;
    for (const cJSON *v = t->pvars ? t->pvars->child : NULL; v; v = v->next) {
        const cJSON *have = vars ? cJSON_GetObjectItemCaseSensitive(vars, v->string) : NULL;
        if (!have || !cJSON_Compare(have, v, 1))
            return 0;
    }
    return 1;
}

static int fetchable(const fl_req *r, const en_job *j)
{
    if (j->retries == 0 || en_job_locked(j, r->now) || j->not_before > r->now)
        return 0;
    for (size_t i = 0; i < r->ntopics; i++)
        if (topic_takes(&r->topics[i], j))
            return 1;
    return 0;
}

/* fetchable() on what a record says before it is decoded. */
static int peek_fetchable(const fl_req *r, const en_job_peek_t *p)
{
    if (p->retries == 0 || (p->locked && p->lock_until > r->now) || p->not_before > r->now)
        return 0;
    for (size_t i = 0; i < r->ntopics; i++)
        if (strlen(r->topics[i].name) == p->type_len &&
            memcmp(r->topics[i].name, p->type, p->type_len) == 0)
            return 1;
    return 0;
}

/* The jobs a topic may take by their records, in id order from job `from`: all of them when
 * want is 0 (priority order needs them all), else the first want, *from then set after the last
 * one read and *more to 1 when the table goes on. Without priorities a fetch so reads only the
 * jobs before the ones it takes (those locked by others), not every job waiting. */
static int collect(bpmn_engine *e, const fl_req *r, size_t want, uint64_t *from, int *more,
                   fl_cand **c, size_t *n)
{
    size_t cap = 0;
    st_cursor *cur = NULL;
    *more = 0;
    int rc = st_cursor_open(e->txn, ST_JOBS, &cur);
    const void *k, *v;
    size_t kl, vl;
    uint8_t start[8];
    st_be64(start, *from);
    int step = rc == BPMN_OK ? st_cursor_seek(cur, start, 8, &k, &kl, &v, &vl) : rc;
    while (rc == BPMN_OK && step == BPMN_OK) {
        if (want && *n >= want) {
            *more = 1;
            *from = kl == 8 ? st_rd64(k) : *from;
            break;
        }
        en_job_peek_t p;
        if (kl == 8 && en_job_peek(v, vl, &p) == BPMN_OK && !peek_fetchable(r, &p)) {
            step = st_cursor_next(cur, &k, &kl, &v, &vl);
            continue;
        }
        en_job j;
        rc = kl == 8 ? en_job_decode(e->a, v, vl, &j) : BPMN_EIO;
        if (rc == BPMN_EIO)
            rc = en_fail(e, rc, "a stored job record is damaged");
        if (rc != BPMN_OK)
            break;
        if (fetchable(r, &j)) {
            if (bm_grow(e->a, (void **)c, &cap, *n + 1, sizeof **c) != BPMN_OK)
                rc = BPMN_ENOMEM;
            else
                (*c)[(*n)++] = (fl_cand){st_rd64(k), j.priority};
        }
        en_job_free(e->a, &j);
        if (rc == BPMN_OK)
            step = st_cursor_next(cur, &k, &kl, &v, &vl);
    }
    if (rc == BPMN_OK && step != BPMN_ENOTFOUND && step != BPMN_OK)
        rc = step;
    st_cursor_close(cur);
    return rc;
}

static int by_priority(const void *a, const void *b)
{
    const fl_cand *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Locks one candidate when its instance lets it: it still waits there, is not suspended and
 * passes a topic's filters. */
static int take(bpmn_engine *e, fl_req *r, uint64_t id)
{
    en_job j;
    int rc = en_job_read(e, id, &j);
    if (rc != BPMN_OK)
        return rc == BPMN_EIO ? en_fail(e, rc, "job %llu: damaged record", (unsigned long long)id)
                              : rc;
    en_inst in;
    rc = en_inst_load(e, j.instance, &in);
    if (rc != BPMN_OK) {
        en_job_free(e->a, &j);
        return rc == BPMN_ENOTFOUND ? BPMN_OK : rc; /* a job left behind: not offered */
    }
    const en_token *t = en_token_find(&in, j.token);
    const fl_topic *topic = NULL;
    if (t && t->ref == id && !in.suspended && j.node < in.def->g->nnodes &&
        (in.state == EN_ACTIVE || in.state == EN_INCIDENT))
        for (size_t i = 0; !topic && i < r->ntopics; i++)
            if (topic_takes(&r->topics[i], &j) && topic_takes_instance(&r->topics[i], &in))
                topic = &r->topics[i];
    if (topic && r->dry) {
        r->found++;
    } else if (topic) {
        const char *owner = j.worker;
        j.worker = r->worker;
        j.lock_until = topic->lock > FL_TIME_MAX - r->now ? FL_TIME_MAX : r->now + topic->lock;
        j.not_before = 0;
        rc = en_job_write(e, id, &j);
        cJSON *o = rc == BPMN_OK ? en_ext_task_json(&j, id, &in, r->now, 1) : NULL;
        cJSON *vars = o ? en_ext_typed_vars(&in, j.token, topic->vars, topic->local) : NULL;
        if (rc == BPMN_OK && (!vars || !cJSON_AddItemToObject(o, "variables", vars) ||
                              !cJSON_AddItemToArray(r->out, o))) {
            if (o && !cJSON_GetObjectItemCaseSensitive(o, "variables"))
                cJSON_Delete(vars);
            cJSON_Delete(o);
            rc = BPMN_ENOMEM;
        }
        j.worker = owner;
        r->found++;
    }
    en_inst_free(e, &in);
    en_job_free(e->a, &j);
    return rc;
}

static int fl_txn(bpmn_engine *e, void *ud)
{
    fl_req *r = ud;
    cJSON_Delete(r->out); /* a transaction run again after the map grew starts over */
    r->out = NULL;
    if (!r->dry && !(r->out = cJSON_CreateArray()))
        return BPMN_ENOMEM;
    r->found = 0;
    r->now = en_now(e);
    long long max = r->dry ? 1 : r->max;
    if (!max || !r->ntopics)
        return BPMN_OK;
    fl_cand *c = NULL;
    uint64_t from = 0;
    int more = 1, rc = BPMN_OK;
    while (rc == BPMN_OK && more && r->found < max) {
        size_t n = 0;
        size_t want = r->use_priority ? 0 : (size_t)(max - r->found) * 2 + 8;
        rc = collect(e, r, want, &from, &more, &c, &n);
        if (rc == BPMN_OK && r->use_priority && n > 1)
            qsort(c, n, sizeof *c, by_priority);
        for (size_t i = 0; rc == BPMN_OK && i < n && r->found < max; i++)
            rc = take(e, r, c[i].id);
    }
    bm_free(e->a, c);
    return rc;
}

static char *fl_answer(bpmn_engine *e, void *ud)
{
    fl_req *r = ud;
    char *s = en_json_out(e, r->out); /* deletes it */
    r->out = NULL;
    return s;
}

int bpmn_job_fetch_and_lock(bpmn_engine *e, const char *request_json, char **json_out)
{
    if (!e || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    e->err[0] = '\0';
    fl_req r;
    int rc = fl_parse(e, request_json, &r);
    if (rc == BPMN_OK)
        rc = en_write_answer(e, fl_txn, &r, fl_answer, json_out);
    fl_free(e, &r);
    return en_status(e, rc);
}

int bpmn_job_available(bpmn_engine *e, const char *request_json, int *available)
{
    if (!e || !available)
        return BPMN_EINVAL;
    *available = 0;
    e->err[0] = '\0';
    fl_req r;
    int rc = fl_parse(e, request_json, &r);
    st_txn *t = NULL;
    if (rc == BPMN_OK)
        rc = en_read_begin(e, &t);
    if (rc == BPMN_OK) {
        e->txn = t;
        r.dry = 1;
        rc = fl_txn(e, &r);
        e->txn = NULL;
        en_read_end(e, t);
        *available = rc == BPMN_OK && r.found > 0;
    }
    fl_free(e, &r);
    return en_status(e, rc);
}

/* ---- extending and releasing a lock -------------------------------------------------------- */

typedef struct lock_op {
    uint64_t id;
    const char *worker; /* extend: the worker; NULL: unlock */
    long long duration;
} lock_op;

static int lock_txn(bpmn_engine *e, void *ud)
{
    lock_op *l = ud;
    en_job j;
    int rc = en_job_read(e, l->id, &j);
    if (rc == BPMN_ENOTFOUND)
        return en_fail(e, rc, "External Task %llu does not exist", (unsigned long long)l->id);
    if (rc != BPMN_OK)
        return rc == BPMN_EIO ? en_fail(e, rc, "job %llu: damaged record", (unsigned long long)l->id)
                              : rc;
    int64_t now = en_now(e);
    if (l->worker) {
        rc = en_job_check_worker(e, l->id, &j, l->worker, "extended");
        if (rc == BPMN_OK && j.lock_until <= now)
            rc = en_fail(e, BPMN_ESTATE, "Cannot extend a lock that expired: External Task %llu "
                                         "was locked by worker '%s' until %lld",
                         (unsigned long long)l->id, j.worker, (long long)j.lock_until);
        if (rc == BPMN_OK)
            j.lock_until = l->duration > FL_TIME_MAX - now ? FL_TIME_MAX : now + l->duration;
    } else if (!j.worker && j.not_before <= now) {
        rc = en_fail(e, BPMN_ESTATE, "External Task %llu is not locked", (unsigned long long)l->id);
    } else {
        bm_free(e->a, (void *)j.worker);
        j.worker = NULL;
        j.lock_until = 0;
        j.not_before = 0;
    }
    if (rc == BPMN_OK)
        rc = en_job_write(e, l->id, &j);
    en_job_free(e->a, &j);
    return rc;
}

static int lock_op_run(bpmn_engine *e, const char *job, lock_op *l)
{
    e->err[0] = '\0';
    if (!job || en_parse_id(job, &l->id) != BPMN_OK)
        return en_fail(e, BPMN_ENOTFOUND, "'%s' is not an external task id", job ? job : "");
    return en_write(e, lock_txn, l);
}

int bpmn_job_extend_lock(bpmn_engine *e, const char *job, const char *worker,
                         long long duration_ms)
{
    if (!e)
        return BPMN_EINVAL;
    if (!worker || !*worker)
        return en_fail(e, BPMN_EINVAL, "extendLock: workerId is missing");
    if (duration_ms <= 0)
        return en_fail(e, BPMN_EINVAL, "extendLock: newDuration must be > 0");
    lock_op l = {0, worker, duration_ms};
    return lock_op_run(e, job, &l);
}

int bpmn_job_unlock(bpmn_engine *e, const char *job)
{
    if (!e)
        return BPMN_EINVAL;
    lock_op l = {0, NULL, 0};
    return lock_op_run(e, job, &l);
}
