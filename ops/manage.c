/*
 * manage.c - managing running instances: cancel (children follow), suspend and resume (a
 * suspended instance fires no timers and accepts no completion or message), fix variables and
 * retry an incident, migrate to another version, and list the deployed definitions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/reports.h"

typedef struct manage_job {
    uint64_t id;
    const char *user;     /* the acting user, recorded in history; NULL: the operator */
    int what;             /* M_CANCEL, ... */
    const char *vars;
    uint32_t version;
    const char *map;
    cJSON *v;             /* set-vars: vars parsed before the transaction begins */
} manage_job;

enum { M_CANCEL, M_SUSPEND, M_RESUME, M_SET_VARS, M_RETRY, M_MIGRATE };

/* Suspending holds an instance's timers aside (ST_INDEX 'H' + instance + timer key, with the
 * timer's value); resuming puts them back, due as before. */
static int hold_timers(bpmn_engine *e, en_inst *in, int hold)
{
    uint8_t p[9];
    p[0] = 'H';
    st_be64(p + 1, in->id);
    if (hold) {
        /* Walk the token index of every token (and token 0) for its timers. */
        for (uint32_t i = 0; i <= in->ntokens; i++) {
            uint32_t tok = i < in->ntokens ? in->tokens[i].id : 0;
            uint8_t tp[14];
            tp[0] = 'X';
            st_be64(tp + 1, in->id);
            for (int b = 0; b < 4; b++)
                tp[9 + b] = (uint8_t)(tok >> (24 - 8 * b));
            tp[13] = 'T';
            st_cursor *c = NULL;
            const void *k = NULL, *v;
            size_t kl = 0, vl;
            int rc = st_cursor_open(e->txn, ST_INDEX, &c);
            if (rc == BPMN_OK)
                rc = st_cursor_seek(c, tp, 14, &k, &kl, &v, &vl);
            while (rc == BPMN_OK && kl == 30 && memcmp(k, tp, 14) == 0) {
                uint8_t tkey[16], hk[25];
                memcpy(tkey, (const uint8_t *)k + 14, 16);
                const void *tv;
                size_t tvl;
                rc = st_get(e->txn, ST_TIMERS, tkey, 16, &tv, &tvl);
                if (rc == BPMN_OK) {
                    memcpy(hk, p, 9);
                    memcpy(hk + 9, tkey, 16);
                    uint8_t copy[1024];
                    if (tvl > sizeof copy) {
                        rc = BPMN_EIO;
                        break;
                    }
                    memcpy(copy, tv, tvl);
                    rc = st_put(e->txn, ST_INDEX, hk, 25, copy, tvl);
                    if (rc == BPMN_OK)
                        rc = st_del(e->txn, ST_TIMERS, tkey, 16);
                }
                if (rc == BPMN_OK)
                    rc = st_cursor_del(c);
                if (rc == BPMN_OK)
                    rc = st_cursor_seek(c, tp, 14, &k, &kl, &v, &vl);
            }
            st_cursor_close(c);
            if (rc != BPMN_OK && rc != BPMN_ENOTFOUND)
                return rc;
        }
        return BPMN_OK;
    }
    st_cursor *c = NULL;
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    int rc = st_cursor_open(e->txn, ST_INDEX, &c);
    if (rc == BPMN_OK)
        rc = st_cursor_seek(c, p, 9, &k, &kl, &v, &vl);
    while (rc == BPMN_OK && kl == 25 && memcmp(k, p, 9) == 0) {
        uint8_t tkey[16], copy[1024];
        memcpy(tkey, (const uint8_t *)k + 9, 16);
        if (vl > sizeof copy || vl < 13) {
            rc = BPMN_EIO;
            break;
        }
        memcpy(copy, v, vl);
        rc = st_put(e->txn, ST_TIMERS, tkey, 16, copy, vl);
        if (rc == BPMN_OK) {
            /* back into the token's index: 'X' instance token 'T' key */
            uint8_t ik[30];
            ik[0] = 'X';
            st_be64(ik + 1, in->id);
            memcpy(ik + 9, copy + 9, 4); /* the token id, as stored in the timer */
            ik[13] = 'T';
            memcpy(ik + 14, tkey, 16);
            rc = st_put(e->txn, ST_INDEX, ik, 30, "", 0);
        }
        if (rc == BPMN_OK)
            rc = st_cursor_del(c);
        if (rc == BPMN_OK)
            rc = st_cursor_seek(c, p, 9, &k, &kl, &v, &vl);
    }
    st_cursor_close(c);
    return rc == BPMN_ENOTFOUND ? BPMN_OK : rc;
}

static int job_retries_one(bpmn_engine *e, uint64_t id)
{
    en_job job;
    int rc = en_job_read(e, id, &job);
    if (rc != BPMN_OK)
        return rc;
    job.retries = 1;
    rc = en_job_write(e, id, &job);
    en_job_free(e->a, &job);
    return rc;
}

