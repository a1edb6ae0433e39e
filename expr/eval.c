/*
 * eval.c - walks a compiled tree against an instance's variables. Recursion follows the
 * tree, whose height the compiler caps at EX_MAX_DEPTH; every node visited and every element
 * touched costs a step, so no expression runs longer than EX_MAX_STEPS however large its data.
 * Null follows FEEL: arithmetic and ordering with null give null, "and"/"or" are three-valued;
 * JUEL nodes treat null as false where EL would coerce it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

static void set_bool(xv *out, int b)
{
    out->k = XV_BOOL;
    out->u.b = b != 0;
}

/* A name from the local scopes (for variables, filter items, earlier context entries), else
 * from the environment. */
static int lookup(ex_state *st, const char *name, xv *out, int *found)
{
    for (const ex_scope *sc = st->scope; sc; sc = sc->up) {
        if (sc->name) {
            if (strcmp(sc->name, name) == 0) {
                *out = sc->val;
                *found = 1;
                return 0;
            }
        } else if (xv_is_ctx(&sc->val)) {
            if (xs_ctx_get(st, &sc->val, name, out, found))
                return -1;
            if (*found)
                return 0;
        }
    }
    *found = 0;
    const cJSON *j = st->env->lookup ? st->env->lookup(st->env->ud, name) : NULL;
    if (!j) {
        out->k = XV_NULL;
        return 0;
    }
    *found = 1;
    return xs_from_json(st, j, out);
}

/* base.name: a context's entry, a temporal's property, or for a list the entry of each
 * element (FEEL's projection). A missing entry is null. */
static int path(ex_state *st, const xv *base, const char *name, xv *out, int *found)
{
    *found = 1;
    if (base->k == XV_NULL) {
        out->k = XV_NULL;
        return 0;
    }
    if (xv_is_ctx(base))
        return xs_ctx_get(st, base, name, out, found);
    if (xv_is_list(base)) {
        xv l;
        if (xs_listify(st, base, &l))
            return -1;
        xv *items = xs_alloc(st, (l.u.l.n ? l.u.l.n : 1) * sizeof *items);
        if (!items)
            return -1;
        for (size_t i = 0; i < l.u.l.n; i++) {
            int f;
            if (path(st, &l.u.l.items[i], name, &items[i], &f))
                return -1;
        }
        out->k = XV_LIST;
        out->u.l.items = items;
        out->u.l.n = l.u.l.n;
        return 0;
    }
    if (xt_property(st, base, name, out, found))
        return -1;
    if (*found)
        return 0;
    return xs_fail(st, "%s has no property '%s'", xv_type_name(base), name);
}

/* An index as a whole number, or an error. */
static int whole(ex_state *st, const xv *v, double *n)
{
    if (v->k != XV_NUM)
        return xs_fail(st, "a list index must be a number, not %s", xv_type_name(v));
    if (v->u.n != floor(v->u.n))
        return xs_fail(st, "a list index must be a whole number");
    *n = v->u.n;
    return 0;
}

/* JUEL base[key]: 0-based list index or a context key. */
static int juel_index(ex_state *st, const xv *base, const xv *key, xv *out)
{
    out->k = XV_NULL;
    if (base->k == XV_NULL)
        return 0;
    if (xv_is_list(base)) {
        double i = 0;
        size_t n = xv_list_len(base);
        if (whole(st, key, &i) || xs_charge(st, (long)(n / 16)))
            return -1;
        if (i < 0 || i >= (double)n)
            return 0;
        return xs_list_get(st, base, (size_t)i, out);
    }
    if (xv_is_ctx(base)) {
        xv k;
        int found;
        if (xs_to_text(st, key, &k))
            return -1;
        char *s = xs_alloc(st, k.u.s.len + 1);
        if (!s)
            return -1;
        memcpy(s, k.u.s.p, k.u.s.len);
        s[k.u.s.len] = '\0';
        return xs_ctx_get(st, base, s, out, &found);
    }
    return xs_fail(st, "cannot index %s", xv_type_name(base));
}

/* FEEL base[e]: when e gives a number it is a 1-based index (negative counts from the end);
 * when it gives a boolean it is a filter evaluated per element with `item` (and a context
 * element's entries) in scope. */
