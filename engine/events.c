/*
 * events.c - waiting for time, messages and signals. A token that waits at a catch event, a
 * receive task, an event-based gateway, or an activity with boundary events gets timers
 * (ST_TIMERS, keyed by due time so that due timers are one range scan) and subscriptions
 * (ST_SUBS, keyed by message name and correlation key, or signal name). Every timer and
 * subscription is also indexed by its token (ST_INDEX 'X' + instance + token + ...), so that all
 * of them go away in the transaction that moves or cancels the token.
 *
 * Timer value: u8 kind (0 instance, 1 start), u64 instance, u32 token, u32 node, u64 firings
 * so far, str process, u32 version, str definition text (the evaluated text of an expression).
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"

enum { TK_INSTANCE = 0, TK_START = 1 };

#define NAME_CAP 200

typedef struct key {
    uint8_t b[512];
    size_t n;
} key;

static void k_u8(key *k, uint8_t v)
{
    if (k->n < sizeof k->b)
        k->b[k->n++] = v;
}

static void k_u32(key *k, uint32_t v)
{
    for (int i = 3; i >= 0; i--)
        k_u8(k, (uint8_t)(v >> (8 * i)));
}

static void k_u64(key *k, uint64_t v)
{
    for (int i = 7; i >= 0; i--)
        k_u8(k, (uint8_t)(v >> (8 * i)));
}

/* A name, capped so that keys stay under LMDB's 511 bytes, then a 0 separator. */
static void k_name(key *k, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > NAME_CAP)
        n = NAME_CAP;
    for (size_t i = 0; i < n; i++)
        k_u8(k, (uint8_t)s[i]);
    k_u8(k, 0);
}

static key token_prefix(uint64_t inst, uint32_t token)
{
    key k = {{0}, 0};
    k_u8(&k, 'X');
    k_u64(&k, inst);
    k_u32(&k, token);
    return k;
}

/* ---- timers ------------------------------------------------------------------------------- */

int en_timer_due(const bm_timer_spec *s, int64_t armed, int64_t now, int64_t *due, uint64_t *fired)
{
    /* A cycle whose start lies in the past begins at its first repetition not before now, as
     * Camunda and Zeebe do: the missed ones are counted as fired, never run late all at once. */
    *fired = 0;
    if (bm_timer_first(s, armed, due) != 0)
        return -1;
    if (s->form != BM_TF_CYCLE || *due >= now)
        return 0;
    for (uint64_t k = 1; k < 50000000 && *due < now; k++) {
        int64_t next;
        if (bm_timer_next(s, *due, (int64_t)k, &next) != 0)
            return -1; /* every repetition is already in the past */
        *due = next;
        *fired = k;
    }
    return *due >= now ? 0 : -1;
}

int en_put_timer(bpmn_engine *e, uint8_t kind, uint64_t inst, uint32_t token, uint32_t node,
                     uint64_t fired, const char *process, uint32_t version, const char *text,
                     int64_t due)
{
    uint64_t tid;
    int rc = en_next_id(e, "timer", &tid);
    if (rc != BPMN_OK)
        return rc;
    key tk = {{0}, 0};
    k_u64(&tk, (uint64_t)due);
    k_u64(&tk, tid);
    en_buf v = {e->a, NULL, 0, 0, 0};
    en_buf_u8(&v, kind);
    en_buf_u64(&v, inst);
    en_buf_u32(&v, token);
    en_buf_u32(&v, node);
    en_buf_u64(&v, fired);
    en_buf_str(&v, process);
    en_buf_u32(&v, version);
    en_buf_str(&v, text);
    rc = v.oom ? BPMN_ENOMEM : st_put(e->txn, ST_TIMERS, tk.b, tk.n, v.p, v.n);
    en_buf_free(&v);
    if (rc != BPMN_OK)
        return rc;
    /* The index entry: by token for instance timers, by process for start timers. */
    key ik;
    if (kind == TK_INSTANCE) {
        ik = token_prefix(inst, token);
        k_u8(&ik, 'T');
    } else {
        ik.n = 0;
        k_u8(&ik, 'P');
        k_name(&ik, process);
    }
    for (size_t i = 0; i < tk.n; i++)
        k_u8(&ik, tk.b[i]);
    return st_put(e->txn, ST_INDEX, ik.b, ik.n, "", 0);
}

