/*
 * diag.c - collecting diagnostics. Messages are formatted into the list's own arena so a report
 * outlives the model it was computed from.
 */
#include "bpmn/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

void bm_diags_init(bm_diags *d, const bpmn_allocator *a)
{
    memset(d, 0, sizeof *d);
    bm_arena_init(&d->arena, a);
}

void bm_diags_free(bm_diags *d)
{
    bm_free(d->arena.a, d->items);
    bm_arena_free(&d->arena);
    d->items = NULL;
    d->n = d->cap = 0;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
                 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    uint32_t cp = len == 1 ? s[0] : len == 2 ? s[0] & 0x1Fu : len == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
    for (size_t i = 1; i < len; i++)
        cp = cp << 6 | (s[i] & 0x3Fu);
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Messages quote input (libxml2 reports raw bytes) and may be cut by the buffer in the middle
 * of a character: diagnostics are made valid UTF-8 by replacing every invalid byte with '?'. */
static void utf8_fix(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq((const unsigned char *)s + i, n - i);
        if (l)
            i += l;
        else
            s[i++] = '?';
    }
}

void bm_diag(bm_diags *d, bpmn_severity sev, unsigned line, const char *element,
             const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (bm_grow(d->arena.a, (void **)&d->items, &d->cap, d->n + 1, sizeof *d->items) != 0) {
        d->oom = 1;
        return;
    }
    bpmn_diagnostic *g = &d->items[d->n];
    g->line = line;
    g->severity = sev;
    utf8_fix(buf);
    char *el = bm_arena_strdup(&d->arena, element ? element : "");
    g->message = bm_arena_strdup(&d->arena, buf);
    if (!el || !g->message) {
        d->oom = 1;
        return;
    }
    utf8_fix(el);
    g->element = el;
    d->n++;
    if (sev == BPMN_SEV_ERROR)
        d->errors++;
}

/* A stable merge sort: diagnostics found at the same line keep the order they were found in. */
void bm_diags_sort(bm_diags *d)
{
    if (d->n < 2)
        return;
    bpmn_diagnostic *tmp = bm_alloc(d->arena.a, NULL, d->n * sizeof *tmp);
    if (!tmp) {
        d->oom = 1;
        return;
    }
    bpmn_diagnostic *src = d->items, *dst = tmp;
    for (size_t w = 1; w < d->n; w *= 2) {
        for (size_t lo = 0; lo < d->n; lo += 2 * w) {
            size_t mid = lo + w < d->n ? lo + w : d->n;
            size_t hi = lo + 2 * w < d->n ? lo + 2 * w : d->n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = src[j].line < src[i].line ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        bpmn_diagnostic *t = src;
        src = dst;
        dst = t;
    }
    if (src != d->items)
        memcpy(d->items, src, d->n * sizeof *src);
    bm_free(d->arena.a, tmp);
}
