/*
 * eventsub.c - event sub-processes and escalations. An event sub-process waits, for as long as
 * its enclosing scope runs, for its start event's trigger: a timer, message or signal (armed
 * on behalf of the scope's owner token, or token 0 for the process), or an error or escalation
 * thrown inside the scope. Interrupting ones end everything else in the scope first; the scope
 * completes when the event sub-process does. Escalations travel up the scopes like errors, but
 * an uncaught one is no incident, and non-interrupting catches let the thrower carry on.
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"

/* The runtime scope owned by a token (0 for the process), or EN_NONE. */
uint32_t en_scope_of_owner(const en_inst *in, uint32_t owner)
{
    if (owner == 0)
        return 0;
    for (uint32_t s = 1; s < in->nscopes; s++)
        if (in->scopes[s].alive && in->scopes[s].kind == EN_SC_SUB && in->scopes[s].token == owner)
            return s;
    return EN_NONE;
}

int en_start_event_sub(bpmn_engine *e, en_inst *in, uint32_t scope, uint32_t start_node,
                       const cJSON *vars, en_event ev)
{
    const bg_graph *g = in->def->g;
    const bg_node *sn = &g->nodes[start_node];
    uint32_t evsub = (uint32_t)g->scopes[sn->scope].node;
    int rc = BPMN_OK;
    if (!(sn->flags & BG_F_INTERRUPTING) && !en_event_fits(e, in, start_node, 2))
        return BPMN_OK; /* its owner and its start: an incident at the start event */
    if (sn->flags & BG_F_INTERRUPTING) {
        rc = en_terminate_scope(e, in, scope);
        in->scopes[scope].alive = 1; /* the scope itself runs on, through the event sub-process */
        if (rc != BPMN_OK)
            return rc;
    }
    if (vars && vars->child && (rc = en_merge_vars(in, scope, vars)) != BPMN_OK)
        return rc;
    en_token *owner = en_tok_new(e, in, evsub, scope, EN_NONE);
    if (!owner)
        return BPMN_ENOMEM;
    owner->state = EN_T_WAIT;
    uint32_t owner_id = owner->id, inner;
    en_hist(e, in, EN_EV_ELEMENT_ACTIVATED, evsub, 0, NULL, NULL);
    rc = en_scope_new(e, in, evsub, scope, owner_id, &inner);
    if (rc != BPMN_OK)
        return rc;
    en_token *t = en_tok_new(e, in, start_node, inner, EN_NONE);
    if (!t)
        return BPMN_ENOMEM;
    en_hist(e, in, ev, start_node, 0, NULL, vars);
    return BPMN_OK;
}

/* An error or escalation with this code reaching scope: the first event sub-process of the
 * scope whose start catches it. *caught says whether one did. */
int en_event_sub_catch(bpmn_engine *e, en_inst *in, uint32_t scope, bg_trigger trigger,
                       const char *code, int *caught)
{
    *caught = 0;
    const bg_graph *g = in->def->g;
    const bg_scope *sc = NULL;
    if (scope == 0)
        sc = &g->scopes[0];
    else if (in->scopes[scope].kind == EN_SC_SUB && g->nodes[in->scopes[scope].node].inner_scope >= 0)
        sc = &g->scopes[g->nodes[in->scopes[scope].node].inner_scope];
    for (uint32_t i = 0; sc && i < sc->nevent_subs; i++) {
        const bg_node *ev = &g->nodes[g->event_subs[sc->event_subs + i]];
        const bg_scope *inner = &g->scopes[ev->inner_scope];
        for (uint32_t k = 0; k < inner->nstarts; k++) {
            uint32_t sn = g->starts[inner->starts + k];
            const bg_node *start = &g->nodes[sn];
            if (start->trigger != trigger ||
                (start->event_ref && (!code || strcmp(start->event_ref, code) != 0)))
                continue;
            *caught = 1;
            int rc = en_start_event_sub(e, in, scope, sn, NULL,
                                        trigger == BG_EV_ERROR ? EN_EV_ERROR_THROWN
                                                               : EN_EV_ESCALATION_THROWN);
            return rc == BPMN_OK ? en_run(e, in) : rc;
        }
    }
    return BPMN_OK;
}

/* An escalation boundary event of the activity `holder` waits in, catching `code`: the boundary
 * path starts (the activity goes on unless the boundary interrupts). *caught says if one did. */
