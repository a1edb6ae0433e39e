/*
 * test_users.c - the users and grants of the server: passwords kept only as Argon2id hashes and
 * checked the same way for known and unknown names, repeated failures slowed down across
 * handles, grants and every rule of bpmn_user_may(), refusals that change nothing, and the
 * commands (the password from standard input).
 */
#define _GNU_SOURCE /* memmem */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "test_util.h"

static char path[64];
static long long clock_ms = 1767225600000LL; /* 2026-01-01T00:00:00Z */
static bpmn_engine *e;

static void fresh(void)
{
    e = tu_engine_fresh(path, &clock_ms);
}

static void done(void)
{
    tu_engine_remove(e, path);
    e = NULL;
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* users and grants as one text, to compare the store before and after a refusal. */
static char *state(void)
{
    char *u = NULL, *g = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_users(e, &u), BPMN_OK);
    CU_ASSERT_EQUAL_FATAL(bpmn_grants(e, &g), BPMN_OK);
    size_t n = strlen(u) + strlen(g) + 2;
    char *s = malloc(n);
    snprintf(s, n, "%s\n%s", u, g);
    bpmn_free(e, u);
    bpmn_free(e, g);
    return s;
}

static int may(const char *user, const char *right, const char *process, int *own)
{
    int allowed = -1;
    *own = -1;
    CU_ASSERT_EQUAL(bpmn_user_may(e, user, right, process, &allowed, own), BPMN_OK);
    return allowed;
}

/* ---- passwords ---------------------------------------------------------------------------- */

static void test_user_logs_in_with_the_right_password_only(void)
{
    fresh();
    CU_ASSERT_EQUAL(bpmn_user_add(e, "anna", "correct horse", "sales, mgmt,sales", 0), BPMN_OK);
    char *json = NULL;
    double t0 = seconds();
    CU_ASSERT_EQUAL_FATAL(bpmn_user_verify(e, "anna", "correct horse", &json), BPMN_OK);
    fprintf(stderr, "\n  (one bpmn_user_verify: %.0f ms) ", (seconds() - t0) * 1000);
    cJSON *j = cJSON_Parse(json);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "name")->valuestring, "anna");
    cJSON *g = cJSON_GetObjectItem(j, "groups");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(g), 2); /* spaces dropped, each group once */
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(g, 0)->valuestring, "sales");
    CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(g, 1)->valuestring, "mgmt");
    CU_ASSERT(cJSON_IsFalse(cJSON_GetObjectItem(j, "admin")));
    cJSON_Delete(j);
    bpmn_free(e, json);

    json = NULL;
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "correct horsE", &json), BPMN_EDENIED);
    CU_ASSERT_PTR_NULL(json);
    CU_ASSERT_STRING_EQUAL(bpmn_engine_errmsg(e), "wrong user name or password");
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "", &json), BPMN_EDENIED);
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", NULL, &json), BPMN_EDENIED);
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "Anna", "correct horse", &json), BPMN_EDENIED);
    done();
}

static void test_unknown_user_gets_the_same_refusal_in_the_same_time(void)
{
    fresh();
    CU_ASSERT_EQUAL(bpmn_user_add(e, "anna", "correct horse", NULL, 0), BPMN_OK);
    char *json = NULL;
    double known = 1e9, unknown = 1e9;
    /* the fastest of three each: the least disturbed by whatever else runs */
    for (int i = 0; i < 3; i++) {
        double t0 = seconds();
        CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "wrong password", &json), BPMN_EDENIED);
        double t1 = seconds();
        char known_msg[128];
        snprintf(known_msg, sizeof known_msg, "%s", bpmn_engine_errmsg(e));
        CU_ASSERT_EQUAL(bpmn_user_verify(e, "nobody", "wrong password", &json), BPMN_EDENIED);
        double t2 = seconds();
        CU_ASSERT_STRING_EQUAL(bpmn_engine_errmsg(e), known_msg);
        CU_ASSERT_EQUAL(bpmn_user_verify(e, "not a name!", "wrong password", &json), BPMN_EDENIED);
        CU_ASSERT_STRING_EQUAL(bpmn_engine_errmsg(e), known_msg);
        known = t1 - t0 < known ? t1 - t0 : known;
        unknown = t2 - t1 < unknown ? t2 - t1 : unknown;
    }
    fprintf(stderr, "\n  (refusal: known name %.0f ms, unknown name %.0f ms) ", known * 1000,
            unknown * 1000);
    CU_ASSERT(unknown > known / 3 && unknown < known * 3);
    done();
}