/* The definition of a node's timer for this firing: the literal spec, or the expression's
 * value parsed now. *text receives the text to keep for later firings (expressions only). */
static int timer_spec(bpmn_engine *e, en_inst *in, uint32_t scope, const en_timer *t,
                      bm_timer_spec *spec, char **text, char *err, size_t errcap)
{
    *text = NULL;
    if (t->literal) {
        *spec = t->spec;
        return BPMN_OK;
    }
    if (!t->expr) {
        snprintf(err, errcap, "the timer has no definition");
        return BPMN_EINVAL;
    }
    int rc = en_eval_text(e, in, scope, t->expr, text, err, errcap);
    if (rc != BPMN_OK)
        return rc;
    if (!*text || bm_timer_parse(t->slot, *text, spec, err, errcap) != 0) {
        if (!*text)
            snprintf(err, errcap, "the timer expression gave no value");
        bm_free(e->a, *text);
        *text = NULL;
        return BPMN_EINVAL;
    }
    return BPMN_OK;
}

/* Arms the timer of event node `node` for a token. */
static int arm_timer(bpmn_engine *e, en_inst *in, uint32_t tok_id, uint32_t scope, uint32_t node)
{
    const en_timer *t = in->def->timer[node];
    bm_timer_spec spec;
    char *text = NULL;
    char err[256];
    int rc = t ? timer_spec(e, in, scope, t, &spec, &text, err, sizeof err) : BPMN_EINVAL;
    int64_t due = 0;
    uint64_t skipped = 0;
    if (rc == BPMN_OK && en_timer_due(&spec, en_now(e), en_now(e), &due, &skipped) != 0) {
        snprintf(err, sizeof err, "the timer never fires");
        rc = BPMN_EINVAL;
    }
    if (rc == BPMN_EINVAL) {
        char msg[400];
        snprintf(msg, sizeof msg, "timer of '%s': %s", in->def->g->nodes[node].id, t ? err : "missing");
        bm_free(e->a, text);
        return en_token_incident(e, in, tok_id, msg);
    }
    if (rc == BPMN_OK)
        rc = en_put_timer(e, TK_INSTANCE, in->id, tok_id, node, skipped, in->process, in->version,
                          text, due);
    if (rc == BPMN_OK) {
        cJSON *x = cJSON_CreateObject();
        if (x)
            cJSON_AddNumberToObject(x, "dueMs", (double)due);
        en_hist_x(e, in, EN_EV_TIMER_SCHEDULED, node, 0, NULL, NULL, x);
        cJSON_Delete(x);
    }
    bm_free(e->a, text);
    return rc;
}

/* ---- subscriptions ------------------------------------------------------------------------ */

static int put_sub(bpmn_engine *e, const key *sk, uint64_t inst, uint32_t token)
{
    int rc = st_put(e->txn, ST_SUBS, sk->b, sk->n, "", 0);
    if (rc != BPMN_OK)
        return rc;
    key ik = token_prefix(inst, token);
    k_u8(&ik, 'S');
    for (size_t i = 0; i < sk->n; i++)
        k_u8(&ik, sk->b[i]);
    return st_put(e->txn, ST_INDEX, ik.b, ik.n, "", 0);
}

static int arm_message(bpmn_engine *e, en_inst *in, uint32_t tok_id, uint32_t scope, uint32_t node)
{
    const bg_node *n = &in->def->g->nodes[node];
    char *ck = NULL;
    char err[256];
    int rc = BPMN_OK;
    if (in->def->corr_key[node]) {
        rc = en_eval_text(e, in, scope, in->def->corr_key[node], &ck, err, sizeof err);
        if (rc == BPMN_EINVAL) {
            char msg[400];
            snprintf(msg, sizeof msg, "correlation key of '%s': %s", n->id, err);
            return en_token_incident(e, in, tok_id, msg);
        }
        if (rc != BPMN_OK)
            return rc;
    }
    key sk = {{0}, 0};
    k_u8(&sk, 'm');
    k_name(&sk, n->event_ref);
    k_name(&sk, ck ? ck : in->def->corr_key[node] ? "" : in->key);
    k_u64(&sk, in->id);
    k_u32(&sk, tok_id);
    k_u32(&sk, node);
    bm_free(e->a, ck);
    return put_sub(e, &sk, in->id, tok_id);
}

