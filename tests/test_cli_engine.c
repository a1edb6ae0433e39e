/*
 * test_cli_engine.c - the engine commands run as separate processes against one store: the
 * incoming-lead sample end to end, and refused requests (exit 1, a clear message, the store
 * unchanged).
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test_util.h"

static char db[64];

static void fresh_db(void)
{
    tu_store_path(db);
}

static void remove_db(void)
{
    tu_store_remove(db);
}

/* Runs `bpmnrt --db DB --now T ARGS... --json`, asserts the exit code, returns parsed stdout. */
static cJSON *cli(int expect, const char *a0, const char *a1, const char *a2, const char *a3,
                  const char *a4)
{
    char *args[16];
    int k = 0;
    args[k++] = "--db";
    args[k++] = db;
    args[k++] = "--now";
    args[k++] = "2026-03-02T09:00:00Z";
    const char *in[] = {a0, a1, a2, a3, a4};
    for (int i = 0; i < 5 && in[i]; i++)
        args[k++] = (char *)in[i];
    args[k++] = "--json";
    args[k] = NULL;
    char *out, *err;
    int rc = tu_cli(args, &out, &err);
    if (rc != expect)
        fprintf(stderr, "\n%s %s: exit %d, expected %d\nstdout: %s\nstderr: %s\n", a0,
                a1 ? a1 : "", rc, expect, out, err);
    CU_ASSERT_EQUAL(rc, expect);
    cJSON *j = rc == 0 ? cJSON_Parse(out) : NULL;
    if (rc == 0)
        CU_ASSERT_PTR_NOT_NULL(j);
    if (rc != 0)
        CU_ASSERT(strlen(err) > 0);
    free(out);
    free(err);
    return j;
}

static const char *str(cJSON *o, const char *k)
{
    cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The id of the only open task of the instance, asserting it sits at element. */
static char *task_at(const char *inst, const char *element)
{
    static char id[32];
    cJSON *t = cli(0, "tasks", "--instance", inst, NULL, NULL);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(t), 1);
    cJSON *x = cJSON_GetArrayItem(t, 0);
    CU_ASSERT_STRING_EQUAL(str(x, "element"), element);
    snprintf(id, sizeof id, "%s", str(x, "id"));
    cJSON_Delete(t);
    return id;
}

#define SAMPLE BPMNRT_SOURCE_DIR "/samples/incoming-lead.bpmn"

/* job fail --error CODE --vars JSON: the variables are set before the error is caught, and the
 * catching path sees them. */
static void test_job_error_carries_variables_to_its_catch(void)
{
    fresh_db();
    cJSON_Delete(cli(0, "deploy", BPMNRT_SOURCE_DIR "/samples/contractor-registration.bpmn", NULL,
                     NULL, NULL));
    cJSON *st = cli(0, "start", "contractor-registration", "--vars",
                    "{\"taxNumber\":\"7700000001\",\"companyName\":\"Shady Ltd\"}", NULL);
    char inst[32];
    snprintf(inst, sizeof inst, "%s", str(st, "instance"));
    cJSON_Delete(st);
    cJSON *jobs = cli(0, "jobs", "--type", "tax-check", NULL, NULL);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(jobs), 1);
    char job[32];
    snprintf(job, sizeof job, "%s", str(cJSON_GetArrayItem(jobs, 0), "id"));
    cJSON_Delete(jobs);
    char *args[] = {"--db", db, "job", "fail", job, "--message", "listed as unreliable", "--error",
                    "UNRELIABLE", "--vars", "{\"reason\":\"on the list\"}", NULL};
    char *out, *err;
    CU_ASSERT_EQUAL(tu_cli(args, &out, &err), 0);
    free(out);
    free(err);
    cJSON *show = cli(0, "show", inst, NULL, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetObjectItem(show, "variables"), "reason"), "on the list");
    const cJSON *w = cJSON_GetArrayItem(cJSON_GetObjectItem(show, "waiting"), 0);
    CU_ASSERT(cJSON_IsString(w) && strcmp(w->valuestring, "CheckTaxNumber") != 0);
    cJSON_Delete(show);
    /* --vars without --error stays a usage error */
    char *bad[] = {"--db", db, "job", "fail", job, "--message", "m", "--vars", "{}", NULL};
    CU_ASSERT_EQUAL(tu_cli(bad, &out, &err), 2);
    free(out);
    free(err);
    remove_db();
}

