/*
 * triggers.c - what happens when a timer is due, a message is correlated or a signal is sent
 * (ops/triggers.c brings them from outside; en_throw_* from a throwing event inside):
 * the waiting token moves on (catch events, receive tasks), an event-based gateway takes the
 * branch of the event that came first, or a boundary event interrupts its activity (or starts a
 * parallel path when it does not interrupt). Each firing runs in one transaction with all its
 * consequences. Start events with a timer, message or signal start new instances.
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"

/* The trigger of event node `node` reached the token: move on accordingly. vars (may be NULL)
 * are merged into the instance first. */
int en_deliver(bpmn_engine *e, en_inst *in, uint32_t token_id, uint32_t node,
                   const cJSON *vars, en_event ev, int64_t *reschedule_after)
{
    const bg_graph *g = in->def->g;
    const bg_node *ev_node = &g->nodes[node];
    *reschedule_after = 0;
    if (ev_node->kind == BM_START_EVENT) {
        /* The start event of an event sub-process, armed for the scope's owner. */
        uint32_t scope = en_scope_of_owner(in, token_id);
        if (scope == EN_NONE)
            return en_fail(e, BPMN_ESTATE, "the scope of the event sub-process is gone");
        if (!(ev_node->flags & BG_F_INTERRUPTING) && ev_node->trigger == BG_EV_TIMER)
            *reschedule_after = 1;
        int rc = en_start_event_sub(e, in, scope, node, vars, ev);
        return rc == BPMN_OK ? en_run(e, in) : rc;
    }
    en_token *t = en_token_find(in, token_id);
    if (!t)
        return en_fail(e, BPMN_ESTATE, "the waiting token is gone");
    int rc = BPMN_OK;
    *reschedule_after = 0;
    if (vars && vars->child)
        rc = en_merge_vars(in, t->scope, vars);
    if (rc != BPMN_OK)
        return rc;
    if (t->node == node || g->nodes[t->node].kind == BM_EVENT_BASED_GATEWAY) {
        /* A catch event or receive task, or the first event after an event-based gateway: the
         * other events of the gateway are removed with the token's subscriptions. */
        rc = en_disarm(e, in, token_id);
        if (rc != BPMN_OK)
            return rc;
        if (t->node != node) {
            en_hist_done(e, in, t);
            t->node = node;
            t->since = en_now(e);
            en_hist(e, in, EN_EV_ELEMENT_ACTIVATED, node, 0, NULL, NULL);
        }
        en_hist(e, in, ev, node, 0, NULL, vars);
        en_tok_ready(in, t);
        rc = en_leave(e, in, token_id, 0);
        return rc == BPMN_OK ? en_run(e, in) : rc;
    }
    /* A boundary event of the activity the token waits in. */
    uint32_t scope = t->scope;
    en_hist(e, in, ev, node, 0, NULL, vars);
    if (ev_node->flags & BG_F_INTERRUPTING) {
        rc = en_cancel_token(e, in, token_id);
    } else if (ev_node->trigger == BG_EV_TIMER) {
        *reschedule_after = 1; /* a cycle on a non-interrupting boundary fires again */
    }
    if (rc != BPMN_OK)
        return rc;
    if (!(ev_node->flags & BG_F_INTERRUPTING) && !en_event_fits(e, in, node, 1))
        return BPMN_OK; /* an incident at the boundary event; a cycle still fires again */
    en_token *nt = en_tok_new(e, in, node, scope, EN_NONE);
    if (!nt)
        return BPMN_ENOMEM;
    en_hist(e, in, EN_EV_ELEMENT_ACTIVATED, node, 0, NULL, NULL);
    rc = en_leave(e, in, nt->id, 0);
    return rc == BPMN_OK ? en_run(e, in) : rc;
}

/* A start event (timer, message or signal) of the latest version of process starts an instance. */
int en_start_by_event(bpmn_engine *e, const char *process, const cJSON *vars,
                          const char *key, uint32_t start_node, en_event ev, uint64_t *id)
{
    uint32_t version = 0;
    int rc = en_def_latest(e, process, &version);
    en_def *d = NULL;
    if (rc == BPMN_OK)
        rc = en_def_get(e, process, version, &d);
    if (rc != BPMN_OK)
        return rc;
    /* The start node of the latest version with the same id, or its first matching one. */
    int32_t sn = start_node < d->g->nnodes ? (int32_t)start_node : -1;
    cJSON *copy = vars ? cJSON_Duplicate(vars, 1) : NULL;
    if (vars && !copy)
        return BPMN_ENOMEM;
    en_inst in;
    rc = en_start_at(e, d, copy, key, sn, ev, &in);
    if (rc == BPMN_OK)
        rc = en_inst_save(e, &in);
    if (id)
        *id = in.id;
    en_inst_free(e, &in);
    return rc;
}

