/*
 * test_stress_threads.c - many handles and threads on one process at once, with no writer
 * racing: handles past LMDB's reader slots fail with a message, and validation gives the same
 * report in many threads at once.
 */
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "stores/store.h"
#include "test_util.h"
#include "stress_util.h"

/* Each handle that has read keeps an LMDB reader slot while it is open (its reset read
 * transaction, for reuse); a store has ST_MAX_READERS, shared by every process. Past them a
 * read fails with BPMN_EIO naming the limit, and closing a handle frees its slot. */
static void test_handles_past_the_reader_slots_fail_with_a_message(void)
{
    su_fresh_db();
    enum { SLOTS = ST_MAX_READERS };
    bpmn_engine *hs[SLOTS + 1];
    char *out = NULL;
    for (int i = 0; i <= SLOTS; i++) {
        hs[i] = su_open_api(1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(hs[i]);
        int rc = bpmn_instance_list(hs[i], NULL, NULL, &out);
        bpmn_free(hs[i], out);
        out = NULL;
        CU_ASSERT_EQUAL(rc, i < SLOTS ? BPMN_OK : BPMN_EIO);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(hs[SLOTS]),
                                  "too many processes and threads are reading the store"));
    bpmn_engine_close(hs[0]);
    CU_ASSERT_EQUAL(bpmn_instance_list(hs[SLOTS], NULL, NULL, &out), BPMN_OK);
    bpmn_free(hs[SLOTS], out);
    for (int i = 1; i <= SLOTS; i++)
        bpmn_engine_close(hs[i]);
    su_remove_db();
}

/* A document with errors and warnings, validated by many threads at once without a handle:
 * each must get the same diagnostics as a lone validation did. */
static const char broken[] =
    "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">\n"
    "<process id=\"p\" isExecutable=\"true\"><startEvent id=\"s\"/>\n"
    "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"nowhere\"/>\n"
    "<exclusiveGateway id=\"g\"/><userTask id=\"t\"/>\n"
    "<sequenceFlow id=\"f1\" sourceRef=\"g\" targetRef=\"t\">"
    "<conditionExpression>${amount &gt;</conditionExpression></sequenceFlow>\n"
    "</process></definitions>";

typedef struct validator {
    const bpmn_report *want;
    int mismatches;
} validator;

static void *validate_thread(void *ud)
{
    validator *v = ud;
    for (int i = 0; i < 25; i++) {
        bpmn_report *r = NULL;
        if (bpmn_validate_memory("broken.bpmn", broken, sizeof broken - 1, NULL, &r) != BPMN_OK ||
            bpmn_report_count(r) != bpmn_report_count(v->want) ||
            bpmn_report_errors(r) != bpmn_report_errors(v->want)) {
            v->mismatches++;
        } else {
            for (size_t d = 0; d < bpmn_report_count(r); d++) {
                const bpmn_diagnostic *a = bpmn_report_get(r, d), *b = bpmn_report_get(v->want, d);
                if (a->line != b->line || a->severity != b->severity ||
                    strcmp(a->element, b->element) || strcmp(a->message, b->message))
                    v->mismatches++;
            }
        }
        bpmn_report_free(r);
        if (strcmp(bpmn_strerror(BPMN_EFULL), "the store reached its size limit") != 0)
            v->mismatches++;
    }
    return NULL;
}

static void test_validation_runs_in_many_threads_at_once(void)
{
    bpmn_report *want = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_validate_memory("broken.bpmn", broken, sizeof broken - 1, NULL,
                                               &want), BPMN_OK);
    CU_ASSERT(bpmn_report_errors(want) >= 1 && bpmn_report_count(want) >= 2);
    validator v[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        v[i] = (validator){want, 0};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, validate_thread, &v[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(v[i].mismatches, 0);
    }
    bpmn_report_free(want);
}

int main(void)
{
    static const tu_case cases[] = {
        {"handles past the reader slots fail with a message",
         test_handles_past_the_reader_slots_fail_with_a_message},
        {"validation runs in many threads at once", test_validation_runs_in_many_threads_at_once},
        {NULL, NULL},
    };
    return tu_run("stress_threads", cases);
}
