/*
 * validate.c - one pass over the model that collects every problem. Structure is checked for all
 * processes; executable processes are also checked against what the runtime can execute, so
 * that nothing is discovered halfway through an instance.
 */
#include "bpmn/validate.h"

#include <string.h>

typedef struct vctx {
    const bm_model *m;
    bm_diags *d;
    uint32_t *nin, *nout; /* sequence-flow counts per element index */
} vctx;

#define ERR(v, e, ...) bm_diag((v)->d, BPMN_SEV_ERROR, (e)->line, (e)->id, __VA_ARGS__)
#define WARN(v, e, ...) bm_diag((v)->d, BPMN_SEV_WARNING, (e)->line, (e)->id, __VA_ARGS__)

static int is(const bm_elem *e, unsigned cat)
{
    return (bm_kind_cats(e->kind) & cat) != 0;
}

/* The process or sub-process that directly holds e. */
static const bm_elem *container_of(const bm_model *m, const bm_elem *e)
{
    while (e->parent >= 0) {
        e = &m->elems[e->parent];
        if (is(e, BM_C_CONTAINER))
            return e;
    }
    return NULL;
}

/* The top-level process that holds e, or NULL. */
static const bm_elem *process_of(const bm_model *m, const bm_elem *e)
{
    for (; e; e = e->parent >= 0 ? &m->elems[e->parent] : NULL)
        if (e->kind == BM_PROCESS)
            return e;
    return NULL;
}

/* isExecutable="true"; without the attribute, what the loader was told to assume (Flowable's
 * default is executable, BPMN's and Camunda's is not). */
int bm_process_executable(const bm_model *m, const bm_elem *p)
{
    if (!bm_attr_get(p, "isExecutable"))
        return m->assume_executable;
    return bm_attr_true(p, "isExecutable", 0);
}

static int executable(const bm_model *m, const bm_elem *e)
{
    const bm_elem *p = process_of(m, e);
    return p && bm_process_executable(m, p);
}

/* Resolves an attribute reference that must name an element of one of the given kinds. */
static const bm_elem *check_ref(vctx *v, const bm_elem *e, const char *attr, int required,
                                const bm_kind *kinds, const char *what)
{
    const char *ref = bm_attr_get(e, attr);
    if (!ref || !*ref) {
        if (required)
            ERR(v, e, "%s has no %s", e->tag, attr);
        return NULL;
    }
    const bm_elem *t = bm_lookup(v->m, ref);
    if (!t) {
        ERR(v, e, "%s '%s' does not name any element", attr, ref);
        return NULL;
    }
    if (kinds) {
        for (const bm_kind *k = kinds; *k != BM_OTHER; k++)
            if (t->kind == *k)
                return t;
        ERR(v, e, "%s '%s' names a %s (line %u), not %s", attr, ref, t->tag, t->line, what);
        return NULL;
    }
    return t;
}

static void check_sequence_flow(vctx *v, const bm_elem *f)
{
    const bm_elem *src = check_ref(v, f, "sourceRef", 1, NULL, NULL);
    const bm_elem *dst = check_ref(v, f, "targetRef", 1, NULL, NULL);
    const bm_elem *here = container_of(v->m, f);
    const bm_elem *ends[2] = {src, dst};
    const char *names[2] = {"sourceRef", "targetRef"};
    for (int i = 0; i < 2; i++) {
        const bm_elem *n = ends[i];
        if (!n)
            continue;
        if (!is(n, BM_C_FLOW_NODE)) {
            ERR(v, f, "%s '%s' names a %s (line %u), not a flow node", names[i], n->id, n->tag,
                n->line);
            ends[i] = NULL;
        } else if (container_of(v->m, n) != here) {
            ERR(v, f, "%s '%s' is in another process or sub-process; sequence flows cannot "
                      "cross a sub-process boundary", names[i], n->id);
            ends[i] = NULL;
        }
    }
    if (ends[0])
        v->nout[bm_index_of(v->m, ends[0])]++;
    if (ends[1])
        v->nin[bm_index_of(v->m, ends[1])]++;
    const bm_elem *cond = bm_child(v->m, f, BM_CONDITION_EXPRESSION);
    if (cond && executable(v->m, f)) {
        const char *lang = bm_attr_get(cond, "language");
        if (lang && !bm_expression_language_ok(lang))
            ERR(v, f, "condition language '%s' cannot be executed (FEEL and ${...} expressions "
                      "are supported)", lang);
        if (!cond->text)
            WARN(v, f, "condition expression is empty; the flow is always taken");
    }
}