static int feel_index(ex_state *st, const ex_node *nd, const xv *base, xv *out)
{
    out->k = XV_NULL;
    if (base->k == XV_NULL)
        return 0;
    xv l;
    if (xs_listify(st, base, &l))
        return -1;
    xv *keep = xs_alloc(st, (l.u.l.n ? l.u.l.n : 1) * sizeof *keep);
    if (!keep)
        return -1;
    size_t kept = 0;
    const ex_scope *saved = st->scope;
    int rc = 0;
    for (size_t i = 0; i < (l.u.l.n ? l.u.l.n : 1); i++) {
        xv item, r;
        if (l.u.l.n)
            item = l.u.l.items[i];
        else
            item.k = XV_NULL;
        ex_scope entries = {NULL, item, saved};
        ex_scope it = {"item", item, xv_is_ctx(&item) ? &entries : saved};
        st->scope = &it;
        rc = xs_eval(st, nd->kids[1], &r);
        st->scope = saved;
        if (rc)
            return -1;
        if (r.k == XV_NUM && i == 0) {
            double k = 0;
            if (whole(st, &r, &k))
                return -1;
            double n = (double)l.u.l.n;
            if (k < 0)
                k += n + 1;
            if (k >= 1 && k <= n)
                *out = l.u.l.items[(size_t)k - 1];
            return 0;
        }
        if (r.k == XV_BOOL) {
            if (r.u.b && l.u.l.n)
                keep[kept++] = item;
        } else if (r.k != XV_NULL) {
            return xs_fail(st, "a filter must give a boolean, not %s", xv_type_name(&r));
        }
    }
    out->k = XV_LIST;
    out->u.l.items = keep;
    out->u.l.n = kept;
    return 0;
}

/* JUEL's empty: null, "", an empty list or context. */
static int is_empty_value(const xv *v)
{
    if (v->k == XV_NULL)
        return 1;
    if (v->k == XV_STR)
        return v->u.s.len == 0;
    if (v->k == XV_LIST)
        return v->u.l.n == 0;
    if (v->k == XV_CTX)
        return v->u.c.n == 0;
    if (v->k == XV_JSON)
        return v->u.j->child == NULL;
    return 0;
}

/* A boolean operand of not/and/or/if; *b is -1 for null (JUEL: false). */
static int truth(ex_state *st, const ex_node *nd, const xv *v, const char *what, int *b)
{
    *b = 0;
    if (v->k == XV_BOOL) {
        *b = v->u.b;
        return 0;
    }
    if (v->k == XV_NULL) {
        *b = nd->flags & EXF_JUEL ? 0 : -1;
        return 0;
    }
    return xs_fail(st, "%s needs a boolean, not %s", what, xv_type_name(v));
}

static int eval_logic(ex_state *st, const ex_node *nd, xv *out)
{
    int is_and = nd->kind == N_AND, unknown = 0;
    for (uint32_t i = 0; i < nd->n; i++) {
        xv v;
        int b = 0;
        if (xs_eval(st, nd->kids[i], &v) || truth(st, nd, &v, is_and ? "'and'" : "'or'", &b))
            return -1;
        if (b < 0) {
            unknown = 1;
        } else if (b != is_and) {
            set_bool(out, b); /* false decides 'and', true decides 'or' */
            return 0;
        }
    }
    if (unknown)
        out->k = XV_NULL;
    else
        set_bool(out, is_and);
    return 0;
}

/* JUEL coerces a string compared with a number to a number, as EL does. */
static int juel_coerce(ex_state *st, xv *a, xv *b)
{
    xv *s = a->k == XV_STR && b->k == XV_NUM ? a : b->k == XV_STR && a->k == XV_NUM ? b : NULL;
    if (!s)
        return 0;
    char buf[64];
    size_t n = s->u.s.len;
    if (n == 0 || n >= sizeof buf)
        return xs_fail(st, "cannot compare string with number");
    memcpy(buf, s->u.s.p, n);
    buf[n] = '\0';
    char *end;
    double d = strtod(buf, &end);
    if (*end || !isfinite(d))
        return xs_fail(st, "cannot compare string with number");
    s->k = XV_NUM;
    s->u.n = d;
    return 0;
}

