/*
 * fuzz_expr.c - libFuzzer target for expressions: every input is the text of an expression,
 * compiled in both modes and evaluated against a fixed set of variables. Besides crashes, leaks
 * and undefined behaviour it checks what expr/expr.h promises: a status from the list, a
 * message with every error, no NaN or infinity and only valid UTF-8 in a result, ex_eval_bool
 * agreeing with ex_eval, and a literal expression not depending on variables or the clock.
 *
 * A hash of the input picks an extra run with an allocator that fails after a number of
 * allocations, so the out-of-memory paths are fuzzed too.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "fuzz_expr: check failed at %s:%d: %s\n", __FILE__, __LINE__, \
                    #cond);                                                               \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

static const char VARS[] =
    "{\"amount\":150,\"name\":\"Anna\",\"ok\":true,\"no\":false,\"nothing\":null,"
    "\"customer\":{\"tier\":\"gold\",\"address\":{\"city\":\"Oslo\"},\"tags\":[\"a\",\"b\"]},"
    "\"items\":[{\"price\":5,\"name\":\"pen\"},{\"price\":20,\"name\":\"book\"}],"
    "\"l\":[1,2,3],\"due\":\"2026-03-01T00:00:00Z\",\"big\":1e300,\"neg\":-0.5,"
    "\"x\":\"${x}\",\"s\":\"h\\u00e9llo \\ud83d\\ude00\",\"nested\":[[1,[2,[3]]],{}],"
    "\"empty\":\"\",\"zero\":0}";

static const cJSON *lookup(void *ud, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive((const cJSON *)ud, name);
}

static const cJSON *no_lookup(void *ud, const char *name)
{
    (void)ud;
    (void)name;
    return NULL;
}

/* An allocator that refuses every request after `left` successful ones. */
typedef struct failing {
    size_t left;
    int failed;
} failing;

static void *failing_alloc(void *ud, void *ptr, size_t size)
{
    failing *f = ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    if (f->left == 0) {
        f->failed = 1;
        return NULL;
    }
    f->left--;
    return realloc(ptr, size);
}

static int valid_utf8(const unsigned char *p)
{
    while (*p) {
        unsigned c = *p, need, cp;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            need = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 3, cp = c & 0x07;
        else
            return 0;
        for (unsigned i = 1; i <= need; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += need + 1;
    }
    return 1;
}

/* Every number finite, every string valid UTF-8, every object key a string. */
static void check_value(const cJSON *j, int depth)
{
    CHECK(depth < 1000);
    if (cJSON_IsNumber(j))
        CHECK(isfinite(j->valuedouble));
    if (cJSON_IsString(j))
        CHECK(j->valuestring && valid_utf8((const unsigned char *)j->valuestring));
    for (const cJSON *c = j->child; c; c = c->next) {
        if (cJSON_IsObject(j))
            CHECK(c->string != NULL);
        check_value(c, depth + 1);
    }
}

static void check_status(int rc, const char *err)
{
    CHECK(rc == BPMN_OK || rc == BPMN_EINVAL || rc == BPMN_ENOMEM);
    if (rc != BPMN_OK)
        CHECK(err[0] != '\0' && strlen(err) < 256 && valid_utf8((const unsigned char *)err));
}

/* Evaluates e; returns the status and leaves the printed result (or message) in out. */
static int evaluate(const ex_expr *e, const ex_env *env, char *out, size_t cap)
{
    char err[256] = "";
    cJSON *res = NULL;
    int rc = ex_eval(e, env, &res, err, sizeof err);
    check_status(rc, err);
    CHECK((rc == BPMN_OK) == (res != NULL));
    if (rc != BPMN_OK) {
        snprintf(out, cap, "error %d: %s", rc, err);
        return rc;
    }
    check_value(res, 0);
    char *s = cJSON_PrintUnformatted(res);
    snprintf(out, cap, "%s", s ? s : "");
    int truth = -1;
    char err2[256] = "";
    int rc2 = ex_eval_bool(e, env, &truth, err2, sizeof err2);
    if (cJSON_IsBool(res))
        CHECK(rc2 == BPMN_OK && truth == cJSON_IsTrue(res));
    else if (s) /* s == NULL: cJSON ran out of memory printing, not ours to judge */
        CHECK(rc2 == BPMN_EINVAL && strstr(err2, "did not evaluate to a boolean"));
    free(s);
    cJSON_Delete(res);
    return rc;
}

static void run_mode(const char *src, ex_mode mode, const cJSON *vars)
{
    char err[256] = "";
    ex_expr *e = NULL;
    int rc = ex_compile(src, mode, NULL, &e, err, sizeof err);
    check_status(rc, err);
    CHECK((rc == BPMN_OK) == (e != NULL));
    if (rc != BPMN_OK)
        return;
    ex_env env = {lookup, (void *)vars, 1773570600000LL};
    static char a[4096], b[4096];
    int rc1 = evaluate(e, &env, a, sizeof a);
    if (ex_is_literal(e)) {
        /* no variables and no clock: another environment gives the same answer */
        ex_env other = {no_lookup, NULL, -62135596800000LL};
        int rc2 = evaluate(e, &other, b, sizeof b);
        CHECK(rc1 == rc2);
        if (strcmp(a, b) != 0 && !strstr(a, "out of memory")) {
            fprintf(stderr, "fuzz_expr: literal differs:\n  %s\n  %s\n", a, b);
            abort();
        }
    }
    ex_free(e);
}

static uint64_t hash(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < size; i++) {
        h ^= data[i];
        h *= 1099511628211ull;
    }
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *src = malloc(size + 1);
    if (!src)
        return 0;
    memcpy(src, data, size);
    src[size] = '\0';
    cJSON *vars = cJSON_Parse(VARS);
    CHECK(vars != NULL);

    run_mode(src, EX_MODE_EXPRESSION, vars);
    run_mode(src, EX_MODE_VALUE, vars);

    uint64_t h = hash(data, size);
    if ((h & 3) == 1) {
        failing f = {(size_t)((h >> 8) % 24), 0};
        bpmn_allocator al = {failing_alloc, &f};
        char err[256] = "";
        ex_expr *e = NULL;
        int rc = ex_compile(src, (h >> 4) & 1 ? EX_MODE_VALUE : EX_MODE_EXPRESSION, &al, &e, err,
                            sizeof err);
        check_status(rc, err);
        if (rc == BPMN_ENOMEM)
            CHECK(f.failed);
        if (e) {
            ex_env env = {lookup, vars, 0};
            cJSON *res = NULL;
            rc = ex_eval(e, &env, &res, err, sizeof err);
            check_status(rc, err);
            if (rc == BPMN_ENOMEM)
                CHECK(f.failed);
            cJSON_Delete(res);
            ex_free(e);
        }
    }
    cJSON_Delete(vars);
    free(src);
    return 0;
}
