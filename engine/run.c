/*
 * run.c - moving tokens through the graph until each one waits or ends. Element behaviours live
 * in enter(); gateways decide which flows to take; scopes complete when their last token ends;
 * errors travel up the scope chain to the nearest matching boundary event.
 *
 * Tokens, scopes and variables are kept in tokens.c; gateways and the choice of outgoing
 * flows are in gateways.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/run_int.h"

/* ---- tasks and jobs ----------------------------------------------------------------------- */

int en_eval_json(bpmn_engine *e, en_inst *in, uint32_t scope, const ex_expr *x, cJSON **out,
                 char *err, size_t errcap)
{
    en_var_env v = {in, scope};
    ex_env env = en_env_for(e, &v);
    return ex_eval_max(x, &env, e->lim.expr_steps, out, err, errcap);
}

int en_eval_text(bpmn_engine *e, en_inst *in, uint32_t scope, const ex_expr *x, char **out,
                 char *err, size_t errcap)
{
    *out = NULL;
    if (!x)
        return BPMN_OK;
    cJSON *r = NULL;
    int rc = en_eval_json(e, in, scope, x, &r, err, errcap);
    if (rc != BPMN_OK)
        return rc;
    char buf[1024];
    size_t off = 0;
    buf[0] = '\0';
    if (cJSON_IsString(r)) {
        snprintf(buf, sizeof buf, "%s", r->valuestring);
    } else if (cJSON_IsArray(r)) {
        for (cJSON *i = r->child; i; i = i->next)
            if (cJSON_IsString(i) && off < sizeof buf)
                off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s", off ? "," : "",
                                        i->valuestring);
    } else if (cJSON_IsNumber(r)) {
        snprintf(buf, sizeof buf, "%.17g", r->valuedouble);
    } else if (!cJSON_IsNull(r)) {
        cJSON_Delete(r);
        snprintf(err, errcap, "did not evaluate to a string or a list of strings");
        return BPMN_EINVAL;
    }
    cJSON_Delete(r);
    if (buf[0] && !(*out = en_strdup(e->a, buf)))
        return BPMN_ENOMEM;
    return BPMN_OK;
}

int en_leave(bpmn_engine *e, en_inst *in, uint32_t token_id, int gateway_all);

/* Every variable visible from a scope, inner scopes shadowing outer ones. */
static cJSON *visible_vars(const en_inst *in, uint32_t scope)
{
    cJSON *all = cJSON_CreateObject();
    for (uint32_t s = scope; all && s != EN_NONE; s = in->scopes[s].parent) {
        for (const cJSON *v = in->scopes[s].vars ? in->scopes[s].vars->child : NULL; v; v = v->next) {
            if (cJSON_GetObjectItemCaseSensitive(all, v->string))
                continue;
            cJSON *c = cJSON_Duplicate(v, 1);
            if (!c || !cJSON_AddItemToObject(all, v->string, c)) {
                cJSON_Delete(c);
                cJSON_Delete(all);
                return NULL;
            }
        }
    }
    return all;
}

/* Runs an in-process handler for a new job. Returns BPMN_OK when the handler settled the job
 * (completed or threw), or *fallback = 1 with a failure message when the job must be stored
 * for an external worker. */
static int run_handler(bpmn_engine *e, en_inst *in, uint32_t token_id, const en_handler *h,
                       uint64_t id, int *fallback, char *msg, size_t msgcap)
{
    en_token *t = en_token_find(in, token_id);
    uint32_t node = t->node;
    cJSON *vars = visible_vars(in, en_eval_scope(t));
    char *vjson = vars ? en_json_print(vars) : NULL;
    cJSON_Delete(vars);
    if (!vjson)
        return BPMN_ENOMEM;
    char ids[2][24];
    snprintf(ids[0], sizeof ids[0], "%llu", (unsigned long long)id);
    snprintf(ids[1], sizeof ids[1], "%llu", (unsigned long long)in->id);
    const bg_node *n = &in->def->g->nodes[node];
    bpmn_job_info info = {ids[0], ids[1], n->id ? n->id : "", h->type, vjson,
                          in->def->job_retries[node]};
    bpmn_job_result res = {NULL, NULL, NULL};
    int hrc = h->fn(h->ud, &info, &res);
    cJSON_free(vjson);
    int rc = BPMN_OK;
    en_hist(e, in, EN_EV_JOB_CREATED, node, id, NULL, NULL);
    if (hrc != BPMN_OK) {
        *fallback = 1;
        snprintf(msg, msgcap, "in-process handler failed: %s", bpmn_strerror(hrc));
    } else if (res.code) {
        en_hist(e, in, EN_EV_JOB_FAILED, node, id, NULL, NULL);
        rc = en_token_throw(e, in, token_id, res.code, res.message);
    } else {
        en_hist(e, in, EN_EV_JOB_COMPLETED, node, id, NULL, NULL);
        if (res.vars && res.vars->child) {
            rc = en_merge_vars(in, en_eval_scope(t), res.vars);
            if (rc == BPMN_OK)
                en_hist(e, in, EN_EV_VARIABLES_UPDATED, node, 0, NULL, res.vars);
        }
        if (rc == BPMN_OK)
            rc = en_leave(e, in, token_id, 0);
    }
    cJSON_Delete(res.vars);
    free(res.code);
    free(res.message);
    return rc;
}