static int boundary_catch(bpmn_engine *e, en_inst *in, uint32_t holder, uint32_t node,
                          const char *code, int *caught, int *interrupted_holder)
{
    const bg_graph *g = in->def->g;
    const bg_node *n = &g->nodes[node];
    *caught = 0;
    for (uint32_t i = 0; i < n->nboundary; i++) {
        uint32_t b = g->boundary[n->boundary + i];
        const bg_node *bn = &g->nodes[b];
        if (bn->trigger != BG_EV_ESCALATION ||
            (bn->event_ref && (!code || strcmp(bn->event_ref, code) != 0)))
            continue;
        en_token *h = en_token_find(in, holder);
        if (!h)
            return BPMN_OK;
        uint32_t hscope = h->scope;
        int rc = BPMN_OK;
        *caught = 1;
        if (bn->flags & BG_F_INTERRUPTING) {
            rc = en_cancel_token(e, in, holder);
            *interrupted_holder = 1;
        }
        en_token *nt = rc == BPMN_OK ? en_tok_new(e, in, b, hscope, EN_NONE) : NULL;
        if (rc == BPMN_OK && !nt)
            rc = BPMN_ENOMEM;
        if (rc == BPMN_OK) {
            en_hist(e, in, EN_EV_ELEMENT_ACTIVATED, b, 0, NULL, NULL);
            rc = en_leave(e, in, nt->id, 0);
        }
        return rc;
    }
    return BPMN_OK;
}

/* An escalation no scope of a called process catches goes on at its call activity. */
static int escalate_to_parent(bpmn_engine *e, en_inst *child, const char *code)
{
    en_inst loaded, *p = NULL;
    for (int i = e->nlive; i-- > 0 && !p;)
        if (e->live[i]->id == child->parent)
            p = e->live[i];
    int live = p != NULL;
    if (!p) {
        int rc = en_inst_load(e, child->parent, &loaded);
        if (rc != BPMN_OK)
            return rc == BPMN_ENOTFOUND ? BPMN_OK : rc;
        p = &loaded;
    }
    int rc = BPMN_OK, interrupted = 0;
    en_token *t = en_token_find(p, child->parent_token);
    if (t && (t->ref == child->id || (live && t->ref == 0)))
        rc = en_token_escalate(e, p, t->id, code, &interrupted);
    if (!live) {
        if (rc == BPMN_OK)
            rc = en_run(e, p);
        if (rc == BPMN_OK)
            rc = en_inst_save(e, p);
        en_inst_free(e, p);
    }
    return rc;
}

int en_token_escalate(bpmn_engine *e, en_inst *in, uint32_t token_id, const char *code,
                      int *interrupted)
{
    const bg_graph *g = in->def->g;
    en_token *t = en_token_find(in, token_id);
    uint32_t scope = t->scope;
    *interrupted = 0;
    cJSON *info = cJSON_CreateObject();
    if (info)
        cJSON_AddStringToObject(info, "code", code ? code : "");
    en_hist(e, in, EN_EV_ESCALATION_THROWN, t->node, 0, NULL, info);
    cJSON_Delete(info);
    if (g->nodes[t->node].kind == BM_CALL_ACTIVITY) {
        /* Escalated from a called process: the call activity's own boundary events first. */
        int caught = 0;
        int rc = boundary_catch(e, in, token_id, t->node, code, &caught, interrupted);
        if (rc != BPMN_OK || caught)
            return rc;
    }
    while (scope != EN_NONE) {
        int caught = 0;
        /* A catching event sub-process runs at once, while the thrower is still in the middle of
         * its step (ready, at its throw event): held as waiting meanwhile, so that this run does
         * not enter the throw event again and throw again, without end. */
        en_token *th = en_token_find(in, token_id);
        en_tstate was = th->state;
        th->state = EN_T_WAIT;
        int rc = en_event_sub_catch(e, in, scope, BG_EV_ESCALATION, code, &caught);
        if ((th = en_token_find(in, token_id)) != NULL)
            th->state = was;
        if (rc != BPMN_OK || caught) {
            *interrupted = !th;
            return rc;
        }
        if (scope == 0)
            break;
        uint32_t holder = in->scopes[scope].token, node = in->scopes[scope].node;
        if (in->scopes[scope].kind == EN_SC_SUB) {
            int caught = 0;
            rc = boundary_catch(e, in, holder, node, code, &caught, interrupted);
            if (rc != BPMN_OK || caught)
                return rc;
        }
        scope = in->scopes[scope].parent;
    }
    if (in->parent)
        return escalate_to_parent(e, in, code);
    return BPMN_OK; /* an escalation nobody catches has no effect (BPMN 10.5.6) */
}

