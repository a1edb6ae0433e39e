/*
 * compile.c - model to execution graph. Runs only on models that validated without errors, so
 * every reference resolves; what remains is laying the process out as dense arrays and copying
 * the strings the engine needs into the graph's own arena.
 */
#include "bpmn/compile.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bpmn/validate.h"

typedef struct cctx {
    const bm_model *m;
    bg_graph *g;
    int32_t base, end;   /* element index range of the process subtree */
    int32_t *node_of;    /* element index - base -> node index, -1 */
    int32_t *scope_of;   /* element index - base -> scope index of a container, -1 */
    int32_t *flow_of;    /* element index - base -> flow index of a sequence flow, -1 */
    int oom;
} cctx;

static const char *gs(cctx *c, const char *s)
{
    if (!s)
        return NULL;
    const char *r = bm_arena_strdup(&c->g->arena, s);
    if (!r)
        c->oom = 1;
    return r;
}

static void *galloc(cctx *c, size_t n)
{
    void *p = bm_arena_alloc(&c->g->arena, n ? n : 1);
    if (!p)
        c->oom = 1;
    else
        memset(p, 0, n ? n : 1);
    return p;
}

static bm_attr *copy_attrs(cctx *c, const bm_attr *a, uint32_t n, int vendor_only, uint32_t *out_n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!vendor_only || a[i].ns != BM_NS_NONE)
            k++;
    *out_n = k;
    if (!k)
        return NULL;
    bm_attr *r = galloc(c, k * sizeof *r);
    if (!r)
        return NULL;
    k = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (vendor_only && a[i].ns == BM_NS_NONE)
            continue;
        r[k].ns = a[i].ns;
        r[k].uri = gs(c, a[i].uri);
        r[k].name = gs(c, a[i].name);
        r[k].value = gs(c, a[i].value);
        k++;
    }
    return r;
}

static bm_ext *copy_ext(cctx *c, const bm_ext *x)
{
    bm_ext *head = NULL, **tail = &head;
    for (; x && !c->oom; x = x->next) {
        bm_ext *y = galloc(c, sizeof *y);
        if (!y)
            break;
        y->ns = x->ns;
        y->uri = gs(c, x->uri);
        y->name = gs(c, x->name);
        y->text = gs(c, x->text);
        y->line = x->line;
        y->attrs = copy_attrs(c, x->attrs, x->nattrs, 0, &y->nattrs);
        y->child = copy_ext(c, x->child);
        *tail = y;
        tail = &y->next;
    }
    return head;
}

static const bm_elem *first_event_def(const bm_model *m, const bm_elem *e)
{
    BM_FOR_CHILDREN(m, e, c)
        if (bm_kind_cats(c->kind) & BM_C_EVENT_DEF)
            return c;
    BM_FOR_CHILDREN(m, e, c) {
        if (c->kind == BM_OTHER && strcmp(c->tag, "eventDefinitionRef") == 0 && c->text) {
            const bm_elem *d = bm_lookup(m, c->text);
            if (d && (bm_kind_cats(d->kind) & BM_C_EVENT_DEF))
                return d;
        }
    }
    return NULL;
}

/* Name of the referenced message/signal, or the code of an error/escalation. */
static const char *ref_name(const bm_model *m, const bm_elem *def, const char *attr,
                            const char *code_attr)
{
    const bm_elem *t = bm_lookup(m, bm_attr_get(def, attr));
    if (!t)
        return NULL;
    const char *v = bm_attr_get(t, code_attr);
    return v ? v : t->id;
}