/* default="..." must name a sequence flow leaving this element. */
static void check_default(vctx *v, const bm_elem *e)
{
    static const bm_kind flows[] = {BM_SEQUENCE_FLOW, BM_OTHER};
    const bm_elem *f = check_ref(v, e, "default", 0, flows, "a sequence flow");
    if (!f)
        return;
    const char *src = bm_attr_get(f, "sourceRef");
    const bm_elem *s = src ? bm_lookup(v->m, src) : NULL;
    if (s != e)
        ERR(v, e, "default flow '%s' does not leave this %s (it starts at '%s')", f->id, e->tag,
            src ? src : "(nothing)");
    else if (e->kind == BM_PARALLEL_GATEWAY || e->kind == BM_EVENT_BASED_GATEWAY)
        ERR(v, e, "a %s cannot have a default flow", e->tag);
}

typedef struct evinfo {
    const bm_elem *def; /* the first event definition */
    int count;
} evinfo;

static evinfo event_defs(const bm_model *m, const bm_elem *e)
{
    evinfo r = {NULL, 0};
    BM_FOR_CHILDREN(m, e, c) {
        if (is(c, BM_C_EVENT_DEF)) {
            if (!r.def)
                r.def = c;
            r.count++;
        }
    }
    /* eventDefinitionRef children name definitions declared at the root. */
    BM_FOR_CHILDREN(m, e, c) {
        if (c->kind == BM_OTHER && strcmp(c->tag, "eventDefinitionRef") == 0 && c->text) {
            const bm_elem *d = bm_lookup(m, c->text);
            if (d && is(d, BM_C_EVENT_DEF)) {
                if (!r.def)
                    r.def = d;
                r.count++;
            }
        }
    }
    return r;
}

static void check_event_def_refs(vctx *v, const bm_elem *d)
{
    static const bm_kind msg[] = {BM_MESSAGE, BM_OTHER}, sig[] = {BM_SIGNAL, BM_OTHER},
                         err[] = {BM_ERROR, BM_OTHER}, esc[] = {BM_ESCALATION, BM_OTHER};
    switch (d->kind) {
    case BM_MESSAGE_DEF: check_ref(v, d, "messageRef", 0, msg, "a message"); break;
    case BM_SIGNAL_DEF: check_ref(v, d, "signalRef", 0, sig, "a signal"); break;
    case BM_ERROR_DEF: {
        /* Activiti and Camunda 7 read an errorRef that names no element as the error code
         * itself; files written for them rely on it. */
        const char *ref = bm_attr_get(d, "errorRef");
        if (ref && *ref && !bm_lookup(v->m, ref))
            WARN(v, d, "errorRef '%s' names no error element; it is used as the error code "
                       "itself (as Activiti and Camunda 7 do)", ref);
        else
            check_ref(v, d, "errorRef", 0, err, "an error");
        break;
    }
    case BM_ESCALATION_DEF: check_ref(v, d, "escalationRef", 0, esc, "an escalation"); break;
    default: break;
    }
}

