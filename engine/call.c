/*
 * call.c - call activities: a child instance of the called process (latest version unless the
 * binding says otherwise), its own record with a parent link. Variables go in and out through
 * camunda:in/out or zeebe:ioMapping and the propagate-all switches; the parent's token waits
 * at the call activity, and the child's end continues it in the same transaction. An error
 * the child does not catch is thrown at the call activity; cancelling the call activity (by an
 * interrupting boundary event, a terminate end or cancelling the parent) cancels the child and
 * its descendants. A call depth limit stops runaway recursion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

static int is_expression(const char *s)
{
    while (*s == ' ')
        s++;
    return *s == '=' || strstr(s, "${") || strstr(s, "#{");
}

/* Evaluates a vendor expression attribute (or takes the literal) in the token's scope. */
static int value_of(bpmn_engine *e, en_inst *in, uint32_t scope, const char *src, cJSON **out,
                    char *err, size_t errcap)
{
    ex_expr *x = NULL;
    int rc = ex_compile_depth(src, EX_MODE_VALUE, e->a, e->lim.expr_depth, &x, err, errcap);
    if (rc == BPMN_OK)
        rc = en_eval_json(e, in, scope, x, out, err, errcap);
    ex_free(x);
    return rc;
}

/* Copies variables from one instance scope into a JSON object by the mapping rules. */
static int map_vars(bpmn_engine *e, en_inst *from, uint32_t scope, const bg_node *n, int in_dir,
                    cJSON *to, char *err, size_t errcap)
{
    const bm_ext *zc = bm_ext_find(n->ext, BM_NS_ZEEBE, "calledElement");
    const bm_ext *zio = bm_ext_find(n->ext, BM_NS_ZEEBE, "ioMapping");
    int zeebe = zc != NULL;
    int all = 0;
    if (zeebe) {
        const char *p = bm_ext_attr(zc, in_dir ? "propagateAllParentVariables"
                                               : "propagateAllChildVariables");
        all = !p || strcmp(p, "false") != 0; /* Zeebe propagates everything by default */
        if (zio) {
            for (const bm_ext *x = zio->child; x; x = x->next)
                if (strcmp(x->name, in_dir ? "input" : "output") == 0)
                    all = in_dir ? all : 0; /* explicit outputs replace propagating all */
        }
    }
    int rc = BPMN_OK;
    for (const bm_ext *x = n->ext; x && rc == BPMN_OK; x = x->next) {
        if ((x->ns != BM_NS_CAMUNDA && x->ns != BM_NS_FLOWABLE && x->ns != BM_NS_ACTIVITI) ||
            strcmp(x->name, in_dir ? "in" : "out") != 0)
            continue;
        const char *v = bm_ext_attr(x, "variables");
        if (v && strcmp(v, "all") == 0) {
            all = 1;
            continue;
        }
        const char *src = bm_ext_attr(x, "source"), *expr = bm_ext_attr(x, "sourceExpression");
        const char *target = bm_ext_attr(x, "target");
        if (!target || (!src && !expr))
            continue;
        cJSON *val = NULL;
        if (expr) {
            rc = value_of(e, from, scope, expr, &val, err, errcap);
        } else {
            for (uint32_t s = scope; s != EN_NONE && !val; s = from->scopes[s].parent) {
                const cJSON *f = from->scopes[s].vars
                                     ? cJSON_GetObjectItemCaseSensitive(from->scopes[s].vars, src)
                                     : NULL;
                if (f && !(val = cJSON_Duplicate(f, 1)))
                    rc = BPMN_ENOMEM;
            }
            if (!val && rc == BPMN_OK)
                val = cJSON_CreateNull();
        }
        if (rc == BPMN_OK) {
            cJSON_DeleteItemFromObjectCaseSensitive(to, target);
            if (!val || !cJSON_AddItemToObject(to, target, val))
                rc = BPMN_ENOMEM;
        } else {
            cJSON_Delete(val);
        }
    }
    for (const bm_ext *x = zio ? zio->child : NULL; x && rc == BPMN_OK; x = x->next) {
        if (strcmp(x->name, in_dir ? "input" : "output") != 0 || !bm_ext_attr(x, "target"))
            continue;
        cJSON *val = NULL;
        rc = value_of(e, from, scope, bm_ext_attr(x, "source") ? bm_ext_attr(x, "source") : "",
                      &val, err, errcap);
        if (rc == BPMN_OK) {
            cJSON_DeleteItemFromObjectCaseSensitive(to, bm_ext_attr(x, "target"));
            if (!cJSON_AddItemToObject(to, bm_ext_attr(x, "target"), val))
                rc = BPMN_ENOMEM;
        }
    }
    if (rc == BPMN_OK && all) {
        for (uint32_t s = scope; s != EN_NONE; s = from->scopes[s].parent)
            for (const cJSON *v = from->scopes[s].vars ? from->scopes[s].vars->child : NULL; v; v = v->next)
                if (!cJSON_GetObjectItemCaseSensitive(to, v->string)) {
                    cJSON *c = cJSON_Duplicate(v, 1);
                    if (!c || !cJSON_AddItemToObject(to, v->string, c)) {
                        cJSON_Delete(c);
                        return BPMN_ENOMEM;
                    }
                }
    }
    return rc;
}

