/*
 * test_cli.c - the bpmnrt command run as a separate process: output formats, JSON shapes and
 * exit codes of the command-line contract.
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test_util.h"

static char *write_temp(const char *content)
{
    static char path[64];
    strcpy(path, "/tmp/bpmnrt-cli-XXXXXX.bpmn");
    int fd = mkstemps(path, 5);
    if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content))
        abort();
    close(fd);
    return path;
}

#define SAMPLE BPMNRT_SOURCE_DIR "/samples/incoming-lead.bpmn"

static const char broken[] =
    "<?xml version=\"1.0\"?>\n"
    "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n"
    "  <bpmn:process id=\"p\" isExecutable=\"true\">\n"
    "    <bpmn:startEvent id=\"s\"/>\n"
    "    <bpmn:sequenceFlow id=\"f\" sourceRef=\"s\" targetRef=\"nowhere\"/>\n"
    "  </bpmn:process>\n"
    "</bpmn:definitions>\n";

static void test_validate_valid_sample_exits_0(void)
{
    char *out, *err;
    char *args[] = {"validate", SAMPLE, NULL};
    CU_ASSERT_EQUAL(tu_cli(args, &out, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "incoming-lead.bpmn: valid (1 executable process)"));
    free(out);
    free(err);
}

static void test_validate_invalid_file_prints_file_line_id_and_exits_1(void)
{
    char *path = write_temp(broken);
    char *out, *err;
    char *args[] = {"validate", path, NULL};
    CU_ASSERT_EQUAL(tu_cli(args, &out, &err), 1);
    char expect[256];
    snprintf(expect, sizeof expect,
             "%s:5: error: f: targetRef 'nowhere' does not name any element\n", path);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, expect));
    if (!strstr(out, expect))
        fprintf(stderr, "got: %s\n", out);
    free(out);
    free(err);
    unlink(path);
}

static void test_validate_json_has_the_contract_shape(void)
{
    char *path = write_temp(broken);
    char *out, *err;
    char *args[] = {"validate", SAMPLE, path, "--json", NULL};
    CU_ASSERT_EQUAL(tu_cli(args, &out, &err), 1);
    cJSON *doc = cJSON_Parse(out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    cJSON *files = cJSON_GetObjectItemCaseSensitive(doc, "files");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(files), 2);
    cJSON *f0 = cJSON_GetArrayItem(files, 0), *f1 = cJSON_GetArrayItem(files, 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(f0, "file")->valuestring, SAMPLE);
    CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(f0, "valid")));
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(f0, "diagnostics")), 0);
    CU_ASSERT(cJSON_IsFalse(cJSON_GetObjectItem(f1, "valid")));
    cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(f1, "diagnostics"), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(d, "line")->valueint, 5);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "severity")->valuestring, "error");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "element")->valuestring, "f");
    CU_ASSERT_PTR_NOT_NULL(strstr(cJSON_GetObjectItem(d, "message")->valuestring, "nowhere"));
    /* Exactly one JSON document: nothing after it but the newline. */
    CU_ASSERT_EQUAL(out[strlen(out) - 1], '\n');
    cJSON_Delete(doc);
    free(out);
    free(err);
    unlink(path);
}

static void test_missing_file_exits_1_with_message(void)
{
    char *out, *err;
    char *args[] = {"validate", "/nonexistent/x.bpmn", NULL};
    CU_ASSERT_EQUAL(tu_cli(args, &out, &err), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "/nonexistent/x.bpmn:0: error: cannot read file"));
    free(out);
    free(err);
}

static void test_usage_errors_exit_2(void)
{
    char *out, *err;
    char *a1[] = {NULL};
    CU_ASSERT_EQUAL(tu_cli(a1, &out, &err), 2);
    free(out);
    free(err);
    char *a2[] = {"validate", NULL};
    CU_ASSERT_EQUAL(tu_cli(a2, &out, &err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "usage"));
    free(out);
    free(err);
    char *a3[] = {"frobnicate", NULL};
    CU_ASSERT_EQUAL(tu_cli(a3, &out, &err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown command 'frobnicate'"));
    free(out);
    free(err);
    char *a4[] = {"validate", "--bogus", SAMPLE, NULL};
    CU_ASSERT_EQUAL(tu_cli(a4, &out, &err), 2);
    free(out);
    free(err);
    char *a5[] = {"--db", NULL};
    CU_ASSERT_EQUAL(tu_cli(a5, &out, &err), 2);
    free(out);
    free(err);
}

static void test_global_options_come_before_the_command(void)
{
    char *out, *err;
    char *args[] = {"--db", "/tmp/unused.db", "--now", "2026-01-01T00:00:00Z", "validate", SAMPLE,
                    NULL};
    CU_ASSERT_EQUAL(tu_cli(args, &out, &err), 0);
    free(out);
    free(err);
}

int main(void)
{
    static const tu_case cases[] = {
        {"validate_valid_sample_exits_0", test_validate_valid_sample_exits_0},
        {"validate_invalid_file_prints_file_line_id_and_exits_1",
         test_validate_invalid_file_prints_file_line_id_and_exits_1},
        {"validate_json_has_the_contract_shape", test_validate_json_has_the_contract_shape},
        {"missing_file_exits_1_with_message", test_missing_file_exits_1_with_message},
        {"usage_errors_exit_2", test_usage_errors_exit_2},
        {"global_options_come_before_the_command", test_global_options_come_before_the_command},
        {NULL, NULL},
    };
    return tu_run("cli", cases);
}
