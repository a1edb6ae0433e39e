/*
 * triggers.c - what happens when a timer is due, a message is correlated or a signal is sent:
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
static int deliver(bpmn_engine *e, en_inst *in, uint32_t token_id, uint32_t node,
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

/* ---- timers ------------------------------------------------------------------------------- */

typedef struct fire_job {
    int64_t now;
    int fired;
} fire_job;

static int start_instance(bpmn_engine *e, const char *process, const cJSON *vars,
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

static int fire_one(bpmn_engine *e, void *ud)
{
    fire_job *j = ud;
    st_cursor *c = NULL;
    int rc = st_cursor_open(e->txn, ST_TIMERS, &c);
    const void *k = NULL, *v = NULL;
    size_t kl = 0, vl = 0;
    if (rc == BPMN_OK)
        rc = st_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl);
    if (rc != BPMN_OK || kl != 16 || (int64_t)st_rd64(k) > j->now) {
        st_cursor_close(c);
        return rc == BPMN_ENOTFOUND || rc == BPMN_OK ? BPMN_ENOTFOUND : rc;
    }
    uint8_t tkey[16];
    memcpy(tkey, k, 16);
    int64_t due = (int64_t)st_rd64(tkey);
    en_rd r = {v, (const uint8_t *)v + vl, 0};
    uint8_t kind = en_rd_u8(&r);
    uint64_t inst_id = en_rd_u64(&r);
    uint32_t token = en_rd_u32(&r), node = en_rd_u32(&r);
    uint64_t fired = en_rd_u64(&r);
    char *process = en_rd_strdup(&r, e->a);
    uint32_t version = en_rd_u32(&r);
    char *text = en_rd_strdup(&r, e->a);
    st_cursor_close(c);
    if (r.bad || !process) {
        bm_free(e->a, process);
        bm_free(e->a, text);
        if (r.bad == EN_RD_OOM)
            return en_fail(e, BPMN_ENOMEM, "out of memory");
        return en_fail(e, BPMN_EIO, "a stored timer is damaged");
    }
    rc = st_del(e->txn, ST_TIMERS, tkey, 16);
    /* Its index entry goes too (by token, or by process for start timers). */
    if (rc == BPMN_OK && kind == 1) {
        uint8_t ik[512];
        size_t n = 0, pl = strlen(process) > 200 ? 200 : strlen(process);
        ik[n++] = 'P';
        memcpy(ik + n, process, pl);
        n += pl;
        ik[n++] = 0;
        memcpy(ik + n, tkey, 16);
        n += 16;
        int drc = st_del(e->txn, ST_INDEX, ik, n);
        rc = drc == BPMN_ENOTFOUND ? BPMN_OK : drc;
    } else if (rc == BPMN_OK) {
        uint8_t ik[32];
        size_t n = 0;
        ik[n++] = 'X';
        st_be64(ik + n, inst_id);
        n += 8;
        for (int i = 3; i >= 0; i--)
            ik[n++] = (uint8_t)(token >> (8 * i));
        ik[n++] = 'T';
        memcpy(ik + n, tkey, 16);
        n += 16;
        int drc = st_del(e->txn, ST_INDEX, ik, n);
        rc = drc == BPMN_ENOTFOUND ? BPMN_OK : drc;
    }
    en_def *d = NULL;
    if (rc == BPMN_OK)
        rc = en_def_get(e, process, version, &d);
    bm_timer_spec spec;
    int have_spec = 0;
    if (rc == BPMN_OK && node < d->g->nnodes && d->timer[node]) {
        char err[128];
        if (text)
            have_spec = bm_timer_parse(d->timer[node]->slot, text, &spec, err, sizeof err) == 0;
        else if (d->timer[node]->literal)
            spec = d->timer[node]->spec, have_spec = 1;
    }
    int64_t next = 0;
    int again = rc == BPMN_OK && have_spec && bm_timer_next(&spec, due, (int64_t)fired + 1, &next) == 0;

    if (rc == BPMN_OK && kind == 1) {
        /* A start timer: a new instance, and the next firing of a cycle. */
        rc = start_instance(e, process, NULL, NULL, node, EN_EV_TIMER_FIRED, NULL);
        if (rc == BPMN_OK && again)
            rc = en_put_timer(e, 1, 0, 0, node, fired + 1, process, version, text, next);
    } else if (rc == BPMN_OK) {
        en_inst in;
        rc = en_inst_load(e, inst_id, &in);
        if (rc == BPMN_ENOTFOUND) {
            rc = BPMN_OK; /* the instance was purged: the timer just goes */
        } else if (rc == BPMN_OK) {
            int64_t resched = 0;
            int alive = token == 0 ? 1 : en_token_find(&in, token) != NULL;
            if (alive && in.state == EN_ACTIVE) {
                rc = deliver(e, &in, token, node, NULL, EN_EV_TIMER_FIRED, &resched);
                if (rc == BPMN_OK && resched && again &&
                    (token == 0 ? in.state == EN_ACTIVE : en_token_find(&in, token) != NULL))
                    rc = en_put_timer(e, 0, in.id, token, node, fired + 1, in.process,
                                          in.version, text, next);
            }
            if (rc == BPMN_OK)
                rc = en_inst_save(e, &in);
            en_inst_free(e, &in);
        }
    }
    bm_free(e->a, process);
    bm_free(e->a, text);
    return rc; /* the caller counts it once committed: this may run again after the map grew */
}