static int add_child_index(bpmn_engine *e, uint64_t parent, uint64_t child)
{
    uint8_t k[17];
    k[0] = 'C';
    st_be64(k + 1, parent);
    st_be64(k + 9, child);
    return st_put(e->txn, ST_INDEX, k, 17, "", 0);
}

int en_call_enter(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    const bg_node *n = &in->def->g->nodes[t->node];
    uint32_t scope = t->scope;
    char err[256] = "";
    char msg[512];
    if (in->depth + 1 > e->lim.call_depth) {
        snprintf(msg, sizeof msg, "call depth limit of %u reached (limits.call_depth; runaway "
                                  "recursion?)", e->lim.call_depth);
        return en_token_incident(e, in, token_id, msg);
    }
    /* Which process, and which version of it. */
    char *process = NULL;
    int rc = BPMN_OK;
    if (n->called && is_expression(n->called)) {
        cJSON *v = NULL;
        rc = value_of(e, in, scope, n->called, &v, err, sizeof err);
        if (rc == BPMN_OK && cJSON_IsString(v)) {
            if (!(process = en_strdup(e->a, v->valuestring)))
                rc = BPMN_ENOMEM; /* not "no process to call": nothing is wrong with the model */
        } else if (rc == BPMN_OK)
            snprintf(err, sizeof err, "calledElement did not evaluate to a process id"), rc = BPMN_EINVAL;
        cJSON_Delete(v);
    } else if (n->called && !(process = en_strdup(e->a, n->called))) {
        return BPMN_ENOMEM;
    }
    if (rc == BPMN_EINVAL || (!process && rc == BPMN_OK)) {
        snprintf(msg, sizeof msg, "call activity: %s", err[0] ? err : "no process to call");
        bm_free(e->a, process);
        return en_token_incident(e, in, token_id, msg);
    }
    if (rc != BPMN_OK)
        return rc;
    uint32_t version = 0;
    const char *binding = bg_attr(n, BM_NS_CAMUNDA, "calledElementBinding");
    const char *ver = bg_attr(n, BM_NS_CAMUNDA, "calledElementVersion");
    const bm_ext *zc = bm_ext_find(n->ext, BM_NS_ZEEBE, "calledElement");
    if (!binding && zc)
        binding = bm_ext_attr(zc, "bindingType"); /* latest or deployment */
    if (binding && strcmp(binding, "version") == 0 && ver)
        version = (uint32_t)strtoul(ver, NULL, 10);
    else if (binding && strcmp(binding, "deployment") == 0 && strcmp(process, in->process) == 0)
        version = in->version; /* the same deployment: a recursive call stays on its version */
    if (!version)
        rc = en_def_latest(e, process, &version);
    en_def *d = NULL;
    if (rc == BPMN_OK)
        rc = en_def_get(e, process, version, &d);
    if (rc == BPMN_ENOTFOUND) {
        snprintf(msg, sizeof msg, "called process '%s'%s is not deployed", process,
                 version ? " in that version" : "");
        bm_free(e->a, process);
        e->err[0] = '\0';
        return en_token_incident(e, in, token_id, msg);
    }
    bm_free(e->a, process);
    if (rc != BPMN_OK)
        return rc;
    /* Variables in, and the business key when asked. */
    cJSON *vars = cJSON_CreateObject();
    if (!vars)
        return BPMN_ENOMEM;
    rc = map_vars(e, in, scope, n, 1, vars, err, sizeof err);
    if (rc == BPMN_EINVAL) {
        cJSON_Delete(vars);
        snprintf(msg, sizeof msg, "call activity input: %s", err);
        return en_token_incident(e, in, token_id, msg);
    }
    /* The child's business key: the parent's (camunda:in businessKey, flowable:/activiti:
     * inheritBusinessKey="true"), or flowable:/activiti:businessKey evaluated here. */
    const char *key = NULL;
    char *own_key = NULL;
    for (const bm_ext *x = n->ext; x; x = x->next)
        if (x->ns == BM_NS_CAMUNDA && strcmp(x->name, "in") == 0 && bm_ext_attr(x, "businessKey"))
            key = in->key;
    const char *inherit = bg_attr(n, BM_NS_FLOWABLE, "inheritBusinessKey");
    if (!inherit)
        inherit = bg_attr(n, BM_NS_ACTIVITI, "inheritBusinessKey");
    if (inherit && strcmp(inherit, "true") == 0)
        key = in->key;
    const ex_expr *key_expr = in->def->node_expr[t->node];
    if (!key && key_expr) {
        rc = en_eval_text(e, in, scope, key_expr, &own_key, err, sizeof err);
        if (rc == BPMN_EINVAL) {
            cJSON_Delete(vars);
            snprintf(msg, sizeof msg, "call activity businessKey: %s", err);
            return en_token_incident(e, in, token_id, msg);
        }
        key = own_key;
    }
    en_inst child;
    memset(&child, 0, sizeof child);
    t = en_token_find(in, token_id);
    t->state = EN_T_WAIT;
    t->ref = 0; /* set below; a child ending at once finds its parent in memory meanwhile */
    if (rc == BPMN_OK) {
        if (e->nlive >= (int)(sizeof e->live / sizeof e->live[0])) {
            cJSON_Delete(vars);
            return en_token_incident(e, in, token_id, "call depth limit reached");
        }
        e->live[e->nlive++] = in;
        rc = en_start_child(e, d, vars, key, in, token_id, &child);
        e->nlive--;
        vars = NULL;
    }
    bm_free(e->a, own_key);
    cJSON_Delete(vars);
    if (rc == BPMN_OK)
        rc = en_inst_save(e, &child);
    if (rc == BPMN_OK)
        rc = add_child_index(e, in->id, child.id);
    /* Still waiting (the child did not end at once): the token remembers its child. */
    t = en_token_find(in, token_id);
    if (rc == BPMN_OK && t && t->state == EN_T_WAIT && t->node == n - in->def->g->nodes)
        t->ref = child.id;
    en_inst_free(e, &child);
    return rc == BPMN_EINVAL ? en_token_incident(e, in, token_id, err) : rc;
}

