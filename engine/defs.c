/*
 * defs.c - definitions: compiling a graph's expressions once (the check the pipeline runs at
 * validation and deploy), the keys process versions are stored under, and the per-handle cache
 * of compiled definitions read back from the store (graph, expressions, join reachability).
 * Storing new versions is ops/deploy.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

/* The keys of a stored version (ST_DEFS) and of a process's latest version (ST_INDEX). */
void en_def_key(en_buf *b, const char *process, uint32_t version)
{
    size_t n = strlen(process);
    for (size_t i = 0; i < n; i++)
        en_buf_u8(b, (uint8_t)process[i]);
    en_buf_u8(b, 0);
    en_buf_u32(b, version);
}

void en_latest_key(en_buf *b, const char *process)
{
    en_buf_u8(b, 'L');
    en_buf_u8(b, 0);
    size_t n = strlen(process);
    for (size_t i = 0; i < n; i++)
        en_buf_u8(b, (uint8_t)process[i]);
}

/* Frees a definition; its graph too unless keep_graph. */
static void def_free(const bpmn_allocator *a, en_def *d, int keep_graph)
{
    if (!d)
        return;
    if (d->g) {
        for (uint32_t i = 0; i < d->g->nflows; i++)
            ex_free(d->flow_cond ? d->flow_cond[i] : NULL);
        for (uint32_t i = 0; i < d->g->nnodes; i++) {
            ex_free(d->node_expr ? d->node_expr[i] : NULL);
            en_utask *u = d->utask ? d->utask[i] : NULL;
            if (u) {
                ex_expr *xs[] = {u->assignee, u->cand_users, u->cand_groups, u->performer,
                                 u->potential, u->due, u->followup, u->priority};
                for (size_t k = 0; k < sizeof xs / sizeof xs[0]; k++)
                    ex_free(xs[k]);
                bm_free(a, u);
            }
            en_form_free(a, d->form ? d->form[i] : NULL);
            if (d->timer && d->timer[i]) {
                ex_free(d->timer[i]->expr);
                bm_free(a, d->timer[i]);
            }
            ex_free(d->corr_key ? d->corr_key[i] : NULL);
            ex_free(d->skip ? d->skip[i] : NULL);
            ex_free(d->cond ? d->cond[i] : NULL);
            en_loopx *lx = d->loop ? d->loop[i] : NULL;
            if (lx) {
                ex_free(lx->cardinality);
                ex_free(lx->collection);
                ex_free(lx->completion);
                ex_free(lx->output_element);
                ex_free(lx->condition);
                bm_free(a, lx);
            }
            bm_free(a, d->reach ? d->reach[i] : NULL);
            if (d->io) {
                for (uint32_t k = 0; k < d->io[i].nin; k++)
                    ex_free(d->io[i].in[k].source);
                for (uint32_t k = 0; k < d->io[i].nout; k++)
                    ex_free(d->io[i].out[k].source);
                bm_free(a, d->io[i].in);
                bm_free(a, d->io[i].out);
            }
        }
    }
    bm_free(a, d->flow_cond);
    bm_free(a, d->flow_bad);
    bm_free(a, d->node_expr);
    bm_free(a, d->utask);
    bm_free(a, d->form);
    bm_free(a, d->loop);
    bm_free(a, d->timer);
    bm_free(a, d->corr_key);
    bm_free(a, d->skip);
    bm_free(a, d->cond);
    bm_free(a, d->reach);
    bm_free(a, d->io);
    bm_free(a, d->job_retries);
    bm_free(a, d->job_type);
    bm_free(a, d->result_var);
    if (!keep_graph)
        bg_graph_free(d->g);
    bm_free(a, d->process);
    bm_free(a, d);
}

void en_def_free(const bpmn_allocator *a, en_def *d)
{
    def_free(a, d, 0);
}

static void *zalloc(const bpmn_allocator *a, size_t n)
{
    void *p = bm_alloc(a, NULL, n ? n : 1);
    if (p)
        memset(p, 0, n ? n : 1);
    return p;
}

/* The first of several vendor spellings of an attribute on a node. */
static const char *vendor_attr(const bg_node *n, const char *name)
{
    static const bm_ns ns[] = {BM_NS_CAMUNDA, BM_NS_FLOWABLE, BM_NS_ACTIVITI};
    for (size_t i = 0; i < 3; i++) {
        const char *v = bg_attr(n, ns[i], name);
        if (v)
            return v;
    }
    return NULL;
}