/* The elements that become jobs: service-like tasks, and message events with a job definition
 * (their node_expr holds nothing else). */
static int n_is_job(bm_kind k)
{
    return k == BM_SERVICE_TASK || k == BM_SEND_TASK || k == BM_BUSINESS_RULE_TASK ||
           k == BM_INTERMEDIATE_THROW_EVENT || k == BM_END_EVENT;
}

static int create_job(bpmn_engine *e, en_inst *in, en_token *t)
{
    uint64_t id;
    int rc = en_next_id(e, "id", &id);
    if (rc != BPMN_OK)
        return rc;
    uint32_t retries = in->def->job_retries[t->node];
    char failure[256] = "";
    /* The job type: as written, or evaluated when written as an expression (Zeebe's
     * type="=..."); an evaluation that fails is an incident at the task. */
    const char *type = in->def->job_type[t->node];
    char *evaluated = NULL;
    const ex_expr *tx = in->def->node_expr[t->node];
    if (tx && (n_is_job(in->def->g->nodes[t->node].kind))) {
        char err[256];
        rc = en_eval_text(e, in, t->scope, tx, &evaluated, err, sizeof err);
        if (rc == BPMN_EINVAL || (rc == BPMN_OK && (!evaluated || !*evaluated))) {
            bm_free(e->a, evaluated);
            char msg[400];
            snprintf(msg, sizeof msg, "job type: %s", rc == BPMN_OK ? "evaluated to nothing" : err);
            return en_token_incident(e, in, t->id, msg);
        }
        if (rc != BPMN_OK)
            return rc;
        type = evaluated;
    }
    const en_handler *h = e->nhandlers ? en_handler_for(e, type) : NULL;
    if (h) {
        int fallback = 0;
        uint32_t token_id = t->id;
        rc = run_handler(e, in, token_id, h, id, &fallback, failure, sizeof failure);
        if (rc != BPMN_OK || !fallback) {
            bm_free(e->a, evaluated);
            return rc;
        }
        t = en_token_find(in, token_id);
        retries = retries ? retries - 1 : 0;
    }
    en_job job = {.instance = in->id, .token = t->id, .node = t->node,
                  .type = type, .retries = retries,
                  .failure = failure[0] ? failure : NULL, .process = in->process,
                  .version = in->version, .flags = failure[0] ? EN_JOB_FAILED : 0,
                  .priority = en_job_priority(in->def, t->node)};
    rc = en_job_write(e, id, &job);
    bm_free(e->a, evaluated);
    if (rc != BPMN_OK)
        return rc;
    t->state = EN_T_WAIT;
    t->ref = id;
    if (!h)
        en_hist(e, in, EN_EV_JOB_CREATED, t->node, id, NULL, NULL);
    if (h && retries == 0)
        return en_token_incident(e, in, t->id, failure);
    return BPMN_OK;
}

/* A mapping target with dots (Zeebe's "customer.address.city"): the variable named by the first
 * part, a copy of its current value (an object, else a new one) with value set at the rest of
 * the path, objects made on the way. Takes value; NULL when memory runs out. */
static cJSON *nested_target(const cJSON *current, const char *path, cJSON *value)
{
    cJSON *root = cJSON_IsObject(current) ? cJSON_Duplicate(current, 1) : cJSON_CreateObject();
    cJSON *at = root;
    const char *p = path;
    while (at) {
        const char *dot = strchr(p, '.');
        char key[256];
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        snprintf(key, sizeof key, "%.*s", (int)(n < sizeof key - 1 ? n : sizeof key - 1), p);
        if (!dot) {
            cJSON_DeleteItemFromObjectCaseSensitive(at, key);
            if (!cJSON_AddItemToObject(at, key, value))
                break;
            return root;
        }
        cJSON *next = cJSON_GetObjectItemCaseSensitive(at, key);
        if (!cJSON_IsObject(next)) {
            cJSON_DeleteItemFromObjectCaseSensitive(at, key);
            next = cJSON_AddObjectToObject(at, key);
        }
        at = next;
        p = dot + 1;
    }
    cJSON_Delete(root);
    cJSON_Delete(value);
    return NULL;
}

/* Applies mappings: each source is evaluated from scope `from` and written to `to`, as a local
 * variable of `to` (inputs) or through set_var from `to` outward (outputs). */