static void fill_event(cctx *c, bg_node *n, const bm_elem *e)
{
    const bm_model *m = c->m;
    const bm_elem *def = first_event_def(m, e);
    if (!def)
        return;
    switch (def->kind) {
    case BM_MESSAGE_DEF: {
        n->trigger = BG_EV_MESSAGE;
        n->event_ref = gs(c, ref_name(m, def, "messageRef", "name"));
        const bm_elem *msg = bm_lookup(m, bm_attr_get(def, "messageRef"));
        const bm_ext *sub = msg ? bm_ext_find(msg->ext, BM_NS_ZEEBE, "subscription") : NULL;
        n->corr_key = gs(c, sub ? bm_ext_attr(sub, "correlationKey") : NULL);
        break;
    }
    case BM_SIGNAL_DEF:
        n->trigger = BG_EV_SIGNAL;
        n->event_ref = gs(c, ref_name(m, def, "signalRef", "name"));
        break;
    case BM_ERROR_DEF:
        n->trigger = BG_EV_ERROR;
        n->event_ref = gs(c, ref_name(m, def, "errorRef", "errorCode"));
        if (!n->event_ref) /* an errorRef naming no element is the code itself */
            n->event_ref = gs(c, bm_attr_get(def, "errorRef"));
        break;
    case BM_ESCALATION_DEF:
        n->trigger = BG_EV_ESCALATION;
        n->event_ref = gs(c, ref_name(m, def, "escalationRef", "escalationCode"));
        break;
    case BM_TIMER_DEF:
        n->trigger = BG_EV_TIMER;
        BM_FOR_CHILDREN(m, def, t) {
            if (t->kind == BM_TIME_DATE)
                n->timer_kind = BG_TIMER_DATE;
            else if (t->kind == BM_TIME_DURATION)
                n->timer_kind = BG_TIMER_DURATION;
            else if (t->kind == BM_TIME_CYCLE)
                n->timer_kind = BG_TIMER_CYCLE;
            else
                continue;
            n->timer = gs(c, t->text);
            break;
        }
        break;
    case BM_CONDITIONAL_DEF: {
        n->trigger = BG_EV_CONDITIONAL;
        const bm_elem *cond = bm_child(m, def, BM_CONDITION);
        n->condition = gs(c, cond ? cond->text : NULL);
        break;
    }
    case BM_COMPENSATE_DEF:
        n->trigger = BG_EV_COMPENSATE;
        n->event_ref = gs(c, bm_attr_get(def, "activityRef")); /* NULL: the whole scope */
        break;
    case BM_CANCEL_DEF: n->trigger = BG_EV_CANCEL; break;
    case BM_LINK_DEF:
        n->trigger = BG_EV_LINK;
        n->event_ref = gs(c, bm_attr_get(def, "name"));
        break;
    case BM_TERMINATE_DEF: n->trigger = BG_EV_TERMINATE; break;
    default: break;
    }
}

static void fill_loop(cctx *c, bg_node *n, const bm_elem *e)
{
    const bm_model *m = c->m;
    const bm_elem *mi = bm_child(m, e, BM_MULTI_INSTANCE);
    const bm_elem *sl = bm_child(m, e, BM_STANDARD_LOOP);
    if (!mi && !sl)
        return;
    bg_loop *l = galloc(c, sizeof *l);
    if (!l)
        return;
    n->loop = l;
    if (mi) {
        n->flags |= BG_F_MULTI_INSTANCE;
        if (bm_attr_true(mi, "isSequential", 0))
            n->flags |= BG_F_SEQUENTIAL;
        const bm_elem *x = bm_child(m, mi, BM_LOOP_CARDINALITY);
        l->cardinality = gs(c, x ? x->text : NULL);
        x = bm_child(m, mi, BM_COMPLETION_CONDITION);
        l->completion = gs(c, x ? x->text : NULL);
        const bm_ext *z = bm_ext_find(mi->ext, BM_NS_ZEEBE, "loopCharacteristics");
        if (z) {
            l->input_collection = gs(c, bm_ext_attr(z, "inputCollection"));
            l->input_element = gs(c, bm_ext_attr(z, "inputElement"));
            l->output_collection = gs(c, bm_ext_attr(z, "outputCollection"));
            l->output_element = gs(c, bm_ext_attr(z, "outputElement"));
        }
        static const bm_ns vendors[] = {BM_NS_CAMUNDA, BM_NS_FLOWABLE, BM_NS_ACTIVITI};
        for (size_t i = 0; i < 3 && !l->input_collection; i++) {
            l->input_collection = gs(c, bm_xattr(mi, vendors[i], "collection"));
            l->input_element = gs(c, bm_xattr(mi, vendors[i], "elementVariable"));
        }
    } else {
        n->flags |= BG_F_STANDARD_LOOP;
        if (bm_attr_true(sl, "testBefore", 0))
            n->flags |= BG_F_TEST_BEFORE;
        const bm_elem *x = bm_child(m, sl, BM_LOOP_CONDITION);
        l->loop_condition = gs(c, x ? x->text : NULL);
        l->loop_maximum = gs(c, bm_attr_get(sl, "loopMaximum"));
    }
}