static int retry(bpmn_engine *e, en_inst *in, const char *user)
{
    if (in->state != EN_INCIDENT)
        return en_fail(e, BPMN_ESTATE, "instance %llu has no incident to retry",
                       (unsigned long long)in->id);
    const bg_graph *g = in->def->g;
    en_token *t = NULL;
    for (uint32_t i = 0; i < in->ntokens && !t; i++)
        if (g->nodes[in->tokens[i].node].id && in->incident_element &&
            strcmp(g->nodes[in->tokens[i].node].id, in->incident_element) == 0)
            t = &in->tokens[i];
    in->state = EN_ACTIVE;
    bm_free(e->a, in->incident_element);
    bm_free(e->a, in->incident_msg);
    in->incident_element = in->incident_msg = NULL;
    en_hist(e, in, EN_EV_INCIDENT_RESOLVED, t ? t->node : EN_NONE, 0, user, NULL);
    if (!t)
        return en_run(e, in);
    const bg_node *n = &g->nodes[t->node];
    if ((n->kind == BM_SERVICE_TASK || n->kind == BM_SEND_TASK || n->kind == BM_BUSINESS_RULE_TASK) &&
        t->ref)
        return job_retries_one(e, t->ref); /* the job is offered to workers again */
    /* Anything else runs its element again: a gateway looks at its conditions anew. */
    en_tok_ready(in, t);
    t->ref = 0;
    return en_run(e, in);
}

/* Points a job at its element in the version an instance migrates to: node, version and the
 * new element's job type; retries and the last failure stay. */
static int migrate_job(bpmn_engine *e, uint64_t id, uint32_t node, const en_def *to)
{
    en_job job;
    int rc = en_job_read(e, id, &job);
    if (rc != BPMN_OK)
        return rc;
    const char *type = job.type;
    job.node = node;
    job.type = to->job_type[node];
    job.version = to->version;
    rc = en_job_write(e, id, &job);
    job.type = type;
    en_job_free(e->a, &job);
    return rc;
}

/* Moves the instance to another version of its process, when every element it waits at has a
 * counterpart there (same id, or mapped old=new); otherwise refuses naming each one. */
static int migrate(bpmn_engine *e, en_inst *in, uint32_t version, const char *map,
                   const char *user)
{
    en_def *to = NULL;
    int rc = en_def_get(e, in->process, version, &to);
    if (rc != BPMN_OK)
        return rc;
    const bg_graph *g = in->def->g, *ng = to->g;
    char missing[2048] = "";
    size_t off = 0;
    int nmissing = 0;
    uint32_t *target = bm_alloc(e->a, NULL, (in->ntokens + in->nscopes + 1) * sizeof *target);
    if (!target)
        return BPMN_ENOMEM;
    for (uint32_t i = 0; i < in->ntokens + in->nscopes; i++) {
        uint32_t node = i < in->ntokens ? in->tokens[i].node : in->scopes[i - in->ntokens].node;
        target[i] = EN_NONE;
        if (node == EN_NONE || node >= g->nnodes)
            continue;
        const char *id = g->nodes[node].id ? g->nodes[node].id : "";
        char want[256];
        snprintf(want, sizeof want, "%s", id);
        for (const char *m = map; m && *m;) { /* "old=new,old2=new2" */
            const char *eq = strchr(m, '='), *end = strchr(m, ',');
            if (!end)
                end = m + strlen(m);
            if (eq && eq < end && (size_t)(eq - m) == strlen(id) && strncmp(m, id, strlen(id)) == 0)
                snprintf(want, sizeof want, "%.*s", (int)(end - eq - 1), eq + 1);
            m = *end ? end + 1 : end;
        }
        int32_t k = bg_find(ng, want);
        if (k < 0) {
            if (!strstr(missing, id) && off < sizeof missing)
                off += (size_t)snprintf(missing + off, sizeof missing - off, "%s'%s'",
                                        nmissing ? ", " : "", id);
            nmissing++;
        } else {
            target[i] = (uint32_t)k;
        }
    }
    if (nmissing) {
        bm_free(e->a, target);
        return en_fail(e, BPMN_ESTATE, "instance %llu cannot move to version %u: no counterpart for "
                                       "%s (map them with --map OLD=NEW)",
                       (unsigned long long)in->id, version, missing);
    }
    /* Timers and subscriptions refer to node numbers of the old graph: drop and arm anew. */
    for (uint32_t i = 0; rc == BPMN_OK && i <= in->ntokens; i++)
        rc = en_disarm(e, in, i < in->ntokens ? in->tokens[i].id : 0);
    for (uint32_t i = 0; rc == BPMN_OK && i < in->ntokens; i++) {
        en_token *t = &in->tokens[i];
        if (t->state == EN_T_WAIT && t->ref && g->nodes[t->node].kind == BM_USER_TASK) {
            en_task old, now;
            rc = en_task_read(e, t->ref, &old);
            if (rc == BPMN_OK) {
                now = old;
                now.node = target[i];
                now.version = version;
                rc = en_task_write(e, &now, &old);
                en_task_free(e, &old);
            }
        } else if (t->state == EN_T_WAIT && t->ref && to->job_type[target[i]]) {
            rc = migrate_job(e, t->ref, target[i], to);
        }
        t->node = target[i];
    }
    for (uint32_t s = 0; s < in->nscopes; s++)
        if (in->scopes[s].node != EN_NONE && target[in->ntokens + s] != EN_NONE)
            in->scopes[s].node = target[in->ntokens + s];
    bm_free(e->a, target);
    if (rc != BPMN_OK)
        return rc;
    in->def = to;
    in->version = version;
    en_hist(e, in, EN_EV_INSTANCE_MIGRATED, EN_NONE, 0, user, NULL);
    for (uint32_t i = 0; rc == BPMN_OK && i < in->ntokens; i++) {
        en_token *t = &in->tokens[i];
        const bg_node *n = &ng->nodes[t->node];
        if (t->state != EN_T_WAIT)
            continue;
        if (n->kind == BM_INTERMEDIATE_CATCH_EVENT || n->kind == BM_EVENT_BASED_GATEWAY ||
            n->kind == BM_RECEIVE_TASK)
            rc = en_arm_events(e, in, t->id);
        else if (n->nboundary && !(t->flags & EN_TF_INNER))
            rc = en_arm_boundaries(e, in, t->id);
    }
    for (uint32_t s = 0; rc == BPMN_OK && s < in->nscopes; s++)
        if (in->scopes[s].alive && (s == 0 || in->scopes[s].kind == EN_SC_SUB))
            rc = en_arm_event_subs(e, in, s);
    return rc;
}

