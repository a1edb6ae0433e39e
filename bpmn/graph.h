/*
 * graph.h - the execution graph of one executable process: dense arrays of nodes and flows
 * indexed by integers, adjacency as ranges into shared index arrays, the scope tree of
 * sub-processes and the boundary events of each activity. A graph owns all its memory in one
 * arena, never changes after compilation and can be shared between instances and threads.
 */
#ifndef BPMN_GRAPH_H
#define BPMN_GRAPH_H

#include <stdint.h>

#include "base/arena.h"
#include "bpmn/model.h"

typedef enum bg_trigger {
    BG_EV_NONE = 0,
    BG_EV_MESSAGE,
    BG_EV_TIMER,
    BG_EV_ERROR,
    BG_EV_ESCALATION,
    BG_EV_SIGNAL,
    BG_EV_CONDITIONAL,
    BG_EV_COMPENSATE,
    BG_EV_CANCEL,
    BG_EV_LINK,
    BG_EV_TERMINATE
} bg_trigger;

typedef enum bg_timer_kind { BG_TIMER_NONE = 0, BG_TIMER_DATE, BG_TIMER_DURATION, BG_TIMER_CYCLE } bg_timer_kind;

enum {
    BG_F_INTERRUPTING = 1 << 0,      /* boundary cancelActivity / event sub-process start */
    BG_F_EVENT_SUBPROCESS = 1 << 1,  /* subProcess triggeredByEvent="true" */
    BG_F_FOR_COMPENSATION = 1 << 2,
    BG_F_MULTI_INSTANCE = 1 << 3,
    BG_F_SEQUENTIAL = 1 << 4,        /* multi-instance runs one after another */
    BG_F_STANDARD_LOOP = 1 << 5,
    BG_F_TEST_BEFORE = 1 << 6,
    BG_F_THROW = 1 << 7,             /* throw events, end events */
};

/* Loop characteristics of an activity: the raw expressions, compiled by the engine. */
typedef struct bg_loop {
    const char *cardinality;
    const char *completion;
    const char *loop_condition;
    const char *loop_maximum;
    const char *input_collection, *input_element;   /* camunda:collection / zeebe:... */
    const char *output_collection, *output_element;
} bg_loop;

typedef struct bg_node {
    bm_kind kind;
    bg_trigger trigger;
    uint32_t flags;
    const char *id, *name;
    unsigned line;
    int32_t scope;           /* scope index (0 = the process) that holds this node */
    int32_t inner_scope;     /* for sub-processes: the scope they open; -1 otherwise */
    uint32_t out, nout;      /* range in graph.out: outgoing flow indexes, document order */
    uint32_t in, nin;        /* range in graph.in: incoming flow indexes */
    uint32_t boundary, nboundary; /* range in graph.boundary: attached boundary event nodes */
    int32_t attached_to;     /* boundary events: the activity node; -1 otherwise */
    int32_t comp_handler;    /* compensation boundary events: the handler activity; -1 */
    int32_t default_flow;    /* default flow index, -1 when none */
    const char *event_ref;   /* message/signal/error/escalation name or code; link name */
    bg_timer_kind timer_kind;
    const char *timer;       /* timer expression text */
    const char *condition;   /* conditional events */
    const char *corr_key;    /* message events: zeebe:subscription correlationKey expression */
    const char *script;      /* script tasks: the FEEL expression */
    const char *called;      /* call activities: the called process (literal or expression) */
    const char *performer;   /* user tasks: humanPerformer's resourceAssignmentExpression */
    const char *potential_owner; /* user tasks: potentialOwner's expression(s), comma-joined */
    const bg_loop *loop;     /* NULL when the activity does not loop */
    const bm_attr *attrs;    /* vendor attributes (camunda:assignee, ...), copied */
    uint32_t nattrs;
    const bm_ext *ext;       /* vendor extension elements, deep-copied */
} bg_node;

typedef struct bg_flow {
    uint32_t source, target;
    const char *id;          /* may be NULL: real files carry flows without ids */
    const char *name;
    const char *condition;   /* NULL for an unconditional flow */
    unsigned line;
} bg_flow;

typedef struct bg_scope {
    int32_t node;            /* the sub-process node, -1 for the process itself */
    int32_t parent;          /* enclosing scope, -1 for the process */
    int has_start_event;     /* else the scope starts at every node without incoming flows */
    uint32_t starts, nstarts;    /* range in graph.starts: the nodes that start this scope */
    uint32_t event_subs, nevent_subs; /* range in graph.event_subs: event sub-process nodes */
} bg_scope;

typedef struct bg_graph {
    bm_arena arena;
    const char *process_id, *name;
    const char *history_ttl; /* camunda:historyTimeToLive: days, or an ISO 8601 duration */
    bg_node *nodes;
    uint32_t nnodes;
    bg_flow *flows;
    uint32_t nflows;
    bg_scope *scopes;
    uint32_t nscopes;
    uint32_t *out, *in, *boundary, *starts, *event_subs;
} bg_graph;

/* Node with the given id, or -1. Linear; the engine keeps its own index when it needs one. */
int32_t bg_find(const bg_graph *g, const char *id);
/* Vendor attribute of a node, or NULL. */
const char *bg_attr(const bg_node *n, bm_ns ns, const char *name);

#endif
