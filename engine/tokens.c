/*
 * tokens.c - the bookkeeping of an instance's tokens and scopes: creating, finding and removing
 * tokens, opening scopes, writing variables into the right scope, the per-instance limits and
 * incidents, and cancelling what a token or a scope holds when it ends early.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/run_int.h"

static const cJSON *lookup_var(void *ud, const char *name)
{
    en_var_env *v = ud;
    for (uint32_t s = v->scope; s != EN_NONE; s = v->in->scopes[s].parent) {
        const cJSON *x = v->in->scopes[s].vars
                             ? cJSON_GetObjectItemCaseSensitive(v->in->scopes[s].vars, name)
                             : NULL;
        if (x)
            return x;
    }
    return NULL;
}

ex_env en_env_for(bpmn_engine *e, en_var_env *v)
{
    ex_env env = {lookup_var, v, en_now(e)};
    return env;
}

/* Tokens are appended with increasing ids and removed in place, so the array is sorted by id
 * (en_inst_load refuses a record where it is not). */
en_token *en_token_find(en_inst *in, uint32_t id)
{
    uint32_t lo = 0, hi = in->ntokens;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (in->tokens[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < in->ntokens && in->tokens[lo].id == id ? &in->tokens[lo] : NULL;
}

en_token *en_tok_new(bpmn_engine *e, en_inst *in, uint32_t node, uint32_t scope,
                         uint32_t flow)
{
    /* Splits and multi-instance activities check the limit first (en_tokens_fit) and raise an
     * incident; this is the backstop for tokens an event brings: the operation is refused. */
    if (in->ntokens >= e->lim.tokens) {
        const char *id = node < in->def->g->nnodes ? in->def->g->nodes[node].id : NULL;
        en_fail(e, BPMN_ENOMEM, "instance %llu: '%s' would pass the limit of %lu tokens per "
                                "instance (limits.tokens)",
                (unsigned long long)in->id, id ? id : "", e->lim.tokens);
        return NULL;
    }
    size_t cap = in->captokens;
    if (bm_grow(e->a, (void **)&in->tokens, &cap, in->ntokens + 1, sizeof *in->tokens) != 0)
        return NULL;
    in->captokens = (uint32_t)cap;
    en_token *t = &in->tokens[in->ntokens++];
    memset(t, 0, sizeof *t);
    t->id = ++in->next_token;
    t->node = node;
    t->scope = scope;
    en_tok_ready(in, t);
    t->flow = flow;
    t->since = en_now(e);
    t->local = EN_NONE;
    return t;
}

void en_tok_remove(en_inst *in, uint32_t id)
{
    en_token *t = en_token_find(in, id);
    if (!t)
        return;
    uint32_t i = (uint32_t)(t - in->tokens);
    memmove(t, t + 1, (in->ntokens - i - 1) * sizeof *in->tokens);
    in->ntokens--;
    if (i < in->ready_lo) /* the tokens after it moved down by one */
        in->ready_lo = i;
}

int en_scope_new(bpmn_engine *e, en_inst *in, uint32_t node, uint32_t parent,
                     uint32_t token, uint32_t *out)
{
    size_t cap = in->capscopes;
    if (bm_grow(e->a, (void **)&in->scopes, &cap, in->nscopes + 1, sizeof *in->scopes) != 0)
        return BPMN_ENOMEM;
    in->capscopes = (uint32_t)cap;
    en_scope *s = &in->scopes[in->nscopes];
    memset(s, 0, sizeof *s);
    s->node = node;
    s->parent = parent;
    s->token = token;
    s->alive = 1;
    *out = in->nscopes++;
    return BPMN_OK;
}

/* Sets a variable where it already lives (nearest scope outward), else on the process. */
int en_set_var(en_inst *in, uint32_t scope, const char *name, cJSON *value)
{
    uint32_t target = 0;
    in->vars_changed = 1;
    for (uint32_t s = scope; s != EN_NONE; s = in->scopes[s].parent) {
        if (in->scopes[s].vars && cJSON_GetObjectItemCaseSensitive(in->scopes[s].vars, name)) {
            target = s;
            break;
        }
    }
    en_scope *sc = &in->scopes[target];
    if (!sc->vars && !(sc->vars = cJSON_CreateObject())) {
        cJSON_Delete(value);
        return BPMN_ENOMEM;
    }
    if (cJSON_GetObjectItemCaseSensitive(sc->vars, name)) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(sc->vars, name, value)) {
            cJSON_Delete(value);
            return BPMN_ENOMEM;
        }
    } else if (!cJSON_AddItemToObject(sc->vars, name, value)) {
        cJSON_Delete(value);
        return BPMN_ENOMEM;
    }
    return BPMN_OK;
}

/* Merges a JSON object of variables into the instance, from the given scope outward. */
int en_merge_vars(en_inst *in, uint32_t scope, const cJSON *vars)
{
    for (const cJSON *v = vars ? vars->child : NULL; v; v = v->next) {
        cJSON *copy = cJSON_Duplicate(v, 1);
        if (!copy)
            return BPMN_ENOMEM;
        int rc = en_set_var(in, scope, v->string, copy);
        if (rc != BPMN_OK)
            return rc;
    }
    return BPMN_OK;
}

