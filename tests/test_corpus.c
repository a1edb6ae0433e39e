/*
 * test_corpus.c - validates every real BPMN file of ../shared/corpus (965 files from 34
 * modelling tools and five engines' test suites). None may crash, hang or leak (the sanitizer
 * build and ctest's timeout watch that); every MIWG reference model must validate without
 * error. Prints the counts and the most frequent diagnostics so a reader sees where the loader
 * stands.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

typedef struct tally {
    char *pattern;
    unsigned count;
} tally;

static struct {
    unsigned files, valid, invalid, with_warnings, processes;
    unsigned reference, reference_failed;
    tally *t;
    size_t nt, capt;
} st;

/* The message with quoted names and numbers blanked, so that similar problems group. */
static void pattern_of(const char *sev, const char *msg, char *out, size_t cap)
{
    size_t k = (size_t)snprintf(out, cap, "%s: ", sev);
    for (const char *p = msg; *p && k + 4 < cap; p++) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            const char *e = strchr(p + 1, q);
            if (e) {
                out[k++] = q;
                out[k++] = 'X';
                out[k++] = q;
                p = e;
                continue;
            }
        }
        if (*p >= '0' && *p <= '9') {
            while (p[1] >= '0' && p[1] <= '9')
                p++;
            out[k++] = 'N';
            continue;
        }
        out[k++] = *p;
    }
    out[k] = '\0';
}

static void count_pattern(const char *pat)
{
    for (size_t i = 0; i < st.nt; i++) {
        if (strcmp(st.t[i].pattern, pat) == 0) {
            st.t[i].count++;
            return;
        }
    }
    if (st.nt == st.capt) {
        st.capt = st.capt ? st.capt * 2 : 64;
        st.t = realloc(st.t, st.capt * sizeof *st.t);
    }
    st.t[st.nt].pattern = strdup(pat);
    st.t[st.nt].count = 1;
    st.nt++;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb, (void)ftw;
    if (type != FTW_F || !(ends_with(path, ".bpmn") || ends_with(path, ".xml")))
        return 0;
    bpmn_report *r = NULL;
    int rc = bpmn_validate_file(path, NULL, &r);
    CU_ASSERT_EQUAL(rc, BPMN_OK);
    if (rc != BPMN_OK)
        return 0;
    st.files++;
    int is_ref = strstr(path, "/miwg/reference/") != NULL;
    st.reference += is_ref;
    if (bpmn_report_errors(r)) {
        st.invalid++;
        if (is_ref) {
            st.reference_failed++;
            fprintf(stderr, "MIWG reference model has errors: %s\n", path);
            tu_dump(r);
        }
    } else {
        st.valid++;
        st.processes += (unsigned)bpmn_report_processes(r);
        if (bpmn_report_count(r))
            st.with_warnings++;
    }
    char pat[512];
    for (size_t i = 0; i < bpmn_report_count(r); i++) {
        const bpmn_diagnostic *d = bpmn_report_get(r, i);
        pattern_of(d->severity == BPMN_SEV_ERROR ? "error" : "warning", d->message, pat,
                   sizeof pat);
        count_pattern(pat);
    }
    bpmn_report_free(r);
    return 0;
}

static int by_count(const void *a, const void *b)
{
    const tally *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->pattern, y->pattern);
}

static void test_every_corpus_file_validates_without_crash_and_references_are_valid(void)
{
    CU_ASSERT_EQUAL_FATAL(nftw(BPMNRT_CORPUS_DIR, visit, 16, FTW_PHYS), 0);
    printf("\ncorpus: %u files, %u valid (%u with warnings only; %u executable processes "
           "compiled), %u invalid\n",
           st.files, st.valid, st.with_warnings, st.processes, st.invalid);
    printf("MIWG reference models: %u, with errors: %u\n", st.reference, st.reference_failed);
    qsort(st.t, st.nt, sizeof *st.t, by_count);
    printf("most frequent diagnostics:\n");
    for (size_t i = 0; i < st.nt && i < 25; i++)
        printf("  %5u  %s\n", st.t[i].count, st.t[i].pattern);
    CU_ASSERT(st.files >= 900);
    CU_ASSERT(st.reference >= 21);
    CU_ASSERT_EQUAL(st.reference_failed, 0);
    for (size_t i = 0; i < st.nt; i++)
        free(st.t[i].pattern);
    free(st.t);
}

int main(void)
{
    FILE *probe = fopen(BPMNRT_CORPUS_DIR "/SOURCES.md", "r");
    if (!probe) {
        fprintf(stderr, "corpus not found at %s; skipped\n", BPMNRT_CORPUS_DIR);
        return 77;
    }
    fclose(probe);
    static const tu_case cases[] = {
        {"every_corpus_file_validates_without_crash_and_references_are_valid",
         test_every_corpus_file_validates_without_crash_and_references_are_valid},
        {NULL, NULL},
    };
    return tu_run("corpus", cases);
}