typedef struct compile_ctx {
    const bpmn_allocator *a;
    bm_diags *d; /* where syntax errors go; NULL to only count them */
    int errors, oom;
    unsigned max_depth; /* nesting accepted in expressions */
} compile_ctx;

static ex_expr *compile_expr(compile_ctx *c, const char *src, ex_mode mode, unsigned line,
                             const char *id, const char *what)
{
    if (!src)
        return NULL;
    ex_expr *x = NULL;
    char err[256];
    int rc = ex_compile_depth(src, mode, c->a, c->max_depth, &x, err, sizeof err);
    if (rc == BPMN_ENOMEM) {
        c->oom = 1;
    } else if (rc != BPMN_OK) {
        c->errors++;
        if (c->d)
            bm_diag(c->d, BPMN_SEV_ERROR, line, id, "%s '%s': %s", what, src, err);
    }
    return x;
}

/* Whether a condition says which expression language it is in: a leading '=' (FEEL) or a
 * ${...}/#{...} (JUEL). Modelling tools also write prose ("Service Level == 'Premium'") or
 * XPath as conditions; those are not refused, since the diagram is meaningful, but reaching
 * them at run time is an incident. */
static int marked_expression(const char *src)
{
    while (*src == ' ' || *src == '\t' || *src == '\n' || *src == '\r')
        src++;
    return *src == '=' || strstr(src, "${") || strstr(src, "#{");
}

static ex_expr *compile_condition(compile_ctx *c, const bg_flow *f, uint8_t *bad)
{
    if (!f->condition || marked_expression(f->condition))
        return compile_expr(c, f->condition, EX_MODE_EXPRESSION, f->line, f->id, "condition");
    ex_expr *x = NULL;
    char err[256];
    int rc = ex_compile_depth(f->condition, EX_MODE_EXPRESSION, c->a, c->max_depth, &x, err, sizeof err);
    if (rc == BPMN_ENOMEM)
        c->oom = 1;
    else if (rc != BPMN_OK) {
        *bad = 1;
        if (c->d)
            bm_diag(c->d, BPMN_SEV_WARNING, f->line, f->id,
                    "condition '%s' is not a FEEL expression (%s); an instance reaching it "
                    "raises an incident (write '=...' for FEEL or '${...}' for JUEL)",
                    f->condition, err);
    }
    return x;
}

/* Nodes from which a token could still reach the inclusive gateway j without passing through
 * it: a reverse walk over incoming flows. A boundary event that reaches j makes its host able
 * to reach j too, since a token waiting at the host may leave through it. */
static uint8_t *reach_of(const bpmn_allocator *a, const bg_graph *g, uint32_t j)
{
    uint8_t *seen = zalloc(a, g->nnodes);
    uint32_t *stack = bm_alloc(a, NULL, (g->nnodes + 1) * sizeof *stack);
    if (!seen || !stack) {
        bm_free(a, seen);
        bm_free(a, stack);
        return NULL;
    }
    uint32_t sp = 0;
    stack[sp++] = j;
    while (sp) {
        uint32_t n = stack[--sp];
        const bg_node *nd = &g->nodes[n];
        for (uint32_t k = 0; k < nd->nin; k++) {
            uint32_t s = g->flows[g->in[nd->in + k]].source;
            if (s != j && !seen[s]) {
                seen[s] = 1;
                stack[sp++] = s;
            }
        }
        if (nd->attached_to >= 0 && !seen[nd->attached_to] && (uint32_t)nd->attached_to != j) {
            seen[nd->attached_to] = 1;
            stack[sp++] = (uint32_t)nd->attached_to;
        }
    }
    bm_free(a, stack);
    return seen;
}

/* Assignment, dates and priority of a user task, from every dialect: camunda:/flowable:/
 * activiti: attributes, zeebe:assignmentDefinition/taskSchedule/priorityDefinition, and BPMN's
 * humanPerformer and potentialOwner. */
