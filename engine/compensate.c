/*
 * compensate.c - compensation and transactions. When an activity with a compensation boundary
 * event completes, the instance remembers it. A compensation throw (an intermediate throw or end
 * event, for one activity or its whole scope) runs the handlers of the remembered activities of
 * its scope one after another, the last completed first, and goes on when they are done. A cancel
 * end event in a transaction sub-process does the same for the transaction, then ends it and
 * leaves through its cancel boundary event.
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"

/* The handler of an activity: the target of its compensation boundary's association. */
static int32_t handler_of(const bg_graph *g, uint32_t node)
{
    const bg_node *n = &g->nodes[node];
    for (uint32_t i = 0; i < n->nboundary; i++) {
        const bg_node *b = &g->nodes[g->boundary[n->boundary + i]];
        if (b->trigger == BG_EV_COMPENSATE && b->comp_handler >= 0)
            return b->comp_handler;
    }
    return -1;
}

int en_comp_record(bpmn_engine *e, en_inst *in, uint32_t node)
{
    const bg_graph *g = in->def->g;
    if (!g->nodes[node].nboundary || handler_of(g, node) < 0)
        return BPMN_OK;
    size_t cap = in->capcomp;
    if (bm_grow(e->a, (void **)&in->comp, &cap, in->ncomp + 1, sizeof *in->comp) != 0)
        return BPMN_ENOMEM;
    in->capcomp = (uint32_t)cap;
    in->comp[in->ncomp].node = node;
    in->comp[in->ncomp].gscope = g->nodes[node].scope;
    in->ncomp++;
    return BPMN_OK;
}

/* The graph scope a compensation thrown at node covers: its own scope. */
static int matches(const bg_graph *g, const en_comp *c, const bg_node *thrower)
{
    if (c->gscope != thrower->scope)
        return 0;
    return !thrower->event_ref || (g->nodes[c->node].id && strcmp(g->nodes[c->node].id, thrower->event_ref) == 0);
}

/* The thrower is done with compensation: an intermediate throw goes on, an end event ends, a
 * cancel end ends its transaction and leaves through the transaction's cancel boundary. */
static int finish(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    const bg_graph *g = in->def->g;
    const bg_node *n = &g->nodes[t->node];
    en_tok_ready(in, t);
    if (n->kind == BM_INTERMEDIATE_THROW_EVENT)
        return en_leave(e, in, token_id, 0);
    uint32_t scope = t->scope;
    if (n->trigger != BG_EV_CANCEL) {
        en_hist_done(e, in, t);
        en_tok_remove(in, token_id);
        return en_scope_done(e, in, scope);
    }
    /* Cancel: the transaction ends and its cancel boundary event takes over. */
    en_hist_done(e, in, t);
    uint32_t owner = in->scopes[scope].token, tx = in->scopes[scope].node;
    en_token *o = en_token_find(in, owner);
    if (!o)
        return en_fail(e, BPMN_ESTATE, "the transaction is gone");
    uint32_t oscope = o->scope;
    const bg_node *txn = &g->nodes[tx];
    for (uint32_t i = 0; i < txn->nboundary; i++) {
        uint32_t b = g->boundary[txn->boundary + i];
        if (g->nodes[b].trigger != BG_EV_CANCEL)
            continue;
        int rc = en_cancel_token(e, in, owner);
        if (rc != BPMN_OK)
            return rc;
        en_token *nt = en_tok_new(e, in, b, oscope, EN_NONE);
        if (!nt)
            return BPMN_ENOMEM;
        en_hist(e, in, EN_EV_ELEMENT_ACTIVATED, b, 0, NULL, NULL);
        return en_leave(e, in, nt->id, 0);
    }
    return en_token_incident(e, in, owner, "a cancel end event fired, but the transaction has no "
                                           "cancel boundary event");
}

/* Starts the handler of the latest remembered activity the thrower covers, or finishes. */
static int next_handler(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    const bg_graph *g = in->def->g;
    const bg_node *thrower = &g->nodes[t->node];
    for (uint32_t i = in->ncomp; i-- > 0;) {
        if (!matches(g, &in->comp[i], thrower))
            continue;
        uint32_t activity = in->comp[i].node;
        memmove(&in->comp[i], &in->comp[i + 1], (in->ncomp - i - 1) * sizeof *in->comp);
        in->ncomp--;
        int32_t h = handler_of(g, activity);
        if (h < 0)
            continue;
        uint32_t scope = t->scope;
        en_token *ht = en_tok_new(e, in, (uint32_t)h, scope, EN_NONE);
        if (!ht)
            return BPMN_ENOMEM;
        ht->comp_of = token_id;
        return BPMN_OK; /* en_run enters the handler; en_comp_handler_done continues */
    }
    return finish(e, in, token_id);
}

int en_compensate(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    t->state = EN_T_WAIT;
    return next_handler(e, in, token_id);
}

int en_comp_handler_done(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    uint32_t thrower = t->comp_of;
    en_hist_done(e, in, t);
    en_tok_remove(in, token_id);
    if (!en_token_find(in, thrower))
        return BPMN_OK;
    return next_handler(e, in, thrower);
}