static int apply_mappings(bpmn_engine *e, en_inst *in, uint32_t node, const en_mapping *m,
                          uint32_t n, uint32_t from, uint32_t to, int local)
{
    for (uint32_t i = 0; i < n; i++) {
        en_var_env v = {in, from};
        ex_env env = en_env_for(e, &v);
        cJSON *r = NULL;
        char err[256] = "the expression could not be compiled";
        int rc = m[i].source ? ex_eval_max(m[i].source, &env, e->lim.expr_steps, &r, err, sizeof err) : BPMN_EINVAL;
        if (rc == BPMN_ENOMEM)
            return rc;
        if (rc != BPMN_OK) {
            char msg[400];
            snprintf(msg, sizeof msg, "variable mapping '%s' failed: %s", m[i].target, err);
            return en_fail(e, BPMN_EINVAL, "%s", msg);
        }
        const char *target = m[i].target;
        const char *dot = strchr(target, '.');
        char head[256];
        if (dot && dot > target && dot[1]) {
            snprintf(head, sizeof head, "%.*s", (int)(dot - target < 255 ? dot - target : 255),
                     target);
            en_var_env tv = {in, to};
            ex_env tenv = en_env_for(e, &tv);
            const cJSON *cur = local ? (in->scopes[to].vars ? cJSON_GetObjectItemCaseSensitive(
                                                                 in->scopes[to].vars, head)
                                                           : NULL)
                                     : tenv.lookup(tenv.ud, head);
            if (!(r = nested_target(cur, dot + 1, r)))
                return BPMN_ENOMEM;
            target = head;
        }
        if (local) {
            en_scope *s = &in->scopes[to];
            if (!s->vars && !(s->vars = cJSON_CreateObject())) {
                cJSON_Delete(r);
                return BPMN_ENOMEM;
            }
            cJSON_DeleteItemFromObjectCaseSensitive(s->vars, target);
            if (!cJSON_AddItemToObject(s->vars, target, r)) {
                cJSON_Delete(r);
                return BPMN_ENOMEM;
            }
        } else if ((rc = en_set_var(in, to, target, r)) != BPMN_OK) {
            return rc;
        }
    }
    (void)node;
    return BPMN_OK;
}

int en_task_io_enter(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    const en_io *io = &in->def->io[t->node];
    if ((!io->nin && !io->nout) || t->local != EN_NONE)
        return BPMN_OK;
    uint32_t parent = t->scope, node = t->node, local;
    int rc = en_scope_new(e, in, node, parent, token_id, &local);
    if (rc != BPMN_OK)
        return rc;
    in->scopes[local].kind = EN_SC_LOCAL;
    rc = apply_mappings(e, in, node, io->in, io->nin, parent, local, 1);
    t = en_token_find(in, token_id);
    t->local = local;
    if (rc == BPMN_EINVAL) {
        rc = en_token_incident(e, in, token_id, e->err);
        e->err[0] = '\0';
    }
    return rc;
}

int en_task_io_leave(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    if (t->local == EN_NONE)
        return BPMN_OK;
    uint32_t local = t->local, node = t->node;
    const en_io *io = &in->def->io[node];
    int rc = apply_mappings(e, in, node, io->out, io->nout, local, t->scope, 0);
    t = en_token_find(in, token_id);
    in->scopes[local].alive = 0;
    t->local = EN_NONE;
    if (rc == BPMN_EINVAL) {
        rc = en_token_incident(e, in, token_id, e->err);
        e->err[0] = '\0';
        return rc == BPMN_OK ? BPMN_EINVAL : rc; /* stops the leave: the token waits here */
    }
    return rc;
}

int en_scope_done(bpmn_engine *e, en_inst *in, uint32_t scope)
{
    for (uint32_t k = 0; k < in->ntokens; k++)
        if (in->tokens[k].scope == scope)
            return BPMN_OK;
    if (scope == 0) {
        int rc = en_disarm(e, in, 0);
        if (rc != BPMN_OK)
            return rc;
        if (in->state == EN_ACTIVE) {
            in->state = EN_COMPLETED;
            in->ended = en_now(e);
            cJSON *x = cJSON_CreateObject();
            if (x)
                cJSON_AddNumberToObject(x, "duration", (double)en_span(in->started, in->ended));
            en_hist_x(e, in, EN_EV_INSTANCE_COMPLETED, EN_NONE, 0, NULL, NULL, x);
            cJSON_Delete(x);
            if (in->parent)
                return en_child_completed(e, in);
        }
        return BPMN_OK;
    }
    en_scope *s = &in->scopes[scope];
    if (s->kind != EN_SC_SUB)
        return BPMN_OK; /* multi-instance bodies and iterations end through loop.c */
    const en_io *io = &in->def->io[s->node];
    uint32_t owner_id = s->token, parent = s->parent;
    if (io->nout) {
        int rc = apply_mappings(e, in, s->node, io->out, io->nout, scope, parent, 0);
        if (rc == BPMN_EINVAL) {
            rc = en_token_incident(e, in, owner_id, e->err);
            e->err[0] = '\0';
            return rc;
        }
        if (rc != BPMN_OK)
            return rc;
    }
    in->scopes[scope].alive = 0;
    en_token *owner = en_token_find(in, owner_id);
    if (!owner)
        return BPMN_OK;
    en_tok_ready(in, owner);
    return en_leave(e, in, owner->id, 0);
}

