/*
 * feel.c - the FEEL parser: the subset of DMN's Friendly Enough Expression Language that
 * conditions and mappings use ("amount > 100", "if x then a else b", "x in [1..10]",
 * "date(\"2026-01-01\") + duration(\"P1M\")", "for i in l return i * 2", "l[item > 3]").
 * Recursive descent with one token of lookahead; parser recursion is capped at EX_MAX_DEPTH.
 */
#include <ctype.h>
#include <string.h>

#include "expr/expr_int.h"

static ex_node *feel_expr(ex_parser *p);
static ex_node *feel_unary(ex_parser *p);

static int is_reserved(const ex_parser *p)
{
    static const char *const kw[] = {"and", "or", "if", "then", "else", "for", "in",
                                     "return", "some", "every", "satisfies", "between",
                                     "true", "false", "null", "instance", "function", NULL};
    for (size_t i = 0; kw[i]; i++)
        if (xp_is_word(p, kw[i]))
            return 1;
    return 0;
}

/* A builtin whose name is one or more words at the current token followed by '('. Longest
 * match wins ("date and time" over "date"). Returns the builtin index or -1; on success the
 * '(' is the current token. */
static int feel_function_name(ex_parser *p)
{
    int best = -1;
    size_t best_end = 0;
    for (int i = 0; ex_builtin_get(i); i++) {
        const char *name = ex_builtin_get(i)->name;
        size_t k = p->ts, j = 0;
        while (name[j]) {
            if (name[j] == ' ') {
                /* a space in the name matches any run of whitespace in the source */
                if (k >= p->end || !isspace((unsigned char)p->src[k]))
                    break;
                while (k < p->end && isspace((unsigned char)p->src[k]))
                    k++;
                j++;
                continue;
            }
            if (k >= p->end || p->src[k] != name[j])
                break;
            k++;
            j++;
        }
        if (name[j] || (k < p->end && xp_is_name_char((unsigned char)p->src[k], 0)))
            continue;
        size_t after = k;
        while (after < p->end && isspace((unsigned char)p->src[after]))
            after++;
        if (after < p->end && p->src[after] == '(' && k > best_end) {
            best = i;
            best_end = k;
        }
    }
    if (best >= 0) {
        p->pos = best_end;
        xp_next(p); /* the '(' */
    }
    return best;
}

static ex_node *feel_call(ex_parser *p, int fn, size_t off)
{
    const ex_builtin *b = ex_builtin_get(fn);
    xp_vec args = {0};
    xp_next(p); /* '(' */
    if (p->t != T_RP) {
        do {
            if (xp_push(p, &args, feel_expr(p), NULL, 0))
                return NULL;
        } while (xp_accept(p, T_COMMA));
    }
    if (xp_expect(p, T_RP, "')' or ','"))
        return NULL;
    if ((int)args.n < b->min || (b->max >= 0 && (int)args.n > b->max)) {
        if (b->min == b->max)
            return xp_fail_at(p, off, "%s() takes %d argument%s, not %u", b->name, b->min,
                           b->min == 1 ? "" : "s", args.n);
        return xp_fail_at(p, off, "%s() takes %d to %d arguments, not %u", b->name, b->min,
                       b->max < 0 ? 99 : b->max, args.n);
    }
    if (b->flags & EXB_TIME)
        p->x->literal = 0;
    ex_node *nd = xp_from_vec(p, N_CALL, off, &args);
    if (nd)
        nd->fn = b;
    return nd;
}

