/*
 * users.c - the users and grants of the server: who may log in (Argon2id password hashes from
 * libsodium), with which groups, and what each may do on which process. They live in ST_META
 * under keys of their own, so the store's format does not change:
 *   "user" \0 NAME                       -> format(u8) admin(u8) groups(str) hash(str)
 *                                           failures(u32) last failure(u64 ms)
 *   "grant" \0 WHO \0 RIGHT \0 PROCESS   -> "" (the key is the grant)
 *   "userfail"                           -> failures for unknown names(u64) last(u64 ms)
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "engine/engine.h"

#define U_NAME_MAX 64
#define U_GROUPS_MAX 64
#define U_GROUPS_CAP (U_GROUPS_MAX * (U_NAME_MAX + 1))
#define U_PASSWORD_MIN 8
#define U_PASSWORD_MAX 4096
#define U_PROCESS_MAX 255
#define U_RECORD_FORMAT 1
/* After this many failures in a row a user's password is checked only once per delay. */
#define U_FREE_FAILURES 5
#define U_DELAY_MAX_MS (15LL * 60 * 1000)
#define U_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define U_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

static const char denied[] = "wrong user name or password";

/* An unknown name is checked against this hash (of 32 random bytes nobody kept, with the same
 * parameters as real ones), so that it costs what a known one costs. test_users checks that its
 * parameters stay those of U_OPSLIMIT and U_MEMLIMIT. */
static const char dummy_hash[] =
    "$argon2id$v=19$m=65536,t=2,p=1$Iwg2bEh2F0I9C0oBy0jNYQ$+F9jZlUtwmRDQESGJKWa5oY3bgS/m3J2iisJxLu3ITY";

static const char *const rights[] = {"start", "read", "work", "admin", "read-own", "work-own"};

/* libsodium has one process-wide initialisation; pthread_once makes it happen exactly once
 * whichever handle, in whichever thread, needs it first. */
static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status = -1;

static void sodium_start(void)
{
    sodium_status = sodium_init() < 0 ? -1 : 0;
}

static int sodium_ready(bpmn_engine *e)
{
    pthread_once(&sodium_once, sodium_start);
    return sodium_status == 0 ? BPMN_OK
                              : en_fail(e, BPMN_EIO, "libsodium could not be initialised");
}

/* ---- names, records and keys -------------------------------------------------------------- */

static int name_ok(const char *s, size_t n)
{
    if (!n || n > U_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '@' || c == '-'))
            return 0;
    }
    return 1;
}

static int check_name(bpmn_engine *e, const char *what, const char *s)
{
    if (!s || !name_ok(s, strlen(s)))
        return en_fail(e, BPMN_EINVAL, "%s name '%.80s' is not 1 to 64 characters of A-Z a-z "
                                       "0-9 . _ @ -", what, s ? s : "");
    return BPMN_OK;
}

static int check_password(bpmn_engine *e, const char *pw)
{
    size_t n = pw ? strlen(pw) : 0;
    if (n < U_PASSWORD_MIN)
        return en_fail(e, BPMN_EINVAL, "the password is shorter than %d bytes", U_PASSWORD_MIN);
    if (n > U_PASSWORD_MAX)
        return en_fail(e, BPMN_EINVAL, "the password is longer than %d bytes", U_PASSWORD_MAX);
    return BPMN_OK;
}

/* Whether the comma-separated list holds the name s of n bytes. */
static int csv_has(const char *csv, const char *s, size_t n)
{
    for (const char *q = csv; *q;) {
        size_t len = strcspn(q, ",");
        if (len == n && memcmp(q, s, n) == 0)
            return 1;
        q += len + (q[len] == ',');
    }
    return 0;
}

/* The groups as stored: names separated by single commas, spaces around them dropped, each
 * once. */
static int normalize_groups(bpmn_engine *e, const char *csv, char *out)
{
    size_t o = 0, count = 0;
    out[0] = '\0';
    for (const char *p = csv; p && *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        while (n && *s == ' ')
            s++, n--;
        while (n && s[n - 1] == ' ')
            n--;
        if (!name_ok(s, n))
            return en_fail(e, BPMN_EINVAL, "group name '%.*s' is not 1 to 64 characters of "
                                           "A-Z a-z 0-9 . _ @ -", (int)(n < 80 ? n : 80), s);
        if (!csv_has(out, s, n)) {
            if (++count > U_GROUPS_MAX)
                return en_fail(e, BPMN_EINVAL, "a user may be in at most %d groups",
                               U_GROUPS_MAX);
            if (o)
                out[o++] = ',';
            memcpy(out + o, s, n);
            o += n;
            out[o] = '\0';
        }
        p = end ? end + 1 : NULL;
    }
    return BPMN_OK;
}

