/*
 * engine.h - internals shared by the engine's files: the handle, deployed definitions with their
 * compiled expressions, the in-memory form of an instance and the record codec.
 */
#ifndef BPMN_ENGINE_H
#define BPMN_ENGINE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "bpmn/compile.h"
#include "bpmn/iso8601.h"
#include "expr/expr.h"
#include "stores/store.h"

#define EN_NONE UINT32_MAX

/* One variable mapping: target name and the expression giving its value. */
typedef struct en_mapping {
    const char *target;
    ex_expr *source;
} en_mapping;

/* The input and output mappings of an activity (zeebe:ioMapping, camunda:inputOutput). */
typedef struct en_io {
    en_mapping *in, *out;
    uint32_t nin, nout;
} en_io;

/* A form field (camunda:formData/formField): what a task completion or an instance start must
 * carry. */
typedef enum en_ftype { EN_F_STRING, EN_F_LONG, EN_F_BOOLEAN, EN_F_DATE, EN_F_ENUM, EN_F_OTHER } en_ftype;

typedef struct en_field {
    const char *id, *label, *dflt;
    en_ftype type;
    int required, readonly;
    const char **values; /* enum: allowed value ids */
    uint32_t nvalues;
    int has_min, has_max;
    double min, max;     /* min/max (numbers) or minlength/maxlength (strings) */
} en_field;

typedef struct en_form {
    en_field *fields;
    uint32_t n;
    const char *key;     /* camunda:formKey, zeebe:formDefinition formKey/formId: passed through */
} en_form;

/* Everything a user task evaluates when it is created. */
typedef struct en_utask {
    ex_expr *assignee, *cand_users, *cand_groups; /* vendor attributes */
    ex_expr *performer, *potential;               /* BPMN humanPerformer, potentialOwner */
    ex_expr *due, *followup, *priority;
} en_utask;

/* Loop characteristics compiled: multi-instance and standard loop expressions. */
typedef struct en_loopx {
    ex_expr *cardinality, *collection, *completion, *output_element, *condition;
    const char *element, *output; /* variable names */
    uint32_t maximum;             /* standard loop: 0 unbounded */
    int one_based;                /* zeebe counts loopCounter from 1, Camunda from 0 */
} en_loopx;

/* A timer definition compiled at deploy: parsed once when it is a literal, else an expression
 * evaluated when the timer is armed and parsed then. */
typedef struct en_timer {
    int literal;
    bm_timer_slot slot;
    bm_timer_spec spec;
    ex_expr *expr;
} en_timer;

/* A deployed process version: its graph and everything compiled from it once. */
typedef struct en_def {
    char *process;
    uint32_t version;
    bg_graph *g;
    ex_expr **flow_cond;   /* per flow: the condition, NULL when unconditional */
    uint8_t *flow_bad;     /* per flow: 1 when its condition is prose that cannot be evaluated */
    ex_expr **node_expr;   /* per node: script expression; a call activity's business key; a
                              job type given as an expression */
    en_utask **utask;      /* per node: user tasks */
    en_form **form;        /* per node: user tasks and start events with a form */
    uint32_t *job_retries; /* per node: initial job retries */
    const char **job_type; /* per node */
    const char **result_var; /* per node (script tasks) */
    uint8_t **reach;       /* per inclusive gateway node: nodes that can still reach it */
    en_io *io;             /* per node: variable mappings of sub-processes */
    struct en_loopx **loop; /* per node: compiled loop characteristics */
    en_timer **timer;      /* per node: timer events */
    ex_expr **corr_key;    /* per node: message correlation key expression */
    ex_expr **skip;        /* per node: flowable:/activiti:skipExpression */
    ex_expr **cond;        /* per node: conditional event condition */
} en_def;

typedef enum en_tstate { EN_T_READY = 0, EN_T_WAIT = 1, EN_T_JOIN = 2 } en_tstate;

enum { EN_TF_INNER = 1 }; /* token flags: an iteration of a multi-instance or loop activity */
/* Scope kinds: a sub-process, a multi-instance body or one of its iterations, or the local
 * variables of a task with input/output mappings. */
