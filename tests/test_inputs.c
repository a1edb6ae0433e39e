/*
 * test_inputs.c - what comes in from outside and the state it meets (issue 14): duplicate keys
 * in variables, --vars from a file or standard input, instance operations on finished
 * instances, the acting user in history and --user where it has no use, a store that may be
 * read but not written, and a full disk. Most cases run the bpmnrt binary as a separate process;
 * the read-only store runs it as another user when the suite runs as root (root writes through
 * permission bits), and the full disk is a real 512 KiB tmpfs in a private mount namespace when
 * the suite may mount one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "stores/store.h"
#include "test_util.h"

static char dir[64]; /* a temporary directory per test, holding the store and the inputs */
static char db[128];

#define NOBODY 65534

static void fresh(void)
{
    strcpy(dir, "/tmp/bpmnrt-inputs-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    chmod(dir, 0755);
    snprintf(db, sizeof db, "%s/store.db", dir);
}

static void cleanup(void)
{
    char cmd[160];
    chmod(dir, 0755);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

static unsigned as_uid;     /* who runs the commands: 0 for ourselves */
static const char *stdin_of; /* the file standard input reads, for the next command */
static char last_err[4096];

/* bpmnrt --db DB --now T ARGS... (NULL-terminated); asserts the exit code; returns parsed
 * stdout (NULL unless 0) and keeps stderr in last_err. */
static cJSON *cli(int expect, ...)
{
    char *args[40];
    int k = 0;
    args[k++] = "--db";
    args[k++] = db;
    args[k++] = "--now";
    args[k++] = "2026-03-02T09:00:00Z";
    va_list ap;
    va_start(ap, expect);
    for (char *a; k < 38 && (a = va_arg(ap, char *)) != NULL;)
        args[k++] = a;
    va_end(ap);
    args[k] = NULL;
    char *out, *err;
    int rc = tu_cli_as(as_uid, stdin_of ? stdin_of : "/dev/null", args, &out, &err);
    stdin_of = NULL;
    if (rc != expect) {
        fprintf(stderr, "\n");
        for (int i = 4; i < k; i++)
            fprintf(stderr, "%s ", strlen(args[i]) > 80 ? "(long)" : args[i]);
        fprintf(stderr, ": exit %d, expected %d\nstdout: %.300s\nstderr: %s\n", rc, expect, out,
                err);
    }
    CU_ASSERT_EQUAL(rc, expect);
    snprintf(last_err, sizeof last_err, "%s", err);
    if (rc != 0)
        CU_ASSERT(strlen(err) > 0);
    cJSON *j = rc == 0 ? cJSON_Parse(out) : NULL;
    free(out);
    free(err);
    return j;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

#define ERR_HAS(text)                                                                      \
    do {                                                                                   \
        if (!strstr(last_err, (text)))                                                     \
            fprintf(stderr, "\nstderr lacks \"%s\": %s\n", (text), last_err);              \
        CU_ASSERT_PTR_NOT_NULL(strstr(last_err, (text)));                                  \
    } while (0)

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

/* A user task T, then a job S of type "work". name differs between versions. */
static const char *const INP =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"\n"
    "    xmlns:zeebe=\"http://camunda.org/schema/zeebe/1.0\" id=\"d\" targetNamespace=\"t\">\n"
    "  <bpmn:process id=\"inp\" name=\"%s\" isExecutable=\"true\">\n"
    "    <bpmn:startEvent id=\"s\"/>\n"
    "    <bpmn:sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"T\"/>\n"
    "    <bpmn:userTask id=\"T\"/>\n"
    "    <bpmn:sequenceFlow id=\"f2\" sourceRef=\"T\" targetRef=\"S\"/>\n"
    "    <bpmn:serviceTask id=\"S\"><bpmn:extensionElements>\n"
    "      <zeebe:taskDefinition type=\"work\"/></bpmn:extensionElements></bpmn:serviceTask>\n"
    "    <bpmn:sequenceFlow id=\"f3\" sourceRef=\"S\" targetRef=\"e\"/>\n"
    "    <bpmn:endEvent id=\"e\"/>\n"
    "  </bpmn:process>\n"
    "  <bpmn:process id=\"done\" isExecutable=\"true\">\n"
    "    <bpmn:startEvent id=\"s2\"/>\n"
    "    <bpmn:sequenceFlow id=\"g1\" sourceRef=\"s2\" targetRef=\"e2\"/>\n"
    "    <bpmn:endEvent id=\"e2\"/>\n"
    "  </bpmn:process>\n"
    "</bpmn:definitions>\n";

static void deploy(const char *name)
{
    char path[160], xml[4096];
    snprintf(path, sizeof path, "%s/%s.bpmn", dir, name);
    snprintf(xml, sizeof xml, INP, name);
    write_file(path, xml);
    cJSON_Delete(cli(0, "deploy", path, "--json", NULL));
}

/* Starts inp; the id goes into id (32 bytes). */
static void start(char *id, const char *vars)
{
    cJSON *s = vars ? cli(0, "start", "inp", "--vars", vars, "--json", NULL)
                    : cli(0, "start", "inp", "--json", NULL);
    snprintf(id, 32, "%s", str(s, "instance"));
    cJSON_Delete(s);
}

static cJSON *history(const char *inst)
{
    return cli(0, "history", inst, "--json", NULL);
}

static int history_len(const char *inst)
{
    cJSON *h = history(inst);
    int n = cJSON_GetArraySize(h);
    cJSON_Delete(h);
    return n;
}

static void first_id(const char *cmd, const char *inst, char *id)
{
    cJSON *l = strcmp(cmd, "tasks") == 0 ? cli(0, "tasks", "--instance", inst, "--json", NULL)
                                         : cli(0, "jobs", "--json", NULL);
    CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(l), 1);
    snprintf(id, 32, "%s", str(cJSON_GetArrayItem(l, 0), "id"));
    cJSON_Delete(l);
}

/* ---- duplicate keys ------------------------------------------------------------------------ */

static int handler_rc[4];

static int dup_handler(void *ud, const bpmn_job_info *job, bpmn_job_result *r)
{
    (void)ud;
    (void)job;
    handler_rc[0] = bpmn_job_result_vars(r, "{\"x\":1,\"x\":2}");
    handler_rc[1] = bpmn_job_result_vars(r, "{\"o\":{\"y\":1,\"y\":2}}");
    handler_rc[2] = bpmn_job_result_vars(r, "{\"x\":1} trailing");
    handler_rc[3] = bpmn_job_result_vars(r, "{\"x\":1,\"o\":{\"y\":1},\"l\":[{\"y\":2}]}");
    return handler_rc[3];
}

static void test_duplicate_keys_are_refused_everywhere_naming_the_key(void)
{
    fresh();
    deploy("v1");
    char inst[32], task[32], job[32];
    start(inst, "{\"amount\":1}");
    int events = history_len(inst);

    cli(1, "start", "inp", "--vars", "{\"a\":1,\"a\":2}", NULL);
    ERR_HAS("\"a\" twice");
    cli(1, "start", "inp", "--vars", "{\"o\":{\"deep\":{\"b\":1,\"b\":2}}}", NULL);
    ERR_HAS("\"b\" twice");
    cli(1, "start", "inp", "--vars", "{\"l\":[1,{\"c\":1,\"c\":2}]}", NULL);
    ERR_HAS("\"c\" twice");
    /* Over 16 members the check sorts the keys instead of comparing every pair. */
    char big[4096];
    size_t off = (size_t)snprintf(big, sizeof big, "{");
    for (int i = 0; i < 100; i++)
        off += (size_t)snprintf(big + off, sizeof big - off, "\"k%d\":%d,", i, i);
    snprintf(big + off, sizeof big - off, "\"k42\":0}");
    cli(1, "start", "inp", "--vars", big, NULL);
    ERR_HAS("\"k42\" twice");
    big[off - 1] = '}';
    big[off] = '\0';
    cJSON_Delete(cli(0, "start", "inp", "--vars", big, "--json", NULL)); /* 100 distinct keys */

    first_id("tasks", inst, task);
    cli(1, "complete", task, "--vars", "{\"ok\":true,\"ok\":false}", NULL);
    ERR_HAS("\"ok\" twice");
    cli(1, "set-vars", inst, "--vars", "{\"amount\":2,\"amount\":3}", NULL);
    ERR_HAS("\"amount\" twice");
    cli(1, "correlate", "msg", "--vars", "{\"m\":1,\"m\":1}", NULL);
    ERR_HAS("\"m\" twice");
    cli(1, "signal", "sig", "--vars", "{\"s\":1,\"s\":1}", NULL);
    ERR_HAS("\"s\" twice");
    cli(1, "set-vars", inst, "--vars", "{\"amount\":2} {}", NULL); /* trailing text */
    ERR_HAS("not valid JSON");
    /* Nothing of it was stored: the same history, the same variables, the task still open. */
    CU_ASSERT_EQUAL(history_len(inst), events);
    cJSON *sh = cli(0, "show", inst, "--json", NULL);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(sh, "variables"), "amount")->valueint,
                    1);
    cJSON_Delete(sh);

    cJSON_Delete(cli(0, "complete", task, "--json", NULL));
    first_id("jobs", inst, job);
    cli(1, "job", "complete", job, "--vars", "{\"r\":1,\"r\":2}", NULL);
    ERR_HAS("\"r\" twice");
    cJSON *jobs = cli(0, "jobs", "--json", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(jobs), 1);
    cJSON_Delete(jobs);

    /* In-process job results are read the same way. */
    bpmn_engine_options o = {0};
    o.path = db;
    bpmn_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_engine_open(&o, &e, NULL, 0), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_job_handler_set(e, "work", dup_handler, NULL), BPMN_OK);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_start(e, "inp", 0, NULL, NULL, &out), BPMN_OK);
    bpmn_free(e, out);
    CU_ASSERT_EQUAL(bpmn_instance_start(e, "inp", 0, "{\"a\":1,\"a\":1}", NULL, &out),
                    BPMN_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(e), "\"a\""));
    CU_ASSERT_EQUAL(bpmn_instance_set_vars_as(e, inst, NULL, "{\"q\":{\"z\":1,\"z\":1}}", &out),
                    BPMN_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(e), "\"z\""));
    bpmn_engine_close(e);
    cleanup();
}