typedef struct u_record {
    int admin;
    char groups[U_GROUPS_CAP + 1];
    char hash[crypto_pwhash_STRBYTES];
    uint32_t failures;
    int64_t last_failure;
} u_record;

static size_t user_key(uint8_t *k, const char *name)
{
    size_t n = strlen(name);
    memcpy(k, "user", 5); /* with its NUL */
    memcpy(k + 5, name, n);
    return 5 + n;
}

static int record_encode(bpmn_engine *e, const u_record *r, en_buf *b)
{
    b->a = e->a;
    en_buf_u8(b, U_RECORD_FORMAT);
    en_buf_u8(b, (uint8_t)(r->admin != 0));
    en_buf_str(b, r->groups);
    en_buf_str(b, r->hash);
    en_buf_u32(b, r->failures);
    en_buf_u64(b, (uint64_t)r->last_failure);
    return b->oom ? BPMN_ENOMEM : BPMN_OK;
}

static int copy_str(en_rd *rd, char *out, size_t cap)
{
    uint32_t n;
    const char *s = en_rd_str(rd, &n);
    if (rd->bad || n >= cap)
        return 0;
    memcpy(out, s ? s : "", n);
    out[n] = '\0';
    return 1;
}

static int record_decode(const void *v, size_t vl, u_record *r)
{
    en_rd rd = {v, (const uint8_t *)v + vl, 0};
    if (en_rd_u8(&rd) != U_RECORD_FORMAT)
        return BPMN_EIO;
    r->admin = en_rd_u8(&rd) != 0;
    if (!copy_str(&rd, r->groups, sizeof r->groups) || !copy_str(&rd, r->hash, sizeof r->hash))
        return BPMN_EIO;
    r->failures = en_rd_u32(&rd);
    r->last_failure = (int64_t)en_rd_u64(&rd);
    return rd.bad || rd.p != rd.end ? BPMN_EIO : BPMN_OK;
}

/* The user's record in transaction t. */
static int record_get(bpmn_engine *e, st_txn *t, const char *name, u_record *r)
{
    uint8_t k[5 + U_NAME_MAX];
    const void *v;
    size_t vl;
    int rc = st_get(t, ST_META, k, user_key(k, name), &v, &vl);
    if (rc == BPMN_ENOTFOUND)
        return en_fail(e, rc, "no user '%s'", name);
    if (rc == BPMN_OK && record_decode(v, vl, r) != BPMN_OK)
        return en_fail(e, BPMN_EIO, "the record of user '%s' is damaged", name);
    return rc;
}

static int record_put(bpmn_engine *e, const char *name, const u_record *r)
{
    uint8_t k[5 + U_NAME_MAX];
    en_buf b = {0};
    int rc = record_encode(e, r, &b);
    if (rc == BPMN_OK)
        rc = st_put(e->txn, ST_META, k, user_key(k, name), b.p, b.n);
    en_buf_free(&b);
    return rc;
}

static int hash_password(bpmn_engine *e, const char *pw, char *out)
{
    int rc = sodium_ready(e);
    if (rc == BPMN_OK && crypto_pwhash_str(out, pw, strlen(pw), U_OPSLIMIT, U_MEMLIMIT) != 0)
        rc = en_fail(e, BPMN_ENOMEM, "hashing the password needs %zu MiB of memory, which the "
                                     "system refused", (size_t)(U_MEMLIMIT >> 20));
    return rc;
}

/* ---- adding, changing and removing users -------------------------------------------------- */

typedef struct user_job {
    const char *name;
    u_record r;
} user_job;

static int add_txn(bpmn_engine *e, void *ud)
{
    user_job *j = ud;
    u_record old;
    int rc = record_get(e, e->txn, j->name, &old);
    if (rc == BPMN_OK)
        return en_fail(e, BPMN_ESTATE, "user '%s' exists", j->name);
    if (rc != BPMN_ENOTFOUND)
        return rc;
    e->err[0] = '\0';
    return record_put(e, j->name, &j->r);
}