static int compare_op(ex_state *st, int op, const xv *a, const xv *b, xv *out)
{
    if (op == OP_EQ || op == OP_NE) {
        int eq;
        if (xs_equal(st, a, b, &eq))
            return -1;
        set_bool(out, op == OP_EQ ? eq : !eq);
        return 0;
    }
    if (a->k == XV_NULL || b->k == XV_NULL) {
        out->k = XV_NULL;
        return 0;
    }
    int c;
    if (xs_compare(st, a, b, &c))
        return -1;
    set_bool(out, op == OP_LT ? c < 0 : op == OP_LE ? c <= 0 : op == OP_GT ? c > 0 : c >= 0);
    return 0;
}

/* v within a range, honouring open and closed ends. */
static int in_range(ex_state *st, const xv *v, const xrange *r, int strict, int *in)
{
    int c1, c2;
    *in = 0;
    if (v->k == XV_NULL)
        return 0;
    if (!strict) {
        /* elements of a list of tests: a value of another type is simply not in the range */
        int ok = (v->k == r->lo.k) || ((v->k == XV_DATE || v->k == XV_DT) &&
                                       (r->lo.k == XV_DATE || r->lo.k == XV_DT));
        if (!ok)
            return 0;
    }
    if (xs_compare(st, v, &r->lo, &c1) || xs_compare(st, v, &r->hi, &c2))
        return -1;
    *in = (r->lo_closed ? c1 >= 0 : c1 > 0) && (r->hi_closed ? c2 <= 0 : c2 < 0);
    return 0;
}

static int eval_in(ex_state *st, const xv *v, const xv *tests, xv *out)
{
    int in = 0;
    if (tests->k == XV_RANGE) {
        if (in_range(st, v, tests->u.r, 1, &in))
            return -1;
    } else if (xv_is_list(tests)) {
        xv l;
        if (xs_listify(st, tests, &l))
            return -1;
        for (size_t i = 0; i < l.u.l.n && !in; i++) {
            const xv *t = &l.u.l.items[i];
            if (t->k == XV_RANGE) {
                if (in_range(st, v, t->u.r, 0, &in))
                    return -1;
            } else {
                if (xs_equal_loose(st, v, t, &in))
                    return -1;
            }
        }
    } else {
        if (xs_equal(st, v, tests, &in))
            return -1;
    }
    set_bool(out, in);
    return 0;
}

static int eval_between(ex_state *st, const ex_node *nd, xv *out)
{
    xv v, lo, hi;
    if (xs_eval(st, nd->kids[0], &v) || xs_eval(st, nd->kids[1], &lo) ||
        xs_eval(st, nd->kids[2], &hi))
        return -1;
    if (v.k == XV_NULL || lo.k == XV_NULL || hi.k == XV_NULL) {
        out->k = XV_NULL;
        return 0;
    }
    int c1, c2;
    if (xs_compare(st, &v, &lo, &c1) || xs_compare(st, &v, &hi, &c2))
        return -1;
    set_bool(out, c1 >= 0 && c2 <= 0);
    return 0;
}

static int eval_range(ex_state *st, const ex_node *nd, xv *out)
{
    xrange *r = xs_alloc(st, sizeof *r);
    if (!r || xs_eval(st, nd->kids[0], &r->lo) || xs_eval(st, nd->kids[1], &r->hi))
        return -1;
    if (r->lo.k == XV_NULL || r->hi.k == XV_NULL)
        return xs_fail(st, "a range cannot end in null");
    int c;
    if (xs_compare(st, &r->lo, &r->hi, &c))
        return -1;
    r->lo_closed = nd->op & 1;
    r->hi_closed = (nd->op >> 1) & 1;
    out->k = XV_RANGE;
    out->u.r = r;
    return 0;
}

static int eval_context(ex_state *st, const ex_node *nd, xv *out)
{
    xv *vals = xs_alloc(st, (nd->n ? nd->n : 1) * sizeof *vals);
    if (!vals)
        return -1;
    /* later entries see the earlier ones: {a: 1, b: a + 1} */
    ex_scope sc = {NULL, {XV_CTX, {0}}, st->scope};
    sc.val.u.c.keys = nd->keys;
    sc.val.u.c.vals = vals;
    const ex_scope *saved = st->scope;
    for (uint32_t i = 0; i < nd->n; i++) {
        sc.val.u.c.n = i;
        st->scope = &sc;
        int rc = xs_eval(st, nd->kids[i], &vals[i]);
        st->scope = saved;
        if (rc)
            return -1;
    }
    out->k = XV_CTX;
    out->u.c.keys = nd->keys;
    out->u.c.vals = vals;
    out->u.c.n = nd->n;
    return 0;
}