/* A process without isExecutable: validate warns naming it, deploy refuses saying how to mark
 * it, and --assume-executable deploys it (Flowable's default) so that it starts, from a new
 * process that reads the stored version back. */
static void test_process_without_is_executable_is_said_and_deploys_when_assumed(void)
{
    fresh_db();
    char file[96];
    snprintf(file, sizeof file, "%s.bpmn", db);
    FILE *f = fopen(file, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" id=\"d\" "
          "targetNamespace=\"t\"><process id=\"flow\"><startEvent id=\"s\"/>"
          "<sequenceFlow id=\"f\" sourceRef=\"s\" targetRef=\"u\"/><userTask id=\"u\"/>"
          "</process></definitions>", f);
    fclose(f);
    char *out, *err;
    char *v[] = {"validate", file, NULL};
    CU_ASSERT_EQUAL(tu_cli(v, &out, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "warning: flow: process 'flow' is not executable"));
    free(out);
    free(err);
    char *d1[] = {"--db", db, "deploy", file, NULL};
    CU_ASSERT_EQUAL(tu_cli(d1, &out, &err), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "--assume-executable"));
    free(out);
    free(err);
    char *d2[] = {"--db", db, "deploy", file, "--assume-executable", NULL};
    CU_ASSERT_EQUAL(tu_cli(d2, &out, &err), 0);
    free(out);
    free(err);
    cJSON *st = cli(0, "start", "flow", NULL, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(str(st, "state"), "active");
    char inst[32];
    snprintf(inst, sizeof inst, "%s", str(st, "instance"));
    cJSON_Delete(st);
    task_at(inst, "u");
    remove(file);
    remove_db();
}

static void test_incoming_lead_runs_end_to_end_across_processes(void)
{
    fresh_db();
    cJSON *d = cli(0, "deploy", SAMPLE, NULL, NULL, NULL);
    cJSON *dep = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "deployments"), 0);
    CU_ASSERT_STRING_EQUAL(str(dep, "process"), "incoming-lead");
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(dep, "version")->valueint, 1);
    cJSON_Delete(d);

    cJSON *s = cli(0, "start", "incoming-lead", "--vars", "{\"caller\":\"anna\"}", NULL);
    char inst[32];
    snprintf(inst, sizeof inst, "%s", str(s, "instance"));
    CU_ASSERT_STRING_EQUAL(str(s, "state"), "active");
    cJSON_Delete(s);

    cJSON *t = cli(0, "tasks", "--group", "sales", NULL, NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(t), 1);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetArrayItem(t, 0), "name"), "Check the request");
    cJSON_Delete(t);
    cJSON *c = cli(0, "complete", task_at(inst, "CheckRequest"), "--vars", "{\"valid\":true}", NULL);
    CU_ASSERT_STRING_EQUAL(str(c, "state"), "active");
    cJSON_Delete(c);
    cJSON_Delete(cli(0, "complete", task_at(inst, "CallLead"), NULL, NULL, NULL));
    t = cli(0, "tasks", "--assignee", "anna", NULL, NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(t), 1);
    cJSON_Delete(t);
    cJSON_Delete(cli(0, "complete", task_at(inst, "QualifyLead"), "--vars", "{\"qualified\":true}",
                     NULL));
    cJSON *jobs = cli(0, "jobs", "--type", "crm-handover", NULL, NULL);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(jobs), 1);
    char job[32];
    snprintf(job, sizeof job, "%s", str(cJSON_GetArrayItem(jobs, 0), "id"));
    cJSON_Delete(jobs);
    cJSON *jc = cli(0, "job", "complete", job, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(str(jc, "state"), "completed");
    cJSON_Delete(jc);

    cJSON *sh = cli(0, "show", inst, NULL, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(str(sh, "state"), "completed");
    CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(sh, "variables"), "qualified")));
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(sh, "waiting")), 0);
    cJSON_Delete(sh);
    cJSON *h = cli(0, "history", inst, NULL, NULL, NULL);
    int completed = 0;
    long long last_seq = 0;
    cJSON *ev;
    cJSON_ArrayForEach(ev, h) {
        long long seq = (long long)cJSON_GetObjectItem(ev, "seq")->valuedouble;
        CU_ASSERT_EQUAL(seq, last_seq + 1); /* gap-free: one instance in this store */
        last_seq = seq;
        completed += strcmp(str(ev, "type"), "task_completed") == 0;
        CU_ASSERT_STRING_EQUAL(str(ev, "time"), "2026-03-02T09:00:00Z");
    }
    CU_ASSERT_EQUAL(completed, 3);
    cJSON_Delete(h);
    cJSON *list = cli(0, "instances", "--state", "completed", NULL, NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(list), 1);
    cJSON_Delete(list);
    remove_db();
}