/* The dummy hash an unknown name is checked against has the parameters of real ones, or its
 * time would tell names apart. */
static void test_dummy_hash_has_the_parameters_of_real_ones(void)
{
    CU_ASSERT_FATAL(sodium_init() >= 0);
    size_t len;
    char *src = tu_read_file(BPMNRT_SOURCE_DIR "/ops/users.c", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    const char *h = strstr(src, "\"$argon2id$");
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    char dummy[256];
    CU_ASSERT_EQUAL_FATAL(sscanf(h + 1, "%255[^\"]", dummy), 1);
    CU_ASSERT_EQUAL(crypto_pwhash_str_needs_rehash(dummy, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                                   crypto_pwhash_MEMLIMIT_INTERACTIVE), 0);
    free(src);
}

static void test_store_holds_a_hash_and_no_plaintext(void)
{
    fresh();
    const char *pw = "Plaintext-Never-Stored-42";
    CU_ASSERT_EQUAL(bpmn_user_add(e, "anna", pw, NULL, 0), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_user_passwd(e, "anna", "Second-Plain-Password"), BPMN_OK);
    bpmn_engine_close(e);
    size_t len;
    char *bytes = tu_read_file(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
    CU_ASSERT_PTR_NULL(memmem(bytes, len, pw, strlen(pw)));
    CU_ASSERT_PTR_NULL(memmem(bytes, len, "Second-Plain-Password", 21));
    const char *h = memmem(bytes, len, "$argon2id$v=19$m=65536,t=2,p=1$", 31);
    CU_ASSERT_PTR_NOT_NULL(h);
    free(bytes);
    tu_store_remove(path);
}

static void test_passwd_replaces_the_password(void)
{
    fresh();
    char *json = NULL;
    CU_ASSERT_EQUAL(bpmn_user_add(e, "anna", "first password", NULL, 0), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_user_passwd(e, "anna", "second password"), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "first password", &json), BPMN_EDENIED);
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "second password", &json), BPMN_OK);
    bpmn_free(e, json);
    CU_ASSERT_EQUAL(bpmn_user_passwd(e, "bob", "second password"), BPMN_ENOTFOUND);
    CU_ASSERT_EQUAL(bpmn_user_passwd(e, "anna", "short"), BPMN_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(bpmn_engine_errmsg(e), "shorter than 8"));
    done();
}

/* Failures in a row are counted in the user's record: after five, the password is checked
 * only once a delay has passed, also through another handle; a success clears the count. */