/* The formal expression of a humanPerformer/potentialOwner: its resourceAssignmentExpression
 * child holds a formalExpression (or expression) with the text. */
static const char *assignment_text(const bm_model *m, const bm_elem *role)
{
    const bm_elem *rae = NULL;
    BM_FOR_CHILDREN(m, role, c)
        if (strcmp(c->tag, "resourceAssignmentExpression") == 0)
            rae = c;
    if (!rae)
        return NULL;
    BM_FOR_CHILDREN(m, rae, c)
        if ((strcmp(c->tag, "formalExpression") == 0 || strcmp(c->tag, "expression") == 0) && c->text)
            return c->text;
    return NULL;
}

static void fill_roles(cctx *c, bg_node *n, const bm_elem *e)
{
    const bm_model *m = c->m;
    char buf[1024];
    size_t off = 0;
    buf[0] = '\0';
    BM_FOR_CHILDREN(m, e, r) {
        const char *t = NULL;
        if (strcmp(r->tag, "humanPerformer") == 0 && (t = assignment_text(m, r)) && !n->performer)
            n->performer = gs(c, t);
        else if (strcmp(r->tag, "potentialOwner") == 0 && (t = assignment_text(m, r)) &&
                 off + strlen(t) + 2 < sizeof buf)
            off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s", off ? "," : "", t);
    }
    if (off)
        n->potential_owner = gs(c, buf);
}