int bpmn_tick(bpmn_engine *e, char **json_out)
{
    return bpmn_tick_max(e, 0, json_out);
}

int bpmn_tick_max(bpmn_engine *e, unsigned max, char **json_out)
{
    if (!e || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    /* The answer's room is taken first: once timers have fired, the call cannot fail. */
    char *out = bm_alloc(e->a, NULL, 32);
    if (!out)
        return en_fail(e, BPMN_ENOMEM, "out of memory");
    fire_job j = {en_now(e), 0};
    while (!max || (unsigned)j.fired < max) {
        int rc = en_write(e, fire_one, &j);
        if (rc == BPMN_OK)
            j.fired++;
        if (rc == BPMN_ENOTFOUND)
            break;
        if (rc != BPMN_OK) {
            bm_free(e->a, out);
            return rc;
        }
    }
    e->err[0] = '\0';
    snprintf(out, 32, "{\"fired\":%d}", j.fired);
    *json_out = out;
    return BPMN_OK;
}

int bpmn_next_timer(bpmn_engine *e, long long *due)
{
    if (!e || !due)
        return BPMN_EINVAL;
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return rc;
    st_cursor *c = NULL;
    const void *k = NULL, *v;
    size_t kl = 0, vl;
    rc = st_cursor_open(t, ST_TIMERS, &c);
    if (rc == BPMN_OK)
        rc = st_cursor_seek(c, NULL, 0, &k, &kl, &v, &vl);
    if (rc == BPMN_OK && kl == 16)
        *due = (long long)st_rd64(k);
    st_cursor_close(c);
    en_read_end(e, t);
    return rc;
}

/* ---- messages and signals ----------------------------------------------------------------- */

typedef struct msg_job {
    const char *name, *key;
    cJSON *vars;
    int signal;
    int delivered;
    uint64_t instance;
} msg_job;

static size_t sub_prefix(uint8_t *b, char tag, const char *name, const char *key)
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
static int first_sub(bpmn_engine *e, const uint8_t *p, size_t pl, uint64_t *inst, uint32_t *token,
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

static int deliver_sub(bpmn_engine *e, msg_job *j, uint64_t inst_id, uint32_t token, uint32_t node)
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
    rc = deliver(e, &in, token, node, j->vars, j->signal ? EN_EV_SIGNAL_RECEIVED
                                                         : EN_EV_MESSAGE_CORRELATED, &resched);
    /* A non-interrupting boundary keeps its subscription: deliver() left it armed. */
    if (rc == BPMN_OK)
        rc = en_inst_save(e, &in);
    j->instance = in.id;
    en_inst_free(e, &in);
    return rc;
}

/* Start events waiting for this message or signal: 'S'/'Z' + name + 0 + process. */
static int start_subscribers(bpmn_engine *e, msg_job *j, int only_first)
{
    uint8_t p[512];
    size_t pl = sub_prefix(p, j->signal ? 'Z' : 'S', j->name, NULL);
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
        rc = start_instance(e, procs[i], j->vars, j->signal ? NULL : j->key, nodes[i],
                            j->signal ? EN_EV_SIGNAL_RECEIVED : EN_EV_MESSAGE_CORRELATED, &id);
        if (rc != BPMN_OK)
            return rc;
        j->delivered++;
        j->instance = id;
    }
    return BPMN_OK;
}