static void test_repeated_failures_are_slowed_down_across_handles(void)
{
    fresh();
    char *json = NULL;
    CU_ASSERT_EQUAL(bpmn_user_add(e, "anna", "correct horse", NULL, 0), BPMN_OK);
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "guess", &json), BPMN_EDENIED);
    /* A second handle, as another server process would have. */
    bpmn_engine_options o = {0};
    o.path = path;
    o.nosync = 1;
    bpmn_engine *other = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_engine_open(&o, &other, NULL, 0), BPMN_OK);
    bpmn_engine_set_now(other, clock_ms);
    CU_ASSERT_EQUAL(bpmn_user_verify(other, "anna", "correct horse", &json), BPMN_EDENIED);
    CU_ASSERT_STRING_EQUAL(bpmn_engine_errmsg(other), "wrong user name or password");
    clock_ms += 999;
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "correct horse", &json), BPMN_EDENIED);
    clock_ms += 1; /* one second after the fifth failure */
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "correct horse", &json), BPMN_OK);
    bpmn_free(e, json);
    /* cleared: five more failures before any wait */
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "guess", &json), BPMN_EDENIED);
    /* the sixth failure counts after the delay and doubles it */
    clock_ms += 1000;
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "guess", &json), BPMN_EDENIED);
    clock_ms += 1999;
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "correct horse", &json), BPMN_EDENIED);
    clock_ms += 1;
    bpmn_engine_set_now(other, clock_ms);
    CU_ASSERT_EQUAL(bpmn_user_verify(other, "anna", "correct horse", &json), BPMN_OK);
    bpmn_free(other, json);
    /* passwd clears the count too */
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "guess", &json), BPMN_EDENIED);
    CU_ASSERT_EQUAL(bpmn_user_passwd(e, "anna", "new password"), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "new password", &json), BPMN_OK);
    bpmn_free(e, json);
    bpmn_engine_close(other);
    done();
}

/* ---- adding, listing, removing ------------------------------------------------------------ */

static void test_users_are_listed_counted_and_removed_with_their_grants(void)
{
    fresh();
    unsigned long n = 99;
    CU_ASSERT_EQUAL(bpmn_user_count(e, &n), BPMN_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(bpmn_user_add(e, "zoe", "password-z", "ops", 1), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_user_add(e, "anna", "password-a", "", 0), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_user_add(e, "a.b_c@d-e", "password-x", NULL, 0), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_user_count(e, &n), BPMN_OK);
    CU_ASSERT_EQUAL(n, 3);
    char *json = NULL;
    CU_ASSERT_EQUAL_FATAL(bpmn_users(e, &json), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(json, "[{\"name\":\"a.b_c@d-e\",\"groups\":[],\"admin\":false},"
                                 "{\"name\":\"anna\",\"groups\":[],\"admin\":false},"
                                 "{\"name\":\"zoe\",\"groups\":[\"ops\"],\"admin\":true}]");
    bpmn_free(e, json);

    CU_ASSERT_EQUAL(bpmn_grant(e, "user:anna", "work", "order"), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_grant(e, "user:anna", "read", "*"), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_grant(e, "user:zoe", "start", "order"), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_grant(e, "anna", "start", "order"), BPMN_OK); /* a group called anna */
    CU_ASSERT_EQUAL(bpmn_user_remove(e, "anna"), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_grants(e, &json), BPMN_OK);
    CU_ASSERT_STRING_EQUAL(json, "[{\"who\":\"anna\",\"right\":\"start\",\"process\":\"order\"},"
                                 "{\"who\":\"user:zoe\",\"right\":\"start\",\"process\":\"order\"}]");
    bpmn_free(e, json);
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "password-a", &json), BPMN_EDENIED);
    CU_ASSERT_EQUAL(bpmn_user_remove(e, "anna"), BPMN_ENOTFOUND);
    CU_ASSERT_EQUAL(bpmn_user_count(e, &n), BPMN_OK);
    CU_ASSERT_EQUAL(n, 2);
    done();
}