/* Runs a command with --now at a given time (the default fixture time otherwise). */
static cJSON *cli_at(const char *now, const char *a0, const char *a1, const char *a2, const char *a3)
{
    char *args[16];
    int k = 0;
    args[k++] = "--db";
    args[k++] = db;
    args[k++] = "--now";
    args[k++] = (char *)now;
    const char *in[] = {a0, a1, a2, a3};
    for (int i = 0; i < 4 && in[i]; i++)
        args[k++] = (char *)in[i];
    args[k++] = "--json";
    args[k] = NULL;
    char *out, *err;
    int rc = tu_cli(args, &out, &err);
    if (rc != 0)
        fprintf(stderr, "\n%s %s: exit %d: %s\n", a0, a1 ? a1 : "", rc, err);
    CU_ASSERT_EQUAL(rc, 0);
    cJSON *j = cJSON_Parse(out);
    free(out);
    free(err);
    return j;
}

static void test_lost_client_calls_delivery_of_goods_and_carries_on(void)
{
    fresh_db();
    cJSON_Delete(cli(0, "deploy", BPMNRT_SOURCE_DIR "/samples/delivery-of-goods.bpmn",
                     BPMNRT_SOURCE_DIR "/samples/lost-clients.bpmn", NULL, NULL));
    cJSON *s = cli(0, "start", "lost-clients", "--vars",
                   "{\"manager\":\"olga\",\"client\":\"ACME\",\"offer\":\"O-5\"}", NULL);
    char inst[32];
    snprintf(inst, sizeof inst, "%s", str(s, "instance"));
    cJSON_Delete(s);
    cJSON_Delete(cli(0, "complete", task_at(inst, "CallClient"), NULL, NULL, NULL));
    cJSON_Delete(cli(0, "complete", task_at(inst, "AnalyseReason"), NULL, NULL, NULL));
    /* Not accepted: the process rests 30 days, then calls again. */
    cJSON_Delete(cli(0, "complete", task_at(inst, "PrepareOffer"), "--vars", "{\"accepted\":false}", NULL));
    cJSON *t = cli_at("2026-04-02T09:00:00Z", "tick", NULL, NULL, NULL);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(t, "fired")->valueint, 1);
    cJSON_Delete(t);
    cJSON_Delete(cli(0, "complete", task_at(inst, "CallClient"), NULL, NULL, NULL));
    cJSON_Delete(cli(0, "complete", task_at(inst, "AnalyseReason"), NULL, NULL, NULL));
    cJSON_Delete(cli(0, "complete", task_at(inst, "PrepareOffer"), "--vars", "{\"accepted\":true}", NULL));
    /* The child lives its own life: its own tasks, the parent waits at the call activity. */
    cJSON *p = cli(0, "show", inst, NULL, NULL, NULL);
    cJSON *children = cJSON_GetObjectItem(p, "children");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(children), 1);
    char child[32];
    snprintf(child, sizeof child, "%s", cJSON_GetArrayItem(children, 0)->valuestring);
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(cJSON_GetObjectItem(p, "waiting"), 0)->valuestring, "Delivery");
    cJSON_Delete(p);
    cJSON *c = cli(0, "show", child, NULL, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(str(c, "process"), "delivery-of-goods");
    CU_ASSERT_STRING_EQUAL(str(c, "parent"), inst);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetObjectItem(c, "variables"), "order"), "O-5");
    cJSON_Delete(c);
    cJSON_Delete(cli(0, "complete", task_at(child, "Packing"), NULL, NULL, NULL));
    cJSON_Delete(cli(0, "complete", task_at(child, "Shipping"), "--vars", "{\"trackingNumber\":\"TN-42\"}", NULL));
    cJSON_Delete(cli(0, "complete", task_at(child, "Documents"), NULL, NULL, NULL));
    c = cli(0, "show", child, NULL, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(str(c, "state"), "completed");
    cJSON_Delete(c);
    /* The parent carries on with the child's output. */
    p = cli(0, "show", inst, NULL, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetObjectItem(p, "variables"), "trackingNumber"), "TN-42");
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(cJSON_GetObjectItem(p, "waiting"), 0)->valuestring,
                           "ConfirmDelivery");
    cJSON_Delete(p);
    cJSON *defs = cli(0, "definitions", NULL, NULL, NULL, NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(defs), 2);
    cJSON_Delete(defs);
    /* The funnel as CSV: one row per stage, a header first. */
    char *args[] = {"--db", db, "report", "funnel", "--process", "lost-clients", "--csv", NULL};
    char *csv, *err;
    CU_ASSERT_EQUAL(tu_cli(args, &csv, &err), 0);
    CU_ASSERT(strncmp(csv, "section,process,element,name,waiting,entered,completed,avgMs,medianMs\n",
                      70) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(csv, "stages,lost-clients,CallClient,Call the client,0,2,2,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(csv, "stages,lost-clients,ConfirmDelivery,"
                                       "Confirm the delivery with the client,1,1,0,"));
    free(csv);
    free(err);
    remove_db();
}