static void test_job_results_with_duplicate_keys_are_refused(void)
{
    fresh();
    deploy("v1");
    bpmn_engine_options o = {0};
    o.path = db;
    bpmn_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_engine_open(&o, &e, NULL, 0), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_job_handler_set(e, "work", dup_handler, NULL), BPMN_OK);
    char *out = NULL, *task = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_start(e, "inp", 0, NULL, NULL, &out), BPMN_OK);
    cJSON *s = cJSON_Parse(out);
    bpmn_free(e, out);
    CU_ASSERT_EQUAL(bpmn_task_list(e, str(s, "instance"), NULL, NULL, &task), BPMN_OK);
    cJSON *t = cJSON_Parse(task);
    bpmn_free(e, task);
    CU_ASSERT_EQUAL(bpmn_task_complete(e, str(cJSON_GetArrayItem(t, 0), "id"), NULL, &out),
                    BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "completed"));
    bpmn_free(e, out);
    CU_ASSERT_EQUAL(handler_rc[0], BPMN_EINVAL);
    CU_ASSERT_EQUAL(handler_rc[1], BPMN_EINVAL);
    CU_ASSERT_EQUAL(handler_rc[2], BPMN_EINVAL);
    CU_ASSERT_EQUAL(handler_rc[3], BPMN_OK);
    cJSON_Delete(s);
    cJSON_Delete(t);
    bpmn_engine_close(e);
    cleanup();
}

