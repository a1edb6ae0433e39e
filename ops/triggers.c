/*
 * triggers.c - the operations that bring events from outside: firing due timers (tick, one
 * transaction per timer), correlating a message and broadcasting a signal. What a delivered
 * event does to an instance is engine/triggers.c.
 */
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"

typedef struct fire_job {
    int64_t now;
    int fired;
} fire_job;

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
        rc = en_start_by_event(e, process, NULL, NULL, node, EN_EV_TIMER_FIRED, NULL);
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
                rc = en_deliver(e, &in, token, node, NULL, EN_EV_TIMER_FIRED, &resched);
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

static int correlate_txn(bpmn_engine *e, void *ud)
{
    en_delivery *j = ud;
    j->delivered = 0;
    uint8_t p[512];
    size_t pl = en_sub_prefix(p, 'm', j->name, j->key ? j->key : "");
    uint64_t inst;
    uint32_t token, node;
    int rc = en_first_sub(e, p, pl, &inst, &token, &node);
    if (rc == BPMN_OK) {
        j->delivered = 1;
        return en_deliver_sub(e, j, inst, token, node);
    }
    if (rc != BPMN_ENOTFOUND)
        return rc;
    rc = en_start_subscribers(e, j, 1);
    if (rc == BPMN_OK && !j->delivered)
        rc = en_fail(e, BPMN_ENOTFOUND, "nothing waits for message '%s'%s%s%s", j->name,
                     j->key ? " with key '" : "", j->key ? j->key : "", j->key ? "'" : "");
    return rc;
}

static int signal_txn(bpmn_engine *e, void *ud)
{
    en_delivery *j = ud;
    j->delivered = 0;
    uint8_t p[512];
    size_t pl = en_sub_prefix(p, 'g', j->name, NULL);
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
        rc = en_deliver_sub(e, j, ts[i].inst, ts[i].token, ts[i].node);
        if (rc == BPMN_OK)
            j->delivered++;
    }
    bm_free(e->a, ts);
    return rc == BPMN_OK ? en_start_subscribers(e, j, 0) : rc;
}

static char *send_answer(bpmn_engine *e, void *ud)
{
    en_delivery *j = ud;
    cJSON *o = cJSON_CreateObject();
    int ok = o && (j->signal ? cJSON_AddNumberToObject(o, "delivered", j->delivered) != NULL
                             : en_json_id(o, "instance", j->instance));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return en_json_out(e, o);
}

static int send(bpmn_engine *e, en_delivery *j, const char *vars_json, char **json_out)
{
    *json_out = NULL;
    e->err[0] = '\0';
    int rc = en_json_vars(e, vars_json, &j->vars);
    if (rc != BPMN_OK)
        return rc;
    rc = en_write_answer(e, j->signal ? signal_txn : correlate_txn, j, send_answer, json_out);
    cJSON_Delete(j->vars);
    return rc;
}

int bpmn_correlate(bpmn_engine *e, const char *message, const char *key, const char *vars_json,
                   char **json_out)
{
    if (!e || !message || !json_out)
        return BPMN_EINVAL;
    en_delivery j = {message, key && *key ? key : NULL, NULL, 0, 0, 0};
    return send(e, &j, vars_json, json_out);
}

int bpmn_signal(bpmn_engine *e, const char *signal, const char *vars_json, char **json_out)
{
    if (!e || !signal || !json_out)
        return BPMN_EINVAL;
    en_delivery j = {signal, NULL, NULL, 1, 0, 0};
    return send(e, &j, vars_json, json_out);
}

int bpmn_message_handler_set(bpmn_engine *e, bpmn_message_handler fn, void *ud)
{
    if (!e)
        return BPMN_EINVAL;
    e->on_message = fn;
    e->on_message_ud = ud;
    return BPMN_OK;
}
