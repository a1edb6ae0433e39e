/*
 * test_loader.c - reading bytes into a model: secure parsing, encodings, namespaces by URI,
 * extension content, line numbers, and every kind of bad input getting a clear error.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpmn/compile.h"
#include "test_util.h"

#define NS "http://www.omg.org/spec/BPMN/20100524/MODEL"

static const char minimal_body[] =
    "<bpmn:startEvent id=\"s\"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n"
    "<bpmn:sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"e\"/>\n"
    "<bpmn:endEvent id=\"e\"/>\n";

/* Runs the whole pipeline and returns the graphs; asserts success. */
static bg_graph **compile_str(const char *xml, size_t len, size_t *n, bm_diags *d)
{
    bg_graph **gs = NULL;
    bm_diags_init(d, NULL);
    int rc = bm_pipeline("test.bpmn", xml, len, NULL, d, &gs, n);
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    return gs;
}

static void test_truncated_xml_is_an_error_at_its_line(void)
{
    char *xml = tu_process("isExecutable=\"true\"", minimal_body);
    size_t len = strlen(xml) - 30;
    bpmn_report *r = NULL;
    CU_ASSERT_EQUAL(bpmn_validate_memory("t.bpmn", xml, len, NULL, &r), BPMN_OK);
    CU_ASSERT(bpmn_report_errors(r) == 1);
    TU_HAS(r, BPMN_SEV_ERROR, "", "not well-formed XML");
    CU_ASSERT(bpmn_report_get(r, 0)->line >= 6);
    bpmn_report_free(r);
    free(xml);
}

static void test_not_xml_is_an_error(void)
{
    bpmn_report *r = tu_validate("this is a spreadsheet, not a diagram\n");
    TU_HAS(r, BPMN_SEV_ERROR, "", "not well-formed XML");
    CU_ASSERT_EQUAL(bpmn_report_get(r, 0)->line, 1);
    bpmn_report_free(r);
    r = tu_validate("\x89PNG\r\n\x1a\n\x01\x02");
    CU_ASSERT_EQUAL(bpmn_report_errors(r), 1);
    bpmn_report_free(r);
}

static void test_empty_input_is_an_error(void)
{
    bpmn_report *r = NULL;
    CU_ASSERT_EQUAL(bpmn_validate_memory("t.bpmn", "", 0, NULL, &r), BPMN_OK);
    TU_HAS(r, BPMN_SEV_ERROR, "", "empty");
    bpmn_report_free(r);
}

static void test_non_bpmn_root_is_refused(void)
{
    bpmn_report *r = tu_validate("<?xml version=\"1.0\"?>\n<html><body/></html>");
    TU_HAS(r, BPMN_SEV_ERROR, "", "root element 'html' is not BPMN 2.0");
    CU_ASSERT_EQUAL(bpmn_report_get(r, 0)->line, 2);
    bpmn_report_free(r);
}

static void test_wrong_namespace_is_refused(void)
{
    bpmn_report *r = tu_validate(
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/DI\">\n"
        "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/></process></definitions>");
    TU_HAS(r, BPMN_SEV_ERROR, "", "is in namespace 'http://www.omg.org/spec/BPMN/20100524/DI'");
    bpmn_report_free(r);
    r = tu_validate("<definitions><process id=\"p\"/></definitions>");
    TU_HAS(r, BPMN_SEV_ERROR, "", "namespace '(none)'");
    bpmn_report_free(r);
}

/* The entity names a FIFO: if the loader ever opened it, the open would block and the test
 * would hang until ctest's timeout, so finishing at all shows the file was never touched. */