static char *history_text(void)
{
    char *args[] = {"--db", db, "history", "--json", NULL};
    char *out, *err;
    CU_ASSERT_EQUAL(tu_cli(args, &out, &err), 0);
    free(err);
    return out;
}

static void expect_refused(const char *a0, const char *a1, const char *a2, const char *a3,
                           const char *needle)
{
    char *args[12];
    int k = 0;
    args[k++] = "--db";
    args[k++] = db;
    const char *in[] = {a0, a1, a2, a3};
    for (int i = 0; i < 4 && in[i]; i++)
        args[k++] = (char *)in[i];
    args[k] = NULL;
    char *out, *err;
    CU_ASSERT_EQUAL(tu_cli(args, &out, &err), 1);
    if (!strstr(err, needle))
        fprintf(stderr, "\nexpected '%s' in: %s\n", needle, err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
    CU_ASSERT_EQUAL(out[0], '\0');
    free(out);
    free(err);
}

static void test_refused_requests_exit_1_and_change_nothing(void)
{
    fresh_db();
    cJSON_Delete(cli(0, "deploy", SAMPLE, NULL, NULL, NULL));
    cJSON *s = cli(0, "start", "incoming-lead", NULL, NULL, NULL);
    char inst[32];
    snprintf(inst, sizeof inst, "%s", str(s, "instance"));
    cJSON_Delete(s);
    char task[32];
    snprintf(task, sizeof task, "%s", task_at(inst, "CheckRequest"));
    char *before = history_text();

    expect_refused("start", "no-such-process", NULL, NULL, "'no-such-process' is not deployed");
    expect_refused("start", "incoming-lead", "--vars", "{not json", "not valid JSON");
    expect_refused("complete", "424242", NULL, NULL, "task 424242 does not exist");
    expect_refused("complete", task, "--vars", "[1]", "must be a JSON object");
    expect_refused("show", "424242", NULL, NULL, "instance 424242 does not exist");
    char bad[] = "/tmp/bpmnrt-bad-XXXXXX.bpmn";
    int fd = mkstemps(bad, 5);
    static const char broken[] =
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n"
        "<process id=\"broken\" isExecutable=\"true\"><startEvent id=\"s\"/>\n"
        "<sequenceFlow id=\"f\" sourceRef=\"s\" targetRef=\"ghost\"/></process></definitions>\n";
    CU_ASSERT_EQUAL(write(fd, broken, sizeof broken - 1), (ssize_t)(sizeof broken - 1));
    close(fd);
    expect_refused("deploy", bad, NULL, NULL, ":3: error: f: targetRef 'ghost'");
    unlink(bad);

    char *after = history_text();
    CU_ASSERT_STRING_EQUAL(before, after);
    free(after);

    /* Completing twice: the second is refused and changes nothing. */
    cJSON_Delete(cli(0, "complete", task, "--vars", "{\"valid\":false}", NULL));
    free(before);
    before = history_text();
    expect_refused("complete", task, NULL, NULL, "does not exist or is already finished");
    after = history_text();
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);
    cJSON *sh = cli(0, "show", inst, NULL, NULL, NULL);
    CU_ASSERT_STRING_EQUAL(str(sh, "state"), "completed"); /* rejected request ends the lead */
    cJSON_Delete(sh);
    remove_db();
}

