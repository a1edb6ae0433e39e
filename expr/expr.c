/*
 * expr.c - the public face of expressions (expr/expr.h): deciding from an attribute's text
 * whether it is FEEL, JUEL or a plain string, owning the compiled tree, and running one
 * evaluation from start to cJSON result. The parsers, evaluator and functions live in the other
 * expr_*.c files.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "expr/expr_int.h"

static void set_err(char *err, size_t errcap, const char *msg)
{
    if (err && errcap) {
        snprintf(err, errcap, "%s", msg);
        ex_utf8_sanitize(err);
    }
}

/* Column (1-based, in code points) of the first byte that is not valid UTF-8, or 0. */
static unsigned bad_utf8_column(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    unsigned col = 1;
    for (size_t i = 0; i < n; col++) {
        size_t k = ex_utf8_seq(p + i, n - i);
        if (!k)
            return col;
        i += k;
    }
    return 0;
}

static int has_juel_marker(const char *s)
{
    for (; *s; s++)
        if ((s[0] == '$' || s[0] == '#') && s[1] == '{')
            return 1;
    return 0;
}

int ex_compile(const char *src, ex_mode mode, const bpmn_allocator *a, ex_expr **out, char *err,
               size_t errcap)
{
    return ex_compile_depth(src, mode, a, EX_MAX_DEPTH, out, err, errcap);
}

int ex_compile_depth(const char *src, ex_mode mode, const bpmn_allocator *a, unsigned max_depth,
                     ex_expr **out, char *err, size_t errcap)
{
    if (out)
        *out = NULL;
    if (!src || !out || (mode != EX_MODE_VALUE && mode != EX_MODE_EXPRESSION)) {
        set_err(err, errcap, "invalid argument");
        return BPMN_EINVAL;
    }
    unsigned bad = bad_utf8_column(src);
    if (bad) {
        if (err && errcap)
            snprintf(err, errcap, "syntax error: invalid UTF-8 at column %u", bad);
        return BPMN_EINVAL;
    }
    ex_expr *x = bm_alloc(a, NULL, sizeof *x);
    if (!x) {
        set_err(err, errcap, "out of memory");
        return BPMN_ENOMEM;
    }
    x->a = a;
    /* node heights are kept in a byte */
    x->max_depth = !max_depth ? EX_MAX_DEPTH : max_depth > 255 ? 255 : max_depth;
    bm_arena_init(&x->ar, a);
    x->root = NULL;
    x->literal = 1;
    size_t len = strlen(src), lead = strspn(src, " \t\r\n");
    int rc;
    if (src[0] == '=') {
        rc = ex_parse_feel(x, src, len, 1, &x->root, err, errcap);
    } else if (mode == EX_MODE_VALUE && has_juel_marker(src)) {
        rc = ex_parse_template(x, src, len, 1, &x->root, err, errcap);
    } else if (mode == EX_MODE_EXPRESSION &&
               (src[lead] == '$' || src[lead] == '#') && src[lead + 1] == '{') {
        rc = ex_parse_template(x, src, len, 0, &x->root, err, errcap);
    } else if (mode == EX_MODE_EXPRESSION) {
        rc = ex_parse_feel(x, src, len, 0, &x->root, err, errcap);
    } else {
        /* a plain attribute value is the string itself, copied so the tree owns it */
        ex_node *nd = bm_arena_alloc(&x->ar, sizeof *nd);
        char *copy = bm_arena_strndup(&x->ar, src, len);
        rc = nd && copy ? BPMN_OK : BPMN_ENOMEM;
        if (rc == BPMN_OK) {
            memset(nd, 0, sizeof *nd);
            nd->kind = N_LIT;
            nd->depth = 1;
            nd->off = 0;
            nd->lit.k = XV_STR;
            nd->lit.u.s.p = copy;
            nd->lit.u.s.len = len;
            x->root = nd;
        } else {
            set_err(err, errcap, "out of memory");
        }
    }
    if (rc == BPMN_OK && !x->root) {
        set_err(err, errcap, "internal error: no tree");
        rc = BPMN_EINVAL;
    }
    if (rc != BPMN_OK) {
        ex_free(x);
        return rc;
    }
    *out = x;
    return BPMN_OK;
}

void ex_free(ex_expr *e)
{
    if (!e)
        return;
    const bpmn_allocator *a = e->a;
    bm_arena_free(&e->ar);
    bm_free(a, e);
}

int ex_is_literal(const ex_expr *e)
{
    return e ? e->literal : 0;
}

/* One evaluation to an internal value; the caller converts it and then frees the arena. */
static int run(const ex_expr *e, const ex_env *env, unsigned long max_steps, ex_state *st, xv *v)
{
    memset(st, 0, sizeof *st);
    st->env = env;
    /* halved so that charging a step past it cannot overflow */
    st->max_steps = !max_steps ? EX_MAX_STEPS
                    : max_steps > (unsigned long)LONG_MAX / 2 ? LONG_MAX / 2 : (long)max_steps;
    bm_arena_init(&st->ar, e->a);
    return xs_eval(st, e->root, v);
}

static int finish(ex_state *st, char *err, size_t errcap)
{
    int rc = st->rc ? st->rc : BPMN_OK;
    if (rc != BPMN_OK)
        set_err(err, errcap, st->msg);
    bm_arena_free(&st->ar);
    return rc;
}

int ex_eval(const ex_expr *e, const ex_env *env, cJSON **result, char *err, size_t errcap)
{
    return ex_eval_max(e, env, 0, result, err, errcap);
}

int ex_eval_bool(const ex_expr *e, const ex_env *env, int *truth, char *err, size_t errcap)
{
    return ex_eval_bool_max(e, env, 0, truth, err, errcap);
}

int ex_eval_max(const ex_expr *e, const ex_env *env, unsigned long max_steps, cJSON **result,
                char *err, size_t errcap)
{
    if (result)
        *result = NULL;
    if (!e || !env || !result) {
        set_err(err, errcap, "invalid argument");
        return BPMN_EINVAL;
    }
    ex_state st;
    xv v;
    cJSON *j = NULL;
    if (run(e, env, max_steps, &st, &v) == 0)
        j = xs_to_json(&st, &v);
    int rc = finish(&st, err, errcap);
    if (rc == BPMN_OK)
        *result = j;
    else
        cJSON_Delete(j);
    return rc;
}

int ex_eval_bool_max(const ex_expr *e, const ex_env *env, unsigned long max_steps, int *truth,
                     char *err, size_t errcap)
{
    if (truth)
        *truth = 0;
    if (!e || !env || !truth) {
        set_err(err, errcap, "invalid argument");
        return BPMN_EINVAL;
    }
    ex_state st;
    xv v;
    if (run(e, env, max_steps, &st, &v) == 0) {
        if (v.k == XV_BOOL)
            *truth = v.u.b;
        else
            xs_fail(&st, "condition did not evaluate to a boolean (got %s)", xv_type_name(&v));
    }
    return finish(&st, err, errcap);
}