static en_utask *compile_utask(compile_ctx *c, const bg_node *n)
{
    en_utask *u = zalloc(c->a, sizeof *u);
    if (!u) {
        c->oom = 1;
        return NULL;
    }
    const bm_ext *za = bm_ext_find(n->ext, BM_NS_ZEEBE, "assignmentDefinition");
    const bm_ext *zs = bm_ext_find(n->ext, BM_NS_ZEEBE, "taskSchedule");
    const bm_ext *zp = bm_ext_find(n->ext, BM_NS_ZEEBE, "priorityDefinition");
    const char *as = vendor_attr(n, "assignee"), *cu = vendor_attr(n, "candidateUsers"),
               *cg = vendor_attr(n, "candidateGroups"), *due = vendor_attr(n, "dueDate"),
               *fu = vendor_attr(n, "followUpDate"), *pr = vendor_attr(n, "priority");
    if (za) {
        as = as ? as : bm_ext_attr(za, "assignee");
        cu = cu ? cu : bm_ext_attr(za, "candidateUsers");
        cg = cg ? cg : bm_ext_attr(za, "candidateGroups");
    }
    if (zs) {
        due = due ? due : bm_ext_attr(zs, "dueDate");
        fu = fu ? fu : bm_ext_attr(zs, "followUpDate");
    }
    if (zp && !pr)
        pr = bm_ext_attr(zp, "priority");
    u->assignee = compile_expr(c, as, EX_MODE_VALUE, n->line, n->id, "assignee");
    u->cand_users = compile_expr(c, cu, EX_MODE_VALUE, n->line, n->id, "candidateUsers");
    u->cand_groups = compile_expr(c, cg, EX_MODE_VALUE, n->line, n->id, "candidateGroups");
    u->performer = compile_expr(c, n->performer, EX_MODE_VALUE, n->line, n->id, "humanPerformer");
    u->potential = compile_expr(c, n->potential_owner, EX_MODE_VALUE, n->line, n->id,
                                "potentialOwner");
    u->due = compile_expr(c, due, EX_MODE_VALUE, n->line, n->id, "dueDate");
    u->followup = compile_expr(c, fu, EX_MODE_VALUE, n->line, n->id, "followUpDate");
    u->priority = compile_expr(c, pr, EX_MODE_VALUE, n->line, n->id, "priority");
    return u;
}

/* Multi-instance: cardinality or input collection (zeebe:loopCharacteristics, or
 * camunda:collection naming a variable or holding ${...}), element and output variables,
 * completion condition. Standard loop: loopCondition and loopMaximum. */
static en_loopx *compile_loop(compile_ctx *c, const bg_node *n)
{
    en_loopx *lx = zalloc(c->a, sizeof *lx);
    if (!lx) {
        c->oom = 1;
        return NULL;
    }
    const bg_loop *l = n->loop;
    lx->one_based = l->output_collection || (l->input_collection && l->input_collection[0] == '=');
    lx->cardinality = compile_expr(c, l->cardinality, EX_MODE_EXPRESSION, n->line, n->id,
                                   "loopCardinality");
    lx->collection = compile_expr(c, l->input_collection, EX_MODE_EXPRESSION, n->line, n->id,
                                  "input collection");
    lx->completion = compile_expr(c, l->completion, EX_MODE_EXPRESSION, n->line, n->id,
                                  "completionCondition");
    lx->output_element = compile_expr(c, l->output_element, EX_MODE_EXPRESSION, n->line, n->id,
                                      "output element");
    lx->condition = compile_expr(c, l->loop_condition, EX_MODE_EXPRESSION, n->line, n->id,
                                 "loopCondition");
    /* A multi-instance with neither says nothing about how many instances to run: every engine
     * refuses it (Camunda at parse time); here it is an error when the model is checked rather
     * than an incident when it is reached. */
    if ((n->flags & BG_F_MULTI_INSTANCE) && !l->cardinality && !l->input_collection) {
        c->errors++;
        if (c->d)
            bm_diag(c->d, BPMN_SEV_ERROR, n->line, n->id,
                    "multi-instance without loopCardinality or an input collection "
                    "(camunda:collection, zeebe:loopCharacteristics inputCollection)");
    }
    lx->element = l->input_element;
    lx->output = l->output_collection;
    lx->maximum = l->loop_maximum ? (uint32_t)strtoul(l->loop_maximum, NULL, 10) : 0;
    return lx;
}

