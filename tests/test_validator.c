/*
 * test_validator.c - one pass collects every problem, each naming its line and element.
 */
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

static bpmn_report *check(const char *attrs, const char *body)
{
    char *xml = tu_process(attrs, body);
    bpmn_report *r = tu_validate(xml);
    free(xml);
    return r;
}

#define EXEC "isExecutable=\"true\""
#define START "<bpmn:startEvent id=\"s\"/>\n"
#define END "<bpmn:endEvent id=\"e\"/>\n"
#define FLOW(id, a, b) "<bpmn:sequenceFlow id=\"" id "\" sourceRef=\"" a "\" targetRef=\"" b "\"/>\n"

static void test_valid_process_has_no_diagnostics(void)
{
    bpmn_report *r = check(EXEC, START FLOW("f1", "s", "t") "<bpmn:task id=\"t\"/>\n"
                                 FLOW("f2", "t", "e") END);
    if (bpmn_report_count(r))
        tu_dump(r);
    CU_ASSERT_EQUAL(bpmn_report_count(r), 0);
    CU_ASSERT_EQUAL(bpmn_report_processes(r), 1);
    bpmn_report_free(r);
}

static void test_multi_instance_without_cardinality_or_collection_is_an_error(void)
{
    bpmn_report *r = check(EXEC, START FLOW("f1", "s", "t")
                           "<bpmn:task id=\"t\"><bpmn:multiInstanceLoopCharacteristics/></bpmn:task>\n"
                           FLOW("f2", "t", "e") END);
    TU_HAS(r, BPMN_SEV_ERROR, "t", "without loopCardinality or an input collection");
    bpmn_report_free(r);
    r = check(EXEC, START FLOW("f1", "s", "t")
              "<bpmn:task id=\"t\"><bpmn:multiInstanceLoopCharacteristics>"
              "<bpmn:loopCardinality>3</bpmn:loopCardinality>"
              "</bpmn:multiInstanceLoopCharacteristics></bpmn:task>\n" FLOW("f2", "t", "e") END);
    CU_ASSERT_EQUAL(bpmn_report_errors(r), 0);
    bpmn_report_free(r);
}

static void test_duplicate_ids_name_both_lines(void)
{
    bpmn_report *r = check(EXEC, START FLOW("f1", "s", "t") "<bpmn:task id=\"t\"/>\n"
                                 "<bpmn:task id=\"t\"/>\n" FLOW("f2", "t", "e") END);
    int i = tu_find(r, BPMN_SEV_ERROR, "t", "duplicate id 't' (also used by the task at line 6)");
    CU_ASSERT(i >= 0);
    if (i >= 0)
        CU_ASSERT_EQUAL(bpmn_report_get(r, (size_t)i)->line, 7);
    bpmn_report_free(r);
}

static void test_dangling_references_are_errors(void)
{
    bpmn_report *r = check(
        EXEC,
        START FLOW("f1", "s", "nowhere") FLOW("f2", "ghost", "e") END
        "<bpmn:exclusiveGateway id=\"g\" default=\"missing\"/>\n"
        "<bpmn:boundaryEvent id=\"b\" attachedToRef=\"noTask\">"
        "<bpmn:errorEventDefinition errorRef=\"noError\"/></bpmn:boundaryEvent>\n"
        "<bpmn:intermediateCatchEvent id=\"m\"><bpmn:messageEventDefinition id=\"md\" "
        "messageRef=\"noMsg\"/></bpmn:intermediateCatchEvent>\n"
        "<bpmn:intermediateThrowEvent id=\"sg\"><bpmn:signalEventDefinition id=\"sd\" "
        "signalRef=\"noSig\"/></bpmn:intermediateThrowEvent>\n"
        "<bpmn:intermediateThrowEvent id=\"es\"><bpmn:escalationEventDefinition id=\"ed\" "
        "escalationRef=\"noEsc\"/></bpmn:intermediateThrowEvent>\n");
    TU_HAS(r, BPMN_SEV_ERROR, "f1", "targetRef 'nowhere' does not name any element");
    TU_HAS(r, BPMN_SEV_ERROR, "f2", "sourceRef 'ghost' does not name any element");
    TU_HAS(r, BPMN_SEV_ERROR, "g", "default 'missing' does not name any element");
    TU_HAS(r, BPMN_SEV_ERROR, "b", "attachedToRef 'noTask'");
    TU_HAS(r, BPMN_SEV_WARNING, "", "errorRef 'noError' names no error element; it is used as "
                                    "the error code");
    TU_HAS(r, BPMN_SEV_ERROR, "md", "messageRef 'noMsg'");
    TU_HAS(r, BPMN_SEV_ERROR, "sd", "signalRef 'noSig'");
    TU_HAS(r, BPMN_SEV_ERROR, "ed", "escalationRef 'noEsc'");
    bpmn_report_free(r);
}

