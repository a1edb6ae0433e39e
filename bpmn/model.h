/*
 * model.h - the BPMN document as read from XML: a typed tree of every element in the BPMN
 * namespace, with its attributes, text and line, and the vendor extensions (camunda:, zeebe:,
 * flowable:, activiti:, others) kept on the element they belong to. The validator and the
 * compiler read it; it is freed once the execution graph is built.
 */
#ifndef BPMN_MODEL_H
#define BPMN_MODEL_H

#include <stdint.h>

#include "base/arena.h"

/* Category flags of element kinds. */
enum {
    BM_C_FLOW_NODE = 1 << 0,
    BM_C_ACTIVITY = 1 << 1,
    BM_C_EVENT = 1 << 2,
    BM_C_GATEWAY = 1 << 3,
    BM_C_EVENT_DEF = 1 << 4,
    BM_C_CONTAINER = 1 << 5, /* holds flow elements: process, sub-processes */
    BM_C_TASK = 1 << 6,
    BM_C_ROOT = 1 << 7,      /* a root element that others reference by id */
};

#define BM_FN (BM_C_FLOW_NODE)
#define BM_ACT (BM_C_FLOW_NODE | BM_C_ACTIVITY)
#define BM_TSK (BM_C_FLOW_NODE | BM_C_ACTIVITY | BM_C_TASK)
#define BM_EVT (BM_C_FLOW_NODE | BM_C_EVENT)
#define BM_GW (BM_C_FLOW_NODE | BM_C_GATEWAY)
#define BM_SUB (BM_C_FLOW_NODE | BM_C_ACTIVITY | BM_C_CONTAINER)

/* Element kinds the runtime treats specially: enum name, XML local name, categories. Every other
 * element of the BPMN namespace is BM_OTHER and keeps its local name. */
#define BM_KIND_MAP(X)                                                  \
    X(DEFINITIONS, "definitions", 0)                                    \
    X(PROCESS, "process", BM_C_CONTAINER | BM_C_ROOT)                   \
    X(COLLABORATION, "collaboration", BM_C_ROOT)                        \
    X(PARTICIPANT, "participant", 0)                                    \
    X(MESSAGE_FLOW, "messageFlow", 0)                                   \
    X(MESSAGE, "message", BM_C_ROOT)                                    \
    X(SIGNAL, "signal", BM_C_ROOT)                                      \
    X(ERROR, "error", BM_C_ROOT)                                        \
    X(ESCALATION, "escalation", BM_C_ROOT)                              \
    X(SEQUENCE_FLOW, "sequenceFlow", 0)                                 \
    X(CONDITION_EXPRESSION, "conditionExpression", 0)                   \
    X(START_EVENT, "startEvent", BM_EVT)                                \
    X(END_EVENT, "endEvent", BM_EVT)                                    \
    X(INTERMEDIATE_CATCH_EVENT, "intermediateCatchEvent", BM_EVT)       \
    X(INTERMEDIATE_THROW_EVENT, "intermediateThrowEvent", BM_EVT)       \
    X(BOUNDARY_EVENT, "boundaryEvent", BM_EVT)                          \
    X(IMPLICIT_THROW_EVENT, "implicitThrowEvent", BM_EVT)               \
    X(MESSAGE_DEF, "messageEventDefinition", BM_C_EVENT_DEF)            \
    X(TIMER_DEF, "timerEventDefinition", BM_C_EVENT_DEF)                \
    X(ERROR_DEF, "errorEventDefinition", BM_C_EVENT_DEF)                \
    X(ESCALATION_DEF, "escalationEventDefinition", BM_C_EVENT_DEF)      \
    X(SIGNAL_DEF, "signalEventDefinition", BM_C_EVENT_DEF)              \
    X(CONDITIONAL_DEF, "conditionalEventDefinition", BM_C_EVENT_DEF)    \
    X(COMPENSATE_DEF, "compensateEventDefinition", BM_C_EVENT_DEF)      \
    X(CANCEL_DEF, "cancelEventDefinition", BM_C_EVENT_DEF)              \
    X(LINK_DEF, "linkEventDefinition", BM_C_EVENT_DEF)                  \
    X(TERMINATE_DEF, "terminateEventDefinition", BM_C_EVENT_DEF)        \
    X(TIME_DATE, "timeDate", 0)                                         \
    X(TIME_DURATION, "timeDuration", 0)                                 \
    X(TIME_CYCLE, "timeCycle", 0)                                       \
    X(CONDITION, "condition", 0)                                        \
    X(TASK, "task", BM_TSK)                                             \
    X(USER_TASK, "userTask", BM_TSK)                                    \
    X(MANUAL_TASK, "manualTask", BM_TSK)                                \
    X(SCRIPT_TASK, "scriptTask", BM_TSK)                                \
    X(SERVICE_TASK, "serviceTask", BM_TSK)                              \
    X(SEND_TASK, "sendTask", BM_TSK)                                    \
    X(RECEIVE_TASK, "receiveTask", BM_TSK)                              \
    X(BUSINESS_RULE_TASK, "businessRuleTask", BM_TSK)                   \
    X(SCRIPT, "script", 0)                                              \
    X(SUB_PROCESS, "subProcess", BM_SUB)                                \
    X(TRANSACTION, "transaction", BM_SUB)                               \
    X(AD_HOC_SUB_PROCESS, "adHocSubProcess", BM_SUB)                    \
    X(CALL_ACTIVITY, "callActivity", BM_ACT)                            \
    X(EXCLUSIVE_GATEWAY, "exclusiveGateway", BM_GW)                     \
    X(PARALLEL_GATEWAY, "parallelGateway", BM_GW)                       \
    X(INCLUSIVE_GATEWAY, "inclusiveGateway", BM_GW)                     \
    X(EVENT_BASED_GATEWAY, "eventBasedGateway", BM_GW)                  \
    X(COMPLEX_GATEWAY, "complexGateway", BM_GW)                         \
    X(CHOREOGRAPHY_TASK, "choreographyTask", BM_FN)                     \
    X(SUB_CHOREOGRAPHY, "subChoreography", BM_FN)                       \
    X(CALL_CHOREOGRAPHY, "callChoreography", BM_FN)                     \
    X(STANDARD_LOOP, "standardLoopCharacteristics", 0)                  \
    X(MULTI_INSTANCE, "multiInstanceLoopCharacteristics", 0)            \
    X(LOOP_CARDINALITY, "loopCardinality", 0)                           \
    X(COMPLETION_CONDITION, "completionCondition", 0)                   \
    X(LOOP_CONDITION, "loopCondition", 0)                               \
    X(LANE_SET, "laneSet", 0)                                           \
    X(LANE, "lane", 0)                                                  \
    X(DATA_OBJECT, "dataObject", 0)                                     \
    X(DATA_OBJECT_REFERENCE, "dataObjectReference", 0)                  \
    X(DATA_STORE_REFERENCE, "dataStoreReference", 0)                    \
    X(ASSOCIATION, "association", 0)                                    \
    X(TEXT_ANNOTATION, "textAnnotation", 0)                             \
    X(GROUP, "group", 0)                                                \
    X(DOCUMENTATION, "documentation", 0)                                \
    X(INCOMING, "incoming", 0)                                          \
    X(OUTGOING, "outgoing", 0)                                          \
    X(OTHER, "", 0)

