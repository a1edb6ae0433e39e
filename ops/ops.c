/*
 * ops.c - the engine's write operations: start an instance, complete a task, complete or fail a
 * job (as any worker, or as the worker holding its lock). Each loads what it needs, runs the
 * tokens and saves state, tasks, jobs and history in one transaction.
 */
#include <stdio.h>
#include <string.h>

#include "reports/reports.h"

/* Parses variables: NULL or a JSON object (en_json_vars). */
static int parse_vars(bpmn_engine *e, const char *json, cJSON **out)
{
    return en_json_vars(e, json, out);
}

static cJSON *result_obj(const char *key, uint64_t id, uint64_t instance, unsigned state)
{
    char buf[24];
    cJSON *o = cJSON_CreateObject();
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)id);
    if (!o || !cJSON_AddStringToObject(o, key, buf)) {
        cJSON_Delete(o);
        return NULL;
    }
    if (instance) {
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)instance);
        if (!cJSON_AddStringToObject(o, "instance", buf)) {
            cJSON_Delete(o);
            return NULL;
        }
    }
    if (!cJSON_AddStringToObject(o, "state", en_state_name(state))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* ---- start -------------------------------------------------------------------------------- */

typedef struct start_job {
    const char *process;
    unsigned version;
    const char *vars;
    const char *key;
    uint64_t id;
    unsigned state;
} start_job;

static int start_txn(bpmn_engine *e, void *ud)
{
    start_job *j = ud;
    uint32_t version = j->version;
    int rc = BPMN_OK;
    if (!version) {
        rc = en_def_latest(e, j->process, &version);
        if (rc == BPMN_ENOTFOUND)
            return en_fail(e, rc, "process '%s' is not deployed", j->process);
        if (rc != BPMN_OK)
            return rc;
    }
    en_def *d;
    rc = en_def_get(e, j->process, version, &d);
    if (rc != BPMN_OK)
        return rc;
    cJSON *vars;
    rc = parse_vars(e, j->vars, &vars);
    if (rc != BPMN_OK)
        return rc;
    /* The start event's form: the parameters an instance must be started with. */
    const bg_scope *sc = &d->g->scopes[0];
    for (uint32_t i = 0; rc == BPMN_OK && i < sc->nstarts; i++) {
        uint32_t n = d->g->starts[sc->starts + i];
        if (d->g->nodes[n].trigger != BG_EV_NONE || !d->form[n] || !d->form[n]->n)
            continue;
        if (!vars && !(vars = cJSON_CreateObject()))
            return BPMN_ENOMEM;
        char what[300];
        snprintf(what, sizeof what, "start of '%s'", j->process);
        rc = en_form_check(e, d->form[n], vars, what);
    }
    if (rc != BPMN_OK) {
        cJSON_Delete(vars);
        return rc;
    }
    en_inst in;
    rc = en_start_instance(e, d, vars, j->key, &in); /* takes vars */
    if (rc == BPMN_OK)
        rc = en_inst_save(e, &in);
    j->id = in.id;
    j->state = in.state;
    en_inst_free(e, &in);
    return rc;
}

static char *start_answer(bpmn_engine *e, void *ud)
{
    start_job *j = ud;
    return en_json_out(e, result_obj("instance", j->id, 0, j->state));
}

int bpmn_instance_start_as(bpmn_engine *e, const char *process, unsigned version,
                           const char *vars_json, const char *business_key,
                           const bpmn_actor *actor, char **json_out)
{
    if (!e || !process || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    start_job j = {process, version, vars_json, business_key, 0, 0};
    e->start_user = actor ? actor->user : NULL;
    int rc = en_write_answer(e, start_txn, &j, start_answer, json_out);
    e->start_user = NULL;
    return rc;
}

int bpmn_instance_start(bpmn_engine *e, const char *process, unsigned version,
                        const char *vars_json, const char *business_key, char **json_out)
{
    return bpmn_instance_start_as(e, process, version, vars_json, business_key, NULL, json_out);
}

/* ---- tasks and jobs ------------------------------------------------------------------------ */

typedef struct wait_ref {
    uint64_t instance;
    uint32_t token;
    uint32_t node;
} wait_ref;

/* Completing a task, or completing or failing a job: one transaction body for all of them.
 * A job's worker, when given, must hold its lock (en_job_check_worker). */
typedef struct finish_job {
    int is_task;
    const bpmn_actor *actor;
    uint64_t id;
    const char *vars;
    const char *local_vars; /* jobs: set in the task's own scope (Camunda's localVariables) */
    const char *worker;     /* jobs: the worker acting, or NULL for no check */
    /* job failure */
    int fail;
    const char *message, *details;
    int retries;
    long long retry_timeout; /* ms before the job may be fetched again; 0: at once */
    const char *code;
    uint64_t instance;
    unsigned state;
} finish_job;

/* Records a failure on the job: retries left, message and details, and when it may be fetched
 * again; the lock is released. *incident is set when no retries are left. */
static int update_job_failure(bpmn_engine *e, finish_job *j, en_job *job, int *incident)
{
    en_job upd = *job;
    upd.retries = j->retries >= 0 ? (uint32_t)j->retries : (job->retries ? job->retries - 1 : 0);
    upd.failure = j->message;
    upd.details = j->details ? j->details : job->details; /* Camunda keeps the old ones */
    upd.flags |= EN_JOB_FAILED;
    upd.worker = NULL;
    upd.lock_until = 0;
    upd.not_before = j->retry_timeout > 0 ? en_now(e) + j->retry_timeout : 0;
    *incident = upd.retries == 0;
    return en_job_write(e, j->id, &upd);
}

/* Sets variables in the scope itself, not where a variable of the name is found: a task's local
 * scope when it has input/output mappings, else the scope it runs in. */
static int set_local_vars(bpmn_engine *e, en_inst *in, const en_token *t, const cJSON *vars)
{
    if (!vars || !vars->child)
        return BPMN_OK;
    en_scope *sc = &in->scopes[en_eval_scope(t)];
    if (!sc->vars && !(sc->vars = cJSON_CreateObject()))
        return BPMN_ENOMEM;
    for (const cJSON *v = vars->child; v; v = v->next) {
        cJSON *copy = cJSON_Duplicate(v, 1);
        int ok = copy && (cJSON_GetObjectItemCaseSensitive(sc->vars, v->string)
                              ? cJSON_ReplaceItemInObjectCaseSensitive(sc->vars, v->string, copy)
                              : cJSON_AddItemToObject(sc->vars, v->string, copy));
        if (!ok) {
            cJSON_Delete(copy);
            return BPMN_ENOMEM;
        }
    }
    in->vars_changed = 1;
    en_hist(e, in, EN_EV_VARIABLES_UPDATED, t->node, 0, NULL, vars);
    return BPMN_OK;
}

/* Variables a worker sends with a BPMN error or a completion, set before the token moves. */
static int set_vars(bpmn_engine *e, en_inst *in, const en_token *t, const cJSON *vars)
{
    if (!vars || !vars->child)
        return BPMN_OK;
    int rc = en_merge_vars(in, en_eval_scope(t), vars);
    if (rc == BPMN_OK)
        en_hist(e, in, EN_EV_VARIABLES_UPDATED, t->node, 0, NULL, vars);
    return rc;
}

static int finish_txn(bpmn_engine *e, void *ud)
{
    finish_job *j = ud;
    const char *what = j->is_task ? "task" : "job";
    wait_ref w = {0, 0, 0};
    cJSON *extra = NULL;
    en_job job;
    memset(&job, 0, sizeof job);
    int rc;
    if (j->is_task) {
        en_task task;
        rc = en_task_read(e, j->id, &task);
        if (rc == BPMN_ENOTFOUND)
            return en_fail(e, rc, "task %llu does not exist or is already finished",
                           (unsigned long long)j->id);
        if (rc != BPMN_OK)
            return rc;
        w.instance = task.instance;
        w.token = task.token;
        w.node = task.node;
        rc = en_task_allowed(e, &task, j->actor, j->fail ? "report an error on" : "complete");
        int64_t now = en_now(e);
        extra = cJSON_CreateObject();
        if (rc == BPMN_OK && (!extra ||
                              !cJSON_AddNumberToObject(extra, "duration", (double)en_span(task.created, now)) ||
                              !cJSON_AddBoolToObject(extra, "late", task.due && now > task.due) ||
                              (task.due && !cJSON_AddNumberToObject(extra, "dueMs", (double)task.due))))
            rc = BPMN_ENOMEM;
        en_task_free(e, &task);
    } else {
        rc = en_job_read(e, j->id, &job);
        if (rc == BPMN_ENOTFOUND)
            return en_fail(e, rc, "job %llu does not exist or is already finished",
                           (unsigned long long)j->id);
        if (rc == BPMN_EIO)
            return en_fail(e, rc, "job %llu: damaged record", (unsigned long long)j->id);
        if (rc != BPMN_OK)
            return rc;
        w.instance = job.instance;
        w.token = job.token;
        w.node = job.node;
        rc = en_job_check_worker(e, j->id, &job, j->worker,
                                 !j->fail ? "completed"
                                 : j->code ? "reported a BPMN error" : "reported a failure");
    }
    cJSON *vars = NULL, *local = NULL;
    if (rc == BPMN_OK)
        rc = parse_vars(e, j->vars, &vars);
    if (rc == BPMN_OK)
        rc = parse_vars(e, j->local_vars, &local);
    en_inst in;
    if (rc == BPMN_OK)
        rc = en_inst_load(e, w.instance, &in);
    if (rc != BPMN_OK) {
        en_job_free(e->a, &job);
        cJSON_Delete(extra);
        cJSON_Delete(vars);
        cJSON_Delete(local);
        return rc;
    }
    /* A BPMN error leaves the task: its form's fields are not asked for. */
    if (j->is_task && !j->fail && in.def->form[w.node] && in.def->form[w.node]->n) {
        if (!vars && !(vars = cJSON_CreateObject()))
            rc = BPMN_ENOMEM;
        char what_buf[64];
        snprintf(what_buf, sizeof what_buf, "task %llu", (unsigned long long)j->id);
        if (rc == BPMN_OK)
            rc = en_form_check(e, in.def->form[w.node], vars, what_buf);
        if (rc != BPMN_OK) {
            en_inst_free(e, &in);
            cJSON_Delete(extra);
            cJSON_Delete(vars);
            cJSON_Delete(local);
            return rc;
        }
    }
    en_token *t = en_token_find(&in, w.token);
    if (in.suspended) {
        rc = en_fail(e, BPMN_ESTATE, "instance %llu is suspended; resume it first",
                     (unsigned long long)in.id);
    } else if (!t || t->ref != j->id) {
        rc = en_fail(e, BPMN_ESTATE, "%s %llu no longer belongs to a waiting token of instance "
                                     "%llu", what, (unsigned long long)j->id,
                     (unsigned long long)w.instance);
    } else if (j->fail && !j->code) {
        cJSON *info = cJSON_CreateObject();
        if (info && j->message)
            cJSON_AddStringToObject(info, "message", j->message);
        en_hist(e, &in, EN_EV_JOB_FAILED, w.node, j->id, NULL, info);
        cJSON_Delete(info);
        int incident = 0;
        rc = update_job_failure(e, j, &job, &incident);
        if (rc == BPMN_OK && incident) {
            char msg[600];
            snprintf(msg, sizeof msg, "job %llu failed with no retries left: %s",
                     (unsigned long long)j->id, j->message ? j->message : "");
            rc = en_token_incident(e, &in, w.token, msg);
        }
    } else {
        rc = j->is_task ? en_task_del(e, j->id) : en_job_del(e, j->id);
        if (rc == BPMN_OK && j->fail) {
            if (!j->is_task)
                en_hist(e, &in, EN_EV_JOB_FAILED, w.node, j->id, NULL, NULL);
            rc = set_vars(e, &in, t, vars);
            if (rc == BPMN_OK)
                rc = en_token_throw(e, &in, w.token, j->code, j->message);
            if (rc == BPMN_OK)
                rc = en_run(e, &in);
        } else if (rc == BPMN_OK) {
            en_hist_x(e, &in, j->is_task ? EN_EV_TASK_COMPLETED : EN_EV_JOB_COMPLETED, w.node, j->id,
                      j->actor ? j->actor->user : NULL, NULL, extra);
            /* Camunda sets the variables, then the local ones. */
            rc = set_vars(e, &in, t, vars);
            if (rc == BPMN_OK)
                rc = set_local_vars(e, &in, t, local);
            if (rc == BPMN_OK)
                rc = en_token_resume(e, &in, w.token, NULL);
        }
    }
    if (rc == BPMN_OK)
        rc = en_inst_save(e, &in);
    j->instance = in.id;
    j->state = in.state;
    en_inst_free(e, &in);
    en_job_free(e->a, &job);
    cJSON_Delete(vars);
    cJSON_Delete(local);
    cJSON_Delete(extra);
    return rc;
}

static char *finish_answer(bpmn_engine *e, void *ud)
{
    finish_job *j = ud;
    return en_json_out(e, result_obj(j->is_task ? "task" : "job", j->id, j->instance, j->state));
}

static int finish(bpmn_engine *e, finish_job *j, const char *id, char **json_out)
{
    if (!e || !id || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    e->err[0] = '\0';
    if (en_parse_id(id, &j->id) != BPMN_OK)
        return en_fail(e, BPMN_ENOTFOUND, "'%s' is not a %s id", id, j->is_task ? "task" : "job");
    if (j->worker && !*j->worker)
        return en_fail(e, BPMN_EINVAL, "workerId is empty");
    return en_write_answer(e, finish_txn, j, finish_answer, json_out);
}

int bpmn_task_complete_as(bpmn_engine *e, const char *task, const bpmn_actor *actor,
                          const char *vars_json, char **json_out)
{
    finish_job j = {.is_task = 1, .actor = actor, .vars = vars_json, .retries = -1};
    return finish(e, &j, task, json_out);
}

int bpmn_task_error(bpmn_engine *e, const char *task, const bpmn_actor *actor,
                    const char *error_code, const char *error_message, const char *vars_json,
                    char **json_out)
{
    if (!error_code || !*error_code) {
        if (e)
            en_fail(e, BPMN_EINVAL, "a BPMN error needs an error code");
        return BPMN_EINVAL;
    }
    finish_job j = {.is_task = 1, .actor = actor, .vars = vars_json, .retries = -1, .fail = 1,
                    .code = error_code, .message = error_message};
    return finish(e, &j, task, json_out);
}

int bpmn_task_complete(bpmn_engine *e, const char *task, const char *vars_json, char **json_out)
{
    return bpmn_task_complete_as(e, task, NULL, vars_json, json_out);
}

int bpmn_job_complete_by(bpmn_engine *e, const char *job, const char *worker,
                         const char *vars_json, const char *local_vars_json, char **json_out)
{
    finish_job j = {.worker = worker, .vars = vars_json, .local_vars = local_vars_json,
                    .retries = -1};
    return finish(e, &j, job, json_out);
}

int bpmn_job_complete(bpmn_engine *e, const char *job, const char *vars_json, char **json_out)
{
    return bpmn_job_complete_by(e, job, NULL, vars_json, NULL, json_out);
}

int bpmn_job_fail_by(bpmn_engine *e, const char *job, const char *worker, const char *message,
                     const char *details, int retries, long long retry_timeout_ms,
                     char **json_out)
{
    if (e && retry_timeout_ms < 0)
        return en_fail(e, BPMN_EINVAL, "retryTimeout must not be negative");
    finish_job j = {.worker = worker, .fail = 1, .message = message, .details = details,
                    .retries = retries, .retry_timeout = retry_timeout_ms};
    return finish(e, &j, job, json_out);
}

int bpmn_job_bpmn_error_by(bpmn_engine *e, const char *job, const char *worker,
                           const char *error_code, const char *error_message,
                           const char *vars_json, char **json_out)
{
    if (e && (!error_code || !*error_code))
        return en_fail(e, BPMN_EINVAL, "errorCode is missing");
    finish_job j = {.worker = worker, .fail = 1, .message = error_message, .vars = vars_json,
                    .retries = -1, .code = error_code};
    return finish(e, &j, job, json_out);
}

int bpmn_job_fail(bpmn_engine *e, const char *job, const char *message, int retries,
                  const char *error_code, char **json_out)
{
    if (error_code && *error_code)
        return bpmn_job_bpmn_error_by(e, job, NULL, error_code, message, NULL, json_out);
    return bpmn_job_fail_by(e, job, NULL, message, NULL, retries, 0, json_out);
}

/* ---- claim and unclaim -------------------------------------------------------------------- */

typedef struct claim_job {
    uint64_t id;
    const bpmn_actor *actor;
    int claim;
    cJSON *result;
} claim_job;

static int claim_txn(bpmn_engine *e, void *ud)
{
    claim_job *j = ud;
    const char *what = j->claim ? "claim" : "unclaim";
    en_task old, now;
    int rc = en_task_read(e, j->id, &old);
    if (rc == BPMN_ENOTFOUND)
        return en_fail(e, rc, "task %llu does not exist or is already finished",
                       (unsigned long long)j->id);
    if (rc != BPMN_OK)
        return rc;
    now = old;
    char *assignee = NULL;
    int changed = 0;
    if (j->claim) {
        rc = en_task_allowed(e, &old, j->actor, what);
        changed = rc == BPMN_OK && (!old.assignee || strcmp(old.assignee, j->actor->user) != 0);
        if (changed && !(assignee = en_strdup(e->a, j->actor->user)))
            rc = BPMN_ENOMEM;
    } else if (j->actor && (!old.assignee || !j->actor->user ||
                            strcmp(old.assignee, j->actor->user) != 0)) {
        rc = en_fail(e, BPMN_EDENIED, "unclaim task %llu: only its assignee (%s) or an operator "
                                      "may release it", (unsigned long long)j->id,
                     old.assignee ? old.assignee : "none");
    } else {
        changed = old.assignee != NULL;
    }
    if (rc == BPMN_OK && changed) {
        now.assignee = assignee;
        rc = en_task_write(e, &now, &old);
        if (rc == BPMN_OK) {
            en_inst stub;
            memset(&stub, 0, sizeof stub);
            stub.id = old.instance;
            stub.process = old.process;
            stub.version = old.version;
            en_hist(e, &stub, j->claim ? EN_EV_TASK_CLAIMED : EN_EV_TASK_UNCLAIMED, old.node,
                    old.id, j->actor ? j->actor->user : NULL, NULL);
        }
    }
    cJSON_Delete(j->result);
    j->result = NULL;
    if (rc == BPMN_OK && !(j->result = en_task_json(e, changed ? &now : &old)))
        rc = BPMN_ENOMEM;
    bm_free(e->a, assignee);
    en_task_free(e, &old);
    return rc;
}

static char *claim_answer(bpmn_engine *e, void *ud)
{
    claim_job *j = ud;
    char *s = en_json_out(e, j->result); /* deletes it */
    j->result = NULL;
    return s;
}

static int claim_op(bpmn_engine *e, const char *task, const bpmn_actor *actor, int claim,
                    char **json_out)
{
    if (!e || !task || !json_out || (claim && (!actor || !actor->user || !*actor->user)))
        return e ? en_fail(e, BPMN_EINVAL, "claim needs the user who claims") : BPMN_EINVAL;
    *json_out = NULL;
    claim_job j = {0, actor, claim, NULL};
    if (en_parse_id(task, &j.id) != BPMN_OK)
        return en_fail(e, BPMN_ENOTFOUND, "'%s' is not a task id", task);
    int rc = en_write_answer(e, claim_txn, &j, claim_answer, json_out);
    cJSON_Delete(j.result);
    return rc;
}

int bpmn_task_claim(bpmn_engine *e, const char *task, const bpmn_actor *actor, char **json_out)
{
    return claim_op(e, task, actor, 1, json_out);
}

int bpmn_task_unclaim(bpmn_engine *e, const char *task, const bpmn_actor *actor, char **json_out)
{
    return claim_op(e, task, actor, 0, json_out);
}
