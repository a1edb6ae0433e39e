/*
 * consumer.c - a program built against an installed bpmnrt, the way a user builds one: only
 * <bpmnrt.h> and the library, found through pkg-config or find_package. It runs one instance of
 * a one-task process on a fresh store and checks each step's outcome.
 *
 *   consumer STORE_PATH      prints "consumer ok <version>" and exits 0 when all went well
 */
#include <bpmnrt.h>

#include <stdio.h>
#include <string.h>

static const char diagram[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"\n"
    "             targetNamespace=\"http://example.com/consumer\">\n"
    "  <process id=\"review\" isExecutable=\"true\">\n"
    "    <startEvent id=\"start\"/>\n"
    "    <sequenceFlow id=\"f1\" sourceRef=\"start\" targetRef=\"check\"/>\n"
    "    <userTask id=\"check\" name=\"Check the order\"/>\n"
    "    <sequenceFlow id=\"f2\" sourceRef=\"check\" targetRef=\"done\"/>\n"
    "    <endEvent id=\"done\"/>\n"
    "  </process>\n"
    "</definitions>\n";

static int failures;

static void expect(int ok, const char *what, const char *detail)
{
    if (!ok) {
        fprintf(stderr, "consumer: FAILED: %s%s%s\n", what, detail ? ": " : "",
                detail ? detail : "");
        failures++;
    }
}

/* Copies the string value of "key" in a flat JSON object into out; 0 when it is not there. */
static int json_string(const char *json, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = json ? strstr(json, pat) : NULL;
    if (!p)
        return 0;
    p += strlen(pat);
    const char *end = strchr(p, '"');
    if (!end || (size_t)(end - p) >= cap)
        return 0;
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: consumer STORE_PATH\n");
        return 2;
    }
    expect(strcmp(bpmn_strerror(BPMN_ENOTFOUND), "not found") == 0, "bpmn_strerror", NULL);

    bpmn_engine_options opts;
    memset(&opts, 0, sizeof opts);
    opts.path = argv[1];
    opts.nosync = 1;
    bpmn_engine *e = NULL;
    char err[256] = "";
    int rc = bpmn_engine_open(&opts, &e, err, sizeof err);
    if (rc != BPMN_OK) {
        fprintf(stderr, "consumer: FAILED: bpmn_engine_open: %s: %s\n", bpmn_strerror(rc), err);
        return 1;
    }

    char *json = NULL;
    rc = bpmn_deploy(e, "consumer.bpmn", diagram, sizeof diagram - 1, &json);
    expect(rc == BPMN_OK, "deploy", bpmn_engine_errmsg(e));
    expect(json && strstr(json, "\"process\":\"review\""), "deploy names the process", json);
    bpmn_free(e, json);

    json = NULL;
    rc = bpmn_instance_start(e, "review", 0, "{\"amount\":42}", "order-7", &json);
    expect(rc == BPMN_OK, "start", bpmn_engine_errmsg(e));
    expect(json && strstr(json, "\"state\":\"active\""), "the instance waits at its task", json);
    char instance[32] = "";
    expect(json_string(json, "instance", instance, sizeof instance), "start returns the instance id",
           json);
    bpmn_free(e, json);

    json = NULL;
    rc = bpmn_task_list(e, instance, NULL, NULL, &json);
    expect(rc == BPMN_OK, "task list", bpmn_engine_errmsg(e));
    char task[32] = "", element[32] = "";
    expect(json_string(json, "id", task, sizeof task), "one open task", json);
    expect(json_string(json, "element", element, sizeof element) && !strcmp(element, "check"),
           "the open task is check", json);
    bpmn_free(e, json);

    json = NULL;
    rc = bpmn_task_complete(e, task, "{\"approved\":true}", &json);
    expect(rc == BPMN_OK, "complete", bpmn_engine_errmsg(e));
    bpmn_free(e, json);

    json = NULL;
    rc = bpmn_instance_show(e, instance, &json);
    expect(rc == BPMN_OK, "show", bpmn_engine_errmsg(e));
    expect(json && strstr(json, "\"state\":\"completed\""), "the instance completed", json);
    expect(json && strstr(json, "\"approved\":true"), "the task's variable is kept", json);
    bpmn_free(e, json);

    bpmn_engine_close(e);
    if (failures)
        return 1;
    printf("consumer ok %s\n", BPMNRT_VERSION_STRING);
    return 0;
}