/* Which event definitions each kind of event may carry at run time (BPMN 2.0, table 10.x). */
static int event_def_allowed(const bm_model *m, const bm_elem *ev, bm_kind def)
{
    const bm_elem *cont = container_of(m, ev);
    int in_event_sub = cont && cont->kind == BM_SUB_PROCESS &&
                       bm_attr_true(cont, "triggeredByEvent", 0);
    switch (ev->kind) {
    case BM_START_EVENT:
        if (def == BM_MESSAGE_DEF || def == BM_TIMER_DEF || def == BM_SIGNAL_DEF ||
            def == BM_CONDITIONAL_DEF)
            return 1;
        return in_event_sub &&
               (def == BM_ERROR_DEF || def == BM_ESCALATION_DEF || def == BM_COMPENSATE_DEF);
    case BM_END_EVENT:
        return def == BM_MESSAGE_DEF || def == BM_ERROR_DEF || def == BM_ESCALATION_DEF ||
               def == BM_CANCEL_DEF || def == BM_COMPENSATE_DEF || def == BM_SIGNAL_DEF ||
               def == BM_TERMINATE_DEF;
    case BM_INTERMEDIATE_CATCH_EVENT:
        return def == BM_MESSAGE_DEF || def == BM_TIMER_DEF || def == BM_SIGNAL_DEF ||
               def == BM_CONDITIONAL_DEF || def == BM_LINK_DEF;
    case BM_INTERMEDIATE_THROW_EVENT:
        return def == BM_MESSAGE_DEF || def == BM_SIGNAL_DEF || def == BM_ESCALATION_DEF ||
               def == BM_COMPENSATE_DEF || def == BM_LINK_DEF;
    case BM_BOUNDARY_EVENT:
        return def == BM_MESSAGE_DEF || def == BM_TIMER_DEF || def == BM_ERROR_DEF ||
               def == BM_ESCALATION_DEF || def == BM_SIGNAL_DEF || def == BM_CONDITIONAL_DEF ||
               def == BM_COMPENSATE_DEF || def == BM_CANCEL_DEF;
    default:
        return 0;
    }
}

static void check_timer(vctx *v, const bm_elem *ev, const bm_elem *def)
{
    int n = 0;
    BM_FOR_CHILDREN(v->m, def, c) {
        if (c->kind == BM_TIME_DATE || c->kind == BM_TIME_DURATION || c->kind == BM_TIME_CYCLE) {
            n++;
            if (!c->text)
                ERR(v, ev, "timer %s is empty", c->tag);
        }
    }
    if (n == 0)
        ERR(v, ev, "timer has no timeDate, timeDuration or timeCycle");
    else if (n > 1)
        ERR(v, ev, "timer has %d definitions; use one of timeDate, timeDuration, timeCycle", n);
}

static void check_event(vctx *v, const bm_elem *e)
{
    evinfo ev = event_defs(v->m, e);
    int exec = executable(v->m, e);
    if (e->kind == BM_BOUNDARY_EVENT) {
        static const bm_kind acts[] = {BM_TASK, BM_USER_TASK, BM_MANUAL_TASK, BM_SCRIPT_TASK,
                                       BM_SERVICE_TASK, BM_SEND_TASK, BM_RECEIVE_TASK,
                                       BM_BUSINESS_RULE_TASK, BM_SUB_PROCESS, BM_TRANSACTION,
                                       BM_AD_HOC_SUB_PROCESS, BM_CALL_ACTIVITY, BM_OTHER};
        const bm_elem *host = check_ref(v, e, "attachedToRef", 1, acts, "an activity");
        if (host && container_of(v->m, host) != container_of(v->m, e))
            ERR(v, e, "attachedToRef '%s' is in another process or sub-process", host->id);
    }
    if (!exec)
        return;
    /* Choreographies throw implicitly; in a process the engine would only raise an incident. */
    if (e->kind == BM_IMPLICIT_THROW_EVENT) {
        ERR(v, e, "an implicitThrowEvent belongs to choreographies and cannot be executed in a "
                  "process");
        return;
    }
    if (ev.count > 1) {
        ERR(v, e, "%s has %d event definitions; events with several triggers ('multiple' "
                  "events) are not supported", e->tag, ev.count);
        return;
    }
    if (!ev.def) {
        if (e->kind == BM_BOUNDARY_EVENT || e->kind == BM_INTERMEDIATE_CATCH_EVENT)
            ERR(v, e, "%s has no event definition, so nothing could ever trigger it", e->tag);
        if (e->kind == BM_START_EVENT) {
            const bm_elem *cont = container_of(v->m, e);
            if (cont && cont->kind == BM_SUB_PROCESS && bm_attr_true(cont, "triggeredByEvent", 0))
                ERR(v, e, "the start event of an event sub-process needs an event definition");
        }
        return;
    }
    if (!event_def_allowed(v->m, e, ev.def->kind)) {
        ERR(v, e, "%s cannot carry a %s", e->tag, ev.def->tag);
        return;
    }
    if (ev.def->kind == BM_COMPENSATE_DEF && e->kind == BM_START_EVENT) {
        ERR(v, e, "compensation event sub-processes are not supported by the runtime; attach a "
                  "compensation boundary event and handler to the activity instead");
        return;
    }
    if (ev.def->kind == BM_TIMER_DEF)
        check_timer(v, e, ev.def);
    if (ev.def->kind == BM_MESSAGE_DEF && e->kind != BM_END_EVENT &&
        e->kind != BM_INTERMEDIATE_THROW_EVENT && !bm_attr_get(ev.def, "messageRef"))
        ERR(v, e, "message event has no messageRef, so no message can be correlated to it");
    if (ev.def->kind == BM_SIGNAL_DEF && !bm_attr_get(ev.def, "signalRef"))
        ERR(v, e, "signal event has no signalRef");
    if (ev.def->kind == BM_CONDITIONAL_DEF && !bm_child(v->m, ev.def, BM_CONDITION))
        ERR(v, e, "conditional event has no condition");
    if (ev.def->kind == BM_LINK_DEF && !bm_attr_get(ev.def, "name"))
        ERR(v, e, "link event has no name");
}