/* {a: 1, "b c": 2, first name: 3} */
static ex_node *feel_context(ex_parser *p, size_t off)
{
    xp_vec entries = {0};
    xp_next(p); /* '{' */
    if (p->t != T_RC) {
        do {
            char *key;
            size_t koff = p->ts;
            if (p->t == T_STR) {
                key = p->str;
                xp_next(p);
            } else if (p->t == T_NAME) {
                /* a key may be several words: {first name: "Anna"} */
                size_t ks = p->ts, ke = p->te;
                xp_next(p);
                while (p->t == T_NAME) {
                    ke = p->te;
                    xp_next(p);
                }
                char *raw = bm_arena_strndup(&p->x->ar, p->src + ks, ke - ks);
                if (!raw)
                    return xp_nomem(p);
                size_t n = 0; /* collapse whitespace runs to one space */
                for (size_t i = 0; raw[i]; i++)
                    if (!isspace((unsigned char)raw[i]))
                        raw[n++] = raw[i];
                    else if (n && raw[n - 1] != ' ')
                        raw[n++] = ' ';
                raw[n] = '\0';
                key = raw;
            } else {
                char buf[32];
                return xp_fail_at(p, koff, "expected a context key but found %s",
                               xp_tok_text(p, buf, sizeof buf));
            }
            for (uint32_t i = 0; i < entries.n; i++)
                if (strcmp(entries.keys[i], key) == 0)
                    return xp_fail_at(p, koff, "duplicate context key '%s'", key);
            if (xp_expect(p, T_COLON, "':'"))
                return NULL;
            if (xp_push(p, &entries, feel_expr(p), key, 0))
                return NULL;
        } while (xp_accept(p, T_COMMA));
    }
    if (xp_expect(p, T_RC, "'}' or ','"))
        return NULL;
    return xp_from_vec(p, N_CTX, off, &entries);
}

/* After the low end of a range: ".. high" and the closing bracket. */
static ex_node *feel_range_rest(ex_parser *p, size_t off, ex_node *lo, int lo_closed)
{
    xp_next(p); /* '..' */
    int saved = p->no_index;
    p->no_index = 1;
    ex_node *hi = feel_expr(p);
    p->no_index = saved;
    if (!hi)
        return NULL;
    int hi_closed;
    if (p->t == T_RB)
        hi_closed = 1;
    else if (p->t == T_RP || p->t == T_LB)
        hi_closed = 0;
    else
        return xp_expect(p, T_RB, "']', ')' or '['"), NULL;
    xp_next(p);
    return xp_mk2(p, N_RANGE, lo_closed | (hi_closed << 1), off, lo, hi);
}

static ex_node *feel_primary_inner(ex_parser *p)
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
    case T_TEMPORAL:
        if (xt_parse_any(p->str, p->slen, &v))
            return xp_fail_at(p, off, "not a date, date and time or duration: @\"%.40s\"",
                           p->str);
        xp_next(p);
        return xp_lit(p, off, v);
    case T_LP: {
        xp_next(p);
        ex_node *e = feel_expr(p);
        if (!e)
            return NULL;
        if (p->t == T_DOTDOT) {
            e = feel_range_rest(p, off, e, 0);
        } else if (xp_expect(p, T_RP, "')'")) {
            return NULL;
        }
        return e;
    }
    case T_RB: /* ]1..10] */
    case T_LB: {
        int closed = p->t == T_LB;
        xp_next(p);
        if (closed && xp_accept(p, T_RB)) {
            xp_vec none = {0};
            return xp_from_vec(p, N_LIST, off, &none);
        }
        ex_node *first = feel_expr(p);
        if (!first)
            return NULL;
        ex_node *e;
        if (p->t == T_DOTDOT) {
            e = feel_range_rest(p, off, first, closed);
        } else {
            if (!closed)
                return xp_unexpected(p);
            xp_vec items = {0};
            xp_push(p, &items, first, NULL, 0);
            while (xp_accept(p, T_COMMA))
                if (xp_push(p, &items, feel_expr(p), NULL, 0))
                    return NULL;
            if (xp_expect(p, T_RB, "']' or ','"))
                return NULL;
            e = xp_from_vec(p, N_LIST, off, &items);
        }
        return e;
    }
    case T_LC: {
        ex_node *e = feel_context(p, off);
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
    /* if/for/some/every as an operand: "a and every x in l satisfies x > 0" */
    if (xp_is_word(p, "if") || xp_is_word(p, "for") || xp_is_word(p, "some") ||
        xp_is_word(p, "every"))
        return feel_expr(p);
    int fn = feel_function_name(p);
    if (fn >= 0)
        return feel_call(p, fn, off);
    if (xp_is_word(p, "not")) {
        xp_next(p);
        if (p->t != T_LP)
            return xp_expect(p, T_LP, "'(' after not"), NULL;
        xp_next(p);
        ex_node *e = feel_expr(p);
        if (!e || xp_expect(p, T_RP, "')'"))
            return NULL;
        return xp_mk1(p, N_NOT, off, e);
    }
    if (is_reserved(p))
        return xp_unexpected(p);
    char *name = xp_name_text(p);
    if (!name)
        return NULL;
    xp_next(p);
    if (p->t == T_LP)
        return xp_fail_at(p, off, "unknown function '%s'", name);
    ex_node *nd = xp_mk(p, N_VAR, off, 0);
    if (!nd)
        return NULL;
    nd->name = name;
    p->x->literal = 0;
    return xp_done(p, nd, off);
}