static int manage_txn(bpmn_engine *e, void *ud)
{
    manage_job *j = ud;
    en_inst in;
    int rc = en_inst_load(e, j->id, &in);
    if (rc == BPMN_ENOTFOUND)
        return en_fail(e, rc, "instance %llu does not exist", (unsigned long long)j->id);
    if (rc != BPMN_OK)
        return rc;
    /* A finished instance is history: nothing may change it, not even its variables (an event
     * after instance_completed or instance_terminated would contradict the end). */
    static const char *const verbs[] = {"cancel", "suspend", "resume", "change the variables of",
                                        "retry", "migrate"};
    int finished = in.state == EN_COMPLETED || in.state == EN_TERMINATED;
    if (finished) {
        rc = en_fail(e, BPMN_ESTATE, "cannot %s instance %llu: it is %s", verbs[j->what],
                     (unsigned long long)j->id, en_state_name(in.state));
    } else if (in.suspended && j->what != M_RESUME && j->what != M_CANCEL && j->what != M_SET_VARS) {
        rc = en_fail(e, BPMN_ESTATE, "instance %llu is suspended; resume it first",
                     (unsigned long long)j->id);
    } else {
        switch (j->what) {
        case M_CANCEL:
            if (in.suspended)
                rc = hold_timers(e, &in, 0);
            if (rc == BPMN_OK)
                rc = en_terminate_scope(e, &in, 0);
            if (rc == BPMN_OK)
                rc = en_disarm(e, &in, 0);
            in.state = EN_TERMINATED;
            in.suspended = 0;
            in.ended = en_now(e);
            en_hist(e, &in, EN_EV_INSTANCE_TERMINATED, EN_NONE, 0, j->user, NULL);
            break;
        case M_SUSPEND:
        case M_RESUME:
            if ((j->what == M_SUSPEND) == (in.suspended != 0)) {
                rc = en_fail(e, BPMN_ESTATE, "instance %llu is %s suspended",
                             (unsigned long long)j->id, in.suspended ? "already" : "not");
                break;
            }
            rc = hold_timers(e, &in, j->what == M_SUSPEND);
            in.suspended = j->what == M_SUSPEND;
            en_hist(e, &in, j->what == M_SUSPEND ? EN_EV_INSTANCE_SUSPENDED : EN_EV_INSTANCE_RESUMED,
                    EN_NONE, 0, j->user, NULL);
            break;
        case M_SET_VARS:
            rc = en_merge_vars(&in, 0, j->v);
            if (rc == BPMN_OK)
                en_hist(e, &in, EN_EV_VARIABLES_UPDATED, EN_NONE, 0, j->user, j->v);
            /* Conditional events waiting on these variables are evaluated again now (not at
             * the next operation that happens to run the instance). */
            if (rc == BPMN_OK && !in.suspended && in.state == EN_ACTIVE) {
                in.vars_changed = 1;
                rc = en_run(e, &in);
            }
            break;
        case M_RETRY:
            rc = retry(e, &in, j->user);
            break;
        case M_MIGRATE:
            rc = migrate(e, &in, j->version, j->map, j->user);
            break;
        }
    }
    if (rc == BPMN_OK)
        rc = en_inst_save(e, &in);
    en_inst_free(e, &in);
    return rc;
}

