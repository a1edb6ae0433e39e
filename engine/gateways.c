/*
 * gateways.c - moving on from a node: evaluating flow conditions, choosing and taking the
 * outgoing flows, and the exclusive, parallel and inclusive gateways' splits and joins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/run_int.h"

/* ---- moving on ---------------------------------------------------------------------------- */

static int eval_cond(bpmn_engine *e, en_inst *in, const en_token *t, uint32_t flow, int *truth)
{
    const ex_expr *x = in->def->flow_cond[flow];
    if (in->def->flow_bad[flow]) {
        const bg_flow *f = &in->def->g->flows[flow];
        char msg[512];
        snprintf(msg, sizeof msg, "condition of flow '%s' is not an expression: %s",
                 f->id ? f->id : "", f->condition);
        en_token_incident(e, in, t->id, msg);
        return BPMN_EINVAL;
    }
    if (!x) {
        *truth = 1;
        return BPMN_OK;
    }
    en_var_env v = {in, t->scope};
    ex_env env = en_env_for(e, &v);
    char err[256];
    int rc = ex_eval_bool_max(x, &env, e->lim.expr_steps, truth, err, sizeof err);
    if (rc == BPMN_ENOMEM)
        return rc;
    if (rc != BPMN_OK) {
        const bg_flow *f = &in->def->g->flows[flow];
        char msg[512];
        snprintf(msg, sizeof msg, "condition of flow '%s' failed: %s", f->id ? f->id : "", err);
        en_token_incident(e, in, t->id, msg);
        return BPMN_EINVAL; /* tells the caller an incident was raised */
    }
    return BPMN_OK;
}

/* Sends the token down the chosen flows: the first reuses the token, the others fork. */
static int take(bpmn_engine *e, en_inst *in, uint32_t token_id, const uint32_t *flows, uint32_t n)
{
    en_token *t = en_token_find(in, token_id);
    uint32_t scope = t->scope;
    const bg_graph *g = in->def->g;
    if (n > 1 && !en_tokens_fit(e, in, token_id, n - 1))
        return in->incident_msg ? BPMN_EINVAL : BPMN_ENOMEM; /* EINVAL: an incident was raised */
    for (uint32_t i = 1; i < n; i++)
        if (!en_tok_new(e, in, g->flows[flows[i]].target, scope, flows[i]))
            return BPMN_ENOMEM;
    t = en_token_find(in, token_id);
    t->node = g->flows[flows[0]].target;
    t->flow = flows[0];
    en_tok_ready(in, t);
    t->ref = 0;
    return BPMN_OK;
}

int en_scope_done(bpmn_engine *e, en_inst *in, uint32_t scope);

/* The token finished its node: complete it and choose outgoing flows. Activities take every
 * unconditional flow and every flow whose condition holds; the default flow when none does. */
int en_leave(bpmn_engine *e, en_inst *in, uint32_t token_id, int gateway_all)
{
    en_token *t = en_token_find(in, token_id);
    if (t->flags & EN_TF_INNER)
        return en_loop_iteration_done(e, in, token_id);
    if (t->comp_of)
        return en_comp_handler_done(e, in, token_id);
    if (t->local != EN_NONE) {
        int rc = en_task_io_leave(e, in, token_id);
        if (rc != BPMN_OK)
            return rc == BPMN_EINVAL ? BPMN_OK : rc;
        t = en_token_find(in, token_id);
    }
    if (in->def->g->nodes[t->node].nboundary) {
        int rc = en_comp_record(e, in, t->node);
        if (rc != BPMN_OK)
            return rc;
        t = en_token_find(in, token_id);
    }
    {
        const bg_node *ln = &in->def->g->nodes[t->node];
        if (ln->nboundary || ln->trigger != BG_EV_NONE || ln->kind == BM_EVENT_BASED_GATEWAY ||
            (ln->inner_scope >= 0 && in->def->g->scopes[ln->inner_scope].nevent_subs)) {
            int rc = en_disarm(e, in, token_id);
            if (rc != BPMN_OK)
                return rc;
            t = en_token_find(in, token_id);
        }
    }
    const bg_graph *g = in->def->g;
    const bg_node *n = &g->nodes[t->node];
    /* A gateway that cannot choose a flow has not completed: its element_completed is written
     * only once a flow is taken (history then shows the incident, not a completion). */
    int gateway = n->kind == BM_EXCLUSIVE_GATEWAY || n->kind == BM_INCLUSIVE_GATEWAY ||
                  n->kind == BM_PARALLEL_GATEWAY || n->kind == BM_EVENT_BASED_GATEWAY;
    if (!gateway || n->nout == 0)
        en_hist_done(e, in, t);
    if (n->nout == 0) {
        uint32_t scope = t->scope;
        en_tok_remove(in, token_id);
        return en_scope_done(e, in, scope);
    }
    uint32_t small[16];
    uint32_t *chosen = n->nout <= 16 ? small : bm_alloc(e->a, NULL, n->nout * sizeof *chosen);
    if (!chosen)
        return BPMN_ENOMEM;
    uint32_t k = 0;
    int rc = BPMN_OK;
    for (uint32_t i = 0; i < n->nout && rc == BPMN_OK; i++) {
        uint32_t f = g->out[n->out + i];
        if ((int32_t)f == n->default_flow)
            continue;
        int truth = 1;
        if (!gateway_all)
            rc = eval_cond(e, in, t, f, &truth);
        if (rc == BPMN_OK && truth)
            chosen[k++] = f;
    }
    if (rc == BPMN_OK && k == 0) {
        if (n->default_flow >= 0)
            chosen[k++] = (uint32_t)n->default_flow;
        else
            rc = en_token_incident(e, in, token_id, "no outgoing flow can be taken: no condition "
                                                    "is true and there is no default flow") == BPMN_OK
                     ? BPMN_EINVAL
                     : BPMN_ENOMEM;
    }
    if (rc == BPMN_OK && gateway)
        en_hist_done(e, in, en_token_find(in, token_id));
    if (rc == BPMN_OK)
        rc = take(e, in, token_id, chosen, k);
    if (chosen != small)
        bm_free(e->a, chosen);
    return rc == BPMN_EINVAL ? BPMN_OK : rc; /* an incident is a result, not a failure */
}