static void test_doctype_with_external_entity_never_reads_the_file(void)
{
    char dir[] = "/tmp/bpmnrt-xxe-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char fifo[256];
    snprintf(fifo, sizeof fifo, "%s/secret", dir);
    CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
    char xml[1024];
    snprintf(xml, sizeof xml,
             "<?xml version=\"1.0\"?>\n"
             "<!DOCTYPE definitions [\n<!ENTITY xxe SYSTEM \"file://%s\">\n]>\n"
             "<bpmn:definitions xmlns:bpmn=\"" NS "\"><bpmn:process id=\"&xxe;\"/>"
             "</bpmn:definitions>",
             fifo);
    bpmn_report *r = tu_validate(xml);
    CU_ASSERT_EQUAL(bpmn_report_errors(r), 1);
    TU_HAS(r, BPMN_SEV_ERROR, "", "DOCTYPE declarations are not allowed");
    CU_ASSERT_EQUAL(bpmn_report_get(r, 0)->line, 2);
    bpmn_report_free(r);
    unlink(fifo);
    rmdir(dir);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_entity_bomb_is_refused_in_well_under_a_second(void)
{
    static const char bomb[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE lolz [\n"
        " <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n"
        "<bpmn:definitions xmlns:bpmn=\"" NS "\"><bpmn:process id=\"p\" name=\"&lol9;\"/>"
        "</bpmn:definitions>";
    double t0 = now_s();
    bpmn_report *r = tu_validate(bomb);
    double dt = now_s() - t0;
    CU_ASSERT(dt < 0.1);
    CU_ASSERT_EQUAL(bpmn_report_errors(r), 1);
    TU_HAS(r, BPMN_SEV_ERROR, "", "DOCTYPE declarations are not allowed");
    bpmn_report_free(r);
}

static void test_file_over_the_size_cap_is_refused(void)
{
    char *xml = tu_process("isExecutable=\"true\"", minimal_body);
    bpmn_load_options o = {0};
    o.max_bytes = 100;
    bpmn_report *r = NULL;
    CU_ASSERT_EQUAL(bpmn_validate_memory("big.bpmn", xml, strlen(xml), &o, &r), BPMN_OK);
    TU_HAS(r, BPMN_SEV_ERROR, "", "over the size limit of 100 bytes");
    bpmn_report_free(r);

    /* The same through a file: only cap + 1 bytes are read. */
    char path[] = "/tmp/bpmnrt-big-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL((size_t)write(fd, xml, strlen(xml)), strlen(xml));
    close(fd);
    CU_ASSERT_EQUAL(bpmn_validate_file(path, &o, &r), BPMN_OK);
    TU_HAS(r, BPMN_SEV_ERROR, "", "over the size limit");
    bpmn_report_free(r);
    o.max_bytes = 0; /* default cap */
    CU_ASSERT_EQUAL(bpmn_validate_file(path, &o, &r), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_report_errors(r), 0);
    bpmn_report_free(r);
    unlink(path);
    free(xml);
}

static void test_unreadable_file_is_a_diagnostic(void)
{
    bpmn_report *r = NULL;
    CU_ASSERT_EQUAL(bpmn_validate_file("/nonexistent/dir/x.bpmn", NULL, &r), BPMN_OK);
    TU_HAS(r, BPMN_SEV_ERROR, "", "cannot read file");
    bpmn_report_free(r);
}

static void assert_loads_with_name(const char *xml, size_t len, const char *expect_name)
{
    size_t n = 0;
    bm_diags d;
    bg_graph **gs = compile_str(xml, len, &n, &d);
    CU_ASSERT_EQUAL(d.errors, 0);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    int32_t t = bg_find(gs[0], "t");
    CU_ASSERT_FATAL(t >= 0);
    CU_ASSERT_STRING_EQUAL(gs[0]->nodes[t].name, expect_name);
    bg_graphs_free(gs, n, NULL);
    bm_diags_free(&d);
}

#define BODY_WITH_NAME(name)                                                                  \
    "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>"                          \
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/><task id=\"t\" name=\"" name    \
    "\"/><sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"e\"/><endEvent id=\"e\"/>"       \
    "</process></definitions>"

static void test_encodings_bom_and_missing_declaration_load(void)
{
    static const char bom[] = "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                              "<definitions xmlns=\"" NS "\">" BODY_WITH_NAME("Caf\xC3\xA9");
    assert_loads_with_name(bom, sizeof bom - 1, "Caf\xC3\xA9");
    static const char latin1[] = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
                                 "<definitions xmlns=\"" NS "\">" BODY_WITH_NAME("Caf\xE9");
    assert_loads_with_name(latin1, sizeof latin1 - 1, "Caf\xC3\xA9");
    /* 0x80 is the euro sign in windows-1252. */
    static const char cp1252[] = "<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n"
                                 "<definitions xmlns=\"" NS "\">" BODY_WITH_NAME("\x80 5");
    assert_loads_with_name(cp1252, sizeof cp1252 - 1, "\xE2\x82\xAC 5");
    static const char nodecl[] = "<definitions xmlns=\"" NS "\">" BODY_WITH_NAME("plain");
    assert_loads_with_name(nodecl, sizeof nodecl - 1, "plain");
}

/* The BPMN namespace under any prefix, the default namespace, or two prefixes at once. */
static void test_elements_match_by_namespace_uri_not_prefix(void)
{
    static const char *const docs[] = {
        "<bpmn2:definitions xmlns:bpmn2=\"" NS "\"><bpmn2:process id=\"p\" isExecutable=\"true\">"
        "<bpmn2:startEvent id=\"s\"/><bpmn2:sequenceFlow sourceRef=\"s\" targetRef=\"t\"/>"
        "<bpmn2:task id=\"t\" name=\"x\"/></bpmn2:process></bpmn2:definitions>",
        "<semantic:definitions xmlns:semantic=\"" NS "\"><semantic:process id=\"p\" "
        "isExecutable=\"true\"><semantic:startEvent id=\"s\"/><semantic:sequenceFlow "
        "sourceRef=\"s\" targetRef=\"t\"/><semantic:task id=\"t\" name=\"x\"/></semantic:process>"
        "</semantic:definitions>",
        "<definitions xmlns=\"" NS "\"><process id=\"p\" isExecutable=\"true\"><startEvent "
        "id=\"s\"/><sequenceFlow sourceRef=\"s\" targetRef=\"t\"/><task id=\"t\" name=\"x\"/>"
        "</process></definitions>",
        "<a:definitions xmlns:a=\"" NS "\" xmlns:b=\"" NS "\"><b:process id=\"p\" "
        "isExecutable=\"true\"><a:startEvent id=\"s\"/><b:sequenceFlow sourceRef=\"s\" "
        "targetRef=\"t\"/><a:task id=\"t\" name=\"x\"/></b:process></a:definitions>",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        size_t n = 0;
        bm_diags d;
        bg_graph **gs = compile_str(docs[i], strlen(docs[i]), &n, &d);
        CU_ASSERT_EQUAL(n, 1);
        if (n == 1) {
            CU_ASSERT_EQUAL(gs[0]->nnodes, 2);
            CU_ASSERT_EQUAL(gs[0]->nflows, 1);
        }
        bg_graphs_free(gs, n, NULL);
        bm_diags_free(&d);
    }
    /* The BPMN local names in a foreign namespace are not BPMN. */
    bpmn_report *r = tu_validate(
        "<bpmn:definitions xmlns:bpmn=\"" NS "\" xmlns:x=\"urn:other\">"
        "<bpmn:process id=\"p\" isExecutable=\"true\"><x:startEvent id=\"s\"/></bpmn:process>"
        "</bpmn:definitions>");
    TU_HAS(r, BPMN_SEV_ERROR, "p", "has no start event");
    bpmn_report_free(r);
}

static void test_extension_content_is_never_mistaken_for_bpmn(void)
{
    char *xml = tu_process(
        "isExecutable=\"true\"",
        "<bpmn:startEvent id=\"s\"/>\n"
        "<bpmn:sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"t\"/>\n"
        "<bpmn:userTask id=\"t\" camunda:assignee=\"anna\">\n"
        "  <bpmn:extensionElements>\n"
        "    <zeebe:taskDefinition type=\"crm-call\" retries=\"3\"/>\n"
        "    <bpmn:endEvent id=\"fake\"/>\n"
        "    <camunda:inputOutput><camunda:inputParameter name=\"x\">42</camunda:inputParameter>"
        "</camunda:inputOutput>\n"
        "  </bpmn:extensionElements>\n"
        "</bpmn:userTask>\n"
        "<bpmn:sequenceFlow id=\"f2\" sourceRef=\"t\" targetRef=\"e\"/>\n"
        "<bpmn:endEvent id=\"e\"/>");
    size_t n = 0;
    bm_diags d;
    bg_graph **gs = compile_str(xml, strlen(xml), &n, &d);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    const bg_graph *g = gs[0];
    CU_ASSERT_EQUAL(g->nnodes, 3);
    CU_ASSERT_EQUAL(bg_find(g, "fake"), -1);
    const bg_node *t = &g->nodes[bg_find(g, "t")];
    CU_ASSERT_STRING_EQUAL(bg_attr(t, BM_NS_CAMUNDA, "assignee"), "anna");
    const bm_ext *td = bm_ext_find(t->ext, BM_NS_ZEEBE, "taskDefinition");
    CU_ASSERT_PTR_NOT_NULL_FATAL(td);
    CU_ASSERT_STRING_EQUAL(bm_ext_attr(td, "type"), "crm-call");
    CU_ASSERT_EQUAL(td->line, 8);
    const bm_ext *ip = bm_ext_find(t->ext, BM_NS_CAMUNDA, "inputParameter");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ip);
    CU_ASSERT_STRING_EQUAL(ip->text, "42");
    bg_graphs_free(gs, n, NULL);
    bm_diags_free(&d);
    free(xml);
}

static void test_every_element_keeps_its_line(void)
{
    char *xml = tu_process("isExecutable=\"true\"", minimal_body);
    size_t n = 0;
    bm_diags d;
    bg_graph **gs = compile_str(xml, strlen(xml), &n, &d);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(gs[0]->nodes[bg_find(gs[0], "s")].line, 4);
    CU_ASSERT_EQUAL(gs[0]->nodes[bg_find(gs[0], "e")].line, 6);
    CU_ASSERT_EQUAL(gs[0]->flows[0].line, 5);
    bg_graphs_free(gs, n, NULL);
    bm_diags_free(&d);
    free(xml);
}

static void test_lines_past_65535_are_exact(void)
{
    size_t pad = 70000;
    char *body = malloc(pad + 512);
    memset(body, '\n', pad);
    strcpy(body + pad, minimal_body);
    char *xml = tu_process("isExecutable=\"true\"", body);
    size_t n = 0;
    bm_diags d;
    bg_graph **gs = compile_str(xml, strlen(xml), &n, &d);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(gs[0]->nodes[bg_find(gs[0], "e")].line, 6 + pad);
    bg_graphs_free(gs, n, NULL);
    bm_diags_free(&d);
    free(xml);
    free(body);
}

int main(void)
{
    static const tu_case cases[] = {
        {"truncated_xml_is_an_error_at_its_line", test_truncated_xml_is_an_error_at_its_line},
        {"not_xml_is_an_error", test_not_xml_is_an_error},
        {"empty_input_is_an_error", test_empty_input_is_an_error},
        {"non_bpmn_root_is_refused", test_non_bpmn_root_is_refused},
        {"wrong_namespace_is_refused", test_wrong_namespace_is_refused},
        {"doctype_with_external_entity_never_reads_the_file",
         test_doctype_with_external_entity_never_reads_the_file},
        {"entity_bomb_is_refused_in_well_under_a_second",
         test_entity_bomb_is_refused_in_well_under_a_second},
        {"file_over_the_size_cap_is_refused", test_file_over_the_size_cap_is_refused},
        {"unreadable_file_is_a_diagnostic", test_unreadable_file_is_a_diagnostic},
        {"encodings_bom_and_missing_declaration_load",
         test_encodings_bom_and_missing_declaration_load},
        {"elements_match_by_namespace_uri_not_prefix",
         test_elements_match_by_namespace_uri_not_prefix},
        {"extension_content_is_never_mistaken_for_bpmn",
         test_extension_content_is_never_mistaken_for_bpmn},
        {"every_element_keeps_its_line", test_every_element_keeps_its_line},
        {"lines_past_65535_are_exact", test_lines_past_65535_are_exact},
        {NULL, NULL},
    };
    return tu_run("loader", cases);
}
