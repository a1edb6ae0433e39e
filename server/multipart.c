/*
 * multipart.c - multipart/form-data (RFC 7578), as Camunda Modeler and curl send a deployment:
 * the boundary from the content type, then parts each with headers (Content-Disposition names
 * the field and, for a file, its filename) and content up to the next boundary. The whole body
 * is in memory (bounded by the server's limit); parts point into it. Every malformed input is an
 * error with a reason, never a read outside the body.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/server.h"

/* The first occurrence of needle (n bytes) in hay (h bytes), or NULL. */
static const char *find(const char *hay, size_t h, const char *needle, size_t n)
{
    if (n == 0 || h < n)
        return NULL;
    for (const char *p = hay; (size_t)(p - hay) <= h - n;) {
        const char *q = memchr(p, needle[0], h - n + 1 - (size_t)(p - hay));
        if (!q)
            return NULL;
        if (memcmp(q, needle, n) == 0)
            return q;
        p = q + 1;
    }
    return NULL;
}

/* The value of parameter `key` (name, filename) in a Content-Disposition header line. */
static void param(const char *line, size_t len, const char *key, char *out, size_t cap)
{
    out[0] = '\0';
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 1 < len; i++) {
        if ((i == 0 || line[i - 1] == ';' || line[i - 1] == ' ') &&
            strncasecmp(line + i, key, kl) == 0 && line[i + kl] == '=') {
            const char *v = line + i + kl + 1, *end = line + len;
            size_t o = 0;
            if (v < end && *v == '"') {
                for (v++; v < end && *v != '"' && o + 1 < cap; v++)
                    out[o++] = *v == '\\' && v + 1 < end ? *++v : *v;
            } else {
                for (; v < end && *v != ';' && *v != ' ' && o + 1 < cap; v++)
                    out[o++] = *v;
            }
            out[o] = '\0';
            return;
        }
    }
}

int sv_multipart(const char *content_type, const char *body, size_t len, sv_part *parts,
                 size_t max, char *err, size_t errcap)
{
    if (!content_type || strncasecmp(content_type, "multipart/form-data", 19) != 0) {
        snprintf(err, errcap, "the body must be multipart/form-data");
        return -1;
    }
    char boundary[80 + 4] = "--";
    param(content_type, strlen(content_type), "boundary", boundary + 2, sizeof boundary - 2);
    size_t bl = strlen(boundary);
    if (bl <= 2 || bl > 72) {
        snprintf(err, errcap, "the multipart content type has no usable boundary");
        return -1;
    }
    const char *p = find(body, len, boundary, bl), *end = body + len;
    if (!p) {
        snprintf(err, errcap, "the body holds no part (no boundary %s)", boundary);
        return -1;
    }
    int n = 0;
    for (;;) {
        p += bl;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return n; /* the closing boundary */
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
            p += 2;
        else if (p < end && *p == '\n')
            p++;
        else {
            snprintf(err, errcap, "a boundary is not followed by a line end");
            return -1;
        }
        if ((size_t)n == max) {
            snprintf(err, errcap, "more than %zu parts", max);
            return -1;
        }
        sv_part *part = &parts[n];
        memset(part, 0, sizeof *part);
        /* headers up to an empty line */
        for (;;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) {
                snprintf(err, errcap, "part %d: its headers do not end", n + 1);
                return -1;
            }
            size_t ll = (size_t)(nl - p);
            if (ll && p[ll - 1] == '\r')
                ll--;
            if (ll == 0) {
                p = nl + 1;
                break;
            }
            if (ll > 20 && strncasecmp(p, "Content-Disposition:", 20) == 0) {
                param(p + 20, ll - 20, "name", part->name, sizeof part->name);
                param(p + 20, ll - 20, "filename", part->filename, sizeof part->filename);
            }
            p = nl + 1;
        }
        const char *next = find(p, (size_t)(end - p), boundary, bl);
        if (!next) {
            snprintf(err, errcap, "part %d does not end with a boundary", n + 1);
            return -1;
        }
        const char *stop = next;
        if (stop > p && stop[-1] == '\n')
            stop--;
        if (stop > p && stop[-1] == '\r')
            stop--;
        part->data = p;
        part->len = (size_t)(stop - p);
        if (!part->name[0]) {
            snprintf(err, errcap, "part %d has no name (Content-Disposition: form-data; name=...)",
                     n + 1);
            return -1;
        }
        n++;
        p = next;
    }
}