/* Inside brackets, parentheses and braces, '[' indexes again. */
static ex_node *feel_primary(ex_parser *p)
{
    int saved = p->no_index;
    p->no_index = 0;
    ex_node *e = feel_primary_inner(p);
    p->no_index = saved;
    return e;
}

/* primary followed by .name and [filter] */
static ex_node *feel_postfix(ex_parser *p)
{
    ex_node *e = feel_primary(p);
    while (e) {
        size_t off = p->ts;
        if (xp_accept(p, T_DOT)) {
            if (p->t != T_NAME)
                return xp_expect(p, T_NAME, "a name after '.'"), NULL;
            ex_node *nd = xp_mk1(p, N_PATH, off, e);
            if (!nd || !(nd->name = xp_name_text(p)))
                return NULL;
            xp_next(p);
            e = nd;
        } else if (p->t == T_LB && !p->no_index) {
            xp_next(p);
            ex_node *idx = feel_expr(p);
            if (!idx || xp_expect(p, T_RB, "']'"))
                return NULL;
            e = xp_mk2(p, N_INDEX, 0, off, e, idx);
        } else {
            break;
        }
    }
    return e;
}

/* x ** y binds tighter than unary minus on its left (-2 ** 2 = -4) and is right-associative. */
static ex_node *feel_power(ex_parser *p)
{
    ex_node *e = feel_postfix(p);
    size_t off = p->ts;
    if (e && xp_accept(p, T_POW)) {
        if (xp_enter(p))
            return NULL;
        ex_node *r = feel_unary(p);
        p->depth--;
        xp_vec v = {0};
        if (xp_push(p, &v, e, NULL, 0) || xp_push(p, &v, r, NULL, OP_POW))
            return NULL;
        e = xp_from_vec(p, N_ARITH, off, &v);
    }
    return e;
}

static ex_node *feel_unary(ex_parser *p)
{
    size_t off = p->ts;
    if (xp_accept(p, T_MINUS)) {
        if (xp_enter(p))
            return NULL;
        ex_node *e = feel_unary(p);
        p->depth--;
        return e ? xp_mk1(p, N_NEG, off, e) : NULL;
    }
    return feel_power(p);
}

static int feel_mul_op(ex_parser *p)
{
    return p->t == T_STAR ? OP_MUL : p->t == T_SLASH ? OP_DIV : -1;
}

static ex_node *feel_mul(ex_parser *p)
{
    return xp_chain(p, feel_unary, feel_mul_op, N_ARITH);
}

static int feel_add_op(ex_parser *p)
{
    return p->t == T_PLUS ? OP_ADD : p->t == T_MINUS ? OP_SUB : -1;
}

static ex_node *feel_add(ex_parser *p)
{
    return xp_chain(p, feel_mul, feel_add_op, N_ARITH);
}

static int cmp_op(tok t)
{
    switch (t) {
    case T_EQ: return OP_EQ;
    case T_NE: return OP_NE;
    case T_LT: return OP_LT;
    case T_LE: return OP_LE;
    case T_GT: return OP_GT;
    case T_GE: return OP_GE;
    default: return -1;
    }
}

