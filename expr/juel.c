/*
 * juel.c - the JUEL parser (the EL of Camunda 7 and Activiti: "${a && !empty b}",
 * "${x.y['z'] ge 3 ? 'a' : 'b'}") and the string templates JUEL values form ("Hello ${name}!").
 * Function and method calls are refused at compile time: the runtime has no Java objects.
 */
#include <ctype.h>
#include <string.h>

#include "expr/expr_int.h"

static ex_node *juel_expr(ex_parser *p);

static ex_node *juel_primary(ex_parser *p)
{
    size_t off = p->ts;
    xv v;
    switch (p->t) {
    case T_NUM:
        v.k = XV_NUM;
        v.u.n = p->num;
        xp_next(p);
        return xp_lit(p, off, v);
    case T_STR:
        v.k = XV_STR;
        v.u.s.p = p->str;
        v.u.s.len = p->slen;
        xp_next(p);
        return xp_lit(p, off, v);
    case T_LP: {
        xp_next(p);
        ex_node *e = juel_expr(p);
        if (!e || xp_expect(p, T_RP, "')'"))
            return NULL;
        return e;
    }
    case T_NAME:
        break;
    default:
        return xp_unexpected(p);
    }
    if (xp_accept_word(p, "true") || xp_accept_word(p, "false")) {
        v.k = XV_BOOL;
        v.u.b = p->src[off] == 't';
        return xp_lit(p, off, v);
    }
    if (xp_accept_word(p, "null")) {
        v.k = XV_NULL;
        return xp_lit(p, off, v);
    }
    static const char *const kw[] = {"and", "or", "not", "eq", "ne", "lt", "gt", "le",
                                     "ge", "div", "mod", "empty", "instanceof", NULL};
    for (size_t i = 0; kw[i]; i++)
        if (xp_is_word(p, kw[i]))
            return xp_unexpected(p);
    char *name = xp_name_text(p);
    if (!name)
        return NULL;
    xp_next(p);
    if (p->t == T_LP || p->t == T_COLON)
        return xp_fail_at(p, off, "function calls are not supported in JUEL ('%s')", name);
    ex_node *nd = xp_mk(p, N_VAR, off, 0);
    if (!nd)
        return NULL;
    nd->name = name;
    p->x->literal = 0;
    return xp_done(p, nd, off);
}

static ex_node *juel_value(ex_parser *p)
{
    ex_node *e = juel_primary(p);
    while (e) {
        size_t off = p->ts;
        if (xp_accept(p, T_DOT)) {
            if (p->t != T_NAME)
                return xp_expect(p, T_NAME, "a property name after '.'"), NULL;
            ex_node *nd = xp_mk1(p, N_PATH, off, e);
            if (!nd || !(nd->name = xp_name_text(p)))
                return NULL;
            xp_next(p);
            if (p->t == T_LP)
                return xp_fail_at(p, p->ts, "method calls are not supported in JUEL ('%s')",
                               nd->name);
            e = nd;
        } else if (p->t == T_LB) {
            xp_next(p);
            ex_node *idx = juel_expr(p);
            if (!idx || xp_expect(p, T_RB, "']'"))
                return NULL;
            e = xp_mk2(p, N_INDEX, 0, off, e, idx);
        } else {
            break;
        }
    }
    return e;
}

static ex_node *juel_unary(ex_parser *p)
{
    size_t off = p->ts;
    ex_kind kind;
    if (p->t == T_MINUS)
        kind = N_NEG;
    else if (p->t == T_BANG || xp_is_word(p, "not"))
        kind = N_NOT;
    else if (xp_is_word(p, "empty"))
        kind = N_EMPTY;
    else
        return juel_value(p);
    xp_next(p);
    if (xp_enter(p))
        return NULL;
    ex_node *e = juel_unary(p);
    p->depth--;
    return e ? xp_mk1(p, kind, off, e) : NULL;
}

static int juel_mul_op(ex_parser *p)
{
    if (p->t == T_STAR)
        return OP_MUL;
    if (p->t == T_SLASH || xp_is_word(p, "div"))
        return OP_DIV;
    if (p->t == T_PERCENT || xp_is_word(p, "mod"))
        return OP_MOD;
    return -1;
}

static ex_node *juel_mul(ex_parser *p)
{
    return xp_chain(p, juel_unary, juel_mul_op, N_ARITH);
}

static int juel_add_op(ex_parser *p)
{
    return p->t == T_PLUS ? OP_ADD : p->t == T_MINUS ? OP_SUB : -1;
}

static ex_node *juel_add(ex_parser *p)
{
    return xp_chain(p, juel_mul, juel_add_op, N_ARITH);
}

static int juel_cmp_op(const ex_parser *p, int equality)
{
    if (equality) {
        if (p->t == T_EQEQ || xp_is_word(p, "eq"))
            return OP_EQ;
        if (p->t == T_NE || xp_is_word(p, "ne"))
            return OP_NE;
        return -1;
    }
    if (p->t == T_LT || xp_is_word(p, "lt"))
        return OP_LT;
    if (p->t == T_LE || xp_is_word(p, "le"))
        return OP_LE;
    if (p->t == T_GT || xp_is_word(p, "gt"))
        return OP_GT;
    if (p->t == T_GE || xp_is_word(p, "ge"))
        return OP_GE;
    return -1;
}