int bpmn_user_add(bpmn_engine *e, const char *name, const char *password,
                  const char *groups_csv, int admin)
{
    if (!e)
        return BPMN_EINVAL;
    e->err[0] = '\0';
    user_job j;
    memset(&j, 0, sizeof j);
    j.name = name;
    j.r.admin = admin != 0;
    int rc = check_name(e, "user", name);
    if (rc == BPMN_OK)
        rc = normalize_groups(e, groups_csv, j.r.groups);
    if (rc == BPMN_OK)
        rc = check_password(e, password);
    if (rc == BPMN_OK)
        rc = hash_password(e, password, j.r.hash);
    if (rc == BPMN_OK)
        rc = en_write(e, add_txn, &j);
    sodium_memzero(j.r.hash, sizeof j.r.hash);
    return en_status(e, rc);
}

static int passwd_txn(bpmn_engine *e, void *ud)
{
    user_job *j = ud;
    u_record r;
    int rc = record_get(e, e->txn, j->name, &r);
    if (rc != BPMN_OK)
        return rc;
    memcpy(r.hash, j->r.hash, sizeof r.hash);
    r.failures = 0;
    r.last_failure = 0;
    return record_put(e, j->name, &r);
}

int bpmn_user_passwd(bpmn_engine *e, const char *name, const char *password)
{
    if (!e)
        return BPMN_EINVAL;
    e->err[0] = '\0';
    user_job j;
    memset(&j, 0, sizeof j);
    j.name = name;
    int rc = check_name(e, "user", name);
    if (rc == BPMN_OK)
        rc = check_password(e, password);
    if (rc == BPMN_OK)
        rc = hash_password(e, password, j.r.hash);
    if (rc == BPMN_OK)
        rc = en_write(e, passwd_txn, &j);
    sodium_memzero(j.r.hash, sizeof j.r.hash);
    return en_status(e, rc);
}

/* Deletes every key that starts with prefix. */
static int delete_prefix(bpmn_engine *e, const uint8_t *p, size_t pl)
{
    st_cursor *c = NULL;
    const void *k = NULL, *v;
    size_t kl = 0, vl;
    int rc = st_cursor_open(e->txn, ST_META, &c);
    if (rc == BPMN_OK)
        rc = st_cursor_seek(c, p, pl, &k, &kl, &v, &vl);
    while (rc == BPMN_OK && kl >= pl && memcmp(k, p, pl) == 0) {
        rc = st_cursor_del(c);
        if (rc == BPMN_OK)
            rc = st_cursor_seek(c, p, pl, &k, &kl, &v, &vl);
    }
    st_cursor_close(c);
    return rc == BPMN_ENOTFOUND ? BPMN_OK : rc;
}

static int remove_txn(bpmn_engine *e, void *ud)
{
    const char *name = ud;
    uint8_t k[5 + U_NAME_MAX];
    int rc = st_del(e->txn, ST_META, k, user_key(k, name));
    if (rc == BPMN_ENOTFOUND)
        return en_fail(e, rc, "no user '%s'", name);
    if (rc != BPMN_OK)
        return rc;
    /* "grant" \0 "user:" NAME \0: the user's own grants, and no group's (group names have no
     * colon). */
    uint8_t p[6 + 5 + U_NAME_MAX + 1];
    size_t n = strlen(name);
    memcpy(p, "grant\0user:", 11);
    memcpy(p + 11, name, n);
    p[11 + n] = '\0';
    return delete_prefix(e, p, 12 + n);
}

int bpmn_user_remove(bpmn_engine *e, const char *name)
{
    if (!e)
        return BPMN_EINVAL;
    e->err[0] = '\0';
    int rc = check_name(e, "user", name);
    if (rc == BPMN_OK)
        rc = en_write(e, remove_txn, (void *)name);
    return en_status(e, rc);
}

/* ---- reading users ------------------------------------------------------------------------ */