enum { EN_SC_SUB = 0, EN_SC_BODY = 1, EN_SC_ITER = 2, EN_SC_LOCAL = 3 };

typedef struct en_token {
    uint32_t id;
    uint8_t flags;
    uint32_t node;
    uint32_t scope;   /* index into inst.scopes */
    uint8_t state;    /* en_tstate */
    uint32_t flow;    /* JOIN: the incoming flow it arrived by */
    uint64_t ref;     /* WAIT: the task or job id; 0 none */
    uint32_t comp_of; /* a compensation handler's token: the token waiting for it; 0 none */
    uint32_t local;   /* its task's local-variable scope (EN_SC_LOCAL), or EN_NONE */
    int64_t since;    /* when it activated its node (ms); 0: unknown (a format-5 record) */
} en_token;

/* The scope an expression of the token's element sees first: its local variables, if any. */
static inline uint32_t en_eval_scope(const en_token *t)
{
    return t->local != EN_NONE && t->local ? t->local : t->scope;
}

/* to - from (ms), saturated: times come from stored records, and a damaged one must not make
 * the subtraction overflow. */
static inline int64_t en_span(int64_t from, int64_t to)
{
    if (from < 0 && to > INT64_MAX + from)
        return INT64_MAX;
    if (from > 0 && to < INT64_MIN + from)
        return INT64_MIN;
    return to - from;
}

/* A completed activity that has a compensation handler, in completion order. */
typedef struct en_comp {
    uint32_t node;    /* the activity */
    int32_t gscope;   /* the graph scope it ran in */
} en_comp;

typedef struct en_scope {
    uint32_t node;    /* the sub-process node; EN_NONE for the process */
    uint32_t parent;  /* enclosing scope index; EN_NONE for the process */
    uint32_t token;   /* id of the activity token waiting in the parent scope */
    uint8_t alive;
    uint8_t kind;     /* EN_SC_SUB, or a multi-instance body or one of its iterations */
    cJSON *vars;      /* an object, or NULL while empty */
} en_scope;

typedef enum en_istate { EN_ACTIVE = 0, EN_COMPLETED, EN_TERMINATED, EN_INCIDENT } en_istate;

typedef struct en_inst {
    uint64_t id;
    char *process;
    uint32_t version;
    uint8_t state;
    char *key;
    uint64_t parent;
    uint32_t parent_token; /* the parent's token waiting at the call activity */
    uint32_t depth;        /* call depth: 0 for an instance started directly */
    uint8_t suspended;
    int64_t started, ended;
    uint32_t next_token;
    en_token *tokens;
    uint32_t ntokens, captokens;
    en_scope *scopes;
    uint32_t nscopes, capscopes;
    char *incident_element, *incident_msg;
    en_comp *comp;
    uint32_t ncomp, capcomp;
    en_def *def;
    int vars_changed; /* set when variables change: conditional events look again */
    uint32_t ready_lo; /* en_run: no token below this index is ready (see en_tok_ready) */
} en_inst;

/* History event types. Their numbers are stored: new types go at the end. */
#define EN_EVENT_MAP(X)                      \
    X(INSTANCE_STARTED, "instance_started")  \
    X(ELEMENT_ACTIVATED, "element_activated") \
    X(ELEMENT_COMPLETED, "element_completed") \
    X(ELEMENT_TERMINATED, "element_terminated") \
    X(TASK_CREATED, "task_created")          \
    X(TASK_CLAIMED, "task_claimed")          \
    X(TASK_COMPLETED, "task_completed")      \
    X(TIMER_SCHEDULED, "timer_scheduled")    \
    X(TIMER_FIRED, "timer_fired")            \
    X(MESSAGE_CORRELATED, "message_correlated") \
    X(VARIABLES_UPDATED, "variables_updated") \
    X(INCIDENT_RAISED, "incident_raised")    \
    X(INSTANCE_COMPLETED, "instance_completed") \
    X(INSTANCE_TERMINATED, "instance_terminated") \
    X(JOB_CREATED, "job_created")            \
    X(JOB_COMPLETED, "job_completed")        \
    X(JOB_FAILED, "job_failed")              \
    X(ERROR_THROWN, "error_thrown")          \
    X(TASK_UNCLAIMED, "task_unclaimed")      \
    X(SIGNAL_RECEIVED, "signal_received")    \
    X(ESCALATION_THROWN, "escalation_thrown")  \
    X(INCIDENT_RESOLVED, "incident_resolved")  \
    X(INSTANCE_MIGRATED, "instance_migrated")  \
    X(INSTANCE_SUSPENDED, "instance_suspended") \
    X(INSTANCE_RESUMED, "instance_resumed")