/* Comparisons associate to the left as in EL: a == b == c is (a == b) == c. */
static ex_node *juel_cmp(ex_parser *p, int equality)
{
    ex_node *e = equality ? juel_cmp(p, 0) : juel_add(p);
    int op;
    while (e && (op = juel_cmp_op(p, equality)) >= 0) {
        size_t off = p->ts;
        xp_next(p);
        e = xp_mk2(p, N_CMP, op, off, e, equality ? juel_cmp(p, 0) : juel_add(p));
    }
    return e;
}

static ex_node *juel_eq(ex_parser *p)
{
    return juel_cmp(p, 1);
}

static int juel_and_op(ex_parser *p)
{
    return p->t == T_AND || xp_is_word(p, "and") ? 0 : -1;
}

static ex_node *juel_and(ex_parser *p)
{
    return xp_chain(p, juel_eq, juel_and_op, N_AND);
}

static int juel_or_op(ex_parser *p)
{
    return p->t == T_OR || xp_is_word(p, "or") ? 0 : -1;
}

static ex_node *juel_expr(ex_parser *p)
{
    if (xp_enter(p))
        return NULL;
    size_t off = p->ts;
    ex_node *e = xp_chain(p, juel_and, juel_or_op, N_OR);
    if (e && p->t == T_QUEST) {
        off = p->ts;
        xp_next(p);
        ex_node *a = juel_expr(p);
        if (!a || xp_expect(p, T_COLON, "':'"))
            return NULL;
        ex_node *b = juel_expr(p);
        ex_node *nd = xp_mk(p, N_IF, off, 3);
        if (!nd)
            return NULL;
        nd->kids[0] = e;
        nd->kids[1] = a;
        nd->kids[2] = b;
        e = xp_done(p, nd, off);
    }
    p->depth--;
    return e;
}

static ex_node *text_lit(ex_parser *p, size_t off, const char *s, size_t n)
{
    xv v;
    v.k = XV_STR;
    v.u.s.p = s;
    v.u.s.len = n;
    return xp_lit(p, off, v);
}

int ex_parse_template(ex_expr *x, const char *src, size_t len, int keep_outer_space,
                      ex_node **out, char *err, size_t errcap)
{
    ex_parser p;
    xp_init(&p, x, src, len, err, errcap);
    p.juel = 1;
    xp_vec parts = {0}; /* ops[k] is 1 for a text part, 0 for an expression */
    /* literal text is collected here with "\${" unescaped; never more than len bytes */
    char *text = bm_arena_alloc(&x->ar, len + 1);
    if (!text)
        return xp_nomem(&p), p.failed;
    size_t tn = 0, tstart = 0, exprs = 0, i = 0;
    ex_node *only = NULL;
    int text_counts = 0;
    while (i < len) {
        if (src[i] == '\\' && i + 2 < len && (src[i + 1] == '$' || src[i + 1] == '#') &&
            src[i + 2] == '{') {
            if (tn == 0)
                tstart = i;
            text[tn++] = src[i + 1];
            text[tn++] = '{';
            i += 3;
            continue;
        }
        if ((src[i] == '$' || src[i] == '#') && i + 1 < len && src[i + 1] == '{') {
            if (tn) {
                if (xp_push(&p, &parts, text_lit(&p, tstart, text, tn), NULL, 1))
                    return p.failed;
                text += tn;
                tn = 0;
            }
            p.pos = i + 2;
            p.depth = 0;
            xp_next(&p);
            if (p.t == T_RC) {
                xp_fail_at(&p, p.ts, "empty expression");
                return p.failed;
            }
            ex_node *e = juel_expr(&p);
            if (!e && !p.failed) /* every path that gives up records why; a safety net */
                xp_fail_at(&p, p.ts, "cannot parse");
            if (e && p.t != T_RC) {
                char buf[32];
                xp_fail_at(&p, p.ts, "expected '}' but found %s",
                           xp_tok_text(&p, buf, sizeof buf));
            }
            if (xp_push(&p, &parts, e, NULL, 0))
                return p.failed;
            only = e;
            exprs++;
            i = p.te; /* just after the '}' */
            continue;
        }
        if (tn == 0)
            tstart = i;
        text[tn++] = src[i++];
    }
    if (tn && xp_push(&p, &parts, text_lit(&p, tstart, text, tn), NULL, 1))
        return p.failed;
    if (p.failed)
        return p.failed;
    for (uint32_t k = 0; k < parts.n; k++) {
        const ex_node *nd = parts.v[k];
        if (!parts.ops[k])
            continue;
        for (size_t c = 0; c < nd->lit.u.s.len; c++)
            if (keep_outer_space || !isspace((unsigned char)nd->lit.u.s.p[c]))
                text_counts = 1;
    }
    /* Exactly one ${...} and no text that counts around it (in a condition, surrounding
     * whitespace does not): the value keeps its type. */
    if (exprs == 1 && !text_counts) {
        *out = only;
        return BPMN_OK;
    }
    ex_node *e = xp_from_vec(&p, N_TEMPLATE, 0, &parts);
    if (!e)
        return p.failed;
    *out = e;
    return BPMN_OK;
}
