/*
 * arena.c - the allocator hook, the bump arena and the growable array that every floor uses.
 */
#include "base/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bm_chunk {
    bm_chunk *next;
    size_t size;
    max_align_t data[];
};

void *bm_alloc(const bpmn_allocator *a, void *ptr, size_t size)
{
    if (a && a->alloc)
        return a->alloc(a->ud, ptr, size);
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

void bm_free(const bpmn_allocator *a, void *ptr)
{
    if (ptr)
        bm_alloc(a, ptr, 0);
}

void bm_arena_init(bm_arena *ar, const bpmn_allocator *a)
{
    ar->a = a;
    ar->head = NULL;
    ar->used = ar->cap = 0;
}

void *bm_arena_alloc(bm_arena *ar, size_t size)
{
    size_t align = sizeof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    if (!ar->head || ar->cap - ar->used < size) {
        size_t csize = ar->head ? ar->head->size * 2 : 4096;
        if (csize > (size_t)1 << 20)
            csize = (size_t)1 << 20;
        if (csize < size)
            csize = size;
        bm_chunk *c = bm_alloc(ar->a, NULL, sizeof(bm_chunk) + csize);
        if (!c)
            return NULL;
        c->next = ar->head;
        c->size = csize;
        ar->head = c;
        ar->used = 0;
        ar->cap = csize;
    }
    void *p = (char *)ar->head->data + ar->used;
    ar->used += size;
    return p;
}

char *bm_arena_strndup(bm_arena *ar, const char *s, size_t n)
{
    char *d = bm_arena_alloc(ar, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *bm_arena_strdup(bm_arena *ar, const char *s)
{
    return s ? bm_arena_strndup(ar, s, strlen(s)) : NULL;
}

char *bm_arena_printf(bm_arena *ar, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *d = bm_arena_alloc(ar, (size_t)n + 1);
    if (!d)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

void bm_arena_free(bm_arena *ar)
{
    bm_chunk *c = ar->head;
    while (c) {
        bm_chunk *next = c->next;
        bm_free(ar->a, c);
        c = next;
    }
    ar->head = NULL;
    ar->used = ar->cap = 0;
}

int bm_grow(const bpmn_allocator *a, void **items, size_t *cap, size_t need, size_t elem_size)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / elem_size)
        return -1;
    void *p = bm_alloc(a, *items, ncap * elem_size);
    if (!p)
        return -1;
    *items = p;
    *cap = ncap;
    return 0;
}

uint64_t bm_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}
