/*
 * state.c - the evaluation state every other expression file stands on: the first error wins
 * (as a message in valid UTF-8), out of memory, the step charge, allocation in the evaluation's
 * arena, and numbers kept finite and decimal-like.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 when it is not valid. Overlong
 * forms, surrogates and code points past U+10FFFF are refused, as JSON output must not carry
 * them. */
size_t ex_utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0], need, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3, cp = c & 0x07;
    else
        return 0;
    if (need >= n)
        return 0;
    for (unsigned i = 1; i <= need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need + 1;
}

void ex_utf8_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n = strlen(s), i = 0;
    while (i < n) {
        size_t k = ex_utf8_seq(p + i, n - i);
        if (k) {
            i += k;
            continue;
        }
        if (n - i < 4 && p[i] >= 0xC2) {
            p[i] = '\0'; /* a character cut by truncating the message */
            return;
        }
        p[i++] = '?';
    }
}

int xs_fail(ex_state *st, const char *fmt, ...)
{
    if (!st->rc) {
        st->rc = BPMN_EINVAL;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->msg, sizeof st->msg, fmt, ap);
        va_end(ap);
        ex_utf8_sanitize(st->msg);
    }
    return -1;
}

int xs_nomem(ex_state *st)
{
    if (!st->rc) {
        st->rc = BPMN_ENOMEM;
        snprintf(st->msg, sizeof st->msg, "out of memory");
    }
    return -1;
}

long xs_max_steps(const ex_state *st)
{
    return st->max_steps > 0 ? st->max_steps : EX_MAX_STEPS;
}

int xs_charge(ex_state *st, long n)
{
    st->steps += n;
    if (st->steps > xs_max_steps(st))
        return xs_fail(st, "evaluation took more than %ld steps", xs_max_steps(st));
    return 0;
}

void *xs_alloc(ex_state *st, size_t size)
{
    void *p = bm_arena_alloc(&st->ar, size);
    if (!p)
        xs_nomem(st);
    return p;
}

int xs_num(ex_state *st, double d, xv *out)
{
    if (!isfinite(d))
        return xs_fail(st, "the result is not a finite number");
    if (d != floor(d) && fabs(d) < 1e15) {
        char buf[40];
        snprintf(buf, sizeof buf, "%.15g", d);
        d = strtod(buf, NULL);
    }
    out->k = XV_NUM;
    out->u.n = d == 0 ? 0 : d; /* no negative zero */
    return 0;
}