/* A timer's definition: literal text is parsed now, so that a bad one is a validation error
 * naming the element; an expression is compiled and parsed when the timer is armed. */
static en_timer *compile_timer(compile_ctx *c, const bg_node *n)
{
    en_timer *t = zalloc(c->a, sizeof *t);
    if (!t) {
        c->oom = 1;
        return NULL;
    }
    t->slot = n->timer_kind == BG_TIMER_DATE       ? BM_SLOT_DATE
              : n->timer_kind == BG_TIMER_DURATION ? BM_SLOT_DURATION
                                                   : BM_SLOT_CYCLE;
    const char *text = n->timer ? n->timer : "";
    const char *p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (*p == '=' || strstr(p, "${") || strstr(p, "#{")) {
        t->expr = compile_expr(c, text, EX_MODE_VALUE, n->line, n->id, "timer");
        return t;
    }
    char err[256];
    if (bm_timer_parse(t->slot, text, &t->spec, err, sizeof err) != 0) {
        c->errors++;
        if (c->d)
            bm_diag(c->d, BPMN_SEV_ERROR, n->line, n->id, "timer '%s': %s", text, err);
        return t;
    }
    t->literal = 1;
    return t;
}

static void add_mapping(compile_ctx *c, const bg_node *n, en_mapping **list, uint32_t *count,
                        const char *target, const char *source, const char *what)
{
    if (!target || !*target)
        return;
    size_t cap = *count;
    if (bm_grow(c->a, (void **)list, &cap, *count + 1, sizeof **list) != 0) {
        c->oom = 1;
        return;
    }
    en_mapping *m = &(*list)[*count];
    m->target = target;
    m->source = NULL;
    /* FEEL names with spaces ("Vacation Status.email") are beyond the supported subset; such a
     * mapping is kept as a warning, and an instance reaching it gets an incident naming it. */
    char err[256];
    int rc = ex_compile_depth(source ? source : "", EX_MODE_VALUE, c->a, c->max_depth, &m->source,
                              err, sizeof err);
    if (rc == BPMN_ENOMEM) {
        c->oom = 1;
        return;
    }
    if (rc != BPMN_OK && c->d)
        bm_diag(c->d, BPMN_SEV_WARNING, n->line, n->id,
                "%s '%s' cannot be evaluated (%s); an instance reaching it raises an incident",
                what, source ? source : "", err);
    (*count)++;
}

/* Variable mappings: zeebe:ioMapping input/output (source expression, target name) and
 * camunda:inputOutput inputParameter/outputParameter (name, text value or ${...}). The strings
 * stay in the graph, which lives as long as the definition. */
static void compile_io(compile_ctx *c, const bg_node *n, en_io *io)
{
    const bm_ext *z = bm_ext_find(n->ext, BM_NS_ZEEBE, "ioMapping");
    for (const bm_ext *x = z ? z->child : NULL; x; x = x->next) {
        if (strcmp(x->name, "input") == 0)
            add_mapping(c, n, &io->in, &io->nin, bm_ext_attr(x, "target"),
                        bm_ext_attr(x, "source"), "input mapping");
        else if (strcmp(x->name, "output") == 0)
            add_mapping(c, n, &io->out, &io->nout, bm_ext_attr(x, "target"),
                        bm_ext_attr(x, "source"), "output mapping");
    }
    const bm_ext *k = bm_ext_find(n->ext, BM_NS_CAMUNDA, "inputOutput");
    for (const bm_ext *x = k ? k->child : NULL; x; x = x->next) {
        if (strcmp(x->name, "inputParameter") == 0)
            add_mapping(c, n, &io->in, &io->nin, bm_ext_attr(x, "name"), x->text,
                        "input parameter");
        else if (strcmp(x->name, "outputParameter") == 0)
            add_mapping(c, n, &io->out, &io->nout, bm_ext_attr(x, "name"), x->text,
                        "output parameter");
    }
}

/* Builds a definition from a compiled graph; on success the definition owns g, on failure the
 * caller keeps it. Expression syntax errors are diagnostics in d (when not NULL) and counted in
 * *errors. Expressions may nest max_depth levels. */