static int holds(bpmn_engine *e, en_inst *in, uint32_t scope, uint32_t node, int *truth)
{
    *truth = 0;
    const ex_expr *x = in->def->cond[node];
    if (!x)
        return BPMN_OK;
    cJSON *r = NULL;
    char err[256];
    int rc = en_eval_json(e, in, scope, x, &r, err, sizeof err);
    /* A condition that cannot be evaluated yet (a variable not set) simply does not hold. */
    if (rc == BPMN_EINVAL)
        rc = BPMN_OK;
    *truth = rc == BPMN_OK && cJSON_IsTrue(r);
    cJSON_Delete(r);
    return rc;
}

/* Conditional events are looked at whenever variables change: a waiting catch event moves on,
 * a boundary event of a waiting activity fires (interrupting it or not), an event sub-process
 * with a conditional start starts. One firing at a time; the caller runs the tokens and calls
 * again while something fired. */
int en_check_conditions(bpmn_engine *e, en_inst *in, int *fired)
{
    const bg_graph *g = in->def->g;
    *fired = 0;
    for (uint32_t i = 0; i < in->ntokens; i++) {
        en_token *t = &in->tokens[i];
        if (t->state != EN_T_WAIT)
            continue;
        const bg_node *n = &g->nodes[t->node];
        uint32_t tid = t->id, scope = t->scope;
        int truth = 0, rc;
        if (n->kind == BM_INTERMEDIATE_CATCH_EVENT && n->trigger == BG_EV_CONDITIONAL) {
            if ((rc = holds(e, in, scope, t->node, &truth)) != BPMN_OK)
                return rc;
            if (truth) {
                *fired = 1;
                en_tok_ready(in, t);
                return en_leave(e, in, tid, 0);
            }
            continue;
        }
        for (uint32_t b = 0; b < n->nboundary && !(t->flags & EN_TF_INNER); b++) {
            uint32_t bn = g->boundary[n->boundary + b];
            if (g->nodes[bn].trigger != BG_EV_CONDITIONAL)
                continue;
            if ((rc = holds(e, in, scope, bn, &truth)) != BPMN_OK)
                return rc;
            if (!truth)
                continue;
            *fired = 1;
            if ((g->nodes[bn].flags & BG_F_INTERRUPTING) && (rc = en_cancel_token(e, in, tid)) != BPMN_OK)
                return rc;
            en_token *nt = en_tok_new(e, in, bn, scope, EN_NONE);
            if (!nt)
                return BPMN_ENOMEM;
            en_hist(e, in, EN_EV_ELEMENT_ACTIVATED, bn, 0, NULL, NULL);
            return en_leave(e, in, nt->id, 0);
        }
    }
    /* Event sub-processes with a conditional start, in every running scope. */
    for (uint32_t s = 0; s < in->nscopes; s++) {
        if (!in->scopes[s].alive || (s && in->scopes[s].kind != EN_SC_SUB))
            continue;
        const bg_scope *sc = s == 0 ? &g->scopes[0]
                             : g->nodes[in->scopes[s].node].inner_scope >= 0
                                 ? &g->scopes[g->nodes[in->scopes[s].node].inner_scope]
                                 : NULL;
        for (uint32_t i = 0; sc && i < sc->nevent_subs; i++) {
            const bg_node *ev = &g->nodes[g->event_subs[sc->event_subs + i]];
            const bg_scope *inner = &g->scopes[ev->inner_scope];
            for (uint32_t k = 0; k < inner->nstarts; k++) {
                uint32_t sn = g->starts[inner->starts + k];
                int truth = 0;
                if (g->nodes[sn].trigger != BG_EV_CONDITIONAL)
                    continue;
                int rc = holds(e, in, s, sn, &truth);
                if (rc != BPMN_OK)
                    return rc;
                if (truth) {
                    *fired = 1;
                    return en_start_event_sub(e, in, s, sn, NULL, EN_EV_VARIABLES_UPDATED);
                }
            }
        }
    }
    return BPMN_OK;
}