static int start_scope(bpmn_engine *e, en_inst *in, uint32_t scope_idx, const bg_scope *sc)
{
    const bg_graph *g = in->def->g;
    uint32_t started = 0;
    if (sc->nevent_subs) {
        int rc = en_arm_event_subs(e, in, scope_idx);
        if (rc != BPMN_OK)
            return rc;
    }
    for (uint32_t i = 0; i < sc->nstarts; i++) {
        uint32_t n = g->starts[sc->starts + i];
        if (g->nodes[n].kind == BM_START_EVENT && g->nodes[n].trigger != BG_EV_NONE)
            continue; /* event starts wait for their trigger */
        if (!en_tok_new(e, in, n, scope_idx, EN_NONE))
            return BPMN_ENOMEM;
        started++;
    }
    return started ? BPMN_OK : en_scope_done(e, in, scope_idx);
}

/* Where an error goes: the nearest boundary event catching its code on the activity that threw
 * it or on an enclosing sub-process. Uncaught, it is an incident at the thrower. */
int en_token_throw(bpmn_engine *e, en_inst *in, uint32_t token_id, const char *code,
                   const char *msg)
{
    const bg_graph *g = in->def->g;
    en_token *t = en_token_find(in, token_id);
    uint32_t node = t->node, scope = t->scope, holder = token_id;
    cJSON *info = cJSON_CreateObject();
    if (!info || !cJSON_AddStringToObject(info, "code", code ? code : "") ||
        (msg && !cJSON_AddStringToObject(info, "message", msg))) {
        cJSON_Delete(info);
        return BPMN_ENOMEM;
    }
    en_hist(e, in, EN_EV_ERROR_THROWN, node, 0, NULL, info);
    cJSON_Delete(info);
    for (;;) {
        const bg_node *n = &g->nodes[node];
        en_token *ht = en_token_find(in, holder);
        if (ht && (ht->flags & EN_TF_INNER)) {
            /* An iteration of a multi-instance activity: its boundary events belong to the
             * whole body, held by the body token in the enclosing scope. */
            uint32_t body = in->scopes[ht->scope].parent;
            holder = in->scopes[body].token;
            scope = in->scopes[body].parent;
        }
        for (uint32_t i = 0; i < n->nboundary; i++) {
            uint32_t b = g->boundary[n->boundary + i];
            const bg_node *bn = &g->nodes[b];
            if (bn->trigger != BG_EV_ERROR)
                continue;
            if (bn->event_ref && (!code || strcmp(bn->event_ref, code) != 0))
                continue;
            en_token *h = en_token_find(in, holder);
            uint32_t hscope = h->scope;
            int rc = en_cancel_token(e, in, holder);
            if (rc != BPMN_OK)
                return rc;
            en_token *nt = en_tok_new(e, in, b, hscope, EN_NONE);
            if (!nt)
                return BPMN_ENOMEM;
            en_hist(e, in, EN_EV_ELEMENT_ACTIVATED, b, 0, NULL, NULL);
            return en_leave(e, in, nt->id, 0);
        }
        int caught = 0;
        int rc = en_event_sub_catch(e, in, scope, BG_EV_ERROR, code, &caught);
        if (rc != BPMN_OK || caught)
            return rc;
        if (scope == 0)
            break;
        node = in->scopes[scope].node;
        holder = in->scopes[scope].token;
        scope = in->scopes[scope].parent;
    }
    if (in->parent) {
        /* Not caught in a called process: it ends, and the error goes to its call activity. */
        int handled = 0;
        int rc = en_child_error(e, in, code, msg, &handled);
        if (rc != BPMN_OK)
            return rc;
        if (handled) {
            rc = en_terminate_scope(e, in, 0);
            if (rc == BPMN_OK)
                rc = en_disarm(e, in, 0);
            in->state = EN_TERMINATED;
            in->ended = en_now(e);
            en_hist(e, in, EN_EV_INSTANCE_TERMINATED, EN_NONE, 0, NULL, NULL);
            return rc;
        }
    }
    char m[512];
    snprintf(m, sizeof m, "error '%s' was not caught%s%s", code ? code : "", msg ? ": " : "",
             msg ? msg : "");
    return en_token_incident(e, in, token_id, m);
}