static int def_build(const bpmn_allocator *a, bg_graph *g, uint32_t version, bm_diags *d_out,
                     unsigned max_depth, int *errors, en_def **out)
{
    *out = NULL;
    en_def *d = zalloc(a, sizeof *d);
    if (!d)
        return BPMN_ENOMEM;
    d->g = g;
    d->version = version;
    d->process = en_strdup(a, g->process_id ? g->process_id : "");
    uint32_t nn = g->nnodes, nf = g->nflows;
    d->flow_cond = zalloc(a, nf * sizeof *d->flow_cond);
    d->flow_bad = zalloc(a, nf);
    d->node_expr = zalloc(a, nn * sizeof *d->node_expr);
    d->utask = zalloc(a, nn * sizeof *d->utask);
    d->form = zalloc(a, nn * sizeof *d->form);
    d->loop = zalloc(a, nn * sizeof *d->loop);
    d->timer = zalloc(a, nn * sizeof *d->timer);
    d->corr_key = zalloc(a, nn * sizeof *d->corr_key);
    d->skip = zalloc(a, nn * sizeof *d->skip);
    d->cond = zalloc(a, nn * sizeof *d->cond);
    d->reach = zalloc(a, nn * sizeof *d->reach);
    d->io = zalloc(a, nn * sizeof *d->io);
    d->job_retries = zalloc(a, nn * sizeof *d->job_retries);
    d->job_type = zalloc(a, nn * sizeof *d->job_type);
    d->result_var = zalloc(a, nn * sizeof *d->result_var);
    if (!d->process || !d->flow_cond || !d->flow_bad || !d->node_expr || !d->utask || !d->form || !d->loop || !d->timer || !d->corr_key || !d->skip || !d->cond ||
        !d->reach || !d->io || !d->job_retries || !d->job_type || !d->result_var) {
        def_free(a, d, 1);
        return BPMN_ENOMEM;
    }
    compile_ctx c = {a, d_out, 0, 0, max_depth};
    for (uint32_t i = 0; i < nf; i++) {
        const bg_flow *f = &g->flows[i];
        d->flow_cond[i] = compile_condition(&c, f, &d->flow_bad[i]);
    }
    for (uint32_t i = 0; i < nn; i++) {
        const bg_node *n = &g->nodes[i];
        if (n->loop)
            d->loop[i] = compile_loop(&c, n);
        if (bm_kind_cats(n->kind) & BM_C_TASK)
            compile_io(&c, n, &d->io[i]);
        if (n->trigger == BG_EV_TIMER)
            d->timer[i] = compile_timer(&c, n);
        if (n->trigger == BG_EV_CONDITIONAL)
            d->cond[i] = compile_expr(&c, n->condition, EX_MODE_EXPRESSION, n->line, n->id,
                                      "condition");
        {
            const char *skip = bg_attr(n, BM_NS_FLOWABLE, "skipExpression");
            if (!skip)
                skip = bg_attr(n, BM_NS_ACTIVITI, "skipExpression");
            if (skip)
                d->skip[i] = compile_expr(&c, skip, EX_MODE_EXPRESSION, n->line, n->id,
                                          "skipExpression");
        }
        if (n->trigger == BG_EV_MESSAGE && n->corr_key)
            d->corr_key[i] = compile_expr(&c, n->corr_key, EX_MODE_VALUE, n->line, n->id,
                                          "correlationKey");
        switch (n->kind) {
        case BM_CALL_ACTIVITY: /* flowable:/activiti:businessKey, for the child instance */
            d->node_expr[i] = compile_expr(&c,
                                           bg_attr(n, BM_NS_FLOWABLE, "businessKey")
                                               ? bg_attr(n, BM_NS_FLOWABLE, "businessKey")
                                               : bg_attr(n, BM_NS_ACTIVITI, "businessKey"),
                                           EX_MODE_VALUE, n->line, n->id, "businessKey");
            break;
        case BM_SCRIPT_TASK: {
            d->node_expr[i] = compile_expr(&c, n->script, EX_MODE_EXPRESSION, n->line, n->id,
                                           "script");
            const bm_ext *z = bm_ext_find(n->ext, BM_NS_ZEEBE, "script");
            d->result_var[i] = z ? bm_ext_attr(z, "resultVariable") : vendor_attr(n, "resultVariable");
            break;
        }
        case BM_USER_TASK:
            d->utask[i] = compile_utask(&c, n);
            if (en_form_parse(a, n, &d->form[i]) != BPMN_OK)
                c.oom = 1;
            break;
        case BM_START_EVENT:
            if (en_form_parse(a, n, &d->form[i]) != BPMN_OK)
                c.oom = 1;
            break;
        case BM_INTERMEDIATE_THROW_EVENT:
        case BM_END_EVENT:
            /* A message thrown by a worker (Zeebe's job worker on a message event, Camunda's
             * camunda:type="external"): a job, as for a service task. */
            if (n->trigger != BG_EV_MESSAGE ||
                (!bm_ext_find(n->ext, BM_NS_ZEEBE, "taskDefinition") &&
                 !(bg_attr(n, BM_NS_CAMUNDA, "type") &&
                   strcmp(bg_attr(n, BM_NS_CAMUNDA, "type"), "external") == 0)))
                break;
            /* fall through */
        case BM_SERVICE_TASK:
        case BM_SEND_TASK:
        case BM_BUSINESS_RULE_TASK: {
            const bm_ext *z = bm_ext_find(n->ext, BM_NS_ZEEBE, "taskDefinition");
            const char *t = z ? bm_ext_attr(z, "type") : NULL;
            if (!t)
                t = bg_attr(n, BM_NS_CAMUNDA, "topic");
            d->job_type[i] = t ? t : n->id;
            /* A type given as an expression ("=..." or "${...}") is evaluated for each job. */
            if (t && (t[0] == '=' || strstr(t, "${") || strstr(t, "#{")))
                d->node_expr[i] = compile_expr(&c, t, EX_MODE_VALUE, n->line, n->id, "job type");
            const char *r = z ? bm_ext_attr(z, "retries") : NULL;
            d->job_retries[i] = r ? (uint32_t)strtoul(r, NULL, 10) : 3;
            break;
        }
        case BM_INCLUSIVE_GATEWAY:
            if (n->nin > 1 && !(d->reach[i] = reach_of(a, g, i)))
                c.oom = 1;
            break;
        case BM_SUB_PROCESS:
        case BM_TRANSACTION:
            compile_io(&c, n, &d->io[i]);
            break;
        default:
            break;
        }
    }
    if (c.oom) {
        def_free(a, d, 1);
        return BPMN_ENOMEM;
    }
    *errors += c.errors;
    *out = d;
    return BPMN_OK;
}

