/*
 * expr_int.h - what the expression files share: the value model of an evaluation, the compiled
 * tree, the evaluation state, and the entry points each file offers the others. Nothing here is
 * part of the public interface (expr/expr.h is).
 */
#ifndef BPMN_EXPR_INT_H
#define BPMN_EXPR_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "expr/expr.h"

/*
 * A value during evaluation. Scalars read from a variable are copied into xv; arrays and objects
 * of a variable stay borrowed cJSON (XV_JSON) so that reading customer.tier from a large object
 * copies nothing. Strings are never NUL-containing UTF-8, carried with their length; they point
 * into the compiled tree, a variable, or the evaluation arena.
 */
typedef enum xv_kind {
    XV_NULL,
    XV_BOOL,
    XV_NUM,
    XV_STR,
    XV_LIST,   /* built by the expression */
    XV_CTX,    /* built by the expression */
    XV_JSON,   /* a borrowed cJSON array or object */
    XV_DATE,   /* t: days since 1970-01-01 */
    XV_DT,     /* t: date and time, ms since the epoch, UTC */
    XV_DUR_DT, /* t: days-and-time duration in ms */
    XV_DUR_YM, /* t: years-and-months duration in months */
    XV_RANGE
} xv_kind;

typedef struct xv xv;
typedef struct xrange xrange;

struct xv {
    xv_kind k;
    union {
        int b;
        double n;
        int64_t t;
        struct {
            const char *p;
            size_t len;
        } s;
        struct {
            xv *items;
            size_t n;
        } l;
        struct {
            const char **keys; /* NUL-terminated */
            xv *vals;
            size_t n;
        } c;
        const cJSON *j;
        xrange *r;
    } u;
};

/* A FEEL range: [1..10], (1..10], ]1..10[ ... */
struct xrange {
    xv lo, hi;
    int lo_closed, hi_closed;
};

typedef enum ex_kind {
    N_LIT,
    N_VAR,      /* name */
    N_PATH,     /* kids[0].name */
    N_INDEX,    /* kids[0][kids[1]]: FEEL index or filter; flags EXF_JUEL: 0-based or key */
    N_NEG,      /* -kids[0] */
    N_NOT,      /* not(kids[0]) / !kids[0] */
    N_EMPTY,    /* JUEL empty kids[0] */
    N_ARITH,    /* kids[0] ops[0] kids[1] ops[1] ... evaluated left to right */
    N_AND,      /* n kids */
    N_OR,       /* n kids */
    N_CMP,      /* kids[0] op kids[1] */
    N_IF,       /* if kids[0] then kids[1] else kids[2]; also JUEL ?: */
    N_LIST,     /* [kids...] */
    N_CTX,      /* {keys[i]: kids[i]} */
    N_RANGE,    /* kids[0]..kids[1], op: bit 0 low end closed, bit 1 high end closed */
    N_IN,       /* kids[0] in kids[1] */
    N_BETWEEN,  /* kids[0] between kids[1] and kids[2] */
    N_CALL,     /* builtin fn with n kids as arguments */
    N_TEMPLATE, /* string concatenation of kids (JUEL "Hello ${name}") */
    N_FOR,      /* for name in kids[0] return kids[1] */
    N_SOME,     /* some name in kids[0] satisfies kids[1] */
    N_EVERY     /* every name in kids[0] satisfies kids[1] */
} ex_kind;

typedef enum ex_op {
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_MOD,
    OP_POW,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE
} ex_op;

/* Node flags. */
#define EXF_JUEL 1u /* JUEL semantics: null is false in ! && ||, 0-based [], "5" == 5 coerces */

typedef struct ex_node ex_node;
struct ex_node {
    uint8_t kind;
    uint8_t op;
    uint8_t flags;
    uint8_t depth; /* height of the subtree, bounded by EX_MAX_DEPTH */
    uint32_t off;  /* byte offset in the source (columns are counted only for messages) */
    uint32_t n;
    const struct ex_builtin *fn; /* N_CALL: the builtin */
    ex_node **kids;
    uint8_t *ops;        /* N_ARITH: n - 1 operators */
    const char *name;    /* N_VAR, N_PATH, N_FOR... */
    const char **keys;   /* N_CTX */
    xv lit;              /* N_LIT */
};

struct ex_expr {
    const bpmn_allocator *a;
    bm_arena ar; /* every node and literal of the tree */
    ex_node *root;
    int literal;
    unsigned max_depth; /* nesting accepted by the parser: EX_MAX_DEPTH or the engine's limit */
};

