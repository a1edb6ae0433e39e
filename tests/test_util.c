/*
 * test_util.c - helpers shared by the CUnit suites.
 */
#define _DEFAULT_SOURCE
#include "test_util.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

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

static char *slurp_fd(int fd)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    ssize_t got;
    while (buf && (got = read(fd, buf + n, cap - n - 1)) > 0) {
        n += (size_t)got;
        if (cap - n < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* stdout and stderr go to temporary files so that no pipe can fill up and block the child. */
int tu_cli_as(unsigned uid, const char *in, char *const args[], char **out, char **err)
{
    char opath[] = "/tmp/bpmnrt-cli-out-XXXXXX", epath[] = "/tmp/bpmnrt-cli-err-XXXXXX";
    int of = mkstemp(opath), ef = mkstemp(epath);
    if (of < 0 || ef < 0)
        abort();
    char *argv[40];
    int k = 0;
    argv[k++] = (char *)BPMNRT_BIN;
    for (int i = 0; args[i] && k < 39; i++)
        argv[k++] = args[i];
    argv[k] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        if (in) {
            int fd = open(in, O_RDONLY);
            if (fd < 0 || dup2(fd, 0) < 0)
                _exit(126);
        }
        dup2(of, 1);
        dup2(ef, 2);
        if (uid && (setgroups(0, NULL) != 0 || setgid(uid) != 0 || setuid(uid) != 0))
            _exit(126);
        execv(BPMNRT_BIN, argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    lseek(of, 0, SEEK_SET);
    lseek(ef, 0, SEEK_SET);
    *out = slurp_fd(of);
    *err = slurp_fd(ef);
    close(of);
    close(ef);
    unlink(opath);
    unlink(epath);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int tu_cli(char *const args[], char **out, char **err)
{
    return tu_cli_as(0, NULL, args, out, err);
}

static long long read_clock(void *ud)
{
    return *(const long long *)ud;
}

void tu_store_path(char *path)
{
    strcpy(path, "/tmp/bpmnrt-test-XXXXXX");
    int fd = mkstemp(path);
    if (fd >= 0)
        close(fd);
    unlink(path);
}

void tu_store_remove(const char *path)
{
    char lock[128];
    snprintf(lock, sizeof lock, "%s-lock", path);
    unlink(path);
    unlink(lock);
}

bpmn_engine *tu_engine_fresh(char *path, long long *clock_ms)
{
    tu_store_path(path);
    bpmn_engine_options o = {0};
    o.path = path;
    o.nosync = 1;
    o.clock = read_clock;
    o.clock_ud = clock_ms;
    bpmn_engine *e = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_engine_open(&o, &e, NULL, 0), BPMN_OK);
    return e;
}

void tu_engine_remove(bpmn_engine *e, const char *path)
{
    bpmn_engine_close(e);
    tu_store_remove(path);
}