/* Every refused change names why and leaves users and grants as they were. */
static void test_refused_operations_leave_the_store_unchanged(void)
{
    fresh();
    CU_ASSERT_EQUAL(bpmn_user_add(e, "anna", "password-a", "sales", 0), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_grant(e, "sales", "read", "order"), BPMN_OK);
    char *before = state();
    char long_name[80], long_pw[4200], long_process[300];
    memset(long_name, 'a', 65);
    long_name[65] = '\0';
    memset(long_pw, 'p', 4097);
    long_pw[4097] = '\0';
    memset(long_process, 'p', 256);
    long_process[256] = '\0';
    static const struct {
        int want;
        const char *text;
    } cases[] = {{BPMN_ESTATE, "exists"},       {BPMN_EINVAL, "user name"},
                 {BPMN_EINVAL, "user name"},    {BPMN_EINVAL, "user name"},
                 {BPMN_EINVAL, "shorter than"}, {BPMN_EINVAL, "longer than"},
                 {BPMN_EINVAL, "group name"},   {BPMN_EINVAL, "group name"},
                 {BPMN_EINVAL, "shorter than"}, {BPMN_ENOTFOUND, "no user"},
                 {BPMN_ENOTFOUND, "no user"},   {BPMN_EINVAL, "right"},
                 {BPMN_EINVAL, "group name"},   {BPMN_EINVAL, "process"},
                 {BPMN_EINVAL, "process"},      {BPMN_EINVAL, "process"},
                 {BPMN_ENOTFOUND, "no user"},   {BPMN_ENOTFOUND, "no grant"},
                 {BPMN_EINVAL, "user name"}};
    int got[sizeof cases / sizeof cases[0]];
    char msgs[sizeof cases / sizeof cases[0]][160];
    size_t k = 0;
#define TRY(call)                                                              \
    do {                                                                       \
        got[k] = (call);                                                       \
        snprintf(msgs[k], sizeof msgs[k], "%s", bpmn_engine_errmsg(e));        \
        k++;                                                                   \
    } while (0)
    TRY(bpmn_user_add(e, "anna", "password-b", NULL, 1));
    TRY(bpmn_user_add(e, "", "password-b", NULL, 0));
    TRY(bpmn_user_add(e, long_name, "password-b", NULL, 0));
    TRY(bpmn_user_add(e, "an na", "password-b", NULL, 0));
    TRY(bpmn_user_add(e, "bob", "1234567", NULL, 0));
    TRY(bpmn_user_add(e, "bob", long_pw, NULL, 0));
    TRY(bpmn_user_add(e, "bob", "password-b", "sales,,mgmt", 0));
    TRY(bpmn_user_add(e, "bob", "password-b", "user:x", 0));
    TRY(bpmn_user_passwd(e, "anna", NULL));
    TRY(bpmn_user_passwd(e, "bob", "password-b"));
    TRY(bpmn_user_remove(e, "bob"));
    TRY(bpmn_grant(e, "sales", "write", "order"));
    TRY(bpmn_grant(e, "sa les", "read", "order"));
    TRY(bpmn_grant(e, "sales", "read", ""));
    TRY(bpmn_grant(e, "sales", "read", "my process"));
    TRY(bpmn_grant(e, "sales", "read", long_process));
    TRY(bpmn_grant(e, "user:bob", "read", "order"));
    TRY(bpmn_revoke(e, "sales", "work", "order"));
    TRY(bpmn_grant(e, "user:", "read", "order"));
#undef TRY
    CU_ASSERT_EQUAL_FATAL(k, sizeof cases / sizeof cases[0]);
    for (size_t i = 0; i < k; i++) {
        if (got[i] != cases[i].want || !strstr(msgs[i], cases[i].text))
            fprintf(stderr, "\n  case %zu: status %d, message '%s'\n", i, got[i], msgs[i]);
        CU_ASSERT_EQUAL(got[i], cases[i].want);
        CU_ASSERT_PTR_NOT_NULL(strstr(msgs[i], cases[i].text));
    }
    char *after = state();
    CU_ASSERT_STRING_EQUAL(after, before);
    free(before);
    free(after);
    /* a grant given twice is there once */
    before = state();
    CU_ASSERT_EQUAL(bpmn_grant(e, "sales", "read", "order"), BPMN_OK);
    after = state();
    CU_ASSERT_STRING_EQUAL(after, before);
    free(before);
    free(after);
    done();
}

/* ---- bpmn_user_may ------------------------------------------------------------------------ */