/* for / some / every over a list or a range of whole numbers. */
static int eval_iteration(ex_state *st, const ex_node *nd, xv *out)
{
    xv src, l;
    if (xs_eval(st, nd->kids[0], &src) || xs_listify(st, &src, &l))
        return -1;
    xv *res = NULL;
    if (nd->kind == N_FOR && !(res = xs_alloc(st, (l.u.l.n ? l.u.l.n : 1) * sizeof *res)))
        return -1;
    const ex_scope *saved = st->scope;
    for (size_t i = 0; i < l.u.l.n; i++) {
        ex_scope sc = {nd->name, l.u.l.items[i], saved};
        xv r;
        st->scope = &sc;
        int rc = xs_eval(st, nd->kids[1], &r);
        st->scope = saved;
        if (rc)
            return -1;
        if (nd->kind == N_FOR) {
            res[i] = r;
        } else if ((r.k == XV_BOOL && r.u.b) == (nd->kind == N_SOME)) {
            set_bool(out, nd->kind == N_SOME);
            return 0;
        }
    }
    if (nd->kind == N_FOR) {
        out->k = XV_LIST;
        out->u.l.items = res;
        out->u.l.n = l.u.l.n;
    } else {
        set_bool(out, nd->kind == N_EVERY);
    }
    return 0;
}

/* JUEL "Hello ${name}!": each part as text, null as the empty string (as EL does). */
static int eval_template(ex_state *st, const ex_node *nd, xv *out)
{
    xv *parts = xs_alloc(st, (nd->n ? nd->n : 1) * sizeof *parts);
    if (!parts)
        return -1;
    size_t total = 0;
    for (uint32_t i = 0; i < nd->n; i++) {
        xv v;
        if (xs_eval(st, nd->kids[i], &v))
            return -1;
        if (v.k == XV_NULL) {
            parts[i].k = XV_STR;
            parts[i].u.s.p = "";
            parts[i].u.s.len = 0;
        } else if (xs_to_text(st, &v, &parts[i])) {
            return -1;
        }
        total += parts[i].u.s.len;
    }
    if (xs_charge(st, (long)(total / 64)))
        return -1;
    char *d = xs_alloc(st, total + 1);
    if (!d)
        return -1;
    size_t n = 0;
    for (uint32_t i = 0; i < nd->n; i++) {
        memcpy(d + n, parts[i].u.s.p, parts[i].u.s.len);
        n += parts[i].u.s.len;
    }
    d[n] = '\0';
    out->k = XV_STR;
    out->u.s.p = d;
    out->u.s.len = n;
    return 0;
}

static int eval_call(ex_state *st, const ex_node *nd, xv *out)
{
    const ex_builtin *b = nd->fn;
    if (b->flags & EXB_DEFINED) {
        int found;
        xv v;
        if (xs_eval_opt(st, nd->kids[0], &v, &found))
            return -1;
        xv_set_bool(out, found);
        return 0;
    }
    xv *args = xs_alloc(st, (nd->n ? nd->n : 1) * sizeof *args);
    if (!args)
        return -1;
    for (uint32_t i = 0; i < nd->n; i++)
        if (xs_eval(st, nd->kids[i], &args[i]))
            return -1;
    out->k = XV_NULL;
    return b->fn(st, nd, args, nd->n, out);
}

int xs_eval_opt(ex_state *st, const ex_node *nd, xv *out, int *found)
{
    if (nd->kind == N_VAR) {
        if (xs_charge(st, 1))
            return -1;
        return lookup(st, nd->name, out, found);
    }
    if (nd->kind == N_PATH) {
        xv base;
        if (xs_charge(st, 1) || xs_eval_opt(st, nd->kids[0], &base, found))
            return -1;
        if (!*found) {
            out->k = XV_NULL;
            return 0;
        }
        if (base.k == XV_NULL) {
            out->k = XV_NULL;
            *found = 0;
            return 0;
        }
        return path(st, &base, nd->name, out, found);
    }
    *found = 1;
    return xs_eval(st, nd, out);
}

