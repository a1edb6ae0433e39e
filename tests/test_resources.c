/*
 * test_resources.c - what a request may cost the others: a deploy of a large or hostile file
 * delays no other writer (the document is read and compiled before the write transaction), a
 * file with a million attributes is refused at once, a FIFO is not waited on, and a process
 * that loops without a wait state leaves the store as it was before the runaway run, plus its
 * incident.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test_util.h"

#define NS "http://www.omg.org/spec/BPMN/20100524/MODEL"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* A valid executable process of n tasks in a row: a few MB that take a while to compile. */
static char *long_process(unsigned n, size_t *len)
{
    size_t cap = (size_t)n * 128 + 1024, off = 0;
    char *b = malloc(cap);
    off += (size_t)snprintf(b + off, cap - off,
                            "<?xml version=\"1.0\"?>\n<definitions xmlns=\"" NS "\" id=\"d\" "
                            "targetNamespace=\"t\">\n<process id=\"long\" isExecutable=\"true\">\n"
                            "<startEvent id=\"s\"/><sequenceFlow id=\"f0\" sourceRef=\"s\" "
                            "targetRef=\"t1\"/>\n");
    for (unsigned k = 1; k <= n; k++) {
        char next[32];
        if (k < n)
            snprintf(next, sizeof next, "t%u", k + 1);
        else
            snprintf(next, sizeof next, "e");
        off += (size_t)snprintf(b + off, cap - off,
                                "<task id=\"t%u\" name=\"step %u\"/><sequenceFlow id=\"f%u\" "
                                "sourceRef=\"t%u\" targetRef=\"%s\"/>\n",
                                k, k, k, k, next);
    }
    off += (size_t)snprintf(b + off, cap - off, "<endEvent id=\"e\"/></process></definitions>\n");
    *len = off;
    return b;
}

/* One element with n attributes: 12 MB for a million, under the 64 MiB size limit. */
static char *many_attributes(unsigned long n, size_t *len)
{
    size_t cap = n * 16 + 1024, off = 0;
    char *b = malloc(cap);
    off += (size_t)snprintf(b + off, cap - off,
                            "<?xml version=\"1.0\"?>\n<definitions xmlns=\"" NS "\">\n"
                            "<process id=\"p\" isExecutable=\"true\"");
    for (unsigned long i = 0; i < n; i++)
        off += (size_t)snprintf(b + off, cap - off, " a%lu=\"\"", i);
    off += (size_t)snprintf(b + off, cap - off, "/></definitions>\n");
    *len = off;
    return b;
}

static const char writer_model[] =
    "<definitions xmlns=\"" NS "\" id=\"d\" targetNamespace=\"t\">"
    "<process id=\"w\" isExecutable=\"true\"><startEvent id=\"s\"/>"
    "<sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"u\"/><userTask id=\"u\"/>"
    "</process></definitions>";

static pid_t spawn_deploy(const char *db, const char *file)
{
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(BPMNRT_BIN, BPMNRT_BIN, "--db", db, "deploy", file, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Starts instances of `w` through e as fast as it can while a `bpmnrt deploy FILE` runs on the
 * same store; returns the longest single start in seconds, the deploy's exit code in *code and
 * its duration in *took. */
static double writer_during_deploy(bpmn_engine *e, const char *db, const char *file, int *code,
                                   double *took)
{
    double worst = 0, t0 = now_s();
    pid_t pid = spawn_deploy(db, file);
    CU_ASSERT_FATAL(pid > 0);
    int status = 0, done = 0;
    while (!done && now_s() - t0 < 60) {
        double a = now_s();
        char *out = NULL;
        CU_ASSERT_EQUAL(bpmn_instance_start(e, "w", 0, NULL, NULL, &out), BPMN_OK);
        bpmn_free(e, out);
        double d = now_s() - a;
        if (d > worst)
            worst = d;
        done = waitpid(pid, &status, WNOHANG) == pid;
    }
    if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    *took = now_s() - t0;
    *code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    return worst;
}

static bpmn_engine *open_store(const char *db)
{
    bpmn_engine_options o = {0};
    o.path = db;
    bpmn_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_engine_open(&o, &e, NULL, 0), BPMN_OK);
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_deploy(e, "w.bpmn", writer_model, strlen(writer_model), &out),
                          BPMN_OK);
    bpmn_free(e, out);
    return e;
}