/* The job type an external worker sees for a service-like task: zeebe:taskDefinition type,
 * camunda:topic of an external task, else the element id. */
const char *bm_job_type(const bm_elem *e)
{
    const bm_ext *z = bm_ext_find(e->ext, BM_NS_ZEEBE, "taskDefinition");
    const char *t = z ? bm_ext_attr(z, "type") : NULL;
    if (!t)
        t = bm_xattr(e, BM_NS_CAMUNDA, "topic");
    return t ? t : e->id ? e->id : "";
}

/* Attributes and listeners that ask an engine to run Java or another host language, which
 * bpmnrt cannot do. Service, send and business-rule tasks still run, as external jobs; the
 * diagnostic says so instead of dropping the attribute silently. */
static void check_host_code(vctx *v, const bm_elem *e)
{
    static const char *const code_attrs[] = {"class", "delegateExpression", "expression",
                                             "decisionRef", "type"};
    static const bm_ns vendors[] = {BM_NS_CAMUNDA, BM_NS_FLOWABLE, BM_NS_ACTIVITI};
    /* A message throw or end event with a job definition is run as a job too (the engine). */
    const char *ct = bm_xattr(e, BM_NS_CAMUNDA, "type");
    int message_job = (e->kind == BM_INTERMEDIATE_THROW_EVENT || e->kind == BM_END_EVENT) &&
                      bm_child(v->m, e, BM_MESSAGE_DEF) &&
                      (bm_ext_find(e->ext, BM_NS_ZEEBE, "taskDefinition") ||
                       (ct && strcmp(ct, "external") == 0));
    int jobbed = e->kind == BM_SERVICE_TASK || e->kind == BM_SEND_TASK ||
                 e->kind == BM_BUSINESS_RULE_TASK || message_job;
    for (size_t i = 0; i < sizeof vendors / sizeof vendors[0]; i++) {
        for (size_t j = 0; j < sizeof code_attrs / sizeof code_attrs[0]; j++) {
            const char *val = bm_xattr(e, vendors[i], code_attrs[j]);
            if (!val || (j == 4 && strcmp(val, "external") == 0))
                continue;
            if (jobbed)
                WARN(v, e, "%s:%s=\"%s\" names code bpmnrt cannot run; the task is handed to "
                           "external workers as a job of type '%s'",
                     bm_ns_prefix(vendors[i]), code_attrs[j], val, bm_job_type(e));
            else
                ERR(v, e, "%s:%s=\"%s\" names code bpmnrt cannot run", bm_ns_prefix(vendors[i]),
                    code_attrs[j], val);
        }
    }
    const bm_ext *dmn = bm_ext_find(e->ext, BM_NS_ZEEBE, "calledDecision");
    if (dmn && jobbed)
        WARN(v, e, "DMN decision '%s' is not evaluated by bpmnrt; the task is handed to external "
                   "workers as a job of type '%s'",
             bm_ext_attr(dmn, "decisionId") ? bm_ext_attr(dmn, "decisionId") : "",
             bm_job_type(e));
    for (const bm_ext *x = e->ext; x; x = x->next) {
        if ((x->ns == BM_NS_CAMUNDA || x->ns == BM_NS_FLOWABLE || x->ns == BM_NS_ACTIVITI) &&
            (strcmp(x->name, "executionListener") == 0 || strcmp(x->name, "taskListener") == 0))
            bm_diag(v->d, BPMN_SEV_WARNING, x->line ? x->line : e->line, e->id,
                    "%s:%s runs host code, which bpmnrt does not run; it is ignored",
                    bm_ns_prefix(x->ns), x->name);
    }
}