/* ---- messages and signals ----------------------------------------------------------------- */

size_t en_sub_prefix(uint8_t *b, char tag, const char *name, const char *key)
{
    size_t n = 0;
    b[n++] = (uint8_t)tag;
    size_t l = strlen(name) > 200 ? 200 : strlen(name);
    memcpy(b + n, name, l);
    n += l;
    b[n++] = 0;
    if (key) {
        l = strlen(key) > 200 ? 200 : strlen(key);
        memcpy(b + n, key, l);
        n += l;
        b[n++] = 0;
    }
    return n;
}

/* The first subscription under a prefix: instance, token and node from the key's tail. */
int en_first_sub(bpmn_engine *e, const uint8_t *p, size_t pl, uint64_t *inst, uint32_t *token,
                     uint32_t *node)
{
    st_cursor *c = NULL;
    const void *k = NULL, *v;
    size_t kl = 0, vl;
    int rc = st_cursor_open(e->txn, ST_SUBS, &c);
    if (rc == BPMN_OK)
        rc = st_cursor_seek(c, p, pl, &k, &kl, &v, &vl);
    if (rc == BPMN_OK && (kl != pl + 16 || memcmp(k, p, pl) != 0))
        rc = BPMN_ENOTFOUND;
    if (rc == BPMN_OK) {
        const uint8_t *t = (const uint8_t *)k + pl;
        *inst = st_rd64(t);
        *token = (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
        *node = (uint32_t)t[12] << 24 | (uint32_t)t[13] << 16 | (uint32_t)t[14] << 8 | t[15];
    }
    st_cursor_close(c);
    return rc;
}

int en_deliver_sub(bpmn_engine *e, en_delivery *j, uint64_t inst_id, uint32_t token, uint32_t node)
{
    en_inst in;
    int rc = en_inst_load(e, inst_id, &in);
    if (rc != BPMN_OK)
        return rc;
    if (in.suspended) {
        en_inst_free(e, &in);
        return j->signal ? BPMN_OK
                         : en_fail(e, BPMN_ESTATE, "instance %llu waits for this message but is "
                                                   "suspended", (unsigned long long)inst_id);
    }
    int64_t resched;
    rc = en_deliver(e, &in, token, node, j->vars, j->signal ? EN_EV_SIGNAL_RECEIVED
                                                         : EN_EV_MESSAGE_CORRELATED, &resched);
    /* A non-interrupting boundary keeps its subscription: en_deliver() left it armed. */
    if (rc == BPMN_OK)
        rc = en_inst_save(e, &in);
    j->instance = in.id;
    en_inst_free(e, &in);
    return rc;
}

/* Start events waiting for this message or signal: 'S'/'Z' + name + 0 + process. */
int en_start_subscribers(bpmn_engine *e, en_delivery *j, int only_first)
{
    uint8_t p[512];
    size_t pl = en_sub_prefix(p, j->signal ? 'Z' : 'S', j->name, NULL);
    st_cursor *c = NULL;
    const void *k = NULL, *v;
    size_t kl = 0, vl;
    int rc = st_cursor_open(e->txn, ST_SUBS, &c);
    if (rc == BPMN_OK)
        rc = st_cursor_seek(c, p, pl, &k, &kl, &v, &vl);
    /* Collect the processes first: starting instances writes to the table being read. */
    char procs[16][201];
    uint32_t nodes[16];
    int n = 0;
    while (rc == BPMN_OK && kl > pl && memcmp(k, p, pl) == 0 && n < 16 && vl == 4) {
        size_t l = kl - pl > 200 ? 200 : kl - pl;
        memcpy(procs[n], (const uint8_t *)k + pl, l);
        procs[n][l] = '\0';
        const uint8_t *vb = v;
        nodes[n++] = (uint32_t)vb[0] << 24 | (uint32_t)vb[1] << 16 | (uint32_t)vb[2] << 8 | vb[3];
        rc = st_cursor_next(c, &k, &kl, &v, &vl);
    }
    st_cursor_close(c);
    if (rc != BPMN_OK && rc != BPMN_ENOTFOUND)
        return rc;
    for (int i = 0; i < n && (!only_first || i == 0); i++) {
        uint64_t id = 0;
        rc = en_start_by_event(e, procs[i], j->vars, j->signal ? NULL : j->key, nodes[i],
                            j->signal ? EN_EV_SIGNAL_RECEIVED : EN_EV_MESSAGE_CORRELATED, &id);
        if (rc != BPMN_OK)
            return rc;
        j->delivered++;
        j->instance = id;
    }
    return BPMN_OK;
}

/* ---- messages and signals thrown by an instance ------------------------------------------- */

/* Delivers to one subscription: directly into `self` when it is the throwing instance, else by
 * loading, moving and saving the other instance in this same transaction. */
static int deliver_from(bpmn_engine *e, en_inst *self, uint64_t inst, uint32_t token, uint32_t node,
                        en_event ev)
{
    int64_t resched;
    if (inst == self->id)
        return en_deliver(e, self, token, node, NULL, ev, &resched);
    en_inst other;
    int rc = en_inst_load(e, inst, &other);
    if (rc != BPMN_OK)
        return rc == BPMN_ENOTFOUND ? BPMN_OK : rc;
    if (other.state == EN_ACTIVE)
        rc = en_deliver(e, &other, token, node, NULL, ev, &resched);
    if (rc == BPMN_OK)
        rc = en_inst_save(e, &other);
    en_inst_free(e, &other);
    return rc;
}

int en_throw_signal(bpmn_engine *e, en_inst *in, const char *name)
{
    uint8_t p[512];
    size_t pl = en_sub_prefix(p, 'g', name ? name : "", NULL);
    for (int guard = 0; guard < 100000; guard++) {
        uint64_t inst;
        uint32_t token, node;
        int rc = en_first_sub(e, p, pl, &inst, &token, &node);
        if (rc == BPMN_ENOTFOUND)
            break;
        if (rc != BPMN_OK)
            return rc;
        /* Remove it first: a non-interrupting boundary would otherwise catch this very signal
         * again. (It catches later signals only once the activity is entered again.) */
        uint8_t sk[512];
        memcpy(sk, p, pl);
        st_be64(sk + pl, inst);
        for (int b = 0; b < 4; b++) {
            sk[pl + 8 + b] = (uint8_t)(token >> (24 - 8 * b));
            sk[pl + 12 + b] = (uint8_t)(node >> (24 - 8 * b));
        }
        if ((rc = st_del(e->txn, ST_SUBS, sk, pl + 16)) != BPMN_OK)
            return rc;
        if ((rc = deliver_from(e, in, inst, token, node, EN_EV_SIGNAL_RECEIVED)) != BPMN_OK)
            return rc;
    }
    en_delivery j = {name ? name : "", NULL, NULL, 1, 0, 0};
    return en_start_subscribers(e, &j, 0);
}

int en_throw_message(bpmn_engine *e, en_inst *in, uint32_t token_id, uint32_t node)
{
    const bg_node *n = &in->def->g->nodes[node];
    en_token *t = en_token_find(in, token_id);
    char *key = NULL;
    char err[256];
    if (in->def->corr_key[node] && t &&
        en_eval_text(e, in, t->scope, in->def->corr_key[node], &key, err, sizeof err) == BPMN_ENOMEM)
        return BPMN_ENOMEM;
    const char *k = key ? key : in->def->corr_key[node] ? "" : in->key ? in->key : "";
    if (e->on_message) {
        /* The embedding program hears every message a process sends, with its variables. */
        char *json = in->scopes[0].vars ? en_json_print(in->scopes[0].vars) : NULL;
        e->on_message(e->on_message_ud, n->event_ref ? n->event_ref : "", k, json ? json : "{}");
        cJSON_free(json);
    }
    uint8_t p[512];
    size_t pl = en_sub_prefix(p, 'm', n->event_ref ? n->event_ref : "", k);
    uint64_t inst;
    uint32_t tok, target;
    int rc = en_first_sub(e, p, pl, &inst, &tok, &target);
    bm_free(e->a, key);
    if (rc == BPMN_ENOTFOUND)
        return BPMN_OK; /* nobody waits: a message to no one is lost, as in BPMN */
    if (rc != BPMN_OK)
        return rc;
    return deliver_from(e, in, inst, tok, target, EN_EV_MESSAGE_CORRELATED);
}