static cJSON *user_json(const char *name, size_t n, const u_record *r)
{
    cJSON *o = cJSON_CreateObject(), *g = NULL;
    char nm[U_NAME_MAX + 1];
    snprintf(nm, sizeof nm, "%.*s", (int)n, name);
    int ok = o && cJSON_AddStringToObject(o, "name", nm) &&
             (g = cJSON_AddArrayToObject(o, "groups"));
    for (const char *p = r->groups; ok && *p;) {
        size_t len = strcspn(p, ",");
        char buf[U_NAME_MAX + 1];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < U_NAME_MAX ? len : U_NAME_MAX), p);
        cJSON *s = cJSON_CreateString(buf);
        ok = s && cJSON_AddItemToArray(g, s);
        p += len + (p[len] == ',');
    }
    if (!ok || !cJSON_AddBoolToObject(o, "admin", r->admin)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Calls fn for every user record, by name; stops at the first status fn returns. */
static int each_user(bpmn_engine *e, st_txn *t,
                     int (*fn)(void *ud, const char *name, size_t n, const u_record *r), void *ud)
{
    st_cursor *c = NULL;
    const void *k = NULL, *v;
    size_t kl = 0, vl;
    int rc = st_cursor_open(t, ST_META, &c);
    if (rc == BPMN_OK)
        rc = st_cursor_seek(c, "user", 5, &k, &kl, &v, &vl);
    while (rc == BPMN_OK && kl > 5 && memcmp(k, "user", 5) == 0) {
        u_record r;
        const char *name = (const char *)k + 5;
        if (kl - 5 > U_NAME_MAX || record_decode(v, vl, &r) != BPMN_OK) {
            rc = en_fail(e, BPMN_EIO, "a user record is damaged");
            break;
        }
        rc = fn(ud, name, kl - 5, &r);
        if (rc == BPMN_OK)
            rc = st_cursor_next(c, &k, &kl, &v, &vl);
    }
    st_cursor_close(c);
    return rc == BPMN_ENOTFOUND ? BPMN_OK : rc;
}

static int add_user_json(void *ud, const char *name, size_t n, const u_record *r)
{
    cJSON *o = user_json(name, n, r);
    return o && cJSON_AddItemToArray(ud, o) ? BPMN_OK : (cJSON_Delete(o), BPMN_ENOMEM);
}

int bpmn_users(bpmn_engine *e, char **json_out)
{
    if (!e || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return rc;
    cJSON *a = cJSON_CreateArray();
    rc = a ? each_user(e, t, add_user_json, a) : BPMN_ENOMEM;
    en_read_end(e, t);
    if (rc == BPMN_OK && !(*json_out = en_json_out(e, a)))
        rc = BPMN_ENOMEM;
    else if (rc != BPMN_OK)
        cJSON_Delete(a);
    return en_status(e, rc);
}

static int count_user(void *ud, const char *name, size_t n, const u_record *r)
{
    (void)name, (void)n, (void)r;
    ++*(unsigned long *)ud;
    return BPMN_OK;
}

int bpmn_user_count(bpmn_engine *e, unsigned long *n)
{
    if (!e || !n)
        return BPMN_EINVAL;
    *n = 0;
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return rc;
    rc = each_user(e, t, count_user, n);
    en_read_end(e, t);
    return en_status(e, rc);
}

/* ---- logging in --------------------------------------------------------------------------- */

/* How long after the last failure a user with this many failures in a row waits (ms). */
static int64_t login_delay(uint32_t failures)
{
    if (failures < U_FREE_FAILURES)
        return 0;
    uint32_t x = failures - U_FREE_FAILURES;
    int64_t d = x >= 20 ? U_DELAY_MAX_MS : 1000LL << x;
    return d < U_DELAY_MAX_MS ? d : U_DELAY_MAX_MS;
}

typedef struct verify_job {
    const char *name;
    int known, ok, throttled;
    int64_t now;
} verify_job;

/* The one small write of a login: a failure counted (or, while the user must wait, the record
 * written back as it is, so that every refusal costs the same), a success clearing the count,
 * or a failure for an unknown name. */
static int verify_txn(bpmn_engine *e, void *ud)
{
    verify_job *j = ud;
    if (!j->known) {
        uint8_t v[16];
        const void *old;
        size_t ol;
        uint64_t n = 0;
        int rc = st_get(e->txn, ST_META, "userfail", 8, &old, &ol);
        if (rc == BPMN_OK && ol == 16)
            n = st_rd64(old);
        else if (rc != BPMN_OK && rc != BPMN_ENOTFOUND)
            return rc;
        st_be64(v, n + 1);
        st_be64(v + 8, (uint64_t)j->now);
        return st_put(e->txn, ST_META, "userfail", 8, v, sizeof v);
    }
    u_record r;
    int rc = record_get(e, e->txn, j->name, &r);
    if (rc == BPMN_ENOTFOUND)
        return BPMN_OK; /* removed since it was read: nothing to count */
    if (rc != BPMN_OK)
        return rc;
    if (j->ok && !j->throttled) {
        r.failures = 0;
    } else if (!j->throttled) {
        r.failures = r.failures < UINT32_MAX ? r.failures + 1 : r.failures;
        r.last_failure = j->now;
    }
    return record_put(e, j->name, &r);
}

int bpmn_user_verify(bpmn_engine *e, const char *name, const char *password, char **json_out)
{
    if (!e || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    e->err[0] = '\0';
    int rc = sodium_ready(e);
    if (rc != BPMN_OK)
        return rc;
    verify_job j = {name, 0, 0, 0, en_now(e)};
    u_record r;
    memset(&r, 0, sizeof r);
    size_t pl = password ? strlen(password) : 0;
    if (name && name_ok(name, strlen(name))) {
        st_txn *t;
        rc = en_read_begin(e, &t);
        if (rc != BPMN_OK)
            return rc;
        rc = record_get(e, t, name, &r);
        en_read_end(e, t);
        if (rc != BPMN_OK && rc != BPMN_ENOTFOUND)
            return en_status(e, rc);
        j.known = rc == BPMN_OK;
    }
    /* The hash is checked in every case, the dummy one for an unknown name, so that the time
     * says nothing about which names exist. */
    const char *hash = j.known ? r.hash : dummy_hash;
    if (pl > U_PASSWORD_MAX)
        pl = U_PASSWORD_MAX; /* checked, bounded, and refused below */
    int match = crypto_pwhash_str_verify(hash, password ? password : "", pl) == 0;
    j.ok = j.known && match && password && strlen(password) <= U_PASSWORD_MAX;
    j.throttled = j.known && r.failures >= U_FREE_FAILURES &&
                  en_span(r.last_failure, j.now) < login_delay(r.failures);
    cJSON *who = j.ok && !j.throttled ? user_json(name, strlen(name), &r) : NULL;
    sodium_memzero(r.hash, sizeof r.hash);
    if (j.ok && !j.throttled) {
        if (!who)
            return en_fail(e, BPMN_ENOMEM, "out of memory");
        if (r.failures)
            (void)en_write(e, verify_txn, &j); /* the login stands if clearing the count fails */
        e->err[0] = '\0';
        if (!(*json_out = en_json_out(e, who)))
            return en_fail(e, BPMN_ENOMEM, "out of memory");
        return BPMN_OK;
    }
    /* A refusal stays a refusal when its count cannot be written (a read-only store). */
    (void)en_write(e, verify_txn, &j);
    return en_fail(e, BPMN_EDENIED, "%s", denied);
}

/* ---- grants ------------------------------------------------------------------------------- */

static int right_index(const char *right)
{
    for (int i = 0; right && i < (int)(sizeof rights / sizeof rights[0]); i++)
        if (strcmp(right, rights[i]) == 0)
            return i;
    return -1;
}

/* "grant" \0 WHO \0 RIGHT \0 PROCESS into k (at least 6 + 70 + 9 + 256 bytes); its length. */
static size_t grant_key(uint8_t *k, const char *who, const char *right, const char *process)
{
    size_t o = 0, n;
    memcpy(k, "grant", 6);
    o = 6;
    n = strlen(who);
    memcpy(k + o, who, n + 1);
    o += n + 1;
    n = strlen(right);
    memcpy(k + o, right, n + 1);
    o += n + 1;
    n = strlen(process);
    memcpy(k + o, process, n);
    return o + n;
}

#define U_GRANT_KEY (6 + 5 + U_NAME_MAX + 1 + 9 + U_PROCESS_MAX + 1)

typedef struct grant_job {
    const char *who, *right, *process;
    int revoke;
} grant_job;

static int check_grant(bpmn_engine *e, const grant_job *j)
{
    if (!j->who || !j->right || !j->process)
        return en_fail(e, BPMN_EINVAL, "a grant names who, a right and a process");
    const char *user = strncmp(j->who, "user:", 5) == 0 ? j->who + 5 : NULL;
    int rc = check_name(e, user ? "user" : "group", user ? user : j->who);
    if (rc != BPMN_OK)
        return rc;
    if (right_index(j->right) < 0)
        return en_fail(e, BPMN_EINVAL, "right '%.80s' is not one of start, read, work, admin, "
                                       "read-own, work-own", j->right);
    size_t n = strlen(j->process);
    int ok = n && n <= U_PROCESS_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = (unsigned char)j->process[i] > ' ' && j->process[i] != 0x7f;
    if (!ok)
        return en_fail(e, BPMN_EINVAL, "process '%.80s' is not '*' or an id of 1 to %d bytes "
                                       "without spaces or control characters",
                       j->process, U_PROCESS_MAX);
    return BPMN_OK;
}

static int grant_txn(bpmn_engine *e, void *ud)
{
    grant_job *j = ud;
    uint8_t k[U_GRANT_KEY];
    size_t kl = grant_key(k, j->who, j->right, j->process);
    if (j->revoke) {
        int rc = st_del(e->txn, ST_META, k, kl);
        if (rc == BPMN_ENOTFOUND)
            return en_fail(e, rc, "no grant of %s to %s on %s", j->right, j->who, j->process);
        return rc;
    }
    if (strncmp(j->who, "user:", 5) == 0) {
        u_record r;
        int rc = record_get(e, e->txn, j->who + 5, &r);
        if (rc != BPMN_OK)
            return rc;
    }
    return st_put(e->txn, ST_META, k, kl, "", 0);
}

static int grant_op(bpmn_engine *e, const char *who, const char *right, const char *process,
                    int revoke)
{
    if (!e)
        return BPMN_EINVAL;
    e->err[0] = '\0';
    grant_job j = {who, right, process, revoke};
    int rc = check_grant(e, &j);
    if (rc == BPMN_OK)
        rc = en_write(e, grant_txn, &j);
    return en_status(e, rc);
}

int bpmn_grant(bpmn_engine *e, const char *who, const char *right, const char *process)
{
    return grant_op(e, who, right, process, 0);
}

int bpmn_revoke(bpmn_engine *e, const char *who, const char *right, const char *process)
{
    return grant_op(e, who, right, process, 1);
}

int bpmn_grants(bpmn_engine *e, char **json_out)
{
    if (!e || !json_out)
        return BPMN_EINVAL;
    *json_out = NULL;
    st_txn *t;
    int rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return rc;
    cJSON *a = cJSON_CreateArray();
    st_cursor *c = NULL;
    const void *k = NULL, *v;
    size_t kl = 0, vl;
    rc = a ? st_cursor_open(t, ST_META, &c) : BPMN_ENOMEM;
    if (rc == BPMN_OK)
        rc = st_cursor_seek(c, "grant", 6, &k, &kl, &v, &vl);
    while (rc == BPMN_OK && kl > 6 && memcmp(k, "grant", 6) == 0) {
        char buf[U_GRANT_KEY + 1];
        if (kl - 6 > U_GRANT_KEY - 6) {
            rc = en_fail(e, BPMN_EIO, "a grant record is damaged");
            break;
        }
        memcpy(buf, (const char *)k + 6, kl - 6);
        buf[kl - 6] = '\0';
        const char *who = buf, *right = NULL, *process = NULL;
        size_t a1 = strlen(buf);
        if (a1 + 1 < kl - 6) {
            right = buf + a1 + 1;
            size_t a2 = strlen(right);
            if (a1 + 1 + a2 + 1 < kl - 6)
                process = right + a2 + 1;
        }
        if (!right || !process) {
            rc = en_fail(e, BPMN_EIO, "a grant record is damaged");
            break;
        }
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddStringToObject(o, "who", who) ||
            !cJSON_AddStringToObject(o, "right", right) ||
            !cJSON_AddStringToObject(o, "process", process) || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            rc = BPMN_ENOMEM;
            break;
        }
        rc = st_cursor_next(c, &k, &kl, &v, &vl);
    }
    st_cursor_close(c);
    en_read_end(e, t);
    if (rc == BPMN_ENOTFOUND)
        rc = BPMN_OK;
    if (rc == BPMN_OK && !(*json_out = en_json_out(e, a)))
        rc = BPMN_ENOMEM;
    else if (rc != BPMN_OK)
        cJSON_Delete(a);
    return en_status(e, rc);
}

/* ---- the authorization check -------------------------------------------------------------- */

/* Whether who holds one of the rights in list (NULL-terminated) on process or on "*". */
static int holds(st_txn *t, const char *who, const char *const *list, const char *process,
                 int *found)
{
    for (; *list; list++) {
        for (int star = 0; star < 2; star++) {
            if (star && strcmp(process, "*") == 0)
                break;
            uint8_t k[U_GRANT_KEY];
            size_t kl = grant_key(k, who, *list, star ? "*" : process);
            const void *v;
            size_t vl;
            int rc = st_get(t, ST_META, k, kl, &v, &vl);
            if (rc == BPMN_OK) {
                *found = 1;
                return BPMN_OK;
            }
            if (rc != BPMN_ENOTFOUND)
                return rc;
        }
    }
    return BPMN_OK;
}

int bpmn_user_may(bpmn_engine *e, const char *user, const char *right, const char *process,
                  int *allowed, int *own_only)
{
    if (!e || !allowed)
        return BPMN_EINVAL;
    *allowed = 0;
    if (own_only)
        *own_only = 0;
    e->err[0] = '\0';
    int ri = right_index(right);
    if (ri < 0)
        return en_fail(e, BPMN_EINVAL, "right '%.80s' is not one of start, read, work, admin, "
                                       "read-own, work-own", right ? right : "");
    grant_job g = {"x", right, process, 0};
    int rc = check_grant(e, &g);
    if (rc == BPMN_OK)
        rc = check_name(e, "user", user);
    if (rc != BPMN_OK)
        return rc;
    /* What holds each right fully, and what holds it for one's own instances only; asking for
     * read-own or work-own is asking for read or work. */
    static const char *const full_start[] = {"start", "admin", NULL};
    static const char *const full_read[] = {"read", "work", "admin", NULL};
    static const char *const full_work[] = {"work", "admin", NULL};
    static const char *const full_admin[] = {"admin", NULL};
    static const char *const own_read[] = {"read-own", "work-own", NULL};
    static const char *const own_work[] = {"work-own", NULL};
    static const char *const none[] = {NULL};
    static const char *const *const full[] = {full_start, full_read, full_work,
                                              full_admin, full_read, full_work};
    static const char *const *const own[] = {none, own_read, own_work, none, own_read, own_work};

    st_txn *t;
    rc = en_read_begin(e, &t);
    if (rc != BPMN_OK)
        return rc;
    u_record r;
    memset(&r, 0, sizeof r);
    rc = record_get(e, t, user, &r);
    if (rc == BPMN_OK && r.admin) {
        *allowed = 1;
    } else if (rc == BPMN_OK) {
        char who[5 + U_NAME_MAX + 1];
        int fully = 0, partly = 0;
        snprintf(who, sizeof who, "user:%s", user);
        rc = holds(t, who, full[ri], process, &fully);
        for (const char *p = r.groups; rc == BPMN_OK && !fully && *p;) {
            size_t n = strcspn(p, ",");
            snprintf(who, sizeof who, "%.*s", (int)(n < U_NAME_MAX ? n : U_NAME_MAX), p);
            rc = holds(t, who, full[ri], process, &fully);
            p += n + (p[n] == ',');
        }
        if (rc == BPMN_OK && !fully) {
            snprintf(who, sizeof who, "user:%s", user);
            rc = holds(t, who, own[ri], process, &partly);
            for (const char *p = r.groups; rc == BPMN_OK && !partly && *p;) {
                size_t n = strcspn(p, ",");
                snprintf(who, sizeof who, "%.*s", (int)(n < U_NAME_MAX ? n : U_NAME_MAX), p);
                rc = holds(t, who, own[ri], process, &partly);
                p += n + (p[n] == ',');
            }
        }
        if (rc == BPMN_OK) {
            *allowed = fully || partly;
            if (own_only)
                *own_only = !fully && partly;
        }
    }
    sodium_memzero(r.hash, sizeof r.hash);
    en_read_end(e, t);
    return en_status(e, rc);
}
