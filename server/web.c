/*
 * web.c - the web app's files (web/dist, built by build.sh) at `/`: the cockpit and tasklist
 * are static files that call the same public endpoints a script could. The files themselves
 * need no credentials (the app logs in with a form and sends Basic credentials on its API
 * calls); the app's own routes (/processes, /process/KEY, /instance/ID, ...) answer index.html
 * so that a link or a reload opens the page. A name is served only when it is a regular file
 * inside the folder: no "..", no hidden names, no link leading out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/server.h"

#ifndef BPMNRT_WEB_DIR_DEFAULT
#define BPMNRT_WEB_DIR_DEFAULT "web/dist"
#endif

#define WEB_MAX_FILE ((off_t)32 << 20)

static const struct {
    const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".ttf", "font/ttf"},
    {".eot", "application/vnd.ms-fontobject"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

static const char *web_dir(const sv_request *r)
{
    const char *d = sv_web_dir(r->srv);
    return d && *d ? d : BPMNRT_WEB_DIR_DEFAULT;
}

/* A name the folder may hold: one path segment of safe characters, not hidden. */
static int safe_name(const char *name)
{
    if (!*name || name[0] == '.' || strlen(name) > 200 || strstr(name, ".."))
        return 0;
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
            c != '.' && c != '-' && c != '_')
            return 0;
    }
    return 1;
}

/* Answers the file NAME of the folder: 404 when it is absent or not a regular file inside. */
static int send_file(sv_request *r, sv_answer *a, const char *name)
{
    const char *dir = web_dir(r);
    char root[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
    if (!realpath(dir, root))
        return sv_error(a, 404, "NotFound",
                        "the web app is not built (no %s): ./build.sh demo builds it", dir);
    if (!safe_name(name) || (size_t)snprintf(path, sizeof path, "%s/%s", root, name) >= sizeof path)
        return sv_error(a, 404, "NotFound", "no resource at %s", r->url);
    size_t rl = strlen(root);
    if (!realpath(path, real) || strncmp(real, root, rl) != 0 || real[rl] != '/')
        return sv_error(a, 404, "NotFound", "no resource at %s", r->url);
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return sv_error(a, 404, "NotFound", "no resource at %s", r->url);
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > WEB_MAX_FILE) {
        close(fd);
        return sv_error(a, 404, "NotFound", "no resource at %s", r->url);
    }
    size_t len = (size_t)sb.st_size;
    char *body = malloc(len ? len : 1);
    if (!body) {
        close(fd);
        return sv_error(a, 500, "ServerError", "out of memory");
    }
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, body + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != len) {
        free(body);
        return sv_error(a, 500, "ServerError", "cannot read %s", name);
    }
    a->status = 200;
    a->body = body;
    a->len = len;
    a->content_type = content_type(name);
    return 0;
}

static int index_page(sv_request *r, sv_answer *a)
{
    return send_file(r, a, "index.html");
}

/* /NAME: one of the app's pages, or else a file of the folder. */
static int file_or_page(sv_request *r, sv_answer *a)
{
    static const char *const pages[] = {"processes", "tasks", "journal", "reports", "login"};
    const char *name = r->params[0];
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        if (strcmp(name, pages[i]) == 0)
            return index_page(r, a);
    return send_file(r, a, name);
}

const sv_route sv_routes_web[] = {
    {"GET", "/", index_page, 1},
    {"GET", "/{name}", file_or_page, 1},
    {"GET", "/process/{key}", index_page, 1},
    {"GET", "/instance/{id}", index_page, 1},
    {"GET", "/task/{id}", index_page, 1},
    {NULL, NULL, NULL, 0},
};