typedef enum en_event {
#define EN_EVENT_ENUM_(e, s) EN_EV_##e,
    EN_EVENT_MAP(EN_EVENT_ENUM_)
#undef EN_EVENT_ENUM_
    EN_EV_COUNT
} en_event;

const char *en_event_name(unsigned ev);

/* A growable byte buffer (history blocks, records). */
typedef struct en_buf {
    const bpmn_allocator *a;
    uint8_t *p;
    size_t n, cap;
    int oom;
} en_buf;

void en_buf_u8(en_buf *b, uint8_t v);
void en_buf_u32(en_buf *b, uint32_t v);
void en_buf_u64(en_buf *b, uint64_t v);
void en_buf_str(en_buf *b, const char *s); /* NULL and "" both read back as NULL */
void en_buf_free(en_buf *b);

/* Reading records back; rd.bad is set on a truncated or malformed record. */
typedef struct en_rd {
    const uint8_t *p, *end;
    int bad;
} en_rd;

uint8_t en_rd_u8(en_rd *r);
uint32_t en_rd_u32(en_rd *r);
uint64_t en_rd_u64(en_rd *r);
/* Returns a pointer into the record (not NUL-terminated) and its length; NULL when empty. */
const char *en_rd_str(en_rd *r, uint32_t *len);
/* Same, copied and NUL-terminated through the allocator. When memory runs out, rd.bad becomes
 * EN_RD_OOM: the record is fine, the call fails with BPMN_ENOMEM, not as damaged. */
char *en_rd_strdup(en_rd *r, const bpmn_allocator *a);
#define EN_RD_OOM 2
/* The status for a record that could not be read: out of memory, or damaged. */
#define EN_RD_STATUS(r) ((r).bad == EN_RD_OOM ? BPMN_ENOMEM : BPMN_EIO)

typedef struct en_handler {
    char *type;
    bpmn_job_handler fn;
    void *ud;
} en_handler;

struct bpmn_job_result {
    cJSON *vars;
    char *code, *message;
};

/* The handler registered for a job type, or NULL. */
const en_handler *en_handler_for(const bpmn_engine *e, const char *type);

struct bpmn_engine {
    const bpmn_allocator *a;
    bpmn_message_handler on_message;
    void *on_message_ud;
    unsigned long long (*next_id)(void *ud);
    void *ids_ud;
    int history_level;
    en_handler *handlers;
    size_t nhandlers, caphandlers;
    /* Instances being run in memory while a child they call starts (call.c): a child that ends
     * at once continues its parent here rather than through the store. */
    en_inst *live[BPMN_LIMIT_CALL_DEPTH_MAX + 8];
    int nlive;
    bpmn_limits lim; /* the options' limits with every 0 replaced by its default */
    st_store *st;
    char err[4096];
    long long (*clock)(void *ud);
    void *clock_ud;
    long long now_override;
    st_txn *batch;
    en_def **defs;
    size_t ndefs, capdefs;
    /* the operation in progress */
    st_txn *txn;
    en_buf hist;          /* history events of the operation, flushed per instance */
    uint32_t hist_count;
    uint64_t hist_instance;
    int hist_rc;          /* the error of a flush in the middle of the operation, reported at its end */
    /* A run that passes limits.run_steps is rolled back (txn.c): the operation runs again and
     * the run_calls-th en_run of it, runaway_call, stops before its first step. */
    unsigned run_calls;    /* en_run calls so far in this attempt of the operation */
    unsigned runaway;      /* the en_run call that passed the limit in this attempt, or 0 */
    unsigned runaway_call; /* during the repeat: the call to stop at once, else 0 */
    unsigned run_current;  /* the en_run call in progress (innermost), 0 outside en_run */
    unsigned long run_taken; /* steps taken by that call so far */
    char runaway_msg[240]; /* why the runaway was stopped, for the repeat's incident */
    const char *start_user; /* who starts the instances of the operation in progress, or NULL */
};

