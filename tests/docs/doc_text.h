/*
 * doc_text.h - reading the documentation pages for test_docs: sections, table cells,
 * backticked names, and a small set of strings to collect them in.
 */
#ifndef BPMNRT_TEST_DOC_TEXT_H
#define BPMNRT_TEST_DOC_TEXT_H

#include <stddef.h>

typedef struct strset {
    char **v;
    size_t n, cap;
} strset;

int set_has(const strset *s, const char *x);
void set_addn(strset *s, const char *x, size_t len);
void set_add(strset *s, const char *x);
void set_free(strset *s);

/* A file of the source tree (path relative to it), NUL-terminated, or NULL; caller frees. */
char *read_doc(const char *rel);
/* The text of a "## heading" section (up to the next "## "), or "" when absent; caller frees. */
char *section(const char *doc, const char *heading);
/* Cell col (0-based) of each table row of a section, header and rule skipped. */
void table_cells(const char *sec, int col, strset *out);
/* Every `token` between backticks in text. */
void backticked(const char *text, strset *out);
/* Backticked tokens of one column of a section's table. */
void column_tokens(const char *doc, const char *heading, int col, strset *out);
/* The trimmed cells of each row of a section's table: rows[i][c]; returns the row count. */
int table_rows(const char *doc, const char *heading, char rows[][6][512], int max);

#endif
