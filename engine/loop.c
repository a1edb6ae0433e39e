/*
 * loop.c - multi-instance (parallel and sequential) and standard loops. The token that reaches
 * a looping activity becomes its body token and waits; a body scope holds the counters
 * (nrOfInstances, nrOfActiveInstances, nrOfCompletedInstances) and the output collection; each
 * iteration runs as an inner token in an iteration scope of its own with loopCounter and the
 * element variable. When the last iteration ends, or the completion condition holds, the body
 * completes and the body token moves on through the activity's outgoing flows.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"

static int set_local(en_scope *s, const char *name, cJSON *v)
{
    if (!v)
        return BPMN_ENOMEM;
    if (!s->vars && !(s->vars = cJSON_CreateObject())) {
        cJSON_Delete(v);
        return BPMN_ENOMEM;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(s->vars, name);
    if (!cJSON_AddItemToObject(s->vars, name, v)) {
        cJSON_Delete(v);
        return BPMN_ENOMEM;
    }
    return BPMN_OK;
}

static int get_int(const en_scope *s, const char *name)
{
    const cJSON *v = s->vars ? cJSON_GetObjectItemCaseSensitive(s->vars, name) : NULL;
    return cJSON_IsNumber(v) ? v->valueint : 0;
}

static int add_to(en_scope *s, const char *name, int delta)
{
    return set_local(s, name, cJSON_CreateNumber(get_int(s, name) + delta));
}

/* Evaluates the input collection from the scope of the body token; *out is a new array. */
static int collection(bpmn_engine *e, en_inst *in, uint32_t scope, const en_loopx *lx,
                      cJSON **out, char *err, size_t errcap)
{
    int rc = en_eval_json(e, in, scope, lx->collection, out, err, errcap);
    if (rc == BPMN_OK && !cJSON_IsArray(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        snprintf(err, errcap, "the input collection is not a list");
        return BPMN_EINVAL;
    }
    return rc;
}

/* Starts iteration i: a scope with loopCounter and the element, and an inner token. */
static int start_iteration(bpmn_engine *e, en_inst *in, uint32_t body, int i, const cJSON *items)
{
    const en_scope *bs = &in->scopes[body];
    uint32_t node = bs->node, owner = bs->token, it;
    const en_loopx *lx = in->def->loop[node];
    int rc = en_scope_new(e, in, node, body, owner, &it);
    if (rc != BPMN_OK)
        return rc;
    en_scope *is = &in->scopes[it];
    is->kind = EN_SC_ITER;
    rc = set_local(is, "loopCounter", cJSON_CreateNumber(i + (lx->one_based ? 1 : 0)));
    if (rc == BPMN_OK && lx->element && items) {
        const cJSON *item = cJSON_GetArrayItem(items, i);
        rc = set_local(is, lx->element, item ? cJSON_Duplicate(item, 1) : cJSON_CreateNull());
    }
    if (rc != BPMN_OK)
        return rc;
    en_token *t = en_tok_new(e, in, node, it, EN_NONE);
    if (!t)
        return BPMN_ENOMEM;
    t->flags = EN_TF_INNER;
    return BPMN_OK;
}

static int evaluate_truth(bpmn_engine *e, en_inst *in, uint32_t scope, const ex_expr *x, int *truth,
                          char *err, size_t errcap)
{
    cJSON *r = NULL;
    int rc = en_eval_json(e, in, scope, x, &r, err, errcap);
    if (rc == BPMN_OK && !cJSON_IsBool(r)) {
        snprintf(err, errcap, "the condition did not evaluate to a boolean");
        rc = BPMN_EINVAL;
    }
    if (rc == BPMN_OK)
        *truth = cJSON_IsTrue(r);
    cJSON_Delete(r);
    return rc;
}

/* The body is finished: end leftover iterations, hand the output collection to the enclosing
 * scope and move the body token on. */
static int complete_body(bpmn_engine *e, en_inst *in, uint32_t body)
{
    uint32_t owner = in->scopes[body].token, node = in->scopes[body].node;
    const en_loopx *lx = in->def->loop[node];
    cJSON *out = NULL;
    if (lx && lx->output && in->scopes[body].vars)
        out = cJSON_DetachItemFromObjectCaseSensitive(in->scopes[body].vars, lx->output);
    int rc = en_terminate_scope(e, in, body);
    en_token *b = en_token_find(in, owner);
    if (rc == BPMN_OK && out && b)
        rc = en_set_var(in, b->scope, lx->output, out);
    else
        cJSON_Delete(out);
    if (rc != BPMN_OK || !b)
        return rc;
    en_tok_ready(in, b);
    return en_leave(e, in, owner, 0);
}

int en_loop_enter(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *b = en_token_find(in, token_id);
    uint32_t node = b->node, parent = b->scope, body;
    const bg_node *n = &in->def->g->nodes[node];
    const en_loopx *lx = in->def->loop[node];
    b->state = EN_T_WAIT;
    int rc = en_scope_new(e, in, node, parent, token_id, &body);
    if (rc != BPMN_OK)
        return rc;
    in->scopes[body].kind = EN_SC_BODY;
    char err[256] = "";
    cJSON *items = NULL;
    long count = 1;
    if (n->flags & BG_F_MULTI_INSTANCE) {
        if (lx->collection) {
            rc = collection(e, in, parent, lx, &items, err, sizeof err);
            count = items ? cJSON_GetArraySize(items) : 0;
        } else if (lx->cardinality) {
            cJSON *r = NULL;
            rc = en_eval_json(e, in, parent, lx->cardinality, &r, err, sizeof err);
            if (rc == BPMN_OK && (!cJSON_IsNumber(r) || r->valuedouble < 0)) {
                snprintf(err, sizeof err, "loopCardinality is not a non-negative number");
                rc = BPMN_EINVAL;
            }
            /* compared as a double first: a huge cardinality does not fit a long */
            if (rc == BPMN_OK)
                count = r->valuedouble > (double)e->lim.mi_instances
                            ? (long)(e->lim.mi_instances > LONG_MAX - 1 ? LONG_MAX - 1
                                                                         : e->lim.mi_instances) + 1
                            : (long)r->valuedouble;
            cJSON_Delete(r);
        } else {
            snprintf(err, sizeof err, "multi-instance without loopCardinality or input collection");
            rc = BPMN_EINVAL;
        }
        if (rc == BPMN_OK && (unsigned long)count > e->lim.mi_instances) {
            snprintf(err, sizeof err, "more than the limit of %lu instances (limits.mi_instances)",
                     e->lim.mi_instances);
            rc = BPMN_EINVAL;
        }
    } else if ((n->flags & BG_F_TEST_BEFORE) && lx->condition) {
        int truth = 0;
        rc = evaluate_truth(e, in, parent, lx->condition, &truth, err, sizeof err);
        count = truth;
    }
    if (rc == BPMN_EINVAL) {
        cJSON_Delete(items);
        in->scopes[body].alive = 0;
        char msg[400];
        snprintf(msg, sizeof msg, "loop of '%s': %s", n->id ? n->id : "", err);
        return en_token_incident(e, in, token_id, msg);
    }
    en_scope *bs = &in->scopes[body];
    int parallel = (n->flags & BG_F_MULTI_INSTANCE) && !(n->flags & BG_F_SEQUENTIAL);
    if (rc == BPMN_OK && !en_tokens_fit(e, in, token_id, parallel ? (unsigned long)count : 1)) {
        cJSON_Delete(items);
        in->scopes[body].alive = 0;
        return in->incident_msg ? BPMN_OK : BPMN_ENOMEM;
    }
    if (rc == BPMN_OK)
        rc = set_local(bs, "nrOfInstances", cJSON_CreateNumber((double)count));
    if (rc == BPMN_OK)
        rc = set_local(bs, "nrOfCompletedInstances", cJSON_CreateNumber(0));
    if (rc == BPMN_OK)
        rc = set_local(bs, "nrOfActiveInstances",
                       cJSON_CreateNumber(parallel ? (double)count : count > 0));
    if (rc == BPMN_OK && lx->output) {
        cJSON *list = cJSON_CreateArray();
        for (long i = 0; list && i < count; i++)
            cJSON_AddItemToArray(list, cJSON_CreateNull());
        rc = set_local(bs, lx->output, list);
    }
    for (long i = 0; rc == BPMN_OK && i < (parallel ? count : (count > 0)); i++)
        rc = start_iteration(e, in, body, (int)i, items);
    cJSON_Delete(items);
    if (rc == BPMN_OK && count == 0)
        rc = complete_body(e, in, body);
    return rc;
}

int en_loop_iteration_done(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    uint32_t it = t->scope, node = t->node;
    uint32_t body = in->scopes[it].parent;
    const bg_node *n = &in->def->g->nodes[node];
    const en_loopx *lx = in->def->loop[node];
    en_hist_done(e, in, t);
    char err[256] = "";
    int rc = BPMN_OK;
    int index = get_int(&in->scopes[it], "loopCounter") - (lx->one_based ? 1 : 0);
    if (lx->output && lx->output_element) {
        cJSON *v = NULL;
        rc = en_eval_json(e, in, it, lx->output_element, &v, err, sizeof err);
        cJSON *list = in->scopes[body].vars
                          ? cJSON_GetObjectItemCaseSensitive(in->scopes[body].vars, lx->output)
                          : NULL;
        if (rc == BPMN_OK && list && index >= 0 && index < cJSON_GetArraySize(list))
            cJSON_ReplaceItemInArray(list, index, v);
        else
            cJSON_Delete(v);
    }
    if (rc == BPMN_OK)
        rc = add_to(&in->scopes[body], "nrOfCompletedInstances", 1);
    if (rc == BPMN_OK)
        rc = add_to(&in->scopes[body], "nrOfActiveInstances", -1);
    int done = 0;
    int completed = get_int(&in->scopes[body], "nrOfCompletedInstances");
    if (rc == BPMN_OK && (n->flags & BG_F_MULTI_INSTANCE)) {
        done = completed >= get_int(&in->scopes[body], "nrOfInstances");
        if (!done && lx->completion)
            rc = evaluate_truth(e, in, it, lx->completion, &done, err, sizeof err);
    } else if (rc == BPMN_OK) {
        int again = 0;
        if (lx->condition)
            rc = evaluate_truth(e, in, it, lx->condition, &again, err, sizeof err);
        done = !again || (lx->maximum && (uint32_t)completed >= lx->maximum);
    }
    if (rc == BPMN_EINVAL) {
        char msg[400];
        snprintf(msg, sizeof msg, "loop of '%s': %s", n->id ? n->id : "", err);
        return en_token_incident(e, in, token_id, msg);
    }
    if (rc != BPMN_OK)
        return rc;
    en_tok_remove(in, token_id);
    in->scopes[it].alive = 0;
    if (done)
        return complete_body(e, in, body);
    if ((n->flags & BG_F_MULTI_INSTANCE) && !(n->flags & BG_F_SEQUENTIAL))
        return BPMN_OK; /* parallel: the others are still running */
    cJSON *items = NULL;
    uint32_t parent = in->scopes[body].parent;
    if (lx->collection && (rc = collection(e, in, parent, lx, &items, err, sizeof err)) != BPMN_OK) {
        if (rc != BPMN_EINVAL)
            return rc;
        char msg[400];
        snprintf(msg, sizeof msg, "loop of '%s': %s", n->id ? n->id : "", err);
        return en_token_incident(e, in, in->scopes[body].token, msg);
    }
    rc = add_to(&in->scopes[body], "nrOfActiveInstances", 1);
    if (rc == BPMN_OK)
        rc = start_iteration(e, in, body, completed, items);
    cJSON_Delete(items);
    return rc;
}
