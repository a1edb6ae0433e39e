/*
 * source_names.c - which names the source code looks up, for test_docs: every call of a lookup
 * helper (bm_xattr, bg_attr, vendor_attr, bm_ext_find, bm_ext_attr, count_children,
 * bm_attr_get, bm_attr_true, check_ref, ref_name) and every comparison of an extension element's
 * name or a BPMN element's tag with a literal, in the C files of bpmn/, expr/, engine/, reports/
 * and ops/. A literal is read where it is written, or from the array initialiser an argument
 * indexes (code_attrs[j], vendors[i]).
 */
#define _DEFAULT_SOURCE
#include "docs/source_names.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"


/* The source with comments blanked out (strings kept). */
static char *strip_comments(const char *s)
{
    char *r = strdup(s);
    for (char *p = r; *p; p++) {
        if (*p == '"' || *p == '\'') {
            char q = *p;
            for (p++; *p && *p != q; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (!*p)
                break;
        } else if (p[0] == '/' && p[1] == '*') {
            char *e = strstr(p + 2, "*/");
            char *stop = e ? e + 2 : p + strlen(p);
            for (; p < stop; p++)
                if (*p != '\n')
                    *p = ' ';
            p--;
        } else if (p[0] == '/' && p[1] == '/') {
            for (; *p && *p != '\n'; p++)
                *p = ' ';
            if (!*p)
                break;
        }
    }
    return r;
}

/* The end of the parenthesised argument list that starts at open ('('), skipping strings. */
static const char *close_paren(const char *open)
{
    int depth = 0;
    for (const char *p = open; *p; p++) {
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1])
                    p++;
        } else if (*p == '(') {
            depth++;
        } else if (*p == ')' && --depth == 0) {
            return p;
        }
    }
    return NULL;
}

/* Argument i (0-based) of the list between open and close, as a copy. */
static char *arg_of(const char *open, const char *close, int i)
{
    int depth = 0, k = 0;
    const char *start = open + 1;
    for (const char *p = open + 1; p <= close; p++) {
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++)
                if (*p == '\\' && p[1])
                    p++;
            continue;
        }
        if (*p == '(' || *p == '[' || *p == '{')
            depth++;
        else if ((*p == ')' || *p == ']' || *p == '}') && depth > 0)
            depth--;
        else if ((*p == ',' && depth == 0) || p == close) {
            if (k++ == i)
                return strndup(start, (size_t)(p - start));
            start = p + 1;
        }
    }
    return NULL;
}

/* String literals in expr; when there are none and expr indexes an array (NAME[i]), the
 * literals of that array's initialiser in the file. */
static void literals(const char *file, const char *expr, strset *out)
{
    int found = 0;
    for (const char *p = strchr(expr, '"'); p; p = strchr(p, '"')) {
        const char *e = strchr(p + 1, '"');
        if (!e)
            break;
        set_addn(out, p + 1, (size_t)(e - p - 1));
        found = 1;
        p = e + 1;
    }
    if (found)
        return;
    const char *b = strchr(expr, '[');
    const char *s = expr;
    while (*s == ' ')
        s++;
    if (!b || b == s)
        return;
    char pat[128];
    snprintf(pat, sizeof pat, "%.*s[] = {", (int)(b - s), s);
    const char *def = strstr(file, pat);
    const char *end = def ? strchr(def, '}') : NULL;
    if (!end)
        return;
    char *init = strndup(def + strlen(pat), (size_t)(end - def - strlen(pat)));
    literals(file, init, out);
    free(init);
}

/* Vendor namespaces named by expr: BM_NS_X tokens, directly or in the array it indexes. */
static void namespaces(const char *file, const char *expr, strset *out)
{
    static const char *const ns[][2] = {{"BM_NS_CAMUNDA", "camunda"}, {"BM_NS_ZEEBE", "zeebe"},
                                        {"BM_NS_FLOWABLE", "flowable"},
                                        {"BM_NS_ACTIVITI", "activiti"}};
    const char *text = expr;
    char *init = NULL;
    const char *b = strchr(expr, '[');
    if (!strstr(expr, "BM_NS_") && b) {
        const char *s = expr;
        while (*s == ' ')
            s++;
        char pat[128];
        snprintf(pat, sizeof pat, "%.*s[] = {", (int)(b - s), s);
        const char *def = strstr(file, pat);
        const char *end = def ? strchr(def, '}') : NULL;
        if (end)
            text = init = strndup(def, (size_t)(end - def));
    }
    for (size_t i = 0; i < 4; i++)
        if (strstr(text, ns[i][0]))
            set_add(out, ns[i][1]);
    free(init);
}

static void add_pairs(names *n, strset *dst, const strset *nss, const strset *lits,
                      const char *where)
{
    if (lits->n && !nss->n) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s: cannot tell the namespace of '%s'", where, lits->v[0]);
        set_add(&n->problems, msg);
    }
    for (size_t i = 0; i < nss->n; i++)
        for (size_t j = 0; j < lits->n; j++) {
            char buf[256];
            snprintf(buf, sizeof buf, "%s:%s", nss->v[i], lits->v[j]);
            set_add(dst, buf);
        }
}