/* Local names: for/some/every variables, filter items, earlier entries of a context. A scope
 * either binds one name or exposes the entries of a context value (name == NULL). */
typedef struct ex_scope ex_scope;
struct ex_scope {
    const char *name;
    xv val;
    const ex_scope *up;
};

/* One evaluation. The arena holds every intermediate value and is freed when it ends. */
typedef struct ex_state {
    const ex_env *env;
    bm_arena ar;
    long steps;
    long max_steps; /* the step limit of this evaluation */
    int rc; /* BPMN_EINVAL or BPMN_ENOMEM once an error was recorded */
    char msg[256];
    const ex_scope *scope;
} ex_state;

/* --- state.c --- */
/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 when it is not valid. */
size_t ex_utf8_seq(const unsigned char *p, size_t n);
/* Makes a message valid UTF-8: a character cut off at the end (by truncation) is dropped, any
 * other invalid byte (quoted from a variable) becomes '?'. Messages may end up in JSON. */
void ex_utf8_sanitize(char *s);

/* Records an error (the first one wins); returns -1 so callers can `return xs_fail(...)`. */
int xs_fail(ex_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int xs_nomem(ex_state *st);
/* Charges n steps; -1 when the step limit is passed. */
int xs_charge(ex_state *st, long n);
/* The step limit of this evaluation. */
long xs_max_steps(const ex_state *st);
void *xs_alloc(ex_state *st, size_t size);
/* Rounds to 15 significant digits so that 0.1 + 0.2 = 0.3 as decimal arithmetic would give;
 * -1 for NaN and infinities, which never leave the evaluator. */
int xs_num(ex_state *st, double d, xv *out);

/* --- value.c --- */
/* Normalises a cJSON value into v (scalars copied, arrays and objects borrowed). */
int xs_from_json(ex_state *st, const cJSON *j, xv *v);
/* Length and element access for anything list-shaped (XV_LIST, XV_JSON arrays). */
int xv_is_list(const xv *v);
size_t xv_list_len(const xv *v);
int xs_list_get(ex_state *st, const xv *v, size_t i, xv *out);
int xv_is_ctx(const xv *v);
/* Context member; *found = 0 (and out null) when missing. */
int xs_ctx_get(ex_state *st, const xv *v, const char *key, xv *out, int *found);
/* Three-way comparison for ordering (<, <=, ...); -1 with an error when not comparable. */
int xs_compare(ex_state *st, const xv *a, const xv *b, int *cmp);
/* Equality: *eq 0/1; errors for values of different types (null equals only null). */
int xs_equal(ex_state *st, const xv *a, const xv *b, int *eq);
/* Equality where values of different types are simply unequal (list contains, x in [...]). */
int xs_equal_loose(ex_state *st, const xv *a, const xv *b, int *eq);
int xs_arith(ex_state *st, ex_op op, const xv *a, const xv *b, xv *out);
const char *xv_type_name(const xv *v);
/* A string value made from len bytes copied into the evaluation arena. */
int xs_str(ex_state *st, const char *p, size_t len, xv *out);
/* The text string(x) gives: numbers without a trailing ".0", temporals in ISO 8601. */
int xs_to_text(ex_state *st, const xv *v, xv *out);
/* The value as an XV_LIST: lists are copied shallowly from cJSON, a range of whole numbers is
 * spelled out, anything else becomes a list of one (as FEEL does); costs a step per element. */
int xs_listify(ex_state *st, const xv *v, xv *out);
cJSON *xs_to_json(ex_state *st, const xv *v);

/* --- eval.c --- */
int xs_eval(ex_state *st, const ex_node *nd, xv *out);
/* Evaluates a variable or a path on one, giving *found = 0 instead of an error when the
 * variable does not exist or a context lacks the key (is defined, JUEL empty). */
int xs_eval_opt(ex_state *st, const ex_node *nd, xv *out, int *found);

/* --- dates.c --- */
#define XT_MS_PER_DAY 86400000LL
int xt_parse_date(const char *s, size_t n, int64_t *days);
/* Date and time with optional seconds, fraction and offset ("Z", "+02:00"); a bare date is
 * midnight UTC. */
int xt_parse_date_time(const char *s, size_t n, int64_t *ms);
/* "P1Y2M", "-PT1H30M", "P3DT4.5S", "P2W"; fills k (XV_DUR_DT or XV_DUR_YM) and t. Mixing years
 * or months with days or time is refused. */
int xt_parse_duration(const char *s, size_t n, xv *out);
/* Parses a literal @"..." / date and time / ... text into the temporal it denotes. */
int xt_parse_any(const char *s, size_t n, xv *out);
/* ISO 8601 text of a temporal value into buf (at least 48 bytes); returns the length. */
size_t xt_format(const xv *v, char *buf);
void xt_civil(int64_t days, int64_t *y, int *m, int *d);
int64_t xt_days(int64_t y, int m, int d);
int xt_valid_days(int64_t days);
int xt_valid_ms(int64_t ms);
/* date and time + months, the day clamped to the end of the month (Jan 31 + P1M = Feb 28). */
int xt_add_months_ms(int64_t ms, int64_t months, int64_t *out);
int xt_add_months_days(int64_t days, int64_t months, int64_t *out);
/* Temporal arithmetic and properties; 1 when a, b were temporal operands (result or error),
 * 0 when the operation is not temporal at all. */
int xt_arith(ex_state *st, ex_op op, const xv *a, const xv *b, xv *out, int *handled);
int xt_property(ex_state *st, const xv *v, const char *name, xv *out, int *found);

/* --- funcs.c --- */
typedef int (*ex_builtin_fn)(ex_state *st, const ex_node *call, xv *args, size_t n, xv *out);
typedef struct ex_builtin {
    const char *name;
    int min, max; /* max -1: any number */
    unsigned flags;
    ex_builtin_fn fn;
} ex_builtin;
#define EXB_TIME 1u    /* depends on the clock: the expression is not a literal */
/* is defined(x): a special form the evaluator computes itself (fn is NULL): it asks whether its
 * argument exists instead of for its value. */
#define EXB_DEFINED 2u
/* The i-th builtin; NULL past the end. */
const ex_builtin *ex_builtin_get(int i);

#define EX_BUILTIN(name) int name(ex_state *st, const ex_node *call, xv *a, size_t n, xv *out)
/* --- args.c --- */
/* Helpers of the builtins: the function's name, a type error naming the argument, a type
 * check (1 when the argument is null: the function then gives null), whole numbers, and a
 * 1-based slice (negative start counts from the end) of count items into [from, from + take). */
const char *xf_name(const ex_node *call);
int xf_bad_arg(ex_state *st, const ex_node *call, size_t i, const char *want, const xv *got);
int xf_need(ex_state *st, const ex_node *call, xv *a, size_t i, xv_kind k, const char *want);
int xf_whole_arg(ex_state *st, const ex_node *call, xv *a, size_t i, double *v);
int xf_slice(ex_state *st, const ex_node *call, xv *a, size_t n, size_t count, size_t *from,
             size_t *take);
/* Inside a builtin: returns null for a null argument, -1 for one of the wrong type. */
#define NEED(i, kind, want)                                  \
    do {                                                     \
        int rc_ = xf_need(st, call, a, (i), (kind), (want)); \
        if (rc_)                                             \
            return rc_ < 0 ? -1 : (out->k = XV_NULL, 0);     \
    } while (0)

static inline void xv_set_bool(xv *out, int b)
{
    out->k = XV_BOOL;
    out->u.b = b != 0;
}

static inline void xv_set_num(xv *out, double d)
{
    out->k = XV_NUM;
    out->u.n = d;
}

/* funcs_list.c, funcs_time.c */
EX_BUILTIN(xf_min);
EX_BUILTIN(xf_max);
EX_BUILTIN(xf_sum);
EX_BUILTIN(xf_product);
EX_BUILTIN(xf_mean);
EX_BUILTIN(xf_count);
EX_BUILTIN(xf_all);
EX_BUILTIN(xf_any);
EX_BUILTIN(xf_list_contains);
EX_BUILTIN(xf_append);
EX_BUILTIN(xf_concatenate);
EX_BUILTIN(xf_reverse);
EX_BUILTIN(xf_index_of);
EX_BUILTIN(xf_distinct_values);
EX_BUILTIN(xf_flatten);
EX_BUILTIN(xf_sublist);
EX_BUILTIN(xf_is_empty);
EX_BUILTIN(xf_date);
EX_BUILTIN(xf_date_and_time);
EX_BUILTIN(xf_duration);
EX_BUILTIN(xf_years_and_months_duration);
EX_BUILTIN(xf_now);
EX_BUILTIN(xf_today);
EX_BUILTIN(xf_day_of_week);
EX_BUILTIN(xf_month_of_year);

/* --- lex.c: shared by the parsers --- */
typedef struct ex_parser ex_parser;

typedef enum tok {
    T_EOF,
    T_NUM,
    T_STR,
    T_TEMPORAL, /* @"..." */
    T_NAME,
    T_LP,
    T_RP,
    T_LB,
    T_RB,
    T_LC,
    T_RC,
    T_COMMA,
    T_COLON,
    T_DOT,
    T_DOTDOT,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_POW,
    T_SLASH,
    T_PERCENT,
    T_EQ,   /* = */
    T_EQEQ, /* == */
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_BANG,
    T_AND, /* && */
    T_OR,  /* || */
    T_QUEST,
    T_BAD
} tok;


struct ex_parser {
    ex_expr *x;
    const char *src; /* the whole source: columns count from its start */
    size_t end;      /* parsing stops here */
    size_t pos;      /* next byte to lex */
    int juel;
    int depth;
    int no_index; /* parsing the high end of a range: "[1..10[" ends it, it does not index */
    int failed;
    char *err;
    size_t errcap;
    /* the current token */
    tok t;
    size_t ts, te;
    double num;
    char *str; /* T_STR/T_TEMPORAL: decoded, in the tree's arena */
    size_t slen;
};

/* A growing array of nodes in the arena (the abandoned smaller copies stay until ex_free:
 * at most as much again). keys and ops run alongside. */
typedef struct xp_vec {
    ex_node **v;
    const char **keys;
    uint8_t *ops;
    uint32_t n, cap;
} xp_vec;

void xp_init(ex_parser *p, ex_expr *x, const char *src, size_t end, char *err, size_t errcap);
unsigned xp_column(const ex_parser *p, size_t off);
/* Record the first error ("syntax error: ... at column N") and return NULL. */
void *xp_fail_at(ex_parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void *xp_nomem(ex_parser *p);
void *xp_unexpected(ex_parser *p);
const char *xp_tok_text(const ex_parser *p, char *buf, size_t cap);
int xp_is_name_char(int c, int juel);
void xp_next(ex_parser *p);
int xp_is_word(const ex_parser *p, const char *kw);
int xp_accept(ex_parser *p, tok t);
int xp_accept_word(ex_parser *p, const char *kw);
int xp_expect(ex_parser *p, tok t, const char *what);
int xp_expect_word(ex_parser *p, const char *kw);
/* Parser recursion, separate from the tree's height: "((((x))))" nests without nodes. */
int xp_enter(ex_parser *p);
char *xp_name_text(ex_parser *p);
ex_node *xp_mk(ex_parser *p, ex_kind kind, size_t off, uint32_t n);
/* Called once all kids are set: computes the height and enforces the depth limit. */
ex_node *xp_done(ex_parser *p, ex_node *nd, size_t off);
ex_node *xp_mk1(ex_parser *p, ex_kind kind, size_t off, ex_node *a);
ex_node *xp_mk2(ex_parser *p, ex_kind kind, int op, size_t off, ex_node *a, ex_node *b);
ex_node *xp_lit(ex_parser *p, size_t off, xv v);
int xp_push(ex_parser *p, xp_vec *nv, ex_node *nd, const char *key, int op);
ex_node *xp_from_vec(ex_parser *p, ex_kind kind, size_t off, xp_vec *nv);
/* A flat left-to-right chain of one precedence level ("1+1+...+1" is one node). */
ex_node *xp_chain(ex_parser *p, ex_node *(*operand)(ex_parser *), int (*op_of)(ex_parser *),
                  ex_kind kind);

/* --- feel.c, juel.c --- */
/* Parses the FEEL in src[start..len) (columns in messages count from src). BPMN_OK with *out,
 * or BPMN_EINVAL/BPMN_ENOMEM with the message in err. */
int ex_parse_feel(ex_expr *x, const char *src, size_t len, size_t start, ex_node **out,
                  char *err, size_t errcap);
/* Parses a JUEL value: text with ${...} / #{...} parts. A single ${...} keeps its type when no
 * text surrounds it (whitespace does not count unless keep_outer_space). */
int ex_parse_template(ex_expr *x, const char *src, size_t len, int keep_outer_space,
                      ex_node **out, char *err, size_t errcap);

#endif