int en_check_expressions(bg_graph *g, bm_diags *d, unsigned max_depth)
{
    const bpmn_allocator *a = d->arena.a;
    en_def *def = NULL;
    int errors = 0;
    /* def_build takes the graph over and frees it on failure; hand it a borrowed one. */
    int rc = def_build(a, g, 0, d, max_depth, &errors, &def);
    if (def)
        def_free(a, def, 1);
    return rc;
}

int en_pipeline(const char *name, const void *data, size_t len, const bpmn_load_options *opts,
                bm_diags *d, bg_graph ***graphs, size_t *ngraphs)
{
    /* Expressions are part of the model: a syntax error is a validation error. */
    return bm_pipeline_check(name, data, len, opts, en_check_expressions, d, graphs, ngraphs);
}

static int cache_add(bpmn_engine *e, en_def *d)
{
    if (bm_grow(e->a, (void **)&e->defs, &e->capdefs, e->ndefs + 1, sizeof *e->defs) != 0)
        return BPMN_ENOMEM;
    e->defs[e->ndefs++] = d;
    return BPMN_OK;
}

int en_def_prepare(bpmn_engine *e, bg_graph *g, en_def **out)
{
    int errors = 0;
    int rc = def_build(e->a, g, 0, NULL, e->lim.expr_depth, &errors, out);
    if (rc != BPMN_OK) {
        bg_graph_free(g);
        return rc;
    }
    if (errors) { /* the pipeline's check passed the same expressions */
        en_def_free(e->a, *out);
        *out = NULL;
        return en_fail(e, BPMN_EINVALID, "an expression of '%s' does not compile",
                       g->process_id ? g->process_id : "");
    }
    return rc;
}

int en_def_adopt(bpmn_engine *e, en_def *d, uint32_t version)
{
    d->version = version;
    return cache_add(e, d);
}

void en_def_forget(bpmn_engine *e, const char *process)
{
    for (size_t i = 0; i < e->ndefs;) {
        if (process && strcmp(e->defs[i]->process, process) == 0) {
            en_def_free(e->a, e->defs[i]);
            e->defs[i] = e->defs[--e->ndefs];
        } else {
            i++;
        }
    }
}