static int run_script(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    const ex_expr *x = in->def->node_expr[t->node];
    if (!x)
        return en_leave(e, in, token_id, 0);
    en_var_env v = {in, en_eval_scope(t)};
    ex_env env = en_env_for(e, &v);
    cJSON *r = NULL;
    char err[256];
    int rc = ex_eval_max(x, &env, e->lim.expr_steps, &r, err, sizeof err);
    if (rc == BPMN_ENOMEM)
        return rc;
    if (rc != BPMN_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "script failed: %s", err);
        return en_token_incident(e, in, token_id, msg);
    }
    const char *name = in->def->result_var[t->node];
    if (name) {
        cJSON *vars = cJSON_CreateObject();
        if (!vars || !cJSON_AddItemToObject(vars, name, r)) {
            cJSON_Delete(vars);
            cJSON_Delete(r);
            return BPMN_ENOMEM;
        }
        rc = en_merge_vars(in, en_eval_scope(t), vars);
        if (rc == BPMN_OK)
            en_hist(e, in, EN_EV_VARIABLES_UPDATED, t->node, 0, NULL, vars);
        cJSON_Delete(vars);
        if (rc != BPMN_OK)
            return rc;
    } else {
        cJSON_Delete(r);
    }
    return en_leave(e, in, token_id, 0);
}

/* A link throw event jumps to the catch event of the same name in the same scope. */
static int jump_link(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    const bg_graph *g = in->def->g;
    const bg_node *n = &g->nodes[t->node];
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const bg_node *c = &g->nodes[i];
        if (c->kind == BM_INTERMEDIATE_CATCH_EVENT && c->trigger == BG_EV_LINK &&
            c->scope == n->scope && c->event_ref && n->event_ref &&
            strcmp(c->event_ref, n->event_ref) == 0) {
            en_hist_done(e, in, t);
            t->node = i;
            t->since = en_now(e);
            en_hist(e, in, EN_EV_ELEMENT_ACTIVATED, i, 0, NULL, NULL);
            return en_leave(e, in, token_id, 0);
        }
    }
    char msg[300];
    snprintf(msg, sizeof msg, "no link catch event named '%s' in this scope",
             n->event_ref ? n->event_ref : "");
    return en_token_incident(e, in, token_id, msg);
}

/* A READY token enters its node. */
/* flowable:/activiti:skipExpression, as Flowable runs it: only while the variable
 * _FLOWABLE_SKIP_EXPRESSION_ENABLED (or _ACTIVITI_...) is true, an activity whose expression is
 * true is passed over: it completes at once, without running. An expression that fails is an
 * incident. *skip is 1 when the token has moved on. */
static int skipped(bpmn_engine *e, en_inst *in, en_token *t, int *skip)
{
    *skip = 0;
    en_var_env v = {in, t->scope};
    ex_env env = en_env_for(e, &v);
    const cJSON *on = env.lookup(env.ud, "_FLOWABLE_SKIP_EXPRESSION_ENABLED");
    if (!cJSON_IsTrue(on))
        on = env.lookup(env.ud, "_ACTIVITI_SKIP_EXPRESSION_ENABLED");
    if (!cJSON_IsTrue(on))
        return BPMN_OK;
    int truth = 0;
    char err[256];
    uint32_t token_id = t->id;
    int rc = ex_eval_bool_max(in->def->skip[t->node], &env, e->lim.expr_steps, &truth, err,
                              sizeof err);
    if (rc == BPMN_ENOMEM)
        return rc;
    if (rc != BPMN_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "skipExpression failed: %s", err);
        *skip = 1;
        return en_token_incident(e, in, token_id, msg);
    }
    if (!truth)
        return BPMN_OK;
    *skip = 1;
    return en_leave(e, in, token_id, 0);
}