static char *manage_answer(bpmn_engine *e, void *ud)
{
    return en_show_text(e, ((manage_job *)ud)->id);
}

static int manage(bpmn_engine *e, const char *instance, manage_job *j, char **json_out)
{
    if (!e || !instance || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    e->err[0] = '\0';
    if (en_parse_id(instance, &j->id) != BPMN_OK)
        return en_fail(e, BPMN_ENOTFOUND, "'%s' is not an instance id", instance);
    if (j->what == M_SET_VARS) {
        /* Read before the transaction: the writers do not wait for the parse. */
        int rc = en_json_vars(e, j->vars, &j->v);
        if (rc == BPMN_OK && !j->v)
            rc = en_fail(e, BPMN_EINVAL, "set-vars needs variables: a JSON object like "
                                         "{\"amount\": 120}");
        if (rc != BPMN_OK)
            return rc;
    }
    /* The answer is read in the transaction: a failure to make it changes nothing. */
    int rc = en_write_answer(e, manage_txn, j, manage_answer, json_out);
    cJSON_Delete(j->v);
    j->v = NULL;
    return rc;
}

static const char *user_of(const bpmn_actor *actor)
{
    return actor && actor->user && *actor->user ? actor->user : NULL;
}

int bpmn_instance_cancel(bpmn_engine *e, const char *instance, char **json_out)
{
    return bpmn_instance_cancel_as(e, instance, NULL, json_out);
}

int bpmn_instance_cancel_by(bpmn_engine *e, const char *instance, const char *user,
                            char **json_out)
{
    bpmn_actor a = {user, NULL};
    return bpmn_instance_cancel_as(e, instance, &a, json_out);
}

int bpmn_instance_cancel_as(bpmn_engine *e, const char *instance, const bpmn_actor *actor,
                            char **json_out)
{
    manage_job j = {0, user_of(actor), M_CANCEL, NULL, 0, NULL, NULL};
    return manage(e, instance, &j, json_out);
}

int bpmn_instance_suspend(bpmn_engine *e, const char *instance, char **json_out)
{
    return bpmn_instance_suspend_as(e, instance, NULL, json_out);
}

int bpmn_instance_suspend_as(bpmn_engine *e, const char *instance, const bpmn_actor *actor,
                             char **json_out)
{
    manage_job j = {0, user_of(actor), M_SUSPEND, NULL, 0, NULL, NULL};
    return manage(e, instance, &j, json_out);
}

int bpmn_instance_resume(bpmn_engine *e, const char *instance, char **json_out)
{
    return bpmn_instance_resume_as(e, instance, NULL, json_out);
}

int bpmn_instance_resume_as(bpmn_engine *e, const char *instance, const bpmn_actor *actor,
                            char **json_out)
{
    manage_job j = {0, user_of(actor), M_RESUME, NULL, 0, NULL, NULL};
    return manage(e, instance, &j, json_out);
}

int bpmn_instance_set_vars(bpmn_engine *e, const char *instance, const char *vars_json,
                           char **json_out)
{
    return bpmn_instance_set_vars_as(e, instance, NULL, vars_json, json_out);
}

int bpmn_instance_set_vars_as(bpmn_engine *e, const char *instance, const bpmn_actor *actor,
                              const char *vars_json, char **json_out)
{
    manage_job j = {0, user_of(actor), M_SET_VARS, vars_json, 0, NULL, NULL};
    return manage(e, instance, &j, json_out);
}

int bpmn_instance_retry(bpmn_engine *e, const char *instance, char **json_out)
{
    return bpmn_instance_retry_as(e, instance, NULL, json_out);
}

int bpmn_instance_retry_as(bpmn_engine *e, const char *instance, const bpmn_actor *actor,
                           char **json_out)
{
    manage_job j = {0, user_of(actor), M_RETRY, NULL, 0, NULL, NULL};
    return manage(e, instance, &j, json_out);
}

int bpmn_instance_migrate(bpmn_engine *e, const char *instance, unsigned version, const char *map,
                          char **json_out)
{
    return bpmn_instance_migrate_as(e, instance, NULL, version, map, json_out);
}

int bpmn_instance_migrate_as(bpmn_engine *e, const char *instance, const bpmn_actor *actor,
                             unsigned version, const char *map, char **json_out)
{
    manage_job j = {0, user_of(actor), M_MIGRATE, NULL, version, map, NULL};
    return manage(e, instance, &j, json_out);
}