/* ---- --vars @FILE and --vars - --------------------------------------------------------------- */

/* Writes about bytes of variables {"v0":"xxx...",...}; n receives their count. */
static void write_vars(const char *path, size_t bytes, int *n)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char pad[201];
    memset(pad, 'x', 200);
    pad[200] = '\0';
    size_t written = (size_t)fprintf(f, "{");
    int i = 0;
    for (; written < bytes; i++)
        written += (size_t)fprintf(f, "%s\"v%d\":\"%s\"", i ? "," : "", i, pad);
    fprintf(f, "}");
    fclose(f);
    *n = i;
}

static void test_vars_come_from_a_file_or_stdin_past_the_argument_limit(void)
{
    fresh();
    deploy("v1");
    char big[160], small[160], inst[32], task[32];
    snprintf(big, sizeof big, "%s/big.json", dir);
    snprintf(small, sizeof small, "%s/small.json", dir);
    int n = 0;
    write_vars(big, 1 << 20, &n); /* 1 MiB: eight times what one argument may carry */
    write_file(small, "{\"from\":\"stdin\",\"n\":7}");
    char at_big[170];
    snprintf(at_big, sizeof at_big, "@%s", big);

    start(inst, at_big);
    cJSON *sh = cli(0, "show", inst, "--json", NULL);
    cJSON *vars = cJSON_GetObjectItem(sh, "variables");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(vars), n);
    CU_ASSERT_EQUAL(strlen(str(vars, "v0")), 200);
    cJSON_Delete(sh);

    stdin_of = small;
    cJSON_Delete(cli(0, "set-vars", inst, "--vars", "-", "--json", NULL));
    first_id("tasks", inst, task);
    stdin_of = small;
    cJSON_Delete(cli(0, "complete", task, "--vars", "-", "--json", NULL));
    sh = cli(0, "show", inst, "--json", NULL);
    CU_ASSERT_STRING_EQUAL(str(cJSON_GetObjectItem(sh, "variables"), "from"), "stdin");
    cJSON_Delete(sh);
    char job[32];
    first_id("jobs", inst, job);
    cJSON *jc = cli(0, "job", "complete", job, "--vars", at_big, "--json", NULL);
    CU_ASSERT_STRING_EQUAL(str(jc, "state"), "completed");
    cJSON_Delete(jc);
    stdin_of = small;
    cli(1, "correlate", "nobody-waits", "--vars", "-", NULL); /* read, then nothing waits */
    ERR_HAS("nothing waits for message");
    cJSON *sg = cli(0, "signal", "nobody", "--vars", at_big, NULL);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(sg, "delivered")->valueint, 0);
    cJSON_Delete(sg);

    /* Bounded, regular files only, and said so. */
    cli(1, "--limit", "file-bytes=1000", "start", "inp", "--vars", at_big, NULL);
    cli(1, "start", "inp", "--vars", "@/dev/null", NULL);
    ERR_HAS("not a regular file");
    char fifo[160], at_fifo[170];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    CU_ASSERT_EQUAL(mkfifo(fifo, 0600), 0);
    snprintf(at_fifo, sizeof at_fifo, "@%s", fifo);
    cli(1, "start", "inp", "--vars", at_fifo, NULL); /* refused at once, not waiting */
    ERR_HAS("not a regular file");
    cli(1, "start", "inp", "--vars", "@/nonexistent/vars.json", NULL);
    ERR_HAS("No such file");
    cJSON *all = cli(0, "instances", "--json", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(all), 1);
    cJSON_Delete(all);
    cleanup();
}