static int enter(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    const bg_graph *g = in->def->g;
    const bg_node *n = &g->nodes[t->node];
    t->since = en_now(e);
    en_hist(e, in, EN_EV_ELEMENT_ACTIVATED, t->node, 0, NULL, NULL);
    if (in->def->skip[t->node] && !(t->flags & EN_TF_INNER)) {
        int skip = 0;
        int rc = skipped(e, in, t, &skip);
        if (rc != BPMN_OK || skip)
            return rc;
        t = en_token_find(in, token_id);
    }
    if (n->nboundary && !(t->flags & EN_TF_INNER)) {
        int rc = en_arm_boundaries(e, in, token_id);
        if (rc != BPMN_OK)
            return rc;
        t = en_token_find(in, token_id);
        if (!t || t->state != EN_T_READY)
            return BPMN_OK; /* an incident while arming */
    }
    if (n->loop && !(t->flags & EN_TF_INNER))
        return en_loop_enter(e, in, token_id);
    if ((bm_kind_cats(n->kind) & BM_C_TASK) && (in->def->io[t->node].nin || in->def->io[t->node].nout)) {
        int rc = en_task_io_enter(e, in, token_id);
        t = en_token_find(in, token_id);
        if (rc != BPMN_OK || !t || t->state != EN_T_READY)
            return rc; /* an incident while mapping */
    }
    switch (n->kind) {
    case BM_INTERMEDIATE_THROW_EVENT:
        if (n->trigger == BG_EV_COMPENSATE)
            return en_compensate(e, in, token_id);
        if (n->trigger == BG_EV_LINK)
            return jump_link(e, in, token_id);
        if (n->trigger == BG_EV_ESCALATION) {
            int interrupted = 0;
            int rc = en_token_escalate(e, in, token_id, n->event_ref, &interrupted);
            if (rc != BPMN_OK || interrupted || !en_token_find(in, token_id))
                return rc;
        }
        if (n->trigger == BG_EV_MESSAGE && in->def->job_type[t->node])
            return create_job(e, in, t); /* a worker sends it; the token moves on after */
        if (n->trigger == BG_EV_SIGNAL || n->trigger == BG_EV_MESSAGE) {
            uint32_t node = t->node;
            int rc = n->trigger == BG_EV_SIGNAL ? en_throw_signal(e, in, n->event_ref)
                                                : en_throw_message(e, in, token_id, node);
            if (rc != BPMN_OK || !en_token_find(in, token_id))
                return rc;
        }
        return en_leave(e, in, token_id, 0);
    case BM_START_EVENT:
    case BM_TASK:
    case BM_MANUAL_TASK:
        return en_leave(e, in, token_id, 0);
    case BM_END_EVENT: {
        uint32_t scope = t->scope;
        if (n->trigger == BG_EV_TERMINATE) {
            en_hist_done(e, in, t);
            en_tok_remove(in, token_id);
            int rc = en_terminate_scope(e, in, scope);
            if (rc != BPMN_OK)
                return rc;
            if (scope != 0)
                in->scopes[scope].alive = 1; /* completes normally below */
            return en_scope_done(e, in, scope);
        }
        if (n->trigger == BG_EV_ERROR)
            return en_token_throw(e, in, token_id, n->event_ref, NULL);
        if (n->trigger == BG_EV_COMPENSATE || n->trigger == BG_EV_CANCEL)
            return en_compensate(e, in, token_id);
        if (n->trigger == BG_EV_ESCALATION) {
            int interrupted = 0;
            int rc = en_token_escalate(e, in, token_id, n->event_ref, &interrupted);
            if (rc != BPMN_OK || interrupted || !en_token_find(in, token_id))
                return rc;
            scope = en_token_find(in, token_id)->scope;
        }
        if (n->trigger == BG_EV_MESSAGE && in->def->job_type[t->node])
            return create_job(e, in, t); /* a worker sends it; the end comes after */
        if (n->trigger == BG_EV_SIGNAL || n->trigger == BG_EV_MESSAGE) {
            uint32_t node = en_token_find(in, token_id)->node;
            int rc = n->trigger == BG_EV_SIGNAL ? en_throw_signal(e, in, n->event_ref)
                                                : en_throw_message(e, in, token_id, node);
            if (rc != BPMN_OK || !en_token_find(in, token_id))
                return rc;
            scope = en_token_find(in, token_id)->scope;
        }
        /* A caught escalation or a thrown message may have added tokens, moving the array. */
        t = en_token_find(in, token_id);
        en_hist_done(e, in, t);
        en_tok_remove(in, token_id);
        return en_scope_done(e, in, scope);
    }
    case BM_USER_TASK:
        return en_task_create(e, in, t);
    case BM_SERVICE_TASK:
    case BM_SEND_TASK:
    case BM_BUSINESS_RULE_TASK:
        return create_job(e, in, t);
    case BM_SCRIPT_TASK:
        return run_script(e, in, token_id);
    case BM_INTERMEDIATE_CATCH_EVENT:
        if (n->trigger == BG_EV_CONDITIONAL) {
            t->state = EN_T_WAIT; /* en_check_conditions moves it on once the condition holds */
            in->vars_changed = 1;
            return BPMN_OK;
        }
        return en_arm_events(e, in, token_id);
    case BM_RECEIVE_TASK:
    case BM_EVENT_BASED_GATEWAY:
        /* Waits for its message, timer or signal; a link catch is only ever jumped to. */
        return en_arm_events(e, in, token_id);
    case BM_EXCLUSIVE_GATEWAY:
        return en_exclusive(e, in, token_id);
    case BM_PARALLEL_GATEWAY:
        if (n->nin > 1)
            return en_parallel_arrive(e, in, token_id);
        return en_leave(e, in, token_id, 1);
    case BM_INCLUSIVE_GATEWAY:
        if (n->nin > 1) {
            t->state = EN_T_JOIN;
            return BPMN_OK; /* decided once the instance is quiet: see en_run */
        }
        return en_leave(e, in, token_id, 0);
    case BM_SUB_PROCESS:
    case BM_TRANSACTION: {
        t->state = EN_T_WAIT;
        uint32_t parent = t->scope, sidx, node = t->node;
        int rc = en_scope_new(e, in, node, parent, token_id, &sidx);
        if (rc != BPMN_OK)
            return rc;
        const en_io *io = &in->def->io[node];
        rc = apply_mappings(e, in, node, io->in, io->nin, parent, sidx, 1);
        if (rc == BPMN_EINVAL) {
            in->scopes[sidx].alive = 0;
            rc = en_token_incident(e, in, token_id, e->err);
            e->err[0] = '\0';
            return rc;
        }
        if (rc != BPMN_OK)
            return rc;
        return start_scope(e, in, sidx, &g->scopes[n->inner_scope]);
    }
    case BM_CALL_ACTIVITY:
        return en_call_enter(e, in, token_id);
    default: {
        char msg[128];
        snprintf(msg, sizeof msg, "a %s cannot be executed", bm_kind_name(n->kind));
        return en_token_incident(e, in, token_id, msg);
    }
    }
}