static void test_reference_to_the_wrong_kind_is_an_error(void)
{
    bpmn_report *r = check(EXEC, START FLOW("f1", "s", "t")
                           "<bpmn:task id=\"t\" default=\"s\"/>\n" FLOW("f2", "t", "e") END);
    TU_HAS(r, BPMN_SEV_ERROR, "t", "default 's' names a startEvent (line 4), not a sequence flow");
    bpmn_report_free(r);
}

static void test_default_flow_must_leave_its_gateway(void)
{
    bpmn_report *r = check(EXEC, START FLOW("f1", "s", "g")
                           "<bpmn:exclusiveGateway id=\"g\" default=\"f1\"/>\n"
                           FLOW("f2", "g", "e") END);
    TU_HAS(r, BPMN_SEV_ERROR, "g", "default flow 'f1' does not leave this exclusiveGateway");
    bpmn_report_free(r);
}

static void test_executable_process_needs_a_start_event(void)
{
    bpmn_report *r = check(EXEC, "<bpmn:task id=\"t\"/>\n" FLOW("f", "t", "e") END);
    TU_HAS(r, BPMN_SEV_ERROR, "p", "has no start event");
    bpmn_report_free(r);
    r = check("isExecutable=\"false\"", "<bpmn:task id=\"t\"/>\n" FLOW("f", "t", "e") END);
    CU_ASSERT_EQUAL(bpmn_report_errors(r), 0);
    CU_ASSERT_EQUAL(bpmn_report_processes(r), 0);
    bpmn_report_free(r);
}

static void test_start_with_incoming_and_end_with_outgoing_are_errors(void)
{
    bpmn_report *r = check(EXEC, START FLOW("f1", "s", "e") FLOW("f2", "e", "s") END);
    TU_HAS(r, BPMN_SEV_ERROR, "s", "a start event cannot have incoming sequence flows");
    TU_HAS(r, BPMN_SEV_ERROR, "e", "an end event cannot have outgoing sequence flows");
    bpmn_report_free(r);
}

static void test_node_without_outgoing_flow_is_a_warning(void)
{
    bpmn_report *r = check(EXEC, START FLOW("f1", "s", "t") "<bpmn:task id=\"t\"/>\n");
    CU_ASSERT_EQUAL(bpmn_report_errors(r), 0);
    TU_HAS(r, BPMN_SEV_WARNING, "t", "no outgoing sequence flow");
    bpmn_report_free(r);
}

static void test_sequence_flows_without_ids_are_accepted(void)
{
    bpmn_report *r = check(EXEC, START "<bpmn:sequenceFlow sourceRef=\"s\" targetRef=\"e\"/>\n" END);
    CU_ASSERT_EQUAL(bpmn_report_count(r), 0);
    CU_ASSERT_EQUAL(bpmn_report_processes(r), 1);
    bpmn_report_free(r);
}

