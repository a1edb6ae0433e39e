/*
 * expr.h - expressions: a FEEL subset ("=amount > 100") and the JUEL form ("${amount > 100}"),
 * compiled once at deploy into an immutable tree and evaluated against an instance's variables.
 * Evaluation has no I/O, a bounded nesting depth and a bounded number of steps. A value taken from
 * a variable is never parsed again as an expression.
 */
#ifndef BPMN_EXPR_H
#define BPMN_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "bpmnrt.h"

typedef struct ex_expr ex_expr;

typedef enum ex_mode {
    /* Attribute values (assignee="anna", calledElement="delivery"): a leading '=' makes FEEL,
     * "${...}"/"#{...}" makes JUEL (text around it is concatenated as a string), anything else is
     * the literal string itself. */
    EX_MODE_VALUE = 0,
    /* Conditions and scripts: as above, but text without '=' or "${" is a FEEL expression. */
    EX_MODE_EXPRESSION = 1
} ex_mode;

/* The defaults; an engine passes its own (bpmn_limits.expr_depth, expr_steps). */
#define EX_MAX_DEPTH 64       /* nesting depth accepted by the compiler (at most 255) */
#define EX_MAX_STEPS 100000   /* evaluation steps before the evaluation is refused */

/* Compiles src. On error returns BPMN_EINVAL (syntax; err says what and at which column) or
 * BPMN_ENOMEM; *out is then NULL. The compiled expression owns its memory (allocated through a,
 * NULL for malloc) and is immutable: it may be evaluated from several threads at once. */
int ex_compile(const char *src, ex_mode mode, const bpmn_allocator *a, ex_expr **out, char *err,
               size_t errcap);
/* The same with a nesting depth other than EX_MAX_DEPTH (0: EX_MAX_DEPTH; capped at 255). */
int ex_compile_depth(const char *src, ex_mode mode, const bpmn_allocator *a, unsigned max_depth,
                     ex_expr **out, char *err, size_t errcap);
void ex_free(ex_expr *e); /* NULL is a no-op */

/* Whether the expression is a constant literal (no variables, no functions of time). */
int ex_is_literal(const ex_expr *e);

/* Variable lookup: returns the JSON value of a top-level variable name, or NULL when it does not
 * exist. The value is borrowed (not freed by the evaluator). */
typedef struct ex_env {
    const cJSON *(*lookup)(void *ud, const char *name);
    void *ud;
    int64_t now_ms; /* the engine clock, ms since the Unix epoch, UTC: for now()/today() */
} ex_env;

/* Evaluates e. On BPMN_OK *result is a new cJSON value the caller frees with cJSON_Delete.
 * Dates and date-times come back as ISO 8601 strings in UTC ("2026-01-01T09:00:00Z",
 * "2026-01-01"), durations as ISO 8601 durations ("PT1H", "P1M"). A runtime error (unknown
 * variable, wrong type, division by zero, step limit) returns BPMN_EINVAL with the reason in err. */
int ex_eval(const ex_expr *e, const ex_env *env, cJSON **result, char *err, size_t errcap);

/* Evaluates e as a condition: BPMN_OK with *truth 0/1 when the result is a boolean; a
 * non-boolean result is BPMN_EINVAL ("condition did not evaluate to a boolean"). */
int ex_eval_bool(const ex_expr *e, const ex_env *env, int *truth, char *err, size_t errcap);

/* The same two with a step limit other than EX_MAX_STEPS (0: EX_MAX_STEPS). */
int ex_eval_max(const ex_expr *e, const ex_env *env, unsigned long max_steps, cJSON **result,
                char *err, size_t errcap);
int ex_eval_bool_max(const ex_expr *e, const ex_env *env, unsigned long max_steps, int *truth,
                     char *err, size_t errcap);

/* Dates as the engine needs them (due dates, form fields), read as FEEL reads them: an ISO 8601
 * date or date-time ("2026-03-01", "2026-03-01T09:00:00+02:00"; a bare date is midnight UTC) in
 * ms since the epoch, UTC. 0, or -1 when s is not one. */
int ex_parse_date_time(const char *s, size_t n, int64_t *ms);
/* s as a date-time, or as a duration ("P2D", "-PT1H", "P1M" on the calendar) added to base.
 * 0, or -1 when s is neither or the result is out of range. */
int ex_time_after(const char *s, int64_t base, int64_t *out);

#endif