int en_runaway(bpmn_engine *e, const char *why, unsigned long min_steps)
{
    if (!e->run_current || e->batch || e->runaway_call == e->run_current ||
        e->run_taken < min_steps)
        return 0;
    e->runaway = e->run_current;
    snprintf(e->runaway_msg, sizeof e->runaway_msg, "%s", why);
    en_fail(e, EN_RUNAWAY, "%s", why);
    return 1;
}

static int run_loop(bpmn_engine *e, en_inst *in, unsigned call)
{
    /* Bounded: a cycle of pass-through nodes without a wait state would spin forever. A run
     * that passes the budget is rolled back and repeated with none (txn.c): the first token
     * that would move stops in an incident at the element it is about to enter, and the
     * operation commits what came before the run and the incident: the instance is visible, its
     * data can be fixed, and a retry runs on with a fresh budget. Other ready tokens stay ready
     * for that retry. */
    int repeat = e->runaway_call == call;
    unsigned long budget = repeat ? 0 : e->lim.run_steps;
    in->ready_lo = 0;
    for (;;) {
        int progressed = 0;
        /* The first ready token, in array order, enters next. No token below ready_lo is
         * ready (every token marked ready lowers it), so the search starts there; a final pass
         * from 0 below makes sure nothing was missed. */
        for (uint32_t i = in->ready_lo; i < in->ntokens; i++) {
            if (in->tokens[i].state != EN_T_READY)
                continue;
            in->ready_lo = i;
            if (!budget--) {
                /* Outside a batch the runaway is rolled back and this run repeated with no
                 * budget (txn.c); a batch cannot be partly rolled back, so there the incident
                 * is raised where the run stopped. */
                char msg[240];
                snprintf(msg, sizeof msg, "stopped after %lu steps in one operation without a "
                                          "wait state (limits.run_steps; a loop?)",
                         e->lim.run_steps);
                if (repeat) {
                    snprintf(msg, sizeof msg, "%.200s; the steps of that run were undone",
                             e->runaway_msg);
                    return en_token_incident(e, in, in->tokens[i].id, msg);
                }
                if (en_runaway(e, msg, 0))
                    return EN_RUNAWAY;
                return en_token_incident(e, in, in->tokens[i].id, msg);
            }
            e->run_taken++;
            int rc = enter(e, in, in->tokens[i].id);
            if (rc == BPMN_OK && e->runaway)
                rc = EN_RUNAWAY; /* a limit inside the step stopped the run */
            if (rc != BPMN_OK)
                return rc;
            progressed = 1;
            i = in->ready_lo - 1; /* tokens may have moved: on from the lowest ready one */
        }
        for (uint32_t i = 0; !progressed && i < in->ready_lo && i < in->ntokens; i++)
            progressed = in->tokens[i].state == EN_T_READY; /* marked without en_tok_ready */
        if (progressed) {
            in->ready_lo = 0;
            continue;
        }
        for (uint32_t i = 0; i < in->ntokens; i++) {
            const en_token *t = &in->tokens[i];
            if (t->state == EN_T_JOIN && in->def->g->nodes[t->node].kind == BM_INCLUSIVE_GATEWAY &&
                en_inclusive_ready(in, t->node, t->scope)) {
                int rc = en_inclusive_fire(e, in, t->node, t->scope);
                if (rc != BPMN_OK)
                    return rc;
                progressed = 1;
                break;
            }
        }
        if (!progressed && in->vars_changed) {
            in->vars_changed = 0;
            int fired = 0;
            int rc = en_check_conditions(e, in, &fired);
            if (rc != BPMN_OK)
                return rc;
            progressed = fired;
        }
        if (!progressed)
            return BPMN_OK;
    }
}

int en_run(bpmn_engine *e, en_inst *in)
{
    unsigned outer = e->run_current;
    unsigned long outer_taken = e->run_taken;
    e->run_current = ++e->run_calls;
    e->run_taken = 0;
    int rc = run_loop(e, in, e->run_current);
    e->run_current = outer;
    e->run_taken = outer_taken;
    return rc;
}

/* camunda:initiator (activiti:, flowable:) on the start event names the variable that gets
 * the user who starts the instance (bpmn_instance_start_as), unless the start gives it a value. */