static ex_node *feel_comparison(ex_parser *p)
{
    ex_node *e = feel_add(p);
    if (!e)
        return NULL;
    size_t off = p->ts;
    int op = cmp_op(p->t);
    if (op >= 0) {
        xp_next(p);
        return xp_mk2(p, N_CMP, op, off, e, feel_add(p));
    }
    if (xp_accept_word(p, "between")) {
        ex_node *lo = feel_add(p);
        if (!lo || xp_expect_word(p, "and"))
            return NULL;
        ex_node *nd = xp_mk(p, N_BETWEEN, off, 3);
        if (!nd)
            return NULL;
        nd->kids[0] = e;
        nd->kids[1] = lo;
        nd->kids[2] = feel_add(p);
        return xp_done(p, nd, off);
    }
    if (xp_accept_word(p, "in"))
        return xp_mk2(p, N_IN, 0, off, e, feel_add(p));
    return e;
}

static int feel_and_op(ex_parser *p)
{
    return xp_is_word(p, "and") ? 0 : -1;
}

static ex_node *feel_conj(ex_parser *p)
{
    return xp_chain(p, feel_comparison, feel_and_op, N_AND);
}

static int feel_or_op(ex_parser *p)
{
    return xp_is_word(p, "or") ? 0 : -1;
}

/* for x in l return e / some x in l satisfies c / every x in l satisfies c */
static ex_node *feel_iteration(ex_parser *p, ex_kind kind, size_t off)
{
    if (p->t != T_NAME || is_reserved(p)) {
        char buf[32];
        return xp_fail_at(p, p->ts, "expected a variable name but found %s",
                          xp_tok_text(p, buf, sizeof buf));
    }
    char *name = xp_name_text(p);
    if (!name)
        return NULL;
    xp_next(p);
    if (xp_expect_word(p, "in"))
        return NULL;
    size_t roff = p->ts;
    ex_node *src = feel_expr(p);
    if (src && p->t == T_DOTDOT) {
        /* for i in 1..3: a range without brackets includes both ends */
        xp_next(p);
        src = xp_mk2(p, N_RANGE, 3, roff, src, feel_expr(p));
    }
    if (!src || xp_expect_word(p, kind == N_FOR ? "return" : "satisfies"))
        return NULL;
    ex_node *nd = xp_mk2(p, kind, 0, off, src, feel_expr(p));
    if (nd)
        nd->name = name;
    return nd;
}

static ex_node *feel_expr(ex_parser *p)
{
    size_t off = p->ts;
    ex_node *e;
    if (xp_enter(p))
        return NULL;
    if (xp_accept_word(p, "if")) {
        ex_node *c = feel_expr(p);
        if (!c || xp_expect_word(p, "then"))
            return NULL;
        ex_node *a = feel_expr(p);
        if (!a || xp_expect_word(p, "else"))
            return NULL;
        ex_node *b = feel_expr(p);
        e = xp_mk(p, N_IF, off, 3);
        if (e) {
            e->kids[0] = c;
            e->kids[1] = a;
            e->kids[2] = b;
            e = xp_done(p, e, off);
        }
    } else if (xp_accept_word(p, "for")) {
        e = feel_iteration(p, N_FOR, off);
    } else if (xp_accept_word(p, "some")) {
        e = feel_iteration(p, N_SOME, off);
    } else if (xp_accept_word(p, "every")) {
        e = feel_iteration(p, N_EVERY, off);
    } else {
        e = xp_chain(p, feel_conj, feel_or_op, N_OR);
    }
    p->depth--;
    return e;
}

int ex_parse_feel(ex_expr *x, const char *src, size_t len, size_t start, ex_node **out,
                  char *err, size_t errcap)
{
    ex_parser p;
    xp_init(&p, x, src, len, err, errcap);
    p.pos = start;
    xp_next(&p);
    if (p.t == T_EOF && !p.failed) {
        xp_fail_at(&p, p.ts, "empty expression");
        return p.failed;
    }
    ex_node *e = feel_expr(&p);
    if (e && p.t != T_EOF)
        xp_unexpected(&p);
    if (!e && !p.failed) /* every path that gives up records why; this is a safety net */
        xp_fail_at(&p, p.ts, "cannot parse");
    if (p.failed)
        return p.failed;
    *out = e;
    return BPMN_OK;
}