static int arm_signal(bpmn_engine *e, en_inst *in, uint32_t tok_id, uint32_t scope, uint32_t node)
{
    (void)scope;
    key sk = {{0}, 0};
    k_u8(&sk, 'g');
    k_name(&sk, in->def->g->nodes[node].event_ref);
    k_u64(&sk, in->id);
    k_u32(&sk, tok_id);
    k_u32(&sk, node);
    return put_sub(e, &sk, in->id, tok_id);
}

/* Arms what event node `node` waits for, on behalf of the token. */
static int arm_for(bpmn_engine *e, en_inst *in, uint32_t token_id, uint32_t scope, uint32_t node)
{
    switch (in->def->g->nodes[node].trigger) {
    case BG_EV_TIMER: return arm_timer(e, in, token_id, scope, node);
    case BG_EV_MESSAGE: return arm_message(e, in, token_id, scope, node);
    case BG_EV_SIGNAL: return arm_signal(e, in, token_id, scope, node);
    default: return BPMN_OK;
    }
}

static int arm_node(bpmn_engine *e, en_inst *in, uint32_t token_id, uint32_t node)
{
    en_token *tok = en_token_find(in, token_id);
    uint32_t scope = tok ? tok->scope : 0;
    switch (in->def->g->nodes[node].trigger) {
    case BG_EV_TIMER: return arm_timer(e, in, token_id, scope, node);
    case BG_EV_MESSAGE: return arm_message(e, in, token_id, scope, node);
    case BG_EV_SIGNAL: return arm_signal(e, in, token_id, scope, node);
    default: return BPMN_OK; /* errors, escalations: thrown, not waited for */
    }
}

int en_arm_events(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    const bg_graph *g = in->def->g;
    const bg_node *n = &g->nodes[t->node];
    t->state = EN_T_WAIT;
    if (n->kind != BM_EVENT_BASED_GATEWAY)
        return arm_node(e, in, token_id, t->node);
    for (uint32_t i = 0; i < n->nout; i++) {
        int rc = arm_node(e, in, token_id, g->flows[g->out[n->out + i]].target);
        if (rc != BPMN_OK)
            return rc;
    }
    return BPMN_OK;
}

int en_arm_boundaries(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    en_token *t = en_token_find(in, token_id);
    const bg_graph *g = in->def->g;
    const bg_node *n = &g->nodes[t->node];
    for (uint32_t i = 0; i < n->nboundary; i++) {
        int rc = arm_node(e, in, token_id, g->boundary[n->boundary + i]);
        if (rc != BPMN_OK)
            return rc;
    }
    return BPMN_OK;
}

/* The graph scope a runtime scope runs: the process, or the sub-process its node opens. */
static const bg_scope *graph_scope(const en_inst *in, uint32_t s)
{
    const bg_graph *g = in->def->g;
    if (s == 0)
        return &g->scopes[0];
    const en_scope *rs = &in->scopes[s];
    if (rs->kind != EN_SC_SUB || rs->node >= g->nnodes || g->nodes[rs->node].inner_scope < 0)
        return NULL;
    return &g->scopes[g->nodes[rs->node].inner_scope];
}

int en_arm_event_subs(bpmn_engine *e, en_inst *in, uint32_t s)
{
    const bg_scope *sc = graph_scope(in, s);
    const bg_graph *g = in->def->g;
    for (uint32_t i = 0; sc && i < sc->nevent_subs; i++) {
        const bg_node *ev = &g->nodes[g->event_subs[sc->event_subs + i]];
        const bg_scope *inner = &g->scopes[ev->inner_scope];
        for (uint32_t k = 0; k < inner->nstarts; k++) {
            int rc = arm_for(e, in, in->scopes[s].token, s, g->starts[inner->starts + k]);
            if (rc != BPMN_OK)
                return rc;
        }
    }
    return BPMN_OK;
}

