/*
 * test_util.c - helpers shared by the CUnit suites.
 */
#include "test_util.h"

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bpmn_report *tu_validate(const char *xml)
{
    bpmn_report *r = NULL;
    int rc = bpmn_validate_memory("test.bpmn", xml, strlen(xml), NULL, &r);
    CU_ASSERT_EQUAL_FATAL(rc, BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    return r;
}

int tu_find(const bpmn_report *r, bpmn_severity sev, const char *element, const char *text)
{
    for (size_t i = 0; i < bpmn_report_count(r); i++) {
        const bpmn_diagnostic *d = bpmn_report_get(r, i);
        if (d->severity == sev && (!element || strcmp(d->element, element) == 0) &&
            strstr(d->message, text))
            return (int)i;
    }
    return -1;
}

void tu_dump(const bpmn_report *r)
{
    for (size_t i = 0; i < bpmn_report_count(r); i++) {
        const bpmn_diagnostic *d = bpmn_report_get(r, i);
        fprintf(stderr, "  line %u %s [%s] %s\n", d->line,
                d->severity == BPMN_SEV_ERROR ? "error" : "warning", d->element, d->message);
    }
}

char *tu_process(const char *attrs, const char *body)
{
    static const char head[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
        "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\" "
        "xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" id=\"defs\">\n"
        "<bpmn:process id=\"p\" ";
    size_t n = strlen(head) + strlen(attrs) + strlen(body) + 64;
    char *s = malloc(n);
    if (!s)
        abort();
    snprintf(s, n, "%s%s>\n%s\n</bpmn:process>\n</bpmn:definitions>\n", head, attrs, body);
    return s;
}

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

int tu_run(const char *suite, const tu_case *cases)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    for (const tu_case *c = cases; s && c->name; c++)
        CU_add_test(s, c->name, c->fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