static void test_non_executable_process_is_checked_for_structure_only(void)
{
    /* A script in an unknown language is fine in a documentation-only process... */
    const char *body = START FLOW("f1", "s", "t")
        "<bpmn:scriptTask id=\"t\" scriptFormat=\"groovy\"><bpmn:script>x</bpmn:script>"
        "</bpmn:scriptTask>\n" FLOW("f2", "t", "e") END FLOW("f3", "s", "nowhere");
    bpmn_report *r = check("isExecutable=\"false\"", body);
    CU_ASSERT_EQUAL(tu_find(r, BPMN_SEV_ERROR, "t", "script"), -1);
    /* ...but its structure is still checked. */
    TU_HAS(r, BPMN_SEV_ERROR, "f3", "targetRef 'nowhere'");
    bpmn_report_free(r);
    /* In an executable process the script is refused, naming why. */
    r = check(EXEC, body);
    TU_HAS(r, BPMN_SEV_ERROR, "t", "script language 'groovy' is not executed");
    bpmn_report_free(r);
}

static void test_what_the_runtime_cannot_execute_is_an_error(void)
{
    bpmn_report *r = check(
        EXEC,
        START FLOW("f1", "s", "g")
        "<bpmn:complexGateway id=\"g\"/>\n" FLOW("f2", "g", "a")
        "<bpmn:adHocSubProcess id=\"a\"/>\n" FLOW("f3", "a", "c")
        "<bpmn:intermediateCatchEvent id=\"c\"/>\n" FLOW("f4", "c", "m")
        "<bpmn:intermediateCatchEvent id=\"m\"><bpmn:messageEventDefinition/>"
        "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>\n" FLOW("f5", "m", "x")
        "<bpmn:endEvent id=\"x\"><bpmn:timerEventDefinition/></bpmn:endEvent>\n"
        "<bpmn:sequenceFlow id=\"f6\" sourceRef=\"s\" targetRef=\"x\">"
        "<bpmn:conditionExpression language=\"javascript\">a &gt; 1</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>\n"
        "<bpmn:boundaryEvent id=\"b\" attachedToRef=\"a\"/>\n");
    TU_HAS(r, BPMN_SEV_ERROR, "g", "complex gateways are not supported");
    TU_HAS(r, BPMN_SEV_ERROR, "a", "ad-hoc sub-processes are not supported");
    TU_HAS(r, BPMN_SEV_ERROR, "c", "no event definition");
    TU_HAS(r, BPMN_SEV_ERROR, "m", "2 event definitions");
    TU_HAS(r, BPMN_SEV_ERROR, "x", "endEvent cannot carry a timerEventDefinition");
    TU_HAS(r, BPMN_SEV_ERROR, "f6", "condition language 'javascript' cannot be executed");
    TU_HAS(r, BPMN_SEV_ERROR, "b", "no event definition");
    bpmn_report_free(r);
}

static void test_timer_without_definition_is_an_error(void)
{
    bpmn_report *r = check(EXEC, START FLOW("f1", "s", "w")
                           "<bpmn:intermediateCatchEvent id=\"w\"><bpmn:timerEventDefinition/>"
                           "</bpmn:intermediateCatchEvent>\n" FLOW("f2", "w", "e") END);
    TU_HAS(r, BPMN_SEV_ERROR, "w", "timer has no timeDate, timeDuration or timeCycle");
    bpmn_report_free(r);
}

static void test_java_delegates_become_jobs_with_a_warning(void)
{
    bpmn_report *r = check(EXEC, START FLOW("f1", "s", "t")
                           "<bpmn:serviceTask id=\"t\" camunda:class=\"com.acme.Mail\"/>\n"
                           FLOW("f2", "t", "e") END);
    CU_ASSERT_EQUAL(bpmn_report_errors(r), 0);
    TU_HAS(r, BPMN_SEV_WARNING, "t", "job of type 't'");
    bpmn_report_free(r);
}

static void test_every_problem_is_collected_in_line_order(void)
{
    bpmn_report *r = check(EXEC, FLOW("f1", "a", "b") FLOW("f2", "c", "d") "<bpmn:task id=\"x\"/>"
                                 "<bpmn:task id=\"x\"/>\n");
    CU_ASSERT(bpmn_report_errors(r) >= 6);
    for (size_t i = 1; i < bpmn_report_count(r); i++)
        CU_ASSERT(bpmn_report_get(r, i - 1)->line <= bpmn_report_get(r, i)->line);
    bpmn_report_free(r);
}