static void fill_node(cctx *c, bg_node *n, const bm_elem *e)
{
    const bm_model *m = c->m;
    n->kind = e->kind;
    n->id = gs(c, e->id);
    n->name = gs(c, e->name);
    n->line = e->line;
    n->inner_scope = -1;
    n->attached_to = -1;
    n->comp_handler = -1;
    n->default_flow = -1;
    n->attrs = copy_attrs(c, e->attrs, e->nattrs, 1, &n->nattrs);
    n->ext = copy_ext(c, e->ext);
    if (bm_kind_cats(e->kind) & BM_C_EVENT) {
        fill_event(c, n, e);
        if (e->kind == BM_END_EVENT || e->kind == BM_INTERMEDIATE_THROW_EVENT)
            n->flags |= BG_F_THROW;
        if ((e->kind == BM_BOUNDARY_EVENT && bm_attr_true(e, "cancelActivity", 1)) ||
            (e->kind == BM_START_EVENT && bm_attr_true(e, "isInterrupting", 1)))
            n->flags |= BG_F_INTERRUPTING;
        /* Error boundaries always interrupt (BPMN 2.0, 10.5.4). */
        if (e->kind == BM_BOUNDARY_EVENT && n->trigger == BG_EV_ERROR)
            n->flags |= BG_F_INTERRUPTING;
    }
    if (bm_kind_cats(e->kind) & BM_C_ACTIVITY) {
        fill_loop(c, n, e);
        if (bm_attr_true(e, "isForCompensation", 0))
            n->flags |= BG_F_FOR_COMPENSATION;
    }
    if (e->kind == BM_SUB_PROCESS && bm_attr_true(e, "triggeredByEvent", 0))
        n->flags |= BG_F_EVENT_SUBPROCESS;
    if (e->kind == BM_SCRIPT_TASK) {
        const bm_ext *z = bm_ext_find(e->ext, BM_NS_ZEEBE, "script");
        const bm_elem *s = bm_child(m, e, BM_SCRIPT);
        n->script = gs(c, z ? bm_ext_attr(z, "expression") : s ? s->text : NULL);
    }
    if (e->kind == BM_USER_TASK)
        fill_roles(c, n, e);
    if (e->kind == BM_RECEIVE_TASK) {
        /* A receive task waits for the message its messageRef names. */
        const bm_elem *msg = bm_lookup(m, bm_attr_get(e, "messageRef"));
        if (msg) {
            const char *name = bm_attr_get(msg, "name");
            const bm_ext *sub = bm_ext_find(msg->ext, BM_NS_ZEEBE, "subscription");
            n->trigger = BG_EV_MESSAGE;
            n->event_ref = gs(c, name ? name : msg->id);
            n->corr_key = gs(c, sub ? bm_ext_attr(sub, "correlationKey") : NULL);
        }
    }
    if (e->kind == BM_CALL_ACTIVITY) {
        const bm_ext *z = bm_ext_find(e->ext, BM_NS_ZEEBE, "calledElement");
        const char *called = bm_attr_get(e, "calledElement");
        n->called = gs(c, called ? called : z ? bm_ext_attr(z, "processId") : NULL);
    }
}

/* Fills a range array: for each node, the indexes of items whose key is that node, in item
 * order (a counting sort). first/count are the node fields to set. */
static uint32_t *group(cctx *c, uint32_t nitems, const uint32_t *keys, uint32_t nkeys,
                       size_t first_off, size_t count_off)
{
    uint32_t *arr = galloc(c, nitems * sizeof *arr);
    uint32_t *fill = galloc(c, (nkeys + 1) * sizeof *fill);
    if (!arr || !fill)
        return NULL;
    for (uint32_t i = 0; i < nitems; i++)
        if (keys[i] != UINT32_MAX)
            fill[keys[i] + 1]++;
    for (uint32_t k = 0; k < nkeys; k++)
        fill[k + 1] += fill[k];
    for (uint32_t k = 0; k < nkeys; k++) {
        char *node = (char *)&c->g->nodes[k];
        *(uint32_t *)(node + first_off) = fill[k];
        *(uint32_t *)(node + count_off) = fill[k + 1] - fill[k];
    }
    for (uint32_t i = 0; i < nitems; i++)
        if (keys[i] != UINT32_MAX)
            arr[fill[keys[i]]++] = i;
    return arr;
}

/* Whether a node starts its scope: a start event, or, in a sub-process without start events,
 * any node without incoming flows that is not a boundary event, an event sub-process or a
 * compensation handler (BPMN 2.0, 10.3.5). */
static int starts_scope(const bg_graph *g, const bg_node *n)
{
    if (g->scopes[n->scope].has_start_event)
        return n->kind == BM_START_EVENT;
    return n->scope != 0 && n->nin == 0 && n->kind != BM_BOUNDARY_EVENT &&
           !(n->flags & (BG_F_EVENT_SUBPROCESS | BG_F_FOR_COMPENSATION));
}

static int32_t subtree_end(const bm_model *m, int32_t root)
{
    int32_t j = root + 1;
    while (j < (int32_t)m->nelems && m->elems[j].parent >= root)
        j++;
    return j;
}

static int32_t scope_for(cctx *c, const bm_elem *e)
{
    const bm_model *m = c->m;
    for (int32_t p = e->parent; p >= c->base; p = m->elems[p].parent)
        if (c->scope_of[p - c->base] >= 0)
            return c->scope_of[p - c->base];
    return 0;
}