int bm_expression_language_ok(const char *lang)
{
    static const char *const ok[] = {
        "feel", "FEEL", "juel", "JUEL", "http://www.omg.org/spec/FEEL/20140401",
        "https://www.omg.org/spec/DMN/20191111/FEEL/", "http://www.omg.org/spec/DMN/20180521/FEEL/",
        "http://www.w3.org/1999/XPath" /* the BPMN default, used by tools for plain text */,
        "http://www.omg.org/spec/EL", "text/x-feel"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(lang, ok[i]) == 0)
            return 1;
    return 0;
}

static void check_activity(vctx *v, const bm_elem *e)
{
    check_default(v, e);
    if (!executable(v->m, e))
        return;
    check_host_code(v, e);
    switch (e->kind) {
    case BM_AD_HOC_SUB_PROCESS:
        ERR(v, e, "ad-hoc sub-processes are not supported by the runtime");
        break;
    case BM_SCRIPT_TASK: {
        const char *fmt = bm_attr_get(e, "scriptFormat");
        int zeebe = bm_ext_find(e->ext, BM_NS_ZEEBE, "script") != NULL;
        if (!zeebe && (!fmt || strcmp(fmt, "feel") != 0))
            ERR(v, e, "script language '%s' is not executed; only FEEL scripts "
                      "(scriptFormat=\"feel\" or zeebe:script) run in bpmnrt",
                fmt ? fmt : "(none)");
        else if (!zeebe && !bm_child(v->m, e, BM_SCRIPT))
            ERR(v, e, "script task has no script");
        break;
    }
    case BM_RECEIVE_TASK:
    case BM_SEND_TASK: {
        static const bm_kind msg[] = {BM_MESSAGE, BM_OTHER};
        const bm_elem *m = check_ref(v, e, "messageRef", 0, msg, "a message");
        if (!m && e->kind == BM_RECEIVE_TASK && !bm_attr_get(e, "messageRef"))
            ERR(v, e, "receive task has no messageRef, so no message can reach it");
        break;
    }
    case BM_CALL_ACTIVITY: {
        const bm_ext *z = bm_ext_find(e->ext, BM_NS_ZEEBE, "calledElement");
        if (!bm_attr_get(e, "calledElement") && !(z && bm_ext_attr(z, "processId")))
            ERR(v, e, "call activity names no process (calledElement or zeebe:calledElement)");
        break;
    }
    case BM_SUB_PROCESS:
    case BM_TRANSACTION: {
        int starts = 0, none_starts = 0;
        int event_sub = bm_attr_true(e, "triggeredByEvent", 0);
        BM_FOR_CHILDREN(v->m, e, c) {
            if (c->kind == BM_START_EVENT) {
                starts++;
                if (!event_defs(v->m, c).def)
                    none_starts++;
            }
        }
        if (event_sub && starts != 1)
            ERR(v, e, "an event sub-process needs exactly one start event (found %d)", starts);
        /* No start event is allowed: the nodes without incoming flows start (BPMN 10.3.5). */
        if (!event_sub && none_starts > 1)
            ERR(v, e, "a sub-process may have at most one none start event (found %d)",
                none_starts);
        if (!event_sub && starts > none_starts)
            ERR(v, e, "a start event inside a sub-process must be a none start event");
        break;
    }
    default:
        break;
    }
}