/* ---- finished instances -------------------------------------------------------------------- */

static void refuse_all(const char *inst, const char *state)
{
    int before = history_len(inst);
    const char *cmds[] = {"set-vars", "suspend", "resume", "retry", "migrate", "cancel"};
    for (int i = 0; i < 6; i++) {
        if (i == 0)
            cli(1, "set-vars", inst, "--vars", "{\"late\":1}", "--user", "anna", NULL);
        else if (i == 4)
            cli(1, "migrate", inst, "--to-version", "2", NULL);
        else
            cli(1, cmds[i], inst, "--user", "anna", NULL);
        ERR_HAS(state);
    }
    CU_ASSERT_EQUAL(history_len(inst), before);
    cJSON *sh = cli(0, "show", inst, "--json", NULL);
    CU_ASSERT_STRING_EQUAL(str(sh, "state"), state);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(cJSON_GetObjectItem(sh, "variables"), "late"));
    cJSON_Delete(sh);
}

static void test_finished_instances_refuse_every_change(void)
{
    fresh();
    deploy("v1");
    deploy("v2");
    char inst[32];
    start(inst, NULL);
    cJSON_Delete(cli(0, "cancel", inst, "--json", NULL));
    refuse_all(inst, "terminated");
    cJSON *h = history(inst);
    const cJSON *last = cJSON_GetArrayItem(h, cJSON_GetArraySize(h) - 1);
    CU_ASSERT_STRING_EQUAL(str(last, "type"), "instance_terminated");
    cJSON_Delete(h);

    cJSON *d = cli(0, "start", "done", "--json", NULL);
    CU_ASSERT_STRING_EQUAL(str(d, "state"), "completed");
    refuse_all(str(d, "instance"), "completed");
    cJSON_Delete(d);
    cleanup();
}

/* ---- the acting user ----------------------------------------------------------------------- */

/* The user of the last event of type in the instance's history ("" for null, "-" if none). */
static const char *user_of(const char *inst, const char *type)
{
    static char user[64];
    snprintf(user, sizeof user, "-");
    cJSON *h = history(inst), *ev;
    cJSON_ArrayForEach(ev, h) {
        if (strcmp(str(ev, "type"), type) == 0)
            snprintf(user, sizeof user, "%s", str(ev, "user"));
    }
    cJSON_Delete(h);
    return user;
}

