/*
 * test_crash.c - a child process runs operations in a loop and is killed with SIGKILL at random
 * moments, hundreds of times. After each kill the store must open, every operation the child
 * saw committed must be there, no instance may be half-advanced (its open tasks match what its
 * history says was created and not yet completed) and history has no gaps.
 */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "test_util.h"

static char db[64];

static const char process[] =
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">"
    "<process id=\"crash\" isExecutable=\"true\"><startEvent id=\"s\"/>"
    "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"fork\"/><parallelGateway id=\"fork\"/>"
    "<sequenceFlow id=\"fa\" sourceRef=\"fork\" targetRef=\"a\"/>"
    "<sequenceFlow id=\"fb\" sourceRef=\"fork\" targetRef=\"b\"/>"
    "<userTask id=\"a\"/><userTask id=\"b\"/>"
    "<sequenceFlow id=\"ja\" sourceRef=\"a\" targetRef=\"join\"/>"
    "<sequenceFlow id=\"jb\" sourceRef=\"b\" targetRef=\"join\"/>"
    "<parallelGateway id=\"join\"/><sequenceFlow id=\"fe\" sourceRef=\"join\" targetRef=\"c\"/>"
    "<userTask id=\"c\"/><sequenceFlow id=\"ff\" sourceRef=\"c\" targetRef=\"e\"/>"
    "<endEvent id=\"e\"/></process></definitions>";

static bpmn_engine *open_db(void)
{
    bpmn_engine_options o = {0};
    o.path = db;
    bpmn_engine *e = NULL;
    char err[256] = "";
    int rc = bpmn_engine_open(&o, &e, err, sizeof err);
    if (rc != BPMN_OK)
        fprintf(stderr, "open after kill failed: %s\n", err);
    return rc == BPMN_OK ? e : NULL;
}

/* The child: start instances and complete their tasks forever, reporting each committed
 * operation on the pipe as "S id" or "C taskid". */
static void child_loop(int fd, unsigned seed)
{
    bpmn_engine *e = open_db();
    if (!e)
        _exit(3);
    srand(seed);
    for (;;) {
        char *out = NULL;
        if (rand() % 3 == 0) {
            if (bpmn_instance_start(e, "crash", 0, "{\"n\":1}", NULL, &out) != BPMN_OK)
                _exit(4);
            cJSON *j = cJSON_Parse(out);
            dprintf(fd, "S %s\n", cJSON_GetObjectItem(j, "instance")->valuestring);
            cJSON_Delete(j);
            bpmn_free(e, out);
            continue;
        }
        if (bpmn_task_list(e, NULL, NULL, NULL, &out) != BPMN_OK)
            _exit(5);
        cJSON *l = cJSON_Parse(out);
        bpmn_free(e, out);
        int n = cJSON_GetArraySize(l);
        if (n) {
            const char *id = cJSON_GetObjectItem(cJSON_GetArrayItem(l, rand() % n), "id")->valuestring;
            if (bpmn_task_complete(e, id, "{\"done\":true}", &out) != BPMN_OK)
                _exit(6);
            dprintf(fd, "C %s\n", id);
            bpmn_free(e, out);
        }
        cJSON_Delete(l);
    }
}

static cJSON *json_call(int rc, char *out, bpmn_engine *e)
{
    CU_ASSERT_EQUAL(rc, BPMN_OK);
    cJSON *j = out ? cJSON_Parse(out) : NULL;
    bpmn_free(e, out);
    return j;
}