static void check_gateway(vctx *v, const bm_elem *e)
{
    if (e->kind == BM_EXCLUSIVE_GATEWAY || e->kind == BM_INCLUSIVE_GATEWAY ||
        e->kind == BM_COMPLEX_GATEWAY || e->kind == BM_PARALLEL_GATEWAY ||
        e->kind == BM_EVENT_BASED_GATEWAY)
        check_default(v, e);
    if (!executable(v->m, e))
        return;
    if (e->kind == BM_COMPLEX_GATEWAY)
        ERR(v, e, "complex gateways are not supported by the runtime");
}

/* Checks that need the flow counts, after every sequence flow was seen. */
static void check_flow_counts(vctx *v, const bm_elem *e)
{
    int32_t i = bm_index_of(v->m, e);
    if (e->kind == BM_START_EVENT && v->nin[i])
        ERR(v, e, "a start event cannot have incoming sequence flows (%u found)", v->nin[i]);
    if (e->kind == BM_BOUNDARY_EVENT && v->nin[i])
        ERR(v, e, "a boundary event cannot have incoming sequence flows (%u found)", v->nin[i]);
    if (e->kind == BM_END_EVENT && v->nout[i])
        ERR(v, e, "an end event cannot have outgoing sequence flows (%u found)", v->nout[i]);
    if (e->kind == BM_END_EVENT || v->nout[i])
        return;
    /* Nodes that legitimately end a path without an end event. */
    if ((e->kind == BM_SUB_PROCESS && bm_attr_true(e, "triggeredByEvent", 0)) ||
        bm_attr_true(e, "isForCompensation", 0))
        return;
    const bm_elem *cont = container_of(v->m, e);
    if (cont && cont->kind == BM_AD_HOC_SUB_PROCESS)
        return;
    evinfo ev = event_defs(v->m, e);
    if (ev.def && (ev.def->kind == BM_LINK_DEF || ev.def->kind == BM_COMPENSATE_DEF))
        return;
    WARN(v, e, "%s has no outgoing sequence flow; its path ends here", e->tag);
    if (e->kind == BM_EVENT_BASED_GATEWAY && executable(v->m, e))
        ERR(v, e, "an event-based gateway needs outgoing flows to the events it waits for");
}

static void check_event_based_targets(vctx *v, const bm_elem *f)
{
    const bm_elem *src = bm_lookup(v->m, bm_attr_get(f, "sourceRef"));
    const bm_elem *dst = bm_lookup(v->m, bm_attr_get(f, "targetRef"));
    if (!src || !dst || src->kind != BM_EVENT_BASED_GATEWAY || !executable(v->m, f))
        return;
    evinfo ev = event_defs(v->m, dst);
    int ok = dst->kind == BM_RECEIVE_TASK ||
             (dst->kind == BM_INTERMEDIATE_CATCH_EVENT && ev.def &&
              (ev.def->kind == BM_MESSAGE_DEF || ev.def->kind == BM_TIMER_DEF ||
               ev.def->kind == BM_SIGNAL_DEF || ev.def->kind == BM_CONDITIONAL_DEF));
    if (!ok)
        ERR(v, f, "an event-based gateway may only lead to catch events or receive tasks, not "
                  "to the %s '%s'", dst->tag, dst->id ? dst->id : "");
    if (bm_child(v->m, f, BM_CONDITION_EXPRESSION))
        ERR(v, f, "a flow leaving an event-based gateway cannot have a condition");
}