static void test_acting_user_is_recorded_and_refused_where_unused(void)
{
    fresh();
    deploy("v1");
    deploy("v2");
    char inst[32], task[32], job[32];
    start(inst, NULL);
    cJSON_Delete(cli(0, "suspend", inst, "--user", "anna", "--json", NULL));
    CU_ASSERT_STRING_EQUAL(user_of(inst, "instance_suspended"), "anna");
    cJSON_Delete(cli(0, "resume", inst, "--user", "boris", "--json", NULL));
    CU_ASSERT_STRING_EQUAL(user_of(inst, "instance_resumed"), "boris");
    cJSON_Delete(cli(0, "set-vars", inst, "--vars", "{\"x\":1}", "--user", "carl", "--json", NULL));
    CU_ASSERT_STRING_EQUAL(user_of(inst, "variables_updated"), "carl");
    cJSON_Delete(cli(0, "migrate", inst, "--to-version", "2", "--user", "dora", "--json", NULL));
    CU_ASSERT_STRING_EQUAL(user_of(inst, "instance_migrated"), "dora");
    first_id("tasks", inst, task);
    cJSON_Delete(cli(0, "complete", task, "--json", NULL));
    first_id("jobs", inst, job);
    cJSON_Delete(cli(0, "job", "fail", job, "--message", "down", "--retries", "0", "--json", NULL));
    cJSON_Delete(cli(0, "retry", inst, "--user", "erin", "--json", NULL));
    CU_ASSERT_STRING_EQUAL(user_of(inst, "incident_resolved"), "erin");
    cJSON_Delete(cli(0, "cancel", inst, "--user", "fred", "--json", NULL));
    CU_ASSERT_STRING_EQUAL(user_of(inst, "instance_terminated"), "fred");

    /* start --user records the starter (what camunda:initiator and read-own grants use). */
    cJSON *st = cli(0, "start", "inp", "--user", "gina", "--json", NULL);
    const cJSON *sid = cJSON_GetObjectItem(st, "instance");
    if (cJSON_IsString(sid))
        CU_ASSERT_STRING_EQUAL(user_of(sid->valuestring, "instance_started"), "gina");
    cJSON_Delete(st);

    /* Without --user the operator acts: null, as before. */
    char other[32];
    start(other, NULL);
    cJSON_Delete(cli(0, "suspend", other, "--json", NULL));
    CU_ASSERT_STRING_EQUAL(user_of(other, "instance_suspended"), "");

    /* Commands that have no use for --user (or --groups, --vars) refuse it: exit 2. */
    int events = history_len(other);
    cli(2, "show", other, "--user", "anna", NULL);
    cli(2, "instances", "--user", "anna", NULL);
    cli(2, "definitions", "--user", "anna", NULL);
    cli(2, "tick", "--user", "anna", NULL);
    cli(2, "history", other, "--user", "anna", NULL);
    cli(2, "export", "--out", "/dev/null", "--user", "anna", NULL);
    cli(2, "jobs", "--user", "anna", NULL);
    cli(2, "start", "inp", "--groups", "sales", NULL);
    cli(2, "resume", other, "--groups", "sales", NULL);
    cli(2, "show", other, "--vars", "{}", NULL);
    cli(2, "job", "fail", "1", "--message", "m", "--vars", "{}", NULL);
    ERR_HAS("--vars");
    CU_ASSERT_EQUAL(history_len(other), events);

    /* The API's _as variants, and the old functions still working (the operator). */
    bpmn_engine_options o = {0};
    o.path = db;
    bpmn_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_engine_open(&o, &e, NULL, 0), BPMN_OK);
    bpmn_actor gil = {"gil", "ops"};
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_instance_resume_as(e, other, &gil, &out), BPMN_OK);
    bpmn_free(e, out);
    CU_ASSERT_EQUAL(bpmn_instance_suspend(e, other, &out), BPMN_OK);
    bpmn_free(e, out);
    CU_ASSERT_EQUAL(bpmn_instance_resume(e, other, &out), BPMN_OK);
    bpmn_free(e, out);
    CU_ASSERT_EQUAL(bpmn_instance_set_vars_as(e, other, &gil, "{\"y\":2}", &out), BPMN_OK);
    bpmn_free(e, out);
    CU_ASSERT_EQUAL(bpmn_instance_cancel_as(e, other, &gil, &out), BPMN_OK);
    bpmn_free(e, out);
    CU_ASSERT_EQUAL(bpmn_instance_retry_as(e, other, &gil, &out), BPMN_ESTATE);
    CU_ASSERT_EQUAL(bpmn_instance_migrate_as(e, other, &gil, 1, NULL, &out), BPMN_ESTATE);
    bpmn_engine_close(e);
    CU_ASSERT_STRING_EQUAL(user_of(other, "variables_updated"), "gil");
    CU_ASSERT_STRING_EQUAL(user_of(other, "instance_terminated"), "gil");
    CU_ASSERT_STRING_EQUAL(user_of(other, "instance_resumed"), ""); /* the last: by the operator */
    cleanup();
}