/* The parent of a child: in memory when it is running the call right now, else loaded. */
static en_inst *live_parent(bpmn_engine *e, uint64_t id)
{
    for (int i = e->nlive; i-- > 0;)
        if (e->live[i]->id == id)
            return e->live[i];
    return NULL;
}

int en_child_completed(bpmn_engine *e, en_inst *child)
{
    if (!child->parent)
        return BPMN_OK;
    en_inst *live = live_parent(e, child->parent);
    en_inst loaded;
    int rc = live ? BPMN_OK : en_inst_load(e, child->parent, &loaded);
    if (rc == BPMN_ENOTFOUND)
        return BPMN_OK;
    if (rc != BPMN_OK)
        return rc;
    en_inst *pp = live ? live : &loaded;
#define p (*pp)
    en_token *t = en_token_find(&p, child->parent_token);
    if (t && (live ? t->ref == 0 : t->ref == child->id) && p.state != EN_COMPLETED &&
        p.state != EN_TERMINATED) {
        const bg_node *n = &p.def->g->nodes[t->node];
        char err[256] = "";
        cJSON *out = cJSON_CreateObject();
        rc = out ? map_vars(e, child, 0, n, 0, out, err, sizeof err) : BPMN_ENOMEM;
        if (rc == BPMN_OK)
            rc = en_merge_vars(&p, t->scope, out);
        cJSON_Delete(out);
        if (rc == BPMN_OK) {
            t = en_token_find(&p, child->parent_token);
            en_tok_ready(&p, t);
            t->ref = 0;
            rc = en_leave(e, &p, t->id, 0);
            /* A live parent is in the middle of its own run, which goes on from here. */
            if (rc == BPMN_OK && !live)
                rc = en_run(e, &p);
        } else if (rc == BPMN_EINVAL) {
            rc = en_token_incident(e, &p, child->parent_token, err);
        }
    }
    if (!live) {
        if (rc == BPMN_OK)
            rc = en_inst_save(e, &p);
        en_inst_free(e, &p);
    }
#undef p
    return rc;
}