static void test_flows_cannot_cross_a_sub_process_boundary(void)
{
    bpmn_report *r = check(EXEC, START FLOW("f1", "s", "inner")
                           "<bpmn:subProcess id=\"sp\"><bpmn:task id=\"inner\"/></bpmn:subProcess>\n"
                           FLOW("f2", "sp", "e") END);
    TU_HAS(r, BPMN_SEV_ERROR, "f1", "cannot cross a sub-process boundary");
    bpmn_report_free(r);
}

static void test_expression_syntax_errors_are_validation_errors(void)
{
    bpmn_report *r = check(EXEC, START FLOW("f1", "s", "g")
                           "<bpmn:exclusiveGateway id=\"g\" default=\"d\"/>\n"
                           "<bpmn:sequenceFlow id=\"bad\" sourceRef=\"g\" targetRef=\"e\">"
                           "<bpmn:conditionExpression>=amount &gt;</bpmn:conditionExpression>"
                           "</bpmn:sequenceFlow>\n"
                           "<bpmn:sequenceFlow id=\"prose\" sourceRef=\"g\" targetRef=\"e\">"
                           "<bpmn:conditionExpression>Customer is happy</bpmn:conditionExpression>"
                           "</bpmn:sequenceFlow>\n" FLOW("d", "g", "e") END);
    TU_HAS(r, BPMN_SEV_ERROR, "bad", "condition '=amount >'");
    TU_HAS(r, BPMN_SEV_WARNING, "prose", "is not a FEEL expression");
    CU_ASSERT_EQUAL(bpmn_report_errors(r), 1);
    CU_ASSERT_EQUAL(bpmn_report_get(r, (size_t)tu_find(r, BPMN_SEV_ERROR, "bad", ""))->line, 7);
    bpmn_report_free(r);
}

int main(void)
{
    static const tu_case cases[] = {
        {"valid_process_has_no_diagnostics", test_valid_process_has_no_diagnostics},
        {"duplicate_ids_name_both_lines", test_duplicate_ids_name_both_lines},
        {"multi_instance_without_cardinality_or_collection_is_an_error",
         test_multi_instance_without_cardinality_or_collection_is_an_error},
        {"dangling_references_are_errors", test_dangling_references_are_errors},
        {"reference_to_the_wrong_kind_is_an_error", test_reference_to_the_wrong_kind_is_an_error},
        {"default_flow_must_leave_its_gateway", test_default_flow_must_leave_its_gateway},
        {"executable_process_needs_a_start_event", test_executable_process_needs_a_start_event},
        {"start_with_incoming_and_end_with_outgoing_are_errors",
         test_start_with_incoming_and_end_with_outgoing_are_errors},
        {"node_without_outgoing_flow_is_a_warning", test_node_without_outgoing_flow_is_a_warning},
        {"sequence_flows_without_ids_are_accepted", test_sequence_flows_without_ids_are_accepted},
        {"non_executable_process_is_checked_for_structure_only",
         test_non_executable_process_is_checked_for_structure_only},
        {"what_the_runtime_cannot_execute_is_an_error",
         test_what_the_runtime_cannot_execute_is_an_error},
        {"timer_without_definition_is_an_error", test_timer_without_definition_is_an_error},
        {"java_delegates_become_jobs_with_a_warning", test_java_delegates_become_jobs_with_a_warning},
        {"every_problem_is_collected_in_line_order", test_every_problem_is_collected_in_line_order},
        {"flows_cannot_cross_a_sub_process_boundary", test_flows_cannot_cross_a_sub_process_boundary},
        {"expression_syntax_errors_are_validation_errors",
         test_expression_syntax_errors_are_validation_errors},
        {NULL, NULL},
    };
    return tu_run("validator", cases);
}