static void test_wrong_user_is_refused_and_changes_nothing(void)
{
    fresh_db();
    cJSON_Delete(cli(0, "deploy", SAMPLE, NULL, NULL, NULL));
    cJSON *s = cli(0, "start", "incoming-lead", NULL, NULL, NULL);
    char inst[32];
    snprintf(inst, sizeof inst, "%s", str(s, "instance"));
    cJSON_Delete(s);
    char task[32];
    snprintf(task, sizeof task, "%s", task_at(inst, "CheckRequest")); /* candidate group: sales */
    char *before = history_text();
    expect_refused("claim", task, "--user", "mallory", "mallory is neither a candidate user");
    char *args[] = {"--db", db, "complete", task, "--user", "mallory", "--groups", "it", NULL};
    char *out, *err;
    CU_ASSERT_EQUAL(tu_cli(args, &out, &err), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "complete task"));
    free(out);
    free(err);
    char *after = history_text();
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);
    /* A member of the group claims it; the work list shows it as hers. */
    char *claim[] = {"--db", db, "claim", task, "--user", "anna", "--groups", "sales", "--json", NULL};
    CU_ASSERT_EQUAL(tu_cli(claim, &out, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"assignee\":\"anna\""));
    free(out);
    free(err);
    cJSON *wl = cli(0, "tasks", "--user", "anna", NULL, NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(wl), 1);
    cJSON_Delete(wl);
    remove_db();
}

static void test_missing_form_field_is_refused_and_changes_nothing(void)
{
    fresh_db();
    char bpmn[] = "/tmp/bpmnrt-form-XXXXXX.bpmn";
    int fd = mkstemps(bpmn, 5);
    static const char xml[] =
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "
        "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\">"
        "<process id=\"cards\" isExecutable=\"true\"><startEvent id=\"s\"/>"
        "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"t\"/>"
        "<userTask id=\"t\"><extensionElements><camunda:formData>"
        "<camunda:formField id=\"paper\" type=\"enum\"><camunda:value id=\"matte\"/>"
        "<camunda:value id=\"glossy\"/><camunda:validation><camunda:constraint name=\"required\"/>"
        "</camunda:validation></camunda:formField></camunda:formData></extensionElements></userTask>"
        "<sequenceFlow id=\"f1\" sourceRef=\"t\" targetRef=\"e\"/><endEvent id=\"e\"/>"
        "</process></definitions>";
    CU_ASSERT_EQUAL(write(fd, xml, sizeof xml - 1), (ssize_t)(sizeof xml - 1));
    close(fd);
    cJSON_Delete(cli(0, "deploy", bpmn, NULL, NULL, NULL));
    cJSON *s = cli(0, "start", "cards", NULL, NULL, NULL);
    char inst[32];
    snprintf(inst, sizeof inst, "%s", str(s, "instance"));
    cJSON_Delete(s);
    char task[32];
    snprintf(task, sizeof task, "%s", task_at(inst, "t"));
    char *before = history_text();
    expect_refused("complete", task, NULL, NULL, "field 'paper' is required");
    expect_refused("complete", task, "--vars", "{\"paper\":\"silk\"}", "must be one of: matte, glossy");
    char *after = history_text();
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);
    CU_ASSERT_STRING_EQUAL(task_at(inst, "t"), task); /* still open */
    unlink(bpmn);
    remove_db();
}