static void test_a_large_deploy_does_not_delay_another_writer(void)
{
    char db[64], file[] = "/tmp/bpmnrt-long-XXXXXX";
    tu_store_path(db);
    int fd = mkstemp(file);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    size_t len;
    char *xml = long_process(60000, &len); /* ~6 MB, ~0.5 s to compile here */
    write_file(file, xml, len);
    free(xml);
    bpmn_engine *e = open_store(db);
    int code;
    double took, worst = writer_during_deploy(e, db, file, &code, &took);
    printf("\n  deploy of a 60,000-task process: %.3f s; longest start meanwhile: %.1f ms\n", took,
           worst * 1000);
    CU_ASSERT_EQUAL(code, 0);
    CU_ASSERT(took > 0.2); /* the writer really ran while the file was being compiled */
    CU_ASSERT(worst < 0.100);
    char *out = NULL;
    CU_ASSERT_EQUAL(bpmn_definitions(e, &out), BPMN_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"long\""));
    bpmn_free(e, out);
    bpmn_engine_close(e);
    tu_store_remove(db);
    unlink(file);
}

static void test_a_million_attributes_are_refused_at_once_without_delaying_a_writer(void)
{
    char db[64], file[] = "/tmp/bpmnrt-attrs-XXXXXX";
    tu_store_path(db);
    int fd = mkstemp(file);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    size_t len;
    char *xml = many_attributes(1000000, &len);
    write_file(file, xml, len);
    free(xml);
    bpmn_engine *e = open_store(db);
    int code;
    double took, worst = writer_during_deploy(e, db, file, &code, &took);
    printf("\n  deploy of one element with 1,000,000 attributes (%zu bytes): refused in %.3f s; "
           "longest start meanwhile: %.1f ms\n", len, took, worst * 1000);
    CU_ASSERT_EQUAL(code, 1);
    CU_ASSERT(took < 1.0);
    CU_ASSERT(worst < 0.100);
    /* The message names the line and the limit. */
    char *args[] = {"--db", db, "deploy", file, NULL};
    char *out = NULL, *err = NULL;
    CU_ASSERT_EQUAL(tu_cli(args, &out, &err), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":3: error: <process>: more than 20000 attributes"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "xml-attributes"));
    free(out);
    free(err);
    /* Nothing of it was stored. */
    CU_ASSERT_EQUAL(bpmn_definitions(e, &out), BPMN_OK);
    CU_ASSERT_PTR_NULL(strstr(out, "\"p\""));
    bpmn_free(e, out);
    bpmn_engine_close(e);
    tu_store_remove(db);
    unlink(file);
}

static void test_a_fifo_is_refused_without_waiting_for_a_writer_to_it(void)
{
    char db[64], fifo[80];
    tu_store_path(db);
    snprintf(fifo, sizeof fifo, "%s.fifo", db);
    CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
    bpmn_engine *e = open_store(db);
    int code;
    double took, worst = writer_during_deploy(e, db, fifo, &code, &took);
    CU_ASSERT_EQUAL(code, 1);
    CU_ASSERT(took < 1.0);
    CU_ASSERT(worst < 0.100);
    char *args[] = {"--db", db, "deploy", fifo, NULL};
    char *out = NULL, *err = NULL;
    CU_ASSERT_EQUAL(tu_cli(args, &out, &err), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
    free(out);
    free(err);
    char *vargs[] = {"validate", fifo, NULL};
    CU_ASSERT_EQUAL(tu_cli(vargs, &out, &err), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "not a regular file"));
    free(out);
    free(err);
    bpmn_engine_close(e);
    tu_store_remove(db);
    unlink(fifo);
}

/* s -> inc (n = n + 1) -> gw -> back to inc while n < max, else the task. */
static const char loop_model[] =
    "<definitions xmlns=\"" NS "\" xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\" "
    "id=\"d\" targetNamespace=\"t\"><process id=\"loop\" isExecutable=\"true\">"
    "<startEvent id=\"s\"/><sequenceFlow id=\"f1\" sourceRef=\"s\" targetRef=\"inc\"/>"
    "<scriptTask id=\"inc\" scriptFormat=\"feel\" camunda:resultVariable=\"n\"><script>=n + 1"
    "</script></scriptTask>"
    "<sequenceFlow id=\"f2\" sourceRef=\"inc\" targetRef=\"gw\"/>"
    "<exclusiveGateway id=\"gw\" default=\"out\"/>"
    "<sequenceFlow id=\"back\" sourceRef=\"gw\" targetRef=\"inc\">"
    "<conditionExpression>=n &lt; max</conditionExpression></sequenceFlow>"
    "<sequenceFlow id=\"out\" sourceRef=\"gw\" targetRef=\"u\"/><userTask id=\"u\"/>"
    "</process>"
    /* a parallel fork whose one branch loops back while the other ends */
    "<process id=\"forkloop\" isExecutable=\"true\">"
    "<startEvent id=\"s2\"/><sequenceFlow id=\"g1\" sourceRef=\"s2\" targetRef=\"again\"/>"
    "<exclusiveGateway id=\"again\"/><sequenceFlow id=\"g2\" sourceRef=\"again\" "
    "targetRef=\"fork\"/><parallelGateway id=\"fork\"/>"
    "<sequenceFlow id=\"g3\" sourceRef=\"fork\" targetRef=\"again\"/>"
    "<sequenceFlow id=\"g4\" sourceRef=\"fork\" targetRef=\"end2\"/>"
    "<endEvent id=\"end2\"/></process></definitions>";