typedef enum bm_kind {
#define BM_KIND_ENUM_(e, name, cat) BM_##e,
    BM_KIND_MAP(BM_KIND_ENUM_)
#undef BM_KIND_ENUM_
    BM_KIND_COUNT
} bm_kind;

/* Kind of a BPMN local name; BM_OTHER when it is not one of the kinds above. known_out is set
 * to whether the name is an element of the BPMN 2.0 schema at all. */
bm_kind bm_kind_of(const char *local, int *known_out);
const char *bm_kind_name(bm_kind k);
unsigned bm_kind_cats(bm_kind k);

/* Namespaces recognised by URI. Prefixes in files are arbitrary. */
typedef enum bm_ns {
    BM_NS_NONE = 0,
    BM_NS_BPMN,
    BM_NS_BPMNDI,
    BM_NS_CAMUNDA,
    BM_NS_ZEEBE,
    BM_NS_FLOWABLE,
    BM_NS_ACTIVITI,
    BM_NS_OTHER
} bm_ns;

bm_ns bm_ns_of(const char *uri);
/* Short vendor prefix for a namespace ("camunda", "zeebe", ...), or NULL for BM_NS_OTHER. */
const char *bm_ns_prefix(bm_ns ns);

typedef struct bm_attr {
    bm_ns ns;
    const char *uri;  /* namespace URI, NULL for unqualified attributes */
    const char *name; /* local name */
    const char *value;
} bm_attr;

/* A vendor extension element (inside extensionElements, or a foreign element elsewhere). */
typedef struct bm_ext {
    bm_ns ns;
    const char *uri, *name, *text;
    unsigned line;
    bm_attr *attrs;
    uint32_t nattrs;
    struct bm_ext *child, *next;
} bm_ext;

typedef struct bm_elem {
    bm_kind kind;
    const char *tag;  /* local name as written */
    const char *id;   /* NULL when absent */
    const char *name; /* the name attribute, NULL when absent */
    const char *text; /* trimmed text content of the element itself, NULL when none */
    unsigned line;
    int32_t parent, first_child, next_sibling; /* element indexes, -1 for none */
    bm_attr *attrs;   /* all attributes: unqualified ones and vendor ones (ns != BM_NS_NONE) */
    uint32_t nattrs;
    bm_ext *ext;      /* extension elements, in document order */
} bm_elem;

typedef struct bm_model {
    bm_arena arena;
    const char *file;
    bm_elem *elems; /* elems[0] is definitions */
    uint32_t nelems;
    size_t cap;
    void *doc;      /* the libxml2 document the strings point into */
    /* id index: open addressing over elems, built by bm_model_index() */
    int32_t *ids;
    uint32_t ids_cap;
    int assume_executable; /* a process without isExecutable counts as executable */
} bm_model;

/* Unqualified attribute value, or NULL. */
const char *bm_attr_get(const bm_elem *e, const char *name);
/* Vendor attribute value, or NULL. */
const char *bm_xattr(const bm_elem *e, bm_ns ns, const char *name);
/* First extension element of the given vendor and name (searched recursively, depth first). */
const bm_ext *bm_ext_find(const bm_ext *x, bm_ns ns, const char *name);
const char *bm_ext_attr(const bm_ext *x, const char *name);
/* First direct child of a given kind, or NULL. */
const bm_elem *bm_child(const bm_model *m, const bm_elem *e, bm_kind kind);
/* Element with the given id, or NULL. A QName reference "prefix:id" also resolves to "id". */
const bm_elem *bm_lookup(const bm_model *m, const char *ref);
int32_t bm_index_of(const bm_model *m, const bm_elem *e);
int bm_attr_true(const bm_elem *e, const char *name, int dflt);

#define BM_FOR_CHILDREN(m, e, c) \
    for (const bm_elem *c = (e)->first_child >= 0 ? &(m)->elems[(e)->first_child] : NULL; c; \
         c = c->next_sibling >= 0 ? &(m)->elems[c->next_sibling] : NULL)

#endif