/* ---- a read-only store --------------------------------------------------------------------- */

/* Runs the read and write commands on the store as a user who may read but not write it. */
static void read_only_checks(const char *inst)
{
    cJSON *sh = cli(0, "show", inst, "--json", NULL);
    CU_ASSERT_STRING_EQUAL(str(sh, "state"), "active");
    cJSON_Delete(sh);
    cJSON *l = cli(0, "instances", "--json", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(l), 1);
    cJSON_Delete(l);
    cJSON_Delete(cli(0, "tasks", "--json", NULL));
    cJSON *h = cli(0, "history", inst, "--json", NULL);
    CU_ASSERT(cJSON_GetArraySize(h) > 0);
    cJSON_Delete(h);
    cJSON *d = cli(0, "definitions", "--json", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(d), 2);
    cJSON_Delete(d);
    char out[160];
    snprintf(out, sizeof out, "/tmp/bpmnrt-inputs-export-%d.ndjson", (int)getpid());
    cJSON_Delete(cli(0, "export", "--out", out, NULL));
    unlink(out);
    char want[256];
    snprintf(want, sizeof want, "the store %s is read-only", db);
    cli(1, "start", "inp", NULL);
    ERR_HAS(want);
    CU_ASSERT_EQUAL(count(last_err, db), 1);
    cli(1, "set-vars", inst, "--vars", "{\"x\":1}", NULL);
    ERR_HAS(want);
    cli(1, "cancel", inst, NULL);
    ERR_HAS(want);
}

static void test_read_only_store_opens_for_reading(void)
{
    fresh();
    deploy("v1");
    char inst[32];
    start(inst, NULL);
    char lock[160];
    snprintf(lock, sizeof lock, "%s-lock", db);
    /* Root writes through permission bits: then the commands run as nobody, who really
     * cannot write the file. */
    as_uid = geteuid() == 0 ? NOBODY : 0;
    if (as_uid && access(BPMNRT_BIN, X_OK) != 0) {
        fprintf(stderr, "\n  skipped: running as root and %s is not executable for others\n",
                BPMNRT_BIN);
        as_uid = 0;
        cleanup();
        return;
    }
    /* 1. The file is read-only, its lock file may be written (a shared store). */
    CU_ASSERT_EQUAL(chmod(db, 0444), 0);
    CU_ASSERT_EQUAL(chmod(lock, 0666), 0);
    if (!as_uid)
        CU_ASSERT_NOT_EQUAL(access(db, W_OK), 0);
    read_only_checks(inst);
    /* 2. Also the directory is read-only and no lock file exists: read without locks. */
    CU_ASSERT_EQUAL(unlink(lock), 0);
    CU_ASSERT_EQUAL(chmod(dir, 0555), 0);
    read_only_checks(inst);
    CU_ASSERT_NOT_EQUAL(access(lock, F_OK), 0); /* and none was made */
    /* 3. A store that does not exist cannot be made there: said so, once. */
    char missing[sizeof db];
    snprintf(missing, sizeof missing, "%s", db);
    snprintf(db, sizeof db, "%s/other.db", dir);
    cli(1, "instances", NULL);
    ERR_HAS("cannot be created");
    CU_ASSERT_EQUAL(count(last_err, db), 1);
    snprintf(db, sizeof db, "%s", missing);
    as_uid = 0;
    CU_ASSERT_EQUAL(chmod(dir, 0755), 0);
    cleanup();
}

/* ---- a full disk --------------------------------------------------------------------------- */

static int always_enospc(void *ud, int op)
{
    (void)ud;
    return op == ST_OP_COMMIT ? ENOSPC : 0;
}

