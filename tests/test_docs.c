/*
 * test_docs.c - the documentation cannot drift from the code. docs/elements.md must name every
 * element kind of the model and every attribute and extension element name the source code
 * looks up (tests/docs/source_names.c scans bpmn/ and engine/ for the lookup helpers), name
 * nothing the code does not read, and state each element's status truly (tried on a small
 * diagram). docs/cli.md must have a section with an example for every command of
 * `bpmnrt --help`, mention every option the command parses, and its `$ bpmnrt ...` examples must
 * run, in order, on a fresh store with the exit codes and output the page shows.
 * (docs/embedding.md's program is built and run by tests/docs/CMakeLists.txt.)
 */
#define _DEFAULT_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bpmn/model.h"
#include "docs/doc_text.h"
#include "docs/source_names.h"
#include "test_util.h"

static int missing(const char *what, const char *name)
{
    fprintf(stderr, "\ndocs/elements.md: %s '%s'\n", what, name);
    return 1;
}

/* Every name the code reads is in the page, in the right table, and nothing else is. */
static void test_elements_md_lists_exactly_what_the_code_reads(void)
{
    char *doc = read_doc("docs/elements.md");
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    names n = {0};
    scan_sources(&n);
    for (size_t i = 0; i < n.problems.n; i++)
        fprintf(stderr, "\nscanner: %s\n", n.problems.v[i]);
    CU_ASSERT_EQUAL(n.problems.n, 0);
    /* The scanner must be finding things, or every check below passes vacuously. */
    CU_ASSERT(n.vattr.n >= 20 && n.vext.n >= 10 && n.extattr.n >= 20 && n.battr.n >= 20 &&
              n.btag.n >= 4 && n.extname.n >= 20);
    CU_ASSERT(set_has(&n.vattr, "camunda:assignee") && set_has(&n.vext, "zeebe:taskDefinition") &&
              set_has(&n.extname, "formProperty") && set_has(&n.btag, "humanPerformer"));

    strset el = {0}, ba = {0}, va = {0}, ve = {0}, vx = {0}, all = {0};
    column_tokens(doc, "BPMN elements", 0, &el);
    column_tokens(doc, "BPMN attributes", 0, &ba);
    column_tokens(doc, "Vendor attributes", 0, &va);
    column_tokens(doc, "Vendor extension elements", 0, &ve);
    column_tokens(doc, "Vendor extension elements", 2, &vx);
    backticked(doc, &all);
    int bad = 0;

    /* Element kinds of the model and tags the code compares. */
    strset known_el = {0};
    for (int k = 0; k < BM_OTHER; k++) {
        set_add(&known_el, bm_kind_name((bm_kind)k));
        if (!set_has(&el, bm_kind_name((bm_kind)k)))
            bad += missing("has no row in 'BPMN elements' for the element kind", bm_kind_name((bm_kind)k));
    }
    for (size_t i = 0; i < n.btag.n; i++) {
        set_add(&known_el, n.btag.v[i]);
        if (!set_has(&el, n.btag.v[i]))
            bad += missing("has no row in 'BPMN elements' for the element the code reads", n.btag.v[i]);
    }
    set_add(&known_el, "extensionElements"); /* read by the loader, which sorts vendor content */
    for (size_t i = 0; i < el.n; i++)
        if (!set_has(&known_el, el.v[i]))
            bad += missing("lists an element the code does not know", el.v[i]);

    for (size_t i = 0; i < n.battr.n; i++)
        if (!set_has(&ba, n.battr.v[i]))
            bad += missing("has no row in 'BPMN attributes' for", n.battr.v[i]);
    for (size_t i = 0; i < ba.n; i++)
        if (!set_has(&n.battr, ba.v[i]))
            bad += missing("lists a BPMN attribute the code does not read", ba.v[i]);

    for (size_t i = 0; i < n.vattr.n; i++)
        if (!set_has(&va, n.vattr.v[i]))
            bad += missing("has no row in 'Vendor attributes' for", n.vattr.v[i]);
    for (size_t i = 0; i < va.n; i++)
        if (!set_has(&n.vattr, va.v[i]))
            bad += missing("lists a vendor attribute the code does not read", va.v[i]);

    for (size_t i = 0; i < n.vext.n; i++)
        if (!set_has(&ve, n.vext.v[i]))
            bad += missing("has no row in 'Vendor extension elements' for", n.vext.v[i]);
    for (size_t i = 0; i < n.extname.n; i++) {
        int found = 0;
        for (size_t j = 0; j < ve.n && !found; j++) {
            const char *c = strchr(ve.v[j], ':');
            found = c && strcmp(c + 1, n.extname.v[i]) == 0;
        }
        if (!found)
            bad += missing("names no vendor extension element called", n.extname.v[i]);
    }
    for (size_t i = 0; i < n.extattr.n; i++)
        if (!set_has(&vx, n.extattr.v[i]))
            bad += missing("lists under no extension element the attribute", n.extattr.v[i]);
    for (size_t i = 0; i < vx.n; i++)
        if (!set_has(&n.extattr, vx.v[i]))
            bad += missing("lists an extension attribute the code does not read", vx.v[i]);

    /* Any vendor name anywhere on the page must be one the code reads. */
    static const char *const vendors[] = {"camunda:", "zeebe:", "flowable:", "activiti:"};
    for (size_t i = 0; i < all.n; i++) {
        const char *t = all.v[i];
        int vendor = 0;
        for (size_t v = 0; v < 4; v++)
            vendor |= strncmp(t, vendors[v], strlen(vendors[v])) == 0;
        size_t sp = strcspn(t, " =\"");
        if (!vendor || t[sp] || t[strlen(t) - 1] == ':')
            continue; /* an example with a value, or not a vendor name */
        const char *local = strchr(t, ':') + 1;
        if (!set_has(&n.vattr, t) && !set_has(&n.vext, t) && !set_has(&n.extname, local))
            bad += missing("mentions a vendor name the code does not read", t);
    }
    CU_ASSERT_EQUAL(bad, 0);
    set_free(&el);
    set_free(&ba);
    set_free(&va);
    set_free(&ve);
    set_free(&vx);
    set_free(&all);
    set_free(&known_el);
    names_free(&n);
    free(doc);
}