static int correlate_txn(bpmn_engine *e, void *ud)
{
    msg_job *j = ud;
    j->delivered = 0;
    uint8_t p[512];
    size_t pl = sub_prefix(p, 'm', j->name, j->key ? j->key : "");
    uint64_t inst;
    uint32_t token, node;
    int rc = first_sub(e, p, pl, &inst, &token, &node);
    if (rc == BPMN_OK) {
        j->delivered = 1;
        return deliver_sub(e, j, inst, token, node);
    }
    if (rc != BPMN_ENOTFOUND)
        return rc;
    rc = start_subscribers(e, j, 1);
    if (rc == BPMN_OK && !j->delivered)
        rc = en_fail(e, BPMN_ENOTFOUND, "nothing waits for message '%s'%s%s%s", j->name,
                     j->key ? " with key '" : "", j->key ? j->key : "", j->key ? "'" : "");
    return rc;
}

static int signal_txn(bpmn_engine *e, void *ud)
{
    msg_job *j = ud;
    j->delivered = 0;
    uint8_t p[512];
    size_t pl = sub_prefix(p, 'g', j->name, NULL);
    /* Collect every subscription first, then deliver: deliveries change the table, and a
     * non-interrupting boundary keeps its subscription for later signals. */
    typedef struct target {
        uint64_t inst;
        uint32_t token, node;
    } target;
    target *ts = NULL;
    size_t n = 0, cap = 0;
    st_cursor *c = NULL;
    const void *k = NULL, *v;
    size_t kl = 0, vl;
    int rc = st_cursor_open(e->txn, ST_SUBS, &c);
    if (rc == BPMN_OK)
        rc = st_cursor_seek(c, p, pl, &k, &kl, &v, &vl);
    while (rc == BPMN_OK && kl == pl + 16 && memcmp(k, p, pl) == 0) {
        if (bm_grow(e->a, (void **)&ts, &cap, n + 1, sizeof *ts) != 0) {
            rc = BPMN_ENOMEM;
            break;
        }
        const uint8_t *t = (const uint8_t *)k + pl;
        ts[n].inst = st_rd64(t);
        ts[n].token = (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
        ts[n].node = (uint32_t)t[12] << 24 | (uint32_t)t[13] << 16 | (uint32_t)t[14] << 8 | t[15];
        n++;
        rc = st_cursor_next(c, &k, &kl, &v, &vl);
    }
    st_cursor_close(c);
    if (rc == BPMN_ENOTFOUND)
        rc = BPMN_OK;
    for (size_t i = 0; rc == BPMN_OK && i < n; i++) {
        /* Still subscribed? An earlier delivery may have moved or cancelled the token. */
        uint8_t sk[512];
        memcpy(sk, p, pl);
        st_be64(sk + pl, ts[i].inst);
        for (int b = 0; b < 4; b++) {
            sk[pl + 8 + b] = (uint8_t)(ts[i].token >> (24 - 8 * b));
            sk[pl + 12 + b] = (uint8_t)(ts[i].node >> (24 - 8 * b));
        }
        const void *sv;
        size_t svl;
        if (st_get(e->txn, ST_SUBS, sk, pl + 16, &sv, &svl) != BPMN_OK)
            continue;
        rc = deliver_sub(e, j, ts[i].inst, ts[i].token, ts[i].node);
        if (rc == BPMN_OK)
            j->delivered++;
    }
    bm_free(e->a, ts);
    return rc == BPMN_OK ? start_subscribers(e, j, 0) : rc;
}

static char *send_answer(bpmn_engine *e, void *ud)
{
    msg_job *j = ud;
    cJSON *o = cJSON_CreateObject();
    int ok = o && (j->signal ? cJSON_AddNumberToObject(o, "delivered", j->delivered) != NULL
                             : en_json_id(o, "instance", j->instance));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return en_json_out(e, o);
}

static int send(bpmn_engine *e, msg_job *j, const char *vars_json, char **json_out)
{
    *json_out = NULL;
    e->err[0] = '\0';
    if (vars_json && *vars_json) {
        j->vars = cJSON_Parse(vars_json);
        if (!cJSON_IsObject(j->vars) || !en_json_finite(j->vars)) {
            cJSON_Delete(j->vars);
            return en_fail(e, BPMN_EINVAL, "variables must be a JSON object");
        }
    }
    int rc = en_write_answer(e, j->signal ? signal_txn : correlate_txn, j, send_answer, json_out);
    cJSON_Delete(j->vars);
    return rc;
}

int bpmn_correlate(bpmn_engine *e, const char *message, const char *key, const char *vars_json,
                   char **json_out)
{
    if (!e || !message || !json_out)
        return BPMN_EINVAL;
    msg_job j = {message, key && *key ? key : NULL, NULL, 0, 0, 0};
    return send(e, &j, vars_json, json_out);
}

int bpmn_signal(bpmn_engine *e, const char *signal, const char *vars_json, char **json_out)
{
    if (!e || !signal || !json_out)
        return BPMN_EINVAL;
    msg_job j = {signal, NULL, NULL, 1, 0, 0};
    return send(e, &j, vars_json, json_out);
}

/* ---- messages and signals thrown by an instance ------------------------------------------- */

/* Delivers to one subscription: directly into `self` when it is the throwing instance, else by
 * loading, moving and saving the other instance in this same transaction. */
static int deliver_from(bpmn_engine *e, en_inst *self, uint64_t inst, uint32_t token, uint32_t node,
                        en_event ev)
{
    int64_t resched;
    if (inst == self->id)
        return deliver(e, self, token, node, NULL, ev, &resched);
    en_inst other;
    int rc = en_inst_load(e, inst, &other);
    if (rc != BPMN_OK)
        return rc == BPMN_ENOTFOUND ? BPMN_OK : rc;
    if (other.state == EN_ACTIVE)
        rc = deliver(e, &other, token, node, NULL, ev, &resched);
    if (rc == BPMN_OK)
        rc = en_inst_save(e, &other);
    en_inst_free(e, &other);
    return rc;
}

int en_throw_signal(bpmn_engine *e, en_inst *in, const char *name)
{
    uint8_t p[512];
    size_t pl = sub_prefix(p, 'g', name ? name : "", NULL);
    for (int guard = 0; guard < 100000; guard++) {
        uint64_t inst;
        uint32_t token, node;
        int rc = first_sub(e, p, pl, &inst, &token, &node);
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
    msg_job j = {name ? name : "", NULL, NULL, 1, 0, 0};
    return start_subscribers(e, &j, 0);
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
    size_t pl = sub_prefix(p, 'm', n->event_ref ? n->event_ref : "", k);
    uint64_t inst;
    uint32_t tok, target;
    int rc = first_sub(e, p, pl, &inst, &tok, &target);
    bm_free(e->a, key);
    if (rc == BPMN_ENOTFOUND)
        return BPMN_OK; /* nobody waits: a message to no one is lost, as in BPMN */
    if (rc != BPMN_OK)
        return rc;
    return deliver_from(e, in, inst, tok, target, EN_EV_MESSAGE_CORRELATED);
}

int bpmn_message_handler_set(bpmn_engine *e, bpmn_message_handler fn, void *ud)
{
    if (!e)
        return BPMN_EINVAL;
    e->on_message = fn;
    e->on_message_ud = ud;
    return BPMN_OK;
}