static int put_one(st_txn *t, void *ud)
{
    (void)ud;
    return st_put(t, ST_META, "k", 1, "v", 1);
}

/* The store layer words ENOSPC itself, whichever write or commit meets it. */
static void test_enospc_is_reported_as_no_space_on_the_device(void)
{
    fresh();
    st_options o = {db, 0, 0, 0, 1};
    st_store *s = NULL;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(st_open(&o, &s, err, sizeof err), BPMN_OK);
    st_set_fault(s, always_enospc, NULL);
    CU_ASSERT_EQUAL(st_run(s, put_one, NULL), BPMN_EIO);
    char want[256];
    snprintf(want, sizeof want, "no space left on the device holding %s", db);
    CU_ASSERT_STRING_EQUAL(st_errmsg(s), want);
    st_set_fault(s, NULL, NULL);
    st_close(s);
    cleanup();
}

/* A real full disk: a 512 KiB tmpfs, mounted in a mount namespace of this process only (it goes
 * with the process). LMDB reports the short write of a full disk as EIO; the message must still
 * say what happened, and the store stays readable with every commit before it. */
static void test_full_disk_for_real(void)
{
    fresh();
    if (geteuid() != 0 || unshare(CLONE_NEWNS) != 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", dir, "tmpfs", 0, "size=512k,mode=0755") != 0) {
        fprintf(stderr, "\n  skipped: cannot mount a small tmpfs here (%s); the message is "
                        "checked at the store layer only\n", strerror(errno));
        cleanup();
        return;
    }
    deploy("v1");
    char vars[160], at[170];
    snprintf(vars, sizeof vars, "/tmp/bpmnrt-inputs-vars-%d.json", (int)getpid());
    snprintf(at, sizeof at, "@%s", vars);
    int n = 0, started = 0, failed = 0;
    write_vars(vars, 100000, &n);
    for (int i = 0; i < 20 && !failed; i++) {
        char *args[] = {"--db", db, "start", "inp", "--vars", at, "--json", NULL};
        char *out, *err;
        int rc = tu_cli_as(0, "/dev/null", args, &out, &err);
        if (rc == 0) {
            started++;
        } else {
            failed = 1;
            char want[256];
            snprintf(want, sizeof want, "no space left on the device holding %s", db);
            if (!strstr(err, want))
                fprintf(stderr, "\nfull disk: %s\n", err);
            CU_ASSERT_EQUAL(rc, 1);
            CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
            CU_ASSERT_EQUAL(count(err, db), 1);
            CU_ASSERT_PTR_NULL(strstr(err, "nput/output"));
        }
        free(out);
        free(err);
    }
    unlink(vars);
    CU_ASSERT(failed);
    CU_ASSERT(started > 0);
    cJSON *all = cli(0, "instances", "--json", NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(all), started);
    cJSON_Delete(all);
    CU_ASSERT_EQUAL(umount(dir), 0);
    cleanup();
}

/* The path of a store that cannot be opened appears once in the message. */
static void test_store_messages_name_the_path_once(void)
{
    fresh();
    write_file(db, "not a store at all, but long enough to be read as one: ........................"
                   "................................................................................"
                   "................................................................................");
    cli(1, "instances", NULL);
    ERR_HAS("not a bpmnrt store");
    CU_ASSERT_EQUAL(count(last_err, db), 1);
    cleanup();
}

int main(void)
{
    static const tu_case cases[] = {
        {"duplicate_keys_are_refused_everywhere_naming_the_key",
         test_duplicate_keys_are_refused_everywhere_naming_the_key},
        {"job_results_with_duplicate_keys_are_refused",
         test_job_results_with_duplicate_keys_are_refused},
        {"vars_come_from_a_file_or_stdin_past_the_argument_limit",
         test_vars_come_from_a_file_or_stdin_past_the_argument_limit},
        {"finished_instances_refuse_every_change", test_finished_instances_refuse_every_change},
        {"acting_user_is_recorded_and_refused_where_unused",
         test_acting_user_is_recorded_and_refused_where_unused},
        {"read_only_store_opens_for_reading", test_read_only_store_opens_for_reading},
        {"enospc_is_reported_as_no_space_on_the_device",
         test_enospc_is_reported_as_no_space_on_the_device},
        {"store_messages_name_the_path_once", test_store_messages_name_the_path_once},
        {"full_disk_for_real", test_full_disk_for_real},
        {NULL, NULL},
    };
    return tu_run("inputs", cases);
}