static void test_user_may_follows_every_rule(void)
{
    fresh();
    int own;
    CU_ASSERT_EQUAL(bpmn_user_add(e, "root", "password-r", NULL, 1), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_user_add(e, "anna", "password-a", "sales,audit", 0), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_user_add(e, "bob", "password-b", "support", 0), BPMN_OK);
    CU_ASSERT_EQUAL(bpmn_user_add(e, "carl", "password-c", NULL, 0), BPMN_OK);

    /* admins may everything, with no grant at all */
    for (size_t i = 0; i < 6; i++) {
        static const char *const r[] = {"start", "read", "work", "admin", "read-own", "work-own"};
        CU_ASSERT_EQUAL(may("root", r[i], "anything", &own), 1);
        CU_ASSERT_EQUAL(own, 0);
        CU_ASSERT_EQUAL(may("carl", r[i], "anything", &own), 0);
        CU_ASSERT_EQUAL(own, 0);
    }

    /* a group's grant counts for its members, on that process only */
    CU_ASSERT_EQUAL(bpmn_grant(e, "sales", "start", "order"), BPMN_OK);
    CU_ASSERT_EQUAL(may("anna", "start", "order", &own), 1);
    CU_ASSERT_EQUAL(own, 0);
    CU_ASSERT_EQUAL(may("anna", "start", "invoice", &own), 0);
    CU_ASSERT_EQUAL(may("bob", "start", "order", &own), 0);
    CU_ASSERT_EQUAL(may("anna", "read", "order", &own), 0); /* start implies nothing else */

    /* work implies read; neither implies start or admin */
    CU_ASSERT_EQUAL(bpmn_grant(e, "audit", "work", "invoice"), BPMN_OK);
    CU_ASSERT_EQUAL(may("anna", "read", "invoice", &own), 1);
    CU_ASSERT_EQUAL(own, 0);
    CU_ASSERT_EQUAL(may("anna", "work", "invoice", &own), 1);
    CU_ASSERT_EQUAL(may("anna", "read-own", "invoice", &own), 1);
    CU_ASSERT_EQUAL(own, 0); /* a right implies its -own form */
    CU_ASSERT_EQUAL(may("anna", "start", "invoice", &own), 0);
    CU_ASSERT_EQUAL(may("anna", "admin", "invoice", &own), 0);

    /* read does not imply work */
    CU_ASSERT_EQUAL(bpmn_grant(e, "user:bob", "read", "order"), BPMN_OK);
    CU_ASSERT_EQUAL(may("bob", "read", "order", &own), 1);
    CU_ASSERT_EQUAL(may("bob", "work", "order", &own), 0);

    /* admin on a process implies every right on it, and nothing on others */
    CU_ASSERT_EQUAL(bpmn_grant(e, "support", "admin", "ticket"), BPMN_OK);
    static const char *const all[] = {"start", "read", "work", "admin", "read-own", "work-own"};
    for (size_t i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(may("bob", all[i], "ticket", &own), 1);
        CU_ASSERT_EQUAL(own, 0);
    }
    CU_ASSERT_EQUAL(may("bob", "admin", "order", &own), 0);

    /* -own rights: allowed, own_only set; work-own implies read-own, not the reverse */
    CU_ASSERT_EQUAL(bpmn_grant(e, "user:carl", "work-own", "order"), BPMN_OK);
    CU_ASSERT_EQUAL(may("carl", "work", "order", &own), 1);
    CU_ASSERT_EQUAL(own, 1);
    CU_ASSERT_EQUAL(may("carl", "read", "order", &own), 1);
    CU_ASSERT_EQUAL(own, 1);
    CU_ASSERT_EQUAL(may("carl", "read-own", "order", &own), 1);
    CU_ASSERT_EQUAL(own, 1);
    CU_ASSERT_EQUAL(may("carl", "start", "order", &own), 0);
    CU_ASSERT_EQUAL(bpmn_grant(e, "user:carl", "read-own", "invoice"), BPMN_OK);
    CU_ASSERT_EQUAL(may("carl", "read", "invoice", &own), 1);
    CU_ASSERT_EQUAL(own, 1);
    CU_ASSERT_EQUAL(may("carl", "work", "invoice", &own), 0);
    CU_ASSERT_EQUAL(may("carl", "work-own", "invoice", &own), 0);
    /* a full right beats an -own one */
    CU_ASSERT_EQUAL(bpmn_grant(e, "user:carl", "read", "order"), BPMN_OK);
    CU_ASSERT_EQUAL(may("carl", "read", "order", &own), 1);
    CU_ASSERT_EQUAL(own, 0);
    CU_ASSERT_EQUAL(may("carl", "work", "order", &own), 1);
    CU_ASSERT_EQUAL(own, 1);

    /* * covers every process, and asking about * looks only at grants on * */
    CU_ASSERT_EQUAL(bpmn_grant(e, "support", "read", "*"), BPMN_OK);
    CU_ASSERT_EQUAL(may("bob", "read", "anything-else", &own), 1);
    CU_ASSERT_EQUAL(own, 0);
    CU_ASSERT_EQUAL(may("bob", "read", "*", &own), 1);
    CU_ASSERT_EQUAL(may("bob", "work", "anything-else", &own), 0);
    CU_ASSERT_EQUAL(may("anna", "work", "*", &own), 0); /* her work grant is on invoice only */

    /* revoking takes the right away */
    CU_ASSERT_EQUAL(bpmn_revoke(e, "support", "read", "*"), BPMN_OK);
    CU_ASSERT_EQUAL(may("bob", "read", "anything-else", &own), 0);

    /* unknown users and rights */
    int allowed = 7;
    CU_ASSERT_EQUAL(bpmn_user_may(e, "nobody", "read", "order", &allowed, &own), BPMN_ENOTFOUND);
    CU_ASSERT_EQUAL(allowed, 0);
    CU_ASSERT_EQUAL(bpmn_user_may(e, "anna", "write", "order", &allowed, NULL), BPMN_EINVAL);
    CU_ASSERT_EQUAL(allowed, 0);
    CU_ASSERT_EQUAL(bpmn_user_may(e, "anna", "read", "invoice", &allowed, NULL), BPMN_OK);
    CU_ASSERT_EQUAL(allowed, 1);
    done();
}

