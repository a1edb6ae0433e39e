/*
 * stress_util.h - what the stress suites share: a fresh store path, API handles on it, and the
 * writer that runs the same rounds through the API or the bpmnrt command and logs what it was
 * acknowledged (stress_util.c).
 */
#ifndef BPMNRT_STRESS_UTIL_H
#define BPMNRT_STRESS_UTIL_H

#include <cjson/cJSON.h>

#include "bpmnrt.h"

#define NOW "2026-03-02T09:00:00Z"
#define NOW_MS 1772442000000LL
#define API_ROUNDS 50
#define CLI_ROUNDS 15
#define THREAD_ROUNDS 100
#define MAX_WRITERS 4

extern char su_db[64]; /* the store of the running case */
void su_fresh_db(void);
void su_remove_db(void);
double su_seconds(void);
/* API handles of these tests: a small map, so that it grows while others use the store. */
bpmn_engine *su_open_api(int nosync);
/* The string member k of o, "" when there is none. */
const char *su_str(const cJSON *o, const char *k);

typedef struct writer {
    int no;              /* w<no>-<round> are its business keys */
    bpmn_engine *e;      /* NULL: runs the bpmnrt command */
    int rounds;
    const char *shared;  /* instance ids */
    const char *pool;
    const char *a1, *a2, *a3; /* the arguments of the API form of the next operation */
    int may_lose;        /* the next operation may find its task taken by another writer */
    const char *now;     /* the command's --now (NULL: NOW) */
    char log[80];        /* the file it logs acknowledged work to */
    char err[512];       /* why it stopped, "" when it did not */
} writer;

/* One operation. Returns 0 with the parsed result, 1 when refused because the thing it acts on
 * is gone or not waiting (another writer won), -1 on anything else (w->err says what). */
int w_op(writer *w, cJSON **out, int (*api)(writer *, char **), const char *cmd, ...);
int api_tick(writer *w, char **o);
int api_correlate2(writer *w, char **o);
/* Runs every round of the writer, then races for the pool; 0, or -1 with w->err. */
int run_writer(writer *w);
void *writer_thread(void *ud);

#endif
