/*
 * doc_text.c - reading the documentation pages for test_docs: sections, table cells,
 * backticked names, and a small set of strings to collect them in.
 */
#define _DEFAULT_SOURCE
#include "docs/doc_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

int set_has(const strset *s, const char *x)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], x) == 0)
            return 1;
    return 0;
}

void set_addn(strset *s, const char *x, size_t len)
{
    char *c = strndup(x, len);
    if (!c)
        abort();
    if (set_has(s, c)) {
        free(c);
        return;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v)
            abort();
    }
    s->v[s->n++] = c;
}

void set_add(strset *s, const char *x)
{
    set_addn(s, x, strlen(x));
}

void set_free(strset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

char *read_doc(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", BPMNRT_SOURCE_DIR, rel);
    size_t len;
    char *s = tu_read_file(path, &len);
    if (!s)
        fprintf(stderr, "\ncannot read %s\n", path);
    return s;
}

/* The text of a "## heading" section (up to the next "## "), or "" when absent; caller frees. */
char *section(const char *doc, const char *heading)
{
    char pat[256];
    snprintf(pat, sizeof pat, "\n## %s\n", heading);
    const char *p = strstr(doc, pat);
    if (!p)
        return strdup("");
    p += strlen(pat);
    const char *end = strstr(p, "\n## ");
    return strndup(p, end ? (size_t)(end - p) : strlen(p));
}

/* Cell col (0-based) of each table row of a section that is not the header or the rule, as
 * separate strings in out. */
void table_cells(const char *sec, int col, strset *out)
{
    int row = 0;
    for (const char *l = sec; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (*l != '|') {
            row = 0;
            continue;
        }
        if (row++ < 2)
            continue; /* header and --- rule */
        const char *c = l + 1;
        for (int i = 0; i < col && c; i++) {
            c = strchr(c, '|');
            c = c ? c + 1 : NULL;
        }
        const char *e = c ? strchr(c, '|') : NULL;
        if (c && e)
            set_addn(out, c, (size_t)(e - c));
    }
}

/* Every `token` between backticks in text. */
void backticked(const char *text, strset *out)
{
    for (const char *p = strchr(text, '`'); p; p = strchr(p, '`')) {
        const char *e = strchr(p + 1, '`');
        if (!e)
            break;
        if (e > p + 1)
            set_addn(out, p + 1, (size_t)(e - p - 1));
        p = e + 1;
    }
}

/* Backticked tokens of one column of a section's table. */
void column_tokens(const char *doc, const char *heading, int col, strset *out)
{
    char *sec = section(doc, heading);
    strset cells = {0};
    table_cells(sec, col, &cells);
    for (size_t i = 0; i < cells.n; i++)
        backticked(cells.v[i], out);
    set_free(&cells);
    free(sec);
}

/* The cells of each row of a section's table, split at '|', trimmed; rows[i][c]. */
int table_rows(const char *doc, const char *heading, char rows[][6][512], int max)
{
    char *sec = section(doc, heading);
    int n = 0, row = 0;
    for (const char *l = sec; l && *l && n < max; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (*l != '|') {
            row = 0;
            continue;
        }
        if (row++ < 2)
            continue;
        const char *c = l + 1;
        for (int k = 0; k < 6; k++) {
            const char *e = c ? strchr(c, '|') : NULL;
            const char *eol = strchr(l, '\n');
            rows[n][k][0] = '\0';
            if (!e || (eol && e > eol)) {
                c = NULL;
                continue;
            }
            while (*c == ' ')
                c++;
            size_t len = (size_t)(e - c);
            while (len && c[len - 1] == ' ')
                len--;
            snprintf(rows[n][k], sizeof rows[n][k], "%.*s", (int)len, c);
            c = e + 1;
        }
        n++;
    }
    free(sec);
    return n;
}