/* ---- the status column, tried on diagrams -------------------------------------------------- */

/* A minimal diagram using each element: root holds root elements, body the executable process
 * "p"; id is the element the diagnostic must name when the status is "validation error". */
static const struct {
    const char *element, *root, *body, *id;
} uses[] = {
#define FLOW "<bpmn:startEvent id='s'/><bpmn:sequenceFlow id='f1' sourceRef='s' targetRef='X'/>" \
             "<bpmn:sequenceFlow id='f2' sourceRef='X' targetRef='e'/><bpmn:endEvent id='e'/>"
#define SE "<bpmn:startEvent id='s'/><bpmn:sequenceFlow id='f0' sourceRef='s' targetRef='e'/>" \
           "<bpmn:endEvent id='e'/>"
    {"definitions", "", SE, NULL},
    {"process", "", SE, NULL},
    {"collaboration", "<bpmn:collaboration id='X'><bpmn:participant id='P' processRef='p'/>"
                      "</bpmn:collaboration>", SE, NULL},
    {"participant", "<bpmn:collaboration id='C'><bpmn:participant id='X' processRef='p'/>"
                    "</bpmn:collaboration>", SE, NULL},
    {"messageFlow", "<bpmn:collaboration id='C'><bpmn:participant id='P' processRef='p'/>"
                    "<bpmn:participant id='Q'/><bpmn:messageFlow id='X' sourceRef='Q' targetRef='s'/>"
                    "</bpmn:collaboration>", SE, NULL},
    {"message", "<bpmn:message id='X' name='m'/>", SE, NULL},
    {"signal", "<bpmn:signal id='X' name='sig'/>", SE, NULL},
    {"error", "<bpmn:error id='X' errorCode='E1'/>", SE, NULL},
    {"escalation", "<bpmn:escalation id='X' escalationCode='ESC'/>", SE, NULL},
    {"sequenceFlow", "", SE, NULL},
    {"conditionExpression", "", "<bpmn:startEvent id='s'/><bpmn:sequenceFlow id='f0' sourceRef='s' targetRef='X'/>"
        "<bpmn:exclusiveGateway id='X' default='f2'/><bpmn:sequenceFlow id='f1' sourceRef='X' targetRef='e'>"
        "<bpmn:conditionExpression>=a &gt; 1</bpmn:conditionExpression></bpmn:sequenceFlow>"
        "<bpmn:sequenceFlow id='f2' sourceRef='X' targetRef='e'/><bpmn:endEvent id='e'/>", NULL},
    {"startEvent", "", SE, NULL},
    {"endEvent", "", SE, NULL},
    {"intermediateCatchEvent", "", FLOW "<bpmn:intermediateCatchEvent id='X'><bpmn:timerEventDefinition>"
        "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>", NULL},
    {"intermediateThrowEvent", "", FLOW "<bpmn:intermediateThrowEvent id='X'/>", NULL},
    {"boundaryEvent", "", FLOW "<bpmn:userTask id='X'/><bpmn:boundaryEvent id='B' attachedToRef='X'>"
        "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
        "</bpmn:boundaryEvent><bpmn:sequenceFlow id='f3' sourceRef='B' targetRef='e'/>", NULL},
    {"implicitThrowEvent", "", FLOW "<bpmn:implicitThrowEvent id='X'/>", "X"},
    {"messageEventDefinition", "<bpmn:message id='M' name='m'/>", FLOW "<bpmn:intermediateCatchEvent id='X'>"
        "<bpmn:messageEventDefinition messageRef='M'/></bpmn:intermediateCatchEvent>", NULL},
    {"timerEventDefinition", "", FLOW "<bpmn:intermediateCatchEvent id='X'><bpmn:timerEventDefinition>"
        "<bpmn:timeDate>2026-03-01T09:00:00Z</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>", NULL},
    {"errorEventDefinition", "<bpmn:error id='Err' errorCode='E1'/>", FLOW "<bpmn:serviceTask id='X'/>"
        "<bpmn:boundaryEvent id='B' attachedToRef='X'><bpmn:errorEventDefinition errorRef='Err'/></bpmn:boundaryEvent>"
        "<bpmn:sequenceFlow id='f3' sourceRef='B' targetRef='e2'/><bpmn:endEvent id='e2'>"
        "<bpmn:errorEventDefinition errorRef='Err'/></bpmn:endEvent>", NULL},
    {"escalationEventDefinition", "<bpmn:escalation id='Esc' escalationCode='ESC'/>", FLOW
        "<bpmn:intermediateThrowEvent id='X'><bpmn:escalationEventDefinition escalationRef='Esc'/>"
        "</bpmn:intermediateThrowEvent>", NULL},
    {"signalEventDefinition", "<bpmn:signal id='Sig' name='go'/>", FLOW "<bpmn:intermediateCatchEvent id='X'>"
        "<bpmn:signalEventDefinition signalRef='Sig'/></bpmn:intermediateCatchEvent>", NULL},
    {"conditionalEventDefinition", "", FLOW "<bpmn:intermediateCatchEvent id='X'><bpmn:conditionalEventDefinition>"
        "<bpmn:condition>=ready</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>", NULL},
    {"compensateEventDefinition", "", FLOW "<bpmn:intermediateThrowEvent id='X'>"
        "<bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent>", NULL},
    {"cancelEventDefinition", "", FLOW "<bpmn:transaction id='X'><bpmn:startEvent id='ts'/>"
        "<bpmn:sequenceFlow id='t1' sourceRef='ts' targetRef='te'/><bpmn:endEvent id='te'>"
        "<bpmn:cancelEventDefinition/></bpmn:endEvent></bpmn:transaction>"
        "<bpmn:boundaryEvent id='B' attachedToRef='X'><bpmn:cancelEventDefinition/></bpmn:boundaryEvent>"
        "<bpmn:sequenceFlow id='f3' sourceRef='B' targetRef='e'/>", NULL},
    {"linkEventDefinition", "", FLOW "<bpmn:intermediateThrowEvent id='X'><bpmn:linkEventDefinition name='L'/>"
        "</bpmn:intermediateThrowEvent><bpmn:intermediateCatchEvent id='C'><bpmn:linkEventDefinition name='L'/>"
        "</bpmn:intermediateCatchEvent><bpmn:sequenceFlow id='f3' sourceRef='C' targetRef='e'/>", NULL},
    {"terminateEventDefinition", "", "<bpmn:startEvent id='s'/><bpmn:sequenceFlow id='f0' sourceRef='s' "
        "targetRef='X'/><bpmn:endEvent id='X'><bpmn:terminateEventDefinition/></bpmn:endEvent>", NULL},
    {"timeDate", "", FLOW "<bpmn:intermediateCatchEvent id='X'><bpmn:timerEventDefinition>"
        "<bpmn:timeDate>2026-03-01T09:00:00+03:00</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>", NULL},
    {"timeDuration", "", FLOW "<bpmn:intermediateCatchEvent id='X'><bpmn:timerEventDefinition>"
        "<bpmn:timeDuration>P1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>", NULL},
    {"timeCycle", "", FLOW "<bpmn:intermediateCatchEvent id='X'><bpmn:timerEventDefinition>"
        "<bpmn:timeCycle>0 0 9 ? * MON-FRI</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>", NULL},
    {"condition", "", FLOW "<bpmn:intermediateCatchEvent id='X'><bpmn:conditionalEventDefinition>"
        "<bpmn:condition>${amount > 100}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>", NULL},
    {"task", "", FLOW "<bpmn:task id='X'/>", NULL},
    {"userTask", "", FLOW "<bpmn:userTask id='X'/>", NULL},
    {"manualTask", "", FLOW "<bpmn:manualTask id='X'/>", NULL},
    {"scriptTask", "", FLOW "<bpmn:scriptTask id='X' scriptFormat='feel'><bpmn:script>=1 + 1</bpmn:script>"
        "</bpmn:scriptTask>", NULL},
    {"serviceTask", "", FLOW "<bpmn:serviceTask id='X'/>", NULL},
    {"sendTask", "", FLOW "<bpmn:sendTask id='X'/>", NULL},
    {"receiveTask", "<bpmn:message id='M' name='m'/>", FLOW "<bpmn:receiveTask id='X' messageRef='M'/>", NULL},
    {"businessRuleTask", "", FLOW "<bpmn:businessRuleTask id='X'/>", NULL},
    {"script", "", FLOW "<bpmn:scriptTask id='X' scriptFormat='feel'><bpmn:script>=a</bpmn:script></bpmn:scriptTask>", NULL},
    {"subProcess", "", FLOW "<bpmn:subProcess id='X'><bpmn:task id='t'/></bpmn:subProcess>", NULL},
    {"transaction", "", FLOW "<bpmn:transaction id='X'><bpmn:task id='t'/></bpmn:transaction>", NULL},
    {"adHocSubProcess", "", FLOW "<bpmn:adHocSubProcess id='X'><bpmn:task id='t'/></bpmn:adHocSubProcess>", "X"},
    {"callActivity", "", FLOW "<bpmn:callActivity id='X' calledElement='other'/>", NULL},
    {"exclusiveGateway", "", FLOW "<bpmn:exclusiveGateway id='X'/>", NULL},
    {"parallelGateway", "", FLOW "<bpmn:parallelGateway id='X'/>", NULL},
    {"inclusiveGateway", "", FLOW "<bpmn:inclusiveGateway id='X'/>", NULL},
    {"eventBasedGateway", "", "<bpmn:startEvent id='s'/><bpmn:sequenceFlow id='f0' sourceRef='s' targetRef='X'/>"
        "<bpmn:eventBasedGateway id='X'/><bpmn:sequenceFlow id='f1' sourceRef='X' targetRef='c'/>"
        "<bpmn:intermediateCatchEvent id='c'><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H"
        "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        "<bpmn:sequenceFlow id='f2' sourceRef='c' targetRef='e'/><bpmn:endEvent id='e'/>", NULL},
    {"complexGateway", "", FLOW "<bpmn:complexGateway id='X'/>", "X"},
    {"choreographyTask", "", FLOW "<bpmn:choreographyTask id='X'/>", "X"},
    {"subChoreography", "", FLOW "<bpmn:subChoreography id='X'/>", "X"},
    {"callChoreography", "", FLOW "<bpmn:callChoreography id='X'/>", "X"},
    {"standardLoopCharacteristics", "", FLOW "<bpmn:task id='X'><bpmn:standardLoopCharacteristics "
        "testBefore='true' loopMaximum='3'><bpmn:loopCondition>=n &lt; 3</bpmn:loopCondition>"
        "</bpmn:standardLoopCharacteristics></bpmn:task>", NULL},
    {"multiInstanceLoopCharacteristics", "", FLOW "<bpmn:userTask id='X'><bpmn:multiInstanceLoopCharacteristics "
        "isSequential='true'><bpmn:loopCardinality>3</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>", NULL},
    {"loopCardinality", "", FLOW "<bpmn:task id='X'><bpmn:multiInstanceLoopCharacteristics>"
        "<bpmn:loopCardinality>=n</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:task>", NULL},
    {"completionCondition", "", FLOW "<bpmn:task id='X'><bpmn:multiInstanceLoopCharacteristics>"
        "<bpmn:loopCardinality>3</bpmn:loopCardinality><bpmn:completionCondition>=done"
        "</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics></bpmn:task>", NULL},
    {"loopCondition", "", FLOW "<bpmn:task id='X'><bpmn:standardLoopCharacteristics><bpmn:loopCondition>"
        "${n &lt; 3}</bpmn:loopCondition></bpmn:standardLoopCharacteristics></bpmn:task>", NULL},
    {"laneSet", "", SE "<bpmn:laneSet id='X'><bpmn:lane id='L'><bpmn:flowNodeRef>s</bpmn:flowNodeRef>"
        "</bpmn:lane></bpmn:laneSet>", NULL},
    {"lane", "", SE "<bpmn:laneSet id='LS'><bpmn:lane id='X' name='Sales'><bpmn:flowNodeRef>s"
        "</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>", NULL},
    {"dataObject", "", SE "<bpmn:dataObject id='X'/>", NULL},
    {"dataObjectReference", "", SE "<bpmn:dataObject id='D'/><bpmn:dataObjectReference id='X' dataObjectRef='D'/>", NULL},
    {"dataStoreReference", "", SE "<bpmn:dataStoreReference id='X'/>", NULL},
    {"association", "", SE "<bpmn:textAnnotation id='T'><bpmn:text>note</bpmn:text></bpmn:textAnnotation>"
        "<bpmn:association id='X' sourceRef='s' targetRef='T'/>", NULL},
    {"textAnnotation", "", SE "<bpmn:textAnnotation id='X'><bpmn:text>note</bpmn:text></bpmn:textAnnotation>", NULL},
    {"group", "", SE "<bpmn:group id='X'/>", NULL},
    {"documentation", "", SE "<bpmn:documentation>What this process is for.</bpmn:documentation>", NULL},
    {"incoming", "", "<bpmn:startEvent id='s'><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>"
        "<bpmn:sequenceFlow id='f0' sourceRef='s' targetRef='e'/><bpmn:endEvent id='e'>"
        "<bpmn:incoming>f0</bpmn:incoming></bpmn:endEvent>", NULL},
    {"outgoing", "", "<bpmn:startEvent id='s'><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>"
        "<bpmn:sequenceFlow id='f0' sourceRef='s' targetRef='e'/><bpmn:endEvent id='e'/>", NULL},
    {"humanPerformer", "", FLOW "<bpmn:userTask id='X'><bpmn:humanPerformer><bpmn:resourceAssignmentExpression>"
        "<bpmn:formalExpression>anna</bpmn:formalExpression></bpmn:resourceAssignmentExpression>"
        "</bpmn:humanPerformer></bpmn:userTask>", NULL},
    {"potentialOwner", "", FLOW "<bpmn:userTask id='X'><bpmn:potentialOwner><bpmn:resourceAssignmentExpression>"
        "<bpmn:formalExpression>user(anna), group(sales)</bpmn:formalExpression>"
        "</bpmn:resourceAssignmentExpression></bpmn:potentialOwner></bpmn:userTask>", NULL},
    {"resourceAssignmentExpression", "", FLOW "<bpmn:userTask id='X'><bpmn:potentialOwner>"
        "<bpmn:resourceAssignmentExpression><bpmn:formalExpression>sales</bpmn:formalExpression>"
        "</bpmn:resourceAssignmentExpression></bpmn:potentialOwner></bpmn:userTask>", NULL},
    {"formalExpression", "", FLOW "<bpmn:userTask id='X'><bpmn:humanPerformer><bpmn:resourceAssignmentExpression>"
        "<bpmn:formalExpression>${owner}</bpmn:formalExpression></bpmn:resourceAssignmentExpression>"
        "</bpmn:humanPerformer></bpmn:userTask>", NULL},
    {"expression", "", FLOW "<bpmn:userTask id='X'><bpmn:humanPerformer><bpmn:resourceAssignmentExpression>"
        "<bpmn:expression>anna</bpmn:expression></bpmn:resourceAssignmentExpression>"
        "</bpmn:humanPerformer></bpmn:userTask>", NULL},
    {"eventDefinitionRef", "<bpmn:signal id='Sig' name='go'/><bpmn:signalEventDefinition id='SD' signalRef='Sig'/>",
        FLOW "<bpmn:intermediateCatchEvent id='X'><bpmn:eventDefinitionRef>SD</bpmn:eventDefinitionRef>"
        "</bpmn:intermediateCatchEvent>", NULL},
    {"extensionElements", "", FLOW "<bpmn:userTask id='X'><bpmn:extensionElements><zeebe:assignmentDefinition "
        "assignee='anna'/></bpmn:extensionElements></bpmn:userTask>", NULL},
#undef FLOW
#undef SE
};

static char *diagram(const char *root, const char *body)
{
    static const char head[] =
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        "<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL' "
        "xmlns:camunda='http://camunda.org/schema/1.0/bpmn' "
        "xmlns:zeebe='http://camunda.org/schema/zeebe/1.0' "
        "xmlns:flowable='http://flowable.org/bpmn' xmlns:activiti='http://activiti.org/bpmn' "
        "id='defs'>\n";
    size_t n = sizeof head + strlen(root) + strlen(body) + 128;
    char *s = malloc(n);
    if (!s)
        abort();
    snprintf(s, n, "%s%s<bpmn:process id='p' isExecutable='true'>%s</bpmn:process>"
                   "</bpmn:definitions>\n", head, root, body);
    return s;
}

/* Each element row's status holds on a diagram that uses the element. */
static void test_elements_md_status_column_is_true(void)
{
    char *doc = read_doc("docs/elements.md");
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    char *sec = section(doc, "BPMN elements");
    strset names_ = {0}, status = {0};
    int bad = 0, rows = 0;
    for (const char *l = strstr(sec, "\n| `"); l; l = strstr(l + 1, "\n| `")) {
        char name[128], st[64];
        if (sscanf(l, "\n| `%127[^`]` | %63[^|]|", name, st) != 2)
            continue;
        for (size_t k = strlen(st); k > 0 && st[k - 1] == ' '; k--)
            st[k - 1] = '\0';
        rows++;
        size_t u = 0;
        while (u < sizeof uses / sizeof uses[0] && strcmp(uses[u].element, name) != 0)
            u++;
        if (u == sizeof uses / sizeof uses[0]) {
            bad += missing("element row has no diagram in test_docs.c to check it:", name);
            continue;
        }
        char tag[160];
        snprintf(tag, sizeof tag, "<bpmn:%s", name);
        char *xml = diagram(uses[u].root, uses[u].body);
        CU_ASSERT(strstr(xml, tag) != NULL); /* the diagram really uses the element */
        bpmn_report *r = tu_validate(xml);
        int is_error = strcmp(st, "validation error") == 0;
        int ok_status = strcmp(st, "supported") == 0 || strcmp(st, "ignored") == 0;
        if (!is_error && !ok_status) {
            bad += missing("has an unknown status for", name);
        } else if (is_error != (uses[u].id != NULL)) {
            fprintf(stderr, "\ndocs/elements.md: '%s' is '%s', but test_docs.c expects %s\n",
                    name, st, uses[u].id ? "a validation error" : "no error");
            bad++;
        } else if (is_error && tu_find(r, BPMN_SEV_ERROR, uses[u].id, "") < 0) {
            fprintf(stderr, "\ndocs/elements.md: '%s' is 'validation error', but validating a "
                            "diagram with it gives no error naming '%s':\n", name, uses[u].id);
            tu_dump(r);
            bad++;
        } else if (!is_error && bpmn_report_errors(r) != 0) {
            fprintf(stderr, "\ndocs/elements.md: '%s' is '%s', but a diagram with it does not "
                            "validate:\n", name, st);
            tu_dump(r);
            bad++;
        }
        bpmn_report_free(r);
        free(xml);
    }
    CU_ASSERT(rows >= BM_OTHER);
    CU_ASSERT_EQUAL(bad, 0);
    set_free(&names_);
    set_free(&status);
    free(sec);
    free(doc);
}

/* A "warning" row of the vendor tables holds: on a service task the name gives a warning
 * naming the task and no error; a vendor attribute on a plain task is a validation error. */
static void test_elements_md_vendor_warnings_are_true(void)
{
    char *doc = read_doc("docs/elements.md");
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    static char rows[64][6][512];
    int bad = 0, tried = 0;
    for (int t = 0; t < 2; t++) {
        int ext = t == 1;
        int n = table_rows(doc, ext ? "Vendor extension elements" : "Vendor attributes", rows, 64);
        CU_ASSERT(n >= 15);
        for (int i = 0; i < n; i++) {
            if (strcmp(rows[i][ext ? 3 : 2], "warning") != 0)
                continue;
            strset toks = {0};
            backticked(rows[i][0], &toks);
            for (size_t k = 0; k < toks.n; k++) {
                char body[1024];
                const char *nm = toks.v[k];
                if (ext)
                    snprintf(body, sizeof body, "<bpmn:startEvent id='s'/><bpmn:sequenceFlow "
                             "id='f1' sourceRef='s' targetRef='X'/><bpmn:serviceTask id='X'>"
                             "<bpmn:extensionElements><%s/></bpmn:extensionElements>"
                             "</bpmn:serviceTask><bpmn:sequenceFlow id='f2' sourceRef='X' "
                             "targetRef='e'/><bpmn:endEvent id='e'/>", nm);
                else
                    snprintf(body, sizeof body, "<bpmn:startEvent id='s'/><bpmn:sequenceFlow "
                             "id='f1' sourceRef='s' targetRef='X'/><bpmn:serviceTask id='X' "
                             "%s='com.example.Code'/><bpmn:sequenceFlow id='f2' sourceRef='X' "
                             "targetRef='T'/><bpmn:task id='T' %s='com.example.Code'/>"
                             "<bpmn:sequenceFlow id='f3' sourceRef='T' targetRef='e'/>"
                             "<bpmn:endEvent id='e'/>", nm, nm);
                char *xml = diagram("", body);
                bpmn_report *r = tu_validate(xml);
                tried++;
                int warned = tu_find(r, BPMN_SEV_WARNING, "X", "") >= 0;
                int err_x = tu_find(r, BPMN_SEV_ERROR, "X", "") >= 0;
                int err_t = tu_find(r, BPMN_SEV_ERROR, "T", "") >= 0;
                if (!warned || err_x || (!ext && !err_t)) {
                    fprintf(stderr, "\ndocs/elements.md: '%s' is 'warning', but on a service "
                                    "task it gives %s%s:\n", nm,
                            !warned || err_x ? "no warning or an error" : "a warning",
                            !ext && !err_t ? " and on a task no error" : "");
                    tu_dump(r);
                    bad++;
                }
                bpmn_report_free(r);
                free(xml);
            }
            set_free(&toks);
        }
    }
    CU_ASSERT(tried >= 10);
    CU_ASSERT_EQUAL(bad, 0);
    free(doc);
}

/* ---- docs/cli.md ------------------------------------------------------------------------ */

/* Whether doc mentions option opt as a whole word (so "--to" is not found in "--to-version"). */
static int mentions_option(const char *doc, const char *opt)
{
    size_t n = strlen(opt);
    for (const char *p = strstr(doc, opt); p; p = strstr(p + 1, opt))
        if (!isalnum((unsigned char)p[n]) && p[n] != '-' && (p == doc || p[-1] != '-'))
            return 1;
    return 0;
}

/* Every command of `bpmnrt --help` has a "### `name`" section with a `$ bpmnrt ... name` example,
 * and every option the help text or the command's source names is mentioned. */
static void test_cli_md_covers_every_command_and_option(void)
{
    char *doc = read_doc("docs/cli.md");
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    char *args[] = {"--help", NULL};
    char *out, *err;
    CU_ASSERT_EQUAL_FATAL(tu_cli(args, &out, &err), 0);
    strset cmds = {0}, opts = {0};
    for (const char *l = out; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (l[0] == ' ' && l[1] == ' ' && isalpha((unsigned char)l[2]))
            set_addn(&cmds, l + 2, strcspn(l + 2, " \n"));
    }
    for (const char *p = strstr(out, "--"); p; p = strstr(p + 2, "--"))
        if (isalpha((unsigned char)p[2]))
            set_addn(&opts, p, 2 + strspn(p + 2, "abcdefghijklmnopqrstuvwxyz-"));
    /* Options the command parses, including ones its help line leaves out. */
    static const char *const files[] = {"cli/main.c", "cli/cmd_engine.c", "cli/cmd_events.c",
                                        "cli/cmd_validate.c"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char *src = read_doc(files[f]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(src);
        for (const char *p = strstr(src, "\"--"); p; p = strstr(p + 3, "\"--"))
            if (isalpha((unsigned char)p[3]))
                set_addn(&opts, p + 1, 2 + strspn(p + 3, "abcdefghijklmnopqrstuvwxyz-"));
        free(src);
    }
    CU_ASSERT(cmds.n >= 25);
    CU_ASSERT(set_has(&cmds, "validate") && set_has(&cmds, "serve") && set_has(&opts, "--csv"));
    int bad = 0;
    for (size_t i = 0; i < cmds.n; i++) {
        char head[128];
        snprintf(head, sizeof head, "\n### `%s`\n", cmds.v[i]);
        const char *sec = strstr(doc, head);
        if (!sec) {
            fprintf(stderr, "\ndocs/cli.md: no section '### `%s`'\n", cmds.v[i]);
            bad++;
            continue;
        }
        const char *end = strstr(sec + 1, "\n### ");
        char *text = strndup(sec, end ? (size_t)(end - sec) : strlen(sec));
        int example = 0;
        for (const char *l = strstr(text, "\n$ "); l && !example; l = strstr(l + 1, "\n$ ")) {
            const char *b = strstr(l, "bpmnrt ");
            const char *eol = strchr(l + 1, '\n');
            if (!b || (eol && b > eol))
                continue;
            /* the command word: the first word after bpmnrt that is not a global option */
            const char *w = b + 7;
            while (*w == '-') {
                w += strcspn(w, " ");
                w += strspn(w, " ");
                if (strncmp(w - 1, " ", 1) == 0 && *w != '-') {
                    w += strcspn(w, " ");
                    w += strspn(w, " ");
                }
            }
            example = strncmp(w, cmds.v[i], strlen(cmds.v[i])) == 0 &&
                      (w[strlen(cmds.v[i])] == ' ' || w[strlen(cmds.v[i])] == '\n');
        }
        if (!example) {
            fprintf(stderr, "\ndocs/cli.md: section '%s' has no '$ bpmnrt %s ...' example\n",
                    cmds.v[i], cmds.v[i]);
            bad++;
        }
        free(text);
    }
    for (size_t i = 0; i < opts.n; i++)
        if (!mentions_option(doc, opts.v[i])) {
            fprintf(stderr, "\ndocs/cli.md: option %s is not mentioned\n", opts.v[i]);
            bad++;
        }
    CU_ASSERT_EQUAL(bad, 0);
    set_free(&cmds);
    set_free(&opts);
    free(out);
    free(err);
    free(doc);
}

/* Whether every member the page shows is in the actual output with the same value (new
 * members in the output are fine; the page shows the shape). */
static int json_covers(const cJSON *actual, const cJSON *shown)
{
    if (cJSON_IsObject(shown)) {
        if (!cJSON_IsObject(actual))
            return 0;
        const cJSON *m;
        cJSON_ArrayForEach(m, shown)
            if (!json_covers(cJSON_GetObjectItemCaseSensitive(actual, m->string), m))
                return 0;
        return 1;
    }
    if (cJSON_IsArray(shown)) {
        if (!cJSON_IsArray(actual) || cJSON_GetArraySize(actual) != cJSON_GetArraySize(shown))
            return 0;
        for (int i = 0; i < cJSON_GetArraySize(shown); i++)
            if (!json_covers(cJSON_GetArrayItem(actual, i), cJSON_GetArrayItem(shown, i)))
                return 0;
        return 1;
    }
    return actual && cJSON_Compare(actual, shown, 1);
}

static char *slurp(const char *path)
{
    size_t len;
    char *s = tu_read_file(path, &len);
    return s ? s : strdup("");
}

/* The lines of the page's ```sh blocks that start with "$ ", run with sh in a fresh directory
 * (where the page's ```xml file=NAME blocks are written first) against ./bpmnrt.db; each must
 * exit as its "# exit N" comment says (0 without one), and show the output the page shows:
 * JSON lines as a subset of the JSON printed, other lines (without "...") within stdout or
 * stderr. */
static void test_cli_md_examples_run_as_shown(void)
{
    char *doc = read_doc("docs/cli.md");
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    char dir[] = "/tmp/bpmnrt-docs-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    /* The files first. */
    for (const char *p = strstr(doc, "```xml file="); p; p = strstr(p + 1, "```xml file=")) {
        char name[128], path[512];
        if (sscanf(p, "```xml file=%127s", name) != 1)
            continue;
        const char *body = strchr(p, '\n') + 1, *end = strstr(body, "\n```");
        CU_ASSERT_PTR_NOT_NULL_FATAL(end);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        FILE *f = fopen(path, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fwrite(body, 1, (size_t)(end - body) + 1, f);
        fclose(f);
    }
    int ran = 0, bad = 0;
    for (const char *blk = strstr(doc, "```sh\n"); blk; blk = strstr(blk + 1, "```sh\n")) {
        const char *end = strstr(blk + 6, "\n```");
        CU_ASSERT_PTR_NOT_NULL_FATAL(end);
        char *text = strndup(blk + 6, (size_t)(end - blk - 6) + 1);
        char *stdout_s = NULL, *stderr_s = NULL;
        char *line = text, *cmdline = NULL;
        while (line && *line) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            if (strncmp(line, "$ ", 2) == 0) {
                cmdline = line + 2;
                int expect = 0;
                char *hash = strstr(cmdline, "# exit ");
                if (hash)
                    expect = atoi(hash + 7);
                /* the command with "bpmnrt" as a word replaced by the built binary and
                 * "samples/" by the source tree's samples */
                char cmd[8192];
                size_t k = 0;
                k += (size_t)snprintf(cmd, sizeof cmd, "cd '%s' && unset BPMNRT_DB && (", dir);
                for (const char *c = cmdline; *c && (!hash || c < hash) && k < sizeof cmd - 600;) {
                    int word_start = c == cmdline || c[-1] == ' ';
                    if (word_start && strncmp(c, "bpmnrt ", 7) == 0) {
                        k += (size_t)snprintf(cmd + k, sizeof cmd - k, "'%s' ", BPMNRT_BIN);
                        c += 7;
                    } else if (word_start && strncmp(c, "samples/", 8) == 0) {
                        k += (size_t)snprintf(cmd + k, sizeof cmd - k, "'%s'/samples/",
                                              BPMNRT_SOURCE_DIR);
                        c += 8;
                    } else {
                        cmd[k++] = *c++;
                    }
                }
                cmd[k] = '\0';
                snprintf(cmd + k, sizeof cmd - k, ") >'%s/.out' 2>'%s/.err'", dir, dir);
                int st = system(cmd);
                int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
                free(stdout_s);
                free(stderr_s);
                char path[512];
                snprintf(path, sizeof path, "%s/.out", dir);
                stdout_s = slurp(path);
                snprintf(path, sizeof path, "%s/.err", dir);
                stderr_s = slurp(path);
                ran++;
                if (rc != expect) {
                    fprintf(stderr, "\ndocs/cli.md: '%s' exits %d, the page says %d\nstdout: %s"
                                    "\nstderr: %s\n", cmdline, rc, expect, stdout_s, stderr_s);
                    bad++;
                }
                if (strstr(cmdline, "--json") && rc == 0 && !strstr(cmdline, "export")) {
                    cJSON *j = cJSON_Parse(stdout_s);
                    if (!j) {
                        fprintf(stderr, "\ndocs/cli.md: '%s' prints no JSON: %s\n", cmdline,
                                stdout_s);
                        bad++;
                    }
                    cJSON_Delete(j);
                }
            } else if (cmdline && *line && !strstr(line, "...")) {
                cJSON *shown = *line == '{' || *line == '[' ? cJSON_Parse(line) : NULL;
                if (shown) {
                    cJSON *actual = cJSON_Parse(stdout_s);
                    if (!json_covers(actual, shown)) {
                        fprintf(stderr, "\ndocs/cli.md: after '%s' the page shows\n%s\nbut the "
                                        "command printed\n%s\n", cmdline, line, stdout_s);
                        bad++;
                    }
                    cJSON_Delete(shown);
                    cJSON_Delete(actual);
                } else if (!strstr(stdout_s, line) && !strstr(stderr_s, line)) {
                    fprintf(stderr, "\ndocs/cli.md: after '%s' the page shows\n%s\nbut the "
                                    "command printed\n%s%s\n", cmdline, line, stdout_s, stderr_s);
                    bad++;
                }
            }
            line = nl ? nl + 1 : NULL;
        }
        free(stdout_s);
        free(stderr_s);
        free(text);
    }
    CU_ASSERT(ran >= 40);
    CU_ASSERT_EQUAL(bad, 0);
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    CU_ASSERT_EQUAL(system(rm), 0);
    free(doc);
}

int main(void)
{
    static const tu_case cases[] = {
        {"elements_md_lists_exactly_what_the_code_reads",
         test_elements_md_lists_exactly_what_the_code_reads},
        {"elements_md_status_column_is_true", test_elements_md_status_column_is_true},
        {"elements_md_vendor_warnings_are_true", test_elements_md_vendor_warnings_are_true},
        {"cli_md_covers_every_command_and_option", test_cli_md_covers_every_command_and_option},
        {"cli_md_examples_run_as_shown", test_cli_md_examples_run_as_shown},
        {NULL, NULL},
    };
    return tu_run("docs", cases);
}