int en_token_incident(bpmn_engine *e, en_inst *in, uint32_t token_id, const char *msg)
{
    en_token *t = en_token_find(in, token_id);
    if (t)
        t->state = EN_T_WAIT;
    return en_node_incident(e, in, t ? t->node : EN_NONE, msg);
}

int en_node_incident(bpmn_engine *e, en_inst *in, uint32_t node, const char *msg)
{
    const bg_node *n = node < in->def->g->nnodes ? &in->def->g->nodes[node] : NULL;
    in->state = EN_INCIDENT;
    bm_free(e->a, in->incident_element);
    bm_free(e->a, in->incident_msg);
    in->incident_element = en_strdup(e->a, n && n->id ? n->id : "");
    in->incident_msg = en_strdup(e->a, msg);
    if (!in->incident_element || !in->incident_msg)
        return BPMN_ENOMEM;
    cJSON *m = cJSON_CreateObject();
    if (!m || !cJSON_AddStringToObject(m, "message", msg)) {
        cJSON_Delete(m);
        return BPMN_ENOMEM;
    }
    en_hist(e, in, EN_EV_INCIDENT_RAISED, n ? node : EN_NONE, 0, NULL, m);
    cJSON_Delete(m);
    return BPMN_OK;
}

int en_tokens_fit(bpmn_engine *e, en_inst *in, uint32_t token_id, unsigned long more)
{
    if (more <= e->lim.tokens && in->ntokens <= e->lim.tokens - more)
        return 1;
    char msg[200], why[240];
    snprintf(msg, sizeof msg, "%lu more tokens would pass the limit of %lu tokens per instance "
                              "(limits.tokens)", more, e->lim.tokens);
    /* A run that multiplied its tokens in a loop is rolled back (the incident of the repeat
     * names where it stopped); a split that is simply too wide keeps the incident here. */
    const en_token *t = en_token_find(in, token_id);
    snprintf(why, sizeof why, "at '%s': %s",
             t && t->node < in->def->g->nnodes ? in->def->g->nodes[t->node].id : "", msg);
    if (!en_runaway(e, why, EN_RUNAWAY_STEPS))
        en_token_incident(e, in, token_id, msg);
    return 0;
}

int en_event_fits(bpmn_engine *e, en_inst *in, uint32_t node, unsigned long more)
{
    if (more <= e->lim.tokens && in->ntokens <= e->lim.tokens - more)
        return 1;
    char msg[200];
    snprintf(msg, sizeof msg, "the event did not fire: %lu more tokens would pass the limit of %lu "
                              "tokens per instance (limits.tokens)", more, e->lim.tokens);
    en_node_incident(e, in, node, msg);
    return 0;
}

/* ---- scopes ------------------------------------------------------------------------------- */

static uint32_t inner_scope_of(const en_inst *in, uint32_t token_id)
{
    for (uint32_t s = 1; s < in->nscopes; s++)
        if (in->scopes[s].alive && in->scopes[s].token == token_id &&
            in->scopes[s].kind != EN_SC_LOCAL)
            return s;
    return EN_NONE;
}

/* Ends everything a waiting token holds: its task or job record, its sub-process scope. */
int en_cancel_token(bpmn_engine *e, en_inst *in, uint32_t token_id);

int en_terminate_scope(bpmn_engine *e, en_inst *in, uint32_t scope)
{
    for (;;) {
        uint32_t victim = EN_NONE;
        for (uint32_t i = 0; i < in->ntokens; i++)
            if (in->tokens[i].scope == scope) {
                victim = in->tokens[i].id;
                break;
            }
        if (victim == EN_NONE)
            break;
        int rc = en_cancel_token(e, in, victim);
        if (rc != BPMN_OK)
            return rc;
    }
    /* Scopes nested in this one without a token of their own here (the iterations of a
     * multi-instance body) end with it. */
    for (uint32_t c = 1; c < in->nscopes; c++) {
        if (in->scopes[c].alive && in->scopes[c].parent == scope) {
            int rc = en_terminate_scope(e, in, c);
            if (rc != BPMN_OK)
                return rc;
        }
    }
    if (scope != 0)
        in->scopes[scope].alive = 0;
    return BPMN_OK;
}

int en_cancel_token(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    if (!t)
        return BPMN_OK;
    uint32_t node = t->node;
    int rc = BPMN_OK;
    if (t->state == EN_T_WAIT && t->ref) {
        const bg_node *n = &in->def->g->nodes[node];
        rc = n->kind == BM_USER_TASK       ? en_task_del(e, t->ref)
             : n->kind == BM_CALL_ACTIVITY ? en_cancel_child(e, t->ref, in->depth + 1)
                                           : en_job_del(e, t->ref);
        if (rc == BPMN_ENOTFOUND)
            rc = BPMN_OK;
    }
    if (rc == BPMN_OK)
        rc = en_disarm(e, in, token_id);
    if (t->local != EN_NONE && t->local < in->nscopes)
        in->scopes[t->local].alive = 0;
    uint32_t inner = inner_scope_of(in, token_id);
    if (rc == BPMN_OK && inner != EN_NONE)
        rc = en_terminate_scope(e, in, inner);
    if (rc != BPMN_OK)
        return rc;
    en_hist(e, in, EN_EV_ELEMENT_TERMINATED, node, 0, NULL, NULL);
    en_tok_remove(in, token_id);
    return BPMN_OK;
}