/* ---- the commands ------------------------------------------------------------------------- */

/* Runs bpmnrt on the store with input on standard input; the exit code, stdout and stderr. */
static int run(const char *input, char *const args[], char **out, char **err)
{
    char in_path[] = "/tmp/bpmnrt-users-in-XXXXXX";
    int in = mkstemp(in_path);
    CU_ASSERT_FATAL(in >= 0);
    if (input)
        CU_ASSERT_FATAL(write(in, input, strlen(input)) == (ssize_t)strlen(input));
    close(in);
    char *argv[16];
    int k = 0;
    argv[k++] = "--db";
    argv[k++] = path;
    for (int i = 0; args[i] && k < 15; i++)
        argv[k++] = args[i];
    argv[k] = NULL;
    int rc = tu_cli_as(0, in_path, argv, out, err);
    unlink(in_path);
    return rc;
}

#define RUN(want, input, ...)                                                                \
    do {                                                                                     \
        char *args_[] = {__VA_ARGS__, NULL};                                                 \
        free(out);                                                                           \
        free(err);                                                                           \
        int rc_ = run((input), args_, &out, &err);                                           \
        if (rc_ != (want))                                                                   \
            fprintf(stderr, "\n  %s: exit %d\n  stdout: %s\n  stderr: %s\n", args_[0], rc_,  \
                    out, err);                                                               \
        CU_ASSERT_EQUAL(rc_, (want));                                                        \
    } while (0)