/* Without --process the funnel covers every deployed process, each once. */
static void test_funnel_without_process_covers_every_process(void)
{
    fresh_db();
    cJSON_Delete(cli(0, "deploy", SAMPLE, BPMNRT_SOURCE_DIR "/samples/delivery-of-goods.bpmn", NULL,
                     NULL));
    cJSON_Delete(cli(0, "start", "incoming-lead", "--key", "L-1", NULL));
    cJSON_Delete(cli(0, "start", "incoming-lead", "--key", "L-2", NULL));
    cJSON *r = cli(0, "report", "funnel", NULL, NULL, NULL);
    cJSON *fs = cJSON_GetObjectItem(r, "funnels");
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(fs), 2);
    int waiting = 0, seen = 0;
    cJSON *f, *st;
    cJSON_ArrayForEach(f, fs) {
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(f, "process"));
        seen += strcmp(p, "incoming-lead") == 0 || strcmp(p, "delivery-of-goods") == 0;
        cJSON_ArrayForEach(st, cJSON_GetObjectItem(f, "stages"))
            waiting += cJSON_GetObjectItem(st, "waiting")->valueint;
    }
    CU_ASSERT_EQUAL(seen, 2);
    CU_ASSERT_EQUAL(waiting, 2);
    cJSON_Delete(r);
}