static long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static cJSON *cli_json(char *const args[])
{
    char *out = NULL, *err = NULL;
    int rc = tu_cli(args, &out, &err);
    if (rc != 0)
        fprintf(stderr, "exit %d: %s\n", rc, err);
    CU_ASSERT_EQUAL(rc, 0);
    cJSON *j = cJSON_Parse(out);
    free(out);
    free(err);
    return j;
}

static void runaway(const char *db, const char *process, const char *vars, const char *element,
                    const char *limit)
{
    long long before = file_size(db);
    char p[64], v[128];
    snprintf(p, sizeof p, "%s", process);
    snprintf(v, sizeof v, "%s", vars);
    char *args[] = {"--db", (char *)db, "start", p, "--vars", v, "--json", NULL};
    double t0 = now_s();
    cJSON *j = cli_json(args);
    double took = now_s() - t0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    const cJSON *st = cJSON_GetObjectItem(j, "state"), *id = cJSON_GetObjectItem(j, "instance");
    CU_ASSERT(cJSON_IsString(st) && strcmp(st->valuestring, "incident") == 0);
    char iid[32] = "";
    if (cJSON_IsString(id))
        snprintf(iid, sizeof iid, "%s", id->valuestring);
    cJSON_Delete(j);
    long long after = file_size(db);
    printf("\n  %s: the runaway run (stopped by %s) rolled back in %.2f s; store %lld -> %lld "
           "bytes\n", process, limit, took, before, after);
    CU_ASSERT(after - before < 1024 * 1024);
    /* History: the start and the incident, where the run began, not the runaway's events. */
    char *hargs[] = {"--db", (char *)db, "history", iid, "--json", NULL};
    cJSON *h = cli_json(hargs);
    CU_ASSERT(cJSON_GetArraySize(h) <= 5);
    const cJSON *last = cJSON_GetArrayItem(h, cJSON_GetArraySize(h) - 1);
    const cJSON *type = cJSON_GetObjectItem(last, "type"), *el = cJSON_GetObjectItem(last, "element");
    CU_ASSERT(cJSON_IsString(type) && strcmp(type->valuestring, "incident_raised") == 0);
    CU_ASSERT(cJSON_IsString(el) && strcmp(el->valuestring, element) == 0);
    cJSON_Delete(h);
    char *sargs[] = {"--db", (char *)db, "show", iid, "--json", NULL};
    cJSON *s = cli_json(sargs);
    const cJSON *inc = cJSON_GetObjectItem(s, "incident");
    const cJSON *msg = cJSON_GetObjectItem(inc, "message");
    CU_ASSERT(cJSON_IsString(msg) && strstr(msg->valuestring, limit) &&
              strstr(msg->valuestring, "the steps of that run were undone"));
    cJSON_Delete(s);
}

static void test_a_runaway_loop_leaves_the_store_as_it_was_plus_its_incident(void)
{
    char db[64], file[] = "/tmp/bpmnrt-loop-XXXXXX";
    tu_store_path(db);
    int fd = mkstemp(file);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    write_file(file, loop_model, strlen(loop_model));
    char *dargs[] = {"--db", db, "deploy", file, NULL};
    char *out = NULL, *err = NULL;
    CU_ASSERT_EQUAL_FATAL(tu_cli(dargs, &out, &err), 0);
    free(out);
    free(err);
    /* The default run_steps limit: a million steps per operation. */
    runaway(db, "loop", "{\"n\":0,\"max\":1000000000}", "s", "limits.run_steps");
    /* Each turn leaves a token behind for the end event: the tokens limit stops it first. */
    runaway(db, "forkloop", "{}", "s2", "limits.tokens");
    tu_store_remove(db);
    unlink(file);
}

int main(void)
{
    static const tu_case cases[] = {
        {"a_large_deploy_does_not_delay_another_writer",
         test_a_large_deploy_does_not_delay_another_writer},
        {"a_million_attributes_are_refused_at_once_without_delaying_a_writer",
         test_a_million_attributes_are_refused_at_once_without_delaying_a_writer},
        {"a_fifo_is_refused_without_waiting_for_a_writer_to_it",
         test_a_fifo_is_refused_without_waiting_for_a_writer_to_it},
        {"a_runaway_loop_leaves_the_store_as_it_was_plus_its_incident",
         test_a_runaway_loop_leaves_the_store_as_it_was_plus_its_incident},
        {NULL, NULL},
    };
    return tu_run("resources", cases);
}