/* One file: every call of a lookup helper, and every comparison of an extension element's
 * name or a BPMN element's tag with a literal. */
static void scan_file(names *n, const char *path)
{
    size_t len;
    char *raw = tu_read_file(path, &len);
    if (!raw)
        return;
    char *src = strip_comments(raw);
    free(raw);
    static const struct {
        const char *fn;
        int ns_arg, name_arg, name_arg2;
        char what; /* v vendor attr, x vendor ext, a ext attr, n ext name, b BPMN attr */
    } helpers[] = {
        {"bm_xattr", 1, 2, -1, 'v'},    {"bg_attr", 1, 2, -1, 'v'},
        {"vendor_attr", -1, 1, -1, 'V'}, {"bm_ext_find", 1, 2, -1, 'x'},
        {"bm_ext_attr", -1, 1, -1, 'a'}, {"count_children", -1, 1, -1, 'n'},
        {"bm_attr_get", -1, 1, -1, 'b'}, {"bm_attr_true", -1, 1, -1, 'b'},
        {"check_ref", -1, 2, -1, 'b'},   {"ref_name", -1, 2, 3, 'b'},
        {"strcmp", -1, 1, -1, 's'},
    };
    for (size_t h = 0; h < sizeof helpers / sizeof helpers[0]; h++) {
        size_t fl = strlen(helpers[h].fn);
        for (const char *p = strstr(src, helpers[h].fn); p; p = strstr(p + 1, helpers[h].fn)) {
            if ((p > src && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) || p[fl] != '(')
                continue;
            const char *open = p + fl, *close = close_paren(open);
            if (!close)
                continue;
            char *first = arg_of(open, close, 0);
            char *name = arg_of(open, close, helpers[h].name_arg);
            char *name2 = helpers[h].name_arg2 >= 0 ? arg_of(open, close, helpers[h].name_arg2)
                                                    : NULL;
            char *nsx = helpers[h].ns_arg >= 0 ? arg_of(open, close, helpers[h].ns_arg) : NULL;
            strset lits = {0}, nss = {0};
            if (name)
                literals(src, name, &lits);
            if (name2)
                literals(src, name2, &lits);
            char where[1100];
            snprintf(where, sizeof where, "%.1000s: %.60s", path, p);
            switch (helpers[h].what) {
            case 'v':
            case 'x':
                if (nsx)
                    namespaces(src, nsx, &nss);
                add_pairs(n, helpers[h].what == 'v' ? &n->vattr : &n->vext, &nss, &lits, where);
                if (helpers[h].what == 'x')
                    for (size_t i = 0; i < lits.n; i++)
                        set_add(&n->extname, lits.v[i]);
                break;
            case 'V': /* vendor_attr: the first of camunda:, flowable:, activiti: */
                set_add(&nss, "camunda");
                set_add(&nss, "flowable");
                set_add(&nss, "activiti");
                add_pairs(n, &n->vattr, &nss, &lits, where);
                break;
            case 'a':
                for (size_t i = 0; i < lits.n; i++)
                    set_add(&n->extattr, lits.v[i]);
                break;
            case 'n':
                for (size_t i = 0; i < lits.n; i++)
                    set_add(&n->extname, lits.v[i]);
                break;
            case 'b':
                for (size_t i = 0; i < lits.n; i++)
                    set_add(&n->battr, lits.v[i]);
                break;
            case 's': { /* strcmp(x->name, "...") or strcmp(e->tag, "...") */
                const char *f = first;
                while (f && *f == ' ')
                    f++;
                size_t id = 0;
                while (f && (isalnum((unsigned char)f[id]) || f[id] == '_'))
                    id++;
                if (f && id && strcmp(f + id, "->name") == 0)
                    for (size_t i = 0; i < lits.n; i++)
                        set_add(&n->extname, lits.v[i]);
                else if (f && id && strcmp(f + id, "->tag") == 0)
                    for (size_t i = 0; i < lits.n; i++)
                        set_add(&n->btag, lits.v[i]);
                break;
            }
            }
            set_free(&lits);
            set_free(&nss);
            free(first);
            free(name);
            free(name2);
            free(nsx);
        }
    }
    free(src);
}

void scan_sources(names *n)
{
    static const char *const dirs[] = {"bpmn", "expr", "engine", "reports", "ops"};
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s", BPMNRT_SOURCE_DIR, dirs[d]);
        DIR *dh = opendir(dir);
        CU_ASSERT_PTR_NOT_NULL_FATAL(dh);
        struct dirent *de;
        while ((de = readdir(dh))) {
            size_t l = strlen(de->d_name);
            if (l < 3 || strcmp(de->d_name + l - 2, ".c") != 0)
                continue;
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            scan_file(n, path);
        }
        closedir(dh);
    }
}

void names_free(names *n)
{
    strset *all[] = {&n->vattr, &n->vext, &n->extname, &n->extattr, &n->battr, &n->btag,
                     &n->problems};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        set_free(all[i]);
}