static int compile_process(const bm_model *m, int32_t pi, bg_graph *g)
{
    cctx c = {m, g, pi, subtree_end(m, pi), NULL, NULL, NULL, 0};
    const bpmn_allocator *a = m->arena.a;
    size_t span = (size_t)(c.end - c.base);
    c.node_of = bm_alloc(a, NULL, span * sizeof *c.node_of);
    c.scope_of = bm_alloc(a, NULL, span * sizeof *c.scope_of);
    c.flow_of = bm_alloc(a, NULL, span * sizeof *c.flow_of);
    uint32_t *keys = NULL;
    if (!c.node_of || !c.scope_of || !c.flow_of)
        goto oom;
    memset(c.node_of, 0xff, span * sizeof *c.node_of);
    memset(c.scope_of, 0xff, span * sizeof *c.scope_of);
    memset(c.flow_of, 0xff, span * sizeof *c.flow_of);

    const bm_elem *p = &m->elems[pi];
    g->process_id = gs(&c, p->id);
    g->name = gs(&c, p->name);
    g->history_ttl = gs(&c, bm_xattr(p, BM_NS_CAMUNDA, "historyTimeToLive"));
    uint32_t nn = 0, nf = 0, ns = 1;
    c.scope_of[0] = 0;
    for (int32_t i = pi + 1; i < c.end; i++) {
        const bm_elem *e = &m->elems[i];
        if (bm_kind_cats(e->kind) & BM_C_FLOW_NODE)
            c.node_of[i - pi] = (int32_t)nn++;
        if (bm_kind_cats(e->kind) & BM_C_CONTAINER)
            c.scope_of[i - pi] = (int32_t)ns++;
        if (e->kind == BM_SEQUENCE_FLOW)
            nf++;
    }
    g->nodes = galloc(&c, nn * sizeof *g->nodes);
    g->flows = galloc(&c, nf * sizeof *g->flows);
    g->scopes = galloc(&c, ns * sizeof *g->scopes);
    size_t nkeys = nn > nf ? nn : nf;
    keys = bm_alloc(a, NULL, (nkeys + 1) * sizeof *keys);
    if (c.oom || !keys)
        goto oom;
    g->nnodes = nn;
    g->nflows = nf;
    g->nscopes = ns;
    g->scopes[0].node = -1;
    g->scopes[0].parent = -1;

    uint32_t fi = 0;
    for (int32_t i = pi + 1; i < c.end && !c.oom; i++) {
        const bm_elem *e = &m->elems[i];
        int32_t ni = c.node_of[i - pi];
        if (ni >= 0) {
            bg_node *n = &g->nodes[ni];
            fill_node(&c, n, e);
            n->scope = scope_for(&c, e);
            int32_t si = c.scope_of[i - pi];
            if (si >= 0) {
                n->inner_scope = si;
                g->scopes[si].node = ni;
                g->scopes[si].parent = n->scope;
            }
        } else if (e->kind == BM_SEQUENCE_FLOW) {
            c.flow_of[i - pi] = (int32_t)fi;
            bg_flow *f = &g->flows[fi++];
            const bm_elem *s = bm_lookup(m, bm_attr_get(e, "sourceRef"));
            const bm_elem *t = bm_lookup(m, bm_attr_get(e, "targetRef"));
            if (!s || !t || bm_index_of(m, s) <= pi || bm_index_of(m, s) >= c.end ||
                bm_index_of(m, t) <= pi || bm_index_of(m, t) >= c.end)
                goto invalid;
            f->source = (uint32_t)c.node_of[bm_index_of(m, s) - pi];
            f->target = (uint32_t)c.node_of[bm_index_of(m, t) - pi];
            f->id = gs(&c, e->id);
            f->name = gs(&c, e->name);
            f->line = e->line;
            const bm_elem *cond = bm_child(m, e, BM_CONDITION_EXPRESSION);
            f->condition = gs(&c, cond ? cond->text : NULL);
        }
    }
    if (c.oom)
        goto oom;

    /* References between nodes: boundary hosts and default flows. */
    for (int32_t i = pi + 1; i < c.end; i++) {
        int32_t ni = c.node_of[i - pi];
        if (ni < 0)
            continue;
        const bm_elem *e = &m->elems[i];
        bg_node *n = &g->nodes[ni];
        if (e->kind == BM_BOUNDARY_EVENT) {
            const bm_elem *h = bm_lookup(m, bm_attr_get(e, "attachedToRef"));
            if (!h || bm_index_of(m, h) <= pi || bm_index_of(m, h) >= c.end ||
                c.node_of[bm_index_of(m, h) - pi] < 0)
                goto invalid;
            n->attached_to = c.node_of[bm_index_of(m, h) - pi];
        }
        const bm_elem *df = bm_lookup(m, bm_attr_get(e, "default"));
        if (df && df->kind == BM_SEQUENCE_FLOW && bm_index_of(m, df) > pi &&
            bm_index_of(m, df) < c.end)
            n->default_flow = c.flow_of[bm_index_of(m, df) - pi];
    }

    /* A compensation boundary event names its handler through an association. */
    for (int32_t i = pi + 1; i < c.end; i++) {
        const bm_elem *a = &m->elems[i];
        if (a->kind != BM_ASSOCIATION)
            continue;
        const bm_elem *src = bm_lookup(m, bm_attr_get(a, "sourceRef"));
        const bm_elem *dst = bm_lookup(m, bm_attr_get(a, "targetRef"));
        if (!src || !dst || bm_index_of(m, src) <= pi || bm_index_of(m, src) >= c.end ||
            bm_index_of(m, dst) <= pi || bm_index_of(m, dst) >= c.end)
            continue;
        int32_t sn = c.node_of[bm_index_of(m, src) - pi], dn = c.node_of[bm_index_of(m, dst) - pi];
        if (sn >= 0 && dn >= 0 && g->nodes[sn].kind == BM_BOUNDARY_EVENT &&
            g->nodes[sn].trigger == BG_EV_COMPENSATE)
            g->nodes[sn].comp_handler = dn;
    }

    for (uint32_t k = 0; k < nf; k++)
        keys[k] = g->flows[k].source;
    g->out = group(&c, nf, keys, nn, offsetof(bg_node, out), offsetof(bg_node, nout));
    for (uint32_t k = 0; k < nf; k++)
        keys[k] = g->flows[k].target;
    g->in = group(&c, nf, keys, nn, offsetof(bg_node, in), offsetof(bg_node, nin));
    for (uint32_t k = 0; k < nn; k++)
        keys[k] = g->nodes[k].attached_to >= 0 ? (uint32_t)g->nodes[k].attached_to : UINT32_MAX;
    g->boundary = group(&c, nn, keys, nn, offsetof(bg_node, boundary), offsetof(bg_node, nboundary));
    if (c.oom)
        goto oom;

    /* Start events and event sub-processes of each scope, in document order. */
    g->starts = galloc(&c, nn * sizeof *g->starts);
    g->event_subs = galloc(&c, nn * sizeof *g->event_subs);
    if (c.oom)
        goto oom;
    for (uint32_t k = 0; k < nn; k++)
        if (g->nodes[k].kind == BM_START_EVENT)
            g->scopes[g->nodes[k].scope].has_start_event = 1;
    for (uint32_t k = 0; k < nn; k++) {
        const bg_node *n = &g->nodes[k];
        if (starts_scope(g, n))
            g->scopes[n->scope].nstarts++;
        if (n->flags & BG_F_EVENT_SUBPROCESS)
            g->scopes[n->scope].nevent_subs++;
    }
    uint32_t ks = 0, ke = 0;
    for (uint32_t s = 0; s < ns; s++) {
        g->scopes[s].starts = ks;
        g->scopes[s].event_subs = ke;
        ks += g->scopes[s].nstarts;
        ke += g->scopes[s].nevent_subs;
        g->scopes[s].nstarts = g->scopes[s].nevent_subs = 0;
    }
    for (uint32_t k = 0; k < nn; k++) {
        bg_scope *sc = &g->scopes[g->nodes[k].scope];
        if (starts_scope(g, &g->nodes[k]))
            g->starts[sc->starts + sc->nstarts++] = k;
        if (g->nodes[k].flags & BG_F_EVENT_SUBPROCESS)
            g->event_subs[sc->event_subs + sc->nevent_subs++] = k;
    }

    bm_free(a, keys);
    bm_free(a, c.node_of);
    bm_free(a, c.scope_of);
    bm_free(a, c.flow_of);
    return BPMN_OK;
invalid:
    bm_free(a, keys);
    bm_free(a, c.node_of);
    bm_free(a, c.scope_of);
    bm_free(a, c.flow_of);
    return BPMN_EINVALID;
oom:
    bm_free(a, keys);
    bm_free(a, c.node_of);
    bm_free(a, c.scope_of);
    bm_free(a, c.flow_of);
    return BPMN_ENOMEM;
}