static void test_commands_manage_users_and_grants_with_the_password_from_stdin(void)
{
    tu_store_path(path);
    char *out = NULL, *err = NULL;
    RUN(0, "secret password\nignored second line\n", "user", "add", "anna", "--groups",
        "sales,mgmt");
    CU_ASSERT_STRING_EQUAL(out, "");
    RUN(0, "admin password", "user", "add", "--admin", "root"); /* no line end: still a line */
    RUN(1, "secret password\n", "user", "add", "anna");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "user 'anna' exists"));
    RUN(1, "short\n", "user", "add", "bob");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "shorter than 8"));
    RUN(1, "", "user", "add", "bob");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no password on standard input"));
    RUN(2, "secret password\n", "user", "add", "bob", "--password", "secret password");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "never from an argument"));
    RUN(2, NULL, "user", "add");
    RUN(2, NULL, "user", "rename", "anna");
    RUN(2, NULL, "user", "remove", "anna", "--admin");
    RUN(2, NULL, "users", "--all");

    RUN(0, NULL, "users", "--json");
    CU_ASSERT_STRING_EQUAL(out, "[{\"name\":\"anna\",\"groups\":[\"sales\",\"mgmt\"],"
                                "\"admin\":false},{\"name\":\"root\",\"groups\":[],"
                                "\"admin\":true}]\n");
    RUN(0, NULL, "users");
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"anna\""));

    RUN(0, NULL, "grant", "sales", "work", "order");
    RUN(0, NULL, "grant", "user:anna", "read-own", "*");
    RUN(1, NULL, "grant", "user:bob", "read", "order");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "bpmnrt: grant: no user 'bob'"));
    RUN(1, NULL, "grant", "sales", "write", "order");
    RUN(2, NULL, "grant", "sales", "work");
    RUN(0, NULL, "grants", "--json");
    CU_ASSERT_STRING_EQUAL(out, "[{\"who\":\"sales\",\"right\":\"work\",\"process\":\"order\"},"
                                "{\"who\":\"user:anna\",\"right\":\"read-own\","
                                "\"process\":\"*\"}]\n");
    RUN(0, NULL, "revoke", "sales", "work", "order");
    RUN(1, NULL, "revoke", "sales", "work", "order");
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no grant"));

    /* the passwords typed are the ones the library checks */
    RUN(0, "new secret password\r\n", "user", "passwd", "anna");
    RUN(1, "new secret password\n", "user", "passwd", "bob");
    bpmn_engine_options o = {0};
    o.path = path;
    CU_ASSERT_EQUAL_FATAL(bpmn_engine_open(&o, &e, NULL, 0), BPMN_OK);
    char *json = NULL;
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "secret password", &json), BPMN_EDENIED);
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "anna", "new secret password", &json), BPMN_OK);
    bpmn_free(e, json);
    CU_ASSERT_EQUAL(bpmn_user_verify(e, "root", "admin password", &json), BPMN_OK);
    bpmn_free(e, json);
    bpmn_engine_close(e);
    e = NULL;

    RUN(0, NULL, "user", "remove", "anna");
    RUN(1, NULL, "user", "remove", "anna");
    RUN(0, NULL, "grants", "--json");
    CU_ASSERT_STRING_EQUAL(out, "[]\n");
    free(out);
    free(err);
    tu_store_remove(path);
}

int main(void)
{
    static const tu_case cases[] = {
        {"user_logs_in_with_the_right_password_only", test_user_logs_in_with_the_right_password_only},
        {"unknown_user_gets_the_same_refusal_in_the_same_time",
         test_unknown_user_gets_the_same_refusal_in_the_same_time},
        {"dummy_hash_has_the_parameters_of_real_ones", test_dummy_hash_has_the_parameters_of_real_ones},
        {"store_holds_a_hash_and_no_plaintext", test_store_holds_a_hash_and_no_plaintext},
        {"passwd_replaces_the_password", test_passwd_replaces_the_password},
        {"repeated_failures_are_slowed_down_across_handles",
         test_repeated_failures_are_slowed_down_across_handles},
        {"users_are_listed_counted_and_removed_with_their_grants",
         test_users_are_listed_counted_and_removed_with_their_grants},
        {"refused_operations_leave_the_store_unchanged",
         test_refused_operations_leave_the_store_unchanged},
        {"user_may_follows_every_rule", test_user_may_follows_every_rule},
        {"commands_manage_users_and_grants_with_the_password_from_stdin",
         test_commands_manage_users_and_grants_with_the_password_from_stdin},
        {NULL, NULL},
    };
    return tu_run("users", cases);
}