int en_child_error(bpmn_engine *e, en_inst *child, const char *code, const char *msg, int *handled)
{
    *handled = 0;
    if (!child->parent)
        return BPMN_OK;
    en_inst *live = live_parent(e, child->parent);
    en_inst loaded;
    int rc = live ? BPMN_OK : en_inst_load(e, child->parent, &loaded);
    if (rc == BPMN_ENOTFOUND)
        return BPMN_OK;
    if (rc != BPMN_OK)
        return rc;
    en_inst *p = live ? live : &loaded;
    en_token *t = en_token_find(p, child->parent_token);
    if (t && (live ? t->ref == 0 : t->ref == child->id)) {
        *handled = 1;
        t->ref = 0; /* the child ends here; cancelling the call activity must not reach it */
        rc = en_token_throw(e, p, child->parent_token, code, msg);
        if (rc == BPMN_OK && !live)
            rc = en_run(e, p);
        if (rc == BPMN_OK && !live)
            rc = en_inst_save(e, p);
    }
    if (!live)
        en_inst_free(e, p);
    return rc;
}

int en_cancel_child(bpmn_engine *e, uint64_t child_id, uint32_t depth)
{
    if (depth > BPMN_LIMIT_CALL_DEPTH_MAX + 1)
        return BPMN_OK;
    en_inst c;
    int rc = en_inst_load(e, child_id, &c);
    if (rc == BPMN_ENOTFOUND)
        return BPMN_OK;
    if (rc != BPMN_OK)
        return rc;
    if (c.state == EN_ACTIVE || c.state == EN_INCIDENT) {
        rc = en_terminate_scope(e, &c, 0); /* grandchildren follow through their call tokens */
        if (rc == BPMN_OK)
            rc = en_disarm(e, &c, 0);
        c.state = EN_TERMINATED;
        c.ended = en_now(e);
        en_hist(e, &c, EN_EV_INSTANCE_TERMINATED, EN_NONE, 0, NULL, NULL);
        if (rc == BPMN_OK)
            rc = en_inst_save(e, &c);
    }
    en_inst_free(e, &c);
    return rc;
}