void bg_graph_free(bg_graph *g)
{
    if (!g)
        return;
    bm_arena ar = g->arena; /* the graph struct itself lives in its arena */
    bm_arena_free(&ar);
}

void bg_graphs_free(bg_graph **gs_, size_t count, const bpmn_allocator *a)
{
    if (!gs_)
        return;
    for (size_t i = 0; i < count; i++)
        bg_graph_free(gs_[i]);
    bm_free(a, gs_);
}

int bg_compile(const bm_model *m, bg_graph ***out, size_t *count)
{
    const bpmn_allocator *a = m->arena.a;
    *out = NULL;
    *count = 0;
    size_t n = 0;
    for (uint32_t i = 0; i < m->nelems; i++)
        if (m->elems[i].kind == BM_PROCESS && bm_process_executable(m, &m->elems[i]))
            n++;
    if (!n)
        return BPMN_OK;
    bg_graph **gs_ = bm_alloc(a, NULL, n * sizeof *gs_);
    if (!gs_)
        return BPMN_ENOMEM;
    size_t k = 0;
    int rc = BPMN_OK;
    for (uint32_t i = 0; i < m->nelems && rc == BPMN_OK; i++) {
        if (m->elems[i].kind != BM_PROCESS || !bm_process_executable(m, &m->elems[i]))
            continue;
        bm_arena ar;
        bm_arena_init(&ar, a);
        bg_graph *g = bm_arena_alloc(&ar, sizeof *g);
        if (!g) {
            rc = BPMN_ENOMEM;
            break;
        }
        memset(g, 0, sizeof *g);
        g->arena = ar;
        rc = compile_process(m, (int32_t)i, g);
        if (rc != BPMN_OK) {
            bg_graph_free(g);
            break;
        }
        gs_[k++] = g;
    }
    if (rc != BPMN_OK) {
        bg_graphs_free(gs_, k, a);
        return rc;
    }
    *out = gs_;
    *count = k;
    return BPMN_OK;
}

int32_t bg_find(const bg_graph *g, const char *id)
{
    for (uint32_t i = 0; i < g->nnodes; i++)
        if (g->nodes[i].id && strcmp(g->nodes[i].id, id) == 0)
            return (int32_t)i;
    return -1;
}

const char *bg_attr(const bg_node *n, bm_ns ns, const char *name)
{
    for (uint32_t i = 0; i < n->nattrs; i++)
        if (n->attrs[i].ns == ns && strcmp(n->attrs[i].name, name) == 0)
            return n->attrs[i].value;
    return NULL;
}
