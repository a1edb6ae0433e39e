/*
 * faults_util.h - what the fault-injection suites share: a counting allocator that fails one
 * chosen call, an engine on a fresh store, the order diagrams, calls that must succeed while a
 * state is built, a digest of every table of the store (faults_util.c), and the catalogue of
 * operations and refused calls the sweeps run (faults_ops.c).
 */
#ifndef BPMNRT_FAULTS_UTIL_H
#define BPMNRT_FAULTS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "bpmnrt.h"

#define T0 1767258000000LL /* 2026-01-01T09:00:00Z */
#define HOUR 3600000LL

/* ---- a counting allocator that fails one chosen call ------------------------------------- */

typedef struct fa {
    long calls;    /* allocations and reallocations since the count was reset */
    long fail_at;  /* the call that fails; 0: none */
    int sticky;    /* every call after it fails too */
    int hit;       /* the failing call came */
    long live;     /* blocks allocated and not freed */
    size_t bytes;
} fa;

extern fa FA;
extern const bpmn_allocator ALLOC;
void fa_arm(long n);

/* ---- an engine on a fresh store, and the diagrams ----------------------------------------- */

typedef struct env {
    bpmn_engine *e;
    char path[64];
    long long now;
    char inst[32], task[32], job[32], child[32]; /* what the setup left for the operation */
} env;

long long env_clock(void *ud);
void env_remove_files(const char *path);
extern int fu_history_level; /* of the engines the tests open */
void env_open(env *v, size_t map_size, size_t map_max);
void env_close(env *v);

#define HEAD                                                                                   \
    "<?xml version=\"1.0\"?>\n<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" " \
    "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" "                                     \
    "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\">\n"
#define FLOW(id, a, b) "<sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"/>\n"

/* One pass through every kind of wait: a user task with a form and candidates, a gateway, a
 * job, a message with a key, a timer and a signal; and a process started by a message. */
#define ORDER_BODY(extra)                                                                      \
    "<startEvent id=\"s\"/>" FLOW("f0", "s", "review")                                         \
    "<userTask id=\"review\" name=\"Review\" camunda:candidateGroups=\"staff\" "               \
    "camunda:dueDate=\"2026-01-02T09:00:00Z\"><extensionElements><camunda:formData>"           \
    "<camunda:formField id=\"approved\" type=\"boolean\"/></camunda:formData>"                 \
    "</extensionElements></userTask>" FLOW("f1", "review", "gw")                               \
    "<exclusiveGateway id=\"gw\" default=\"f3\"/>"                                             \
    "<sequenceFlow id=\"f2\" sourceRef=\"gw\" targetRef=\"charge\"><conditionExpression>"      \
    "=approved = true</conditionExpression></sequenceFlow>" FLOW("f3", "gw", "no")             \
    "<endEvent id=\"no\"/>"                                                                    \
    "<serviceTask id=\"charge\"><extensionElements><zeebe:taskDefinition type=\"charge\" "     \
    "retries=\"2\"/></extensionElements></serviceTask>" FLOW("f4", "charge", "paid")           \
    "<intermediateCatchEvent id=\"paid\"><messageEventDefinition messageRef=\"Paid\"/>"        \
    "</intermediateCatchEvent>" FLOW("f5", "paid", "wait")                                     \
    "<intermediateCatchEvent id=\"wait\"><timerEventDefinition><timeDuration>PT1H"             \
    "</timeDuration></timerEventDefinition></intermediateCatchEvent>" FLOW("f6", "wait", "go")  \
    "<intermediateCatchEvent id=\"go\"><signalEventDefinition signalRef=\"Go\"/>"              \
    "</intermediateCatchEvent>" FLOW("f7", "go", extra) 

#define ORDER_DOC(extra, more)                                                                 \
    HEAD "<message id=\"Paid\" name=\"payment\"><extensionElements><zeebe:subscription "        \
    "correlationKey=\"=orderId\"/></extensionElements></message>"                              \
    "<message id=\"Lead\" name=\"lead\"/><signal id=\"Go\" name=\"go\"/>"                      \
    "<process id=\"order\" isExecutable=\"true\" camunda:historyTimeToLive=\"1\">"             \
    ORDER_BODY(extra) more "</process>"                                                        \
    "<process id=\"intake\" isExecutable=\"true\"><startEvent id=\"ls\">"                      \
    "<messageEventDefinition messageRef=\"Lead\"/></startEvent>" FLOW("g0", "ls", "call")      \
    "<userTask id=\"call\" camunda:assignee=\"ann\"/>" FLOW("g1", "call", "le")                \
    "<endEvent id=\"le\"/></process></definitions>"

#define DOC1 ORDER_DOC("e", "<endEvent id=\"e\"/>")
/* Version 2 of order: one more task before the end; every element of version 1 is there. */
#define DOC2 ORDER_DOC("extra", "<userTask id=\"extra\"/>" FLOW("f8", "extra", "e")             \
                                "<endEvent id=\"e\"/>")

/* Calls that must succeed while the state is built. */
char *fu_must(env *v, int rc, char **out, const char *what);
void fu_member(const char *json, const char *key, char *buf, size_t cap);
void fu_deploy(env *v, const char *doc);
void fu_order_at(env *v, const char *key, int stage);
/* A digest of every table of the store. */
uint64_t fu_digest(env *v);

/* ---- faults_ops.c ---- */

/* An operation under test: setup brings a fresh engine to the state it needs (with nothing
 * failing), run does it once and leaves what it answered in *res (test memory, or NULL). */
typedef struct op {
    const char *name;
    void (*setup)(env *v);
    int (*run)(env *v, char **res);
    int writes; /* swept with store faults too */
    int batch;  /* runs in a batch: a full map is not grown under it */
    int multi;  /* several transactions by design (purge; tick with several timers due) */
} op;
extern const op OPS[];
extern const size_t NOPS;

/* Calls that are refused (an unknown process, a form's missing field, a user who may not,
 * a suspended instance, a version without the element): with the Nth allocation failing, each
 * returns ENOMEM or, once it gets through, its refusal, and never changes the store. */
typedef struct refusal {
    const char *name;
    void (*setup)(env *v);
    int (*run)(env *v, char **res);
    int want;
} refusal;
extern const refusal REFUSALS[];
extern const size_t NREFUSALS;

#endif
