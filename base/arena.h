/*
 * arena.h - memory for every floor (bpmn/, expr/, engine/ and above): the allocator hook, a bump
 * arena for everything a model or graph owns (freed at once), and a growable array.
 */
#ifndef BPMN_ARENA_H
#define BPMN_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "bpmnrt.h"

void *bm_alloc(const bpmn_allocator *a, void *ptr, size_t size);
void bm_free(const bpmn_allocator *a, void *ptr);

typedef struct bm_chunk bm_chunk;

/* A bump allocator. Allocation failure returns NULL and leaves the arena usable. */
typedef struct bm_arena {
    const bpmn_allocator *a;
    bm_chunk *head;
    size_t used, cap;
} bm_arena;

void bm_arena_init(bm_arena *ar, const bpmn_allocator *a);
void *bm_arena_alloc(bm_arena *ar, size_t size);
char *bm_arena_strdup(bm_arena *ar, const char *s);
char *bm_arena_strndup(bm_arena *ar, const char *s, size_t n);
/* printf into the arena; NULL on allocation failure. */
char *bm_arena_printf(bm_arena *ar, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bm_arena_free(bm_arena *ar);

/* Grows *items (of elem_size bytes each) so that it holds at least need elements. */
int bm_grow(const bpmn_allocator *a, void **items, size_t *cap, size_t need, size_t elem_size);

/* 64-bit FNV-1a of a NUL-terminated string. */
uint64_t bm_hash(const char *s);

#endif