static void test_export_streams_ndjson_and_since_gives_only_newer_events(void)
{
    fresh_db();
    cJSON_Delete(cli(0, "deploy", SAMPLE, NULL, NULL, NULL));
    cJSON_Delete(cli(0, "start", "incoming-lead", "--key", "L-1", NULL));
    char out[128];
    snprintf(out, sizeof out, "%s.ndjson", db);
    char *args[] = {"--db", db, "export", "--out", out, NULL};
    char *o, *err;
    CU_ASSERT_EQUAL(tu_cli(args, &o, &err), 0);
    free(o);
    free(err);
    size_t len = 0;
    char *text = tu_read_file(out, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    int lines = 0;
    long long last = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        cJSON *ev = cJSON_Parse(line);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
        last = (long long)cJSON_GetObjectItem(ev, "seq")->valuedouble;
        CU_ASSERT_EQUAL(last, lines + 1);
        CU_ASSERT_STRING_EQUAL(str(ev, "key"), "L-1");
        cJSON_Delete(ev);
    }
    free(text);
    CU_ASSERT(lines >= 5);
    /* An increment: nothing new yet, then exactly the events of the next operation. */
    char since[32];
    snprintf(since, sizeof since, "%lld", last);
    cJSON *none = cli(0, "history", "--since", since, NULL, NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(none), 0);
    cJSON_Delete(none);
    cJSON_Delete(cli(0, "start", "incoming-lead", NULL, NULL, NULL));
    cJSON *more = cli(0, "history", "--since", since, NULL, NULL);
    CU_ASSERT(cJSON_GetArraySize(more) >= 5);
    CU_ASSERT_EQUAL((long long)cJSON_GetObjectItem(cJSON_GetArrayItem(more, 0), "seq")->valuedouble,
                    last + 1);
    cJSON_Delete(more);
    /* Numbers come out of the increment exactly as they went in (17 digits where 15 are not). */
    cJSON_Delete(cli(0, "start", "incoming-lead", "--vars", "{\"score\":0.30000000000000004}", NULL));
    char *hargs[] = {"--db", db, "history", "--since", since, "--json", NULL};
    CU_ASSERT_EQUAL(tu_cli(hargs, &o, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(o, "\"score\":0.30000000000000004"));
    free(o);
    free(err);
    unlink(out);
    remove_db();
}

static void test_foreign_file_is_refused_as_a_store(void)
{
    fresh_db();
    FILE *f = fopen(db, "wb");
    fputs("this is not an LMDB file, it is a shopping list: milk, eggs, bread.......", f);
    for (int i = 0; i < 200; i++)
        fputs("padding padding padding padding padding padding padding padding\n", f);
    fclose(f);
    expect_refused("instances", NULL, NULL, NULL, db);
    f = fopen(db, "rb");
    char head[8] = {0};
    CU_ASSERT_EQUAL(fread(head, 1, 7, f), 7);
    fclose(f);
    CU_ASSERT_STRING_EQUAL(head, "this is"); /* never repaired or overwritten */
    remove_db();
}

/* deploy FILE... takes any number of files and is all-or-nothing: one refused file deploys none. */
static void test_deploy_takes_many_files_all_or_nothing(void)
{
    fresh_db();
    static const char *names[] = {"incoming-lead", "lost-clients", "delivery-of-goods",
                                  "sales-deal", "business-card-order"};
    char paths[5][256];
    char *args[16];
    int k = 0;
    args[k++] = "--db";
    args[k++] = db;
    args[k++] = "deploy";
    for (int i = 0; i < 5; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/samples/%s.bpmn", BPMNRT_SOURCE_DIR, names[i]);
        args[k++] = paths[i];
    }
    char bad[96];
    snprintf(bad, sizeof bad, "%s.bad.bpmn", db);
    FILE *f = fopen(bad, "w");
    fputs("<definitions xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL'>"
          "<process id='broken' isExecutable='true'><startEvent id='s'/>"
          "<sequenceFlow id='f' sourceRef='s' targetRef='nowhere'/></process></definitions>", f);
    fclose(f);
    args[k++] = bad;
    args[k++] = "--json";
    args[k] = NULL;
    char *out, *err;
    CU_ASSERT_EQUAL(tu_cli(args, &out, &err), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nowhere"));
    CU_ASSERT_EQUAL(out[0], '\0');
    free(out);
    free(err);
    cJSON *defs = cli(0, "definitions", NULL, NULL, NULL, NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(defs), 0); /* the five good files were not deployed */
    cJSON_Delete(defs);

    args[k - 2] = "--json";
    args[k - 1] = NULL;
    CU_ASSERT_EQUAL(tu_cli(args, &out, &err), 0);
    cJSON *d = cJSON_Parse(out);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(d, "deployments")), 5);
    cJSON_Delete(d);
    free(out);
    free(err);
    defs = cli(0, "definitions", NULL, NULL, NULL, NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(defs), 5);
    cJSON_Delete(defs);
    unlink(bad);
    remove_db();
}

int main(void)
{
    static const tu_case cases[] = {
        {"job_error_carries_variables_to_its_catch", test_job_error_carries_variables_to_its_catch},
        {"process_without_is_executable_is_said_and_deploys_when_assumed",
         test_process_without_is_executable_is_said_and_deploys_when_assumed},
        {"incoming_lead_runs_end_to_end_across_processes",
         test_incoming_lead_runs_end_to_end_across_processes},
        {"lost_client_calls_delivery_of_goods_and_carries_on",
         test_lost_client_calls_delivery_of_goods_and_carries_on},
        {"refused_requests_exit_1_and_change_nothing",
         test_refused_requests_exit_1_and_change_nothing},
        {"wrong_user_is_refused_and_changes_nothing",
         test_wrong_user_is_refused_and_changes_nothing},
        {"missing_form_field_is_refused_and_changes_nothing",
         test_missing_form_field_is_refused_and_changes_nothing},
        {"funnel_without_process_covers_every_process",
         test_funnel_without_process_covers_every_process},
        {"export_streams_ndjson_and_since_gives_only_newer_events",
         test_export_streams_ndjson_and_since_gives_only_newer_events},
        {"foreign_file_is_refused_as_a_store", test_foreign_file_is_refused_as_a_store},
        {"deploy_takes_many_files_all_or_nothing", test_deploy_takes_many_files_all_or_nothing},
        {NULL, NULL},
    };
    return tu_run("cli_engine", cases);
}