int en_exclusive(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    const bg_graph *g = in->def->g;
    const bg_node *n = &g->nodes[t->node];
    if (n->nout == 0) {
        en_hist_done(e, in, t);
        uint32_t scope = t->scope;
        en_tok_remove(in, token_id);
        return en_scope_done(e, in, scope);
    }
    /* Completed only once a flow is chosen: a gateway that fails shows its incident, not a
     * completion. */
    for (uint32_t i = 0; i < n->nout; i++) {
        uint32_t f = g->out[n->out + i];
        if ((int32_t)f == n->default_flow)
            continue;
        int truth = 0;
        int rc = eval_cond(e, in, t, f, &truth);
        if (rc == BPMN_EINVAL)
            return BPMN_OK;
        if (rc != BPMN_OK)
            return rc;
        if (truth) {
            en_hist_done(e, in, en_token_find(in, token_id));
            return take(e, in, token_id, &f, 1);
        }
    }
    if (n->default_flow >= 0) {
        uint32_t f = (uint32_t)n->default_flow;
        en_hist_done(e, in, en_token_find(in, token_id));
        return take(e, in, token_id, &f, 1);
    }
    return en_token_incident(e, in, token_id,
                             "no outgoing flow of the exclusive gateway can be taken: no "
                             "condition is true and there is no default flow");
}

/* A parallel join fires when a token waits on every incoming flow. */
int en_parallel_arrive(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    const bg_graph *g = in->def->g;
    const bg_node *n = &g->nodes[t->node];
    t->state = EN_T_JOIN;
    uint32_t node = t->node, scope = t->scope;
    uint32_t pick_small[16];
    uint32_t *pick = n->nin <= 16 ? pick_small : bm_alloc(e->a, NULL, n->nin * sizeof *pick);
    if (!pick)
        return BPMN_ENOMEM;
    int all = 1;
    for (uint32_t i = 0; i < n->nin && all; i++) {
        uint32_t f = g->in[n->in + i];
        pick[i] = EN_NONE;
        for (uint32_t k = 0; k < in->ntokens; k++) {
            const en_token *o = &in->tokens[k];
            if (o->state == EN_T_JOIN && o->node == node && o->scope == scope && o->flow == f) {
                pick[i] = o->id;
                break;
            }
        }
        all = pick[i] != EN_NONE;
    }
    int rc = BPMN_OK;
    if (all) {
        for (uint32_t i = 0; i < n->nin; i++)
            if (pick[i] != token_id)
                en_tok_remove(in, pick[i]);
        en_tok_ready(in, en_token_find(in, token_id));
        rc = en_leave(e, in, token_id, 1);
    }
    if (pick != pick_small)
        bm_free(e->a, pick);
    return rc;
}

/* An inclusive join may fire when no token that is not waiting at it could still reach it. */
int en_inclusive_ready(const en_inst *in, uint32_t node, uint32_t scope)
{
    const uint8_t *reach = in->def->reach[node];
    for (uint32_t k = 0; k < in->ntokens; k++) {
        const en_token *o = &in->tokens[k];
        if (o->scope != scope || (o->node == node && o->state == EN_T_JOIN))
            continue;
        if (!reach || reach[o->node])
            return 0;
    }
    return 1;
}

int en_inclusive_fire(bpmn_engine *e, en_inst *in, uint32_t node, uint32_t scope)
{
    uint32_t keep = EN_NONE;
    for (uint32_t k = 0; k < in->ntokens;) {
        en_token *o = &in->tokens[k];
        if (o->node == node && o->scope == scope && o->state == EN_T_JOIN) {
            if (keep == EN_NONE) {
                keep = o->id;
                k++;
            } else {
                en_tok_remove(in, o->id);
            }
        } else {
            k++;
        }
    }
    en_tok_ready(in, en_token_find(in, keep));
    return en_leave(e, in, keep, 0);
}
