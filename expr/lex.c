/*
 * lex.c - what both expression parsers stand on: the lexer (numbers, strings with their
 * escapes, names, operators), error messages that carry a column, and building tree nodes in
 * the compiled expression's arena with the height of the tree capped at EX_MAX_DEPTH.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

unsigned xp_column(const ex_parser *p, size_t off)
{
    unsigned col = 1;
    for (size_t i = 0; i < off; i++)
        if (((unsigned char)p->src[i] & 0xC0) != 0x80)
            col++;
    return col;
}

/* Records the first error; later ones are consequences of it. */
void *xp_fail_at(ex_parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void *xp_fail_at(ex_parser *p, size_t off, const char *fmt, ...)
{
    if (p->failed)
        return NULL;
    p->failed = BPMN_EINVAL;
    if (p->err && p->errcap) {
        char what[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        snprintf(p->err, p->errcap, "syntax error: %s at column %u", what, xp_column(p, off));
        ex_utf8_sanitize(p->err);
    }
    return NULL;
}

void *xp_nomem(ex_parser *p)
{
    if (!p->failed) {
        p->failed = BPMN_ENOMEM;
        if (p->err && p->errcap)
            snprintf(p->err, p->errcap, "out of memory");
    }
    return NULL;
}

/* A short quotation of the current token for messages. */
const char *xp_tok_text(const ex_parser *p, char *buf, size_t cap)
{
    if (p->t == T_EOF)
        return "end of expression";
    size_t n = p->te - p->ts;
    if (n > 20)
        n = 20;
    snprintf(buf, cap, "'%.*s'", (int)n, p->src + p->ts);
    return buf;
}

void *xp_unexpected(ex_parser *p)
{
    char buf[32];
    return xp_fail_at(p, p->ts, "unexpected %s", xp_tok_text(p, buf, sizeof buf));
}

int xp_is_name_start(int c, int juel)
{
    return isalpha(c) || c == '_' || c >= 0x80 || (juel ? c == '$' : c == '?');
}

int xp_is_name_char(int c, int juel)
{
    return xp_is_name_start(c, juel) || isdigit(c);
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

static size_t put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int read_hex4(ex_parser *p, size_t i, unsigned *cp)
{
    unsigned v = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = i + k < p->end ? hexval((unsigned char)p->src[i + k]) : -1;
        if (h < 0)
            return -1;
        v = v * 16 + (unsigned)h;
    }
    *cp = v;
    return 0;
}

/* Decodes a quoted string starting at p->pos (the quote). The decoded text is never longer than
 * the source, so one allocation of the source length suffices. */
static int lex_string(ex_parser *p, char quote)
{
    size_t i = p->pos + 1, start = p->pos;
    size_t cap = 1;
    for (size_t k = i; k < p->end && p->src[k] != quote; k++, cap++)
        if (p->src[k] == '\\' && k + 1 < p->end)
            k++, cap++;
    char *d = bm_arena_alloc(&p->x->ar, cap + 1);
    if (!d) {
        xp_nomem(p);
        return -1;
    }
    size_t n = 0;
    for (;;) {
        if (i >= p->end) {
            xp_fail_at(p, start, "unterminated string");
            return -1;
        }
        char c = p->src[i];
        if (c == quote)
            break;
        if (c != '\\') {
            d[n++] = c;
            i++;
            continue;
        }
        if (i + 1 >= p->end) {
            xp_fail_at(p, start, "unterminated string");
            return -1;
        }
        char e = p->src[i + 1];
        i += 2;
        switch (e) {
        case 'n': d[n++] = '\n'; break;
        case 't': d[n++] = '\t'; break;
        case 'r': d[n++] = '\r'; break;
        case '"': case '\'': case '\\': case '/': case '$': case '#': d[n++] = e; break;
        case 'u': {
            unsigned cp;
            if (read_hex4(p, i, &cp)) {
                xp_fail_at(p, i - 2, "bad \\u escape");
                return -1;
            }
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                unsigned lo;
                if (i + 1 < p->end && p->src[i] == '\\' && p->src[i + 1] == 'u' &&
                    read_hex4(p, i + 2, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                } else {
                    xp_fail_at(p, i - 6, "unpaired surrogate in \\u escape");
                    return -1;
                }
            } else if ((cp >= 0xDC00 && cp < 0xE000) || cp == 0) {
                xp_fail_at(p, i - 6, cp ? "unpaired surrogate in \\u escape"
                                     : "\\u0000 is not allowed in a string");
                return -1;
            }
            n += put_utf8(d + n, cp);
            break;
        }
        default:
            xp_fail_at(p, i - 2, "unknown escape '\\%c'", e);
            return -1;
        }
    }
    d[n] = '\0';
    p->str = d;
    p->slen = n;
    p->pos = i + 1;
    return 0;
}

static int lex_number(ex_parser *p)
{
    size_t i = p->pos;
    while (i < p->end && isdigit((unsigned char)p->src[i]))
        i++;
    if (i + 1 < p->end && p->src[i] == '.' && isdigit((unsigned char)p->src[i + 1])) {
        i++;
        while (i < p->end && isdigit((unsigned char)p->src[i]))
            i++;
    }
    if (i < p->end && (p->src[i] == 'e' || p->src[i] == 'E')) {
        size_t k = i + 1;
        if (k < p->end && (p->src[k] == '+' || p->src[k] == '-'))
            k++;
        if (k < p->end && isdigit((unsigned char)p->src[k])) {
            while (k < p->end && isdigit((unsigned char)p->src[k]))
                k++;
            i = k;
        }
    }
    char *copy = bm_arena_strndup(&p->x->ar, p->src + p->pos, i - p->pos);
    if (!copy) {
        xp_nomem(p);
        return -1;
    }
    p->num = strtod(copy, NULL);
    if (!isfinite(p->num)) {
        xp_fail_at(p, p->pos, "number out of range");
        return -1;
    }
    p->pos = i;
    return 0;
}

/* Reads the next token into p->t. */
void xp_next(ex_parser *p)
{
    if (p->failed) {
        p->t = T_EOF;
        return;
    }
    while (p->pos < p->end && isspace((unsigned char)p->src[p->pos]))
        p->pos++;
    p->ts = p->pos;
    if (p->pos >= p->end) {
        p->t = T_EOF;
        p->te = p->pos;
        return;
    }
    const char *s = p->src + p->pos;
    size_t left = p->end - p->pos;
    unsigned char c = (unsigned char)s[0];
    char c1 = left > 1 ? s[1] : '\0';
    size_t w = 1;
    tok t = T_BAD;
    if (isdigit(c) || (c == '.' && isdigit((unsigned char)c1))) {
        p->t = lex_number(p) ? T_BAD : T_NUM;
        p->te = p->pos;
        return;
    }
    if (c == '"' || (c == '\'' && p->juel)) {
        p->t = lex_string(p, (char)c) ? T_BAD : T_STR;
        p->te = p->pos;
        return;
    }
    if (c == '@' && c1 == '"' && !p->juel) {
        p->pos++;
        p->t = lex_string(p, '"') ? T_BAD : T_TEMPORAL;
        p->te = p->pos;
        return;
    }
    if (xp_is_name_start(c, p->juel)) {
        size_t i = 1;
        while (i < left && xp_is_name_char((unsigned char)s[i], p->juel))
            i++;
        p->t = T_NAME;
        p->pos += i;
        p->te = p->pos;
        return;
    }
    switch (c) {
    case '(': t = T_LP; break;
    case ')': t = T_RP; break;
    case '[': t = T_LB; break;
    case ']': t = T_RB; break;
    case '{': t = T_LC; break;
    case '}': t = T_RC; break;
    case ',': t = T_COMMA; break;
    case ':': t = T_COLON; break;
    case '?': t = T_QUEST; break;
    case '+': t = T_PLUS; break;
    case '-': t = T_MINUS; break;
    case '/': t = T_SLASH; break;
    case '%': t = T_PERCENT; break;
    case '.': t = c1 == '.' ? (w = 2, T_DOTDOT) : T_DOT; break;
    case '*': t = c1 == '*' ? (w = 2, T_POW) : T_STAR; break;
    case '=': t = c1 == '=' ? (w = 2, T_EQEQ) : T_EQ; break;
    case '!': t = c1 == '=' ? (w = 2, T_NE) : T_BANG; break;
    case '<': t = c1 == '=' ? (w = 2, T_LE) : T_LT; break;
    case '>': t = c1 == '=' ? (w = 2, T_GE) : T_GT; break;
    case '&': t = c1 == '&' ? (w = 2, T_AND) : T_BAD; break;
    case '|': t = c1 == '|' ? (w = 2, T_OR) : T_BAD; break;
    default: break;
    }
    p->pos += w;
    p->te = p->pos;
    p->t = t;
    if (t == T_BAD)
        xp_unexpected(p);
}

/* Whether the current token is the word kw. */
int xp_is_word(const ex_parser *p, const char *kw)
{
    size_t n = strlen(kw);
    return p->t == T_NAME && p->te - p->ts == n && memcmp(p->src + p->ts, kw, n) == 0;
}

int xp_accept(ex_parser *p, tok t)
{
    if (p->t != t)
        return 0;
    xp_next(p);
    return 1;
}

int xp_accept_word(ex_parser *p, const char *kw)
{
    if (!xp_is_word(p, kw))
        return 0;
    xp_next(p);
    return 1;
}

int xp_expect(ex_parser *p, tok t, const char *what)
{
    if (xp_accept(p, t))
        return 0;
    char buf[32];
    xp_fail_at(p, p->ts, "expected %s but found %s", what, xp_tok_text(p, buf, sizeof buf));
    return -1;
}

int xp_expect_word(ex_parser *p, const char *kw)
{
    if (xp_accept_word(p, kw))
        return 0;
    char buf[32];
    xp_fail_at(p, p->ts, "expected '%s' but found %s", kw, xp_tok_text(p, buf, sizeof buf));
    return -1;
}

/* --- tree building --- */

ex_node *xp_mk(ex_parser *p, ex_kind kind, size_t off, uint32_t n)
{
    if (p->failed)
        return NULL;
    ex_node *nd = bm_arena_alloc(&p->x->ar, sizeof *nd);
    if (!nd)
        return xp_nomem(p);
    memset(nd, 0, sizeof *nd);
    nd->kind = (uint8_t)kind;
    nd->off = off > UINT32_MAX ? UINT32_MAX : (uint32_t)off;
    nd->n = n;
    nd->flags = p->juel ? EXF_JUEL : 0;
    if (n) {
        nd->kids = bm_arena_alloc(&p->x->ar, n * sizeof *nd->kids);
        if (!nd->kids)
            return xp_nomem(p);
        memset(nd->kids, 0, n * sizeof *nd->kids);
    }
    return nd;
}

/* Called once all kids are set: computes the height and enforces the depth limit. */
ex_node *xp_done(ex_parser *p, ex_node *nd, size_t off)
{
    if (!nd || p->failed)
        return NULL;
    unsigned h = 0;
    for (uint32_t i = 0; i < nd->n; i++) {
        if (!nd->kids[i])
            return xp_fail_at(p, off, "cannot parse"); /* a no-op when an error is recorded */
        if (nd->kids[i]->depth > h)
            h = nd->kids[i]->depth;
    }
    if (h + 1 > p->x->max_depth)
        return xp_fail_at(p, off, "expression nested too deeply (more than %u levels)",
                       p->x->max_depth);
    nd->depth = (uint8_t)(h + 1);
    return nd;
}

ex_node *xp_mk1(ex_parser *p, ex_kind kind, size_t off, ex_node *a)
{
    ex_node *nd = xp_mk(p, kind, off, 1);
    if (!nd)
        return NULL;
    nd->kids[0] = a;
    return xp_done(p, nd, off);
}

ex_node *xp_mk2(ex_parser *p, ex_kind kind, int op, size_t off, ex_node *a, ex_node *b)
{
    ex_node *nd = xp_mk(p, kind, off, 2);
    if (!nd)
        return NULL;
    nd->op = (uint8_t)op;
    nd->kids[0] = a;
    nd->kids[1] = b;
    return xp_done(p, nd, off);
}

ex_node *xp_lit(ex_parser *p, size_t off, xv v)
{
    ex_node *nd = xp_mk(p, N_LIT, off, 0);
    if (!nd)
        return NULL;
    nd->lit = v;
    return xp_done(p, nd, off);
}

int xp_push(ex_parser *p, xp_vec *nv, ex_node *nd, const char *key, int op)
{
    if (!nd)
        return -1;
    if (nv->n == nv->cap) {
        uint32_t cap = nv->cap ? nv->cap * 2 : 4;
        ex_node **v = bm_arena_alloc(&p->x->ar, cap * sizeof *v);
        const char **k = bm_arena_alloc(&p->x->ar, cap * sizeof *k);
        uint8_t *o = bm_arena_alloc(&p->x->ar, cap);
        if (!v || !k || !o) {
            xp_nomem(p);
            return -1;
        }
        if (nv->n) {
            memcpy(v, nv->v, nv->n * sizeof *v);
            memcpy(k, nv->keys, nv->n * sizeof *k);
            memcpy(o, nv->ops, nv->n);
        }
        nv->v = v;
        nv->keys = k;
        nv->ops = o;
        nv->cap = cap;
    }
    nv->v[nv->n] = nd;
    nv->keys[nv->n] = key;
    nv->ops[nv->n] = (uint8_t)op;
    nv->n++;
    return 0;
}

/* A node whose kids are the vector's nodes; ops[i] is the operator before kid i + 1. */
ex_node *xp_from_vec(ex_parser *p, ex_kind kind, size_t off, xp_vec *nv)
{
    ex_node *nd = xp_mk(p, kind, off, 0);
    if (!nd)
        return NULL;
    nd->n = nv->n;
    nd->kids = nv->v;
    nd->keys = nv->keys;
    nd->ops = nv->n ? nv->ops + 1 : NULL;
    return xp_done(p, nd, off);
}

/* Depth of recursion in the parser itself, separate from the tree's height: "((((x))))" nests
 * without making nodes. */
int xp_enter(ex_parser *p)
{
    if (++p->depth > (int)p->x->max_depth) {
        xp_fail_at(p, p->ts, "expression nested too deeply (more than %u levels)", p->x->max_depth);
        return -1;
    }
    return 0;
}

char *xp_name_text(ex_parser *p)
{
    char *s = bm_arena_strndup(&p->x->ar, p->src + p->ts, p->te - p->ts);
    return s ? s : xp_nomem(p);
}

/* A left-to-right chain of one precedence level, kept flat so that "1+1+...+1" is one node
 * however long it is. */
ex_node *xp_chain(ex_parser *p, ex_node *(*operand)(ex_parser *), int (*op_of)(ex_parser *),
                      ex_kind kind)
{
    size_t off = p->ts;
    ex_node *first = operand(p);
    int op = first ? op_of(p) : -1;
    if (op < 0)
        return first;
    xp_vec v = {0};
    if (xp_push(p, &v, first, NULL, 0))
        return NULL;
    while (op >= 0) {
        xp_next(p);
        if (xp_push(p, &v, operand(p), NULL, op))
            return NULL;
        op = op_of(p);
    }
    return xp_from_vec(p, kind, off, &v);
}

void xp_init(ex_parser *p, ex_expr *x, const char *src, size_t end, char *err,
                 size_t errcap)
{
    memset(p, 0, sizeof *p);
    p->x = x;
    p->src = src;
    p->end = end;
    p->err = err;
    p->errcap = errcap;
}