int en_disarm(bpmn_engine *e, en_inst *in, uint32_t token_id)
{
    key p = token_prefix(in->id, token_id);
    st_cursor *c = NULL;
    int rc = st_cursor_open(e->txn, ST_INDEX, &c);
    const void *k = NULL, *v;
    size_t kl = 0, vl;
    if (rc == BPMN_OK)
        rc = st_cursor_seek(c, p.b, p.n, &k, &kl, &v, &vl);
    while (rc == BPMN_OK && kl > p.n && memcmp(k, p.b, p.n) == 0) {
        const uint8_t *kb = k;
        uint8_t what = kb[p.n];
        int drc = what == 'T' ? st_del(e->txn, ST_TIMERS, kb + p.n + 1, kl - p.n - 1)
                              : st_del(e->txn, ST_SUBS, kb + p.n + 1, kl - p.n - 1);
        if (drc != BPMN_OK && drc != BPMN_ENOTFOUND) {
            rc = drc;
            break;
        }
        rc = st_cursor_del(c);
        if (rc == BPMN_OK)
            rc = st_cursor_seek(c, p.b, p.n, &k, &kl, &v, &vl);
    }
    st_cursor_close(c);
    return rc == BPMN_ENOTFOUND ? BPMN_OK : rc;
}

/* ---- start events of a new version -------------------------------------------------------- */

/* Removes the start timers and start subscriptions of earlier versions and arms those of d:
 * a new version replaces the old schedule. */
int en_schedule_starts(bpmn_engine *e, en_def *d)
{
    key p = {{0}, 0};
    k_u8(&p, 'P');
    k_name(&p, d->process);
    st_cursor *c = NULL;
    const void *k = NULL, *v;
    size_t kl = 0, vl;
    int rc = st_cursor_open(e->txn, ST_INDEX, &c);
    if (rc == BPMN_OK)
        rc = st_cursor_seek(c, p.b, p.n, &k, &kl, &v, &vl);
    while (rc == BPMN_OK && kl == p.n + 16 && memcmp(k, p.b, p.n) == 0) {
        int drc = st_del(e->txn, ST_TIMERS, (const uint8_t *)k + p.n, 16);
        if (drc != BPMN_OK && drc != BPMN_ENOTFOUND) {
            rc = drc;
            break;
        }
        rc = st_cursor_del(c);
        if (rc == BPMN_OK)
            rc = st_cursor_seek(c, p.b, p.n, &k, &kl, &v, &vl);
    }
    st_cursor_close(c);
    if (rc != BPMN_OK && rc != BPMN_ENOTFOUND)
        return rc;
    const bg_graph *g = d->g;
    const bg_scope *sc = &g->scopes[0];
    for (uint32_t i = 0; i < sc->nstarts; i++) {
        uint32_t n = g->starts[sc->starts + i];
        const bg_node *nd = &g->nodes[n];
        if (nd->trigger == BG_EV_TIMER && d->timer[n] && d->timer[n]->literal) {
            int64_t due;
            uint64_t skipped;
            if (en_timer_due(&d->timer[n]->spec, en_now(e), en_now(e), &due, &skipped) == 0 &&
                (rc = en_put_timer(e, 1, 0, 0, n, skipped, d->process, d->version, NULL, due)) != BPMN_OK)
                return rc;
        } else if ((nd->trigger == BG_EV_MESSAGE || nd->trigger == BG_EV_SIGNAL) && nd->event_ref) {
            key sk = {{0}, 0};
            k_u8(&sk, nd->trigger == BG_EV_MESSAGE ? 'S' : 'Z');
            k_name(&sk, nd->event_ref);
            size_t pl = strlen(d->process) > NAME_CAP ? NAME_CAP : strlen(d->process);
            for (size_t b = 0; b < pl; b++)
                k_u8(&sk, (uint8_t)d->process[b]);
            uint8_t val[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
            if ((rc = st_put(e->txn, ST_SUBS, sk.b, sk.n, val, 4)) != BPMN_OK)
                return rc;
        }
    }
    return BPMN_OK;
}