int xs_eval(ex_state *st, const ex_node *nd, xv *out)
{
    xv a, b;
    int found;
    if (xs_charge(st, 1))
        return -1;
    switch ((ex_kind)nd->kind) {
    case N_LIT:
        *out = nd->lit;
        return 0;
    case N_VAR:
        if (lookup(st, nd->name, out, &found))
            return -1;
        /* FEEL: a variable that does not exist is null (DMN 1.4, and Zeebe runs it so);
         * JUEL (Camunda 7, Activiti, Flowable) refuses it, as their engines do. */
        if (!found && !(nd->flags & EXF_JUEL)) {
            out->k = XV_NULL;
            return 0;
        }
        if (!found)
            return xs_fail(st, "unknown variable '%s'", nd->name);
        return 0;
    case N_PATH:
        if (xs_eval(st, nd->kids[0], &a))
            return -1;
        return path(st, &a, nd->name, out, &found);
    case N_INDEX:
        if (xs_eval(st, nd->kids[0], &a))
            return -1;
        if (nd->flags & EXF_JUEL)
            return xs_eval(st, nd->kids[1], &b) ? -1 : juel_index(st, &a, &b, out);
        return feel_index(st, nd, &a, out);
    case N_NEG:
        if (xs_eval(st, nd->kids[0], &a))
            return -1;
        if (a.k == XV_NULL) {
            out->k = XV_NULL;
            return 0;
        }
        if (a.k == XV_NUM)
            return xs_num(st, -a.u.n, out);
        if (a.k == XV_DUR_DT || a.k == XV_DUR_YM) {
            *out = a;
            out->u.t = -a.u.t;
            return 0;
        }
        return xs_fail(st, "cannot negate %s", xv_type_name(&a));
    case N_NOT: {
        int t = 0;
        if (xs_eval(st, nd->kids[0], &a) || truth(st, nd, &a, "not", &t))
            return -1;
        if (t < 0)
            out->k = XV_NULL;
        else
            set_bool(out, !t);
        return 0;
    }
    case N_EMPTY:
        if (xs_eval_opt(st, nd->kids[0], &a, &found))
            return -1;
        set_bool(out, !found || is_empty_value(&a));
        return 0;
    case N_ARITH:
        if (xs_eval(st, nd->kids[0], &a))
            return -1;
        for (uint32_t i = 1; i < nd->n; i++) {
            if (xs_eval(st, nd->kids[i], &b) || xs_arith(st, (ex_op)nd->ops[i - 1], &a, &b, &a))
                return -1;
        }
        *out = a;
        return 0;
    case N_AND:
    case N_OR:
        return eval_logic(st, nd, out);
    case N_CMP:
        if (xs_eval(st, nd->kids[0], &a) || xs_eval(st, nd->kids[1], &b))
            return -1;
        if ((nd->flags & EXF_JUEL) && juel_coerce(st, &a, &b))
            return -1;
        return compare_op(st, nd->op, &a, &b, out);
    case N_IF: {
        int t = 0;
        if (xs_eval(st, nd->kids[0], &a))
            return -1;
        if (a.k == XV_NULL)
            t = 0; /* FEEL: anything but true takes the else branch */
        else if (truth(st, nd, &a, "the condition of if", &t))
            return -1;
        return xs_eval(st, nd->kids[t > 0 ? 1 : 2], out);
    }
    case N_LIST: {
        xv *items = xs_alloc(st, (nd->n ? nd->n : 1) * sizeof *items);
        if (!items)
            return -1;
        for (uint32_t i = 0; i < nd->n; i++)
            if (xs_eval(st, nd->kids[i], &items[i]))
                return -1;
        out->k = XV_LIST;
        out->u.l.items = items;
        out->u.l.n = nd->n;
        return 0;
    }
    case N_CTX:
        return eval_context(st, nd, out);
    case N_RANGE:
        return eval_range(st, nd, out);
    case N_IN:
        if (xs_eval(st, nd->kids[0], &a) || xs_eval(st, nd->kids[1], &b))
            return -1;
        return eval_in(st, &a, &b, out);
    case N_BETWEEN:
        return eval_between(st, nd, out);
    case N_CALL:
        return eval_call(st, nd, out);
    case N_TEMPLATE:
        return eval_template(st, nd, out);
    case N_FOR:
    case N_SOME:
    case N_EVERY:
        return eval_iteration(st, nd, out);
    }
    return xs_fail(st, "internal error: unknown node");
}