int en_def_latest(bpmn_engine *e, const char *process, uint32_t *version)
{
    en_buf k = {e->a, NULL, 0, 0, 0};
    en_latest_key(&k, process);
    if (k.oom) {
        en_buf_free(&k);
        return BPMN_ENOMEM;
    }
    const void *v;
    size_t vl;
    int rc = st_get(e->txn, ST_INDEX, k.p, k.n, &v, &vl);
    en_buf_free(&k);
    if (rc == BPMN_OK) {
        en_rd r = {v, (const uint8_t *)v + vl, 0};
        *version = en_rd_u32(&r);
        if (r.bad)
            rc = BPMN_EIO;
    }
    return rc;
}

int en_def_get(bpmn_engine *e, const char *process, uint32_t version, en_def **out)
{
    for (size_t i = 0; i < e->ndefs; i++) {
        if (e->defs[i]->version == version && strcmp(e->defs[i]->process, process) == 0) {
            *out = e->defs[i];
            return BPMN_OK;
        }
    }
    en_buf k = {e->a, NULL, 0, 0, 0};
    en_def_key(&k, process, version);
    if (k.oom) {
        en_buf_free(&k);
        return BPMN_ENOMEM;
    }
    const void *v;
    size_t vl;
    int rc = st_get(e->txn, ST_DEFS, k.p, k.n, &v, &vl);
    en_buf_free(&k);
    if (rc != BPMN_OK)
        return rc == BPMN_ENOTFOUND
                   ? en_fail(e, rc, "process '%s' version %u is not deployed", process, version)
                   : rc;
    en_rd r = {v, (const uint8_t *)v + vl, 0};
    uint32_t nl, xl;
    const char *name = en_rd_str(&r, &nl);
    const char *xml = en_rd_str(&r, &xl);
    if (r.bad || !xml)
        return en_fail(e, BPMN_EIO, "the stored definition of '%s' v%u is damaged", process,
                       version);
    char file[256];
    snprintf(file, sizeof file, "%.*s", (int)(nl < 200 ? nl : 200), name ? name : "");
    bm_diags d;
    bg_graph **gs = NULL;
    size_t ng = 0;
    bpmn_load_options lo = {0};
    lo.allocator = e->a;
    /* A stored document passed the limits of the engine that deployed it: it is read back
     * whatever this engine's limits are, up to their ceilings. */
    lo.max_bytes = (size_t)xl + 1;
    lo.expr_depth = BPMN_LIMIT_EXPR_DEPTH_MAX;
    lo.xml_attributes = lo.xml_elements = lo.xml_nodes = ~0ul;
    en_def *found = NULL;
    /* A version deployed with --assume-executable (its process has no isExecutable) is found
     * on the second reading, which assumes it too. */
    for (int assume = 0; rc == BPMN_OK && !found && assume < 2; assume++) {
        lo.assume_executable = assume;
        bm_diags_init(&d, e->a);
        rc = en_pipeline(file, xml, xl, &lo, &d, &gs, &ng);
        bm_diags_free(&d);
        if (rc != BPMN_OK)
            return rc;
        for (size_t i = 0; i < ng; i++) {
            if (!found && strcmp(gs[i]->process_id, process) == 0) {
                int errors = 0;
                rc = def_build(e->a, gs[i], version, NULL, BPMN_LIMIT_EXPR_DEPTH_MAX, &errors,
                               &found);
                if (rc == BPMN_OK)
                    gs[i] = NULL;
                if (rc == BPMN_OK && errors) {
                    en_def_free(e->a, found);
                    found = NULL;
                }
            }
        }
        bg_graphs_free(gs, ng, e->a);
        gs = NULL;
        ng = 0;
    }
    if (rc != BPMN_OK)
        return rc;
    if (!found)
        return en_fail(e, BPMN_EIO, "the stored definition of '%s' v%u no longer compiles",
                       process, version);
    rc = cache_add(e, found);
    if (rc != BPMN_OK) {
        en_def_free(e->a, found);
        return rc;
    }
    *out = found;
    return BPMN_OK;
}

/* ---- deploy ------------------------------------------------------------------------------- */