static void check_process(vctx *v, const bm_elem *p)
{
    if (p->parent != 0)
        ERR(v, p, "a process must be a direct child of definitions, not of a %s",
            v->m->elems[p->parent].tag);
    if (!bm_process_executable(v->m, p)) {
        /* Said, not silent: a process that leaves the attribute out is often meant to run. */
        if (!bm_attr_get(p, "isExecutable"))
            WARN(v, p, "process '%s' is not executable (no isExecutable=\"true\"): it is checked "
                       "but not deployed; mark it isExecutable=\"true\", or deploy with "
                       "--assume-executable (Flowable's default)", p->id ? p->id : "");
        return;
    }
    if (!p->id || !*p->id)
        ERR(v, p, "an executable process needs an id: instances are started by process id");
    int starts = 0;
    BM_FOR_CHILDREN(v->m, p, c)
        if (c->kind == BM_START_EVENT)
            starts++;
    if (!starts)
        ERR(v, p, "executable process '%s' has no start event", p->id ? p->id : "");
}

void bm_validate(const bm_model *m, bm_diags *d)
{
    vctx v = {m, d, NULL, NULL};
    const bpmn_allocator *a = m->arena.a;
    v.nin = bm_alloc(a, NULL, (m->nelems + 1) * sizeof *v.nin);
    v.nout = bm_alloc(a, NULL, (m->nelems + 1) * sizeof *v.nout);
    if (!v.nin || !v.nout) {
        d->oom = 1;
        goto out;
    }
    memset(v.nin, 0, m->nelems * sizeof *v.nin);
    memset(v.nout, 0, m->nelems * sizeof *v.nout);

    static const bm_kind procs[] = {BM_PROCESS, BM_OTHER};
    for (uint32_t i = 0; i < m->nelems; i++) {
        const bm_elem *e = &m->elems[i];
        /* Flow elements live directly in a process or sub-process; anywhere else (inside a
         * sequence flow, a task, a lane) they are misplaced and never run. */
        if ((is(e, BM_C_FLOW_NODE) || e->kind == BM_SEQUENCE_FLOW) && e->parent >= 0 &&
            !is(&m->elems[e->parent], BM_C_CONTAINER) &&
            (process_of(m, e) || m->elems[e->parent].kind != BM_OTHER)) {
            ERR(&v, e, "a %s cannot be placed inside a %s (line %u)", e->tag,
                m->elems[e->parent].tag, m->elems[e->parent].line);
            continue;
        }
        switch (e->kind) {
        case BM_PROCESS: check_process(&v, e); break;
        case BM_SEQUENCE_FLOW:
            check_sequence_flow(&v, e);
            check_event_based_targets(&v, e);
            break;
        case BM_PARTICIPANT: check_ref(&v, e, "processRef", 0, procs, "a process"); break;
        case BM_MESSAGE_FLOW:
            check_ref(&v, e, "sourceRef", 1, NULL, NULL);
            check_ref(&v, e, "targetRef", 1, NULL, NULL);
            break;
        case BM_ASSOCIATION:
            check_ref(&v, e, "sourceRef", 0, NULL, NULL);
            check_ref(&v, e, "targetRef", 0, NULL, NULL);
            break;
        default:
            if (is(e, BM_C_EVENT_DEF))
                check_event_def_refs(&v, e);
            else if (is(e, BM_C_EVENT))
                check_event(&v, e);
            else if (is(e, BM_C_ACTIVITY))
                check_activity(&v, e);
            else if (is(e, BM_C_GATEWAY))
                check_gateway(&v, e);
            else if (is(e, BM_C_FLOW_NODE) && executable(m, e))
                ERR(&v, e, "choreography element %s cannot be executed in a process", e->tag);
            break;
        }
    }
    for (uint32_t i = 0; i < m->nelems; i++)
        if (is(&m->elems[i], BM_C_FLOW_NODE) && process_of(m, &m->elems[i]))
            check_flow_counts(&v, &m->elems[i]);
out:
    bm_free(a, v.nin);
    bm_free(a, v.nout);
}