/* Internal status: the operation's work is thrown away and run again (a runaway run). */
#define EN_RUNAWAY (-1000)
/* Inside en_run and outside a batch: marks the run in progress as a runaway stopped for
 * `why` and returns 1 (the caller stops and fails with EN_RUNAWAY); else 0, and the caller
 * raises its incident where it is. A limit other than run_steps (min_steps > 0) makes a
 * runaway only of a run that took more than min_steps steps: a split that is simply too wide
 * keeps its incident at the split. */
int en_runaway(bpmn_engine *e, const char *why, unsigned long min_steps);
#define EN_RUNAWAY_STEPS 10000ul

int en_fail(bpmn_engine *e, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Returns rc, giving a failure without a message the status's own (public calls end with it). */
int en_status(bpmn_engine *e, int rc);
int64_t en_now(bpmn_engine *e);

/* Ids and counters kept in ST_META. */
int en_next_id(bpmn_engine *e, const char *counter, uint64_t *out);

/* Definitions. */
int en_def_get(bpmn_engine *e, const char *process, uint32_t version, en_def **out);
int en_def_latest(bpmn_engine *e, const char *process, uint32_t *version);
void en_def_free(const bpmn_allocator *a, en_def *d);
void en_def_key(en_buf *b, const char *process, uint32_t version);
void en_latest_key(en_buf *b, const char *process);
/* A definition built from a graph compiled outside any transaction (it takes g over, also on
 * failure), and its adoption into the cache as a stored version inside the deploying one: so
 * that a deployment parses and compiles before the write lock is taken. */
int en_def_prepare(bpmn_engine *e, bg_graph *g, en_def **out);
int en_def_adopt(bpmn_engine *e, en_def *d, uint32_t version);
/* Drops every cached version of a process (after a deployment was rolled back). */
void en_def_forget(bpmn_engine *e, const char *process);
/* Compiles every expression of a graph (conditions, scripts, assignments), reporting syntax
 * errors as diagnostics naming the element and line. The graph is not kept. */
int en_check_expressions(bg_graph *g, bm_diags *d, unsigned max_depth);
/* bm_pipeline with the expressions checked: what deploy and validation run. */
int en_pipeline(const char *name, const void *data, size_t len, const bpmn_load_options *opts,
                bm_diags *d, bg_graph ***graphs, size_t *ngraphs);

/* Instances. */
int en_inst_load(bpmn_engine *e, uint64_t id, en_inst *out);
int en_inst_save(bpmn_engine *e, en_inst *in);
void en_inst_free(bpmn_engine *e, en_inst *in);
const char *en_state_name(unsigned s);
int en_parse_id(const char *s, uint64_t *out);

/* Token and scope primitives (tokens.c, gateways.c, run.c), shared with loop.c. */
en_token *en_tok_new(bpmn_engine *e, en_inst *in, uint32_t node, uint32_t scope, uint32_t flow);
void en_tok_remove(en_inst *in, uint32_t id);
int en_scope_new(bpmn_engine *e, en_inst *in, uint32_t node, uint32_t parent, uint32_t token,
                 uint32_t *out);
int en_scope_done(bpmn_engine *e, en_inst *in, uint32_t scope);
int en_terminate_scope(bpmn_engine *e, en_inst *in, uint32_t scope);
int en_set_var(en_inst *in, uint32_t scope, const char *name, cJSON *value);
int en_merge_vars(en_inst *in, uint32_t scope, const cJSON *vars);
int en_leave(bpmn_engine *e, en_inst *in, uint32_t token_id, int gateway_all);
/* A task's input mappings into a local scope on entry; its outputs out of it on completion. */
int en_task_io_enter(bpmn_engine *e, en_inst *in, uint32_t token_id);
int en_task_io_leave(bpmn_engine *e, en_inst *in, uint32_t token_id);
/* Multi-instance and standard loops (loop.c). */
int en_loop_enter(bpmn_engine *e, en_inst *in, uint32_t token_id);
int en_loop_iteration_done(bpmn_engine *e, en_inst *in, uint32_t token_id);

/* Events (events.c): arming a waiting token's timers and subscriptions, removing them. */
int en_arm_events(bpmn_engine *e, en_inst *in, uint32_t token_id);
int en_arm_boundaries(bpmn_engine *e, en_inst *in, uint32_t token_id);
int en_disarm(bpmn_engine *e, en_inst *in, uint32_t token_id);
/* Arms the timer, message and signal starts of the event sub-processes of a runtime scope. */
int en_arm_event_subs(bpmn_engine *e, en_inst *in, uint32_t scope);
/* Event sub-processes and escalations (eventsub.c). */
uint32_t en_scope_of_owner(const en_inst *in, uint32_t owner);
int en_start_event_sub(bpmn_engine *e, en_inst *in, uint32_t scope, uint32_t start_node,
                       const cJSON *vars, en_event ev);
int en_event_sub_catch(bpmn_engine *e, en_inst *in, uint32_t scope, bg_trigger trigger,
                       const char *code, int *caught);
/* Messages and signals thrown by intermediate throw and end events (triggers.c). */
int en_throw_signal(bpmn_engine *e, en_inst *in, const char *name);
int en_throw_message(bpmn_engine *e, en_inst *in, uint32_t token_id, uint32_t node);
/* Event delivery (triggers.c), shared with the operations of ops/triggers.c. The trigger of
 * event node `node` reached the token: it moves on (vars, may be NULL, merged first);
 * *reschedule_after is 1 when a timer cycle must be armed again. */
int en_deliver(bpmn_engine *e, en_inst *in, uint32_t token_id, uint32_t node, const cJSON *vars,
               en_event ev, int64_t *reschedule_after);
int en_start_by_event(bpmn_engine *e, const char *process, const cJSON *vars, const char *key,
                      uint32_t start_node, en_event ev, uint64_t *id);
/* A message or signal on its way: name, correlation key, variables; what it reached. */
typedef struct en_delivery {
    const char *name, *key;
    cJSON *vars;
    int signal;
    int delivered;
    uint64_t instance;
} en_delivery;
/* The subscription key prefix of tag ('m' message, 'g' signal, 'S'/'Z' start events) + name
 * (+ key) into b (at least 512 bytes); its length. */
size_t en_sub_prefix(uint8_t *b, char tag, const char *name, const char *key);
/* The first subscription under a prefix; BPMN_ENOTFOUND when there is none. */
int en_first_sub(bpmn_engine *e, const uint8_t *p, size_t pl, uint64_t *inst, uint32_t *token,
                 uint32_t *node);
int en_deliver_sub(bpmn_engine *e, en_delivery *j, uint64_t inst_id, uint32_t token, uint32_t node);
/* Start events waiting for this message or signal start instances (only the first: a message). */
int en_start_subscribers(bpmn_engine *e, en_delivery *j, int only_first);
/* Conditional events whose condition now holds fire (eventsub.c); *fired says if any did. */
int en_check_conditions(bpmn_engine *e, en_inst *in, int *fired);
/* Compensation (compensate.c). */
int en_comp_record(bpmn_engine *e, en_inst *in, uint32_t node);
int en_compensate(bpmn_engine *e, en_inst *in, uint32_t token_id);
int en_comp_handler_done(bpmn_engine *e, en_inst *in, uint32_t token_id);
/* Call activities (call.c). */
int en_call_enter(bpmn_engine *e, en_inst *in, uint32_t token_id);
/* A child instance reached an end: continue (or throw into) its parent, in this transaction. */
int en_child_completed(bpmn_engine *e, en_inst *child);
int en_child_error(bpmn_engine *e, en_inst *child, const char *code, const char *msg, int *handled);
/* Ends a child instance (and its descendants) because its parent's call activity was cancelled. */
int en_cancel_child(bpmn_engine *e, uint64_t child_id, uint32_t depth);
int en_token_escalate(bpmn_engine *e, en_inst *in, uint32_t token_id, const char *code,
                      int *interrupted);
/* The first due time of a timer armed at `armed`, skipping repetitions of a cycle that lie before
 * now (*fired counts them). -1 when it never fires. */
int en_timer_due(const bm_timer_spec *s, int64_t armed, int64_t now, int64_t *due, uint64_t *fired);
int en_put_timer(bpmn_engine *e, uint8_t kind, uint64_t inst, uint32_t token, uint32_t node,
                 uint64_t fired, const char *process, uint32_t version, const char *text,
                 int64_t due);
int en_cancel_token(bpmn_engine *e, en_inst *in, uint32_t token_id);
/* Deploy: replaces the start timers and message/signal start subscriptions of a process. */
int en_schedule_starts(bpmn_engine *e, en_def *d);

/* Running tokens until each waits or ends. */
int en_run(bpmn_engine *e, en_inst *in);
int en_start_instance(bpmn_engine *e, en_def *d, cJSON *vars, const char *key, en_inst *in);
/* Starts at a given start event (start_node; -1 for the none start) recording ev (timer fired,
 * message correlated, ...) for it. Takes vars. */
int en_start_at(bpmn_engine *e, en_def *d, cJSON *vars, const char *key, int32_t start_node,
                en_event ev, en_inst *in);
/* Same, as the child of a call activity (the link is set before the child runs). */
int en_start_child(bpmn_engine *e, en_def *d, cJSON *vars, const char *key, const en_inst *parent,
                   uint32_t parent_token, en_inst *in);
int en_token_resume(bpmn_engine *e, en_inst *in, uint32_t token_id, cJSON *vars);
int en_token_throw(bpmn_engine *e, en_inst *in, uint32_t token_id, const char *code,
                   const char *msg);
int en_token_incident(bpmn_engine *e, en_inst *in, uint32_t token_id, const char *msg);
/* Whether the instance may hold `more` tokens beyond those it has (limits.tokens). When not,
 * raises an incident at the token's element saying so and returns 0. */
int en_tokens_fit(bpmn_engine *e, en_inst *in, uint32_t token_id, unsigned long more);
/* The same for tokens an event brings (a non-interrupting boundary or event sub-process): when
 * they do not fit, the event does not fire and the incident names the event's element. */
int en_event_fits(bpmn_engine *e, en_inst *in, uint32_t node, unsigned long more);
/* An incident at an element where no token stops (EN_NONE: none); retry just resolves it. */
int en_node_incident(bpmn_engine *e, en_inst *in, uint32_t node, const char *msg);
en_token *en_token_find(en_inst *in, uint32_t id);
/* Marks a token ready to enter its node; en_run looks for ready tokens from the lowest index one
 * was marked at, not from the start of the array each time. */
static inline void en_tok_ready(en_inst *in, en_token *t)
{
    uint32_t i = (uint32_t)(t - in->tokens);
    t->state = EN_T_READY;
    if (i < in->ready_lo)
        in->ready_lo = i;
}

/* History of the operation. */
void en_hist(bpmn_engine *e, en_inst *in, en_event ev, uint32_t node, uint64_t task,
             const char *user, const cJSON *vars);
/* Same, with extra members for the event object (due, duration, late, ...). */
void en_hist_x(bpmn_engine *e, en_inst *in, en_event ev, uint32_t node, uint64_t task,
               const char *user, const cJSON *vars, const cJSON *extra);
int en_hist_flush(bpmn_engine *e);
/* element_completed for the token's node, with its duration since activation when known. */
void en_hist_done(bpmn_engine *e, en_inst *in, const en_token *t);

/* A stored user task. */
typedef struct en_task {
    uint64_t id, instance;
    uint32_t token, node;
    int64_t created, due, followup; /* ms; due and followup 0 when unset */
    int32_t priority;
    char *assignee, *cand_users, *cand_groups; /* comma-separated lists */
    char *process;
    uint32_t version;
} en_task;

int en_task_read(bpmn_engine *e, uint64_t id, en_task *t);
/* BPMN_OK when the actor may act on the task, else BPMN_EDENIED with the reason. */
int en_task_allowed(bpmn_engine *e, const en_task *t, const bpmn_actor *a, const char *action);
void en_iso_time(int64_t ms, char *buf, size_t cap);
/* JSON members: an id as a decimal string, a string or null, an ISO time, a comma list as an
 * array. Each returns 0 when memory ran out. */
int en_json_id(cJSON *o, const char *key, uint64_t id);
int en_json_str(cJSON *o, const char *key, const char *s);
int en_json_time(cJSON *o, const char *key, int64_t ms);
int en_json_list(cJSON *o, const char *key, const char *csv);
/* Writes the record and its work-list index entries (old: the previous state, or NULL). */
int en_task_write(bpmn_engine *e, const en_task *t, const en_task *old);
void en_task_free(bpmn_engine *e, en_task *t);
/* Creates the task of a user-task token: evaluates assignment, dates and priority. */
int en_task_create(bpmn_engine *e, en_inst *in, en_token *tok);
/* Checks submitted variables against a form; BPMN_EINVAL listing every problem. Defaults of
 * missing fields are added to vars. */
int en_form_check(bpmn_engine *e, const en_form *f, cJSON *vars, const char *what);
int en_form_parse(const bpmn_allocator *a, const bg_node *n, en_form **out);
void en_form_free(const bpmn_allocator *a, en_form *f);
/* Evaluates an expression in the scope of a token, as text: a string, or a list joined with
 * commas. */
int en_eval_text(bpmn_engine *e, en_inst *in, uint32_t scope, const ex_expr *x, char **out,
                 char *err, size_t errcap);
int en_eval_json(bpmn_engine *e, en_inst *in, uint32_t scope, const ex_expr *x, cJSON **out,
                 char *err, size_t errcap);
/* A due date from a value: an ISO 8601 date-time, or a duration counted from base. */
int en_date_value(const cJSON *v, int64_t base, int64_t *out);

/* Tasks and jobs records. */
int en_task_del(bpmn_engine *e, uint64_t id);
int en_job_del(bpmn_engine *e, uint64_t id);
/* A stored job (ST_JOBS: id -> instance, token, node, type, retries, last failure, process,
 * version, then the external-task fields: flags, lock owner, lock expiration, not-before time,
 * priority, error details). A record written before the external-task fields existed ends after
 * version and reads as unlocked, never failed, priority 0. Decoded strings are copies through the
 * allocator: en_job_free() releases them. */
enum { EN_JOB_FAILED = 1 }; /* flags: retries were set by a failure (Camunda's retries != null) */
typedef struct en_job {
    uint64_t instance;
    uint32_t token, node;
    const char *type;
    uint32_t retries;
    const char *failure; /* the last failure message, or NULL */
    const char *process;
    uint32_t version;
    uint32_t flags;      /* EN_JOB_FAILED */
    const char *worker;  /* the lock owner, or NULL */
    int64_t lock_until;  /* ms since the epoch; 0: not locked */
    int64_t not_before;  /* ms: fetchable only from then on (a failure's retry timeout); 0 */
    int32_t priority;    /* camunda:taskPriority of its element when the job was created */
    const char *details; /* the last failure's error details, or NULL */
} en_job;
/* BPMN_EIO for a damaged record, BPMN_ENOMEM when a copy fails. */
int en_job_decode(const bpmn_allocator *a, const void *v, size_t vl, en_job *j);
int en_job_read(bpmn_engine *e, uint64_t id, en_job *j);
int en_job_write(bpmn_engine *e, uint64_t id, const en_job *j);
void en_job_free(const bpmn_allocator *a, en_job *j);
/* The priority of a new job at a node: camunda:taskPriority read as an integer (an expression
 * such as ${5} reads as its digits; anything else is 0). */
int32_t en_job_priority(const en_def *d, uint32_t node);
/* Whether the job is locked by a worker at now (a lock that expired is no lock). */
/* What a fetch asks of a job record before decoding it: its type (not NUL-terminated, into the
 * record), retries, lock and retry timeout. No allocation: cheap enough to skip the jobs other
 * workers hold without copying them. */
typedef struct en_job_peek_t {
    const char *type;
    uint32_t type_len, retries;
    int locked; /* a worker is named; the lock holds while lock_until > now */
    int64_t lock_until, not_before;
} en_job_peek_t;
int en_job_peek(const void *v, size_t vl, en_job_peek_t *p);
static inline int en_job_locked(const en_job *j, int64_t now)
{
    return j->worker && j->lock_until > now;
}
/* BPMN_OK when worker may act on the job (worker NULL: no check); else BPMN_ESTATE with Camunda's
 * message: "External Task 5 cannot be <action> by worker 'w2'. It is locked by worker 'w1'." */
int en_job_check_worker(bpmn_engine *e, uint64_t id, const en_job *j, const char *worker,
                        const char *action);
/* A time as Camunda prints it: 2026-01-01T10:00:00.000+0000 (buf: at least 32 bytes). */
void en_camunda_time(int64_t ms, char *buf, size_t cap);

/* Running one operation in a write transaction (or the open batch). */
int en_write(bpmn_engine *e, int (*fn)(bpmn_engine *e, void *ud), void *ud);
/* Same, with the answer made inside the transaction: answer(e, ud) returns the JSON text
 * (en_json_out) or NULL when memory runs out, which aborts the operation. So a call that reports
 * BPMN_ENOMEM has changed nothing. On success *json_out receives the text. */
int en_write_answer(bpmn_engine *e, int (*fn)(bpmn_engine *e, void *ud), void *ud,
                    char *(*answer)(bpmn_engine *e, void *ud), char **json_out);
/* A read transaction (or the open batch). */
int en_read_begin(bpmn_engine *e, st_txn **t);
void en_read_end(bpmn_engine *e, st_txn *t);

char *en_strdup(const bpmn_allocator *a, const char *s);
char *en_json_out(bpmn_engine *e, cJSON *j); /* prints and deletes j; NULL on OOM */
/* A copy of JSON text with every byte that is not UTF-8 replaced by the escape \ufffd. */
char *en_json_text(bpmn_engine *e, const char *json);
/* cJSON_PrintUnformatted(), except that every number reads back as exactly the same double
 * (json.c); freed with cJSON_free. */
char *en_json_print(const cJSON *j);
/* 0 when a number in j is infinite or NaN: JSON text like 1e999 parses to infinity, which no JSON
 * output can carry, so variables holding one are refused. */
int en_json_finite(const cJSON *j);
/* The first key of an object in j, at any depth, that an earlier member of the same object
 * already has, or NULL. JSON allows duplicates and cJSON keeps both, so {"a":1,"a":2} would be
 * stored as given and read back as whichever comes first; variables refuse them. *oom is set
 * (and NULL returned) when memory ran out while looking. */
const char *en_json_dupkey(const bpmn_allocator *a, const cJSON *j, int *oom);
/* Variables coming in from outside (start, complete, job results, correlate, signal, set-vars):
 * NULL or "" is none (*out NULL); otherwise one JSON object and nothing after it, with finite
 * numbers and no duplicate keys at any depth. BPMN_EINVAL naming the problem, BPMN_ENOMEM. The
 * caller deletes *out. */
int en_json_vars(bpmn_engine *e, const char *json, cJSON **out);

#endif