static int set_initiator(const en_def *d, int32_t start_node, const char *user, cJSON **vars)
{
    static const bm_ns vendors[] = {BM_NS_CAMUNDA, BM_NS_ACTIVITI, BM_NS_FLOWABLE};
    const bg_scope *sc = &d->g->scopes[0];
    for (uint32_t i = 0; i < (start_node >= 0 ? 1 : sc->nstarts); i++) {
        const bg_node *n = &d->g->nodes[start_node >= 0 ? (uint32_t)start_node
                                                        : d->g->starts[sc->starts + i]];
        const char *name = NULL;
        for (size_t v = 0; !name && v < sizeof vendors / sizeof vendors[0]; v++)
            name = bg_attr(n, vendors[v], "initiator");
        if (!name || !*name || (*vars && cJSON_GetObjectItem(*vars, name)))
            continue;
        if (!*vars && !(*vars = cJSON_CreateObject()))
            return BPMN_ENOMEM;
        if (!cJSON_AddStringToObject(*vars, name, user))
            return BPMN_ENOMEM;
    }
    return BPMN_OK;
}

static int start_at(bpmn_engine *e, en_def *d, cJSON *vars, const char *key, int32_t start_node,
                    en_event ev, const en_inst *parent, uint32_t parent_token, en_inst *in)
{
    memset(in, 0, sizeof *in);
    if (parent) {
        in->parent = parent->id;
        in->parent_token = parent_token;
        in->depth = parent->depth + 1;
    }
    int rc = en_next_id(e, "id", &in->id);
    if (rc != BPMN_OK) {
        cJSON_Delete(vars);
        return rc;
    }
    in->def = d;
    in->version = d->version;
    in->process = en_strdup(e->a, d->process);
    in->key = key && *key ? en_strdup(e->a, key) : NULL;
    in->started = en_now(e);
    in->state = EN_ACTIVE;
    uint32_t root;
    if (!in->process || (key && *key && !in->key) ||
        en_scope_new(e, in, EN_NONE, EN_NONE, 0, &root) != BPMN_OK) {
        cJSON_Delete(vars);
        return BPMN_ENOMEM;
    }
    if (e->start_user && !parent && set_initiator(d, start_node, e->start_user, &vars) != BPMN_OK) {
        cJSON_Delete(vars);
        return BPMN_ENOMEM;
    }
    in->scopes[root].vars = vars;
    en_hist(e, in, EN_EV_INSTANCE_STARTED, EN_NONE, 0, e->start_user, vars);
    const bg_scope *sc = &d->g->scopes[0];
    if (start_node >= 0) {
        /* One event start: its token goes through the start event that was triggered. */
        en_token *t = en_tok_new(e, in, (uint32_t)start_node, root, EN_NONE);
        if (!t)
            return BPMN_ENOMEM;
        en_hist(e, in, ev, (uint32_t)start_node, 0, NULL, NULL);
        return en_run(e, in);
    }
    int none = 0;
    for (uint32_t i = 0; i < sc->nstarts; i++)
        none += d->g->nodes[d->g->starts[sc->starts + i]].trigger == BG_EV_NONE;
    if (!none)
        return en_fail(e, BPMN_ESTATE, "process '%s' has no none start event; it starts only "
                                       "by its message, timer or signal", d->process);
    rc = start_scope(e, in, root, sc);
    return rc == BPMN_OK ? en_run(e, in) : rc;
}

int en_start_at(bpmn_engine *e, en_def *d, cJSON *vars, const char *key, int32_t start_node,
                en_event ev, en_inst *in)
{
    return start_at(e, d, vars, key, start_node, ev, NULL, 0, in);
}

int en_start_child(bpmn_engine *e, en_def *d, cJSON *vars, const char *key, const en_inst *parent,
                   uint32_t parent_token, en_inst *in)
{
    return start_at(e, d, vars, key, -1, EN_EV_INSTANCE_STARTED, parent, parent_token, in);
}

int en_start_instance(bpmn_engine *e, en_def *d, cJSON *vars, const char *key, en_inst *in)
{
    return en_start_at(e, d, vars, key, -1, EN_EV_INSTANCE_STARTED, in);
}

int en_token_resume(bpmn_engine *e, en_inst *in, uint32_t token_id, cJSON *vars)
{
    en_token *t = en_token_find(in, token_id);
    if (!t)
        return en_fail(e, BPMN_ESTATE, "instance %llu no longer waits there",
                       (unsigned long long)in->id);
    if (vars && vars->child) {
        int rc = en_merge_vars(in, en_eval_scope(t), vars);
        if (rc != BPMN_OK)
            return rc;
        en_hist(e, in, EN_EV_VARIABLES_UPDATED, t->node, 0, NULL, vars);
    }
    en_tok_ready(in, t);
    t->ref = 0;
    int rc = en_leave(e, in, token_id, 0);
    return rc == BPMN_OK ? en_run(e, in) : rc;
}