/* Checks the invariants; returns the number of problems. */
static int check_store(bpmn_engine *e, const char *acks)
{
    int problems = 0;
    char *out = NULL;
    int rc = bpmn_history(e, NULL, &out);
    cJSON *hist = json_call(rc, out, e);
    out = NULL;
    rc = bpmn_task_list(e, NULL, NULL, NULL, &out);
    cJSON *tasks = json_call(rc, out, e);
    out = NULL;
    rc = bpmn_instance_list(e, NULL, NULL, &out);
    cJSON *insts = json_call(rc, out, e);
    if (!hist || !tasks || !insts)
        return 1;
    /* History: seq 1..n without gaps. */
    long long expect = 1;
    cJSON *ev;
    cJSON_ArrayForEach(ev, hist) {
        long long seq = (long long)cJSON_GetObjectItem(ev, "seq")->valuedouble;
        if (seq != expect++) {
            fprintf(stderr, "history gap: seq %lld where %lld was expected\n", seq, expect - 1);
            problems++;
            break;
        }
    }
    /* Per instance: open tasks == tasks created minus completed, per history. */
    cJSON *in;
    cJSON_ArrayForEach(in, insts) {
        const char *id = cJSON_GetObjectItem(in, "instance")->valuestring;
        int created = 0, done = 0, open = 0;
        cJSON_ArrayForEach(ev, hist) {
            if (strcmp(cJSON_GetObjectItem(ev, "instance")->valuestring, id) != 0)
                continue;
            const char *type = cJSON_GetObjectItem(ev, "type")->valuestring;
            created += strcmp(type, "task_created") == 0;
            done += strcmp(type, "task_completed") == 0;
        }
        cJSON *t;
        cJSON_ArrayForEach(t, tasks)
            open += strcmp(cJSON_GetObjectItem(t, "instance")->valuestring, id) == 0;
        int waiting_tasks = 0;
        cJSON *w;
        cJSON_ArrayForEach(w, cJSON_GetObjectItem(in, "waiting"))
            waiting_tasks += strcmp(w->valuestring, "join") != 0;
        if (open != created - done || open != waiting_tasks) {
            fprintf(stderr, "instance %s half-advanced: %d open tasks, %d created, %d completed, "
                            "%d waiting at tasks\n", id, open, created, done, waiting_tasks);
            problems++;
        }
    }
    /* Every acknowledged operation is there. */
    const char *p = acks;
    while (p && *p) {
        char kind;
        char id[32];
        int used = 0;
        if (sscanf(p, "%c %31s\n%n", &kind, id, &used) != 2 || !used)
            break;
        p += used;
        if (kind == 'S') {
            out = NULL;
            if (bpmn_instance_show(e, id, &out) != BPMN_OK) {
                fprintf(stderr, "acknowledged instance %s is missing\n", id);
                problems++;
            }
            bpmn_free(e, out);
        } else {
            int found = 0;
            cJSON_ArrayForEach(ev, hist) {
                cJSON *task = cJSON_GetObjectItem(ev, "task");
                found += cJSON_IsString(task) && strcmp(task->valuestring, id) == 0 &&
                         strcmp(cJSON_GetObjectItem(ev, "type")->valuestring, "task_completed") == 0;
            }
            if (found != 1) {
                fprintf(stderr, "acknowledged completion of task %s recorded %d times\n", id, found);
                problems++;
            }
        }
    }
    cJSON_Delete(hist);
    cJSON_Delete(tasks);
    cJSON_Delete(insts);
    return problems;
}

static void test_store_survives_sigkill_at_random_moments(void)
{
    strcpy(db, "/tmp/bpmnrt-crash-XXXXXX");
    int fd0 = mkstemp(db);
    close(fd0);
    unlink(db);
    bpmn_engine *e = open_db();
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    char *out = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_deploy(e, "crash.bpmn", process, strlen(process), &out), BPMN_OK);
    bpmn_free(e, out);
    bpmn_engine_close(e);

    const char *env = getenv("BPMNRT_CRASH_ROUNDS");
    int rounds = env ? atoi(env) : 200;
    size_t cap = 1 << 20;
    char *acks = malloc(cap);
    size_t alen = 0;
    srand((unsigned)time(NULL));
    int kills = 0;
    for (int r = 0; r < rounds; r++) {
        int p[2];
        CU_ASSERT_FATAL(pipe(p) == 0);
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            child_loop(p[1], (unsigned)r * 7919u + 1);
        }
        close(p[1]);
        usleep((useconds_t)(rand() % 40000));
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        kills += WIFSIGNALED(st);
        if (WIFEXITED(st)) {
            fprintf(stderr, "child exited with %d before the kill\n", WEXITSTATUS(st));
            CU_FAIL("child failed");
        }
        ssize_t got;
        while ((got = read(p[0], acks + alen, cap - alen - 1)) > 0) {
            alen += (size_t)got;
            if (cap - alen < 4096) {
                cap *= 2;
                acks = realloc(acks, cap);
            }
        }
        acks[alen] = '\0';
        close(p[0]);
        /* The last line may be cut off by the kill: keep only whole lines. */
        char *nl = strrchr(acks, '\n');
        alen = nl ? (size_t)(nl - acks + 1) : 0;
        acks[alen] = '\0';
        /* The store opens after every kill; the full check (which reads all history) runs
         * every tenth round and after the last. */
        e = open_db();
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        if (r % 10 == 9 || r == rounds - 1)
            CU_ASSERT_EQUAL(check_store(e, acks), 0);
        bpmn_engine_close(e);
    }
    printf("\n%d rounds, %d kills, %zu bytes of acknowledged operations\n", rounds, kills, alen);
    CU_ASSERT(kills >= rounds * 9 / 10);
    free(acks);
    char lock[80];
    snprintf(lock, sizeof lock, "%s-lock", db);
    unlink(db);
    unlink(lock);
}

int main(void)
{
    static const tu_case cases[] = {
        {"store_survives_sigkill_at_random_moments", test_store_survives_sigkill_at_random_moments},
        {NULL, NULL},
    };
    return tu_run("crash", cases);
}
